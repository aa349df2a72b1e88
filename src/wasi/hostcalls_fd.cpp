// hostcalls_fd.cpp: operations on open descriptors.
#include <fcntl.h>
#include <sys/syscall.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <cstring>
#include <vector>

#include "wasi/wasi_errno.h"
#include "wasi/hostcalls.h"
#include "wasi/io_signals.h"
#include "wasi/uv_fs.h"

namespace lucet::wasi {

Errno fd_lookup(Call &c, uint32_t fd, uint64_t needed, FdEntry *&out) {
    FdEntry *e = c.ctx.get(fd);
    if (!e) return Errno::BADF;
    if (!e->has(needed)) return Errno::NOTCAPABLE;
    out = e;
    return Errno::SUCCESS;
}

Errno ppoll_cancellable(Call &c, struct pollfd *fds, unsigned long n, const struct timespec *timeout, int &ready) {
    for (;;) {
        ready = ppoll(fds, n, timeout, nullptr);
        if (ready >= 0) return Errno::SUCCESS;
        if (errno != EINTR) return errno_from_host(errno);
        if (c.cancel_requested()) return Errno::INTR;
    }
}

Errno wait_ready(Call &c, const FdEntry &e, short events) {
    if (e.type == Filetype::REGULAR_FILE || e.type == Filetype::DIRECTORY) return Errno::SUCCESS;
    int fl = fcntl(e.host_fd, F_GETFL);
    if (fl < 0) return Errno::SUCCESS;  // the I/O call reports
    // Not open for this direction (the write end of a pipe never becomes
    // readable): the I/O call fails at once with EBADF.
    int mode = fl & O_ACCMODE;
    if ((events & POLLIN) ? mode == O_WRONLY : mode == O_RDONLY) return Errno::SUCCESS;
    struct pollfd p = {e.host_fd, events, 0};
    static constexpr struct timespec kNow = {0, 0};
    int n = 0;
    // Ready, hung up or in error: the I/O call tells which.
    if (Errno r = ppoll_cancellable(c, &p, 1, e.nonblock ? &kNow : nullptr, n); r != Errno::SUCCESS) return r;
    return n == 0 ? Errno::AGAIN : Errno::SUCCESS;
}

static uint64_t ts_ns(const uv_timespec_t &ts) {
    return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

bool write_filestat(const Call &c, uint32_t ptr, const uv_stat_t &st) {
    const layout::Filestat &L = c.abi == Abi::Preview0 ? layout::FILESTAT0 : layout::FILESTAT1;
    uint8_t buf[layout::FILESTAT_SIZE] = {};
    auto put64 = [&](size_t off, uint64_t v) { std::memcpy(buf + off, &v, 8); };
    put64(L.dev, st.st_dev);
    put64(L.ino, st.st_ino);
    buf[L.filetype] = static_cast<uint8_t>(filetype_from_mode(static_cast<unsigned>(st.st_mode)));
    if (L.nlink_width == 4) {
        uint32_t nlink = st.st_nlink > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(st.st_nlink);
        std::memcpy(buf + L.nlink, &nlink, 4);
    } else {
        put64(L.nlink, st.st_nlink);
    }
    put64(L.st_size, st.st_size);
    put64(L.atim, ts_ns(st.st_atim));
    put64(L.mtim, ts_ns(st.st_mtim));
    put64(L.ctim, ts_ns(st.st_ctim));
    return c.mem.write_bytes(ptr, buf, L.size);
}

bool write_filestat(const Call &c, uint32_t ptr, const struct stat &st) {
    uv_stat_t u = {};
    u.st_dev = st.st_dev;
    u.st_ino = st.st_ino;
    u.st_mode = st.st_mode;
    u.st_nlink = st.st_nlink;
    u.st_size = static_cast<uint64_t>(st.st_size);
    u.st_atim = {st.st_atim.tv_sec, st.st_atim.tv_nsec};
    u.st_mtim = {st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    u.st_ctim = {st.st_ctim.tv_sec, st.st_ctim.tv_nsec};
    return write_filestat(c, ptr, u);
}

// Each buffer is bounds-checked; a short read/write is allowed by the ABI,
// and the count is a u32, hence the limits.
Errno gather_iovecs(Call &c, uint32_t iovs, uint32_t iovs_len, std::vector<uv_buf_t> &out) {
    if (!c.mem.in_bounds(iovs, uint64_t(iovs_len) * layout::IOVEC_SIZE)) return Errno::FAULT;
    uint32_t n = std::min<uint32_t>(iovs_len, IOV_MAX);
    out.reserve(n);
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t buf = 0, len = 0;
        c.mem.read(iovs + uint64_t(i) * layout::IOVEC_SIZE + layout::IOVEC_BUF, buf);
        c.mem.read(iovs + uint64_t(i) * layout::IOVEC_SIZE + layout::IOVEC_BUF_LEN, len);
        uint8_t *p = c.mem.span(buf, len);
        if (!p) return Errno::FAULT;
        if (total + len > UINT32_MAX) break;
        total += len;
        out.push_back(uv_buf_init(reinterpret_cast<char *>(p), len));
    }
    return Errno::SUCCESS;
}

namespace {

enum class Io { Read, Write, PRead, PWrite };

// writev to a pipe, FIFO or device whose reader may be gone: EPIPE for the
// guest, never SIGPIPE for the host (io_signals.h). Returns the count or a
// negative errno (as libuv's UV_E*).
ssize_t writev_nosigpipe(int fd, const struct iovec *v, int cnt) {
    return hold_io_signals([&]() -> ssize_t {
        ssize_t n;
        do n = writev(fd, v, cnt);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
    });
}

// At most PIPE_BUF bytes: after poll reports a pipe writable, a write of
// that much never blocks (what a non-blocking guest write needs).
void cap_to_pipe_buf(std::vector<uv_buf_t> &v) {
    size_t total = 0;
    for (size_t i = 0; i < v.size(); i++) {
        if (v[i].len > PIPE_BUF - total) {
            v[i].len = PIPE_BUF - total;
            v.resize(i + 1);
            return;
        }
        total += v[i].len;
    }
}

bool is_socket(const FdEntry &e) { return e.type == Filetype::SOCKET_STREAM || e.type == Filetype::SOCKET_DGRAM; }

// One read or write of the guest's fd_read/fd_write; the count or a
// negative UV_E* / errno (the same numbers on Linux).
//  - Sockets: recvmsg/sendmsg (libuv's socket I/O needs a loop and a
//    uv_stream_t; here MSG_NOSIGNAL, and MSG_DONTWAIT for a non-blocking
//    guest fd).
//  - Reads of everything else: uv_fs_read (one read/readv).
//  - Writes to regular files (and directories, which fail): uv_fs_write;
//    an emulated append (FdEntry::append) is one pwritev2(RWF_APPEND).
//  - Writes to pipes, FIFOs and devices: one raw writev. uv_fs_write writes
//    until all is written: after a signal cut a blocked pipe write short, it
//    would block again for the rest, and a kill of the guest (which relies
//    on that short count: its signal is SA_RESTART) would wait on the
//    reader. Also SIGPIPE must be kept from the host (writev_nosigpipe).
int64_t stream_io(const FdEntry &e, bool write, std::vector<uv_buf_t> &v) {
    if (is_socket(e)) {
        struct msghdr m = {};
        m.msg_iov = as_iovecs(v.data());
        m.msg_iovlen = v.size();
        int fl = e.nonblock ? MSG_DONTWAIT : 0;
        ssize_t n;
        do n = write ? sendmsg(e.host_fd, &m, fl | MSG_NOSIGNAL) : recvmsg(e.host_fd, &m, fl);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
    }
    if (!write) return uvfs::read(e.host_fd, v.data(), static_cast<unsigned>(v.size()), -1);
    if (e.type == Filetype::REGULAR_FILE || e.type == Filetype::DIRECTORY) {
        // Emulated append on a description shared with the host (FdEntry::append):
        // at the end, atomically, as O_APPEND would, without changing the host's
        // description. libuv has no RWF_APPEND write, so this one is raw.
        return growing_file([&]() -> int64_t {
            if (e.append) {
                ssize_t n;
                do n = pwritev2(e.host_fd, as_iovecs(v.data()), static_cast<int>(v.size()), -1, RWF_APPEND);
                while (n < 0 && errno == EINTR);
                return n < 0 ? -errno : n;
            }
            return uvfs::write(e.host_fd, v.data(), static_cast<unsigned>(v.size()), -1);
        });
    }
    if (e.nonblock) cap_to_pipe_buf(v);
    return writev_nosigpipe(e.host_fd, as_iovecs(v.data()), static_cast<int>(v.size()));
}

Errno do_io(Call &c, Io kind, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint64_t offset, uint32_t n_out) {
    uint64_t need = (kind == Io::Read || kind == Io::PRead) ? rights::FD_READ : rights::FD_WRITE;
    if (kind == Io::PRead || kind == Io::PWrite) need |= rights::FD_SEEK;
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, need, e); r != Errno::SUCCESS) return r;
    if (!c.mem.in_bounds(n_out, 4)) return Errno::FAULT;
    if ((kind == Io::PRead || kind == Io::PWrite) && offset > uint64_t(INT64_MAX)) return Errno::INVAL;
    std::vector<uv_buf_t> v;
    if (Errno r = gather_iovecs(c, iovs, iovs_len, v); r != Errno::SUCCESS) return r;
    // libuv takes at least one buffer; an empty list is one empty buffer
    // (a 0-byte read or write, as readv/writev with no iovecs).
    static char empty;
    if (v.empty()) v.push_back(uv_buf_init(&empty, 0));
    int64_t n;
    if (kind == Io::Read || kind == Io::Write) {
        bool write = kind == Io::Write;
        for (;;) {
            if (Errno r = wait_ready(c, *e, write ? POLLOUT : POLLIN); r != Errno::SUCCESS) return r;
            n = stream_io(*e, write, v);
            // A blocking guest fd on a host description that is non-blocking
            // (inherited so): wait again rather than show the guest EAGAIN.
            if (n != UV_EAGAIN || e->nonblock) break;
        }
    } else {
        // pread/preadv, pwrite/pwritev (ESPIPE on a pipe). Linux's pwrite
        // on an O_APPEND description appends whatever the offset.
        auto cnt = static_cast<unsigned>(v.size());
        auto off = static_cast<int64_t>(offset);
        n = kind == Io::PRead ? uvfs::read(e->host_fd, v.data(), cnt, off)
                              : growing_file([&] { return uvfs::write(e->host_fd, v.data(), cnt, off); });
    }
    if (n < 0) return errno_from_uv(static_cast<int>(n));
    c.mem.write<uint32_t>(n_out, static_cast<uint32_t>(n));
    return Errno::SUCCESS;
}

Filetype dirent_type(int dir_fd, unsigned char d_type, const char *name) {
    switch (d_type) {
    case DT_REG: return Filetype::REGULAR_FILE;
    case DT_DIR: return Filetype::DIRECTORY;
    case DT_LNK: return Filetype::SYMBOLIC_LINK;
    case DT_CHR: return Filetype::CHARACTER_DEVICE;
    case DT_BLK: return Filetype::BLOCK_DEVICE;
    case DT_SOCK: return Filetype::SOCKET_STREAM;
    case DT_FIFO: return Filetype::UNKNOWN;
    default: {
        // Some filesystems do not fill d_type.
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return Filetype::UNKNOWN;
        return filetype_from_mode(st.st_mode);
    }
    }
}

}  // namespace

