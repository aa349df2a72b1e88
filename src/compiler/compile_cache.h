// compile_cache.h: compiled modules kept on disk, keyed by content. The
// launcher runs a .wasm through it, and the C API's lucet_dl_module_load_wasm.
//
// Layout: <dir>/<key>.so and <dir>/<key>.sum (the key and the .so's checksum,
// so an entry renamed to another key is a miss), where <key> is
// cache::cache_key (module bytes, compiler build, cc and its version, the
// SIMDe headers, code-changing options), <dir>/<hash>.ccv, the C compiler's
// `--version` text and include directories by the compiler file's identity
// (cache::cc_identity), and <dir>/<hash>.wix, the .wasm index. Trust: the directory and every entry
// must be owned by the effective user and not group- or world-writable, else
// the cache is refused with an error (never silently used); a new directory
// is made 0700, entries 0400. The directory is opened once and checked as
// opened; every later access is relative to that descriptor, and a hit is
// handed over as the open file whose checksum was verified, so replacing or
// renaming anything on the path meanwhile (another user who owns a parent
// directory, a concurrent eviction) cannot change what is loaded. An entry
// whose .so does not match its checksum (truncated, corrupted, half-written)
// is recompiled, never loaded. A hit refreshes the entry's mtime, and after
// each store the least recently used entries are evicted until the cache
// fits its size bound.
#pragma once

#include <cstdint>
#include <string>

#include "compiler/compiler.h"
#include "util/result.h"
#include "util/unique_fd.h"

namespace lucet {

// $XDG_CACHE_HOME/lucet, else $HOME/.cache/lucet, else the user's home
// directory from the password database (getpwuid) + /.cache/lucet. An error
// when none is known or the one given is relative: never the current
// directory (a daemon started in / would write /.cache, one in a shared
// directory a cache others can swap).
Result<std::string> default_cache_dir();

// The size bound: $LUCET_CACHE_MAX_SIZE ("1 GiB", "500MiB", ...; 0 means
// unbounded), else 1 GiB. An error when the variable is malformed.
constexpr uint64_t kDefaultCacheMaxSize = 1ull << 30;
Result<uint64_t> default_cache_max_size();

// Compiles `input` to `output` under a unique temporary name and renames it
// into place, so that a concurrent reader never sees half a file.
Status compile_file_atomic(const std::string &input, const std::string &output, const CompileOptions &opts);

// A module from the cache: load `file` (DlModule::load(UniqueFd, ...)), the
// entry as verified; `path` is where it was, for messages (it may be evicted
// or replaced by the time it is used).
struct CachedModule {
    std::string path;
    UniqueFd file;
};

// The .so in `cache_dir` (created 0700 if missing) for the module `bytes`
// (`name` is used in messages only), compiled from exactly these bytes on a
// miss. Concurrent callers may both compile; one result wins whole.
Result<CachedModule> compile_cached(const std::string &name, const std::string &bytes, const CompileOptions &opts,
                                    const std::string &cache_dir, uint64_t max_size);
// The same with the default directory and bound.
Result<CachedModule> compile_cached(const std::string &name, const std::string &bytes, const CompileOptions &opts);
// The .so for the .wasm file at `wasm_path` (default directory and bound).
// A file unchanged since a previous call (same device, inode, size, mtime,
// ctime, mount, file system id and boot, recorded in the index
// <dir>/<hash>.wix once the file was 2 s old)
// is a hit without reading it; otherwise it is read once (at most
// kMaxWasmBytes) and those bytes are compiled.
Result<CachedModule> compile_cached(const std::string &wasm_path, const CompileOptions &opts);
Result<CachedModule> compile_cached_file(const std::string &wasm_path, const CompileOptions &opts,
                                         const std::string &cache_dir, uint64_t max_size);

// cache_dir.cpp: the directory's checks, eviction and clearing.
namespace cache {

// A cache directory, open and checked.
class Dir {
public:
    // Creates `path` (and missing parents) 0700 if missing, opens it and
    // checks the directory opened: owned by the effective user and not
    // group/world-writable. Later accesses go through its descriptor.
    static Result<Dir> open(const std::string &path);
    int fd() const { return fd_.get(); }
    const std::string &path() const { return path_; }
    std::string file(const std::string &name) const { return path_ + "/" + name; }  // for messages

private:
    UniqueFd fd_;
    std::string path_;
};

// Checks an open entry file (`what` names it): a regular file owned by the
// effective user, not group/world-writable.
Status check_entry(int fd, const std::string &what);

struct CacheStats {
    uint64_t entries = 0;
    uint64_t bytes = 0;
};
// Removes the least recently used entries (oldest .so mtime first) until the
// entries total at most `max_size` bytes (0: no bound) and `room` bytes less
// than before (for a full file system); the entry `keep` (a key) stays even
// if it alone is larger. Stale temporary files (over an hour old) are removed
// too. Returns what was removed.
Result<CacheStats> evict(const Dir &dir, uint64_t max_size, const std::string &keep, uint64_t room = 0);
// The bytes of every file of the cache (entries, records, temporaries).
Result<uint64_t> usage(const Dir &dir);
// Removes every entry, record and temporary file of the cache in `dir`, of
// any file type (other files are left alone); a missing directory is an
// empty cache. One that cannot be removed does not stop the others: it is
// the error after.
Result<CacheStats> clear(const std::string &dir);

}  // namespace cache

}  // namespace lucet
