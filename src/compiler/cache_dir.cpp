// cache_dir.cpp: the compile cache's directory: ownership and mode checks,
// LRU eviction and clearing (see compile_cache.h).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <vector>

#include "compiler/compile_cache.h"

namespace lucet::cache {

namespace {

constexpr time_t kStaleTempSeconds = 3600;
constexpr time_t kStaleRecordSeconds = 30 * 24 * 3600;

std::string mode_text(mode_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

// Why `st` may not be trusted as the cache's (`what` names it), or "".
std::string untrusted(const struct stat &st, const std::string &what) {
    if (st.st_uid != geteuid())
        return what + " is owned by uid " + std::to_string(st.st_uid) + ", not by the current user (uid " +
               std::to_string(geteuid()) + ")";
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return what + " is group- or world-writable (mode " + mode_text(st.st_mode) + ")";
    return "";
}

// An entry of the cache: <64 hex digits>.so or .sum; a C compiler version
// stamp: <64 hex digits>.ccv (cache_key.h); a temporary file of
// one: <entry>.tmp...
struct Name {
    enum Kind { Entry, Temp, Record, Other } kind = Other;
    std::string key;
};

Name classify(const std::string &n) {
    size_t hex = 0;
    while (hex < n.size() && std::strchr("0123456789abcdef", n[hex]) && n[hex]) hex++;
    if (hex != 64) return {};
    std::string rest = n.substr(64);
    if (rest == ".so" || rest == ".sum") return {Name::Entry, n.substr(0, 64)};
    if (rest == ".ccv" || rest == ".wix") return {Name::Record, n.substr(0, 64)};  // cc_identity stamps, the .wasm index
    if (rest.rfind(".so.tmp", 0) == 0 || rest.rfind(".sum.tmp", 0) == 0 || rest.rfind(".ccv.tmp", 0) == 0 ||
        rest.rfind(".wix.tmp", 0) == 0)
        return {Name::Temp, n.substr(0, 64)};
    return {};
}

struct Entry {
    uint64_t bytes = 0;
    struct timespec used {};  // the .so's mtime
};

// Calls fn(name, kind, key, stat) for each file of the cache open as `dir_fd`.
template <typename Fn>
Status scan(int dir_fd, const std::string &dir, Fn fn) {
    int list_fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = list_fd < 0 ? nullptr : fdopendir(list_fd);
    if (!d) {
        int e = errno;
        if (list_fd >= 0) close(list_fd);
        return make_error("cannot list cache directory '" + dir + "': " + std::strerror(e));
    }
    while (dirent *de = readdir(d)) {
        Name n = classify(de->d_name);
        if (n.kind == Name::Other) continue;
        struct stat st;
        if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        fn(std::string(de->d_name), n, st);
    }
    closedir(d);
    return {};
}

bool older(const struct timespec &a, const struct timespec &b) {
    return a.tv_sec != b.tv_sec ? a.tv_sec < b.tv_sec : a.tv_nsec < b.tv_nsec;
}

Status make_parents(const std::string &dir) {
    for (size_t i = 1; i <= dir.size(); i++) {
        if (i < dir.size() && dir[i] != '/') continue;
        std::string cur = dir.substr(0, i);
        if (mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST)
            return make_error("cannot create cache directory '" + cur + "': " + std::strerror(errno));
    }
    return {};
}

}  // namespace

Result<Dir> Dir::open(const std::string &path) {
    LUCET_TRY(make_parents(path));
    Dir d;
    d.path_ = path;
    // A symlink to a directory is followed: the checks below are of the
    // directory opened, and everything after goes through its descriptor.
    d.fd_.reset(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!d.fd_) {
        if (errno == ENOTDIR) return make_error("cache directory '" + path + "' is not a directory");
        return make_error("cannot use cache directory '" + path + "': " + std::strerror(errno));
    }
    struct stat st;
    if (fstat(d.fd(), &st) != 0)
        return make_error("cannot use cache directory '" + path + "': " + std::strerror(errno));
    std::string why = untrusted(st, "cache directory '" + path + "'");
    if (!why.empty())
        return make_error("refusing the compile cache: " + why +
                          "; fix its owner/mode (chmod go-w) or choose another directory (XDG_CACHE_HOME)");
    return d;
}

Status check_entry(int fd, const std::string &what) {
    struct stat st;
    if (fstat(fd, &st) != 0) return make_error("cannot inspect cache entry '" + what + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return make_error("refusing cache entry '" + what + "': not a regular file");
    std::string why = untrusted(st, "cache entry '" + what + "'");
    if (!why.empty())
        return make_error("refusing the compile cache: " + why + "; remove it (lucet-wasi --cache-clear)");
    return {};
}

Result<CacheStats> evict(const Dir &dir, uint64_t max_size, const std::string &keep, uint64_t room) {
    std::map<std::string, Entry> entries;
    std::vector<std::string> stale;
    const time_t now = time(nullptr);
    LUCET_TRY(scan(dir.fd(), dir.path(), [&](const std::string &file, const Name &n, const struct stat &st) {
        if (!S_ISREG(st.st_mode)) return;  // refused when looked up; removed by clear
        if (n.kind == Name::Temp) {
            if (now - st.st_mtime > kStaleTempSeconds) stale.push_back(file);
            return;
        }
        // Records (cc version stamps, the .wasm index) are a few hundred bytes
        // each; those not written for 30 days go (a .wasm index record is
        // only a hash to recompute).
        if (n.kind == Name::Record) {
            // Making room on a full file system, all go (each only costs
            // the next run a probe or a read of its .wasm).
            if (room > 0 || now - st.st_mtime > kStaleRecordSeconds) stale.push_back(file);
            return;
        }
        Entry &e = entries[n.key];
        e.bytes += static_cast<uint64_t>(st.st_size);
        if (file.size() > 3 && file.compare(file.size() - 3, 3, ".so") == 0) e.used = st.st_mtim;
    }));
    CacheStats removed;
    for (const std::string &f : stale)
        if (unlinkat(dir.fd(), f.c_str(), 0) == 0) removed.entries++;
    uint64_t total = 0;
    std::vector<std::pair<std::string, Entry>> lru(entries.begin(), entries.end());
    for (const auto &[key, e] : lru) total += e.bytes;
    uint64_t bound = max_size == 0 ? total : std::min(total, max_size);
    bound = bound > room ? bound - room : 0;
    if (total <= bound) return removed;
    std::sort(lru.begin(), lru.end(), [](const auto &a, const auto &b) { return older(a.second.used, b.second.used); });
    for (const auto &[key, e] : lru) {
        if (total <= bound) break;
        if (key == keep) continue;
        // The .so first: a .sum left alone is only a miss later. A process
        // that is loading the entry holds it open: unaffected.
        unlinkat(dir.fd(), (key + ".so").c_str(), 0);
        unlinkat(dir.fd(), (key + ".sum").c_str(), 0);
        total -= e.bytes;
        removed.entries++;
        removed.bytes += e.bytes;
    }
    return removed;
}

Result<uint64_t> usage(const Dir &dir) {
    uint64_t total = 0;
    LUCET_TRY(scan(dir.fd(), dir.path(), [&](const std::string &, const Name &, const struct stat &st) {
        if (S_ISREG(st.st_mode)) total += static_cast<uint64_t>(st.st_size);
    }));
    return total;
}

Result<CacheStats> clear(const std::string &path) {
    // Not checked for trust: removing entries is what a refused cache needs.
    CacheStats removed;
    UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
        if (errno == ENOENT) return removed;
        return make_error("cannot open cache directory '" + path + "': " + std::strerror(errno));
    }
    // Whatever has a cache file's name goes, of any type (a FIFO or a
    // directory named <key>.so is refused by lookups: clearing is the remedy).
    struct File {
        std::string name;
        uint64_t size;
        bool is_dir;
    };
    std::vector<File> files;
    LUCET_TRY(scan(dir.get(), path, [&](const std::string &file, const Name &, const struct stat &st) {
        files.push_back({file, S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0, S_ISDIR(st.st_mode)});
    }));
    // Each that can go goes; the first that cannot is reported after.
    std::string failed;
    for (const auto &[file, size, is_dir] : files) {
        if (unlinkat(dir.get(), file.c_str(), is_dir ? AT_REMOVEDIR : 0) != 0) {
            if (failed.empty())
                failed = "cannot remove cache file '" + path + "/" + file + "': " + std::strerror(errno);
            continue;
        }
        if (file.size() > 3 && file.compare(file.size() - 3, 3, ".so") == 0) removed.entries++;
        removed.bytes += size;
    }
    if (!failed.empty()) return make_error(failed);
    return removed;
}

}  // namespace lucet::cache
