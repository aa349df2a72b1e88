// compile_cache.cpp: see compile_cache.h.
#include "compiler/compile_cache.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <vector>

#include "compiler/cache_key.h"
#include "util/size.h"

namespace lucet {

namespace {

std::string unique_temp(const std::string &path) {
    static std::atomic<uint64_t> counter{0};
    return path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

Status rename_over(const std::string &tmp, const std::string &path) {
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        int e = errno;
        unlink(tmp.c_str());
        return make_error("cannot write '" + path + "': " + std::strerror(e));
    }
    return {};
}

// The checksum recorded for an entry, or "" when there is none.
Result<std::string> read_sum(const std::string &sum_path) {
    int fd = open(sum_path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::string();
        return make_error("cannot open cache entry '" + sum_path + "': " + std::strerror(errno));
    }
    char buf[128];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

enum class Lookup { Hit, Miss };

// A hit only when both files pass the ownership checks and the .so's checksum
// (cache::module_checksum_fd: all but the data image) is the recorded one; a hit refreshes the .so's mtime (the LRU clock). An
// entry that fails the checks is an error; a corrupt one is removed (a miss).
Result<Lookup> lookup(const std::string &so, const std::string &sum) {
    struct stat st;
    if (lstat(so.c_str(), &st) != 0) {
        if (errno == ENOENT) return Lookup::Miss;
        return make_error("cannot inspect cache entry '" + so + "': " + std::strerror(errno));
    }
    LUCET_TRY(cache::check_entry_file(so));
    if (lstat(sum.c_str(), &st) == 0) LUCET_TRY(cache::check_entry_file(sum));
    auto want = read_sum(sum);
    if (!want.ok()) return want.error();
    int fd = open(so.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return make_error("cannot open cache entry '" + so + "': " + std::strerror(errno));
    auto have = cache::module_checksum_fd(fd);
    if (have.ok() && have.value() == want.value()) {
        futimens(fd, nullptr);
        // Entries written before entries were made read-only: the loader
        // maps the data image only from a file nobody may write.
        if (fstat(fd, &st) == 0 && (st.st_mode & S_IWUSR)) fchmod(fd, 0400);
        close(fd);
        return Lookup::Hit;
    }
    close(fd);
    unlink(sum.c_str());
    unlink(so.c_str());
    return Lookup::Miss;
}

// Compiles `bytes` into <key>.so and records its checksum in <key>.sum: both
// written under temporary names, made read-only (0400) and renamed into
// place, the checksum first (a reader between the renames sees a mismatch: a
// miss). Read-only because the loader maps a module's data image straight
// from its file only when nobody can write the file (runtime/module_file.cpp):
// a writable entry would be copied at every start. Removing or replacing an
// entry needs only the directory's write permission.
Status store(const std::string &name, const std::string &bytes, const CompileOptions &opts, const std::string &so,
             const std::string &sum) {
    std::string tmp_so = unique_temp(so), tmp_sum = unique_temp(sum);
    Status st = compile_bytes(std::vector<uint8_t>(bytes.begin(), bytes.end()), tmp_so, opts);
    if (!st.ok()) {
        unlink(tmp_so.c_str());
        return make_error(name + ": " + st.error().to_string());
    }
    int fd = open(tmp_so.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    Result<std::string> digest = fd < 0 ? Result<std::string>(make_error(std::strerror(errno)))
                                        : cache::module_checksum_fd(fd);
    bool moded = fd >= 0 && fchmod(fd, 0400) == 0;
    if (fd >= 0) close(fd);
    if (!digest.ok() || !moded) {
        unlink(tmp_so.c_str());
        return make_error("cannot checksum the new cache entry '" + tmp_so + "': " +
                          (digest.ok() ? std::strerror(errno) : digest.error().to_string()));
    }
    int sfd = open(tmp_sum.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0400);
    bool written = sfd >= 0 && write(sfd, digest.value().data(), digest.value().size()) ==
                                   static_cast<ssize_t>(digest.value().size());
    int e = errno;
    if (sfd >= 0 && close(sfd) != 0) written = false;
    if (!written) {
        unlink(tmp_sum.c_str());
        unlink(tmp_so.c_str());
        return make_error("cannot write cache entry '" + tmp_sum + "': " + std::strerror(e));
    }
    if (Status r = rename_over(tmp_sum, sum); !r.ok()) {
        unlink(tmp_so.c_str());
        return r;
    }
    return rename_over(tmp_so, so);
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
    std::string tmp = unique_temp(output);
    Status st = compile_file(input, tmp, opts);
    if (!st) {
        unlink(tmp.c_str());
        return st;
    }
    return rename_over(tmp, output);
}

namespace {

// The entry of the module whose BLAKE2b is `module_hash`: its key and files,
// and whether it is a valid hit (lookup).
struct EntryFiles {
    std::string key, so, sum;
    bool hit = false;
};
Result<EntryFiles> find_entry(const std::string &module_hash, const CompileOptions &opts, const std::string &cache_dir) {
    auto key = cache::cache_key_of_module(module_hash, opts, cache_dir);
    if (!key.ok()) return key.error();
    EntryFiles e{key.value(), cache_dir + "/" + key.value() + ".so", cache_dir + "/" + key.value() + ".sum"};
    auto found = lookup(e.so, e.sum);
    if (!found.ok()) return found.error();
    e.hit = found.value() == Lookup::Hit;
    return e;
}

// The entry for `bytes` whose BLAKE2b is `module_hash` (a hit, or compiled now).
Result<std::string> cached_entry(const std::string &name, const std::string &bytes, const std::string &module_hash,
                                 const CompileOptions &opts, const std::string &cache_dir, uint64_t max_size) {
    auto e = find_entry(module_hash, opts, cache_dir);
    if (!e.ok()) return e.error();
    const std::string &so = e.value().so;
    if (e.value().hit) return so;
    LUCET_TRY(store(name, bytes, opts, so, e.value().sum));
    auto evicted = cache::evict(cache_dir, max_size, e.value().key);
    if (!evicted.ok()) return evicted.error();
    return so;
}

constexpr char kIndexHeader[] = "lucet-wasm-index 1\n";

}  // namespace

Result<std::string> compile_cached(const std::string &name, const std::string &bytes, const CompileOptions &opts,
                                   const std::string &cache_dir, uint64_t max_size) {
    LUCET_TRY(cache::ensure_private_dir(cache_dir));
    return cached_entry(name, bytes, cache::blake2b_hex(bytes.data(), bytes.size()), opts, cache_dir, max_size);
}

Result<std::string> compile_cached_file(const std::string &wasm_path, const CompileOptions &opts,
                                        const std::string &cache_dir, uint64_t max_size) {
    LUCET_TRY(cache::ensure_private_dir(cache_dir));
    int fd = open(wasm_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(wasm_path + ": cannot open: " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { close(fd); }
    } closer{fd};
    struct stat before;
    if (fstat(fd, &before) != 0) return make_error(wasm_path + ": cannot stat: " + std::strerror(errno));
    // The index: <hash of the file's identity>.wix holds the module's BLAKE2b,
    // so a hit neither reads nor hashes the .wasm (16 MiB: ~25 ms).
    std::string index;
    if (S_ISREG(before.st_mode)) {
        std::string id = "wasm|" + cache::file_state(before);
        index = cache_dir + "/" + cache::blake2b_hex(id.data(), id.size()) + ".wix";
        std::string hash = cache::read_record(index, kIndexHeader);
        if (hash.size() == 64) {
            auto e = find_entry(hash, opts, cache_dir);
            if (!e.ok()) return e.error();
            if (e.value().hit) return e.value().so;
        }
    }
    std::string bytes;
    if (S_ISREG(before.st_mode)) bytes.reserve(static_cast<size_t>(before.st_size));
    char buf[1 << 16];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            return make_error(wasm_path + ": cannot read: " + std::strerror(errno));
        }
        bytes.append(buf, static_cast<size_t>(n));
    }
    const std::string hash = cache::blake2b_hex(bytes.data(), bytes.size());
    // Recorded only for a file unchanged for 2 s before it was read and while
    // it was: a later write then gets a later ctime even where timestamps
    // have a 1 s granularity (git's "racy" index rule), so an identity never
    // names two contents.
    // Written once the entry exists: a compile that fails leaves nothing.
    struct stat after;
    const bool stable = !index.empty() && fstat(fd, &after) == 0 &&
                        cache::file_state(before) == cache::file_state(after) &&
                        std::max(before.st_mtime, before.st_ctime) + 2 <= time(nullptr);
    auto so = cached_entry(wasm_path, bytes, hash, opts, cache_dir, max_size);
    if (so.ok() && stable) cache::write_record(index, kIndexHeader, hash);
    return so;
}

Result<std::string> compile_cached(const std::string &name, const std::string &bytes, const CompileOptions &opts) {
    auto max_size = default_cache_max_size();
    if (!max_size.ok()) return max_size.error();
    auto dir = default_cache_dir();
    if (!dir.ok()) return dir.error();
    return compile_cached(name, bytes, opts, dir.value(), max_size.value());
}

Result<std::string> compile_cached(const std::string &wasm_path, const CompileOptions &opts) {
    auto max_size = default_cache_max_size();
    if (!max_size.ok()) return max_size.error();
    auto dir = default_cache_dir();
    if (!dir.ok()) return dir.error();
    return compile_cached_file(wasm_path, opts, dir.value(), max_size.value());
}

}  // namespace lucet
