// internal.h (validator only): what the module-level checks hand to the
// function-body checker.
#pragma once

#include <cstdint>
#include <vector>

#include "decode/module.h"
#include "util/result.h"

namespace lucet {
struct Instr;
}

namespace lucet::validate_detail {

struct ModuleContext {
    const Module &m;
    // C.refs: functions that may be named by ref.func inside bodies (those
    // referenced from elem segments, global initialisers and exports).
    std::vector<bool> declared_refs;
};

// Validates the bodies of all defined functions (m.code), in order, stopping
// at the first error. Non-recursive; linear in the code size.
Status validate_functions(const ModuleContext &ctx);

// The typing of one SIMD instruction: it pops in[0..n_in) (in[n_in-1] is on
// top of the stack) and pushes `out` if has_out.
struct SimdTyping {
    ValType in[3] = {};
    int n_in = 0;
    bool has_out = false;
    ValType out = ValType::V128;
};

// Checks the immediates of SIMD instruction `ins` (lane index, alignment, a
// memory) against `m` and gives its typing; errors name ins.offset.
Status simd_rule(const Module &m, const Instr &ins, SimdTyping &out);

}  // namespace lucet::validate_detail
