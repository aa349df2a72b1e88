// subprocess.cpp: see subprocess.h. posix_spawn rather than fork+exec: the
// spec runner's children run compile threads, and posix_spawn is safe to call
// from a multi-threaded process.
#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char **environ;

namespace lucet::spec {

Status run_tool(const std::vector<std::string> &argv) {
    if (argv.empty()) return make_error("run_tool: empty command");
    int err_pipe[2];
    if (pipe2(err_pipe, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

    std::vector<char *> cargv;
    for (const auto &a : argv) cargv.push_back(const_cast<char *>(a.c_str()));
    cargv.push_back(nullptr);

    pid_t pid = -1;
    int rc = posix_spawnp(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(err_pipe[1]);
    if (rc != 0) {
        close(err_pipe[0]);
        return make_error("cannot run " + argv[0] + ": " + std::strerror(rc));
    }

    // Keep only the tail of stderr: a tool stuck printing cannot exhaust memory.
    std::string err;
    char buf[4096];
    for (;;) {
        ssize_t n = read(err_pipe[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        err.append(buf, static_cast<size_t>(n));
        if (err.size() > 8192) err.erase(0, err.size() - 4096);
    }
    close(err_pipe[0]);

    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return make_error("waitpid(" + argv[0] + "): " + std::strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};

    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    if (err.size() > 400) err = "..." + err.substr(err.size() - 400);
    for (char &c : err)
        if (c == '\n') c = ' ';
    std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                        : "was killed by signal " + std::to_string(WTERMSIG(status));
    return make_error(argv[0] + " " + how + (err.empty() ? "" : ": " + err));
}

}  // namespace lucet::spec
