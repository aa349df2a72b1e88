// cc_driver.h: running the system C compiler: a private temp dir, parallel
// jobs through /bin/sh (so $CC may carry arguments), captured stderr.
#pragma once

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
};

// Runs the jobs with at most `parallel` at a time. On the first failure the
// remaining jobs are not started; the error carries the tail of the failed
// job's stderr.
Status run_jobs(const std::vector<Job> &jobs, unsigned parallel);

Status write_file(const std::string &path, const std::string &data);

// Runs `command` through /bin/sh and returns its stdout and stderr together
// (at most `max_bytes`); an error when it cannot start or exits non-zero.
Result<std::string> capture_output(const std::string &command, const std::string &what, size_t max_bytes);

}  // namespace lucet::ccdrv
