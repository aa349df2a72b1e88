// simd_ops.h: one row per fixed-width SIMD opcode (0xFD prefix): what
// immediates follow it, its typing rule, its lane count and memory access size.
//
// The reader uses `imm`; the validator uses the rest; the emitter may use
// `lanes` and `access_log2`. Rows are built at compile time from sub-opcode
// ranges (see simd_ops.cpp), so there is no 236-case switch anywhere.
#pragma once

#include <cstdint>

#include "decode/module.h"

namespace lucet {

enum class Op : uint32_t;

// Immediates of a SIMD instruction (see instr.h for where they land in Instr).
enum class SimdImm : uint8_t {
    None,
    MemArg,      // loads/stores: mem
    MemArgLane,  // v128.load*_lane / v128.store*_lane: mem, then the lane byte in index
    Lane,        // extract_lane / replace_lane: the lane byte in index
    Bytes16,     // v128.const / i8x16.shuffle: 16 bytes in imm (bytes 0..7) and imm2 (bytes 8..15)
};

// Typing rule classes (v = v128, s = SimdOpInfo::scalar).
enum class SimdSig : uint8_t {
    Invalid,    // not an opcode
    Load,       // [i32] -> [v]
    Store,      // [i32 v] -> []
    LoadLane,   // [i32 v] -> [v]
    StoreLane,  // [i32 v] -> []
    Const,      // [] -> [v]
    Unary,      // [v] -> [v]
    Binary,     // [v v] -> [v]   (i8x16.shuffle too)
    Ternary,    // [v v v] -> [v] (v128.bitselect)
    Test,       // [v] -> [i32]   (any_true, all_true, bitmask)
    Shift,      // [v i32] -> [v]
    Splat,      // [s] -> [v]
    Extract,    // [v] -> [s]
    Replace,    // [v s] -> [v]
};

struct SimdOpInfo {
    SimdImm imm = SimdImm::None;
    SimdSig sig = SimdSig::Invalid;
    uint8_t lanes = 0;        // a lane immediate must be < lanes (32 for i8x16.shuffle); 0: no lane immediate
    uint8_t access_log2 = 0;  // memory ops: log2 of the bytes accessed = the largest valid alignment
    ValType scalar = ValType::I32;  // Splat / Extract / Replace: the scalar operand or result
};

// The row of sub-opcode `sub` (0..255); sig == Invalid for the gaps.
const SimdOpInfo &simd_info(uint32_t sub);
inline const SimdOpInfo &simd_info(Op op) { return simd_info(static_cast<uint32_t>(op) & 0xff); }
inline bool is_simd(Op op) { return (static_cast<uint32_t>(op) & 0xff00) == 0xfd00; }

}  // namespace lucet