Errno fd_write(Call &c, uint32_t fd, uint32_t iovs, uint32_t n, uint32_t out) {
    return do_io(c, Io::Write, fd, iovs, n, 0, out);
}
Errno fd_read(Call &c, uint32_t fd, uint32_t iovs, uint32_t n, uint32_t out) {
    return do_io(c, Io::Read, fd, iovs, n, 0, out);
}
Errno fd_pwrite(Call &c, uint32_t fd, uint32_t iovs, uint32_t n, uint64_t offset, uint32_t out) {
    return do_io(c, Io::PWrite, fd, iovs, n, offset, out);
}
Errno fd_pread(Call &c, uint32_t fd, uint32_t iovs, uint32_t n, uint64_t offset, uint32_t out) {
    return do_io(c, Io::PRead, fd, iovs, n, offset, out);
}

Errno fd_seek(Call &c, uint32_t fd, uint64_t offset, uint32_t whence, uint32_t out) {
    int hw;
    if (c.abi == Abi::Preview0) {
        // preview0's $whence is cur = 0, end = 1, set = 2.
        switch (whence) {
        case 0: hw = SEEK_CUR; break;
        case 1: hw = SEEK_END; break;
        case 2: hw = SEEK_SET; break;
        default: return Errno::INVAL;
        }
    } else {
        switch (whence) {
        case uint32_t(Whence::SET): hw = SEEK_SET; break;
        case uint32_t(Whence::CUR): hw = SEEK_CUR; break;
        case uint32_t(Whence::END): hw = SEEK_END; break;
        default: return Errno::INVAL;
        }
    }
    // Asking for the current position only needs fd_tell (as the witx says).
    FdEntry *e = c.ctx.get(fd);
    if (!e) return Errno::BADF;
    bool tell_only = hw == SEEK_CUR && offset == 0;
    if (!e->has(rights::FD_SEEK) && !(tell_only && e->has(rights::FD_TELL))) return Errno::NOTCAPABLE;
    if (!c.mem.in_bounds(out, 8)) return Errno::FAULT;
    off_t pos = lseek(e->host_fd, static_cast<off_t>(static_cast<int64_t>(offset)), hw);
    if (pos < 0) return errno_from_host(errno);
    c.mem.write<uint64_t>(out, static_cast<uint64_t>(pos));
    return Errno::SUCCESS;
}

