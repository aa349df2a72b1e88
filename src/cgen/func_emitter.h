// func_emitter.h: the function body translator shared by func_body.cpp
// (control flow, calls, the instruction switch) and func_access.cpp (memory,
// globals, SIMD). Internal to src/cgen.
//
// wasm2c's scheme: the operand stack becomes typed C variables named by class
// and depth (si3 = the i32 at depth 3), declared at the top of the function,
// so the emitted code is straight assignments that cc turns into registers.
// Control flow is flat: block -> label after, loop -> label before, if ->
// conditional goto to an else label, br -> copy carried values into the
// target's slots + goto. Nothing here recurses on nesting depth, and code
// after br / return / unreachable is skipped until the enclosing else/end.
#pragma once

#include <fmt/format.h>

#include <span>
#include <string>
#include <vector>

#include "cgen/cgen_internal.h"
#include "cgen/idioms.h"
#include "cgen/ops_table.h"
#include "decode/instr.h"

namespace lucet::cgen {

constexpr int kNumClasses = 6;  // i j f d r v
// What a chunk of a split function returns to end the call (func_split.cpp).
constexpr uint64_t kSplitReturn = 0xffffffff00000000ull;
// A representative type of each class (its C type and letter).
inline constexpr ValType class_types[kNumClasses] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64,
                                                     ValType::FuncRef, ValType::V128};

inline int class_index(ValType t) {
    switch (t) {
    case ValType::I32: return 0;
    case ValType::I64: return 1;
    case ValType::F32: return 2;
    case ValType::F64: return 3;
    case ValType::V128: return 5;
    default: return 4;
    }
}

struct BlockSig {
    const FuncType *ft = nullptr;  // TypeIndex block types and the function frame
    ValType single = ValType::I32;
    bool has_single = false;
    std::span<const ValType> params() const {
        return ft ? std::span<const ValType>(ft->params) : std::span<const ValType>();
    }
    std::span<const ValType> results() const {
        if (ft) return std::span<const ValType>(ft->results);
        if (has_single) return std::span<const ValType>(&single, 1);
        return {};
    }
};

struct Frame {
    enum class Kind : uint8_t { Func, Block, Loop, If };
    Kind kind = Kind::Block;
    bool label_used = false;  // a branch targets the label
    bool else_done = false;   // If: the else label has been placed
    bool straight_loop = false;  // Loop: innermost, no block/if/call inside (scan_straight_loops)
    uint32_t label = 0;
    uint32_t height = 0;      // stack height below the block's params
    uint32_t ip_first = 0;    // If: its params' saved copies, ip_names_[ip_first...]
    BlockSig sig;
    // Carried values of a branch to this frame.
    std::span<const ValType> branch_types() const { return kind == Kind::Loop ? sig.params() : sig.results(); }
};

class FuncEmitter {
public:
    FuncEmitter(const Module &m, uint32_t fidx, const EmitOptions &opts, const Lowering &lowering,
                FuncEmitStats &stats)
        : m_(m), opts_(opts), lowering_(lowering), stats_(stats), fidx_(fidx),
          fn_(m.code[fidx - m.num_imported_funcs]), ft_(m.func_type(fidx)) {}

    Status run(std::string &out);

private:
    const Module &m_;
    const EmitOptions &opts_;
    const Lowering &lowering_;
    FuncEmitStats &stats_;
    uint32_t fidx_;
    // LUCET_TRAP_SITE of the instruction being translated (set by instr()),
    // as a C constant: the argument every trapping helper takes.
    std::string site_;
    std::string trap_site(size_t offset) const;
    const Function &fn_;
    const FuncType &ft_;

