// func_body.cpp: translation of one function body to C (see func_emitter.h
// for the scheme): control flow, calls, the instruction switch and the
// function's frame. Memory, global and SIMD instructions: func_access.cpp;
// which ops carry pending loads: pending.cpp; fused loop shapes: fused_select.cpp.
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <span>

#include "abi/lucet_abi.h"
#include "cgen/const_tables.h"
#include "cgen/func_emitter.h"
#include "cgen/idioms.h"

namespace lucet::cgen {

void FuncEmitter::do_else() {
    Frame &f = frames_.back();
    // End of the then-branch: results are in place; jump over the else part.
    if (!dead_) {
        f.label_used = true;
        fmt::format_to(std::back_inserter(body_), "goto L{};\n", f.label);
    }
    fmt::format_to(std::back_inserter(body_), "E{}:;\n", f.label);
    f.else_done = true;
    restore_if_params(f);
    reset_stack(f.height, f.sig.params());
    dead_ = false;  // frames are only pushed in reachable code, so the else is reachable
}

void FuncEmitter::do_end(bool &finished) {
    Frame &f = frames_.back();
    if (f.kind == Frame::Kind::Func) {
        if (!dead_) emit_return();
        finished = true;
        return;
    }
    if (f.kind == Frame::Kind::If && !f.else_done) do_else();  // implicit empty else: params == results
    bool reachable = !dead_;
    if (f.kind != Frame::Kind::Loop && f.label_used) {
        fmt::format_to(std::back_inserter(body_), "L{}:;\n", f.label);
        reachable = true;
    }
    uint32_t h = f.height;
    BlockSig sig = f.sig;
    frames_.pop_back();
    // `sig` is a copy: results() may point into it (single-value blocks).
    reset_stack(h, sig.results());
    dead_ = !reachable;
}

void FuncEmitter::finish_call(const FuncType &ft, const std::string &callee, const std::string &first_arg,
                              const std::string &likely_first_arg) {
    uint32_t np = static_cast<uint32_t>(ft.params.size());
    uint32_t base = static_cast<uint32_t>(stack_.size()) - np;
    std::string args;
    for (uint32_t i = 0; i < np; i++) {
        args += ", ";
        slot(args, base + i, ft.params[i]);
    }
    stack_.resize(base);
    std::vector<std::string> dests;
    for (ValType r : ft.results) dests.push_back(push(r));
    auto statement = [&](const std::string &first) {
        std::string call = callee + "(" + first + args + ")";
        if (dests.empty()) return call + ";";
        if (dests.size() == 1) return fmt::format("{} = {};", dests[0], call);
        std::string s = fmt::format("{{ {} t_ = {};", multi_result_struct_name(ft.results), call);
        for (size_t i = 0; i < dests.size(); i++) fmt::format_to(std::back_inserter(s), " {} = t_.r{};", dests[i], i);
        return s + " }";
    };
    if (likely_first_arg.empty()) {
        body_ += statement(first_arg);
    } else {
        fmt::format_to(std::back_inserter(body_), "if (LUCET_LIKELY({} == {})) {} else {}", first_arg, likely_first_arg,
                       statement(likely_first_arg), statement(first_arg));
    }
    body_ += "\n";
}

void FuncEmitter::call_direct(uint32_t func) {
    const FuncType &ft = m_.func_type(func);
    if (func < m_.num_imported_funcs) {
        finish_call(ft, fmt::format("((lucet_ft{})ctx->funcs[{}].func)", m_.func_types[func], func),
                    fmt::format("ctx->funcs[{}].vmctx", func));
        // A kill switch pulled while the import ran (a host function that
        // failed, a blocking WASI call) stops the guest here, not at the
        // next kill signal (lucet_rt.interrupted, runtime/helpers.cpp).
        body_ += "if (LUCET_UNLIKELY(ctx->interrupt)) lucet_rt.interrupted(ctx);\n";
    } else if (MulWideU64 mw; !m_.memories.empty() &&
               match_mul_wide_u64(m_, m_.code[func - m_.num_imported_funcs], ft, mw)) {
        inline_mul_wide_u64(func, mw);
    } else {
        stats_.callees.push_back(func);
        if (split_) callee_at_.emplace_back(body_.size(), func);
        finish_call(ft, func_c_name(m_, func), "ctx");
    }
}

void FuncEmitter::call_indirect(uint32_t type_index, uint32_t table) {
    const FuncType &ft = m_.types[type_index];
    std::string idx = pop();
    if (lowering_.const_tables && lowering_.const_tables->is_const(table)) {
        // A table fixed at compile time (const_tables.h): its slots are a
        // constant array, its size a constant, and every slot's function
        // is one of this module's, run in this instance (ctx): no host
        // function, so no kill-switch poll after it.
        const ConstTables &ct = *lowering_.const_tables;
        fmt::format_to(std::back_inserter(body_),
                       "{{ const lucet_const_elem *e_ = lucet_cci(ctx, {}, {}, {}u, {}, {}u);\n", site_,
                       const_table_name(table), ct.slots[table].size(), idx, ct.type_code[type_index]);
        finish_call(ft, fmt::format("((lucet_ft{})e_->func)", type_index), "ctx");
        body_ += "}\n";
        return;
    }
    uint64_t packed = packed_signature_id(ft);
    std::string sig = packed ? fmt::format("0x{:x}ull", packed) : fmt::format("lucet_type_ids[{}]", type_index);
    // The element pointer lives in a block-scoped variable: the call follows.
    fmt::format_to(std::back_inserter(body_), "{{ const lucet_table_elem *e_ = lucet_ci(ctx, {}, {}u, {}, {});\n",
                   site_, table, idx, sig);
    // Nearly every indirect call stays in the calling instance. Passing `ctx`
    // (a register) on that predicted branch, instead of the loaded
    // e_->vmctx, keeps the table load chain (index -> element -> vmctx ->
    // heap base) off the callee's critical path: measured 0.76 s -> 0.57 s on
    // the interp benchmark kernel. cc keeps the two calls apart at -O2.
    finish_call(ft, fmt::format("((lucet_ft{})e_->func)", type_index), "e_->vmctx", "ctx");
    // The callee may be a host function (an import in the table) when the
    // module lets one get there (Lowering::poll_after_indirect): as after a
    // direct import call, a kill pulled while it ran stops the guest here
    // rather than at the next kill signal.
    body_ += "}\n";
    if (lowering_.poll_after_indirect) body_ += "if (LUCET_UNLIKELY(ctx->interrupt)) lucet_rt.interrupted(ctx);\n";
}

// min/max with a constant operand that is not a NaN: the branch-free
// helpers of runtime_helpers.inc (the constant passed second; min and max are
// commutative once c is not a NaN). The signed-zero rule decides the
// comparison: min(-0, +0) is -0 (so `<=` against +0), max(+0, -0) is +0 (so
// `>=` against -0); against any other c, `<` / `>` (minss / maxss).
void FuncEmitter::minmax_const_form(Op op, std::string &tmpl) const {
    bool is_min = op == Op::F32Min || op == Op::F64Min;
    if (!is_min && op != Op::F32Max && op != Op::F64Max) return;
    bool f32 = op == Op::F32Min || op == Op::F32Max;
    uint64_t c = 0;
    const char *args;
    if (float_const(0, c)) args = "({0}, {1})";
    else if (float_const(1, c)) args = "({1}, {0})";
    else return;
    uint64_t sign = f32 ? 0x80000000ull : 0x8000000000000000ull;
    const char *kind = is_min ? (c == 0 ? "min_kpz" : "min_k") : (c == sign ? "max_knz" : "max_k");
    tmpl = fmt::format("lucet_{}_{}{}", f32 ? "f32" : "f64", kind, args);
}

std::string FuncEmitter::trap_site(size_t offset) const {
    uint64_t off = offset < LUCET_TRAP_OFFSET_UNKNOWN ? offset : LUCET_TRAP_OFFSET_UNKNOWN;
    return fmt::format("0x{:x}ull", (uint64_t)fidx_ << 32 | off);
}

Status FuncEmitter::instr(const Instr &in, bool &finished) {
    auto out = std::back_inserter(body_);
    // Unreachable region: only track nesting to find the matching else/end.
    if (dead_) {
        switch (in.op) {
        case Op::Block: case Op::Loop: case Op::If:
            loop_ordinal_ += in.op == Op::Loop;
            dead_depth_++;
            return {};
        case Op::Else:
            if (dead_depth_ == 0) do_else();
            return {};
        case Op::End:
            if (dead_depth_ > 0) {
                dead_depth_--;
                return {};
            }
            do_end(finished);
            return {};
        default: return {};
        }
    }

    if (!keeps_pending(in)) force_pending();
    site_ = trap_site(in.offset);
    switch (in.op) {
    case Op::Call: case Op::CallIndirect: case Op::MemoryGrow: case Op::MemoryInit: case Op::DataDrop:
    case Op::MemoryCopy: case Op::MemoryFill: case Op::TableGet: case Op::TableSet: case Op::TableGrow:
    case Op::TableFill: case Op::TableCopy: case Op::TableInit: case Op::ElemDrop:
    // Rounding: out-of-line routines (floorf, nearbyint...) without SSE4.1.
    case Op::F32Ceil: case Op::F32Floor: case Op::F32Trunc: case Op::F32Nearest:
    case Op::F64Ceil: case Op::F64Floor: case Op::F64Trunc: case Op::F64Nearest:
        calls_out_ = true;
        calls_host_ |= in.op != Op::Call || in.index < m_.num_imported_funcs;
        break;
    default: break;
    }

    if (const SimpleOp *s = find_simple_op(in.op)) {
        // Float -> float ops (keeps_pending) carry pending operands into the
        // result: without -ffast-math cc cannot fold an operand away, except
        // through the sign-bit and selection ops, whose chains can fold back
        // to an operand's bits (neg(neg(x)), copysign(x, x), min(x, x)): their
        // results stay kRaw, so that a store of them is forced like a load's.
        uint8_t p0 = pending(0), p1 = s->arity == 2 ? pending(1) : static_cast<uint8_t>(kNone);
        bool bit_op = false;
        switch (in.op) {
        case Op::F32Abs: case Op::F32Neg: case Op::F32Copysign: case Op::F32Min: case Op::F32Max:
        case Op::F64Abs: case Op::F64Neg: case Op::F64Copysign: case Op::F64Min: case Op::F64Max: bit_op = true; break;
        default: break;
        }
        uint8_t p = p0 == kNone && p1 == kNone                          ? kNone
                    : s->arity == 1 && is_float(s->result) && !is_float(stack_.back()) ? kConv
                    : p0 == kConv || p1 == kConv                              ? kConvScaled
                    : bit_op && (p0 == kRaw || p1 == kRaw)                    ? kRaw
                                                                              : kDerived;
        uint8_t w = 0;
        std::vector<size_t> loads;  // an integer result's loads (load_pos_)
        if (p != kNone && !is_float(s->result)) {
            int_pending_result(in.op, w);  // keeps_pending said yes
            for (uint32_t i = 0; i < s->arity; i++) {
                uint32_t d = static_cast<uint32_t>(stack_.size()) - 1 - i;
                if (pend_[d] == kNone) continue;
                loads.insert(loads.end(), load_pos_[d].begin(), load_pos_[d].end());
                load_pos_[d].clear();
            }
        } else if (p != kNone && s->arity == 1 && !is_float(stack_.back())) {
            // An integer -> float conversion: the float result is forced
            // as a float if need be (its loads stay unforced reads of memr).
            load_pos_[stack_.size() - 1].clear();
        }
        // Trapping ops take the site after ctx: "f(ctx, {0}...)".
        std::string tmpl = s->tmpl;
        if (bit_op && s->arity == 2) minmax_const_form(in.op, tmpl);
        if (size_t c = tmpl.find("(ctx, "); c != std::string::npos) tmpl.insert(c + 6, site_ + ", ");
        if (s->arity == 1) {
            std::string a = pop();
            std::string d = push(s->result);
            body_ += d;
            body_ += " = ";
            fmt::format_to(out, fmt::runtime(tmpl), a);
        } else {
            std::string b = pop();
            std::string a = pop();
            std::string d = push(s->result);
            body_ += d;
            body_ += " = ";
            fmt::format_to(out, fmt::runtime(tmpl), a, b);
        }
        body_ += ";\n";
        mark_pending(static_cast<uint32_t>(stack_.size()) - 1, p, w);
        if (p != kNone && !is_float(s->result)) load_pos_[stack_.size() - 1] = std::move(loads);
        return {};
    }
    if (const MemOp *mo = find_mem_op(in.op)) {
        accesses_++;
        mem_access(*mo, in.mem);
        return {};
    }
    if (const SimdOp *so = find_simd_op(in.op)) {
        simd_op(*so, in);
        return {};
    }
    if (const char *helper = find_simd_mem_op(in.op)) {
        simd_mem_access(helper, in);
        return {};
    }

    switch (in.op) {
    case Op::Unreachable:
        fmt::format_to(out, "lucet_trap(ctx, LUCET_TRAP_UNREACHABLE, {});\n", site_);
        dead_ = true;
        break;
    case Op::Nop: break;
    case Op::Block:
    case Op::Loop:
    case Op::If: {
        Frame f;
        f.kind = in.op == Op::Block ? Frame::Kind::Block : in.op == Op::Loop ? Frame::Kind::Loop : Frame::Kind::If;
        f.sig = block_sig(in.block);
        f.label = next_label_++;
        if (in.op == Op::Loop) {
            uint32_t k = loop_ordinal_++;
            f.straight_loop = k < straight_loops_.size() && straight_loops_[k];
        }
        std::string cond;
        if (in.op == Op::If) cond = pop();
        f.height = static_cast<uint32_t>(stack_.size() - f.sig.params().size());
        if (in.op == Op::Loop) {
            fmt::format_to(out, "L{}:;\n", f.label);
            has_loop_ = true;
            forget_values(f.height);  // a branch back rewrites the params
        }
        if (in.op == Op::If) {
            // The then-branch may overwrite the param slots; the else-branch
            // restores them from these copies.
            auto ps = f.sig.params();
            f.ip_first = static_cast<uint32_t>(ip_names_.size());
            for (uint32_t i = 0; i < ps.size(); i++) {
                std::string name;
                if (split_) {
                    int c = class_index(ps[i]);
                    name = fmt::format("F->x{}_[{}]", type_letter(ps[i]), ip_count_[c]++);
                } else {
                    name = fmt::format("ip{}_{}", f.label, i);
                    extra_decls_.emplace_back(ps[i], name);
                }
                ip_names_.push_back(name);
                fmt::format_to(out, "{} = ", name);
                slot(body_, f.height + i, ps[i]);
                body_ += ";\n";
            }
            fmt::format_to(out, "if (!{}) goto E{};\n", cond, f.label);
        }
        frames_.push_back(f);
        break;
    }
    case Op::Else: do_else(); break;
    case Op::End: do_end(finished); break;
    case Op::Br:
        emit_branch(in.index);
        dead_ = true;
        break;
    case Op::BrIf: {
        std::string c = pop();
        fmt::format_to(out, "if ({}) {{\n", c);
        emit_branch(in.index);
        body_ += "}\n";
        break;
    }
    case Op::BrTable: {
        std::string idx = pop();
        // Group the cases by target so each target's copies are emitted once;
        // cases equal to the default are left to `default`.
        std::map<uint32_t, std::vector<uint32_t>> by_target;
        for (uint32_t i = 0; i < in.targets.size(); i++)
            if (in.targets[i] != in.index) by_target[in.targets[i]].push_back(i);
        if (by_target.empty()) {
            emit_branch(in.index);
        } else if (in.targets.size() > 64) {
            // Large tables: a static array maps the index to one of the few
            // distinct targets, and the switch only has those. A switch with
            // 100,000 cases is superlinear in cc.
            std::vector<uint32_t> distinct;
            std::map<uint32_t, uint32_t> number;
            for (auto &[target, cases] : by_target) {
                number[target] = static_cast<uint32_t>(distinct.size());
                distinct.push_back(target);
            }
            uint32_t def = static_cast<uint32_t>(distinct.size());
            fmt::format_to(out, "{{ static const {} bt_[{}] = {{", def < 65536 ? "uint16_t" : "uint32_t",
                           in.targets.size());
            for (uint32_t i = 0; i < in.targets.size(); i++) {
                auto it = number.find(in.targets[i]);
                fmt::format_to(out, "{}{}", i % 32 == 0 ? "\n" : "", it == number.end() ? def : it->second);
                body_ += ',';
            }
            fmt::format_to(out, "}};\nswitch ({0} < {1}u ? bt_[{0}] : {2}u) {{\n", idx, in.targets.size(), def);
            for (uint32_t k = 0; k < distinct.size(); k++) {
                fmt::format_to(out, "case {}u: {{\n", k);
                emit_branch(distinct[k]);
                body_ += "}\n";
            }
            body_ += "default: {\n";
            emit_branch(in.index);
            body_ += "}\n}\n}\n";
        } else {
            fmt::format_to(out, "switch ({}) {{\n", idx);
            for (auto &[target, cases] : by_target) {
                for (uint32_t c : cases) fmt::format_to(out, "case {}u:\n", c);
                body_ += "{\n";
                emit_branch(target);
                body_ += "}\n";
            }
            body_ += "default: {\n";
            emit_branch(in.index);
            body_ += "}\n}\n";
        }
        dead_ = true;
        break;
    }
    case Op::Return:
        emit_return();
        dead_ = true;
        break;
    case Op::Call: call_direct(in.index); break;
    case Op::CallIndirect: call_indirect(in.index, in.index2); break;
    case Op::Drop: stack_.pop_back(); break;
    case Op::Select:
    case Op::SelectT: {
        std::string c = pop();
        std::string b = pop();
        std::string a = top();
        fmt::format_to(out, "if (!{}) {} = {};\n", c, a, b);
        // The result is in a's slot but no longer a's constant (min/max
        // would otherwise take it for one: minmax_const_form).
        if (kconst_.size() >= stack_.size()) kconst_[stack_.size() - 1] = 0;
        break;
    }
    case Op::LocalGet: {
        body_ += push(locals_[in.index]);
        body_ += " = ";
        local_ref(body_, in.index);
        body_ += ";\n";
        break;
    }
    case Op::LocalSet:
    case Op::LocalTee: {
        std::string v = in.op == Op::LocalSet ? pop() : top();
        local_ref(body_, in.index);
        fmt::format_to(out, " = {};\n", v);
        note_local_write(in.index, in.op == Op::LocalTee);
        break;
    }
    case Op::GlobalGet: accesses_++; global_get(in.index); break;
    case Op::GlobalSet: accesses_++; global_set(in.index); break;
    case Op::I32Const: {
        std::string d = push(ValType::I32);
        fmt::format_to(out, "{} = 0x{:x}u;\n", d, static_cast<uint32_t>(in.imm));
        mark_const(in.imm & 0xffffffffu);
        break;
    }
    case Op::I64Const: {
        std::string d = push(ValType::I64);
        fmt::format_to(out, "{} = 0x{:x}ull;\n", d, in.imm);
        mark_const(in.imm);
        break;
    }
    case Op::F32Const:
    case Op::F64Const: {
        // A signalling NaN is emitted opaque (and is no known constant):
        // clang folded x + sNaN to the sNaN, unquieted.
        const bool f32 = in.op == Op::F32Const;
        const uint64_t b = f32 ? in.imm & 0xffffffffu : in.imm;
        const bool snan = signalling_nan_bits(b, f32);
        std::string d = push(f32 ? ValType::F32 : ValType::F64);
        fmt::format_to(out, "{} = lucet_{}_{}(0x{:x}{});\n", d, f32 ? "f32" : "f64", snan ? "opaque" : "from", b,
                       f32 ? "u" : "ull");
        if (!snan) mark_const(b);
        break;
    }
    case Op::MemorySize: {
        std::string d = push(ValType::I32);
        fmt::format_to(out, "{} = (uint32_t)(ctx->mem->size >> 16);\n", d);
        break;
    }
    case Op::MemoryGrow: {
        std::string d = top();
        fmt::format_to(out, "{0} = lucet_rt.memory_grow(ctx, {0});\n", d);
        // In place, as select: the result is not the delta's constant.
        if (kconst_.size() >= stack_.size()) kconst_[stack_.size() - 1] = 0;
        break;
    }
    case Op::MemoryInit: {
        std::string n = pop(), s = pop(), d = pop();
        fmt::format_to(out, "lucet_rt.memory_init(ctx, {}u, {}, {}, {});\n", in.index, d, s, n);
        break;
    }
    case Op::DataDrop: fmt::format_to(out, "lucet_rt.data_drop(ctx, {}u);\n", in.index); break;
    case Op::MemoryCopy: {
        std::string n = pop(), s = pop(), d = pop();
        fmt::format_to(out, "lucet_memory_copy(ctx, {}, mem, {}, {}, {});\n", site_, d, s, n);
        break;
    }
    case Op::MemoryFill: {
        std::string n = pop(), v = pop(), d = pop();
        fmt::format_to(out, "lucet_memory_fill(ctx, {}, mem, {}, {}, {});\n", site_, d, v, n);
        break;
    }
    case Op::TableGet: {
        std::string i = pop();
        std::string d = push(m_.tables[in.index].elem);
        fmt::format_to(out, "{} = lucet_rt.table_get(ctx, {}u, {});\n", d, in.index, i);
        break;
    }
    case Op::TableSet: {
        std::string v = pop(), i = pop();
        fmt::format_to(out, "lucet_rt.table_set(ctx, {}u, {}, {});\n", in.index, i, v);
        break;
    }
    case Op::TableSize: {
        std::string d = push(ValType::I32);
        fmt::format_to(out, "{} = ctx->tables[{}]->size;\n", d, in.index);
        break;
    }
    case Op::TableGrow: {
        std::string n = pop(), init = pop();
        std::string d = push(ValType::I32);
        fmt::format_to(out, "{} = lucet_rt.table_grow(ctx, {}u, {}, {});\n", d, in.index, init, n);
        break;
    }
    case Op::TableFill: {
        std::string n = pop(), v = pop(), i = pop();
        fmt::format_to(out, "lucet_rt.table_fill(ctx, {}u, {}, {}, {});\n", in.index, i, v, n);
        break;
    }
    case Op::TableCopy: {
        std::string n = pop(), s = pop(), d = pop();
        fmt::format_to(out, "lucet_rt.table_copy(ctx, {}u, {}u, {}, {}, {});\n", in.index, in.index2, d, s, n);
        break;
    }
    case Op::TableInit: {
        std::string n = pop(), s = pop(), d = pop();
        fmt::format_to(out, "lucet_rt.table_init(ctx, {}u, {}u, {}, {}, {});\n", in.index, in.index2, d, s, n);
        break;
    }
    case Op::ElemDrop: fmt::format_to(out, "lucet_rt.elem_drop(ctx, {}u);\n", in.index); break;
    case Op::RefNull: {
        std::string d = push(in.type);
        fmt::format_to(out, "{} = 0;\n", d);
        break;
    }
    case Op::RefFunc: {
        std::string d = push(ValType::FuncRef);
        fmt::format_to(out, "{} = (uint64_t)(uintptr_t)&ctx->funcs[{}];\n", d, in.index);
        break;
    }
    default:
        return make_error(fmt::format("lucetc cannot translate instruction {}", op_name(in.op)),
                          static_cast<std::ptrdiff_t>(in.offset));
    }
    return {};
}

// A loop is straight when no block, if, loop, call, call_indirect or
// br_table occurs while it is open. Such an event marks only the innermost
// open block; a block closing (or still open when the scan stops) passes its
// mark to the one around it, and a loop's own mark decides it. Each event
// costs O(1): marking every open block at each one was O(nesting x
// instructions), 16 s for 50,000 nested blocks around 600,000 calls.
void FuncEmitter::scan_straight_loops() {
    struct Open {
        int64_t loop;  // its loop ordinal, or -1
        bool marked;   // an event happened inside it
    };
    std::vector<Open> open;
    auto close = [&]() {
        Open b = open.back();
        open.pop_back();
        if (b.loop >= 0) straight_loops_[b.loop] = !b.marked;
        if (b.marked && !open.empty()) open.back().marked = true;
    };
    auto mark = [&]() {
        if (!open.empty()) open.back().marked = true;
    };
    InstrReader r(m_, fn_);
    Instr in;
    while (!r.done() && r.next(in).ok()) {
        switch (in.op) {
        case Op::Block: case Op::If: case Op::Loop:
            mark();
            if (in.op == Op::Loop) {
                open.push_back({static_cast<int64_t>(straight_loops_.size()), false});
                straight_loops_.push_back(true);
            } else {
                open.push_back({-1, false});
            }
            break;
        case Op::Call: case Op::CallIndirect: case Op::BrTable:
            mark();
            break;
        case Op::End:
            if (!open.empty()) close();
            break;
        default: break;
        }
    }
    while (!open.empty()) close();
}

// A recognised 64x64->128 multiply (idioms.h): one unsigned __int128
// product of a and b, then the body's two stores at dst in its order (high
// half first), each with its own bounds check (if any) and trap site. The
// low half passes through an empty asm that reads the high half's memory, so
// cc cannot emit the low store first: when the high half is out of bounds,
// the low half must stay unwritten (gcc -O2 swapped the two stores in a
// split function).
void FuncEmitter::wide_product(const std::string &dst, const std::string &a, const std::string &b,
                               const MulWideU64 &mw, const std::string &hi_site, const std::string &lo_site) {
    auto out = std::back_inserter(body_);
    fmt::format_to(out, "{{ unsigned __int128 p_ = (unsigned __int128){} * {};\nuint64_t lo_ = (uint64_t)p_;\n", a, b);
    site_ = hi_site;
    std::string hi_addr = address(dst, mw.hi_store, 8);
    fmt::format_to(out, "lucet_st_i64(mem + {0}, (uint64_t)(p_ >> 64));\n"
                        "__asm__(\"\" : \"+r\"(lo_) : \"m\"(*(const uint64_t *)(mem + {0})));\n", hi_addr);
    site_ = lo_site;
    fmt::format_to(out, "lucet_st_i64(mem + {}, lo_); }}\n", address(dst, mw.lo_store, 8));
    accesses_ += 2;
}

// The whole body of a recognised multiply: its params by local_ref (`F->l0`
// in a split function).
void FuncEmitter::emit_mul_wide_u64(const MulWideU64 &mw) {
    std::string dst, a, b;
    local_ref(dst, 0);
    local_ref(a, 1);
    local_ref(b, 2);
    wide_product(dst, a, b, mw, trap_site(mw.hi_offset), trap_site(mw.lo_offset));
}

// A direct call of a function that is exactly that body (a leaf: no stack
// probe, nothing but the product and its two stores), emitted in place: the
// callee usually sits in another unit, out of cc's reach, and ecfield spent
// its time in the 25 calls per field multiply. The stores keep their order,
// bounds checks and the callee's trap sites.
void FuncEmitter::inline_mul_wide_u64(uint32_t func, const MulWideU64 &mw) {
    std::string b = pop(), a = pop(), dst = pop();
    auto callee_site = [func](size_t offset) {
        uint64_t off = offset < LUCET_TRAP_OFFSET_UNKNOWN ? offset : LUCET_TRAP_OFFSET_UNKNOWN;
        return fmt::format("0x{:x}ull", (uint64_t)func << 32 | off);
    };
    wide_product(dst, a, b, mw, callee_site(mw.hi_offset), callee_site(mw.lo_offset));
}

Status FuncEmitter::run(std::string &out) {
    locals_ = ft_.params;
    locals_.insert(locals_.end(), fn_.locals.begin(), fn_.locals.end());
    split_ = lowering_.split_chunk_bytes > 0;
    frame_locals_ = lowering_.frame_locals || split_;
    if (frame_locals_) {
        frame_pos_.resize(locals_.size());
        for (size_t i = ft_.params.size(); i < locals_.size(); i++)
            frame_pos_[i] = frame_count_[class_index(locals_[i])]++;
    }
    Frame f;
    f.kind = Frame::Kind::Func;
    f.sig.ft = &ft_;
    frames_.push_back(f);
    // A guess at the C for the body (about 24 bytes per wasm byte), capped:
    // a 60 MB body reserved 1.4 GB up front. The text grows as it is written.
    body_.reserve(std::min<size_t>((fn_.body_end - fn_.body_offset) * 24 + 256, size_t(16) << 20));

    scan_straight_loops();
    InstrReader r(m_, fn_);
    Instr in;
    bool finished = false;
    MulWideU64 mw;
    if (!m_.memories.empty() && match_mul_wide_u64(m_, fn_, ft_, mw)) {
        emit_mul_wide_u64(mw);
        finished = true;
    }
    size_t chunk_start = 0;
    uint32_t until_check = kDeadlineCheckInstrs;
    while (!r.done() && !finished) {
        if (--until_check == 0) {
            LUCET_TRY(check_deadline(opts_, fidx_));
            until_check = kDeadlineCheckInstrs;
        }
        LUCET_TRY(r.next(in));
        if (in.op == Op::LocalTee && (fused_clamp_select(in, r) || fused_minmax_select(in, r) || minmax_first_tee(in, r) ||
                                      fused_shift_mix(in, r)))
            continue;
        LUCET_TRY(instr(in, finished));
        // Between two instructions the C is at brace depth 0: a chunk may end.
        if (split_ && !finished && body_.size() - chunk_start >= lowering_.split_chunk_bytes) {
            chunk_start = body_.size();
            cuts_.push_back(chunk_start);
        }
    }
    if (!finished)
        return make_error(fmt::format("function {} body ends without its final end", fidx_),
                          static_cast<std::ptrdiff_t>(fn_.code_offset));
    stats_.func_uses_simd = uses_simd_;
    stats_.func_has_loop = has_loop_;
    stats_.func_accesses = accesses_;
    if (split_) return emit_split(out);

    auto o = std::back_inserter(out);
    register_ = lowering_.register_vars && register_ok();
    const char *reg = register_ ? "register " : "";
    fmt::format_to(o, "{} {}({}lucet_vmctx *ctx", result_c_type(ft_.results), func_c_name(m_, fidx_), reg);
    for (size_t i = 0; i < ft_.params.size(); i++) fmt::format_to(o, ", {}{} l{}", reg, c_type(ft_.params[i]), i);
    out += ") {\n";
    declare_locals(out);
    for (int c = 0; c < kNumClasses; c++) {
        bool any = false;
        for (size_t d = 0; d < used_[c].size(); d++) {
            if (!used_[c][d]) continue;
            fmt::format_to(o, "{}s{}{}", any ? ", " : fmt::format("{}{} ", reg, c_type(class_types[c])),
                           type_letter(class_types[c]), d);
            any = true;
        }
        if (any) out += ";\n";
    }
    for (auto &[t, name] : extra_decls_) fmt::format_to(o, "{}{} {};\n", reg, c_type(t), name);
    if (!m_.memories.empty()) fmt::format_to(o, "{}uint8_t *mem = ctx->heap; (void)mem;\n", reg);
    // memr == mem, but cc cannot prove it (see mem_access); a register
    // copy, not a reload from ctx (two loads on every call's critical path).
    if (uses_memr_) out += "const uint8_t *memr = mem; __asm__(\"\" : \"+r\"(memr));\n";
    // Guest stack checks (runtime_helpers.inc) keep the host-call reserve
    // below stack_limit free for host code:
    // - LUCET_STACK_CHECK, in functions that may enter host code (imports,
    //   call_indirect, runtime helpers, out-of-line routines) or have more
    //   than kExactMinVars variables: the stack pointer once the frame is
    //   allocated must be at or above stack_limit, so the whole frame is
    //   accounted for (inlined callees' too: the stack pointer is the
    //   combined frame's bottom).
    // - LUCET_STACK_PROBE, in functions whose only calls are direct calls to
    //   this module's functions: the address of a local stands for the stack
    //   pointer. Reading the stack pointer stops gcc from inlining recursive
    //   calls (the fib kernel: 0.75 -> 1.17 of native), and these functions
    //   never enter host code themselves: their callees check again. Their
    //   frames are small (at most kExactMinVars variables, ~1 KiB, and what
    //   inlining adds, which gcc bounds at 11x), so with the leaves below
    //   them (no check, at most kLeafMaxVars variables, no call at all but
    //   possibly a libgcc routine linked into the module, e.g. popcount)
    //   they stay well inside the 32 KiB reserve and never reach the guard
    //   page from outside module code.
    // A frame reaching the guard page before its check faults in module code
    // (large frames probe every page: -fstack-clash-protection): a
    // stack-overflow trap.
    // Counted in 8-byte units: a v128 counts twice.
    auto units = [](ValType t) -> size_t { return t == ValType::V128 ? 2 : 1; };
    size_t frame_vars = 0;
    for (ValType t : locals_) frame_vars += units(t);
    for (auto &[t, name] : extra_decls_) frame_vars += units(t);
    for (int c = 0; c < kNumClasses; c++)
        for (uint8_t u : used_[c]) frame_vars += u * units(class_types[c]);
    constexpr size_t kLeafMaxVars = 256, kExactMinVars = 64;
    if (calls_host_ || frame_vars > kLeafMaxVars || (calls_out_ && frame_vars > kExactMinVars))
        out += "LUCET_STACK_CHECK(ctx, " + trap_site(fn_.code_offset) + ");\n";
    else if (calls_out_)
        out += "LUCET_STACK_PROBE(ctx, " + trap_site(fn_.code_offset) + ");\n";
    out += body_;
    out += "}\n\n";
    return {};
}


// Declared locals, zero-initialised: one C variable each, or (frame_locals)
// one zeroed array per value class.
void FuncEmitter::declare_locals(std::string &out) {
    auto o = std::back_inserter(out);
    if (!frame_locals_) {
        for (size_t i = ft_.params.size(); i < locals_.size(); i++)
            fmt::format_to(o, "{}{} l{} = {};\n", register_ ? "register " : "", c_type(locals_[i]), i,
                           locals_[i] == ValType::V128 ? "{0}" : "0");
        return;
    }
    for (int c = 0; c < kNumClasses; c++) {
        if (frame_count_[c] == 0) continue;
        fmt::format_to(o, "{} l{}_[{}];\n__builtin_memset(l{}_, 0, sizeof l{}_);\n", c_type(class_types[c]),
                       type_letter(class_types[c]), frame_count_[c], type_letter(class_types[c]),
                       type_letter(class_types[c]));
    }
}

// Whether the function's variables may be declared `register` (C forbids
// taking the address of one): no frame arrays, no v128 value (SIMD helpers
// and v128 globals go through memory: `__builtin_memcpy(&slot, ...)`), few
// enough variables for -O0 to keep them in registers, and, audited on the
// emitted body itself, no `&` applied to a local (`l<N>`) or an operand slot
// (`s<class><N>`), nor to ctx or mem themselves. The macros the body uses (LUCET_FORCE_READ_*: "r"/"x"
// asm inputs; the stack checks: a local of their own) take no address of one.
bool FuncEmitter::register_ok() const {
    if (frame_locals_ || split_ || uses_simd_) return false;
    size_t vars = locals_.size() + extra_decls_.size();
    for (ValType t : locals_) if (t == ValType::V128) return false;
    for (auto &[t, name] : extra_decls_) if (t == ValType::V128) return false;
    for (int c = 0; c < kNumClasses; c++)
        for (uint8_t u : used_[c]) {
            if (u && c == class_index(ValType::V128)) return false;
            vars += u;
        }
    constexpr size_t kMaxRegisterVars = 64;
    if (vars > kMaxRegisterVars) return false;
    for (size_t p = body_.find('&'); p != std::string::npos; p = body_.find('&', p + 1)) {
        size_t q = p + 1;
        while (q < body_.size() && (body_[q] == ' ' || body_[q] == '(')) q++;
        if (q + 1 >= body_.size()) break;
        const char c0 = body_[q], c1 = body_[q + 1];
        const bool digit1 = c1 >= '0' && c1 <= '9';
        if (c0 == 'l' && digit1) return false;
        if (c0 == 's' && std::strchr("ijfdrv", c1) && q + 2 < body_.size() && body_[q + 2] >= '0' && body_[q + 2] <= '9')
            return false;
        if (c0 == 'i' && c1 == 'p') return false;  // saved if-params (ip_names_)
        if (body_.compare(q, 3, "ctx") == 0 && body_.compare(q + 3, 2, "->") != 0) return false;
        if (body_.compare(q, 3, "mem") == 0) return false;  // mem, memr
    }
    return true;
}

Status emit_function(const Module &m, uint32_t func_index, const EmitOptions &opts, const Lowering &lowering,
                     std::string &out, FuncEmitStats &stats) {
    LUCET_TRY(check_deadline(opts, func_index));
    FuncEmitter e(m, func_index, opts, lowering, stats);
    return e.run(out);
}

}  // namespace lucet::cgen
