// emitter.h: validated Module -> C source for the system C compiler.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "decode/module.h"
#include "util/result.h"

namespace lucet {

struct EmitOptions {
    uint64_t reserved_size = 4ull << 30;  // heap reservation the runtime gives (bytes)
    uint64_t guard_size = 4ull << 30;     // guard after it
    // Functions are distributed over several C files so cc can run in parallel.
    // A new file starts once the current one holds this many bytes of wasm code.
    size_t max_code_bytes_per_unit = 256 * 1024;
    // The -O level the units will be compiled at (caps CUnit::max_opt_level):
    // above 0, cc may inline, which the descriptor's function flags say.
    int opt_level = 2;
    // Testing: split every function into chunks of about this many bytes of
    // C (cost_model.h, Lowering::split_chunk_bytes); 0: only huge functions.
    size_t force_split_chunk_bytes = 0;
    // Testing: every function not split is emitted with register variables
    // where register_ok allows (as in units of tiny functions, cost_model.h).
    bool force_register_vars = false;
    // The compile's deadline (lucet::compile_limits): emission stops there
    // with "generating C for function 12 exceeded the 2 s time limit"
    // (time_limit_seconds is for that message only). Checked per function
    // and every kDeadlineCheckInstrs instructions (cgen_internal.h).
    std::optional<std::chrono::steady_clock::time_point> deadline;
    uint64_t time_limit_seconds = 0;
};

// One C translation unit. units[0] holds the module descriptor, trampolines and
// data segments; the others hold functions. All of them start with the ABI
// header and shared declarations (every generated function is declared in
// every unit with hidden visibility, so cross-unit calls link).
struct CUnit {
    std::string name;    // "unit0.c"
    std::string source;
    // Suggested per-unit optimisation cap: functions above a size threshold are
    // placed in units that get a lower -O level to keep cc time linear.
    int max_opt_level = 3;
    // Only tiny loop-free functions: compiled at -O0, their variables
    // declared `register` (cost_model.h, is_tiny).
    bool tiny_only = false;
    // The wasm function indices it defines, first and last (for messages such
    // as "compiling f12..f40 (unit3.c)"); -1: none (unit0, data units).
    int64_t first_func = -1, last_func = -1;
};

Result<std::vector<CUnit>> emit_c(const Module &m, const EmitOptions &opts);

}  // namespace lucet
