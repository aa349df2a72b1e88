// path_resolve.cpp: see path_resolve.h for the approach and its guarantees.
#include "wasi/path_resolve.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <vector>

#include "wasi/wasi_errno.h"

namespace lucet::wasi {

ResolvedPath::~ResolvedPath() {
    if (owned && dirfd >= 0) ::close(dirfd);
}

namespace {

// Splits on '/', dropping empty components and ".", which never change where
// the walk is. `front` pushes in front of what is already queued (a symlink's
// target replaces the link component).
void push_components(std::deque<std::string> &q, std::string_view path, bool front) {
    std::vector<std::string> parts;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string_view::npos) j = path.size();
        std::string_view c = path.substr(i, j - i);
        if (!c.empty() && c != ".") parts.emplace_back(c);
        i = j + 1;
    }
    if (front)
        q.insert(q.begin(), parts.begin(), parts.end());
    else
        q.insert(q.end(), parts.begin(), parts.end());
}

// readlinkat into a string. Returns false when `name` is not a symlink (or
// cannot be read), with errno set.
bool read_link(int dirfd, const std::string &name, std::string &target) {
    char buf[4096];
    ssize_t n = readlinkat(dirfd, name.c_str(), buf, sizeof buf);
    if (n < 0) return false;
    if (static_cast<size_t>(n) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return false;
    }
    target.assign(buf, static_cast<size_t>(n));
    return true;
}

struct FdStack {
    std::vector<int> fds;  // fds[0] is the borrowed base
    ~FdStack() {
        for (size_t i = 1; i < fds.size(); i++) ::close(fds[i]);
    }
};

// True when the last component of `path` (trailing slashes aside) is "." or
// "..": push_components drops ".", so the requirement that what precedes it be
// a directory has to be kept separately.
bool ends_in_dot(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    size_t slash = path.rfind('/');
    std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
    return last == "." || last == "..";
}

}  // namespace

Errno resolve_path(int base_fd, std::string_view path, FinalLink final_link, ResolvedPath &out) {
    if (path.empty()) return Errno::NOENT;
    if (path.find('\0') != std::string_view::npos) return Errno::INVAL;
    if (path.front() == '/') return Errno::NOTCAPABLE;

    bool dot_final = ends_in_dot(path);
    bool trailing_slash = path.back() == '/' || dot_final;
    bool follow_final = final_link == FinalLink::Follow;
    bool slash_follows = final_link != FinalLink::Entry;
    std::deque<std::string> q;
    push_components(q, path, false);

    FdStack stack;
    stack.fds.push_back(base_fd);
    int links = 0;
    std::string final_name = ".";

    // Splices a symlink's target into the walk. Returns SUCCESS or the errno.
    auto expand = [&](const std::string &target) -> Errno {
        if (++links > kMaxSymlinks) return Errno::LOOP;
        if (target.empty()) return Errno::NOENT;
        if (target.front() == '/') return Errno::NOTCAPABLE;
        if (q.empty() && (target.back() == '/' || ends_in_dot(target))) trailing_slash = true;
        push_components(q, target, true);
        return Errno::SUCCESS;
    };

    while (!q.empty()) {
        std::string c = std::move(q.front());
        q.pop_front();
        bool last = q.empty();
        if (c == "..") {
            if (stack.fds.size() == 1) return Errno::NOTCAPABLE;
            ::close(stack.fds.back());
            stack.fds.pop_back();
            final_name = ".";
            continue;
        }
        int top = stack.fds.back();
        if (last) {
            // A trailing slash resolves a final symlink as POSIX says.
            // "link/." names what the link points to even for Entry calls:
            // the link is not the last component there.
            if (follow_final || (trailing_slash && (slash_follows || dot_final))) {
                std::string target;
                if (read_link(top, c, target)) {
                    Errno e = expand(target);
                    if (e != Errno::SUCCESS) return e;
                    final_name = ".";
                    continue;
                }
            }
            final_name = std::move(c);
            break;
        }
        int fd = openat(top, c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            stack.fds.push_back(fd);
            final_name = ".";
            continue;
        }
        int err = errno;
        if (err == ELOOP || err == ENOTDIR) {
            std::string target;
            if (read_link(top, c, target)) {
                Errno e = expand(target);
                if (e != Errno::SUCCESS) return e;
                continue;
            }
        }
        return errno_from_host(err);
    }

    out.name = std::move(final_name);
    out.must_be_dir = trailing_slash;
    out.dot_final = dot_final;
    if (stack.fds.size() > 1) {
        out.dirfd = stack.fds.back();
        out.owned = true;
        stack.fds.pop_back();
    } else {
        out.dirfd = base_fd;
        out.owned = false;
    }
    return Errno::SUCCESS;
}

}  // namespace lucet::wasi
