// fused_select.cpp: clang's clamp shape inside a straight-line loop,
//   <load v> local.tee L; K.const k; min|max; local.get L; K.const k0;
//   lt|gt|le|ge; select        (the select's first operand a constant c)
// i.e. `L = v; v CMP k0 ? c : min(v, k)`, emitted as one branch-free call
// of lucet_{f32,f64}_clamp_select (runtime_helpers.inc) instead of seven
// statements whose float comparisons gcc keeps as branches (-ftrapping-math)
// and whose forced load stops its vectorizer.
//
// The load stays unforced (pending): the result depends on v for every v
// (min/max(v, k) does wherever the comparison is false, and the comparison
// itself reads v), so cc cannot drop the load without knowing v, which only
// a store to the same address could tell it (and then the load cannot
// trap). The result is integer arithmetic on v's bits that cc cannot prove
// equal to v, so a store of it is never a redundant store of the loaded
// value: it is pending as a derived value (kDerived), not kRaw.
#include "cgen/func_emitter.h"

namespace lucet::cgen {

namespace {

// The order-preserving integer key of a non-NaN float's bits (see
// LUCET_DEF_CLAMP_SELECT): -0 is -1, +0 is 0.
int64_t float_key(uint64_t bits, bool f32) {
    if (f32) {
        uint32_t b = static_cast<uint32_t>(bits);
        return static_cast<int32_t>(b & 0x80000000u ? b ^ 0x7fffffffu : b);
    }
    return static_cast<int64_t>(bits & 0x8000000000000000ull ? bits ^ 0x7fffffffffffffffull : bits);
}

bool is_nan_bits(uint64_t bits, bool f32) {
    return f32 ? (bits & 0x7fffffffu) > 0x7f800000u
               : (bits & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
}

}  // namespace

bool FuncEmitter::fused_clamp_select(const Instr &tee, InstrReader &r) {
    if (dead_ || tee.op != Op::LocalTee || !int_pending_here()) return false;
    if (stack_.size() < 2 || !is_float(stack_.back()) || pending(0) != kRaw) return false;
    const ValType t = stack_.back();
    const bool f32 = t == ValType::F32;
    const uint32_t dc = static_cast<uint32_t>(stack_.size()) - 2;  // the select's first operand
    if (stack_[dc] != t || dc >= kconst_.size() || !kconst_[dc] || locals_[tee.index] != t) return false;
    const Op kconst = f32 ? Op::F32Const : Op::F64Const;

    InstrReader ahead = r;
    Instr k, mm, get, k0, cmp, sel;
    auto next = [&](Instr &i) { return !ahead.done() && ahead.next(i).ok(); };
    if (!next(k) || k.op != kconst || is_nan_bits(k.imm, f32)) return false;
    if (!next(mm)) return false;
    bool is_max;
    if (mm.op == (f32 ? Op::F32Min : Op::F64Min)) is_max = false;
    else if (mm.op == (f32 ? Op::F32Max : Op::F64Max)) is_max = true;
    else return false;
    if (!next(get) || get.op != Op::LocalGet || get.index != tee.index) return false;
    if (!next(k0) || k0.op != kconst || is_nan_bits(k0.imm, f32)) return false;
    if (!next(cmp)) return false;
    int c;
    if (cmp.op == (f32 ? Op::F32Lt : Op::F64Lt)) c = 0;
    else if (cmp.op == (f32 ? Op::F32Gt : Op::F64Gt)) c = 1;
    else if (cmp.op == (f32 ? Op::F32Le : Op::F64Le)) c = 2;
    else if (cmp.op == (f32 ? Op::F32Ge : Op::F64Ge)) c = 3;
    else return false;
    if (!next(sel) || (sel.op != Op::Select && sel.op != Op::SelectT)) return false;

    const uint64_t mask = f32 ? 0xffffffffull : ~0ull;
    const uint64_t kbits = k.imm & mask, k0bits = k0.imm & mask, cbits = kbits_[dc] & mask;
    // +-0 as k0: `<` and `>=` compare with -0's key, `>` and `<=` with +0's.
    const bool k0_zero = (k0bits << 1) == 0 || (f32 && (k0bits << 33) == 0);
    const int64_t thr = k0_zero ? ((c == 0 || c == 3) ? -1 : 0) : float_key(k0bits, f32);
    const std::string v = pop();
    const std::string dst = top();
    local_ref(body_, tee.index);
    fmt::format_to(std::back_inserter(body_), " = {};\n", v);
    if (f32)
        fmt::format_to(std::back_inserter(body_),
                       "{} = lucet_f32_clamp_select({}, 0x{:x}u, 0x{:x}u, (int32_t){}, {}, {}, (int32_t){});\n", dst, v,
                       cbits, kbits, float_key(kbits, true), is_max ? 1 : 0, c, thr);
    else
        fmt::format_to(std::back_inserter(body_),
                       "{} = lucet_f64_clamp_select({}, 0x{:x}ull, 0x{:x}ull, (int64_t){}ll, {}, {}, (int64_t){}ll);\n",
                       dst, v, cbits, kbits, float_key(kbits, false), is_max ? 1 : 0, c, thr);
    kconst_[dc] = 0;
    mark_pending(dc, kDerived);
    for (int i = 0; i < 6; i++) (void)r.next(k);  // past the six instructions read ahead (all decoded once already)
    return true;
}

}  // namespace lucet::cgen
