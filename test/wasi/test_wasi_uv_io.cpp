// Unit tests of the descriptor I/O that goes through libuv's synchronous
// uv_fs_* calls (src/wasi/uv_fs.cpp), where libuv's behaviour could differ
// from the raw system calls: many iovecs (libuv copies more than 4 to the
// heap and stops at IOV_MAX), empty iovec lists (libuv refuses zero
// buffers), short reads, pread/pwrite on a pipe, counts over 2 GiB (libuv
// narrows them to int in its return value), O_APPEND, stat/sync/truncate
// results and errors; and that a blocked pipe write cut short by a signal
// still returns its short count (why pipe writes stay a raw writev).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "wasi_core_test_util.h"

namespace {

// n iovecs at `iov`: iovec i is `len(i)` bytes at data + i.
template <typename Len>
void put_iovecs(Guest &g, uint32_t iov, uint32_t data, uint32_t n, Len len) {
    for (uint32_t i = 0; i < n; i++) {
        g.put32(iov + 8 * i, data + i);
        g.put32(iov + 8 * i + 4, len(i));
    }
}

std::string file_contents(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

void on_usr1(int) {}

}  // namespace

TEST_CASE("many iovecs: beyond libuv's 4 inline ones, empty ones, capped at IOV_MAX", "[wasi][uv]") {
    TempDir t;
    Guest g;
    g.mem.resize(1 << 20);
    constexpr uint32_t IOVS = 0x10000, DATA = 0x20000;  // room for 2000 iovecs
    REQUIRE(g.ctx.preopen_dir(".", t.path).ok());
    Call c = g.call();
    uint32_t fd;
    REQUIRE(open_path(g, 3, "f", oflags::CREAT, fd) == Errno::SUCCESS);
    for (uint32_t i = 0; i < 3000; i++) g.mem[DATA + i] = static_cast<uint8_t>('a' + i % 26);

    // 9 iovecs, every third empty: the non-empty ones, in order.
    put_iovecs(g, IOVS, DATA, 9, [](uint32_t i) { return i % 3 == 1 ? 0u : 1u; });
    REQUIRE(fd_write(c, fd, IOVS, 9, OUT) == Errno::SUCCESS);
    CHECK(g.u32(OUT) == 6);
    CHECK(file_contents(t.path + "/f") == "acdfgi");

    // 2000 one-byte iovecs: IOV_MAX (1024) of them are written, one write.
    REQUIRE(IOV_MAX == 1024);
    put_iovecs(g, IOVS, DATA, 2000, [](uint32_t) { return 1u; });
    REQUIRE(fd_pwrite(c, fd, IOVS, 2000, 0, OUT) == Errno::SUCCESS);
    CHECK(g.u32(OUT) == 1024);
    std::string want(reinterpret_cast<char *>(&g.mem[DATA]), 1024);
    CHECK(file_contents(t.path + "/f") == want);

    // And read back into 1500 one-byte iovecs: IOV_MAX of them are filled.
    std::memset(&g.mem[DATA], 0, 3000);
    put_iovecs(g, IOVS, DATA, 1500, [](uint32_t) { return 1u; });
    REQUIRE(fd_pread(c, fd, IOVS, 1500, 0, OUT) == Errno::SUCCESS);
    CHECK(g.u32(OUT) == 1024);
    CHECK(std::string(reinterpret_cast<char *>(&g.mem[DATA]), 1024) == want);
    CHECK(g.mem[DATA + 1024] == 0);

    // No iovecs at all: a 0-byte write and read (libuv takes at least one
    // buffer; readv/writev take none), not an error; the position stays.
    REQUIRE(fd_seek(c, fd, 5, uint32_t(Whence::SET), OUT) == Errno::SUCCESS);
    g.put32(OUT, 77);
    CHECK(fd_write(c, fd, IOVS, 0, OUT) == Errno::SUCCESS);
    CHECK(g.u32(OUT) == 0);
    g.put32(OUT, 77);
    CHECK(fd_read(c, fd, IOVS, 0, OUT) == Errno::SUCCESS);
    CHECK(g.u32(OUT) == 0);
    CHECK(fd_pwrite(c, fd, IOVS, 0, 3, OUT) == Errno::SUCCESS);
    CHECK(fd_pread(c, fd, IOVS, 0, 3, OUT) == Errno::SUCCESS);
    REQUIRE(fd_tell(c, fd, OUT) == Errno::SUCCESS);
    CHECK(g.u64(OUT) == 5);
    CHECK(file_contents(t.path + "/f").size() == 1024);
}

TEST_CASE("pipes: short reads, EOF, pread/pwrite give SPIPE", "[wasi][uv]") {
    Guest g;
    int p[2];
    REQUIRE(pipe(p) == 0);
    uint64_t all = rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK;
    uint32_t rfd = add_fd(g, p[0], Filetype::UNKNOWN, all);
    uint32_t wfd = add_fd(g, p[1], Filetype::UNKNOWN, all);
    Call c = g.call();
    REQUIRE(write(p[1], "hello", 5) == 5);
    // Three 4-byte iovecs, 5 bytes there: a short read of 5, in order.
    put_iovecs(g, IOV, BUF, 3, [](uint32_t) { return 4u; });
    g.put32(IOV, BUF);
    g.put32(IOV + 8, BUF + 100);
    g.put32(IOV + 16, BUF + 200);
    REQUIRE(fd_read(c, rfd, IOV, 3, OUT) == Errno::SUCCESS);
    CHECK(g.u32(OUT) == 5);
    CHECK(g.str(BUF, 4) == "hell");
    CHECK(g.str(BUF + 100, 1) == "o");

    // Positional I/O on a pipe: SPIPE, with one iovec (pread/pwrite) and
    // with several (preadv/pwritev); nothing is consumed. (The host ends
    // are non-blocking meanwhile, so that a read or write that wrongly
    // ignored the offset could not block the test.)
    REQUIRE(write(p[1], "xyz", 3) == 3);
    int fl0 = fcntl(p[0], F_GETFL), fl1 = fcntl(p[1], F_GETFL);
    REQUIRE(fcntl(p[0], F_SETFL, fl0 | O_NONBLOCK) == 0);
    REQUIRE(fcntl(p[1], F_SETFL, fl1 | O_NONBLOCK) == 0);
    CHECK(fd_pread(c, rfd, IOV, 1, 0, OUT) == Errno::SPIPE);
    CHECK(fd_pread(c, rfd, IOV, 3, 0, OUT) == Errno::SPIPE);
    CHECK(fd_pwrite(c, wfd, IOV, 1, 0, OUT) == Errno::SPIPE);
    CHECK(fd_pwrite(c, wfd, IOV, 3, 0, OUT) == Errno::SPIPE);
    // Offsets beyond off_t: INVAL before any call.
    CHECK(fd_pread(c, rfd, IOV, 1, uint64_t(INT64_MAX) + 1, OUT) == Errno::INVAL);
    REQUIRE(fcntl(p[0], F_SETFL, fl0) == 0);
    REQUIRE(fcntl(p[1], F_SETFL, fl1) == 0);
    // (One more byte, so that this read cannot block should they have.)
    REQUIRE(write(p[1], "!", 1) == 1);
    std::string got;
    REQUIRE(read_str(g, rfd, 100, got) == Errno::SUCCESS);
    CHECK(got == "xyz!");

    // The write end closed: EOF is a 0-byte read.
    REQUIRE(fd_close(c, wfd) == Errno::SUCCESS);
    REQUIRE(read_str(g, rfd, 100, got) == Errno::SUCCESS);
    CHECK(got.empty());
    // sync and truncate on a pipe: INVAL, as the host says.
    uint32_t fd2 = add_fd(g, dup(p[0]), Filetype::UNKNOWN, ~0ull);
    CHECK(fd_sync(c, fd2) == Errno::INVAL);
    CHECK(fd_datasync(c, fd2) == Errno::INVAL);
    CHECK(fd_filestat_set_size(c, fd2, 0) == Errno::INVAL);
}

TEST_CASE("O_APPEND: writes append, pread does not move the position", "[wasi][uv]") {
    TempDir t;
    Guest g;
    REQUIRE(g.ctx.preopen_dir(".", t.path).ok());
    Call c = g.call();
    uint32_t fd, n;
    REQUIRE(open_path(g, 3, "log", oflags::CREAT, fd) == Errno::SUCCESS);
    REQUIRE(write_str(g, fd, "first\n", n) == Errno::SUCCESS);
    REQUIRE(fd_fdstat_set_flags(c, fd, fdflags::APPEND) == Errno::SUCCESS);
    REQUIRE(fd_seek(c, fd, 0, uint32_t(Whence::SET), OUT) == Errno::SUCCESS);
    REQUIRE(write_str(g, fd, "second\n", n) == Errno::SUCCESS);
    CHECK(n == 7);
    CHECK(file_contents(t.path + "/log") == "first\nsecond\n");
    // Linux's pwrite on an O_APPEND description appends, whatever the offset.
    g.put(BUF, "third\n");
    g.put32(IOV, BUF);
    g.put32(IOV + 4, 6);
    REQUIRE(fd_pwrite(c, fd, IOV, 1, 0, OUT) == Errno::SUCCESS);
    CHECK(file_contents(t.path + "/log") == "first\nsecond\nthird\n");
    REQUIRE(fd_seek(c, fd, 2, uint32_t(Whence::SET), OUT) == Errno::SUCCESS);
    g.put32(IOV + 4, 5);
    REQUIRE(fd_pread(c, fd, IOV, 1, 6, OUT) == Errno::SUCCESS);
    CHECK(g.str(BUF, 5) == "secon");
    REQUIRE(fd_tell(c, fd, OUT) == Errno::SUCCESS);
    CHECK(g.u64(OUT) == 2);
}

TEST_CASE("a write of more than 2 GiB reports its whole count", "[wasi][uv]") {
    // 1023 iovecs of 4 MiB (all the same guest bytes) to /dev/null: 4 GiB
    // minus 4 MiB, just under the u32 result. The kernel moves at most
    // 2 GiB - 4 KiB per call; libuv writes the rest and returns the total
    // narrowed to int (negative here), so the count comes from the request.
    Guest g;
    constexpr uint32_t kBuf = 1u << 20, kLen = 4u << 20;
    g.mem.resize(kBuf + kLen);
    int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    REQUIRE(null_fd >= 0);
    uint32_t fd = add_fd(g, null_fd, Filetype::CHARACTER_DEVICE, rights::FD_WRITE | rights::FD_SEEK);
    Call c = g.call();
    for (uint32_t i = 0; i < 1024; i++) {
        g.put32(IOV + 8 * i, kBuf);
        g.put32(IOV + 8 * i + 4, kLen);
    }
    REQUIRE(fd_pwrite(c, fd, IOV, 1024, 0, OUT) == Errno::SUCCESS);
    CHECK(g.u32(OUT) == 1023u * kLen);
}

TEST_CASE("filestat, set_size, sync and datasync through libuv", "[wasi][uv]") {
    TempDir t;
    Guest g;
    REQUIRE(g.ctx.preopen_dir(".", t.path).ok());
    Call c = g.call();
    uint32_t fd, n;
    REQUIRE(open_path(g, 3, "f", oflags::CREAT, fd) == Errno::SUCCESS);
    REQUIRE(write_str(g, fd, "0123456789", n) == Errno::SUCCESS);
    CHECK(fd_sync(c, fd) == Errno::SUCCESS);
    CHECK(fd_datasync(c, fd) == Errno::SUCCESS);
    REQUIRE(link((t.path + "/f").c_str(), (t.path + "/g").c_str()) == 0);
    struct stat st;
    REQUIRE(stat((t.path + "/f").c_str(), &st) == 0);
    REQUIRE(fd_filestat_get(c, fd, OUT) == Errno::SUCCESS);
    CHECK(g.u64(OUT) == st.st_dev);
    CHECK(g.u64(OUT + 8) == st.st_ino);
    CHECK(g.mem[OUT + 16] == uint8_t(Filetype::REGULAR_FILE));
    CHECK(g.u64(OUT + 24) == 2);  // nlink
    CHECK(g.u64(OUT + 32) == 10);
    CHECK(g.u64(OUT + 48) == uint64_t(st.st_mtim.tv_sec) * 1000000000ull + uint64_t(st.st_mtim.tv_nsec));

    REQUIRE(fd_filestat_set_size(c, fd, 3) == Errno::SUCCESS);
    REQUIRE(fd_filestat_get(c, fd, OUT) == Errno::SUCCESS);
    CHECK(g.u64(OUT + 32) == 3);
    CHECK(fd_filestat_set_size(c, fd, uint64_t(INT64_MAX) + 1) == Errno::FBIG);
    // Exact nanoseconds survive set_times (uv_fs_futime would keep microseconds).
    REQUIRE(fd_filestat_set_times(c, fd, 0, 1234567891987654321ull, 4) == Errno::SUCCESS);
    REQUIRE(fd_filestat_get(c, fd, OUT) == Errno::SUCCESS);
    CHECK(g.u64(OUT + 48) == 1234567891987654321ull);

    // A read-only fd: the host refuses the truncate (INVAL from ftruncate).
    int ro_host = open((t.path + "/f").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(ro_host >= 0);
    uint32_t ro = add_fd(g, ro_host, Filetype::REGULAR_FILE, ~0ull);
    CHECK(fd_filestat_set_size(c, ro, 0) == Errno::INVAL);
    REQUIRE(fd_filestat_get(c, ro, OUT) == Errno::SUCCESS);
    CHECK(g.u64(OUT + 32) == 3);
    // A directory's filestat (statx through libuv).
    REQUIRE(fd_filestat_get(c, 3, OUT) == Errno::SUCCESS);
    CHECK(g.mem[OUT + 16] == uint8_t(Filetype::DIRECTORY));
}

TEST_CASE("a blocked pipe write cut short by a signal returns its short count", "[wasi][uv]") {
    // The runtime's kill re-sends a SA_RESTART signal until the guest is back
    // in its code; a pipe write that has moved some bytes returns early on
    // it. libuv's uv_fs_write would go on writing the rest, blocking until
    // the reader drains the pipe: a rescuer drains it after 5 s, so that
    // such a regression fails here instead of hanging.
    struct sigaction sa = {}, old = {};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    REQUIRE(sigaction(SIGUSR1, &sa, &old) == 0);
    Guest g;
    g.mem.resize(BUF + (1u << 20));
    int p[2];
    REQUIRE(pipe(p) == 0);
    uint32_t wfd = add_fd(g, p[1], Filetype::UNKNOWN, rights::FD_WRITE);
    Call c = g.call();
    g.put32(IOV, BUF);
    g.put32(IOV + 4, 1u << 20);
    std::atomic<bool> done{false};
    pthread_t self = pthread_self();
    std::thread kicker([&] {
        auto t0 = std::chrono::steady_clock::now();
        while (!done) {
            pthread_kill(self, SIGUSR1);
            usleep(1000);
            if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(5)) {
                char buf[65536];
                while (!done && read(p[0], buf, sizeof buf) > 0) {
                }
            }
        }
    });
    Errno e = fd_write(c, wfd, IOV, 1, OUT);
    done = true;
    REQUIRE(fd_close(c, wfd) == Errno::SUCCESS);  // the rescuer, if reading, sees EOF
    kicker.join();
    CHECK(e == Errno::SUCCESS);
    CHECK(g.u32(OUT) > 0);
    CHECK(g.u32(OUT) < (1u << 20));
    close(p[0]);
    sigaction(SIGUSR1, &old, nullptr);
}
