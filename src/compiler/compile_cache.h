// compile_cache.h: compiled modules kept on disk, keyed by content. The
// launcher runs a .wasm through it, and the C API's lucet_dl_module_load_wasm.
#pragma once

#include <string>

#include "compiler/compiler.h"
#include "util/result.h"

namespace lucet {

// $XDG_CACHE_HOME/lucet, else $HOME/.cache/lucet, else ./.cache/lucet.
std::string default_cache_dir();

// Compiles `input` to `output` under a unique temporary name and renames it
// into place, so that a concurrent reader never sees half a file.
Status compile_file_atomic(const std::string &input, const std::string &output, const CompileOptions &opts);

// The .so for the .wasm at `wasm_path` in `cache_dir` (created if missing),
// compiled on first use. The key covers the module's bytes, the compiler
// version, the C compiler command and every option that changes the code, so
// a changed module or toolchain is compiled afresh; concurrent callers may
// both compile, and one result wins whole.
Result<std::string> compile_cached(const std::string &wasm_path, const CompileOptions &opts,
                                   const std::string &cache_dir = default_cache_dir());
// The same for a caller that has read the file already: `bytes` is its content.
Result<std::string> compile_cached(const std::string &wasm_path, const std::string &bytes, const CompileOptions &opts,
                                   const std::string &cache_dir = default_cache_dir());

}  // namespace lucet
