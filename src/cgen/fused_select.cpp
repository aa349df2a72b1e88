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
    if (!next(k) || k.op != kconst || nan_bits(k.imm, f32)) return false;
    if (!next(mm)) return false;
    bool is_max;
    if (mm.op == (f32 ? Op::F32Min : Op::F64Min)) is_max = false;
    else if (mm.op == (f32 ? Op::F32Max : Op::F64Max)) is_max = true;
    else return false;
    if (!next(get) || get.op != Op::LocalGet || get.index != tee.index) return false;
    if (!next(k0) || k0.op != kconst || nan_bits(k0.imm, f32)) return false;
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
    note_local_write(tee.index, false);
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

// clang's integer max/min in a straight-line loop (cond_store:
// `c[i] = a[i] > b[i] ? a[i] : b[i]`):
//   <load a> local.tee A; <load b> local.tee B; local.get X; local.get Y;
//   lt|gt|le|ge (s|u); select        ({X, Y} = {A, B})
// i.e. select(a, b, cmp(x, y)) where the comparison reads the same two
// values: whatever the comparison, the result is min(a, b) or max(a, b).
// Emitted as one C conditional expression that gcc turns into a min/max and
// can vectorize, both loads left unforced (pending).
//
// Why both loads stay alive: the result is one of the two loaded values,
// and which one depends on both; cc could drop one load only by knowing its
// value (or that it is the bound of its type), and pending loads read
// through memr, whose stores cc cannot see (see mem_access), so it learns
// nothing of a loaded value; two loads of one address and one width may be
// merged into one (min(x, x) is x), which still loads the same bytes. Loads of
// different widths are refused: cc may compute the narrow value from the wide
// one and then narrow the wide load (min_u(x, x & 0xff) is x & 0xff), losing
// the wide load's trap. The result is opaque (weight 0, see
// int_pending_result): only bijections with non-pending values may carry it
// on. It is no copy of either load's bits as far as cc knows, so a store of
// it is no redundant store (the loads read through memr anyway).
//
// local.tee forces pending values (the local's copy, read back, could cancel
// the stack's: x - A), so the first tee is taken here when the whole shape
// follows: it is emitted without forcing, and the instructions between the
// two tees (local.get, constants, i32.add, one load: they never reach below
// their own values, so nothing can combine A's copy with the stack's) run
// as usual. Whatever happens at the second tee, a shape that does not fuse
// there forces as usual. Neither local may be read again before the chain is
// forced (locals_unread_ahead): a copy of an operand, combined with the
// result by ops that carry it, could cancel it (max(a, b) ^ a ^ b ^ min(a, b)
// is 0), which the min/max's dependence on both loads does not rule out.
bool FuncEmitter::minmax_first_tee(const Instr &tee, InstrReader &r) {
    if (dead_ || tee.op != Op::LocalTee || !int_pending_here()) return false;
    if (stack_.empty() || pending(0) != kRaw) return false;
    const ValType t = stack_.back();
    if ((t != ValType::I32 && t != ValType::I64) || locals_[tee.index] != t) return false;
    InstrReader ahead = r;
    Instr in;
    auto next = [&](Instr &i) { return !ahead.done() && ahead.next(i).ok(); };
    int h = 0;
    bool loaded = false;
    for (int n = 0;; n++) {
        if (n > 8 || !next(in)) return false;
        if (in.op == Op::LocalTee) break;
        switch (in.op) {
        case Op::LocalGet: case Op::I32Const: h++; break;
        case Op::I32Add:
            if (h < 2) return false;
            h--;
            break;
        default: {
            const MemOp *mo = find_mem_op(in.op);
            if (!mo || mo->store || mo->type != t || h != 1 || loaded) return false;
            // Loads of one width only (see fused_minmax_select).
            const uint32_t d = static_cast<uint32_t>(stack_.size()) - 1;
            if (d >= load_bits_.size() || load_bits_[d] != mo->size * 8) return false;
            loaded = true;
        }
        }
    }
    if (!loaded || h != 1 || in.index == tee.index || locals_[in.index] != t) return false;
    const uint32_t b_local = in.index;
    Instr gx, gy, cmp, sel;
    if (!next(gx) || gx.op != Op::LocalGet || !next(gy) || gy.op != Op::LocalGet) return false;
    if (!((gx.index == tee.index && gy.index == b_local) || (gx.index == b_local && gy.index == tee.index)))
        return false;
    if (!next(cmp) || !minmax_compare(cmp.op, t == ValType::I32)) return false;
    if (!next(sel) || (sel.op != Op::Select && sel.op != Op::SelectT)) return false;
    if (!locals_unread_ahead(ahead, tee.index, b_local)) return false;
    local_ref(body_, tee.index);
    fmt::format_to(std::back_inserter(body_), " = {};\n", top());
    note_local_write(tee.index, true);
    return true;
}