    std::vector<ValType> locals_;  // params then declared locals
    // With lowering_.frame_locals: a declared local's index in its class's
    // frame array (`li_`, `lj_`, ... see local_ref).
    std::vector<uint32_t> frame_pos_;
    uint32_t frame_count_[kNumClasses] = {};
    // Appends the C lvalue of local i: `l5`, or `li_[3]` in a frame array;
    // split (func_split.cpp): `F->l5`, `F->li_[3]`.
    void local_ref(std::string &o, uint32_t i) const {
        if (split_) o += "F->";
        if (i < ft_.params.size() || !frame_locals_) {
            fmt::format_to(std::back_inserter(o), "l{}", i);
            return;
        }
        fmt::format_to(std::back_inserter(o), "l{}_[{}]", type_letter(locals_[i]), frame_pos_[i]);
    }
    // --- split functions (Lowering::split_chunk_bytes, func_split.cpp) ---
    // The function is emitted as chunk functions over one frame struct that
    // holds its locals, operand slots, saved if-params and results; a
    // dispatcher (the function itself) runs them. cc's memory at -O0 is per
    // unit, so each chunk gets a unit of its own.
    bool split_ = false;
    bool frame_locals_ = false;  // declared locals in frame arrays (always when split)
    std::vector<size_t> cuts_;   // body_ offsets where a new chunk starts
    std::vector<std::pair<size_t, uint32_t>> callee_at_;  // direct callees by body_ offset
    std::vector<std::string> ip_names_;  // saved if-params, by Frame::ip_first
    uint32_t ip_count_[kNumClasses] = {};
    Status emit_split(std::string &out);
    std::string split_struct() const;
    uint32_t slot_count(int c) const;
    void declare_locals(std::string &out);
    // Lowering::register_vars and register_ok(): variables declared `register`.
    bool register_ = false;
    bool register_ok() const;
    std::vector<ValType> stack_;
    std::vector<Frame> frames_;
    std::vector<uint8_t> used_[kNumClasses];  // slot depths in use, per class
    std::vector<std::pair<ValType, std::string>> extra_decls_;
    std::string body_;
    uint32_t next_label_ = 0;
    bool dead_ = false;        // current position is unreachable
    // Pending loads: per operand-stack entry, whether it holds a scalar
    // load's value (kRaw) or a value computed from such loads (kDerived)
    // that has not been forced. Loads are emitted without LUCET_FORCE_READ
    // (an asm statement, which blocks vectorization); the load cannot be
    // deleted as long as its value reaches a store that cc keeps (stores
    // are never deleted as dead, nor as redundant: see mem_access) through
    // ops that cannot fold it away: float -> float arithmetic (no fast-math),
    // and for integers the ops of int_pending_result. Wherever a pending
    // value could instead die or leave the tracked straight-line flow
    // (drop, local.set, control flow, comparisons, conversions, call
    // arguments, load addresses...), force_pending() forces it first.
    // Entries at or above the stack height are stale and ignored.
    // kConv, kConvScaled: an integer -> float conversion of a pending
    // integer, and that times a constant (see scales_conversion).
    enum : uint8_t { kNone = 0, kRaw = 1, kDerived = 2, kConv = 3, kConvScaled = 4 };
    std::vector<uint8_t> pend_;
    // Every operand-stack entry below pend_min_ is kNone, so force_pending()
    // costs nothing when nothing is pending (else it would cost stack height
    // x instructions: 500,000 constants on the stack took over a minute).
    uint32_t pend_min_ = UINT32_MAX;
    std::vector<uint8_t> pw_;  // integer pending values' weight (int_pending_result)
    std::vector<uint8_t> load_bits_;  // an integer pending load's width in bits (mem_access)
    // Integer pending entries: where each load they carry starts in body_
    // ("lucet_ldnf_T(memr + ..."). Forcing the entry rewrites every one in
    // place into "lucet_ldfo_T(mem  + ..." (same length: the forced load of
    // old, which can take forwarded stored values again) instead of forcing
    // the computed value: the code of a chain that does not reach a store
    // is then what it was before integer loads went unforced.
    std::vector<std::vector<size_t>> load_pos_;
    void mark_pending(uint32_t depth, uint8_t p, uint8_t w = 1) {
        pend_[depth] = p;
        if (pw_.size() < pend_.size()) pw_.resize(pend_.size(), 0);
        if (load_pos_.size() < pend_.size()) load_pos_.resize(pend_.size());
        pw_[depth] = w;
        if (p != kNone && depth < pend_min_) pend_min_ = depth;
    }
    // Per loop of the body in order: whether it is straight-line (no nested
    // block, if, loop, call, br_table), the loops a vectorizer can take.
    // Integer loads go unforced only directly inside those: elsewhere the
    // forcing asm measured faster (interp and hash kernels: 0.68 -> 0.77 s
    // and 0.40 -> 0.45 s with every integer load unforced).
    std::vector<bool> straight_loops_;
    uint32_t loop_ordinal_ = 0;
    void scan_straight_loops();
    bool int_pending_here() const {
        return frames_.back().kind == Frame::Kind::Loop && frames_.back().straight_loop;
    }
    bool uses_memr_ = false;  // an unforced integer load: declares memr (mem_access)
    bool calls_out_ = false;   // calls a function, a runtime helper or libc
    bool calls_host_ = false;  // ... other than a direct call to a function of this module
    bool uses_simd_ = false;   // needs the SIMD helpers (and so SIMDe)
    bool has_loop_ = false;  // a reachable loop was emitted
    size_t accesses_ = 0;    // loads, stores, global.get/set emitted
    uint32_t dead_depth_ = 0;  // blocks opened inside the unreachable region

