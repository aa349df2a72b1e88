// bench_fd_write: the cost of small writes, the hot path of printf-heavy
// guests, now that regular-file writes go through libuv's synchronous
// uv_fs_write. Times, interleaved in one run, 16-byte writes to a regular
// file by: write(2) itself; uvfs::write (uv_fs_write with no loop); the
// fd_write hostcall (rights, iovec checks, then uv_fs_write); and, for
// scale, fd_write to /dev/null (a device: poll, then writev). Prints the
// median ns per call of each (medians over batches) and fails when
// uv_fs_write costs more than 1.25x write(2) or fd_write more than 2x
// (the fixed work of a hostcall on top of ~1 us of system call).
// Run with `meson test -C build --benchmark --suite wasi -v`.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "wasi/hostcalls.h"
#include "wasi/uv_fs.h"

using namespace lucet::wasi;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kCalls = 4000;   // per batch
constexpr int kBatches = 25;  // medians over these
constexpr uint32_t kIov = 64, kBuf = 128, kOut = 256, kLen = 16;

double batch_ns(const std::function<void()> &f) {
    auto t0 = Clock::now();
    for (int i = 0; i < kCalls; i++) f();
    return std::chrono::duration<double, std::nano>(Clock::now() - t0).count() / kCalls;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

[[noreturn]] void fail(const char *what) {
    std::fprintf(stderr, "bench_fd_write: %s\n", what);
    std::exit(1);
}

}  // namespace

int main() {
    char tmpl[] = "/tmp/lucet-bench-fd-write.XXXXXX";
    int file = mkstemp(tmpl);
    if (file < 0) fail("mkstemp failed");
    unlink(tmpl);
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null_fd < 0) fail("cannot open /dev/null");

    std::vector<uint8_t> mem(4096, 'x');
    WasiCtx ctx;
    auto add = [&](int host_fd, Filetype type) {
        auto e = std::make_unique<FdEntry>();
        e->host_fd = dup(host_fd);
        e->type = type;
        e->rights_base = rights::FD_WRITE;
        uint32_t fd = 0;
        if (ctx.insert(std::move(e), fd) != Errno::SUCCESS) fail("insert failed");
        return fd;
    };
    uint32_t gfile = add(file, Filetype::REGULAR_FILE);
    uint32_t gnull = add(null_fd, Filetype::CHARACTER_DEVICE);
    Call c{ctx, GuestMem(mem.data(), mem.size())};
    std::memcpy(&mem[kIov], &kBuf, 4);
    std::memcpy(&mem[kIov + 4], &kLen, 4);
    const char *data = reinterpret_cast<const char *>(&mem[kBuf]);
    uv_buf_t b = uv_buf_init(const_cast<char *>(data), kLen);

    std::vector<std::pair<const char *, std::function<void()>>> cases = {
        {"write(2), 16 B to a file", [&] { if (write(file, data, kLen) != kLen) fail("write failed"); }},
        {"uv_fs_write (sync, no loop), 16 B to a file",
         [&] { if (uvfs::write(file, &b, 1, -1) != kLen) fail("uv_fs_write failed"); }},
        {"fd_write hostcall, 16 B to a file",
         [&] { if (fd_write(c, gfile, kIov, 1, kOut) != Errno::SUCCESS) fail("fd_write failed"); }},
        {"fd_write hostcall, 16 B to /dev/null",
         [&] { if (fd_write(c, gnull, kIov, 1, kOut) != Errno::SUCCESS) fail("fd_write failed"); }},
    };
    std::vector<std::vector<double>> t(cases.size());
    for (int k = 0; k < kBatches; k++) {
        // Keep the file small: every batch starts again at offset 0.
        if (ftruncate(file, 0) != 0 || lseek(file, 0, SEEK_SET) != 0) fail("truncate failed");
        for (size_t i = 0; i < cases.size(); i++) t[i].push_back(batch_ns(cases[i].second));
    }
    std::vector<double> m;
    for (size_t i = 0; i < cases.size(); i++) {
        m.push_back(median(t[i]));
        std::printf("%-48s median %8.0f ns per call\n", cases[i].first, m[i]);
    }
    double uv_ratio = m[1] / m[0], hostcall_ratio = m[2] / m[0];
    std::printf("uv_fs_write / write(2): %.2f (target <= 1.25)\n", uv_ratio);
    std::printf("fd_write hostcall / write(2): %.2f (target <= 2)\n", hostcall_ratio);
    close(file);
    close(null_fd);
    return uv_ratio <= 1.25 && hostcall_ratio <= 2 ? 0 : 1;
}
