// idioms.h: whole function bodies whose meaning lucetc knows exactly, emitted
// as C that cc compiles better than the instruction-by-instruction form.
#pragma once

#include <cstddef>
#include <cstdint>

#include "decode/instr.h"
#include "decode/module.h"

namespace lucet::cgen {

// clang's compiler-rt __multi3 as wasm32 code specialises it when both
// operands are zero-extended 64-bit values: (func (param $out i32) (param $a
// i64) (param $b i64)) storing the 128-bit product a * b at $out (high half
// at offset 8 first, then the low half at offset 0), built from four 32x32
// partial products. cc cannot see a 64x64->128 multiply in that.
struct MulWideU64 {
    MemArg hi_store, lo_store;         // the two i64.store immediates (offsets 8 and 0)
    size_t hi_offset = 0, lo_offset = 0;  // their byte offsets in the module (trap sites)
};
// True iff function `f` (a defined function of `m`, type `ft`) is exactly
// that body, instruction for instruction: only then may the emitter replace
// it with one unsigned __int128 product (the two stores keep their order,
// bounds and trap sites). A function with any other body, whatever its name,
// runs its own code.
bool match_mul_wide_u64(const Module &m, const Function &f, const FuncType &ft, MulWideU64 &out);

}  // namespace lucet::cgen
