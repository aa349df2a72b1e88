// simd_ops.cpp: the SIMD opcode table of simd_ops.h, built at compile time
// from the sub-opcode ranges of the spec's binary format; opcodes.def says
// which sub-opcodes exist. (The unary ranges may cover a gap such as 0xe2:
// gaps are cleared at the end.)
#include "decode/simd_ops.h"

#include <array>

namespace lucet {

namespace {

using V = ValType;
using S = SimdSig;

struct SimdTable {
    std::array<SimdOpInfo, 256> rows{};

    constexpr void set(uint32_t first, uint32_t last, S sig) {
        for (uint32_t c = first; c <= last; ++c) rows[c].sig = sig;
    }
    // Memory access of 2^log2 bytes.
    constexpr void mem(uint32_t c, S sig, uint8_t log2) {
        rows[c].sig = sig;
        rows[c].imm = SimdImm::MemArg;
        rows[c].access_log2 = log2;
    }
    // A lane immediate below `lanes`, with scalar type `s`.
    constexpr void lane(uint32_t c, S sig, uint8_t lanes, V s) {
        rows[c].sig = sig;
        rows[c].imm = SimdImm::Lane;
        rows[c].lanes = lanes;
        rows[c].scalar = s;
    }

    constexpr SimdTable() {
        // Loads and stores: 0x00 v128.load, 0x01..0x06 load8x8_s..load32x2_u
        // (8 bytes), 0x07..0x0a load{8,16,32,64}_splat, 0x0b v128.store,
        // 0x5c/0x5d load{32,64}_zero.
        mem(0x00, S::Load, 4);
        for (uint32_t c = 0x01; c <= 0x06; ++c) mem(c, S::Load, 3);
        for (uint8_t k = 0; k < 4; ++k) mem(0x07 + k, S::Load, k);
        mem(0x0b, S::Store, 4);
        mem(0x5c, S::Load, 2);
        mem(0x5d, S::Load, 3);
        // Lane loads/stores: 0x54..0x57 load{8,16,32,64}_lane, 0x58..0x5b store.
        for (uint8_t k = 0; k < 4; ++k) {
            for (uint32_t c : {0x54u + k, 0x58u + k}) {
                mem(c, c < 0x58 ? S::LoadLane : S::StoreLane, k);
                rows[c].imm = SimdImm::MemArgLane;
                rows[c].lanes = static_cast<uint8_t>(16 >> k);
            }
        }
        rows[0x0c] = SimdOpInfo{SimdImm::Bytes16, S::Const, 0, 0, V::I32};
        rows[0x0d] = SimdOpInfo{SimdImm::Bytes16, S::Binary, 32, 0, V::I32};  // i8x16.shuffle
        rows[0x0e].sig = S::Binary;                                            // i8x16.swizzle
        // Splats 0x0f..0x14 by shape: i8x16 i16x8 i32x4 i64x2 f32x4 f64x2.
        constexpr V shape_scalar[6] = {V::I32, V::I32, V::I32, V::I64, V::F32, V::F64};
        constexpr uint8_t shape_lanes[6] = {16, 8, 4, 2, 4, 2};
        for (uint32_t k = 0; k < 6; ++k) {
            rows[0x0f + k].sig = S::Splat;
            rows[0x0f + k].scalar = shape_scalar[k];
        }
        // Lane access 0x15..0x22: i8x16 and i16x8 have extract_s, extract_u,
        // replace; the other shapes extract, replace.
        uint32_t c = 0x15;
        for (uint32_t k = 0; k < 6; ++k) {
            int extracts = k < 2 ? 2 : 1;
            for (int e = 0; e < extracts; ++e) lane(c++, S::Extract, shape_lanes[k], shape_scalar[k]);
            lane(c++, S::Replace, shape_lanes[k], shape_scalar[k]);
        }
        // The other instructions from 0x23 on: [v] -> [v] unless listed.
        struct Range {
            uint32_t first, last;
        };
        constexpr Range unary[] = {{0x4d, 0x4d}, {0x5e, 0x62}, {0x67, 0x6a}, {0x74, 0x75}, {0x7a, 0x7a},
                                   {0x7c, 0x81}, {0x87, 0x8a}, {0x94, 0x94}, {0xa0, 0xa1}, {0xa7, 0xaa},
                                   {0xc0, 0xc1}, {0xc7, 0xca}, {0xe0, 0xe3}, {0xec, 0xef}, {0xf8, 0xff}};
        constexpr Range tests[] = {{0x53, 0x53}, {0x63, 0x64}, {0x83, 0x84}, {0xa3, 0xa4}, {0xc3, 0xc4}};
        constexpr Range shifts[] = {{0x6b, 0x6d}, {0x8b, 0x8d}, {0xab, 0xad}, {0xcb, 0xcd}};
        for (uint32_t k = 0x23; k < 0x100; ++k)
            if (rows[k].sig == S::Invalid) rows[k].sig = S::Binary;
        for (const Range &r : unary) set(r.first, r.last, S::Unary);
        for (const Range &r : tests) set(r.first, r.last, S::Test);
        for (const Range &r : shifts) set(r.first, r.last, S::Shift);
        set(0x52, 0x52, S::Ternary);  // v128.bitselect
        // The gaps of the encoding (0x9a, 0xa2, ...) stay Invalid.
        bool named[256] = {};
#define X(name, code, text) \
    if (((code) & 0xff00) == 0xfd00) named[(code) & 0xff] = true;
#include "decode/opcodes.def"
#undef X
        for (uint32_t k = 0; k < 256; ++k)
            if (!named[k]) rows[k] = SimdOpInfo{};
    }
};

constexpr SimdTable kSimd{};

}  // namespace

const SimdOpInfo &simd_info(uint32_t sub) { return kSimd.rows[sub & 0xff]; }

}  // namespace lucet
