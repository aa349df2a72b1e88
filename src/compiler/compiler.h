// compiler.h: the whole lucetc pipeline as a library call, used by the lucetc
// tool, the launcher (compiling a .wasm on the fly into its cache), the C API
// and the tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/cc_driver.h"
#include "util/result.h"

namespace lucet {

enum class EmitKind { SharedObject, C, Object };

// The default bounds of a compile (README "Bounded compilation"): real
// programs of 1.3 MB need under 400 MB and 25 s on 2 cores, so these leave
// 5x or more room on a slow or loaded machine, while a module crafted to be
// expensive cannot take the host's memory or hold it for long.
constexpr uint64_t kDefaultMaxCompileMemory = 2ull << 30;
constexpr uint64_t kDefaultMaxCompileSeconds = 300;

// The largest .wasm read from a file (lucetc, the compile cache): more than
// any module the compiler could take in its memory bound, so a file such as
// /dev/zero is refused after 1 GiB instead of read until memory runs out.
constexpr uint64_t kMaxWasmBytes = 1ull << 30;

struct CompileOptions {
    int opt_level = 2;                    // 0, 1 or 2: passed to cc as -O<n>
    uint64_t reserved_size = 4ull << 30;  // --reserved-size
    uint64_t guard_size = 4ull << 30;     // --guard-size
    EmitKind emit = EmitKind::SharedObject;
    // --target-cpu: the CPU the code may assume, cc's -march (util/cpu_features.h:
    // native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4). The default is the portable
    // base ISA: a .so may be copied to another machine. The launcher's and the C
    // API's .wasm cache choose "native" (README "CPU targeting").
    std::string target_cpu = "x86-64";
    unsigned jobs = 0;                    // parallel cc processes; 0 = number of cores
    std::string cc;                       // empty: $CC, else "cc"
    bool keep_temps = false;              // keep the temporary C files (debugging)
    // Bounds of the untrusted path (they do not change the code). Address
    // space of each C compiler process (cc, cc1, as, ld; up to `jobs` units
    // compile at once); 0 = no limit. A unit over it fails the compile with
    // "compiling f12..f40 (unit3.c): C compiler exceeded the 2 GiB memory limit".
    uint64_t max_memory = kDefaultMaxCompileMemory;
    // Wall-clock bound of the whole compile, from the call (C compiler
    // processes still running then are killed), and the CPU time of each of
    // them; 0 = no limit.
    uint64_t max_time_seconds = kDefaultMaxCompileSeconds;
    // When set, the wall-clock bound ends here instead of max_time_seconds
    // after the call (the compile cache: its C compiler probe came out of the
    // same budget). Messages still name max_time_seconds.
    std::optional<std::chrono::steady_clock::time_point> deadline;
    // Called (from any thread, one call at a time) with the C compiler jobs
    // done and their total (units, then the link): first (0, total) once the
    // C is generated, then after each job. Empty: no calls.
    std::function<void(size_t done, size_t total)> progress;
    // Testing: split every function into chunks of about this many bytes of
    // C, as huge functions are (0: only those; cgen/cost_model.h).
    size_t force_split_chunk_bytes = 0;
    // Testing: register variables in every function (EmitOptions').
    bool force_register_vars = false;
    bool verbose = false;                 // errors show the failed cc command line (does not change the code)
    // A new field that changes the generated code must go into code_fingerprint().
};

// Decodes, validates, emits C and drives cc. `output` is the .so (or .c / .o).
// Errors are one line: "<input>: at offset 0x..: <rule>" for bad modules, or
// the compiler's failure with its stderr tail.
Status compile_file(const std::string &input, const std::string &output, const CompileOptions &opts);
// The bounds every C compiler process of a compile with `opts` runs under
// (the compile's and the cache's C compiler probe): memory, CPU time, and
// the deadline (opts.deadline, else max_time_seconds from now).
ccdrv::Limits compile_limits(const CompileOptions &opts);
Status compile_bytes(std::vector<uint8_t> wasm, const std::string &output, const CompileOptions &opts);

// Decode + validate only (used by the spec runner for assert_invalid/assert_malformed).
Status check_bytes(std::vector<uint8_t> wasm);

// Version string embedded in every module descriptor.
const char *compiler_version();

// The C compiler command: opts.cc, else $CC, else "cc".
std::string cc_command(const CompileOptions &opts);

// Every option that changes the produced code, as text for the compile
// cache's key: the opt level, heap layout, output kind and the exact flags
// given to cc, and the target CPU: for "native" what it resolves to on this
// machine (cpu::host_identity), never the word alone. (jobs and keep_temps do
// not change the code.)
std::string code_fingerprint(const CompileOptions &opts);

// cc's flags for opts.target_cpu ("-march=x86-64-v3 -mtune=generic"), or an
// error naming the valid targets.
Result<std::string> target_cpu_flags(const CompileOptions &opts);

}  // namespace lucet
