// cc_driver.cpp: see cc_driver.h.
#include "compiler/cc_driver.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <algorithm>
#include <mutex>
#include <system_error>
#include <thread>

#include "util/size.h"

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

namespace {

// The owner the kernel shows for IDs that have no mapping in this user
// namespace (an unprivileged `unshare -r` sandbox shows / so): nobody in the
// namespace can act as it. Only inside a user namespace other than the
// initial one (whose uid_map is the identity over all IDs); -1 otherwise.
// Read each time it is needed (only for a directory owned by neither root
// nor us): a process may enter a namespace after its first compile.
long unmapped_owner() {
    char map[256] = {};
    int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, map, sizeof map - 1);
    close(fd);
    unsigned long inside = 0, outside = 0, count = 0;
    if (n <= 0 || std::sscanf(map, "%lu %lu %lu", &inside, &outside, &count) != 3) return -1;
    if (inside == 0 && outside == 0 && count == 4294967295ul) return -1;  // the initial namespace
    long overflow = 65534;
    if (FILE *f = std::fopen("/proc/sys/kernel/overflowuid", "re")) {
        if (std::fscanf(f, "%ld", &overflow) != 1) overflow = 65534;
        std::fclose(f);
    }
    return overflow;
}

// The real path of `dir` when it is a safe place for a private temporary
// directory, else why not. A directory whose entries another user can
// rename (its owner, or anyone with write permission on a directory without
// the sticky bit) can swap ours for theirs between our writes and cc's reads
// (the C sources, the objects, the .so). Every directory from / down to it is
// checked on its real path, which is then used (a symlink on the given path
// may change afterwards): each must be owned by root or by us (or by no one
// this user namespace maps), and writable by others only with the sticky
// bit (/tmp).
Result<std::string> safe_temp_parent(const std::string &dir) {
    char real[PATH_MAX];
    if (!realpath(dir.c_str(), real)) return make_error("cannot resolve it: " + std::string(std::strerror(errno)));
    const std::string path = real;
    std::vector<std::string> dirs{"/"};
    for (size_t i = 1; i <= path.size(); i++)
        if (i == path.size() || path[i] == '/') dirs.push_back(path.substr(0, i));
    for (const std::string &cur : dirs) {
        struct stat st;
        if (lstat(cur.c_str(), &st) != 0) return make_error("cannot inspect '" + cur + "': " + std::strerror(errno));
        if (!S_ISDIR(st.st_mode)) return make_error("'" + cur + "' is not a directory");
        if (st.st_uid != 0 && st.st_uid != geteuid() && static_cast<long>(st.st_uid) != unmapped_owner())
            return make_error("'" + cur + "' is owned by uid " + std::to_string(st.st_uid) + ", who could swap its entries");
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
            return make_error("'" + cur + "' is group- or world-writable without the sticky bit");
    }
    return path;
}

}  // namespace

Status TempDir::create() {
    const char *base = std::getenv("TMPDIR");
    const std::string given = base && *base ? base : "/tmp";
    auto parent = safe_temp_parent(given);
    if (!parent.ok())
        return make_error("refusing the temporary directory " + given + " ($TMPDIR) for the C compiler's files: " +
                          parent.error().to_string() + "; set TMPDIR to a directory of your own");
    std::string tmpl = parent.value() + "/lucetc-XXXXXX";
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

// The process groups of the running jobs, for kill_running_jobs (a signal
// handler may read them: plain atomics, no lock). A slot is cleared before
// its child is reaped, so a pid here never names a reused process.
constexpr size_t kMaxTracked = 256;
std::atomic<pid_t> g_running[kMaxTracked];

// The signal a tool got during a compile (KillJobsOnSignal), 0 for none:
// no job starts after it, and one that started meanwhile is killed.
std::atomic<int> g_tool_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

void track(pid_t pid) {
    for (auto &slot : g_running) {
        pid_t expected = 0;
        if (slot.compare_exchange_strong(expected, pid)) break;
    }
    if (g_tool_signal.load()) kill(-pid, SIGKILL);
}

void untrack(pid_t pid) {
    for (auto &slot : g_running) {
        pid_t expected = pid;
        if (slot.compare_exchange_strong(expected, 0)) return;
    }
}

// The limits are set by the job's shell (inherited by cc and every process
// it starts): soft limits only, so that a lower hard limit the caller
// already has still applies (setting a soft limit above it fails, quietly).
std::string limit_prefix(const Limits &limits) {
    std::string p;
    if (limits.max_memory) p += "ulimit -S -v " + std::to_string(std::max<uint64_t>(1, limits.max_memory / 1024)) + " 2>/dev/null; ";
    if (limits.cpu_seconds) p += "ulimit -S -t " + std::to_string(limits.cpu_seconds) + " 2>/dev/null; ";
    return p;
}

Result<pid_t> spawn(const Job &job, const Limits &limits) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, job.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 2, 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    std::string command = limit_prefix(limits) + job.command;
    const char *argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, "/bin/sh", &fa, &attr, const_cast<char **>(argv), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return make_error("cannot start /bin/sh for " + job.what + ": " + std::strerror(rc));
    track(pid);
    return pid;
}

