// ops_table.h: per-opcode C templates for the emitter (see ops_table.cpp).
#pragma once

#include <cstdint>
#include <string>

#include "decode/instr.h"

namespace lucet::cgen {

// An instruction that pops `arity` operands and pushes one `result` computed
// by the C expression `tmpl` ({0}, {1} = operands).
struct SimpleOp {
    uint8_t arity;
    ValType result;
    const char *tmpl;
};
const SimpleOp *find_simple_op(Op op);

// A load (pops the address, pushes `type`) or store (pops value then address).
struct MemOp {
    bool store;
    ValType type;
    uint32_t size;     // bytes accessed
    const char *helper;
};
const MemOp *find_mem_op(Op op);

// A fixed-width SIMD instruction (simd_ops.cpp): pops `arity` operands,
// pushes one `result`. In `tmpl`, {0} {1} {2} are the operands (deepest
// first), {3} the lane index (Instr::index) and {4} simd_immediate(instr).
// The C names used are defined in simd_helpers.inc.
struct SimdOp {
    uint8_t arity;
    ValType result;
    const char *tmpl;
};
const SimdOp *find_simd_op(Op op);
// The C text of v128.const's value or i8x16.shuffle's 16 lane indices.
std::string simd_immediate(const Instr &in);

// The helper of a SIMD load or store (simd_helpers.inc); its operands and
// access size come from simd_info(). Load: helper(p) -> v128; Store:
// helper(p, v); LoadLane: helper(p, v, lane) -> v128; StoreLane: helper(p, v, lane).
const char *find_simd_mem_op(Op op);

}  // namespace lucet::cgen
