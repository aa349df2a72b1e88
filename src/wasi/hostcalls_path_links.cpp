// hostcalls_path_links.cpp: rename, hard and symbolic links, readlink, and
// path timestamps. Both ends of a two-path operation are resolved inside
// their own directory descriptor's sandbox (see path_resolve.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "wasi/hostcalls.h"
#include "wasi/path_resolve.h"
#include "wasi/wasi_errno.h"

namespace lucet::wasi {

namespace {

// A trailing slash on either side of a rename/link requires a directory.
Errno check_dir_slash(const ResolvedPath &src, const ResolvedPath &dst) {
    if (!src.must_be_dir && !dst.must_be_dir) return Errno::SUCCESS;
    return entry_dir_or(src, Errno::SUCCESS);
}

}  // namespace

Errno path_filestat_set_times(Call &c, uint32_t fd, uint32_t flags, uint32_t path, uint32_t path_len,
                              uint64_t atim, uint64_t mtim, uint32_t fst) {
    FinalLink final_link;
    if (Errno r = final_link_of(flags, final_link); r != Errno::SUCCESS) return r;
    struct timespec ts[2];
    if (Errno r = make_timespecs(atim, mtim, fst, ts); r != Errno::SUCCESS) return r;
    ResolvedPath rp;
    if (Errno r = resolve_in(c, fd, rights::PATH_FILESTAT_SET_TIMES, path, path_len, final_link, rp);
        r != Errno::SUCCESS)
        return r;
    if (utimensat(rp.dirfd, rp.name.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) return errno_from_host(errno);
    return Errno::SUCCESS;
}

Errno path_rename(Call &c, uint32_t fd, uint32_t old_path, uint32_t old_len, uint32_t new_fd, uint32_t new_path,
                  uint32_t new_len) {
    ResolvedPath src, dst;
    if (Errno r = resolve_in(c, fd, rights::PATH_RENAME_SOURCE, old_path, old_len, FinalLink::Entry, src);
        r != Errno::SUCCESS)
        return r;
    if (Errno r = resolve_in(c, new_fd, rights::PATH_RENAME_TARGET, new_path, new_len, FinalLink::Entry, dst);
        r != Errno::SUCCESS)
        return r;
    if (Errno r = check_dir_slash(src, dst); r != Errno::SUCCESS) return r;
    // A dot entry cannot move or be replaced: Linux says BUSY (POSIX allows it).
    if (src.dot_final || dst.dot_final) return Errno::BUSY;
    if (renameat(src.dirfd, src.name.c_str(), dst.dirfd, dst.name.c_str()) != 0) return errno_from_host(errno);
    return Errno::SUCCESS;
}

Errno path_link(Call &c, uint32_t old_fd, uint32_t old_flags, uint32_t old_path, uint32_t old_len, uint32_t new_fd,
                uint32_t new_path, uint32_t new_len) {
    FinalLink final_link;
    if (Errno r = final_link_of(old_flags, final_link); r != Errno::SUCCESS) return r;
    ResolvedPath src, dst;
    if (Errno r = resolve_in(c, old_fd, rights::PATH_LINK_SOURCE, old_path, old_len, final_link, src);
        r != Errno::SUCCESS)
        return r;
    if (Errno r = resolve_in(c, new_fd, rights::PATH_LINK_TARGET, new_path, new_len, FinalLink::Entry, dst);
        r != Errno::SUCCESS)
        return r;
    if (src.must_be_dir) return Errno::NOTDIR;  // no hard links to directories
    if (dst.must_be_dir) return slash_create_target(dst);
    // The source symlink (if any) was already resolved by resolve_path; flags 0 links the final name itself.
    if (linkat(src.dirfd, src.name.c_str(), dst.dirfd, dst.name.c_str(), 0) != 0) return errno_from_host(errno);
    return Errno::SUCCESS;
}

Errno path_symlink(Call &c, uint32_t old_path, uint32_t old_len, uint32_t fd, uint32_t new_path, uint32_t new_len) {
    if (old_len >= kPathMax) return Errno::NAMETOOLONG;  // as symlink(2) says
    std::string_view target;
    if (!c.mem.string(old_path, old_len, target)) return Errno::FAULT;
    if (target.find('\0') != std::string_view::npos) return Errno::INVAL;
    // An absolute target could never be followed inside the sandbox, and a
    // host program following it later would be led out of the preopen.
    if (!target.empty() && target.front() == '/') return Errno::NOTCAPABLE;
    ResolvedPath dst;
    if (Errno r = resolve_in(c, fd, rights::PATH_SYMLINK, new_path, new_len, FinalLink::Entry, dst);
        r != Errno::SUCCESS)
        return r;
    // "link/" names a directory: EXIST if the name is taken, else NOENT.
    if (dst.must_be_dir) return slash_create_target(dst);
    std::string t(target);
    if (symlinkat(t.c_str(), dst.dirfd, dst.name.c_str()) != 0) return errno_from_host(errno);
    return Errno::SUCCESS;
}

Errno path_readlink(Call &c, uint32_t fd, uint32_t path, uint32_t path_len, uint32_t buf, uint32_t buf_len,
                    uint32_t used_out) {
    uint8_t *out = c.mem.span(buf, buf_len);
    if (!out || !c.mem.in_bounds(used_out, 4)) return Errno::FAULT;
    ResolvedPath rp;
    if (Errno r = resolve_in(c, fd, rights::PATH_READLINK, path, path_len, FinalLink::NoFollow, rp);
        r != Errno::SUCCESS)
        return r;
    char tmp[4096];
    ssize_t n = readlinkat(rp.dirfd, rp.name.c_str(), tmp, sizeof tmp);
    if (n < 0) return errno_from_host(errno);
    // Truncated to the buffer, as readlink(2) does; bufused tells how much.
    uint32_t m = std::min<uint32_t>(static_cast<uint32_t>(n), buf_len);
    if (m) std::memcpy(out, tmp, m);
    c.mem.write<uint32_t>(used_out, m);
    return Errno::SUCCESS;
}

}  // namespace lucet::wasi
