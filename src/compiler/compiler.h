// compiler.h: the whole lucetc pipeline as a library call, used by the lucetc
// tool, the launcher (compiling a .wasm on the fly into its cache), the C API
// and the tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "util/result.h"

namespace lucet {

enum class EmitKind { SharedObject, C, Object };

struct CompileOptions {
    int opt_level = 2;                    // 0, 1 or 2: passed to cc as -O<n>
    uint64_t reserved_size = 4ull << 30;  // --reserved-size
    uint64_t guard_size = 4ull << 30;     // --guard-size
    EmitKind emit = EmitKind::SharedObject;
    unsigned jobs = 0;                    // parallel cc processes; 0 = number of cores
    std::string cc;                       // empty: $CC, else "cc"
    bool keep_temps = false;              // keep the temporary C files (debugging)
};

// Decodes, validates, emits C and drives cc. `output` is the .so (or .c / .o).
// Errors are one line: "<input>: at offset 0x..: <rule>" for bad modules, or
// the compiler's failure with its stderr tail.
Status compile_file(const std::string &input, const std::string &output, const CompileOptions &opts);
Status compile_bytes(std::vector<uint8_t> wasm, const std::string &output, const CompileOptions &opts);

// Decode + validate only (used by the spec runner for assert_invalid/assert_malformed).
Status check_bytes(std::vector<uint8_t> wasm);

// Version string embedded in every module descriptor and used as a cache key.
const char *compiler_version();

}  // namespace lucet
