// hostcalls_fd_attr.cpp: descriptor attributes: advice, allocation, rights,
// size, timestamps, renumbering.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/io_signals.h"
#include "wasi/hostcalls.h"
#include "wasi/uv_fs.h"
#include "wasi/wasi_errno.h"

namespace lucet::wasi {

Errno fd_advise(Call &c, uint32_t fd, uint64_t offset, uint64_t len, uint32_t advice) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_ADVISE, e); r != Errno::SUCCESS) return r;
    int a;
    switch (advice) {  // $advice: normal, sequential, random, willneed, dontneed, noreuse
    case 0: a = POSIX_FADV_NORMAL; break;
    case 1: a = POSIX_FADV_SEQUENTIAL; break;
    case 2: a = POSIX_FADV_RANDOM; break;
    case 3: a = POSIX_FADV_WILLNEED; break;
    case 4: a = POSIX_FADV_DONTNEED; break;
    case 5: a = POSIX_FADV_NOREUSE; break;
    default: return Errno::INVAL;
    }
    if (offset > uint64_t(INT64_MAX) || len > uint64_t(INT64_MAX)) return Errno::INVAL;
    // Advice on something that is not a file is meaningless, not an error.
    if (e->type != Filetype::REGULAR_FILE) return Errno::SUCCESS;
    int r = posix_fadvise(e->host_fd, static_cast<off_t>(offset), static_cast<off_t>(len), a);
    return r == 0 ? Errno::SUCCESS : errno_from_host(r);
}

Errno fd_allocate(Call &c, uint32_t fd, uint64_t offset, uint64_t len) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_ALLOCATE, e); r != Errno::SUCCESS) return r;
    if (offset > uint64_t(INT64_MAX) || len > uint64_t(INT64_MAX) - offset) return Errno::FBIG;
    int r = growing_file([&] { return posix_fallocate(e->host_fd, static_cast<off_t>(offset), static_cast<off_t>(len)); });
    return r == 0 ? Errno::SUCCESS : errno_from_host(r);
}

Errno fd_fdstat_set_rights(Call &c, uint32_t fd, uint64_t base, uint64_t inheriting) {
    FdEntry *e = c.ctx.get(fd);
    if (!e) return Errno::BADF;
    // Rights can only be dropped, never gained.
    if ((base & ~e->rights_base) || (inheriting & ~e->rights_inheriting)) return Errno::NOTCAPABLE;
    e->rights_base = base;
    e->rights_inheriting = inheriting;
    return Errno::SUCCESS;
}

Errno fd_filestat_set_size(Call &c, uint32_t fd, uint64_t size) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_FILESTAT_SET_SIZE, e); r != Errno::SUCCESS) return r;
    if (size > uint64_t(INT64_MAX)) return Errno::FBIG;
    return errno_from_uv(growing_file([&] { return uvfs::ftruncate(e->host_fd, static_cast<int64_t>(size)); }));
}

Errno make_timespecs(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]) {
    // $fstflags: atim = 1, atim_now = 2, mtim = 4, mtim_now = 8.
    if (fst & ~0xfu) return Errno::INVAL;
    if ((fst & 3) == 3 || (fst & 12) == 12) return Errno::INVAL;
    auto set = [](struct timespec &t, bool given, bool now, uint64_t ns) {
        if (now)
            t = {0, UTIME_NOW};
        else if (given)
            t = {static_cast<time_t>(ns / 1000000000ull), static_cast<long>(ns % 1000000000ull)};
        else
            t = {0, UTIME_OMIT};
    };
    set(ts[0], fst & 1, fst & 2, atim);
    set(ts[1], fst & 4, fst & 8, mtim);
    return Errno::SUCCESS;
}

Errno fd_filestat_set_times(Call &c, uint32_t fd, uint64_t atim, uint64_t mtim, uint32_t fst) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_FILESTAT_SET_TIMES, e); r != Errno::SUCCESS) return r;
    struct timespec ts[2];
    if (Errno r = make_timespecs(atim, mtim, fst, ts); r != Errno::SUCCESS) return r;
    // Not uv_fs_futime: libuv 1.44 takes seconds as a double and truncates
    // to microseconds, and has no "now" or "omit" (UTIME_NOW, UTIME_OMIT).
    return futimens(e->host_fd, ts) == 0 ? Errno::SUCCESS : errno_from_host(errno);
}

Errno fd_renumber(Call &c, uint32_t from, uint32_t to) { return c.ctx.renumber(from, to); }

}  // namespace lucet::wasi
