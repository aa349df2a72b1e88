// wasi_types.h: the WASI preview1 ABI constants and struct layouts, transcribed
// from /work/shared/wasi-spec/preview1/witx/typenames.witx. The values are the
// guest ABI: never renumber them.
#pragma once

#include <cstdint>

namespace lucet::wasi {

// $errno (enum u16). Numbered in witx order.
enum class Errno : uint16_t {
    SUCCESS = 0, TOOBIG = 1 /* $2big */, ACCES = 2, ADDRINUSE = 3, ADDRNOTAVAIL = 4, AFNOSUPPORT = 5, AGAIN = 6,
    ALREADY = 7, BADF = 8, BADMSG = 9, BUSY = 10, CANCELED = 11, CHILD = 12, CONNABORTED = 13,
    CONNREFUSED = 14, CONNRESET = 15, DEADLK = 16, DESTADDRREQ = 17, DOM = 18, DQUOT = 19, EXIST = 20,
    FAULT = 21, FBIG = 22, HOSTUNREACH = 23, IDRM = 24, ILSEQ = 25, INPROGRESS = 26, INTR = 27,
    INVAL = 28, IO = 29, ISCONN = 30, ISDIR = 31, LOOP = 32, MFILE = 33, MLINK = 34, MSGSIZE = 35,
    MULTIHOP = 36, NAMETOOLONG = 37, NETDOWN = 38, NETRESET = 39, NETUNREACH = 40, NFILE = 41,
    NOBUFS = 42, NODEVICE = 43 /* $nodev; NODEV is a libc macro */, NOENT = 44, NOEXEC = 45, NOLCK = 46, NOLINK = 47, NOMEM = 48, NOMSG = 49,
    NOPROTOOPT = 50, NOSPC = 51, NOSYS = 52, NOTCONN = 53, NOTDIR = 54, NOTEMPTY = 55,
    NOTRECOVERABLE = 56, NOTSOCK = 57, NOTSUP = 58, NOTTY = 59, NXIO = 60, OVERFLOW = 61,
    OWNERDEAD = 62, PERM = 63, PIPE = 64, PROTO = 65, PROTONOSUPPORT = 66, PROTOTYPE = 67, RANGE = 68,
    ROFS = 69, SPIPE = 70, SRCH = 71, STALE = 72, TIMEDOUT = 73, TXTBSY = 74, XDEV = 75,
    NOTCAPABLE = 76,
};

// $rights (flags u64), bit i = i-th flag in witx order.
namespace rights {
constexpr uint64_t FD_DATASYNC = 1ull << 0;
constexpr uint64_t FD_READ = 1ull << 1;
constexpr uint64_t FD_SEEK = 1ull << 2;
constexpr uint64_t FD_FDSTAT_SET_FLAGS = 1ull << 3;
constexpr uint64_t FD_SYNC = 1ull << 4;
constexpr uint64_t FD_TELL = 1ull << 5;
constexpr uint64_t FD_WRITE = 1ull << 6;
constexpr uint64_t FD_ADVISE = 1ull << 7;
constexpr uint64_t FD_ALLOCATE = 1ull << 8;
constexpr uint64_t PATH_CREATE_DIRECTORY = 1ull << 9;
constexpr uint64_t PATH_CREATE_FILE = 1ull << 10;
constexpr uint64_t PATH_LINK_SOURCE = 1ull << 11;
constexpr uint64_t PATH_LINK_TARGET = 1ull << 12;
constexpr uint64_t PATH_OPEN = 1ull << 13;
constexpr uint64_t FD_READDIR = 1ull << 14;
constexpr uint64_t PATH_READLINK = 1ull << 15;
constexpr uint64_t PATH_RENAME_SOURCE = 1ull << 16;
constexpr uint64_t PATH_RENAME_TARGET = 1ull << 17;
constexpr uint64_t PATH_FILESTAT_GET = 1ull << 18;
constexpr uint64_t PATH_FILESTAT_SET_SIZE = 1ull << 19;
constexpr uint64_t PATH_FILESTAT_SET_TIMES = 1ull << 20;
constexpr uint64_t FD_FILESTAT_GET = 1ull << 21;
constexpr uint64_t FD_FILESTAT_SET_SIZE = 1ull << 22;
constexpr uint64_t FD_FILESTAT_SET_TIMES = 1ull << 23;
constexpr uint64_t PATH_SYMLINK = 1ull << 24;
constexpr uint64_t PATH_REMOVE_DIRECTORY = 1ull << 25;
constexpr uint64_t PATH_UNLINK_FILE = 1ull << 26;
constexpr uint64_t POLL_FD_READWRITE = 1ull << 27;
constexpr uint64_t SOCK_SHUTDOWN = 1ull << 28;
constexpr uint64_t SOCK_ACCEPT = 1ull << 29;
constexpr uint64_t ALL = (1ull << 30) - 1;

// Rights that only make sense on a directory / on a regular file or stream.
// A preopened directory gets DIRECTORY_BASE and hands out DIRECTORY_INHERITING.
constexpr uint64_t DIRECTORY_BASE = FD_FDSTAT_SET_FLAGS | FD_SYNC | FD_ADVISE | PATH_CREATE_DIRECTORY |
                                    PATH_CREATE_FILE | PATH_LINK_SOURCE | PATH_LINK_TARGET | PATH_OPEN |
                                    FD_READDIR | PATH_READLINK | PATH_RENAME_SOURCE | PATH_RENAME_TARGET |
                                    PATH_FILESTAT_GET | PATH_FILESTAT_SET_SIZE | PATH_FILESTAT_SET_TIMES |
                                    FD_FILESTAT_GET | FD_FILESTAT_SET_TIMES | PATH_SYMLINK |
                                    PATH_REMOVE_DIRECTORY | PATH_UNLINK_FILE | POLL_FD_READWRITE;
constexpr uint64_t REGULAR_FILE_BASE = FD_DATASYNC | FD_READ | FD_SEEK | FD_FDSTAT_SET_FLAGS | FD_SYNC |
                                       FD_TELL | FD_WRITE | FD_ADVISE | FD_ALLOCATE | FD_FILESTAT_GET |
                                       FD_FILESTAT_SET_SIZE | FD_FILESTAT_SET_TIMES | POLL_FD_READWRITE;
constexpr uint64_t DIRECTORY_INHERITING = DIRECTORY_BASE | REGULAR_FILE_BASE;
// A read-only preopen (and every descriptor opened below it): nothing that
// creates, removes, renames, links, truncates, writes or changes times.
// PATH_LINK_SOURCE and PATH_RENAME_SOURCE go too, or a file could be linked
// or moved into a writable preopen and changed there.
constexpr uint64_t WRITE_RIGHTS = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | PATH_CREATE_DIRECTORY | PATH_CREATE_FILE |
                                  PATH_LINK_SOURCE | PATH_LINK_TARGET | PATH_RENAME_SOURCE | PATH_RENAME_TARGET |
                                  PATH_FILESTAT_SET_SIZE | PATH_FILESTAT_SET_TIMES | FD_FILESTAT_SET_SIZE |
                                  FD_FILESTAT_SET_TIMES | PATH_SYMLINK | PATH_REMOVE_DIRECTORY |
                                  PATH_UNLINK_FILE;
// What path_open must refuse (perm, as wasmtime) rather than narrow away
// when the directory cannot grant them: asking for them means "open for
// writing" (wasi-libc asks for them only with O_WRONLY / O_RDWR).
constexpr uint64_t OPEN_FOR_WRITE = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;
// Terminals, pipes, sockets used as stdio: no seeking.
constexpr uint64_t STREAM_BASE = FD_DATASYNC | FD_READ | FD_FDSTAT_SET_FLAGS | FD_SYNC | FD_WRITE |
                                 FD_FILESTAT_GET | POLL_FD_READWRITE;
}  // namespace rights

// $filetype (enum u8)
enum class Filetype : uint8_t {
    UNKNOWN = 0, BLOCK_DEVICE = 1, CHARACTER_DEVICE = 2, DIRECTORY = 3, REGULAR_FILE = 4,
    SOCKET_DGRAM = 5, SOCKET_STREAM = 6, SYMBOLIC_LINK = 7,
};

// $fdflags (flags u16)
namespace fdflags {
constexpr uint16_t APPEND = 1, DSYNC = 2, NONBLOCK = 4, RSYNC = 8, SYNC = 16;
constexpr uint16_t ALL = 31;
}
// $oflags (flags u16)
namespace oflags {
constexpr uint16_t CREAT = 1, DIRECTORY = 2, EXCL = 4, TRUNC = 8;
constexpr uint16_t ALL = 15;
}
// $lookupflags (flags u32)
namespace lookupflags {
constexpr uint32_t SYMLINK_FOLLOW = 1;
constexpr uint32_t ALL = SYMLINK_FOLLOW;
}
// $whence (enum u8)
enum class Whence : uint8_t { SET = 0, CUR = 1, END = 2 };
// $clockid (enum u32)
enum class ClockId : uint32_t { REALTIME = 0, MONOTONIC = 1, PROCESS_CPUTIME = 2, THREAD_CPUTIME = 3 };
// $preopentype (enum u8)
constexpr uint8_t PREOPENTYPE_DIR = 0;

// Struct layouts: one table of named offsets (bytes, little-endian) per
// WASI preview; the hostcalls write and read guest structs only through
// these, never through literal offsets.
namespace layout {
constexpr uint32_t IOVEC_SIZE = 8;
constexpr uint32_t IOVEC_BUF = 0, IOVEC_BUF_LEN = 4;
// $dirent (same in both previews)
constexpr uint32_t DIRENT_SIZE = 24;
constexpr uint32_t DIRENT_NEXT = 0, DIRENT_INO = 8, DIRENT_NAMLEN = 16, DIRENT_TYPE = 20;
// $fdstat (same in both previews)
constexpr uint32_t FDSTAT_SIZE = 24;
constexpr uint32_t FDSTAT_FILETYPE = 0, FDSTAT_FLAGS = 2, FDSTAT_RIGHTS_BASE = 8, FDSTAT_RIGHTS_INHERITING = 16;
// $prestat (same in both previews)
constexpr uint32_t PRESTAT_SIZE = 8;
constexpr uint32_t PRESTAT_TAG = 0, PRESTAT_NAME_LEN = 4;
// $filestat: preview0's nlink is a u32 @20, so everything after it sits 8 lower.
struct Filestat {
    uint32_t size, dev, ino, filetype, nlink, nlink_width, st_size, atim, mtim, ctim;
};
constexpr Filestat FILESTAT1{64, 0, 8, 16, 24, 8, 32, 40, 48, 56};
constexpr Filestat FILESTAT0{56, 0, 8, 16, 20, 4, 24, 32, 40, 48};
constexpr uint32_t FILESTAT_SIZE = FILESTAT1.size;
constexpr uint32_t FILESTAT0_SIZE = FILESTAT0.size;
// $subscription: userdata u64 @0, tag u8 @8, then the union; preview0's
// clock has an extra u64 identifier first, so its fields sit 8 higher.
constexpr uint32_t SUB_USERDATA = 0, SUB_TAG = 8, SUB_FD = 16;
struct Subscription {
    uint32_t size, clock_id, timeout, flags;
};
constexpr Subscription SUBSCRIPTION1{48, 16, 24, 40};
constexpr Subscription SUBSCRIPTION0{56, 24, 32, 48};
// $event (same in both previews)
constexpr uint32_t EVENT_SIZE = 32;
constexpr uint32_t EVENT_USERDATA = 0, EVENT_ERROR = 8, EVENT_TYPE = 10, EVENT_NBYTES = 16, EVENT_FLAGS = 24;
}  // namespace layout

}  // namespace lucet::wasi
