// wasi_ctx.cpp: the descriptor table.
#include "wasi/wasi_ctx.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wasi/uv_fs.h"

namespace lucet::wasi {

FdEntry::~FdEntry() {
    if (owned && host_fd >= 0) uvfs::close(host_fd);
}

Filetype filetype_from_mode(unsigned mode) {
    switch (mode & S_IFMT) {
    case S_IFREG: return Filetype::REGULAR_FILE;
    case S_IFDIR: return Filetype::DIRECTORY;
    case S_IFCHR: return Filetype::CHARACTER_DEVICE;
    case S_IFBLK: return Filetype::BLOCK_DEVICE;
    case S_IFLNK: return Filetype::SYMBOLIC_LINK;
    case S_IFSOCK: return Filetype::SOCKET_STREAM;
    default: return Filetype::UNKNOWN;
    }
}

static Filetype host_fd_type(int fd) {
    uv_stat_t st;
    if (uvfs::fstat(fd, st) != 0) return Filetype::UNKNOWN;
    Filetype t = filetype_from_mode(static_cast<unsigned>(st.st_mode));
    if (t == Filetype::SOCKET_STREAM) {
        int type = 0;
        socklen_t len = sizeof type;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
            t = Filetype::SOCKET_DGRAM;
    }
    return t;
}

static std::unique_ptr<FdEntry> stdio_entry(int host_fd, bool owned) {
    auto e = std::make_unique<FdEntry>();
    e->host_fd = host_fd;
    e->owned = owned;
    e->shared_description = true;
    e->type = host_fd_type(host_fd);
    // wasi-libc's isatty() is "character device without seek/tell
    // rights", so terminals get the stream rights; anything else (a
    // redirected file, a pipe) gets file rights and the host decides
    // (lseek on a pipe: ESPIPE), as in wasmtime.
    e->rights_base = e->type == Filetype::CHARACTER_DEVICE ? rights::STREAM_BASE : rights::REGULAR_FILE_BASE;
    if (e->type == Filetype::SOCKET_STREAM || e->type == Filetype::SOCKET_DGRAM)
        e->rights_base |= rights::SOCK_SHUTDOWN | rights::SOCK_ACCEPT;
    // Only what the host's description allows, inherited or given: a guest
    // fd_write on a read-only stdin is notcapable (not a host EBADF), a
    // `< input` file's times and size stay the host's, and an append-only
    // `>> log` is never truncated.
    int acc = fcntl(host_fd, F_GETFL);
    if (acc >= 0 && (acc & O_ACCMODE) == O_RDONLY) e->rights_base &= ~(rights::WRITE_RIGHTS | rights::OPEN_FOR_WRITE);
    if (acc >= 0 && (acc & O_ACCMODE) == O_WRONLY) e->rights_base &= ~(rights::FD_READ | rights::FD_READDIR);
    if (acc >= 0 && (acc & O_APPEND)) e->rights_base &= ~rights::FD_FILESTAT_SET_SIZE;
    e->rights_inheriting = 0;
    return e;
}

void WasiCtx::put_stdio(int which, std::unique_ptr<FdEntry> e) {
    if (fds_.size() <= static_cast<size_t>(which)) fds_.resize(which + 1);
    if (!fds_[which]) open_++;
    fds_[which] = std::move(e);
}

Status WasiCtx::inherit_stdio() {
    for (int i = 0; i < 3; i++) put_stdio(i, stdio_entry(i, false));
    return {};
}

Status WasiCtx::set_stdio_fd(int which, int host_fd) {
    if (which < 0 || which > 2) return make_error("stdio fd " + std::to_string(which) + " is not 0, 1 or 2");
    int acc = fcntl(host_fd, F_GETFL);
    if (host_fd < 0 || acc < 0)
        return make_error("stdio fd " + std::to_string(which) + ": host fd " + std::to_string(host_fd) +
                          " is not open");
    int dup = fcntl(host_fd, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) return make_error("stdio fd " + std::to_string(which) + ": cannot duplicate host fd " +
                                   std::to_string(host_fd) + ": " + std::strerror(errno));
    put_stdio(which, stdio_entry(dup, true));
    return {};
}

Status WasiCtx::set_stdio_file(int which, const std::string &path) {
    if (which < 0 || which > 2) return make_error("stdio fd " + std::to_string(which) + " is not 0, 1 or 2");
    int flags = which == 0 ? O_RDONLY : (O_WRONLY | O_CREAT | O_TRUNC);
    int fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0) return make_error("cannot open '" + path + "' as the guest's " +
                                  (which == 0 ? "stdin" : which == 1 ? "stdout" : "stderr") + ": " +
                                  std::strerror(errno));
    Status st = set_stdio_fd(which, fd);
    ::close(fd);
    return st;
}

