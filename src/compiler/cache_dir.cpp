// cache_dir.cpp: the compile cache's directory: ownership and mode checks,
// LRU eviction and clearing (see compile_cache.h).
#include <dirent.h>
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
    if (rest == ".ccv" || rest == ".wix") return {Name::Record, n.substr(0, 64)};  // cc_version, the .wasm index
    if (rest.rfind(".so.tmp", 0) == 0 || rest.rfind(".sum.tmp", 0) == 0 || rest.rfind(".ccv.tmp", 0) == 0 ||
        rest.rfind(".wix.tmp", 0) == 0)
        return {Name::Temp, n.substr(0, 64)};
    return {};
}

struct Entry {
    uint64_t bytes = 0;
    struct timespec used {};  // the .so's mtime
};

// Calls fn(name, kind, key, stat) for each file of the cache in `dir`.
template <typename Fn>
Status scan(const std::string &dir, Fn fn) {
    DIR *d = opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return {};
        return make_error("cannot list cache directory '" + dir + "': " + std::strerror(errno));
    }
    while (dirent *de = readdir(d)) {
        Name n = classify(de->d_name);
        if (n.kind == Name::Other) continue;
        struct stat st;
        if (lstat((dir + "/" + de->d_name).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        fn(std::string(de->d_name), n, st);
    }
    closedir(d);
    return {};
}

bool older(const struct timespec &a, const struct timespec &b) {
    return a.tv_sec != b.tv_sec ? a.tv_sec < b.tv_sec : a.tv_nsec < b.tv_nsec;
}

}  // namespace

Status ensure_private_dir(const std::string &dir) {
    for (size_t i = 1; i <= dir.size(); i++) {
        if (i < dir.size() && dir[i] != '/') continue;
        std::string cur = dir.substr(0, i);
        if (mkdir(cur.c_str(), 0700) != 0 && errno != EEXIST)
            return make_error("cannot create cache directory '" + cur + "': " + std::strerror(errno));
    }
    struct stat st;
    if (stat(dir.c_str(), &st) != 0)
        return make_error("cannot use cache directory '" + dir + "': " + std::strerror(errno));
    if (!S_ISDIR(st.st_mode)) return make_error("cache directory '" + dir + "' is not a directory");
    std::string why = untrusted(st, "cache directory '" + dir + "'");
    if (!why.empty())
        return make_error("refusing the compile cache: " + why +
                          "; fix its owner/mode (chmod go-w) or choose another directory (XDG_CACHE_HOME)");
    return {};
}

Status check_entry_file(const std::string &path) {
    struct stat st;
    if (lstat(path.c_str(), &st) != 0)
        return make_error("cannot inspect cache entry '" + path + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return make_error("refusing cache entry '" + path + "': not a regular file");
    std::string why = untrusted(st, "cache entry '" + path + "'");
    if (!why.empty())
        return make_error("refusing the compile cache: " + why + "; remove it (lucet-wasi --cache-clear)");
    return {};
}

Result<CacheStats> evict(const std::string &dir, uint64_t max_size, const std::string &keep) {
    std::map<std::string, Entry> entries;
    std::vector<std::string> stale;
    const time_t now = time(nullptr);
    LUCET_TRY(scan(dir, [&](const std::string &file, const Name &n, const struct stat &st) {
        if (n.kind == Name::Temp) {
            if (now - st.st_mtime > kStaleTempSeconds) stale.push_back(file);
            return;
        }
        // Records (cc version stamps, the .wasm index) are a few hundred bytes
        // each; those not written for 30 days go (a .wasm index record is
        // only a hash to recompute).
        if (n.kind == Name::Record) {
            if (now - st.st_mtime > kStaleRecordSeconds) stale.push_back(file);
            return;
        }
        Entry &e = entries[n.key];
        e.bytes += static_cast<uint64_t>(st.st_size);
        if (file.size() > 3 && file.compare(file.size() - 3, 3, ".so") == 0) e.used = st.st_mtim;
    }));
    CacheStats removed;
    for (const std::string &f : stale)
        if (unlink((dir + "/" + f).c_str()) == 0) removed.entries++;
    uint64_t total = 0;
    std::vector<std::pair<std::string, Entry>> lru(entries.begin(), entries.end());
    for (const auto &[key, e] : lru) total += e.bytes;
    if (max_size == 0 || total <= max_size) return removed;
    std::sort(lru.begin(), lru.end(), [](const auto &a, const auto &b) { return older(a.second.used, b.second.used); });
    for (const auto &[key, e] : lru) {
        if (total <= max_size) break;
        if (key == keep) continue;
        // The .so first: a .sum left alone is only a miss later.
        unlink((dir + "/" + key + ".so").c_str());
        unlink((dir + "/" + key + ".sum").c_str());
        total -= e.bytes;
        removed.entries++;
        removed.bytes += e.bytes;
    }
    return removed;
}

Result<CacheStats> clear(const std::string &dir) {
    std::vector<std::pair<std::string, uint64_t>> files;
    LUCET_TRY(scan(dir, [&](const std::string &file, const Name &, const struct stat &st) {
        files.emplace_back(file, static_cast<uint64_t>(st.st_size));
    }));
    CacheStats removed;
    for (const auto &[file, size] : files) {
        if (unlink((dir + "/" + file).c_str()) != 0)
            return make_error("cannot remove cache file '" + dir + "/" + file + "': " + std::strerror(errno));
        if (file.size() > 3 && file.compare(file.size() - 3, 3, ".so") == 0) removed.entries++;
        removed.bytes += size;
    }
    return removed;
}

}  // namespace lucet::cache
