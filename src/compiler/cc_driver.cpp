// cc_driver.cpp: see cc_driver.h.
#include "compiler/cc_driver.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <mutex>
#include <system_error>
#include <thread>

extern char **environ;

namespace lucet::ccdrv {

TempDir::~TempDir() {
    if (path_.empty()) return;
    if (keep_) {
        std::fprintf(stderr, "lucetc: temporary files kept in %s\n", path_.c_str());
        return;
    }
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

Status TempDir::create() {
    const char *base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/lucetc-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
        return make_error("cannot create a temporary directory " + tmpl + ": " + std::strerror(errno));
    path_ = buf.data();
    return {};
}

std::string shell_quote(const std::string &s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    out += "'";
    return out;
}

Status write_file(const std::string &path, const std::string &data) {
    FILE *f = std::fopen(path.c_str(), "wb");
    if (!f) return make_error("cannot write " + path + ": " + std::strerror(errno));
    size_t n = std::fwrite(data.data(), 1, data.size(), f);
    int err = errno;
    if (std::fclose(f) != 0 || n != data.size())
        return make_error("cannot write " + path + ": " + std::strerror(err ? err : EIO));
    return {};
}

namespace {

std::string read_tail(const std::string &path, size_t max_bytes) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) return "";
    std::fseek(f, 0, SEEK_END);
    long size = std::ftell(f);
    long start = size > static_cast<long>(max_bytes) ? size - static_cast<long>(max_bytes) : 0;
    std::fseek(f, start, SEEK_SET);
    std::string s(static_cast<size_t>(size - start), '\0');
    size_t n = std::fread(s.data(), 1, s.size(), f);
    std::fclose(f);
    s.resize(n);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

Result<pid_t> spawn(const Job &job) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, job.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    const char *argv[] = {"/bin/sh", "-c", job.command.c_str(), nullptr};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, nullptr, const_cast<char **>(argv), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return make_error("cannot start /bin/sh for " + job.what + ": " + std::strerror(rc));
    return pid;
}

}  // namespace

Status run_jobs(const std::vector<Job> &jobs, unsigned parallel) {
    // One waiter thread per slot, each waiting for its own pid only: a
    // library must not reap children it did not start (waitpid(-1) would).
    if (parallel == 0) parallel = 1;
    parallel = std::min<unsigned>(parallel, static_cast<unsigned>(std::max<size_t>(1, jobs.size())));
    std::mutex mu;
    size_t next = 0;
    Status failure;
    auto worker = [&]() {
        for (;;) {
            size_t idx;
            {
                std::lock_guard<std::mutex> lock(mu);
                if (!failure.ok() || next >= jobs.size()) return;
                idx = next++;
            }
            const Job &job = jobs[idx];
            auto pid = spawn(job);
            if (!pid.ok()) {
                std::lock_guard<std::mutex> lock(mu);
                if (failure.ok()) failure = pid.error();
                return;
            }
            int status = 0;
            while (waitpid(*pid, &status, 0) < 0) {
                if (errno != EINTR) {
                    std::lock_guard<std::mutex> lock(mu);
                    if (failure.ok())
                        failure = make_error("waiting for the C compiler on " + job.what + " failed: " +
                                             std::strerror(errno));
                    return;
                }
            }
            if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                    : "signal " + std::to_string(WTERMSIG(status));
                std::string tail = read_tail(job.stderr_path, 2000);
                std::lock_guard<std::mutex> lock(mu);
                if (failure.ok())
                    failure = make_error("C compiler failed on " + job.what + " (" + how +
                                         (job.show_command ? "): " + job.command : "; -v shows the command)") +
                                         (tail.empty() ? "" : "\n" + tail));
                return;
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned i = 1; i < parallel; i++) {
        try {
            threads.emplace_back(worker);
        } catch (const std::system_error &) {
            break;  // fewer parallel jobs, same result
        }
    }
    worker();
    for (auto &t : threads) t.join();
    return failure;
}

Result<std::string> capture_output(const std::string &command, const std::string &what, size_t max_bytes) {
    TempDir dir;
    LUCET_TRY(dir.create());
    Job job;
    job.command = command;
    job.stderr_path = dir.path() + "/output";
    job.what = what;
    LUCET_TRY(run_jobs({job}, 1));
    return read_tail(job.stderr_path, max_bytes);
}

}  // namespace lucet::ccdrv
