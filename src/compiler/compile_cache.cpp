// compile_cache.cpp: see compile_cache.h.
#include "compiler/compile_cache.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "compiler/cache_key.h"
#include "compiler/cc_driver.h"
#include "util/file_bytes.h"
#include "util/size.h"

namespace lucet {

namespace {

constexpr char kSumHeader[] = "lucet-cache-sum 2\n";

// What <key>.sum holds for an entry whose .so has the checksum `checksum`:
// the key too, so that an entry renamed to another key is a miss.
std::string sum_text(const std::string &key, const std::string &checksum) {
    return std::string(kSumHeader) + key + "\n" + checksum + "\n";
}

// The text of <key>.sum, or "" when there is none; an error when it is not
// this user's private file.
Result<std::string> read_sum(const cache::Dir &dir, const std::string &name) {
    UniqueFd fd(openat(dir.fd(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::string();
        return make_error("cannot open cache entry '" + dir.file(name) + "': " + std::strerror(errno));
    }
    LUCET_TRY(cache::check_entry(fd.get(), dir.file(name)));
    char buf[256];
    ssize_t n = read(fd.get(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

// The entry <key>.so open, when it is a hit: both files pass the ownership
// checks and <key>.sum holds this key and the .so's checksum
// (cache::module_checksum_fd: all but the data image). A hit refreshes the
// .so's mtime (the LRU clock). An empty descriptor is a miss: no entry (or
// one removed meanwhile by another process's eviction), or a corrupt one,
// which is removed. An entry that fails the checks is an error.
Result<UniqueFd> lookup(const cache::Dir &dir, const std::string &key) {
    const std::string so_name = key + ".so", sum_name = key + ".sum";
    UniqueFd so(openat(dir.fd(), so_name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!so) {
        if (errno == ENOENT) return UniqueFd();
        if (errno == ELOOP) return make_error("refusing cache entry '" + dir.file(so_name) + "': not a regular file");
        return make_error("cannot open cache entry '" + dir.file(so_name) + "': " + std::strerror(errno));
    }
    LUCET_TRY(cache::check_entry(so.get(), dir.file(so_name)));
    auto want = read_sum(dir, sum_name);
    if (!want.ok()) return want.error();
    auto have = cache::module_checksum_fd(so.get());
    if (have.ok() && want.value() == sum_text(key, have.value())) {
        futimens(so.get(), nullptr);
        // Entries written before entries were made read-only: the loader
        // maps the data image only from a file nobody may write.
        struct stat st;
        if (fstat(so.get(), &st) == 0 && (st.st_mode & S_IWUSR)) fchmod(so.get(), 0400);
        return so;
    }
    unlinkat(dir.fd(), sum_name.c_str(), 0);
    unlinkat(dir.fd(), so_name.c_str(), 0);
    return UniqueFd();
}

// Copies the file `from` to `to` (both open), in the kernel.
Status copy_file(int from, int to) {
    for (;;) {
        ssize_t n = sendfile(to, from, nullptr, 1 << 30);
        if (n == 0) return {};
        if (n < 0 && errno != EINTR) {
            int e = errno;
            Status st = make_error(std::strerror(e));
            errno = e;
            return st;
        }
    }
}

bool no_space(int e) { return e == ENOSPC || e == EDQUOT; }

// Puts the compiled `built` into the cache as the temporary `tmp` (linked
// when on the cache's file system, else copied; `built` stays) and opens it
// there. `full` is set when the file system had no room.
Result<UniqueFd> place(const cache::Dir &dir, const std::string &built, const std::string &tmp, bool &full) {
    if (linkat(AT_FDCWD, built.c_str(), dir.fd(), tmp.c_str(), 0) != 0) {
        if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
            full = no_space(errno);
            return make_error("cannot write cache entry '" + dir.file(tmp) + "': " + std::strerror(errno));
        }
        UniqueFd src(open(built.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        if (!src) return make_error("cannot open the compiled module '" + built + "': " + std::strerror(errno));
        LUCET_TRY(cache::check_entry(src.get(), built));
        UniqueFd dst(openat(dir.fd(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        Status copied = !dst ? make_error(std::strerror(errno)) : copy_file(src.get(), dst.get());
        if (copied.ok() && fsync(dst.get()) != 0) copied = make_error(std::strerror(errno));
        if (copied.ok() && close(dst.release()) != 0) copied = make_error(std::strerror(errno));
        if (!copied.ok()) {
            full = no_space(errno);
            unlinkat(dir.fd(), tmp.c_str(), 0);
            return make_error("cannot write cache entry '" + dir.file(tmp) + "': " + copied.error().to_string());
        }
    }
    UniqueFd fd(openat(dir.fd(), tmp.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        int e = errno;
        unlinkat(dir.fd(), tmp.c_str(), 0);
        return make_error("cannot open the new cache entry '" + dir.file(tmp) + "': " + std::strerror(e));
    }
    if (Status st = cache::check_entry(fd.get(), dir.file(tmp)); !st.ok()) {
        unlinkat(dir.fd(), tmp.c_str(), 0);
        return st.error();
    }
    return fd;
}

// Stores the compiled module `built` as the entry <key>: <key>.so and
// <key>.sum written under temporary names,
// made read-only (0400) and renamed into place, the .sum first (a reader
// between the renames sees a mismatch: a miss). Read-only because the loader
// maps a module's data image straight from its file only when nobody can
// write the file (runtime/module_file.cpp): a writable entry would be copied
// at every start. Removing or replacing an entry needs only the directory's
// write permission. Returns the new .so, open; `full` is set when a failure
// was for want of room.
Result<UniqueFd> store(const cache::Dir &dir, const std::string &key, const std::string &built, bool &full) {
    const std::string so_name = key + ".so", sum_name = key + ".sum";
    const std::string tmp_so = cache::temp_name(so_name), tmp_sum = cache::temp_name(sum_name);
    auto fd = place(dir, built, tmp_so, full);
    if (!fd.ok()) return fd.error();
    Result<std::string> digest = cache::module_checksum_fd(fd.value().get());
    if (!digest.ok() || fchmod(fd.value().get(), 0400) != 0) {
        std::string why = digest.ok() ? std::strerror(errno) : digest.error().to_string();
        unlinkat(dir.fd(), tmp_so.c_str(), 0);
        return make_error("cannot checksum the new cache entry '" + dir.file(tmp_so) + "': " + why);
    }
    const std::string text = sum_text(key, digest.value());
    int e = cache::write_new_file(dir.fd(), tmp_sum, text);
    if (e == 0 && renameat(dir.fd(), tmp_sum.c_str(), dir.fd(), sum_name.c_str()) != 0) e = errno;
    if (e == 0 && renameat(dir.fd(), tmp_so.c_str(), dir.fd(), so_name.c_str()) != 0) e = errno;
    if (e != 0) {
        unlinkat(dir.fd(), tmp_sum.c_str(), 0);
        unlinkat(dir.fd(), tmp_so.c_str(), 0);
        full = no_space(e);
        return make_error("cannot write cache entry '" + dir.file(sum_name) + "': " + std::strerror(e));
    }
    return std::move(fd.value());
}

}  // namespace

Result<std::string> default_cache_dir() {
    std::string base;
    const char *what = "XDG_CACHE_HOME";
    if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
        base = xdg;
    } else if (const char *home = std::getenv("HOME"); home && *home) {
        base = std::string(home) + "/.cache";
        what = "HOME";
    } else {
        what = "the password database's home directory";
        std::vector<char> buf(16384);
        struct passwd pw, *found = nullptr;
        if (getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found && found->pw_dir &&
            *found->pw_dir)
            base = std::string(found->pw_dir) + "/.cache";
        else
            return make_error("no directory for the compile cache: neither XDG_CACHE_HOME nor HOME is set, and user " +
                              std::to_string(getuid()) + " has no home directory in the password database");
    }
    if (base[0] != '/')
        return make_error("no directory for the compile cache: " + std::string(what) + " is a relative path ('" + base +
                          "'); it must be absolute");
    return base + "/lucet";
}

Result<uint64_t> default_cache_max_size() {
    const char *env = std::getenv("LUCET_CACHE_MAX_SIZE");
    if (!env || !*env) return kDefaultCacheMaxSize;
    auto r = parse_size(env);
    if (!r.ok()) return make_error("LUCET_CACHE_MAX_SIZE: " + r.error().to_string());
    return r.value();
}

Status compile_file_atomic(const std::string &input, const std::string &output, const CompileOptions &opts) {
    std::string tmp = cache::temp_name(output);
    Status st = compile_file(input, tmp, opts);
    if (!st) {
        unlink(tmp.c_str());
        return st;
    }
    if (std::rename(tmp.c_str(), output.c_str()) != 0) {
        int e = errno;
        unlink(tmp.c_str());
        return make_error("cannot write '" + output + "': " + std::strerror(e));
    }
    return {};
}

namespace {

// `opts` whose time bound (max_time_seconds from now) covers the C
// compiler's probe for the key and the compile together.
CompileOptions with_deadline(const CompileOptions &opts) {
    CompileOptions o = opts;
    if (o.max_time_seconds && !o.deadline)
        o.deadline = std::chrono::steady_clock::now() +
                     std::chrono::seconds(std::min<uint64_t>(o.max_time_seconds, 1ull << 32));
    return o;
}

// The entry of the module whose BLAKE2b is `module_hash`: its key, and the
// .so open when it is a valid hit (lookup).
struct EntryFiles {
    std::string key;
    UniqueFd hit;
};
Result<EntryFiles> find_entry(const std::string &module_hash, const CompileOptions &opts, const cache::Dir &dir) {
    auto key = cache::cache_key_of_module(module_hash, opts, dir.fd());
    if (!key.ok()) return key.error();
    auto found = lookup(dir, key.value());
    if (!found.ok()) return found.error();
    return EntryFiles{key.value(), std::move(found.value())};
}

CachedModule hit(const cache::Dir &dir, EntryFiles &e) { return {dir.file(e.key + ".so"), std::move(e.hit)}; }

// The entry for `bytes` whose BLAKE2b is `module_hash` (a hit, or compiled now).
Result<CachedModule> cached_entry(const std::string &name, const std::string &bytes, const std::string &module_hash,
                                  const CompileOptions &opts, const cache::Dir &dir, uint64_t max_size) {
    auto e = find_entry(module_hash, opts, dir);
    if (!e.ok()) return e.error();
    if (e.value().hit) return hit(dir, e.value());
    // Short of room on the cache's file system (which $TMPDIR often shares:
    // the C sources and objects need room too), the least recently used
    // entries make some first; a guess at what the compile and the entry
    // take: 16 times the module and 8 MiB, at most half the file system.
    struct statvfs vfs;
    if (fstatvfs(dir.fd(), &vfs) == 0) {
        const uint64_t avail = uint64_t(vfs.f_bavail) * vfs.f_frsize;
        const uint64_t need = std::min<uint64_t>(16 * static_cast<uint64_t>(bytes.size()) + (8u << 20),
                                                 uint64_t(vfs.f_blocks) * vfs.f_frsize / 2);
        if (avail < need) {
            auto evicted = cache::evict(dir, max_size, e.value().key, need - avail);
            if (!evicted.ok()) return evicted.error();
        }
    }
    // Compiled in a private temporary directory, then stored.
    ccdrv::TempDir work;
    LUCET_TRY(work.create());
    const std::string built = work.path() + "/module.so";
    Status compiled = compile_bytes(std::vector<uint8_t>(bytes.begin(), bytes.end()), built, opts);
    if (!compiled.ok() && fstatvfs(dir.fd(), &vfs) == 0 &&
        uint64_t(vfs.f_bavail) * vfs.f_frsize < 16 * static_cast<uint64_t>(bytes.size()) + (8u << 20)) {
        // A failure on a file system still short of room (cc's own log may
        // not say why): once more, with every other entry evicted.
        auto used = cache::usage(dir);
        auto evicted = used.ok() && used.value() > 0 ? cache::evict(dir, max_size, e.value().key, used.value())
                                                     : Result<cache::CacheStats>(cache::CacheStats{});
        if (evicted.ok() && evicted.value().bytes > 0)
            compiled = compile_bytes(std::vector<uint8_t>(bytes.begin(), bytes.end()), built, opts);
    }
    if (!compiled.ok()) return make_error(name + ": " + compiled.error().to_string());
    const std::string &key = e.value().key;
    bool full = false;
    auto fd = store(dir, key, built, full);
    if (!fd.ok() && full) {
        // The file system is full (of old entries, often): the least
        // recently used make room for twice the module, and it is stored
        // again; failing that, the module runs from its temporary file,
        // uncached.
        // Unless even an empty cache would not hold it: then nothing is
        // evicted for it.
        struct stat st;
        const uint64_t size = stat(built.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
        const uint64_t room = 2 * size + (1u << 16);
        auto used = cache::usage(dir);
        const uint64_t avail = fstatvfs(dir.fd(), &vfs) == 0 ? uint64_t(vfs.f_bavail) * vfs.f_frsize : 0;
        if (used.ok() && avail + used.value() >= room) {
            auto evicted = cache::evict(dir, max_size, key, room);
            if (!evicted.ok()) return evicted.error();
            full = false;
            fd = store(dir, key, built, full);
        }
        if (!fd.ok() && full) {
            UniqueFd own(open(built.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
            if (!own) return make_error("cannot open the compiled module '" + built + "': " + std::strerror(errno));
            LUCET_TRY(cache::check_entry(own.get(), built));
            return CachedModule{built, std::move(own)};
        }
    }
    if (!fd.ok()) return fd.error();
    auto evicted = cache::evict(dir, max_size, key);
    if (!evicted.ok()) return evicted.error();
    return CachedModule{dir.file(key + ".so"), std::move(fd.value())};
}

constexpr char kIndexHeader[] = "lucet-wasm-index 1\n";

// This boot's id: the index's identities hold it, so that a mount id (below)
// from an earlier boot never matches.
const std::string &boot_id() {
    static const std::string id = [] {
        std::string text;
        if (int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC); fd >= 0) {
            char buf[64];
            ssize_t n = read(fd, buf, sizeof buf);
            if (n > 0) text.assign(buf, static_cast<size_t>(n));
            close(fd);
        }
        return text;
    }();
    return id;
}

// The identity of the open .wasm file `fd` (`st` its fstat) in the index:
// its stat state, and which file system it is on: the mount (Linux 6.8's
// never-reused mount id, else the plain one, which a later mount may reuse),
// the file system's id (ext4, btrfs, xfs: from its UUID) and this boot. Two
// file system images mounted one after the other at one place can give a
// file the same device, inode, size and times (reproducible builds fix the
// timestamps), and must not share a record.
std::string wasm_identity(int fd, const struct stat &st) {
    std::string id = "wasm|" + cache::file_state(st) + "|boot " + boot_id();
    constexpr unsigned kMntIdUnique = 0x4000;  // STATX_MNT_ID_UNIQUE (Linux 6.8); not in Debian 12's headers
    struct statx sx {};
    if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_MNT_ID | kMntIdUnique, &sx) == 0) {
        if (sx.stx_mask & kMntIdUnique) id += "|mount-u " + std::to_string(sx.stx_mnt_id);
        else if (sx.stx_mask & STATX_MNT_ID) id += "|mount " + std::to_string(sx.stx_mnt_id);
    }
    struct statfs fs {};
    if (fstatfs(fd, &fs) == 0) {
        int words[2];
        static_assert(sizeof words == sizeof fs.f_fsid);
        std::memcpy(words, &fs.f_fsid, sizeof words);
        id += "|fsid " + std::to_string(words[0]) + "." + std::to_string(words[1]);
    }
    return id;
}

struct DefaultPlace {
    std::string dir;
    uint64_t max_size = 0;
};
Result<DefaultPlace> default_place() {
    auto max_size = default_cache_max_size();
    if (!max_size.ok()) return max_size.error();
    auto dir = default_cache_dir();
    if (!dir.ok()) return dir.error();
    return DefaultPlace{dir.value(), max_size.value()};
}

}  // namespace

Result<CachedModule> compile_cached(const std::string &name, const std::string &bytes, const CompileOptions &opts,
                                    const std::string &cache_dir, uint64_t max_size) {
    const CompileOptions o = with_deadline(opts);
    auto dir = cache::Dir::open(cache_dir);
    if (!dir.ok()) return dir.error();
    return cached_entry(name, bytes, cache::blake2b_hex(bytes.data(), bytes.size()), o, dir.value(), max_size);
}

Result<CachedModule> compile_cached_file(const std::string &wasm_path, const CompileOptions &given,
                                         const std::string &cache_dir, uint64_t max_size) {
    const CompileOptions opts = with_deadline(given);
    auto opened = cache::Dir::open(cache_dir);
    if (!opened.ok()) return opened.error();
    const cache::Dir &dir = opened.value();
    UniqueFd fd(open(wasm_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return make_error(wasm_path + ": cannot open: " + std::strerror(errno));
    struct stat before;
    if (fstat(fd.get(), &before) != 0) return make_error(wasm_path + ": cannot stat: " + std::strerror(errno));
    // The index: <hash of the file's identity>.wix holds the module's BLAKE2b,
    // so a hit neither reads nor hashes the .wasm (16 MiB: ~25 ms).
    std::string index;
    if (S_ISREG(before.st_mode)) {
        const std::string id = wasm_identity(fd.get(), before);
        index = cache::blake2b_hex(id.data(), id.size()) + ".wix";
        std::string hash = cache::read_record(dir.fd(), index, kIndexHeader);
        if (hash.size() == 64) {
            auto e = find_entry(hash, opts, dir);
            if (!e.ok()) return e.error();
            if (e.value().hit) return hit(dir, e.value());
        }
    }
    if (S_ISREG(before.st_mode) && static_cast<uint64_t>(before.st_size) > kMaxWasmBytes)
        return make_error(wasm_path + ": " + std::to_string(before.st_size) + " bytes, larger than the limit of " +
                          std::to_string(kMaxWasmBytes) + " bytes for a module");
    std::string bytes;
    if (S_ISREG(before.st_mode)) bytes.reserve(static_cast<size_t>(before.st_size));
    char buf[1 << 16];
    for (ssize_t n; (n = read(fd.get(), buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(wasm_path + ": cannot read: " + std::strerror(errno));
        }
        if (bytes.size() + static_cast<size_t>(n) > kMaxWasmBytes)
            return make_error(wasm_path + ": larger than the limit of " + std::to_string(kMaxWasmBytes) +
                              " bytes for a module");
        bytes.append(buf, static_cast<size_t>(n));
    }
    const std::string hash = cache::blake2b_hex(bytes.data(), bytes.size());
    // Recorded only for a file unchanged for 2 s before it was read and while
    // it was: a later write then gets a later ctime even where timestamps
    // have a 1 s granularity (git's "racy" index rule), so an identity never
    // names two contents.
    // Written once the entry exists: a compile that fails leaves nothing.
    struct stat after;
    const bool stable = !index.empty() && fstat(fd.get(), &after) == 0 &&
                        cache::file_state(before) == cache::file_state(after) &&
                        std::max(before.st_mtime, before.st_ctime) + 2 <= time(nullptr);
    auto so = cached_entry(wasm_path, bytes, hash, opts, dir, max_size);
    if (so.ok() && stable) cache::write_record(dir.fd(), index, kIndexHeader, hash);
    return so;
}

Result<CachedModule> compile_cached(const std::string &name, const std::string &bytes, const CompileOptions &opts) {
    auto place = default_place();
    if (!place.ok()) return place.error();
    return compile_cached(name, bytes, opts, place.value().dir, place.value().max_size);
}

Result<CachedModule> compile_cached(const std::string &wasm_path, const CompileOptions &opts) {
    auto place = default_place();
    if (!place.ok()) return place.error();
    return compile_cached_file(wasm_path, opts, place.value().dir, place.value().max_size);
}

}  // namespace lucet
