// simd_rules.cpp: the typing rule of each fixed-width SIMD instruction, from
// its row in the opcode table (decode/simd_ops.h), plus the checks of its
// immediates: lane index in range for the shape, alignment not above the
// access size, a memory to access.
#include <string>

#include "decode/instr.h"
#include "decode/simd_ops.h"
#include "validate/internal.h"

namespace lucet::validate_detail {

namespace {

Error fail(const Instr &ins, const std::string &msg) {
    return make_error(msg, static_cast<std::ptrdiff_t>(ins.offset));
}

// i8x16.shuffle: each of the 16 lane bytes in imm/imm2 selects one of the 32
// lanes of its two operands.
bool shuffle_lanes_ok(const Instr &ins, uint32_t lanes) {
    for (int k = 0; k < 8; ++k)
        if (((ins.imm >> (8 * k)) & 0xff) >= lanes || ((ins.imm2 >> (8 * k)) & 0xff) >= lanes) return false;
    return true;
}

}  // namespace

Status simd_rule(const Module &m, const Instr &ins, SimdTyping &out) {
    using V = ValType;
    const SimdOpInfo &info = simd_info(ins.op);
    if (info.lanes) {
        bool ok = info.imm == SimdImm::Bytes16 ? shuffle_lanes_ok(ins, info.lanes) : ins.index < info.lanes;
        if (!ok)
            return fail(ins, std::string("invalid lane index in ") + op_name(ins.op) + " (" +
                                 std::to_string(info.lanes) + " lanes)");
    }
    if (info.imm == SimdImm::MemArg || info.imm == SimdImm::MemArgLane) {
        if (m.memories.empty()) return fail(ins, std::string("unknown memory 0 (") + op_name(ins.op) + ")");
        if (ins.mem.align > info.access_log2)
            return fail(ins, std::string("alignment must not be larger than natural (") + op_name(ins.op) +
                                 " accesses " + std::to_string(1u << info.access_log2) + " bytes, alignment 2^" +
                                 std::to_string(ins.mem.align) + ")");
    }
    out.n_in = 0;
    out.has_out = true;
    out.out = V::V128;
    auto in = [&](V a, V b = V::V128, V c = V::V128, int n = 1) {
        out.in[0] = a;
        out.in[1] = b;
        out.in[2] = c;
        out.n_in = n;
    };
    switch (info.sig) {
    case SimdSig::Load: in(V::I32); break;
    case SimdSig::Store: in(V::I32, V::V128, V::V128, 2); out.has_out = false; break;
    case SimdSig::LoadLane: in(V::I32, V::V128, V::V128, 2); break;
    case SimdSig::StoreLane: in(V::I32, V::V128, V::V128, 2); out.has_out = false; break;
    case SimdSig::Const: break;
    case SimdSig::Unary: in(V::V128); break;
    case SimdSig::Binary: in(V::V128, V::V128, V::V128, 2); break;
    case SimdSig::Ternary: in(V::V128, V::V128, V::V128, 3); break;
    case SimdSig::Test: in(V::V128); out.out = V::I32; break;
    case SimdSig::Shift: in(V::V128, V::I32, V::V128, 2); break;
    case SimdSig::Splat: in(info.scalar); break;
    case SimdSig::Extract: in(V::V128); out.out = info.scalar; break;
    case SimdSig::Replace: in(V::V128, info.scalar, V::V128, 2); break;
    case SimdSig::Invalid: return fail(ins, std::string("internal: no SIMD typing rule for ") + op_name(ins.op));
    }
    return {};
}

}  // namespace lucet::validate_detail
