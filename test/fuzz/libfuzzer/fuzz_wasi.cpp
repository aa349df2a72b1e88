// fuzz_wasi.cpp: libFuzzer harness for the WASI host calls (src/wasi). Each
// input is a program of calls, picked by a selector byte, with fuzz-chosen
// arguments over a real 64 KiB guest memory buffer and a real WasiCtx: a
// preopened scratch directory (reset before every input) and /dev/null as a
// stream fd (guest fds 3 and 4; 0-2 stay closed). Built with clang++
// -fsanitize=fuzzer,address,undefined by build_harness.py (meson.build here).
//
// Input: [flags byte: bit 0 = preview0 ABI] [initial memory: length byte *
// 64, then that many bytes at offset 0] then calls until the input ends.
// Two things are tamed so that a run never sleeps or fills the disk, without
// hiding any parsing: poll_oneoff's clock timeouts are cut to at most 1 µs
// (absolute ones to 0) in guest memory before the call, and fd_allocate's
// offset and length to under 64 KiB. No stdio is inherited (a read of the fuzzer's own
// stdin could block) and no sockets exist (no network).
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "wasi/hostcalls.h"

using namespace lucet::wasi;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kMemSize = 64 << 10;

class Input {
public:
    Input(const uint8_t *p, size_t n) : p_(p), n_(n) {}
    bool empty() const { return n_ == 0; }
    uint8_t u8() {
        if (!n_) return 0;
        n_--;
        return *p_++;
    }
    uint64_t raw(int bytes) {
        uint64_t v = 0;
        for (int i = 0; i < bytes; i++) v |= uint64_t(u8()) << (8 * i);
        return v;
    }
    // Mostly small values (pointers into the first pages, fds, lengths),
    // sometimes any 32-bit value.
    uint32_t u32() {
        uint8_t k = u8();
        if (k < 0xe0) return static_cast<uint32_t>(raw(k & 1 ? 2 : 1));
        return static_cast<uint32_t>(raw(4));
    }
    uint64_t u64() { return u8() < 0xe0 ? raw(2) : raw(8); }
    const uint8_t *take(size_t want, size_t &got) {
        got = want < n_ ? want : n_;
        const uint8_t *at = p_;
        p_ += got;
        n_ -= got;
        return at;
    }

private:
    const uint8_t *p_;
    size_t n_;
};

// Never destroyed: the atexit handler removing it runs after static destructors.
const std::string &scratch() {
    static const std::string *dir = [] {
        // On tmpfs when there is one: fd_sync and file creation cost no disk I/O.
        const char *base = std::getenv("LUCET_FUZZ_SCRATCH");
        if (!base || !*base) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        std::string tmpl = std::string(base) + "/lucet-fuzz-wasi-XXXXXX";
        if (!mkdtemp(tmpl.data())) std::abort();
        std::atexit([] { std::error_code ec; fs::remove_all(scratch(), ec); });
        return new std::string(tmpl);
    }();
    return *dir;
}

// The sandbox every input starts from: a file, a directory with a file, a
// symlink inside and one pointing outside.
void reset_sandbox(const std::string &root) {
    std::error_code ec;
    fs::remove_all(root, ec);
    fs::create_directories(root + "/sub", ec);
    std::ofstream(root + "/a.txt") << "hello, fuzz\n";
    std::ofstream(root + "/sub/b.txt") << "bbb";
    fs::create_symlink("sub/b.txt", root + "/link", ec);
    fs::create_symlink("../../etc/passwd", root + "/out", ec);
}

void tame_poll(Call &c, uint32_t in, uint32_t nsubs) {
    const bool p0 = c.abi == Abi::Preview0;
    const uint32_t size = p0 ? 56 : 48, timeout_at = p0 ? 32 : 24, flags_at = p0 ? 48 : 40;
    for (uint64_t i = 0; i < nsubs && i < kMemSize / size; i++) {
        uint64_t at = in + i * size;
        uint8_t tag = 1;
        uint16_t flags = 0;
        uint64_t timeout = 0;
        if (!c.mem.read(at + 8, tag) || tag != 0) continue;
        c.mem.read(at + flags_at, flags);
        c.mem.read(at + timeout_at, timeout);
        timeout = (flags & 1) ? 0 : (timeout > 1000 ? 1000 : timeout);
        c.mem.write(at + timeout_at, timeout);
    }
}