bool FuncEmitter::minmax_compare(Op op, bool i32) {
    switch (op) {
    case Op::I32LtS: case Op::I32LtU: case Op::I32GtS: case Op::I32GtU:
    case Op::I32LeS: case Op::I32LeU: case Op::I32GeS: case Op::I32GeU: return i32;
    case Op::I64LtS: case Op::I64LtU: case Op::I64GtS: case Op::I64GtU:
    case Op::I64LeS: case Op::I64LeU: case Op::I64GeS: case Op::I64GeU: return !i32;
    default: return false;
    }
}

bool FuncEmitter::fused_minmax_select(const Instr &tee, InstrReader &r) {
    if (dead_ || tee.op != Op::LocalTee || !int_pending_here()) return false;
    if (stack_.size() < 2 || pending(0) != kRaw || pending(1) != kRaw) return false;
    const ValType t = stack_.back();
    if ((t != ValType::I32 && t != ValType::I64) || stack_[stack_.size() - 2] != t || locals_[tee.index] != t)
        return false;
    const uint32_t da = static_cast<uint32_t>(stack_.size()) - 2;
    InstrReader ahead = r;
    Instr gx, gy, cmp, sel;
    auto next = [&](Instr &i) { return !ahead.done() && ahead.next(i).ok(); };
    if (!next(gx) || gx.op != Op::LocalGet || !next(gy) || gy.op != Op::LocalGet) return false;
    // The local tee'd just before (A) must still hold the entry below.
    uint32_t a_local;
    if (gx.index == tee.index && gy.index != tee.index) a_local = gy.index;
    else if (gy.index == tee.index && gx.index != tee.index) a_local = gx.index;
    else return false;
    if (!holds_local(da, a_local)) return false;
    // Both loads of one width: of a wide and a narrow load of one address cc
    // may derive the narrow value from the wide one (a truncation), fold
    // min(a, a & 0xff) to a & 0xff and shrink the wide load to the narrow
    // one, so that a wide load reaching past the end no longer traps (clang
    // -O2 did: load16_u p, load8_u p, lt_u).
    if (da + 1 >= load_bits_.size() || load_bits_[da] != load_bits_[da + 1]) return false;
    if (!next(cmp) || !minmax_compare(cmp.op, t == ValType::I32)) return false;
    if (!next(sel) || (sel.op != Op::Select && sel.op != Op::SelectT)) return false;

    const std::string b = pop();
    const std::string a = top();
    local_ref(body_, tee.index);
    fmt::format_to(std::back_inserter(body_), " = {};\n", b);
    note_local_write(tee.index, false);
    // The comparison's own template (ops_table) on the two values, x and y
    // being a or b as the local.gets say.
    const std::string &x = gx.index == tee.index ? b : a;
    const std::string &y = gy.index == tee.index ? b : a;
    fmt::format_to(std::back_inserter(body_), "{} = ", a);
    fmt::format_to(std::back_inserter(body_), fmt::runtime(find_simple_op(cmp.op)->tmpl), x, y);
    fmt::format_to(std::back_inserter(body_), " ? {} : {};\n", a, b);
    // The result carries both loads (load_pos_), opaque.
    std::vector<size_t> &loads = load_pos_[da];
    loads.insert(loads.end(), load_pos_[da + 1].begin(), load_pos_[da + 1].end());
    load_pos_[da + 1].clear();
    mark_pending(da, kDerived, 0);
    tee_local_[da] = 0;
    for (int i = 0; i < 4; i++) (void)r.next(sel);  // past the four instructions read ahead
    return true;
}

// Whether the locals (up to two; b == a for one) are not read in the rest of
// the straight-line flow before they are written again: the scan stops at
// the first instruction that forces every pending value (a branch or the
// loop's end) or after 256 instructions (then: no).
bool FuncEmitter::locals_unread_ahead(InstrReader ahead, uint32_t a, uint32_t b) {
    Instr in;
    bool a_live = true, b_live = true;
    for (int n = 0; n < 256; n++) {
        if (ahead.done() || !ahead.next(in).ok()) return false;
        switch (in.op) {
        case Op::End: case Op::Br: case Op::BrIf: case Op::BrTable: case Op::Return: case Op::Unreachable:
        case Op::Block: case Op::Loop: case Op::If: case Op::Else: return true;
        case Op::LocalGet:
            if ((a_live && in.index == a) || (b_live && in.index == b)) return false;
            break;
        case Op::LocalSet: case Op::LocalTee:
            if (in.index == a) a_live = false;
            if (in.index == b) b_live = false;
            if (!a_live && !b_live) return true;
            break;
        default: break;
        }
    }
    return false;
}