// How cc (gcc, clang, as, ld) reports that it could not get memory: a
// message, or, when the limit met a stack or a shared library mapping, a
// crash (cc does not crash on the C lucetc emits otherwise).
bool says_out_of_memory(const std::string &text) {
    for (const char *needle : {"out of memory", "memory exhausted", "Cannot allocate memory", "cannot allocate",
                               "Allocation failed", "bad_alloc", "not enough memory", "failed to map segment",
                               "signal terminated program", "Segmentation fault", "Killed"})
        if (text.find(needle) != std::string::npos) return true;
    return false;
}

bool says_cpu_limit(const std::string &text) { return text.find("CPU time limit exceeded") != std::string::npos; }

// Whether a live process other than `leader` (the job's shell, a zombie
// not yet reaped by us) is in the process group `leader`: /proc/N/stat's
// state and pgrp fields. Unknown (no /proc): true.
bool group_has_others(pid_t leader) {
    DIR *d = opendir("/proc");
    if (!d) return true;
    bool found = false;
    while (dirent *de = readdir(d)) {
        char *end = nullptr;
        long n = std::strtol(de->d_name, &end, 10);
        if (n <= 0 || *end || n == leader) continue;
        char path[64], buf[512];
        std::snprintf(path, sizeof path, "/proc/%ld/stat", n);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0) continue;
        buf[len] = '\0';
        const char *p = std::strrchr(buf, ')');  // the name may contain spaces and parentheses
        char state = 0;
        long ppid = 0, pgrp = 0;
        if (p && std::sscanf(p + 1, " %c %ld %ld", &state, &ppid, &pgrp) == 3 && pgrp == leader && state != 'Z' &&
            state != 'X') {
            found = true;
            break;
        }
    }
    closedir(d);
    return found;
}

enum class Ending { Exited, Deadline, Cancelled };

// Waits for the job's shell to exit without reaping it; kills its group at
// the deadline or when `cancel` becomes true (another job failed).
Ending wait_exit(pid_t pid, const Limits &limits, const std::atomic<bool> &cancel) {
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    Ending ending = Ending::Exited;
    bool killed = false;
    for (;;) {
        bool exited = false;
        if (pidfd >= 0) {
            struct pollfd p = {pidfd, POLLIN, 0};
            int r = poll(&p, 1, killed ? -1 : 100);
            exited = r > 0;
        } else {
            siginfo_t si{};
            if (waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOWAIT | WNOHANG) == 0 && si.si_pid == pid)
                exited = true;
            else if (errno == ECHILD)
                exited = true;
            else
                usleep(killed ? 5000 : 20000);
        }
        if (exited) break;
        if (killed) continue;
        if (limits.deadline && std::chrono::steady_clock::now() >= *limits.deadline) ending = Ending::Deadline;
        else if (cancel.load()) ending = Ending::Cancelled;
        else continue;
        kill(-pid, SIGKILL);
        killed = true;
    }
    if (pidfd >= 0) close(pidfd);
    if (killed || g_tool_signal.load()) {  // (a tool's signal killed the group: the same wait)
        // cc1/as may outlive the shell for a moment: kill them too and wait
        // (a bounded while) until the group is gone, so that no C compiler
        // is still running, or writing into the temp dir, once we return.
        // The shell itself stays in the group as a zombie until reaped.
        for (int i = 0; i < 1000 && kill(-pid, SIGKILL) == 0 && group_has_others(pid); i++) usleep(2000);
    }
    return ending;
}

std::string limit_message(const Job &job, const std::string &what) {
    return "compiling " + (job.scope.empty() ? job.what : job.scope) + ": C compiler exceeded " + what;
}

}  // namespace

void kill_running_jobs() {
    for (auto &slot : g_running) {
        pid_t pid = slot.load();
        if (pid > 0) kill(-pid, SIGKILL);
    }
}

