// cache_key.h: the compile cache's key and checksums. The key is a BLAKE2b
// (libsodium) over everything that determines the compiled code: the exact
// module bytes compiled, the compiler's own build identity, the C compiler
// command and its `--version` output, the environment variables that steer
// cc, and every code-changing option (code_fingerprint). Fields are length
// framed, so no two different inputs give the same hashed text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct stat;

#include "compiler/cc_driver.h"
#include "compiler/compiler.h"
#include "util/result.h"

namespace lucet::cache {

// Hex BLAKE2b-256 of a buffer, and of a file's content read from `fd`
// (from its current offset to its end).
std::string blake2b_hex(const void *data, size_t len);
Result<std::string> blake2b_hex_fd(int fd);

// A compiled module's checksum for the compile cache: BLAKE2b of the file
// `fd` (read from offset 0) except its data image (util/elf_image.h), whose
// place and size are hashed instead of its bytes. A cache hit thus reads the
// code and metadata, not megabytes of data that the loader maps from the file
// without reading them (the image goes only into the guest's own memory).
Result<std::string> module_checksum_fd(int fd);

// The build identity of the executable or shared object that contains this
// compiler (statically linked into lucetc, lucet-wasi and liblucet_wasi.so):
// "build-id:<hex>" from its GNU build-id note, read from the loaded image,
// else "blake2b:<hex>" of its file. Computed once per process.
Result<std::string> compiler_build_identity();

// What the key needs to know of the C compiler: its `--version` text, and
// where it looks for <...> headers (`cc -E -v`), to find the SIMDe headers a
// SIMD unit includes.
struct CcIdentity {
    std::string version;
    std::vector<std::string> include_dirs;
    bool include_dirs_known = true;  // false: `cc -E -v` failed (not stamped, probed again next process)
};

// Probes `cc` once per process per command, within `limits` (a C compiler
// that hangs is killed at the deadline: an error). With a cache directory
// (`dir_fd` >= 0, already checked private: Dir::open), the result is kept
// there in a stamp `<hash>.ccv` named by the compiler file's path, device,
// inode, size, mtime and ctime, so later processes skip running cc until
// that file changes (a cc given with arguments or shell syntax, or a script
// or compiler cache, is probed in every process).
Result<CcIdentity> cc_identity(const std::string &cc, int dir_fd, const ccdrv::Limits &limits);

// The SIMDe part of the key, looked up now: the first
// <dir>/simde/wasm/simd128.h of the include directories and the files of its
// <dir>/simde/ (the common headers it includes), by path and file state, so
// that installing, upgrading or removing SIMDe is a new key; "none" without,
// "unknown" when the include directories are.
std::string simde_state(const CcIdentity &id);

// The cache key of `bytes` compiled with `opts` (64 hex digits); dir_fd
// as for cc_identity (-1: no directory). The module enters the key as its
// BLAKE2b-256, so that cache_key_of_module can compute the same key from that
// hash alone. The C compiler's probe is bounded by opts.max_time_seconds.
Result<std::string> cache_key(const std::string &bytes, const CompileOptions &opts, int dir_fd = -1);
Result<std::string> cache_key_of_module(const std::string &module_hash, const CompileOptions &opts, int dir_fd = -1);

// A file's state as the cache's records name it: device, inode, size, mtime
// and ctime ("2049|1234|...|<s>.<ns>|<s>.<ns>"). Any write to the file moves
// its ctime, which no unprivileged process can set back; replacing it (a
// package upgrade renames a new file in) changes the inode.
std::string file_state(const struct stat &st);

// Small records kept in the cache directory open as `dir_fd` (cc identity
// stamps, the .wasm index): `header` then the body, written 0400 under a
// temporary name and renamed into place (best effort: a record that cannot
// be written only costs the next run the work it saves); read back only when
// the file passes check_entry and starts with `header` ("" otherwise).
std::string read_record(int dir_fd, const std::string &name, std::string_view header);
void write_record(int dir_fd, const std::string &name, std::string_view header, const std::string &body);

// Creates the file `tmp` (a temp_name) in `dir_fd`, read-only (0400), new
// (O_EXCL, no symlink followed), holding `text`: 0, or the errno of what
// failed (the file is then removed). The caller renames it into place.
int write_new_file(int dir_fd, const std::string &tmp, std::string_view text);

// A unique temporary name for the cache file `name`: "<name>.tmp.<pid>.<n>".
std::string temp_name(const std::string &name);

}  // namespace lucet::cache