Errno fd_tell(Call &c, uint32_t fd, uint32_t out) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_TELL, e); r != Errno::SUCCESS) return r;
    if (!c.mem.in_bounds(out, 8)) return Errno::FAULT;
    off_t pos = lseek(e->host_fd, 0, SEEK_CUR);
    if (pos < 0) return errno_from_host(errno);
    c.mem.write<uint64_t>(out, static_cast<uint64_t>(pos));
    return Errno::SUCCESS;
}

Errno fd_close(Call &c, uint32_t fd) { return c.ctx.close(fd); }

Errno fd_fdstat_get(Call &c, uint32_t fd, uint32_t out) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, 0, e); r != Errno::SUCCESS) return r;
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl < 0) return errno_from_host(errno);
    uint16_t flags = 0;
    if ((fl & O_APPEND) || e->append) flags |= fdflags::APPEND;
    if (e->nonblock) flags |= fdflags::NONBLOCK;  // the guest's, never the host description's
    // On Linux O_SYNC includes the O_DSYNC bit (and O_RSYNC == O_SYNC).
    if ((fl & O_SYNC) == O_SYNC)
        flags |= fdflags::SYNC;
    else if (fl & O_DSYNC)
        flags |= fdflags::DSYNC;
    uint8_t buf[layout::FDSTAT_SIZE] = {};
    buf[layout::FDSTAT_FILETYPE] = static_cast<uint8_t>(e->type);
    std::memcpy(buf + layout::FDSTAT_FLAGS, &flags, 2);
    // preview0 has no sock_accept right (its highest bit is sock_shutdown).
    uint64_t mask = c.abi == Abi::Preview0 ? rights::SOCK_ACCEPT - 1 : ~uint64_t(0);
    uint64_t base = e->rights_base & mask, inheriting = e->rights_inheriting & mask;
    std::memcpy(buf + layout::FDSTAT_RIGHTS_BASE, &base, 8);
    std::memcpy(buf + layout::FDSTAT_RIGHTS_INHERITING, &inheriting, 8);
    return c.mem.write_bytes(out, buf, sizeof buf) ? Errno::SUCCESS : Errno::FAULT;
}

