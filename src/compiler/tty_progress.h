// tty_progress.h: the progress line of lucetc and lucet-wasi on long
// compiles: "lucetc: compiling m.wasm: 12/40 C units, 3.4 s", redrawn in
// place on stderr while the compile runs, and erased at the end. Shown only
// when stderr is a terminal and the compile has taken about a second;
// nothing at all otherwise (logs and pipes stay clean).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace lucet {

class TtyProgress {
public:
    // `prefix`: "lucetc: compiling m.wasm". `fd`: where to draw (stderr).
    explicit TtyProgress(std::string prefix, int fd = 2);
    TtyProgress(const TtyProgress &) = delete;
    TtyProgress &operator=(const TtyProgress &) = delete;
    ~TtyProgress();  // stops and erases the line

    // For CompileOptions::progress (empty when the fd is not a terminal).
    std::function<void(size_t done, size_t total)> callback();

    // The line for `done`/`total` jobs after `seconds` (for the tests).
    static std::string line(const std::string &prefix, size_t done, size_t total, double seconds);

private:
    void run();

    std::string prefix_;
    int fd_;
    bool active_ = false;
    std::atomic<size_t> done_{0}, total_{0};
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool drawn_ = false;
    std::thread thread_;
};

}  // namespace lucet
