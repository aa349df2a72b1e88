// wasi_errno.cpp: host errno -> WASI errno. On Linux, libuv's UV_E* codes are the
// negated host errno values, so both mappings share one table.
#include "wasi/wasi_errno.h"

#include <cerrno>

#include <uv.h>

namespace lucet::wasi {

Errno errno_from_host(int e) {
    switch (e) {
    case 0: return Errno::SUCCESS;
    case E2BIG: return Errno::TOOBIG;
    case EACCES: return Errno::ACCES;
    case EADDRINUSE: return Errno::ADDRINUSE;
    case EADDRNOTAVAIL: return Errno::ADDRNOTAVAIL;
    case EAFNOSUPPORT: return Errno::AFNOSUPPORT;
    case EAGAIN: return Errno::AGAIN;  // == EWOULDBLOCK on Linux
    case EALREADY: return Errno::ALREADY;
    case EBADF: return Errno::BADF;
    case EBADMSG: return Errno::BADMSG;
    case EBUSY: return Errno::BUSY;
    case ECANCELED: return Errno::CANCELED;
    case ECHILD: return Errno::CHILD;
    case ECONNABORTED: return Errno::CONNABORTED;
    case ECONNREFUSED: return Errno::CONNREFUSED;
    case ECONNRESET: return Errno::CONNRESET;
    case EDEADLK: return Errno::DEADLK;
    case EDESTADDRREQ: return Errno::DESTADDRREQ;
    case EDOM: return Errno::DOM;
    case EDQUOT: return Errno::DQUOT;
    case EEXIST: return Errno::EXIST;
    case EFAULT: return Errno::FAULT;
    case EFBIG: return Errno::FBIG;
    case EHOSTUNREACH: return Errno::HOSTUNREACH;
    case EIDRM: return Errno::IDRM;
    case EILSEQ: return Errno::ILSEQ;
    case EINPROGRESS: return Errno::INPROGRESS;
    case EINTR: return Errno::INTR;
    case EINVAL: return Errno::INVAL;
    case EIO: return Errno::IO;
    case EISCONN: return Errno::ISCONN;
    case EISDIR: return Errno::ISDIR;
    case ELOOP: return Errno::LOOP;
    case EMFILE: return Errno::MFILE;
    case EMLINK: return Errno::MLINK;
    case EMSGSIZE: return Errno::MSGSIZE;
    case EMULTIHOP: return Errno::MULTIHOP;
    case ENAMETOOLONG: return Errno::NAMETOOLONG;
    case ENETDOWN: return Errno::NETDOWN;
    case ENETRESET: return Errno::NETRESET;
    case ENETUNREACH: return Errno::NETUNREACH;
    case ENFILE: return Errno::NFILE;
    case ENOBUFS: return Errno::NOBUFS;
    case ENODEV: return Errno::NODEVICE;
    case ENOENT: return Errno::NOENT;
    case ENOEXEC: return Errno::NOEXEC;
    case ENOLCK: return Errno::NOLCK;
    case ENOLINK: return Errno::NOLINK;
    case ENOMEM: return Errno::NOMEM;
    case ENOMSG: return Errno::NOMSG;
    case ENOPROTOOPT: return Errno::NOPROTOOPT;
    case ENOSPC: return Errno::NOSPC;
    case ENOSYS: return Errno::NOSYS;
    case ENOTCONN: return Errno::NOTCONN;
    case ENOTDIR: return Errno::NOTDIR;
    case ENOTEMPTY: return Errno::NOTEMPTY;
    case ENOTRECOVERABLE: return Errno::NOTRECOVERABLE;
    case ENOTSOCK: return Errno::NOTSOCK;
    case ENOTSUP: return Errno::NOTSUP;  // == EOPNOTSUPP on Linux
    case ENOTTY: return Errno::NOTTY;
    case ENXIO: return Errno::NXIO;
    case EOVERFLOW: return Errno::OVERFLOW;
    case EOWNERDEAD: return Errno::OWNERDEAD;
    case EPERM: return Errno::PERM;
    case EPIPE: return Errno::PIPE;
    case EPROTO: return Errno::PROTO;
    case EPROTONOSUPPORT: return Errno::PROTONOSUPPORT;
    case EPROTOTYPE: return Errno::PROTOTYPE;
    case ERANGE: return Errno::RANGE;
    case EROFS: return Errno::ROFS;
    case ESPIPE: return Errno::SPIPE;
    case ESRCH: return Errno::SRCH;
    case ESTALE: return Errno::STALE;
    case ETIMEDOUT: return Errno::TIMEDOUT;
    case ETXTBSY: return Errno::TXTBSY;
    case EXDEV: return Errno::XDEV;
    default: return Errno::IO;
    }
}

Errno errno_from_uv(int s) {
    if (s >= 0) return Errno::SUCCESS;
    switch (s) {
    case UV_EOF: return Errno::IO;  // not an errno; callers handle EOF as a 0-byte read
    case UV_EAI_MEMORY: return Errno::NOMEM;
    case UV_ECHARSET: return Errno::ILSEQ;
    default: return errno_from_host(-s);
    }
}

const char *errno_name(Errno e) {
    static const char *const names[] = {
        "success", "2big", "acces", "addrinuse", "addrnotavail", "afnosupport", "again", "already",
        "badf", "badmsg", "busy", "canceled", "child", "connaborted", "connrefused", "connreset",
        "deadlk", "destaddrreq", "dom", "dquot", "exist", "fault", "fbig", "hostunreach", "idrm",
        "ilseq", "inprogress", "intr", "inval", "io", "isconn", "isdir", "loop", "mfile", "mlink",
        "msgsize", "multihop", "nametoolong", "netdown", "netreset", "netunreach", "nfile", "nobufs",
        "nodev", "noent", "noexec", "nolck", "nolink", "nomem", "nomsg", "noprotoopt", "nospc", "nosys",
        "notconn", "notdir", "notempty", "notrecoverable", "notsock", "notsup", "notty", "nxio",
        "overflow", "ownerdead", "perm", "pipe", "proto", "protonosupport", "prototype", "range", "rofs",
        "spipe", "srch", "stale", "timedout", "txtbsy", "xdev", "notcapable",
    };
    auto i = static_cast<unsigned>(e);
    return i < sizeof names / sizeof names[0] ? names[i] : "unknown";
}

}  // namespace lucet::wasi
