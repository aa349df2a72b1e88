// wasi_core_test_util.h: what the unit tests of the WASI hostcalls share: a
// plain buffer standing in for guest memory with its WasiCtx, a temporary
// directory, and small wrappers for path_open / fd_write / fd_read.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "wasi/hostcalls.h"
#include "wasi/wasi_errno.h"

using namespace lucet::wasi;
namespace fs = std::filesystem;

namespace {

constexpr uint32_t kMemSize = 65536;

struct Guest {
    std::vector<uint8_t> mem = std::vector<uint8_t>(kMemSize, 0);
    WasiCtx ctx;
    Call call() { return Call{ctx, GuestMem(mem.data(), mem.size())}; }

    uint32_t u32(uint32_t at) const {
        uint32_t v;
        std::memcpy(&v, mem.data() + at, 4);
        return v;
    }
    uint64_t u64(uint32_t at) const {
        uint64_t v;
        std::memcpy(&v, mem.data() + at, 8);
        return v;
    }
    void put32(uint32_t at, uint32_t v) { std::memcpy(mem.data() + at, &v, 4); }
    // Puts a string at `at`, returns its length.
    uint32_t put(uint32_t at, const std::string &s) {
        std::memcpy(mem.data() + at, s.data(), s.size());
        return static_cast<uint32_t>(s.size());
    }
    std::string str(uint32_t at, uint32_t len) const { return std::string(mem.begin() + at, mem.begin() + at + len); }
};

// A fresh temporary directory, removed at the end of the test.
struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/lucet-wasi-test-XXXXXX";
        REQUIRE(mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

constexpr uint32_t PATH = 1024;  // where tests put path strings
constexpr uint32_t OUT = 2048;   // out-parameters
constexpr uint32_t IOV = 3072;   // iovec arrays
constexpr uint32_t BUF = 4096;   // data buffers

// path_open with all rights by default (narrowed by the preopen; a directory
// needs rights without fd_write).
Errno open_path(Guest &g, uint32_t dirfd, const std::string &p, uint32_t oflags, uint32_t &fd,
                uint32_t lookup = lookupflags::SYMLINK_FOLLOW, uint64_t rights = ~0ull) {
    Call c = g.call();
    uint32_t len = g.put(PATH, p);
    Errno e = path_open(c, dirfd, lookup, PATH, len, oflags, rights, ~0ull, 0, OUT);
    fd = g.u32(OUT);
    return e;
}

Errno write_str(Guest &g, uint32_t fd, const std::string &s, uint32_t &n) {
    Call c = g.call();
    uint32_t len = g.put(BUF, s);
    g.put32(IOV, BUF);
    g.put32(IOV + 4, len);
    Errno e = fd_write(c, fd, IOV, 1, OUT);
    n = g.u32(OUT);
    return e;
}

// Hands the guest host_fd (not a duplicate) as a new fd of `type` with base
// rights `rights`.
inline uint32_t add_fd(Guest &g, int host_fd, Filetype type, uint64_t rights) {
    auto e = std::make_unique<FdEntry>();
    e->host_fd = host_fd;
    e->type = type;
    e->rights_base = rights;
    uint32_t fd = 0;
    REQUIRE(g.ctx.insert(std::move(e), fd) == Errno::SUCCESS);
    return fd;
}

Errno read_str(Guest &g, uint32_t fd, uint32_t max, std::string &out) {
    Call c = g.call();
    g.put32(IOV, BUF);
    g.put32(IOV + 4, max);
    Errno e = fd_read(c, fd, IOV, 1, OUT);
    out = e == Errno::SUCCESS ? g.str(BUF, g.u32(OUT)) : std::string();
    return e;
}

}  // namespace