Errno fd_fdstat_set_flags(Call &c, uint32_t fd, uint32_t flags) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_FDSTAT_SET_FLAGS, e); r != Errno::SUCCESS) return r;
    if (flags & ~uint32_t(fdflags::ALL)) return Errno::INVAL;
    // Linux's F_SETFL silently ignores the sync flags; refusing is honest.
    if (flags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC)) return Errno::NOTSUP;
    int fl = fcntl(e->host_fd, F_GETFL);
    if (fl < 0) return errno_from_host(errno);
    // Non-blocking is the guest fd's own (see FdEntry::nonblock): an
    // inherited pipe or terminal shares its description with the host and
    // other processes, which must not find it non-blocking afterwards.
    // Append likewise on a description shared with the host (FdEntry::append):
    // set, it is emulated; an O_APPEND the host's description already has
    // cannot be cleared for the guest alone (NOTSUP). On the guest's own
    // descriptions (path_open) O_APPEND itself changes.
    bool want_append = flags & fdflags::APPEND;
    if (e->shared_description) {
        if ((fl & O_APPEND) && !want_append) return Errno::NOTSUP;
        e->append = want_append && !(fl & O_APPEND);
    } else {
        int want = (fl & ~O_APPEND) | (want_append ? O_APPEND : 0);
        if (want != fl && fcntl(e->host_fd, F_SETFL, want) != 0) return errno_from_host(errno);
    }
    e->nonblock = flags & fdflags::NONBLOCK;
    return Errno::SUCCESS;
}

Errno fd_filestat_get(Call &c, uint32_t fd, uint32_t out) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_FILESTAT_GET, e); r != Errno::SUCCESS) return r;
    uv_stat_t st;
    if (int r = uvfs::fstat(e->host_fd, st); r != 0) return errno_from_uv(r);
    return write_filestat(c, out, st) ? Errno::SUCCESS : Errno::FAULT;
}