Status WasiCtx::preopen_dir(const std::string &guest_path, const std::string &host_path, bool read_only) {
    if (guest_path.empty()) return make_error("--dir: empty guest path for host directory '" + host_path + "'");
    int fd = ::open(host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return make_error("cannot preopen directory '" + host_path + "': " + std::strerror(errno));
    auto e = std::make_unique<FdEntry>();
    e->host_fd = fd;
    e->type = Filetype::DIRECTORY;
    e->rights_base = rights::DIRECTORY_BASE;
    e->rights_inheriting = rights::DIRECTORY_INHERITING;
    if (read_only) {
        e->rights_base &= ~rights::WRITE_RIGHTS;
        e->rights_inheriting &= ~rights::WRITE_RIGHTS;
    }
    e->preopen = true;
    e->preopen_name = guest_path;
    // Keep stdio slots reserved even when inherit_stdio was not called, so
    // preopens always start at 3 as wasi-libc expects.
    if (fds_.size() < 3) fds_.resize(3);
    uint32_t out;
    if (insert(std::move(e), out) != Errno::SUCCESS)
        return make_error("cannot preopen directory '" + host_path + "': the context's fd limit (" +
                          std::to_string(max_fds_) + ") is reached");
    return {};
}

FdEntry *WasiCtx::get(uint32_t fd) {
    return fd < fds_.size() ? fds_[fd].get() : nullptr;
}

Errno WasiCtx::insert(std::unique_ptr<FdEntry> e, uint32_t &fd_out) {
    if (full()) return Errno::NFILE;  // e closes its host fd
    open_++;
    // Lowest free slot >= 3: guest fds 0-2 are stdio even when closed, so a
    // later open never silently becomes the guest's stdout. (So the table
    // never holds more than max_fds + 3 slots.)
    for (size_t i = 3; i < fds_.size(); i++) {
        if (!fds_[i]) {
            fds_[i] = std::move(e);
            fd_out = static_cast<uint32_t>(i);
            return Errno::SUCCESS;
        }
    }
    if (fds_.size() < 3) fds_.resize(3);
    fds_.push_back(std::move(e));
    fd_out = static_cast<uint32_t>(fds_.size() - 1);
    return Errno::SUCCESS;
}

Errno WasiCtx::close(uint32_t fd) {
    if (fd >= fds_.size() || !fds_[fd]) return Errno::BADF;
    fds_[fd].reset();
    open_--;
    while (!fds_.empty() && fds_.size() > 3 && !fds_.back()) fds_.pop_back();
    return Errno::SUCCESS;
}

Errno WasiCtx::renumber(uint32_t from, uint32_t to) {
    if (!get(from) || !get(to)) return Errno::BADF;
    if (from == to) return Errno::SUCCESS;
    fds_[to] = std::move(fds_[from]);  // the old `to` entry is destroyed (closed) here
    open_--;
    while (fds_.size() > 3 && !fds_.back()) fds_.pop_back();
    return Errno::SUCCESS;
}

}  // namespace lucet::wasi
