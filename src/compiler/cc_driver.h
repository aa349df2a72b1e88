// cc_driver.h: running the system C compiler: a private temp dir, parallel
// jobs through /bin/sh (so $CC may carry arguments), captured stderr.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include <signal.h>
#include <string>
#include <vector>

#include "util/result.h"

namespace lucet::ccdrv {

// A private directory (mkdtemp under $TMPDIR or /tmp), removed on destruction
// unless keep() was called.
class TempDir {
public:
    TempDir() = default;
    TempDir(const TempDir &) = delete;
    TempDir &operator=(const TempDir &) = delete;
    ~TempDir();
    Status create();
    const std::string &path() const { return path_; }
    void keep() { keep_ = true; }

private:
    std::string path_;
    bool keep_ = false;
};

// Single-quotes a path for /bin/sh.
std::string shell_quote(const std::string &s);

struct Job {
    std::string command;     // shell command line
    std::string stderr_path; // where its stderr goes
    std::string what;        // for messages: "unit3.c"
    // On failure the error carries the command line only when asked
    // (lucetc/lucet-wasi -v): it is long and rarely the point; the
    // compiler's own output is always there.
    bool show_command = false;
    std::string scope;       // for limit messages: "f12..f40 (unit3.c)"; empty: `what`
};

// Resource bounds of every job (see lucet::CompileOptions). Each job runs
// in a process group of its own, so that a kill reaches cc's children
// (cc1, as, ld) too.
struct Limits {
    uint64_t max_memory = 0;  // RLIMIT_AS of every process of a job, bytes; 0: none
    uint64_t cpu_seconds = 0; // RLIMIT_CPU of every process of a job; 0: none
    // Jobs still running then are killed (SIGKILL to the group); none start.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    uint64_t time_limit_seconds = 0;  // for the message only
};

// Runs the jobs with at most `parallel` at a time. On the first failure the
// remaining jobs are not started and the running ones are killed; the error
// carries the tail of the failed job's stderr, or, when a limit was hit, is
// one line: "compiling <scope>: C compiler exceeded the 2 GiB memory limit".
// `on_done` (may be empty) is called after each job that succeeds, from the
// thread that waited for it, with the number done so far.
Status run_jobs(const std::vector<Job> &jobs, unsigned parallel, const Limits &limits = {},
                const std::function<void(size_t)> &on_done = {});

// Kills (SIGKILL) the process groups of every job running now, in any
// thread. Async-signal-safe: for a SIGINT/SIGTERM handler of a tool, since
// jobs are not in the terminal's foreground process group.
void kill_running_jobs();

// For a tool (lucetc, lucet-wasi) while it compiles: SIGINT, SIGTERM and
// SIGHUP kill the running jobs (the jobs' own process groups do not see the
// terminal's ^C) and start no more, so the compile fails and removes its
// temporary directories; on destruction the previous dispositions come
// back and the tool dies of the signal as before. A second signal ends it
// at once. Not for a library's embedder.
class KillJobsOnSignal {
public:
    KillJobsOnSignal();
    KillJobsOnSignal(const KillJobsOnSignal &) = delete;
    KillJobsOnSignal &operator=(const KillJobsOnSignal &) = delete;
    ~KillJobsOnSignal();

private:
    struct sigaction *old_ = nullptr;
};

Status write_file(const std::string &path, const std::string &data);

// Runs `command` through /bin/sh and returns its stdout and stderr together
// (at most `max_bytes`); an error when it cannot start, exits non-zero or
// meets a limit (then it is killed at once).
Result<std::string> capture_output(const std::string &command, const std::string &what, size_t max_bytes,
                                   const Limits &limits = {});

}  // namespace lucet::ccdrv
