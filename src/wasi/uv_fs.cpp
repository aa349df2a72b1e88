// uv_fs.cpp: synchronous libuv file system requests (see uv_fs.h).
#include "wasi/uv_fs.h"

namespace lucet::wasi::uvfs {

namespace {

// One synchronous request: libuv fills req.result and may hold memory until
// uv_fs_req_cleanup. The uv_fs_* call returns req.result narrowed to int
// (a count of 2 GiB or more would look negative), so counts and errors are
// taken from req.result; only a request refused before any system call (no
// buffers, no memory) leaves req.result at 0 and returns an error.
struct Req {
    uv_fs_t req;
    Req() = default;
    Req(const Req &) = delete;
    Req &operator=(const Req &) = delete;
    ~Req() { uv_fs_req_cleanup(&req); }
};

}  // namespace

int64_t read(int fd, const uv_buf_t *bufs, unsigned n, int64_t offset) {
    for (;;) {
        Req r;
        int s = uv_fs_read(nullptr, &r.req, fd, bufs, n, offset, nullptr);
        if (r.req.result == UV_EINTR) continue;
        return s < 0 && r.req.result == 0 ? s : r.req.result;
    }
}

int64_t write(int fd, const uv_buf_t *bufs, unsigned n, int64_t offset) {
    Req r;
    int s = uv_fs_write(nullptr, &r.req, fd, bufs, n, offset, nullptr);
    return s < 0 && r.req.result == 0 ? s : r.req.result;
}

int fstat(int fd, uv_stat_t &out) {
    Req r;
    int s = uv_fs_fstat(nullptr, &r.req, fd, nullptr);
    if (s == 0) out = r.req.statbuf;
    return s;
}

int fsync(int fd) {
    Req r;
    return uv_fs_fsync(nullptr, &r.req, fd, nullptr);
}

int fdatasync(int fd) {
    Req r;
    return uv_fs_fdatasync(nullptr, &r.req, fd, nullptr);
}

int ftruncate(int fd, int64_t size) {
    Req r;
    return uv_fs_ftruncate(nullptr, &r.req, fd, size, nullptr);
}

int close(int fd) {
    Req r;
    return uv_fs_close(nullptr, &r.req, fd, nullptr);
}

}  // namespace lucet::wasi::uvfs
