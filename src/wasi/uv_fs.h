// uv_fs.h: the descriptor operations WASI performs through libuv's file
// system API (uv_fs_*), in synchronous mode: no loop and no callback, so
// each call runs on the calling thread and is a thin wrapper around one
// system call (libuv's own uv_fs_copyfile calls uv_fs_open the same way).
// Each returns what the system call returned (a byte count, or 0) or a
// negative UV_E* status, for errno_from_uv. Which WASI operations go through
// here and which stay raw system calls, and why: README "WASI and libuv".
#pragma once

#include <cstdint>

#include <uv.h>

namespace lucet::wasi::uvfs {

// read/readv (offset -1: at the file position) or pread/preadv (offset >= 0:
// ESPIPE on a pipe) into n >= 1 buffers, at most IOV_MAX of them (libuv drops
// the rest). One system call; EINTR is restarted here (libuv leaves a read's
// EINTR to its caller).
int64_t read(int fd, const uv_buf_t *bufs, unsigned n, int64_t offset);
// write/writev or pwrite/pwritev of n >= 1 buffers. libuv writes until all
// is written, an error, or no progress (uv__fs_write_all): a short count only
// when a later call failed (disk full, EAGAIN on a non-blocking description),
// never an error after some bytes went. EINTR is restarted by libuv.
int64_t write(int fd, const uv_buf_t *bufs, unsigned n, int64_t offset);
// fstat (statx on Linux, fstat where statx is missing or refused).
int fstat(int fd, uv_stat_t &out);
int fsync(int fd);
int fdatasync(int fd);
int ftruncate(int fd, int64_t size);
// close: EINTR and EINPROGRESS count as closed (Linux has released the fd).
int close(int fd);

}  // namespace lucet::wasi::uvfs
