// path_resolve.cpp: see path_resolve.h for the approach and its guarantees.
#include "wasi/path_resolve.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "wasi/wasi_errno.h"

namespace lucet::wasi {

ResolvedPath::~ResolvedPath() {
    if (owned && dirfd >= 0) ::close(dirfd);
}

namespace {

// The components still to walk: the guest's path, and on top of it the
// targets of the symlinks being expanded (each one replaces its link's
// component). Each segment is consumed left to right and dropped once
// exhausted, so every byte is looked at a bounded number of times however
// many components, `..` or links the path has: resolution is linear in the
// path's length (itself at most kPathMax - 1 bytes, a link target too).
// Empty components and "." never change where the walk is and are skipped.
class Components {
public:
    explicit Components(std::string_view path) { push(path); }
    // True when no component is left in any segment.
    bool empty() const { return segs_.empty(); }
    // The next component (the caller checks !empty() first).
    std::string next() {
        Segment &s = segs_.back();
        size_t end = component_end(s);
        std::string c = s.text.substr(s.pos, end - s.pos);
        s.pos = end;
        skip();
        return c;
    }
    // Walks `text` before whatever is left.
    void push(std::string_view text) {
        segs_.push_back({std::string(text), 0});
        skip();
    }

private:
    struct Segment {
        std::string text;
        size_t pos;
    };
    static size_t component_end(const Segment &s) {
        size_t end = s.text.find('/', s.pos);
        return end == std::string::npos ? s.text.size() : end;
    }
    // Moves past separators and "." components; drops exhausted segments.
    void skip() {
        while (!segs_.empty()) {
            Segment &s = segs_.back();
            while (s.pos < s.text.size()) {
                if (s.text[s.pos] == '/') {
                    s.pos++;
                    continue;
                }
                size_t end = component_end(s);
                if (end - s.pos == 1 && s.text[s.pos] == '.') {
                    s.pos = end;
                    continue;
                }
                return;
            }
            segs_.pop_back();
        }
    }
    std::vector<Segment> segs_;
};

// readlinkat into a string. Returns false when `name` is not a symlink (or
// cannot be read), with errno set.
bool read_link(int dirfd, const std::string &name, std::string &target) {
    char buf[kPathMax];
    ssize_t n = readlinkat(dirfd, name.c_str(), buf, sizeof buf);
    if (n < 0) return false;
    if (static_cast<size_t>(n) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return false;
    }
    target.assign(buf, static_cast<size_t>(n));
    return true;
}

// The directories walked into, base first, for `..` to go back to. A path
// of 4095 bytes can be 2047 levels deep, and holding an fd per level would
// let a guest briefly take that many of the process's fds (beyond its own
// limit, and beyond the usual RLIMIT_NOFILE of 1024). So only the newest
// kWindow levels and every kStride-th level keep their fd; going back to a
// level whose fd was closed reopens it from the nearest level below that
// kept one, by the names walked (each openat O_NOFOLLOW | O_DIRECTORY from a
// directory inside the sandbox, so it stays inside), and refills the window:
// at most kStride reopens per kWindow `..`s, so the walk stays linear.
class DirStack {
public:
    explicit DirStack(int base) { levels_.push_back({std::string(), base}); }
    DirStack(const DirStack &) = delete;
    DirStack &operator=(const DirStack &) = delete;
    ~DirStack() {
        for (size_t i = 1; i < levels_.size(); i++)
            if (levels_[i].fd >= 0) ::close(levels_[i].fd);
    }
    bool at_base() const { return levels_.size() == 1; }
    int top() const { return levels_.back().fd; }
    // Enters directory `name`, opened as `fd` (owned from now on).
    void push(std::string name, int fd) {
        levels_.push_back({std::move(name), fd});
        size_t old = levels_.size() - 1;
        if (old > kWindow) evict(old - kWindow);
    }
    // Goes back one level ("..", never above the base).
    Errno pop() {
        ::close(levels_.back().fd);
        levels_.pop_back();
        if (levels_.back().fd >= 0) return Errno::SUCCESS;
        size_t from = levels_.size() - 1;
        while (levels_[from].fd < 0) from--;
        for (size_t i = from + 1; i < levels_.size(); i++) {
            int fd = openat(levels_[i - 1].fd, levels_[i].name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) return errno_from_host(errno);  // renamed meanwhile
            levels_[i].fd = fd;
        }
        return Errno::SUCCESS;
    }
    // Hands the top's fd to the caller (owned unless it is the base).
    int release_top() {
        int fd = levels_.back().fd;
        if (!at_base()) levels_.back().fd = -1;
        return fd;
    }

private:
    static constexpr size_t kWindow = 32, kStride = 32;
    void evict(size_t i) {
        if (i % kStride != 0 && levels_[i].fd >= 0) {
            ::close(levels_[i].fd);
            levels_[i].fd = -1;
        }
    }
    struct Level {
        std::string name;
        int fd;
    };
    std::vector<Level> levels_;  // levels_[0] is the borrowed base
};

// True when the last component of `path` (trailing slashes aside) is "." or
// "..": Components skips ".", so the requirement that what precedes it be
// a directory has to be kept separately.
bool ends_in_dot(std::string_view path) {
    while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
    size_t slash = path.rfind('/');
    std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
    return last == "." || last == "..";
}

}  // namespace

Errno resolve_path(int base_fd, std::string_view path, FinalLink final_link, ResolvedPath &out) {
    // Bounded before anything is copied or split (Linux's PATH_MAX counts the
    // terminating NUL, so 4095 bytes is the longest path it accepts).
    if (path.size() >= kPathMax) return Errno::NAMETOOLONG;
    if (path.empty()) return Errno::NOENT;
    if (path.find('\0') != std::string_view::npos) return Errno::INVAL;
    if (path.front() == '/') return Errno::NOTCAPABLE;

    bool dot_final = ends_in_dot(path);
    bool trailing_slash = path.back() == '/' || dot_final;
    bool follow_final = final_link == FinalLink::Follow;
    bool slash_follows = final_link != FinalLink::Entry;
    Components q(path);

    DirStack stack(base_fd);
    int links = 0;
    std::string final_name = ".";

    // Splices a symlink's target into the walk. Returns SUCCESS or the errno.
    auto expand = [&](const std::string &target) -> Errno {
        if (++links > kMaxSymlinks) return Errno::LOOP;
        if (target.empty()) return Errno::NOENT;
        if (target.front() == '/') return Errno::NOTCAPABLE;
        if (q.empty() && (target.back() == '/' || ends_in_dot(target))) trailing_slash = true;
        q.push(target);
        return Errno::SUCCESS;
    };

    while (!q.empty()) {
        std::string c = q.next();
        bool last = q.empty();
        if (c == "..") {
            if (stack.at_base()) return Errno::NOTCAPABLE;
            if (Errno e = stack.pop(); e != Errno::SUCCESS) return e;
            final_name = ".";
            continue;
        }
        int top = stack.top();
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
            stack.push(std::move(c), fd);
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
    out.owned = !stack.at_base();
    out.dirfd = stack.release_top();
    return Errno::SUCCESS;
}

}  // namespace lucet::wasi