namespace {
constexpr int kToolSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_old_actions[3];

// The first signal kills the running jobs and lets the compile fail and
// clean up (its temporary directories), then ~KillJobsOnSignal dies of it;
// a second one dies at once.
void on_tool_signal(int sig) {
    if (g_tool_signal.exchange(sig) != 0) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    kill_running_jobs();
}
}  // namespace

KillJobsOnSignal::KillJobsOnSignal() {
    old_ = g_old_actions;
    for (size_t i = 0; i < 3; i++) {
        struct sigaction sa {};
        sa.sa_handler = on_tool_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(kToolSignals[i], &sa, &old_[i]);
        if (old_[i].sa_handler == SIG_IGN) sigaction(kToolSignals[i], &old_[i], nullptr);  // nohup stays nohup
    }
}

KillJobsOnSignal::~KillJobsOnSignal() {
    for (size_t i = 0; i < 3; i++) sigaction(kToolSignals[i], &old_[i], nullptr);
    if (int sig = g_tool_signal.exchange(0)) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

Status run_jobs(const std::vector<Job> &jobs, unsigned parallel, const Limits &limits,
                const std::function<void(size_t)> &on_done) {
    // One waiter thread per slot, each waiting for its own pid only: a
    // library must not reap children it did not start (waitpid(-1) would).
    if (parallel == 0) parallel = 1;
    parallel = std::min<unsigned>(parallel, static_cast<unsigned>(std::max<size_t>(1, jobs.size())));
    std::mutex mu;
    size_t next = 0, done = 0;
    Status failure;
    std::atomic<bool> cancel{false};
    auto fail = [&](Status st) {
        std::lock_guard<std::mutex> lock(mu);
        if (failure.ok()) failure = std::move(st);
        cancel = true;
    };
    auto worker = [&]() {
        for (;;) {
            size_t idx;
            {
                std::lock_guard<std::mutex> lock(mu);
                if (!failure.ok() || next >= jobs.size()) return;
                if (int sig = g_tool_signal.load()) {
                    failure = make_error("interrupted by signal " + std::to_string(sig));
                    cancel = true;
                    return;
                }
                if (limits.deadline && std::chrono::steady_clock::now() >= *limits.deadline) {
                    if (failure.ok())
                        failure = make_error(limit_message(jobs[next], "the " + std::to_string(limits.time_limit_seconds) +
                                                                           " s time limit"));
                    cancel = true;
                    return;
                }
                idx = next++;
            }
            const Job &job = jobs[idx];
            auto pid = spawn(job, limits);
            if (!pid.ok()) return fail(pid.error());
            Ending ending = wait_exit(*pid, limits, cancel);
            untrack(*pid);
            int status = 0;
            while (waitpid(*pid, &status, 0) < 0) {
                if (errno != EINTR)
                    return fail(make_error("waiting for the C compiler on " + job.what + " failed: " + std::strerror(errno)));
            }
            if (ending == Ending::Deadline)
                return fail(make_error(limit_message(job, "the " + std::to_string(limits.time_limit_seconds) + " s time limit")));
            if (ending == Ending::Cancelled) return;  // another job's failure is the error
            if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                std::string tail = read_tail(job.stderr_path, 2000);
                if (limits.cpu_seconds && (says_cpu_limit(tail) || (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU)))
                    return fail(make_error(limit_message(job, "the " + std::to_string(limits.cpu_seconds) + " s CPU time limit")));
                bool crashed = WIFSIGNALED(status) && WTERMSIG(status) != SIGXCPU;
                if (limits.max_memory && (crashed || says_out_of_memory(tail)))
                    return fail(make_error(limit_message(job, "the " + format_size(limits.max_memory) + " memory limit")));
                std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                    : "signal " + std::to_string(WTERMSIG(status));
                return fail(make_error("C compiler failed on " + job.what + " (" + how +
                                       (job.show_command ? "): " + job.command : "; -v shows the command)") +
                                       (tail.empty() ? "" : "\n" + tail)));
            }
            if (on_done) {
                std::lock_guard<std::mutex> lock(mu);
                on_done(++done);
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

Result<std::string> capture_output(const std::string &command, const std::string &what, size_t max_bytes,
                                   const Limits &limits) {
    TempDir dir;
    LUCET_TRY(dir.create());
    Job job;
    job.command = command;
    job.stderr_path = dir.path() + "/output";
    job.what = what;
    LUCET_TRY(run_jobs({job}, 1, limits));
    return read_tail(job.stderr_path, max_bytes);
}

}  // namespace lucet::ccdrv
