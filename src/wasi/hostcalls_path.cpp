// hostcalls_path.cpp: operations on paths beneath a directory descriptor.
// Every path goes through resolve_path (see path_resolve.h); the final
// operation is an *at() call that does not follow symlinks.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "wasi/wasi_errno.h"
#include "wasi/hostcalls.h"
#include "wasi/path_resolve.h"
#include "wasi/uv_fs.h"

namespace lucet::wasi {

Errno resolve_in(Call &c, uint32_t fd, uint64_t needed, uint32_t path, uint32_t path_len, FinalLink final_link,
                 ResolvedPath &out) {
    FdEntry *d;
    if (Errno r = fd_lookup(c, fd, needed, d); r != Errno::SUCCESS) return r;
    if (d->type != Filetype::DIRECTORY) return Errno::NOTDIR;
    std::string_view p;
    if (!c.mem.string(path, path_len, p)) return Errno::FAULT;
    return resolve_path(d->host_fd, p, final_link, out);
}

namespace {

// The resolved entry itself (never a symlink's target).
Errno lstat_entry(const ResolvedPath &rp, struct stat &st) {
    return fstatat(rp.dirfd, rp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 ? Errno::SUCCESS
                                                                             : errno_from_host(errno);
}

// Opens rp with `flags` so that the call never blocks beyond the guest's
// control: opening a FIFO waits for its other end and opening a leased file
// for the lease's break, and neither wait can be interrupted under the
// runtime's SA_RESTART kill signal. So the open itself is non-blocking, and
// for a blocking open (the guest did not ask for nonblock) the wait happens
// here, cancellably (a pending kill gives INTR):
//  - a FIFO opened read-only opens at once; then wait until a writer has
//    been there: data (POLLIN) or a writer that came and went (POLLHUP). A
//    writer that opened but wrote nothing yet is not seen: the open returns
//    with its first data.
//  - a FIFO opened write-only without a reader is ENXIO, a lease being
//    broken EWOULDBLOCK: retried, sleeping 1 ms doubling up to 50 ms.
// O_NONBLOCK is then cleared: a guest's nonblock is FdEntry::nonblock.
// `mode` gets the opened file's st_mode (from uv_fs_fstat).
Errno open_cancellable(Call &c, const ResolvedPath &rp, int flags, bool nonblock, int &fd, unsigned &mode) {
    long delay_ns = 1000000;
    for (;;) {
        fd = openat(rp.dirfd, rp.name.c_str(), flags | O_NONBLOCK, 0666);
        if (fd >= 0) break;
        int err = errno;
        if (err == EINTR) continue;
        bool retry = !nonblock && err == EWOULDBLOCK;
        struct stat st;
        if (!nonblock && err == ENXIO && (flags & O_ACCMODE) == O_WRONLY)
            retry = fstatat(rp.dirfd, rp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(st.st_mode);
        if (!retry) return errno_from_host(err);
        if (c.cancel_requested()) return Errno::INTR;
        struct timespec ts = {0, delay_ns};
        int ready;
        if (Errno r = ppoll_cancellable(c, nullptr, 0, &ts, ready); r != Errno::SUCCESS) return r;
        delay_ns = std::min(delay_ns * 2, 50000000L);
    }
    // From here on the caller's FdEntry owns fd and closes it on every error.
    uv_stat_t st;
    if (int r = uvfs::fstat(fd, st); r != 0) return errno_from_uv(r);
    mode = static_cast<unsigned>(st.st_mode);
    if (!nonblock && S_ISFIFO(mode) && (flags & O_ACCMODE) == O_RDONLY) {
        struct pollfd p = {fd, POLLIN, 0};
        int ready;
        if (Errno r = ppoll_cancellable(c, &p, 1, nullptr, ready); r != Errno::SUCCESS) return r;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) return errno_from_host(errno);
    return Errno::SUCCESS;
}

}  // namespace

Errno entry_dir_or(const ResolvedPath &rp, Errno if_dir) {
    struct stat st;
    if (Errno r = lstat_entry(rp, st); r != Errno::SUCCESS) return r;
    return S_ISDIR(st.st_mode) ? if_dir : Errno::NOTDIR;
}

Errno slash_create_target(const ResolvedPath &rp) {
    struct stat st;
    Errno r = lstat_entry(rp, st);
    return r == Errno::SUCCESS ? Errno::EXIST : r;
}

Errno path_open(Call &c, uint32_t dirfd, uint32_t dirflags, uint32_t path, uint32_t path_len, uint32_t of,
                uint64_t rights_base, uint64_t rights_inheriting, uint32_t fdf, uint32_t fd_out) {
    FinalLink final_link;
    if (Errno r = final_link_of(dirflags, final_link); r != Errno::SUCCESS) return r;
    if (of & ~uint32_t(oflags::ALL)) return Errno::INVAL;
    if (fdf & ~uint32_t(fdflags::ALL)) return Errno::INVAL;
    FdEntry *d;
    uint64_t needed = rights::PATH_OPEN;
    if (of & oflags::CREAT) needed |= rights::PATH_CREATE_FILE;
    if (of & oflags::TRUNC) needed |= rights::PATH_FILESTAT_SET_SIZE;
    if (Errno r = fd_lookup(c, dirfd, needed, d); r != Errno::SUCCESS) return r;
    if (!c.mem.in_bounds(fd_out, 4)) return Errno::FAULT;

    // The new descriptor gets what was asked for, within what the directory
    // may hand out. (wasi-libc asks for "everything but" masks with unknown
    // high bits set, so asking for more is not an error: it is narrowed.)
    uint64_t base = rights_base & d->rights_inheriting;
    uint64_t inheriting = rights_inheriting & d->rights_inheriting;
    // Except opening for writing where the directory cannot grant it (a
    // read-only preopen): refused, as wasmtime does, rather than opened
    // read-only for writes that would all fail later.
    // (oflags.directory with fd_write: ISDIR below, as for any directory.)
    if (!(of & oflags::DIRECTORY) && (rights_base & rights::OPEN_FOR_WRITE & ~d->rights_inheriting))
        return Errno::PERM;

    ResolvedPath rp;
    if (Errno r = resolve_in(c, dirfd, needed, path, path_len, final_link, rp); r != Errno::SUCCESS)
        return r;
    // "x/" with creat: Linux says EISDIR whatever x is (openat with
    // O_CREAT | O_DIRECTORY would be EINVAL, or create a file on old kernels).
    if (rp.must_be_dir && (of & oflags::CREAT)) return Errno::ISDIR;

    bool want_read = base & (rights::FD_READ | rights::FD_READDIR);
    bool want_write = base & (rights::FD_WRITE | rights::FD_DATASYNC | rights::FD_ALLOCATE |
                              rights::FD_FILESTAT_SET_SIZE);
    // O_NOCTTY: a terminal in a preopen never becomes the host's controlling
    // terminal (whose hangup would then kill it).
    int flags = O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
    if (of & oflags::DIRECTORY)
        flags |= O_RDONLY | O_DIRECTORY;
    else if (want_write)
        flags |= want_read ? O_RDWR : O_WRONLY;
    else
        flags |= O_RDONLY;
    if (rp.must_be_dir) flags |= O_DIRECTORY;
    if (of & oflags::CREAT) flags |= O_CREAT;
    if (of & oflags::EXCL) flags |= O_EXCL;
    if (of & oflags::TRUNC) flags |= O_TRUNC;
    if (fdf & fdflags::APPEND) flags |= O_APPEND;
    if (fdf & fdflags::DSYNC) flags |= O_DSYNC;
    if (fdf & fdflags::RSYNC) flags |= O_RSYNC;
    if (fdf & fdflags::SYNC) flags |= O_SYNC;

    if (c.ctx.full()) return Errno::NFILE;
    auto e = std::make_unique<FdEntry>();
    e->nonblock = fdf & fdflags::NONBLOCK;
    unsigned mode = 0;
    if (Errno r = open_cancellable(c, rp, flags, e->nonblock, e->host_fd, mode); r != Errno::SUCCESS) return r;
    e->type = filetype_from_mode(mode);
    // A directory cannot be opened for writing: asking for fd_write on one
    // is ISDIR, with or without oflags.directory (as open(2) and wasmtime
    // say), even where the directory's rights would have narrowed it away.
    if (e->type == Filetype::DIRECTORY && (rights_base & rights::FD_WRITE)) return Errno::ISDIR;  // e closes
    if (e->type == Filetype::DIRECTORY) {
        e->rights_base = base & rights::DIRECTORY_BASE;
        e->rights_inheriting = inheriting;
    } else {
        e->rights_base = base & rights::REGULAR_FILE_BASE;
        e->rights_inheriting = 0;
    }
    uint32_t nfd;
    if (Errno r = c.ctx.insert(std::move(e), nfd); r != Errno::SUCCESS) return r;
    c.mem.write<uint32_t>(fd_out, nfd);
    return Errno::SUCCESS;
}

Errno path_filestat_get(Call &c, uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len, uint32_t out) {
    FinalLink final_link;
    if (Errno r = final_link_of(flags, final_link); r != Errno::SUCCESS) return r;
    ResolvedPath rp;
    if (Errno r = resolve_in(c, fd, rights::PATH_FILESTAT_GET, path, path_len, final_link, rp);
        r != Errno::SUCCESS)
        return r;
    struct stat st;
    if (fstatat(rp.dirfd, rp.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_from_host(errno);
    if (rp.must_be_dir && !S_ISDIR(st.st_mode)) return Errno::NOTDIR;
    return write_filestat(c, out, st) ? Errno::SUCCESS : Errno::FAULT;
}

Errno path_create_directory(Call &c, uint32_t fd, uint32_t path, uint32_t path_len) {
    ResolvedPath rp;
    if (Errno r = resolve_in(c, fd, rights::PATH_CREATE_DIRECTORY, path, path_len, FinalLink::Entry, rp);
        r != Errno::SUCCESS)
        return r;
    // "d/." names d itself: EXIST, or NOTDIR when d is a file.
    if (rp.dot_final) return entry_dir_or(rp, Errno::EXIST);
    if (mkdirat(rp.dirfd, rp.name.c_str(), 0777) != 0) return errno_from_host(errno);
    return Errno::SUCCESS;
}

Errno path_unlink_file(Call &c, uint32_t fd, uint32_t path, uint32_t path_len) {
    ResolvedPath rp;
    if (Errno r = resolve_in(c, fd, rights::PATH_UNLINK_FILE, path, path_len, FinalLink::Entry, rp);
        r != Errno::SUCCESS)
        return r;
    // "x/" or "x/." names a directory: unlinking it as a file is ISDIR if it
    // is one, NOTDIR otherwise (a symlink "x" included, as on Linux).
    if (rp.must_be_dir) return entry_dir_or(rp, Errno::ISDIR);
    if (unlinkat(rp.dirfd, rp.name.c_str(), 0) != 0) return errno_from_host(errno);
    return Errno::SUCCESS;
}

Errno path_remove_directory(Call &c, uint32_t fd, uint32_t path, uint32_t path_len) {
    ResolvedPath rp;
    if (Errno r = resolve_in(c, fd, rights::PATH_REMOVE_DIRECTORY, path, path_len, FinalLink::Entry, rp);
        r != Errno::SUCCESS)
        return r;
    // POSIX: a final "." or ".." is INVAL (after NOTDIR for "file/.").
    if (rp.dot_final) return entry_dir_or(rp, Errno::INVAL);
    if (unlinkat(rp.dirfd, rp.name.c_str(), AT_REMOVEDIR) != 0) return errno_from_host(errno);
    return Errno::SUCCESS;
}

}  // namespace lucet::wasi
