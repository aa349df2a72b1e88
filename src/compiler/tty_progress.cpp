// tty_progress.cpp: see tty_progress.h.
#include "compiler/tty_progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <system_error>

#include "util/file_bytes.h"

namespace lucet {

namespace {
constexpr auto kQuietFor = std::chrono::milliseconds(1000);  // short compiles show nothing
constexpr auto kRedraw = std::chrono::milliseconds(250);

void write_line(int fd, const std::string &s) {
    (void)write_all(fd, s.data(), s.size());  // a progress line is not worth an error
}
}  // namespace

TtyProgress::TtyProgress(std::string prefix, int fd) : prefix_(std::move(prefix)), fd_(fd) {
    active_ = isatty(fd_) == 1;
    if (!active_) return;
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error &) {
        active_ = false;  // no thread, no progress line; the compile is unaffected
    }
}

TtyProgress::~TtyProgress() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (drawn_) write_line(fd_, "\r\033[K");
}

std::function<void(size_t, size_t)> TtyProgress::callback() {
    if (!active_) return {};
    return [this](size_t done, size_t total) {
        total_ = total;
        done_ = done;
    };
}

std::string TtyProgress::line(const std::string &prefix, size_t done, size_t total, double seconds) {
    char buf[96];
    if (total == 0)
        std::snprintf(buf, sizeof buf, ": generating C, %.1f s", seconds);
    else
        std::snprintf(buf, sizeof buf, ": %zu/%zu C units, %.1f s", done, total, seconds);
    return prefix + buf;
}

void TtyProgress::run() {
    auto start = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, kQuietFor, [this] { return stop_; })) return;
    do {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        write_line(fd_, "\r\033[K" + line(prefix_, done_, total_, secs));
        drawn_ = true;
    } while (!cv_.wait_for(lock, kRedraw, [this] { return stop_; }));
}

}  // namespace lucet