void run_call(Call &c, uint8_t sel, Input &in) {
    switch (sel % 48) {
    case 0: { // write bytes into guest memory
        uint32_t at = in.u32() % kMemSize;
        size_t got = 0;
        const uint8_t *p = in.take(in.u8(), got);
        c.mem.write_bytes(at, p, got < kMemSize - at ? got : kMemSize - at);
        break;
    }
    case 1: args_get(c, in.u32(), in.u32()); break;
    case 2: args_sizes_get(c, in.u32(), in.u32()); break;
    case 3: environ_get(c, in.u32(), in.u32()); break;
    case 4: environ_sizes_get(c, in.u32(), in.u32()); break;
    case 5: clock_res_get(c, in.u32(), in.u32()); break;
    case 6: { uint32_t id = in.u32(); uint64_t prec = in.u64(); clock_time_get(c, id, prec, in.u32()); break; }
    case 7: random_get(c, in.u32(), in.u32()); break;
    case 8: sched_yield(c); break;
    case 9: { uint32_t fd = in.u32(), iovs = in.u32(), n = in.u32(); fd_write(c, fd, iovs, n, in.u32()); break; }
    case 10: { uint32_t fd = in.u32(), iovs = in.u32(), n = in.u32(); fd_read(c, fd, iovs, n, in.u32()); break; }
    case 11: {
        uint32_t fd = in.u32(), iovs = in.u32(), n = in.u32();
        uint64_t off = in.u64();
        fd_pwrite(c, fd, iovs, n, off, in.u32());
        break;
    }
    case 12: {
        uint32_t fd = in.u32(), iovs = in.u32(), n = in.u32();
        uint64_t off = in.u64();
        fd_pread(c, fd, iovs, n, off, in.u32());
        break;
    }
    case 13: { uint32_t fd = in.u32(); uint64_t off = in.u64(); uint32_t wh = in.u32(); fd_seek(c, fd, off, wh, in.u32()); break; }
    case 14: { uint32_t fd = in.u32(); fd_tell(c, fd, in.u32()); break; }
    case 15: fd_close(c, in.u32()); break;
    case 16: { uint32_t fd = in.u32(); fd_fdstat_get(c, fd, in.u32()); break; }
    case 17: { uint32_t fd = in.u32(); fd_fdstat_set_flags(c, fd, in.u32()); break; }
    case 18: { uint32_t fd = in.u32(); fd_filestat_get(c, fd, in.u32()); break; }
    case 19: { uint32_t fd = in.u32(); fd_prestat_get(c, fd, in.u32()); break; }
    case 20: { uint32_t fd = in.u32(), p = in.u32(); fd_prestat_dir_name(c, fd, p, in.u32()); break; }
    case 21: fd_sync(c, in.u32()); break;
    case 22: fd_datasync(c, in.u32()); break;
    case 23: {
        uint32_t fd = in.u32(), buf = in.u32(), len = in.u32();
        uint64_t cookie = in.u64();
        fd_readdir(c, fd, buf, len, cookie, in.u32());
        break;
    }
    case 24: { uint32_t fd = in.u32(); fd_advise(c, fd, in.u64(), in.u64(), in.u32()); break; }
    case 25: {
        uint32_t fd = in.u32();
        uint64_t off = in.u64() % (1 << 16), len = in.u64() % (1 << 16);
        fd_allocate(c, fd, off, len);
        break;
    }
    case 26: { uint32_t fd = in.u32(); uint64_t b = in.u64(); fd_fdstat_set_rights(c, fd, b, in.u64()); break; }
    case 27: { uint32_t fd = in.u32(); fd_filestat_set_size(c, fd, in.u64()); break; }
    case 28: {
        uint32_t fd = in.u32();
        uint64_t a = in.u64(), m = in.u64();
        fd_filestat_set_times(c, fd, a, m, in.u32());
        break;
    }
    case 29: { uint32_t from = in.u32(); fd_renumber(c, from, in.u32()); break; }
    case 30: {
        uint32_t sin = in.u32(), out = in.u32(), n = in.u32() % 64;
        tame_poll(c, sin, n);
        poll_oneoff(c, sin, out, n, in.u32());
        break;
    }
    case 31: { int signo = 0; raise_action(in.u32(), signo); break; }
    case 32: { uint32_t fd = in.u32(), how = in.u32(); sock_shutdown(c, fd, how); break; }
    case 33: { uint32_t fd = in.u32(), fl = in.u32(); sock_accept(c, fd, fl, in.u32()); break; }
    case 34: {
        uint32_t fd = in.u32(), iovs = in.u32(), n = in.u32(), fl = in.u32(), dl = in.u32();
        sock_recv(c, fd, iovs, n, fl, dl, in.u32());
        break;
    }
    case 35: {
        uint32_t fd = in.u32(), iovs = in.u32(), n = in.u32(), fl = in.u32();
        sock_send(c, fd, iovs, n, fl, in.u32());
        break;
    }
    case 36: {
        uint32_t fd = in.u32(), dirflags = in.u32(), p = in.u32(), len = in.u32(), of = in.u32();
        uint64_t rb = in.u64(), ri = in.u64();
        uint32_t ff = in.u32();
        path_open(c, fd, dirflags, p, len, of, rb, ri, ff, in.u32());
        break;
    }
    case 37: {
        uint32_t fd = in.u32(), fl = in.u32(), p = in.u32(), len = in.u32();
        path_filestat_get(c, fd, fl, p, len, in.u32());
        break;
    }
    case 38: { uint32_t fd = in.u32(), p = in.u32(); path_create_directory(c, fd, p, in.u32()); break; }
    case 39: { uint32_t fd = in.u32(), p = in.u32(); path_unlink_file(c, fd, p, in.u32()); break; }
    case 40: { uint32_t fd = in.u32(), p = in.u32(); path_remove_directory(c, fd, p, in.u32()); break; }
    case 41: {
        uint32_t fd = in.u32(), fl = in.u32(), p = in.u32(), len = in.u32();
        uint64_t a = in.u64(), m = in.u64();
        path_filestat_set_times(c, fd, fl, p, len, a, m, in.u32());
        break;
    }
    case 42: {
        uint32_t fd = in.u32(), op = in.u32(), ol = in.u32(), nfd = in.u32(), np = in.u32();
        path_rename(c, fd, op, ol, nfd, np, in.u32());
        break;
    }
    case 43: {
        uint32_t ofd = in.u32(), ofl = in.u32(), op = in.u32(), ol = in.u32(), nfd = in.u32(), np = in.u32();
        path_link(c, ofd, ofl, op, ol, nfd, np, in.u32());
        break;
    }
    case 44: {
        uint32_t op = in.u32(), ol = in.u32(), fd = in.u32(), np = in.u32();
        path_symlink(c, op, ol, fd, np, in.u32());
        break;
    }
    case 45: {
        uint32_t fd = in.u32(), p = in.u32(), len = in.u32(), buf = in.u32(), bl = in.u32();
        path_readlink(c, fd, p, len, buf, bl, in.u32());
        break;
    }
    case 46: { // write a path string at a pointer (helps the fuzzer build paths)
        static const char *const names[] = {"a.txt", "sub", "sub/b.txt", "link", "out", "..", ".", "new", "sub/../a.txt",
                                            "link/", "/etc", "x/y/z"};
        uint32_t at = in.u32() % kMemSize;
        const char *n = names[in.u8() % (sizeof names / sizeof *names)];
        c.mem.write_bytes(at, n, std::strlen(n));
        break;
    }
    default: { // an iovec {buf, len} at a pointer
        uint32_t at = in.u32(), buf = in.u32();
        c.mem.write(at, buf);
        c.mem.write(uint64_t(at) + 4, in.u32());
        break;
    }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static std::vector<uint8_t> mem(kMemSize);
    const std::string root = scratch() + "/root";
    reset_sandbox(root);
    std::fill(mem.begin(), mem.end(), 0);
    Input in(data, size);
    WasiCtx ctx;
    ctx.set_args({"fuzz", "arg one"});
    ctx.set_env({"A=1", "PATH=/bin"});
    if (!ctx.preopen_dir("/sandbox", root).ok()) std::abort();
    auto null = std::make_unique<FdEntry>();
    null->host_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    null->type = Filetype::CHARACTER_DEVICE;
    null->rights_base = null->rights_inheriting = rights::ALL;
    uint32_t null_fd = 0;
    if (null->host_fd < 0 || ctx.insert(std::move(null), null_fd) != Errno::SUCCESS) std::abort();
    Call c{ctx, GuestMem(mem.data(), mem.size())};
    c.abi = (in.u8() & 1) ? Abi::Preview0 : Abi::Preview1;
    size_t got = 0;
    const uint8_t *init = in.take(size_t(in.u8()) * 64, got);
    std::memcpy(mem.data(), init, got);
    for (int calls = 0; !in.empty() && calls < 256; calls++) run_call(c, in.u8(), in);
    return 0;
}
