// hostcalls.h: the WASI preview1 functions, implemented against a WasiCtx and
// a checked view of guest memory. They know nothing of the runtime, so unit
// tests can call them with a plain buffer as "guest memory"; imports.cpp wraps
// each one into a host function `uint32_t fn(lucet_vmctx *, args...)`.
//
// Parameter types follow the wasm-level signature in
// wasi_snapshot_preview1.witx: u8/u16/u32/pointers/sizes are i32 (uint32_t),
// u64/filesize/timestamp/dircookie are i64 (uint64_t).
#pragma once

#include <poll.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include <uv.h>

#include "wasi/guest_mem.h"
#include "wasi/path_resolve.h"
#include "wasi/wasi_ctx.h"

namespace lucet::wasi {

// Which module the guest imported the function from. The legacy
// "wasi_unstable" (preview 0) shares the implementation but differs in a few
// guest-visible encodings: $whence numbering (cur, end, set), $filestat
// (u32 nlink, 56 bytes), $subscription_clock (a u64 identifier first, 56-byte
// subscriptions) and no sock_accept right.
enum class Abi : uint8_t { Preview1, Preview0 };

struct Call {
    WasiCtx &ctx;
    GuestMem mem;
    Abi abi = Abi::Preview1;
    // Whether to give up a blocking wait (the runtime's kill switch is
    // pending for the calling instance); null: never. A wait interrupted by
    // a signal asks this and returns INTR, which the guest never sees: the
    // host-function wrapper then stops the guest (imports.cpp).
    bool (*cancelled)(void *) = nullptr;
    void *cancel_arg = nullptr;
    bool cancel_requested() const { return cancelled && cancelled(cancel_arg); }
};

// hostcalls_env.cpp
Errno args_get(Call &c, uint32_t argv, uint32_t argv_buf);
Errno args_sizes_get(Call &c, uint32_t argc_out, uint32_t argv_buf_size_out);
Errno environ_get(Call &c, uint32_t environ, uint32_t environ_buf);
Errno environ_sizes_get(Call &c, uint32_t count_out, uint32_t buf_size_out);
Errno clock_res_get(Call &c, uint32_t clock_id, uint32_t res_out);
Errno clock_time_get(Call &c, uint32_t clock_id, uint64_t precision, uint32_t time_out);
Errno random_get(Call &c, uint32_t buf, uint32_t buf_len);
Errno sched_yield(Call &c);

// hostcalls_fd.cpp
Errno fd_write(Call &c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nwritten_out);
Errno fd_read(Call &c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t nread_out);
Errno fd_pwrite(Call &c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset, uint32_t nwritten_out);
Errno fd_pread(Call &c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset, uint32_t nread_out);
Errno fd_seek(Call &c, uint32_t fd, uint64_t offset, uint32_t whence, uint32_t newoffset_out);
Errno fd_tell(Call &c, uint32_t fd, uint32_t offset_out);
Errno fd_close(Call &c, uint32_t fd);
Errno fd_fdstat_get(Call &c, uint32_t fd, uint32_t stat_out);
Errno fd_fdstat_set_flags(Call &c, uint32_t fd, uint32_t flags);
Errno fd_filestat_get(Call &c, uint32_t fd, uint32_t stat_out);
Errno fd_prestat_get(Call &c, uint32_t fd, uint32_t prestat_out);
Errno fd_prestat_dir_name(Call &c, uint32_t fd, uint32_t path, uint32_t path_len);
Errno fd_sync(Call &c, uint32_t fd);
Errno fd_datasync(Call &c, uint32_t fd);
Errno fd_readdir(Call &c, uint32_t fd, uint32_t buf, uint32_t buf_len, uint64_t cookie, uint32_t bufused_out);

// hostcalls_sock.cpp: sockets the guest inherited (no socket creation in
// preview1). BADF when fd is not open, NOTSOCK when it is not a socket,
// NOTCAPABLE when a right is missing, in that order.
Errno sock_shutdown(Call &c, uint32_t fd, uint32_t how);
Errno sock_accept(Call &c, uint32_t fd, uint32_t flags, uint32_t fd_out);
Errno sock_recv(Call &c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t ri_flags, uint32_t datalen_out,
                uint32_t oflags_out);
Errno sock_send(Call &c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t si_flags, uint32_t datalen_out);

// proc_raise: what the runtime does with a guest's raise(sig). The guest
// signal is never delivered to the host process; instead:
enum class RaiseAction {
    Invalid,    // not a $signal value: INVAL
    Ignore,     // $none, and signals whose POSIX default is to ignore (chld, cont, urg, winch): SUCCESS
    NotSup,     // stop signals (stop, tstp, ttin, ttou): no job control in the sandbox, NOTSUP
    Terminate,  // everything else: the instance terminates, exit status 128 + Linux signal number
};
RaiseAction raise_action(uint32_t sig, int &host_signo);

// hostcalls_fd_attr.cpp
Errno fd_advise(Call &c, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice);
Errno fd_allocate(Call &c, uint32_t fd, uint64_t offset, uint64_t len);
Errno fd_fdstat_set_rights(Call &c, uint32_t fd, uint64_t base, uint64_t inheriting);
Errno fd_filestat_set_size(Call &c, uint32_t fd, uint64_t size);
Errno fd_filestat_set_times(Call &c, uint32_t fd, uint64_t atim, uint64_t mtim, uint32_t fst_flags);
Errno fd_renumber(Call &c, uint32_t from, uint32_t to);

// hostcalls_poll.cpp
Errno poll_oneoff(Call &c, uint32_t in, uint32_t out, uint32_t nsubscriptions, uint32_t nevents_out);

// hostcalls_path_links.cpp
Errno path_filestat_set_times(Call &c, uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len,
                              uint64_t atim, uint64_t mtim, uint32_t fst_flags);
Errno path_rename(Call &c, uint32_t fd, uint32_t old_path, uint32_t old_len, uint32_t new_fd, uint32_t new_path,
                  uint32_t new_len);
Errno path_link(Call &c, uint32_t old_fd, uint32_t old_flags, uint32_t old_path, uint32_t old_len, uint32_t new_fd,
                uint32_t new_path, uint32_t new_len);
Errno path_symlink(Call &c, uint32_t old_path, uint32_t old_len, uint32_t fd, uint32_t new_path, uint32_t new_len);
Errno path_readlink(Call &c, uint32_t fd, uint32_t path, uint32_t path_len, uint32_t buf, uint32_t buf_len,
                    uint32_t bufused_out);

// hostcalls_path.cpp
Errno path_open(Call &c, uint32_t dirfd, uint32_t dirflags, uint32_t path, uint32_t path_len, uint32_t oflags,
                uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdflags, uint32_t fd_out);
Errno path_filestat_get(Call &c, uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len, uint32_t stat_out);
Errno path_create_directory(Call &c, uint32_t fd, uint32_t path, uint32_t path_len);
Errno path_unlink_file(Call &c, uint32_t fd, uint32_t path, uint32_t path_len);
Errno path_remove_directory(Call &c, uint32_t fd, uint32_t path, uint32_t path_len);

// Shared helpers (hostcalls_fd.cpp).
// The entry for `fd` if it is open and has all of `needed` rights:
// BADF when not open, NOTCAPABLE when a right is missing.
Errno fd_lookup(Call &c, uint32_t fd, uint64_t needed, FdEntry *&out);
// Writes a $filestat in the layout of c.abi, from libuv's uv_fs_fstat or
// from fstatat (path_filestat_get: libuv has no directory-relative stat).
bool write_filestat(const Call &c, uint32_t ptr, const uv_stat_t &st);
bool write_filestat(const Call &c, uint32_t ptr, const struct stat &st);
// Translates a guest (c)iovec array into host buffers into guest memory
// (bounds-checked; at most IOV_MAX entries, < 4 GiB in total).
Errno gather_iovecs(Call &c, uint32_t iovs, uint32_t iovs_len, std::vector<uv_buf_t> &out);
// libuv's uv_buf_t "may be cast to struct iovec" (uv/unix.h), for
// readv/writev/recvmsg/sendmsg.
static_assert(sizeof(uv_buf_t) == sizeof(struct iovec) && offsetof(uv_buf_t, base) == offsetof(struct iovec, iov_base) &&
              offsetof(uv_buf_t, len) == offsetof(struct iovec, iov_len));
inline struct iovec *as_iovecs(uv_buf_t *b) { return reinterpret_cast<struct iovec *>(b); }
// Before a read or write on `e` (events POLLIN or POLLOUT) on a pipe,
// terminal, socket or device: for a blocking guest fd, waits in ppoll until
// it is ready; for a non-blocking one (FdEntry::nonblock) only looks, and
// gives AGAIN when it is not ready. ppoll fails with EINTR on a signal even
// under SA_RESTART (a blocking read/write would silently restart), so a
// pending kill is seen: INTR then.
Errno wait_ready(Call &c, const FdEntry &e, short events);
// ppoll(fds, n, timeout) that, interrupted by a signal, gives up with INTR
// when the call is cancelled (a pending kill: the runtime re-sends its
// signal meanwhile) and otherwise restarts; `ready` gets ppoll's count.
Errno ppoll_cancellable(Call &c, struct pollfd *fds, unsigned long n, const struct timespec *timeout, int &ready);
// Timestamps for utimensat from a $fstflags request (hostcalls_fd_attr.cpp).
Errno make_timespecs(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);
// The start of every path_* call (hostcalls_path.cpp): looks up directory fd
// `fd` with `needed` rights, reads the guest path and resolves it beneath it.
Errno resolve_in(Call &c, uint32_t fd, uint64_t needed, uint32_t path, uint32_t path_len, FinalLink final_link,
                 ResolvedPath &out);
// For a call that creates an entry named "x/" or "x/.": EXIST when x exists
// (as Linux answers, also for a dangling symlink x), else the lookup's errno.
Errno slash_create_target(const ResolvedPath &rp);
// For a call on an entry that must be a directory, looked at itself (never a
// symlink's target): `if_dir` when it is one, NOTDIR when it is something
// else, the lookup's errno when it is missing.
Errno entry_dir_or(const ResolvedPath &rp, Errno if_dir);

}  // namespace lucet::wasi