    // --- slots ---
    void slot(std::string &o, uint32_t depth, ValType t) {
        int c = class_index(t);
        if (used_[c].size() <= depth) used_[c].resize(depth + 1 + depth / 2, 0);
        used_[c][depth] = 1;
        if (split_) {
            fmt::format_to(std::back_inserter(o), "F->s{}_[{}]", type_letter(t), depth);
            return;
        }
        o += 's';
        o += type_letter(t);
        fmt::format_to(std::back_inserter(o), "{}", depth);
    }
    std::string slot_name(uint32_t depth, ValType t) {
        std::string s;
        slot(s, depth, t);
        return s;
    }
    std::string top(uint32_t from_top = 0) {
        uint32_t d = static_cast<uint32_t>(stack_.size()) - 1 - from_top;
        return slot_name(d, stack_[d]);
    }
    std::string push(ValType t) {
        stack_.push_back(t);
        if (pend_.size() < stack_.size()) pend_.resize(stack_.size() * 2, kNone);
        pend_[stack_.size() - 1] = kNone;
        if (kconst_.size() >= stack_.size()) kconst_[stack_.size() - 1] = 0;
        if (tee_local_.size() >= stack_.size()) tee_local_[stack_.size() - 1] = 0;
        return slot_name(static_cast<uint32_t>(stack_.size() - 1), t);
    }
    std::string pop() {
        std::string s = top();
        stack_.pop_back();
        return s;
    }