Errno fd_prestat_get(Call &c, uint32_t fd, uint32_t out) {
    FdEntry *e = c.ctx.get(fd);
    if (!e || !e->preopen) return Errno::BADF;
    uint8_t buf[layout::PRESTAT_SIZE] = {};
    buf[layout::PRESTAT_TAG] = PREOPENTYPE_DIR;
    uint32_t len = static_cast<uint32_t>(e->preopen_name.size());
    std::memcpy(buf + layout::PRESTAT_NAME_LEN, &len, 4);
    return c.mem.write_bytes(out, buf, sizeof buf) ? Errno::SUCCESS : Errno::FAULT;
}

Errno fd_prestat_dir_name(Call &c, uint32_t fd, uint32_t path, uint32_t path_len) {
    FdEntry *e = c.ctx.get(fd);
    if (!e || !e->preopen) return Errno::BADF;
    if (path_len < e->preopen_name.size()) return Errno::NAMETOOLONG;
    return c.mem.write_bytes(path, e->preopen_name.data(), e->preopen_name.size()) ? Errno::SUCCESS
                                                                                    : Errno::FAULT;
}

Errno fd_sync(Call &c, uint32_t fd) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_SYNC, e); r != Errno::SUCCESS) return r;
    return errno_from_uv(uvfs::fsync(e->host_fd));
}

Errno fd_datasync(Call &c, uint32_t fd) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_DATASYNC, e); r != Errno::SUCCESS) return r;
    return errno_from_uv(uvfs::fdatasync(e->host_fd));
}

Errno fd_readdir(Call &c, uint32_t fd, uint32_t buf, uint32_t buf_len, uint64_t cookie, uint32_t used_out) {
    FdEntry *e;
    if (Errno r = fd_lookup(c, fd, rights::FD_READDIR, e); r != Errno::SUCCESS) return r;
    if (e->type != Filetype::DIRECTORY) return Errno::NOTDIR;
    uint8_t *out = c.mem.span(buf, buf_len);
    if (!out || !c.mem.in_bounds(used_out, 4)) return Errno::FAULT;
    if (cookie > uint64_t(INT64_MAX)) return Errno::INVAL;

    // Cookies are the file system's own directory offsets (getdents64's
    // d_off, what telldir returns): a listing resumed after entries before
    // it were deleted (rm -r: list, unlink, list again) continues where it
    // was, where counting entries would skip live ones. Each call reads
    // through a description of its own, opened for the call and closed
    // after it (host_fd's offset never moves: it may be shared with the
    // host; and no descriptor stays open beyond the guest's own).
    int dfd = openat(e->host_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return errno_from_host(errno);
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{dfd};
    if (cookie != 0 && lseek(dfd, static_cast<off_t>(cookie), SEEK_SET) < 0) return errno_from_host(errno);
    // On the heap: host calls run on the guest's stack, in its small
    // reserve for them (capi_stack's hostcall_stack_use).
    constexpr size_t kRaw = 16384;
    std::unique_ptr<char[]> buffer(new char[kRaw]);
    char *const raw = buffer.get();
    uint32_t used = 0;
    while (used < buf_len) {
        long got = syscall(SYS_getdents64, dfd, raw, kRaw);
        if (got < 0) return errno_from_host(errno);
        if (got == 0) break;
        for (long at = 0; at < got && used < buf_len;) {
            struct Entry {  // struct linux_dirent64
                uint64_t d_ino;
                int64_t d_off;
                unsigned short d_reclen;
                unsigned char d_type;
                char d_name[1];
            };
            const auto *de = reinterpret_cast<const Entry *>(raw + at);
            at += de->d_reclen;
            uint32_t namlen = static_cast<uint32_t>(strnlen(de->d_name, kRaw));
            uint8_t hdr[layout::DIRENT_SIZE] = {};
            uint64_t next = static_cast<uint64_t>(de->d_off), ino = de->d_ino;
            std::memcpy(hdr + layout::DIRENT_NEXT, &next, 8);
            std::memcpy(hdr + layout::DIRENT_INO, &ino, 8);
            std::memcpy(hdr + layout::DIRENT_NAMLEN, &namlen, 4);
            hdr[layout::DIRENT_TYPE] = static_cast<uint8_t>(dirent_type(dfd, de->d_type, de->d_name));
            // The last entry may be cut short: the guest sees bufused == buf_len
            // and asks again from that entry's cookie.
            uint32_t n = std::min<uint32_t>(sizeof hdr, buf_len - used);
            std::memcpy(out + used, hdr, n);
            used += n;
            n = std::min<uint32_t>(namlen, buf_len - used);
            std::memcpy(out + used, de->d_name, n);
            used += n;
        }
    }
    c.mem.write<uint32_t>(used_out, used);
    return Errno::SUCCESS;
}

}  // namespace lucet::wasi
