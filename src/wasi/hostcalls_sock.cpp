// hostcalls_sock.cpp: the socket calls of preview1 and proc_raise's policy.
//
// Preview1 cannot create sockets; a guest only acts on sockets it inherited
// (stdio connected to a socket, or a listening socket handed over by the
// embedder). Every call checks, in this order: the fd is open (BADF), it is a
// socket (NOTSOCK), it carries the right (NOTCAPABLE), so a guest probing an
// ordinary file learns "not a socket" rather than "not allowed".
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <cerrno>

#include "wasi/hostcalls.h"
#include "wasi/wasi_errno.h"

namespace lucet::wasi {

namespace {

Errno sock_lookup(Call &c, uint32_t fd, uint64_t needed, FdEntry *&out) {
    FdEntry *e = c.ctx.get(fd);
    if (!e) return Errno::BADF;
    if (e->type != Filetype::SOCKET_STREAM && e->type != Filetype::SOCKET_DGRAM) return Errno::NOTSOCK;
    if (!e->has(needed)) return Errno::NOTCAPABLE;
    out = e;
    return Errno::SUCCESS;
}

// $riflags and $roflags.
constexpr uint32_t RECV_PEEK = 1, RECV_WAITALL = 2;
constexpr uint16_t RECV_DATA_TRUNCATED = 1;

}  // namespace

Errno sock_shutdown(Call &c, uint32_t fd, uint32_t how) {
    FdEntry *e;
    if (Errno r = sock_lookup(c, fd, rights::SOCK_SHUTDOWN, e); r != Errno::SUCCESS) return r;
    int h;
    switch (how) {  // $sdflags: rd = 1, wr = 2
    case 1: h = SHUT_RD; break;
    case 2: h = SHUT_WR; break;
    case 3: h = SHUT_RDWR; break;
    default: return Errno::INVAL;
    }
    return ::shutdown(e->host_fd, h) == 0 ? Errno::SUCCESS : errno_from_host(errno);
}

Errno sock_accept(Call &c, uint32_t fd, uint32_t flags, uint32_t fd_out) {
    FdEntry *e;
    if (Errno r = sock_lookup(c, fd, rights::SOCK_ACCEPT, e); r != Errno::SUCCESS) return r;
    // Only nonblock makes sense for a new connection (as in wasmtime).
    if (flags & ~uint32_t(fdflags::NONBLOCK)) return Errno::INVAL;
    if (!c.mem.in_bounds(fd_out, 4)) return Errno::FAULT;
    if (c.ctx.full()) return Errno::NFILE;
    if (Errno r = wait_ready(c, *e, POLLIN); r != Errno::SUCCESS) return r;
    int s = ::accept4(e->host_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (s < 0) return errno_from_host(errno);
    auto ne = std::make_unique<FdEntry>();
    ne->host_fd = s;
    ne->type = Filetype::SOCKET_STREAM;
    ne->nonblock = flags & fdflags::NONBLOCK;  // emulated, like fd_fdstat_set_flags
    // A connection can be read, written, polled, shut down; its rights never
    // exceed what the listening socket may hand out plus the stream basics.
    ne->rights_base = rights::FD_READ | rights::FD_WRITE | rights::FD_FDSTAT_SET_FLAGS | rights::FD_FILESTAT_GET |
                      rights::POLL_FD_READWRITE | rights::SOCK_SHUTDOWN;
    ne->rights_inheriting = 0;
    uint32_t nfd;
    if (Errno r = c.ctx.insert(std::move(ne), nfd); r != Errno::SUCCESS) return r;  // closes s
    c.mem.write<uint32_t>(fd_out, nfd);
    return Errno::SUCCESS;
}

Errno sock_recv(Call &c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t ri_flags, uint32_t datalen_out,
                uint32_t oflags_out) {
    FdEntry *e;
    if (Errno r = sock_lookup(c, fd, rights::FD_READ, e); r != Errno::SUCCESS) return r;
    if (ri_flags & ~(RECV_PEEK | RECV_WAITALL)) return Errno::INVAL;
    if (!c.mem.in_bounds(datalen_out, 4) || !c.mem.in_bounds(oflags_out, 2)) return Errno::FAULT;
    std::vector<uv_buf_t> v;
    if (Errno r = gather_iovecs(c, iovs, iovs_len, v); r != Errno::SUCCESS) return r;
    struct msghdr m = {};
    m.msg_iov = as_iovecs(v.data());
    m.msg_iovlen = v.size();
    int hf = ((ri_flags & RECV_PEEK) ? MSG_PEEK : 0) | ((ri_flags & RECV_WAITALL) ? MSG_WAITALL : 0) |
             (e->nonblock ? MSG_DONTWAIT : 0);
    if (Errno r = wait_ready(c, *e, POLLIN); r != Errno::SUCCESS) return r;
    ssize_t n = ::recvmsg(e->host_fd, &m, hf);
    if (n < 0) return errno_from_host(errno);
    c.mem.write<uint32_t>(datalen_out, static_cast<uint32_t>(n));
    c.mem.write<uint16_t>(oflags_out, (m.msg_flags & MSG_TRUNC) ? RECV_DATA_TRUNCATED : 0);
    return Errno::SUCCESS;
}

Errno sock_send(Call &c, uint32_t fd, uint32_t iovs, uint32_t iovs_len, uint32_t si_flags, uint32_t datalen_out) {
    FdEntry *e;
    if (Errno r = sock_lookup(c, fd, rights::FD_WRITE, e); r != Errno::SUCCESS) return r;
    if (si_flags != 0) return Errno::INVAL;  // $siflags has no flags defined
    if (!c.mem.in_bounds(datalen_out, 4)) return Errno::FAULT;
    std::vector<uv_buf_t> v;
    if (Errno r = gather_iovecs(c, iovs, iovs_len, v); r != Errno::SUCCESS) return r;
    struct msghdr m = {};
    m.msg_iov = as_iovecs(v.data());
    m.msg_iovlen = v.size();
    if (Errno r = wait_ready(c, *e, POLLOUT); r != Errno::SUCCESS) return r;
    // MSG_NOSIGNAL: a closed peer is EPIPE for the guest, never SIGPIPE for the host.
    ssize_t n = ::sendmsg(e->host_fd, &m, MSG_NOSIGNAL | (e->nonblock ? MSG_DONTWAIT : 0));
    if (n < 0) return errno_from_host(errno);
    c.mem.write<uint32_t>(datalen_out, static_cast<uint32_t>(n));
    return Errno::SUCCESS;
}

RaiseAction raise_action(uint32_t sig, int &host_signo) {
    // $signal in witx order (none = 0 ... sys = 30) -> Linux numbers.
    static constexpr int kHost[] = {0,       SIGHUP,  SIGINT,  SIGQUIT, SIGILL,    SIGTRAP, SIGABRT, SIGBUS,
                                    SIGFPE,  SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2,   SIGPIPE, SIGALRM, SIGTERM,
                                    SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN,   SIGTTOU, SIGURG,  SIGXCPU,
                                    SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGPOLL, SIGPWR,  SIGSYS};
    host_signo = 0;
    if (sig >= sizeof kHost / sizeof kHost[0]) return RaiseAction::Invalid;
    host_signo = kHost[sig];
    switch (host_signo) {
    case 0:
    case SIGCHLD:
    case SIGCONT:
    case SIGURG:
    case SIGWINCH: return RaiseAction::Ignore;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU: return RaiseAction::NotSup;
    default: return RaiseAction::Terminate;
    }
}

}  // namespace lucet::wasi