    // --- control ---
    BlockSig block_sig(const BlockType &bt) const {
        BlockSig s;
        if (bt.kind == BlockType::Kind::Value) {
            s.single = bt.value;
            s.has_single = true;
        } else if (bt.kind == BlockType::Kind::TypeIndex) {
            s.ft = &m_.types[bt.type_index];
        }
        return s;
    }
    void copy_to(uint32_t dst, std::span<const ValType> types) {
        uint32_t n = static_cast<uint32_t>(types.size());
        uint32_t src = static_cast<uint32_t>(stack_.size()) - n;
        if (src == dst) return;
        for (uint32_t i = 0; i < n; i++) {
            slot(body_, dst + i, types[i]);
            body_ += " = ";
            slot(body_, src + i, types[i]);
            body_ += ";\n";
        }
    }
    void emit_return() {
        auto res = std::span<const ValType>(ft_.results);
        uint32_t base = static_cast<uint32_t>(stack_.size() - res.size());
        if (split_) {  // the results go to the frame; the dispatcher returns them
            body_ += '{';
            for (size_t i = 0; i < res.size(); i++) {
                fmt::format_to(std::back_inserter(body_), " F->r{} = ", i);
                slot(body_, base + static_cast<uint32_t>(i), res[i]);
                body_ += ';';
            }
            fmt::format_to(std::back_inserter(body_), " return 0x{:x}ull; }}\n", kSplitReturn);
        } else if (res.empty()) {
            body_ += "return;\n";
        } else if (res.size() == 1) {
            body_ += "return ";
            slot(body_, base, res[0]);
            body_ += ";\n";
        } else {
            fmt::format_to(std::back_inserter(body_), "{{ {} r_;", multi_result_struct_name(ft_.results));
            for (size_t i = 0; i < res.size(); i++) {
                fmt::format_to(std::back_inserter(body_), " r_.r{} = ", i);
                slot(body_, base + static_cast<uint32_t>(i), res[i]);
                body_ += ';';
            }
            body_ += " return r_; }\n";
        }
    }
    // Copies and jump for a branch to the frame `rel` levels up (no condition).
    void emit_branch(uint32_t rel) {
        Frame &t = frames_[frames_.size() - 1 - rel];
        if (t.kind == Frame::Kind::Func) {
            emit_return();
            return;
        }
        copy_to(t.height, t.branch_types());
        t.label_used = true;
        fmt::format_to(std::back_inserter(body_), "goto L{};\n", t.label);
    }
    void restore_if_params(const Frame &f) {
        auto ps = f.sig.params();
        for (uint32_t i = 0; i < ps.size(); i++) {
            slot(body_, f.height + i, ps[i]);
            fmt::format_to(std::back_inserter(body_), " = {};\n", ip_names_[f.ip_first + i]);
        }
    }
    void reset_stack(uint32_t height, std::span<const ValType> top_types) {
        stack_.resize(height);
        stack_.insert(stack_.end(), top_types.begin(), top_types.end());
        if (pend_.size() < stack_.size()) pend_.resize(stack_.size() * 2, kNone);
        std::fill(pend_.begin() + height, pend_.begin() + stack_.size(), kNone);
        forget_values(height);
    }
    // What the emitter knows of the entries from `height` up (a float or
    // integer constant, a copy of a local) no longer holds: a loop's params,
    // which every branch back to the loop rewrites.
    void forget_values(uint32_t height) {
        for (size_t d = height; d < stack_.size() && d < kconst_.size(); d++) kconst_[d] = 0;
        for (size_t d = height; d < stack_.size() && d < tee_local_.size(); d++) tee_local_[d] = 0;
    }
    // Per operand-stack entry, the local (index + 1; 0: none) that a
    // local.tee copied it into, and that local's write count then
    // (local_writes_): while the count is unchanged, the entry and the local
    // hold the same value. push() clears it.
    std::vector<uint32_t> tee_local_, tee_gen_, local_writes_;
    void note_local_write(uint32_t local, bool tee) {
        if (local_writes_.size() <= local) local_writes_.resize(local + 1, 0);
        ++local_writes_[local];
        if (!tee) return;
        uint32_t d = static_cast<uint32_t>(stack_.size()) - 1;
        if (tee_local_.size() <= d) {
            tee_local_.resize(d * 2 + 2, 0);
            tee_gen_.resize(d * 2 + 2, 0);
        }
        tee_local_[d] = local + 1;
        tee_gen_[d] = local_writes_[local];
    }
    // Whether operand-stack entry d still holds the value of `local`.
    bool holds_local(uint32_t d, uint32_t local) const {
        return d < tee_local_.size() && tee_local_[d] == local + 1 && local < local_writes_.size() &&
               tee_gen_[d] == local_writes_[local];
    }
    // Float constants: per operand-stack entry, whether it was pushed by
    // f32.const/f64.const (kconst_) and its bits (kbits_); push() clears it.
    std::vector<uint8_t> kconst_;
    std::vector<uint64_t> kbits_;
    // The bits of the float constant `from_top` entries below the top, if it
    // is one and not a NaN.
    bool float_const(uint32_t from_top, uint64_t &bits) const {
        uint32_t d = static_cast<uint32_t>(stack_.size()) - 1 - from_top;
        if (d >= kconst_.size() || !kconst_[d] || !is_float(stack_[d])) return false;
        bits = kbits_[d];
        return !nan_bits(bits, stack_[d] == ValType::F32);
    }
    bool int_const(uint32_t from_top, uint64_t &bits) const {
        uint32_t d = static_cast<uint32_t>(stack_.size()) - 1 - from_top;
        if (d >= kconst_.size() || !kconst_[d] || is_float(stack_[d])) return false;
        bits = kbits_[d];
        return true;
    }
    bool int_pending_result(Op op, uint8_t &w) const;
    static bool int_to_float_conversion(Op op);
    bool scales_conversion(Op op) const;
    uint8_t pending(uint32_t from_top) const {
        return pend_[stack_.size() - 1 - from_top];
    }
    // Forces every pending value on the operand stack (see pend_).
    void force_pending() {
        for (uint32_t d = pend_min_; d < stack_.size(); d++) {
            if (pend_[d] == kNone) continue;
            if (!is_float(stack_[d]) && !load_pos_[d].empty()) {
                for (size_t pos : load_pos_[d]) {
                    body_[pos + 8] = 'f';  // lucet_ldnf_ -> lucet_ldfo_
                    body_[pos + 9] = 'o';
                    body_[body_.find('(', pos) + 4] = ' ';  // memr -> mem
                }
                load_pos_[d].clear();
                pend_[d] = kNone;
                continue;
            }
            body_ += is_float(stack_[d]) ? "LUCET_FORCE_READ_FLOAT(" : "LUCET_FORCE_READ_INT(";
            slot(body_, d, stack_[d]);
            body_ += ");\n";
            pend_[d] = kNone;
        }
        pend_min_ = UINT32_MAX;  // entries above the stack are stale: push() clears them
    }
    static bool is_float(ValType t) { return t == ValType::F32 || t == ValType::F64; }
    bool keeps_pending(const Instr &in) const;
    // At a local.tee just read from r: clang's clamp shape that follows in a
    // straight-line loop, emitted as one branch-free call and r moved past
    // it (fused_select.cpp); false: nothing emitted, r untouched.
    bool fused_clamp_select(const Instr &tee, InstrReader &r);
    // At a local.tee of a pending integer load in a straight-line loop:
    // clang's `a > b ? a : b` over two such loads (the other one tee'd just
    // before), emitted as a C min/max that keeps both loads unforced, r moved
    // past it (fused_select.cpp); false: nothing emitted, r untouched.
    bool fused_minmax_select(const Instr &tee, InstrReader &r);
    // The first tee of that shape, emitted without forcing (fused_select.cpp).
    bool minmax_first_tee(const Instr &tee, InstrReader &r);
    static bool minmax_compare(Op op, bool i32);
    static bool locals_unread_ahead(InstrReader ahead, uint32_t a, uint32_t b);
    // At a local.tee of a pending integer load in a straight-line loop:
    // `(x << a) ^ (x >> b)` and the like, one C expression with the load
    // unforced, r moved past it (fused_select.cpp).
    bool fused_shift_mix(const Instr &tee, InstrReader &r);
    void wide_product(const std::string &dst, const std::string &a, const std::string &b, const MulWideU64 &mw,
                      const std::string &hi_site, const std::string &lo_site);
    void emit_mul_wide_u64(const MulWideU64 &mw);
    void inline_mul_wide_u64(uint32_t func, const MulWideU64 &mw);
    void mark_const(uint64_t bits) {
        uint32_t d = static_cast<uint32_t>(stack_.size()) - 1;
        if (kconst_.size() <= d) {
            kconst_.resize(d * 2 + 2, 0);
            kbits_.resize(d * 2 + 2, 0);
        }
        kconst_[d] = 1;
        kbits_[d] = bits;
    }
    void minmax_const_form(Op op, std::string &tmpl) const;
    void do_else();
    void do_end(bool &finished);

    // --- instructions ---
    Status instr(const Instr &in, bool &finished);
    void call_direct(uint32_t func);
    void call_indirect(uint32_t type_index, uint32_t table);
    // Emits the call, popping the arguments and pushing the results. With
    // likely_first_arg, emits `if (first == likely) call(likely) else
    // call(first)`: see call_indirect.
    void finish_call(const FuncType &ft, const std::string &callee_expr, const std::string &first_arg,
                     const std::string &likely_first_arg = {});
    std::string address(const std::string &a, const MemArg &ma, uint32_t size);
    void mem_access(const MemOp &op, const MemArg &ma);
    void simd_op(const SimdOp &op, const Instr &in);
    void simd_mem_access(const char *helper, const Instr &in);
    std::string global_slot(uint32_t g) const;
    void global_get(uint32_t g);
    void global_set(uint32_t g);
};

}  // namespace lucet::cgen