// A loaded value mixed with shifts of itself (hashes, `c[i] = (a[i] >> 3) ^
// (a[i] << 5)`), in a straight-line loop:
//   <load x> local.tee X; K.const a; shift; local.get X; K.const b; shift;
//   xor|or|add
// emitted as one C expression on x, the load left unforced. Plain chains
// cannot carry it: the two shifts of one value could cancel (x ^ x), and
// shifts right are refused there (a narrow load shifted out is 0).
//
// Why the load stays alive: exactly one shift is a left shift by a non-zero
// amount (bit 0 of its result is 0) and the other a right shift by k less
// than the load's width, so bit 0 of the result is bit k of x, a bit cc cannot
// know; the ops that may carry the result on (opaque: see
// int_pending_result) keep bit 0 a bijection of it, and every store keeps
// bit 0. X must not be read again before the chain is forced: a copy of x
// could cancel it ((x << 8 ^ x >> 3) ^ x >> 3 is x << 8, 0 in a byte).
bool FuncEmitter::fused_shift_mix(const Instr &tee, InstrReader &r) {
    if (dead_ || tee.op != Op::LocalTee || !int_pending_here()) return false;
    if (stack_.empty() || pending(0) != kRaw) return false;
    const ValType t = stack_.back();
    if ((t != ValType::I32 && t != ValType::I64) || locals_[tee.index] != t) return false;
    const bool i32 = t == ValType::I32;
    const uint32_t d = static_cast<uint32_t>(stack_.size()) - 1;
    InstrReader ahead = r;
    Instr k1, s1, get, k2, s2, mix;
    auto next = [&](Instr &i) { return !ahead.done() && ahead.next(i).ok(); };
    const Op kconst = i32 ? Op::I32Const : Op::I64Const;
    auto shift_kind = [&](Op op) {  // 0: shl, 1: shr (u or s), -1: neither
        if (op == (i32 ? Op::I32Shl : Op::I64Shl)) return 0;
        if (op == (i32 ? Op::I32ShrU : Op::I64ShrU) || op == (i32 ? Op::I32ShrS : Op::I64ShrS)) return 1;
        return -1;
    };
    if (!next(k1) || k1.op != kconst || !next(s1) || shift_kind(s1.op) < 0) return false;
    if (!next(get) || get.op != Op::LocalGet || get.index != tee.index) return false;
    if (!next(k2) || k2.op != kconst || !next(s2) || shift_kind(s2.op) < 0) return false;
    if (!next(mix)) return false;
    if (mix.op != (i32 ? Op::I32Xor : Op::I64Xor) && mix.op != (i32 ? Op::I32Or : Op::I64Or) &&
        mix.op != (i32 ? Op::I32Add : Op::I64Add))
        return false;
    const uint64_t amask = i32 ? 31 : 63;
    const uint64_t a = k1.imm & amask, b = k2.imm & amask;
    // One left shift by a != 0, one right shift by k < the load's width.
    uint64_t k;
    if (shift_kind(s1.op) == 0 && shift_kind(s2.op) == 1 && a != 0) k = b;
    else if (shift_kind(s1.op) == 1 && shift_kind(s2.op) == 0 && b != 0) k = a;
    else return false;
    if (d >= load_bits_.size() || k >= load_bits_[d]) return false;
    if (!locals_unread_ahead(ahead, tee.index, tee.index)) return false;

    const std::string v = top();
    local_ref(body_, tee.index);
    fmt::format_to(std::back_inserter(body_), " = {};\n", v);
    note_local_write(tee.index, false);
    const char *suffix = i32 ? "u" : "ull";
    const std::string t1 = fmt::format(fmt::runtime(find_simple_op(s1.op)->tmpl), v, fmt::format("0x{:x}{}", a, suffix));
    const std::string t2 = fmt::format(fmt::runtime(find_simple_op(s2.op)->tmpl), v, fmt::format("0x{:x}{}", b, suffix));
    fmt::format_to(std::back_inserter(body_), "{} = ", v);
    fmt::format_to(std::back_inserter(body_), fmt::runtime(find_simple_op(mix.op)->tmpl), "(" + t1 + ")",
                   "(" + t2 + ")");
    body_ += ";\n";
    mark_pending(d, kDerived, 0);  // load_pos_[d]: the same load
    for (int i = 0; i < 6; i++) (void)r.next(mix);  // past the six instructions read ahead
    return true;
}

}  // namespace lucet::cgen
