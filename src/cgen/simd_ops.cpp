// simd_ops.cpp: C expressions for the fixed-width SIMD instructions. Most map
// to SIMDe's simde_wasm_* functions, which implement wasm semantics and
// compile to SSE2 sequences; where SIMDe's x86 fallbacks differ from the spec
// (float min/max, rounding) the helpers in simd_helpers.inc are used instead.
#include <fmt/format.h>

#include "cgen/ops_table.h"

namespace lucet::cgen {

const SimdOp *find_simd_op(Op op) {
#define OP(n, res, t) { static const SimdOp s{n, ValType::res, t}; return &s; }
#define V1(fn) OP(1, V128, "LUCET_W1(simde_wasm_" fn ", {0})")
#define V2(fn) OP(2, V128, "LUCET_W2(simde_wasm_" fn ", {0}, {1})")
#define H1(fn) OP(1, V128, "lucet_" fn "({0})")
#define H2(fn) OP(2, V128, "lucet_" fn "({0}, {1})")
#define SH(fn) OP(2, V128, "LUCET_V(simde_wasm_" fn "(LUCET_S({0}), {1}))")
#define B1(fn) OP(1, I32, "(uint32_t)simde_wasm_" fn "(LUCET_S({0}))")
    // Float arithmetic (NaN results must be quiet): operands made unknown to
    // clang (lucet_v128_unknown, simd_helpers.inc; plain under gcc).
#define F1(fn) OP(1, V128, "LUCET_W1(simde_wasm_" fn ", lucet_v128_unknown({0}))")
#define F2(fn) OP(2, V128, "LUCET_W2(simde_wasm_" fn ", lucet_v128_unknown({0}), lucet_v128_unknown({1}))")
#define FH1(fn) OP(1, V128, "lucet_" fn "(lucet_v128_unknown({0}))")
#define FH2(fn) OP(2, V128, "lucet_" fn "(lucet_v128_unknown({0}), lucet_v128_unknown({1}))")
    switch (op) {
    case Op::V128Const: OP(0, V128, "{4}")
    case Op::I8x16Shuffle: OP(2, V128, "LUCET_V(simde_wasm_i8x16_shuffle(LUCET_S({0}), LUCET_S({1}), {4}))")
    case Op::I8x16Swizzle: V2("i8x16_swizzle")
    case Op::I8x16Splat: OP(1, V128, "LUCET_V(simde_wasm_i8x16_splat((int8_t){0}))")
    case Op::I16x8Splat: OP(1, V128, "LUCET_V(simde_wasm_i16x8_splat((int16_t){0}))")
    case Op::I32x4Splat: OP(1, V128, "LUCET_V(simde_wasm_i32x4_splat((int32_t){0}))")
    case Op::I64x2Splat: OP(1, V128, "lucet_v128_make({0}, {0})")
    case Op::F32x4Splat: OP(1, V128, "LUCET_V(simde_wasm_f32x4_splat({0}))")
    case Op::F64x2Splat: OP(1, V128, "LUCET_V(simde_wasm_f64x2_splat({0}))")

    case Op::I8x16ExtractLaneS: OP(1, I32, "(uint32_t)(int32_t)lucet_lane_i8({0}, {3})")
    case Op::I8x16ExtractLaneU: OP(1, I32, "(uint32_t)lucet_lane_u8({0}, {3})")
    case Op::I16x8ExtractLaneS: OP(1, I32, "(uint32_t)(int32_t)lucet_lane_i16({0}, {3})")
    case Op::I16x8ExtractLaneU: OP(1, I32, "(uint32_t)lucet_lane_u16({0}, {3})")
    case Op::I32x4ExtractLane: OP(1, I32, "lucet_lane_u32({0}, {3})")
    case Op::I64x2ExtractLane: OP(1, I64, "lucet_lane_u64({0}, {3})")
    case Op::F32x4ExtractLane: OP(1, F32, "lucet_f32_unknown(lucet_lane_f32({0}, {3}))")
    case Op::F64x2ExtractLane: OP(1, F64, "lucet_f64_unknown(lucet_lane_f64({0}, {3}))")
    case Op::I8x16ReplaceLane: OP(2, V128, "lucet_put_u8({0}, {3}, (uint8_t){1})")
    case Op::I16x8ReplaceLane: OP(2, V128, "lucet_put_u16({0}, {3}, (uint16_t){1})")
    case Op::I32x4ReplaceLane: OP(2, V128, "lucet_put_u32({0}, {3}, {1})")
    case Op::I64x2ReplaceLane: OP(2, V128, "lucet_put_u64({0}, {3}, {1})")
    case Op::F32x4ReplaceLane: OP(2, V128, "lucet_put_f32({0}, {3}, {1})")
    case Op::F64x2ReplaceLane: OP(2, V128, "lucet_put_f64({0}, {3}, {1})")

    // Comparisons: all-ones / all-zeros lanes; u*_ are the unsigned forms.
#define ICMP(P, s, u)                                                                          \
    case Op::P##Eq: V2(s "_eq") case Op::P##Ne: V2(s "_ne") case Op::P##LtS: V2(s "_lt")       \
    case Op::P##LtU: V2(u "_lt") case Op::P##GtS: V2(s "_gt") case Op::P##GtU: V2(u "_gt")     \
    case Op::P##LeS: V2(s "_le") case Op::P##LeU: V2(u "_le") case Op::P##GeS: V2(s "_ge")     \
    case Op::P##GeU: V2(u "_ge")
#define FCMP(P, s)                                                                             \
    case Op::P##Eq: V2(s "_eq") case Op::P##Ne: V2(s "_ne") case Op::P##Lt: V2(s "_lt")        \
    case Op::P##Gt: V2(s "_gt") case Op::P##Le: V2(s "_le") case Op::P##Ge: V2(s "_ge")
    ICMP(I8x16, "i8x16", "u8x16")
    ICMP(I16x8, "i16x8", "u16x8")
    ICMP(I32x4, "i32x4", "u32x4")
    FCMP(F32x4, "f32x4")
    FCMP(F64x2, "f64x2")
#undef ICMP
#undef FCMP
    case Op::I64x2Eq: V2("i64x2_eq")
    case Op::I64x2Ne: V2("i64x2_ne")
    case Op::I64x2LtS: V2("i64x2_lt")
    case Op::I64x2GtS: V2("i64x2_gt")
    case Op::I64x2LeS: V2("i64x2_le")
    case Op::I64x2GeS: V2("i64x2_ge")

    case Op::V128Not: V1("v128_not")
    case Op::V128And: V2("v128_and")
    case Op::V128Andnot: V2("v128_andnot")
    case Op::V128Or: V2("v128_or")
    case Op::V128Xor: V2("v128_xor")
    case Op::V128Bitselect: OP(3, V128, "LUCET_V(simde_wasm_v128_bitselect(LUCET_S({0}), LUCET_S({1}), LUCET_S({2})))")
    case Op::V128AnyTrue: B1("v128_any_true")

    case Op::F32x4DemoteF64x2Zero: F1("f32x4_demote_f64x2_zero")
    case Op::F64x2PromoteLowF32x4: F1("f64x2_promote_low_f32x4")

    case Op::I8x16Abs: V1("i8x16_abs")
    case Op::I8x16Neg: V1("i8x16_neg")
    case Op::I8x16Popcnt: V1("i8x16_popcnt")
    case Op::I8x16AllTrue: B1("i8x16_all_true")
    case Op::I8x16Bitmask: B1("i8x16_bitmask")
    case Op::I8x16NarrowI16x8S: V2("i8x16_narrow_i16x8")
    case Op::I8x16NarrowI16x8U: V2("u8x16_narrow_i16x8")
    case Op::I8x16Shl: SH("i8x16_shl")
    case Op::I8x16ShrS: SH("i8x16_shr")
    case Op::I8x16ShrU: SH("u8x16_shr")
    case Op::I8x16Add: V2("i8x16_add")
    case Op::I8x16AddSatS: V2("i8x16_add_sat")
    case Op::I8x16AddSatU: V2("u8x16_add_sat")
    case Op::I8x16Sub: V2("i8x16_sub")
    case Op::I8x16SubSatS: V2("i8x16_sub_sat")
    case Op::I8x16SubSatU: V2("u8x16_sub_sat")
    case Op::I8x16MinS: V2("i8x16_min")
    case Op::I8x16MinU: V2("u8x16_min")
    case Op::I8x16MaxS: V2("i8x16_max")
    case Op::I8x16MaxU: V2("u8x16_max")
    case Op::I8x16AvgrU: V2("u8x16_avgr")

    case Op::I16x8ExtaddPairwiseI8x16S: V1("i16x8_extadd_pairwise_i8x16")
    case Op::I16x8ExtaddPairwiseI8x16U: V1("u16x8_extadd_pairwise_u8x16")
    case Op::I32x4ExtaddPairwiseI16x8S: V1("i32x4_extadd_pairwise_i16x8")
    case Op::I32x4ExtaddPairwiseI16x8U: V1("u32x4_extadd_pairwise_u16x8")
    case Op::I16x8Abs: V1("i16x8_abs")
    case Op::I16x8Neg: V1("i16x8_neg")
    case Op::I16x8Q15mulrSatS: H2("i16x8_q15mulr_sat")
    case Op::I16x8AllTrue: B1("i16x8_all_true")
    case Op::I16x8Bitmask: B1("i16x8_bitmask")
    case Op::I16x8NarrowI32x4S: V2("i16x8_narrow_i32x4")
    case Op::I16x8NarrowI32x4U: V2("u16x8_narrow_i32x4")
    case Op::I16x8ExtendLowI8x16S: V1("i16x8_extend_low_i8x16")
    case Op::I16x8ExtendHighI8x16S: V1("i16x8_extend_high_i8x16")
    case Op::I16x8ExtendLowI8x16U: V1("u16x8_extend_low_u8x16")
    case Op::I16x8ExtendHighI8x16U: V1("u16x8_extend_high_u8x16")
    case Op::I16x8Shl: SH("i16x8_shl")
    case Op::I16x8ShrS: SH("i16x8_shr")
    case Op::I16x8ShrU: SH("u16x8_shr")
    case Op::I16x8Add: V2("i16x8_add")
    case Op::I16x8AddSatS: V2("i16x8_add_sat")
    case Op::I16x8AddSatU: V2("u16x8_add_sat")
    case Op::I16x8Sub: V2("i16x8_sub")
    case Op::I16x8SubSatS: V2("i16x8_sub_sat")
    case Op::I16x8SubSatU: V2("u16x8_sub_sat")
    case Op::I16x8Mul: V2("i16x8_mul")
    case Op::I16x8MinS: V2("i16x8_min")
    case Op::I16x8MinU: V2("u16x8_min")
    case Op::I16x8MaxS: V2("i16x8_max")
    case Op::I16x8MaxU: V2("u16x8_max")
    case Op::I16x8AvgrU: V2("u16x8_avgr")
    case Op::I16x8ExtmulLowI8x16S: V2("i16x8_extmul_low_i8x16")
    case Op::I16x8ExtmulHighI8x16S: V2("i16x8_extmul_high_i8x16")
    case Op::I16x8ExtmulLowI8x16U: V2("u16x8_extmul_low_u8x16")
    case Op::I16x8ExtmulHighI8x16U: V2("u16x8_extmul_high_u8x16")

    case Op::I32x4Abs: V1("i32x4_abs")
    case Op::I32x4Neg: V1("i32x4_neg")
    case Op::I32x4AllTrue: B1("i32x4_all_true")
    case Op::I32x4Bitmask: B1("i32x4_bitmask")
    case Op::I32x4ExtendLowI16x8S: V1("i32x4_extend_low_i16x8")
    case Op::I32x4ExtendHighI16x8S: V1("i32x4_extend_high_i16x8")
    case Op::I32x4ExtendLowI16x8U: V1("u32x4_extend_low_u16x8")
    case Op::I32x4ExtendHighI16x8U: V1("u32x4_extend_high_u16x8")
    case Op::I32x4Shl: SH("i32x4_shl")
    case Op::I32x4ShrS: SH("i32x4_shr")
    case Op::I32x4ShrU: SH("u32x4_shr")
    case Op::I32x4Add: V2("i32x4_add")
    case Op::I32x4Sub: V2("i32x4_sub")
    case Op::I32x4Mul: V2("i32x4_mul")
    case Op::I32x4MinS: V2("i32x4_min")
    case Op::I32x4MinU: V2("u32x4_min")
    case Op::I32x4MaxS: V2("i32x4_max")
    case Op::I32x4MaxU: V2("u32x4_max")
    case Op::I32x4DotI16x8S: V2("i32x4_dot_i16x8")
    case Op::I32x4ExtmulLowI16x8S: V2("i32x4_extmul_low_i16x8")
    case Op::I32x4ExtmulHighI16x8S: V2("i32x4_extmul_high_i16x8")
    case Op::I32x4ExtmulLowI16x8U: V2("u32x4_extmul_low_u16x8")
    case Op::I32x4ExtmulHighI16x8U: V2("u32x4_extmul_high_u16x8")

    case Op::I64x2Abs: V1("i64x2_abs")
    case Op::I64x2Neg: V1("i64x2_neg")
    case Op::I64x2AllTrue: B1("i64x2_all_true")
    case Op::I64x2Bitmask: B1("i64x2_bitmask")
    case Op::I64x2ExtendLowI32x4S: V1("i64x2_extend_low_i32x4")
    case Op::I64x2ExtendHighI32x4S: V1("i64x2_extend_high_i32x4")
    case Op::I64x2ExtendLowI32x4U: V1("u64x2_extend_low_u32x4")
    case Op::I64x2ExtendHighI32x4U: V1("u64x2_extend_high_u32x4")
    case Op::I64x2Shl: SH("i64x2_shl")
    case Op::I64x2ShrS: SH("i64x2_shr")
    case Op::I64x2ShrU: SH("u64x2_shr")
    case Op::I64x2Add: V2("i64x2_add")
    case Op::I64x2Sub: V2("i64x2_sub")
    case Op::I64x2Mul: V2("i64x2_mul")
    case Op::I64x2ExtmulLowI32x4S: V2("i64x2_extmul_low_i32x4")
    case Op::I64x2ExtmulHighI32x4S: V2("i64x2_extmul_high_i32x4")
    case Op::I64x2ExtmulLowI32x4U: V2("u64x2_extmul_low_u32x4")
    case Op::I64x2ExtmulHighI32x4U: V2("u64x2_extmul_high_u32x4")

    case Op::F32x4Ceil: FH1("f32x4_ceil")
    case Op::F32x4Floor: FH1("f32x4_floor")
    case Op::F32x4Trunc: FH1("f32x4_trunc")
    case Op::F32x4Nearest: FH1("f32x4_nearest")
    case Op::F64x2Ceil: FH1("f64x2_ceil")
    case Op::F64x2Floor: FH1("f64x2_floor")
    case Op::F64x2Trunc: FH1("f64x2_trunc")
    case Op::F64x2Nearest: FH1("f64x2_nearest")
    case Op::F32x4Abs: V1("f32x4_abs")
    case Op::F32x4Neg: V1("f32x4_neg")
    case Op::F32x4Sqrt: F1("f32x4_sqrt")
    case Op::F32x4Add: F2("f32x4_add")
    case Op::F32x4Sub: F2("f32x4_sub")
    case Op::F32x4Mul: F2("f32x4_mul")
    case Op::F32x4Div: F2("f32x4_div")
    case Op::F32x4Min: FH2("f32x4_min")
    case Op::F32x4Max: FH2("f32x4_max")
    case Op::F32x4Pmin: H2("f32x4_pmin")
    case Op::F32x4Pmax: H2("f32x4_pmax")
    case Op::F64x2Abs: V1("f64x2_abs")
    case Op::F64x2Neg: V1("f64x2_neg")
    case Op::F64x2Sqrt: F1("f64x2_sqrt")
    case Op::F64x2Add: F2("f64x2_add")
    case Op::F64x2Sub: F2("f64x2_sub")
    case Op::F64x2Mul: F2("f64x2_mul")
    case Op::F64x2Div: F2("f64x2_div")
    case Op::F64x2Min: FH2("f64x2_min")
    case Op::F64x2Max: FH2("f64x2_max")
    case Op::F64x2Pmin: H2("f64x2_pmin")
    case Op::F64x2Pmax: H2("f64x2_pmax")

    case Op::I32x4TruncSatF32x4S: V1("i32x4_trunc_sat_f32x4")
    case Op::I32x4TruncSatF32x4U: V1("u32x4_trunc_sat_f32x4")
    case Op::F32x4ConvertI32x4S: V1("f32x4_convert_i32x4")
    case Op::F32x4ConvertI32x4U: V1("f32x4_convert_u32x4")
    case Op::I32x4TruncSatF64x2SZero: V1("i32x4_trunc_sat_f64x2_zero")
    case Op::I32x4TruncSatF64x2UZero: V1("u32x4_trunc_sat_f64x2_zero")
    case Op::F64x2ConvertLowI32x4S: V1("f64x2_convert_low_i32x4")
    case Op::F64x2ConvertLowI32x4U: V1("f64x2_convert_low_u32x4")
    default: return nullptr;
    }
#undef OP
#undef V1
#undef V2
#undef H1
#undef H2
#undef SH
#undef B1
#undef F1
#undef F2
#undef FH1
#undef FH2
}

std::string simd_immediate(const Instr &in) {
    if (in.op == Op::V128Const) return fmt::format("lucet_v128_make(0x{:x}ull, 0x{:x}ull)", in.imm, in.imm2);
    if (in.op != Op::I8x16Shuffle) return {};
    std::string s;
    for (int k = 0; k < 16; k++) {
        uint64_t half = k < 8 ? in.imm : in.imm2;
        fmt::format_to(std::back_inserter(s), "{}{}", k ? ", " : "", (half >> (8 * (k % 8))) & 0xff);
    }
    return s;
}

const char *find_simd_mem_op(Op op) {
    switch (op) {
    case Op::V128Load: return "lucet_ld_v128";
    case Op::V128Load8x8S: return "lucet_ld_8x8s";
    case Op::V128Load8x8U: return "lucet_ld_8x8u";
    case Op::V128Load16x4S: return "lucet_ld_16x4s";
    case Op::V128Load16x4U: return "lucet_ld_16x4u";
    case Op::V128Load32x2S: return "lucet_ld_32x2s";
    case Op::V128Load32x2U: return "lucet_ld_32x2u";
    case Op::V128Load8Splat: return "lucet_ld_splat8";
    case Op::V128Load16Splat: return "lucet_ld_splat16";
    case Op::V128Load32Splat: return "lucet_ld_splat32";
    case Op::V128Load64Splat: return "lucet_ld_splat64";
    case Op::V128Load32Zero: return "lucet_ld_zero32";
    case Op::V128Load64Zero: return "lucet_ld_zero64";
    case Op::V128Store: return "lucet_st_v128";
    case Op::V128Load8Lane: return "lucet_lane8";
    case Op::V128Load16Lane: return "lucet_lane16";
    case Op::V128Load32Lane: return "lucet_lane32";
    case Op::V128Load64Lane: return "lucet_lane64";
    case Op::V128Store8Lane: return "lucet_lane8_st";
    case Op::V128Store16Lane: return "lucet_lane16_st";
    case Op::V128Store32Lane: return "lucet_lane32_st";
    case Op::V128Store64Lane: return "lucet_lane64_st";
    default: return nullptr;
    }
}

}  // namespace lucet::cgen
