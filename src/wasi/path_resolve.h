// path_resolve.h: sandboxed resolution of a guest path relative to a directory
// descriptor (a preopen or a directory opened beneath one).
//
// The path is walked one component at a time with openat(O_PATH | O_DIRECTORY
// | O_NOFOLLOW): the kernel never follows a symlink or `..` on our behalf.
// Symlinks are read with readlinkat and their (relative) targets spliced into
// the walk; `..` pops our own stack of directory fds, so it can never rise
// above the starting directory. Absolute paths, absolute symlink targets and
// escapes by `..` are refused with NOTCAPABLE. The caller then acts on
// (dirfd, name) with an *at() call using O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so
// a symlink swapped in after resolution is not followed either.
#pragma once

#include <string>
#include <string_view>

#include "wasi/wasi_types.h"

namespace lucet::wasi {

class ResolvedPath {
public:
    ResolvedPath() = default;
    ResolvedPath(const ResolvedPath &) = delete;
    ResolvedPath &operator=(const ResolvedPath &) = delete;
    ~ResolvedPath();

    int dirfd = -1;           // directory containing the final component
    std::string name;         // final component ("." when the path names dirfd itself)
    bool must_be_dir = false; // the path had a trailing slash, or ended in "." or ".."
    bool dot_final = false;   // the path's last component was "." or ".." (POSIX: rmdir and
                              // rename refuse it; "f/." names no entry of its own)

    bool owned = false;       // dirfd is ours to close
};

// How a final symlink is treated. Follow: resolved (lookupflags.symlink_follow).
// NoFollow: kept, except that a trailing slash resolves it (POSIX pathname
// resolution, as open and stat do). Entry: kept even with a trailing slash, for
// calls that act on the directory entry itself (unlink, rmdir, rename, mkdir,
// link and symlink targets): Linux makes rmdir("link/") ENOTDIR, never removes
// the directory the link points to.
enum class FinalLink { NoFollow, Follow, Entry };

// The treatment a $lookupflags value asks for; INVAL for undefined bits (as
// for undefined oflags or fdflags bits, and as wasmtime does), before any
// other check of the call.
inline Errno final_link_of(uint32_t lookup, FinalLink &out) {
    if (lookup & ~lookupflags::ALL) return Errno::INVAL;
    out = (lookup & lookupflags::SYMLINK_FOLLOW) ? FinalLink::Follow : FinalLink::NoFollow;
    return Errno::SUCCESS;
}

// Resolves `path` beneath `base_fd`; intermediate symlinks are always followed
// (inside the sandbox). Time and memory are linear in the path's length.
Errno resolve_path(int base_fd, std::string_view path, FinalLink final_link, ResolvedPath &out);

// Paths (and symlink targets) of kPathMax bytes or more are refused with
// NAMETOOLONG before any work is done, as Linux does (PATH_MAX, 4096,
// counts the terminating NUL).
constexpr size_t kPathMax = 4096;

// Maximum number of symlinks expanded in one resolution (Linux's limit).
constexpr int kMaxSymlinks = 40;

}  // namespace lucet::wasi
