// func_validator.cpp: validation of one function body with the spec's
// algorithm (appendix "Validation Algorithm"): an operand stack of value types
// (with Unknown for the polymorphic stack after unreachable code) and a stack
// of control frames. Both stacks are explicit vectors, so nesting depth costs
// memory, never native stack; everything is linear in the body size.
#include <cstdint>
#include <string>
#include <vector>

#include "decode/instr.h"
#include "decode/simd_ops.h"
#include "validate/internal.h"

namespace lucet::validate_detail {

namespace {

// Operand-stack entries: a ValType byte, or Unknown (the bottom type).
constexpr uint8_t kUnknown = 0;

// Implementation limit on the operand values moved by multi-value blocks,
// branches and calls (spans of a type's params/results), for the whole module.
// One instruction of two to four bytes can move up to 2000 values (arity is
// capped at 1000 by the decoder), so without a budget a few MB of
// `block (type t) unreachable end` took minutes to validate, and 20 KB of
// calls to a function of 1000 params made 200 MB of C (about 12 bytes of C
// per value moved). Real code moves a few values per call or block, well
// under one per byte; the budget is 1 M values plus 8 per byte of the module.
// Implementation limit on the operand stack height: every stack depth in use
// becomes a C variable, like a local (and locals are capped at 50,000 per
// function by the decoder). 500,000 constants on the stack made 13 MB of C and
// cost cc 680 MB; compilers keep a handful of values on the stack.
constexpr size_t kMaxStackHeight = 50000;

uint64_t span_budget(size_t module_size) { return (uint64_t(1) << 20) + 8 * uint64_t(module_size); }

// Single-type result lists for `block (result t)`, stable storage for spans.
const ValType kOne[7] = {ValType::I32, ValType::I64, ValType::F32, ValType::F64,
                         ValType::V128, ValType::FuncRef, ValType::ExternRef};
const ValType *single(ValType t) {
    switch (t) {
    case ValType::I32: return &kOne[0];
    case ValType::I64: return &kOne[1];
    case ValType::F32: return &kOne[2];
    case ValType::F64: return &kOne[3];
    case ValType::V128: return &kOne[4];
    case ValType::FuncRef: return &kOne[5];
    case ValType::ExternRef: return &kOne[6];
    }
    return &kOne[0];
}

struct Span {
    const ValType *p = nullptr;
    uint32_t n = 0;
};

Span span(const std::vector<ValType> &v) { return Span{v.data(), static_cast<uint32_t>(v.size())}; }

struct Frame {
    Op op;             // Block, Loop, If, Else, or Nop for the function itself
    Span params;
    Span results;
    size_t height;     // operand stack height at entry
    bool unreachable;
};

const char *type_text(uint8_t t) { return t == kUnknown ? "<unknown>" : valtype_name(static_cast<ValType>(t)); }

// Operands of `select` without a type: numeric or vector types.
bool is_num_or_vec(uint8_t t) {
    return t == kUnknown || t == uint8_t(ValType::I32) || t == uint8_t(ValType::I64) || t == uint8_t(ValType::F32) ||
           t == uint8_t(ValType::F64) || t == uint8_t(ValType::V128);
}

class FuncValidator {
public:
    explicit FuncValidator(const ModuleContext &ctx) : ctx_(ctx), m_(ctx.m) {}
    // Validates one body; the stacks are reused from body to body.
    Status run(const Function &f);

private:
    Error fail(const std::string &msg) const { return make_error(msg, static_cast<std::ptrdiff_t>(at_)); }
    Error mismatch(uint8_t expected, uint8_t got) const {
        return fail(std::string("type mismatch in ") + op_name(ins_.op) + ": expected " + type_text(expected) +
                    ", got " + type_text(got));
    }

    void push(ValType t) { vals_.push_back(static_cast<uint8_t>(t)); }
    void push_raw(uint8_t t) { vals_.push_back(t); }

    Status pop_any(uint8_t &out) {
        const Frame &c = ctrls_.back();
        if (vals_.size() == c.height) {
            if (c.unreachable) {
                out = kUnknown;
                return {};
            }
            return fail(std::string("type mismatch: ") + op_name(ins_.op) + " needs an operand but the stack is empty");
        }
        out = vals_.back();
        vals_.pop_back();
        return {};
    }
    Status pop(ValType expected, uint8_t *got = nullptr) {
        uint8_t actual = kUnknown;
        LUCET_TRY(pop_any(actual));
        if (actual != uint8_t(expected) && actual != kUnknown) return mismatch(uint8_t(expected), actual);
        if (got) *got = actual;
        return {};
    }
    Status pop_span(Span s) {
        span_values_ += s.n;
        for (uint32_t i = s.n; i-- > 0;) LUCET_TRY(pop(s.p[i]));
        return {};
    }
    void push_span(Span s) {
        span_values_ += s.n;
        for (uint32_t i = 0; i < s.n; ++i) push(s.p[i]);
    }

    void push_ctrl(Op op, Span params, Span results) {
        ctrls_.push_back(Frame{op, params, results, vals_.size(), false});
        push_span(params);
    }
    Status pop_ctrl(Frame &out) {
        // ctrls_ is never empty here: the decoder guarantees `end` balance.
        LUCET_TRY(pop_span(ctrls_.back().results));
        if (vals_.size() != ctrls_.back().height)
            return fail(std::string("type mismatch: ") + std::to_string(vals_.size() - ctrls_.back().height) +
                        " extra value(s) on the stack at the end of the block");
        out = ctrls_.back();
        ctrls_.pop_back();
        return {};
    }
    Span label_types(const Frame &f) const { return f.op == Op::Loop ? f.params : f.results; }
    void set_unreachable() {
        vals_.resize(ctrls_.back().height);
        ctrls_.back().unreachable = true;
    }

    Status block_sig(const BlockType &bt, Span &params, Span &results);
    Status label(uint32_t depth, const Frame *&out) {
        if (depth >= ctrls_.size()) return fail("unknown label " + std::to_string(depth));
        out = &ctrls_[ctrls_.size() - 1 - depth];
        return {};
    }
    Status memory(const char *) {
        if (m_.memories.empty()) return fail(std::string("unknown memory 0 (") + op_name(ins_.op) + ")");
        return {};
    }
    Status table(uint32_t t, ValType *elem = nullptr) {
        if (t >= m_.tables.size()) return fail("unknown table " + std::to_string(t));
        if (elem) *elem = m_.tables[t].elem;
        return {};
    }
    Status local(uint32_t i, ValType &t) {
        if (i < params_->size()) {
            t = (*params_)[i];
            return {};
        }
        size_t j = i - params_->size();
        if (j >= f_->locals.size()) return fail("unknown local " + std::to_string(i));
        t = f_->locals[j];
        return {};
    }
    Status check_budget() const {
        if (span_values_ <= span_budget_) return {};
        return fail("implementation limit: multi-value blocks, branches and calls move more than " +
                    std::to_string(span_budget_) + " operand values in this module");
    }
    Status load_store(ValType t, uint32_t natural_log2, bool store);
    Status numeric();
    Status simd();
    Status step();

    const ModuleContext &ctx_;
    const Module &m_;
    const Function *f_ = nullptr;
    const std::vector<ValType> *params_ = nullptr;
    Instr ins_;
    size_t at_ = 0;
    std::vector<uint8_t> vals_;
    std::vector<Frame> ctrls_;
    std::vector<uint8_t> scratch_;
    uint64_t span_values_ = 0;  // values moved by spans so far, in all bodies
    uint64_t span_budget_ = span_budget(m_.bytes.size());
};

Status FuncValidator::block_sig(const BlockType &bt, Span &params, Span &results) {
    params = Span{};
    results = Span{};
    switch (bt.kind) {
    case BlockType::Kind::Empty: break;
    case BlockType::Kind::Value: results = Span{single(bt.value), 1}; break;
    case BlockType::Kind::TypeIndex:
        if (bt.type_index >= m_.types.size()) return fail("unknown type " + std::to_string(bt.type_index));
        params = span(m_.types[bt.type_index].params);
        results = span(m_.types[bt.type_index].results);
        break;
    }
    return {};
}

Status FuncValidator::load_store(ValType t, uint32_t natural_log2, bool store) {
    LUCET_TRY(memory(nullptr));
    if (ins_.mem.align > natural_log2) return fail("alignment must not be larger than natural");
    if (store) {
        LUCET_TRY(pop(t));
        LUCET_TRY(pop(ValType::I32));
    } else {
        LUCET_TRY(pop(ValType::I32));
        push(t);
    }
    return {};
}

// Plain numeric instructions: [a] -> r or [a a] -> r, by opcode range.
Status FuncValidator::numeric() {
    using V = ValType;
    const uint32_t c = static_cast<uint32_t>(ins_.op);
    V a = V::I32, r = V::I32;
    int n = 1;
    auto set = [&](V a_, int n_, V r_) { a = a_; n = n_; r = r_; };
    if (c == 0x45) set(V::I32, 1, V::I32);
    else if (c <= 0x4f) set(V::I32, 2, V::I32);
    else if (c == 0x50) set(V::I64, 1, V::I32);
    else if (c <= 0x5a) set(V::I64, 2, V::I32);
    else if (c <= 0x60) set(V::F32, 2, V::I32);
    else if (c <= 0x66) set(V::F64, 2, V::I32);
    else if (c <= 0x69) set(V::I32, 1, V::I32);
    else if (c <= 0x78) set(V::I32, 2, V::I32);
    else if (c <= 0x7b) set(V::I64, 1, V::I64);
    else if (c <= 0x8a) set(V::I64, 2, V::I64);
    else if (c <= 0x91) set(V::F32, 1, V::F32);
    else if (c <= 0x98) set(V::F32, 2, V::F32);
    else if (c <= 0x9f) set(V::F64, 1, V::F64);
    else if (c <= 0xa6) set(V::F64, 2, V::F64);
    else {
        switch (c) {
        case 0xa7: set(V::I64, 1, V::I32); break;
        case 0xa8: case 0xa9: case 0xbc: set(V::F32, 1, V::I32); break;
        case 0xaa: case 0xab: set(V::F64, 1, V::I32); break;
        case 0xac: case 0xad: set(V::I32, 1, V::I64); break;
        case 0xae: case 0xaf: set(V::F32, 1, V::I64); break;
        case 0xb0: case 0xb1: case 0xbd: set(V::F64, 1, V::I64); break;
        case 0xb2: case 0xb3: case 0xbe: set(V::I32, 1, V::F32); break;
        case 0xb4: case 0xb5: set(V::I64, 1, V::F32); break;
        case 0xb6: set(V::F64, 1, V::F32); break;
        case 0xb7: case 0xb8: set(V::I32, 1, V::F64); break;
        case 0xb9: case 0xba: case 0xbf: set(V::I64, 1, V::F64); break;
        case 0xbb: set(V::F32, 1, V::F64); break;
        case 0xc0: case 0xc1: set(V::I32, 1, V::I32); break;
        case 0xc2: case 0xc3: case 0xc4: set(V::I64, 1, V::I64); break;
        case 0xfc00: case 0xfc01: set(V::F32, 1, V::I32); break;
        case 0xfc02: case 0xfc03: set(V::F64, 1, V::I32); break;
        case 0xfc04: case 0xfc05: set(V::F32, 1, V::I64); break;
        case 0xfc06: case 0xfc07: set(V::F64, 1, V::I64); break;
        default: return fail(std::string("internal: no signature for ") + op_name(ins_.op));
        }
    }
    for (int i = 0; i < n; ++i) LUCET_TRY(pop(a));
    push(r);
    return {};
}

Status FuncValidator::step() {
    using V = ValType;
    switch (ins_.op) {
    case Op::Unreachable: set_unreachable(); return {};
    case Op::Nop: return {};
    case Op::Block:
    case Op::Loop:
    case Op::If: {
        Span p, r;
        LUCET_TRY(block_sig(ins_.block, p, r));
        if (ins_.op == Op::If) LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop_span(p));
        push_ctrl(ins_.op, p, r);
        return {};
    }
    case Op::Else: {
        Frame f;
        LUCET_TRY(pop_ctrl(f));
        push_ctrl(Op::Else, f.params, f.results);
        return {};
    }
    case Op::End: {
        Frame f;
        LUCET_TRY(pop_ctrl(f));
        // An `if` without `else` behaves as if the else arm passed its
        // parameters straight through, so they must equal the results.
        if (f.op == Op::If) {
            bool same = f.params.n == f.results.n;
            for (uint32_t i = 0; same && i < f.params.n; ++i) same = f.params.p[i] == f.results.p[i];
            if (!same) return fail("type mismatch: if without else must have matching parameter and result types");
        }
        if (!ctrls_.empty()) push_span(f.results);
        return {};
    }
    case Op::Br: {
        const Frame *l;
        LUCET_TRY(label(ins_.index, l));
        LUCET_TRY(pop_span(label_types(*l)));
        set_unreachable();
        return {};
    }
    case Op::BrIf: {
        const Frame *l;
        LUCET_TRY(label(ins_.index, l));
        LUCET_TRY(pop(V::I32));
        Span s = label_types(*l);
        LUCET_TRY(pop_span(s));
        push_span(s);
        return {};
    }
    case Op::BrTable: {
        LUCET_TRY(pop(V::I32));
        const Frame *def;
        LUCET_TRY(label(ins_.index, def));
        const uint32_t arity = label_types(*def).n;
        for (uint32_t t : ins_.targets) {
            const Frame *l;
            LUCET_TRY(label(t, l));
            Span s = label_types(*l);
            if (s.n != arity) return fail("type mismatch: br_table targets have different arities");
            // Pop the label's types and push back what was actually popped
            // (Unknown stays Unknown), as the spec algorithm does.
            // A br_table alone can have millions of targets: check the
            // budget per target, not only per instruction.
            span_values_ += 2 * uint64_t(s.n);
            LUCET_TRY(check_budget());
            scratch_.resize(s.n);
            for (uint32_t i = s.n; i-- > 0;) {
                uint8_t got = 0;
                LUCET_TRY(pop_any(got));
                if (got != uint8_t(s.p[i]) && got != kUnknown) return mismatch(uint8_t(s.p[i]), got);
                scratch_[i] = got;
            }
            for (uint32_t i = 0; i < s.n; ++i) push_raw(scratch_[i]);
        }
        LUCET_TRY(pop_span(label_types(*def)));
        set_unreachable();
        return {};
    }
    case Op::Return:
        LUCET_TRY(pop_span(span(m_.types[f_->type].results)));
        set_unreachable();
        return {};
    case Op::Call: {
        if (ins_.index >= m_.func_types.size()) return fail("unknown function " + std::to_string(ins_.index));
        const FuncType &ft = m_.func_type(ins_.index);
        LUCET_TRY(pop_span(span(ft.params)));
        push_span(span(ft.results));
        return {};
    }
    case Op::CallIndirect: {
        ValType elem;
        LUCET_TRY(table(ins_.index2, &elem));
        if (elem != V::FuncRef) return fail("type mismatch: call_indirect through a table of externref");
        if (ins_.index >= m_.types.size()) return fail("unknown type " + std::to_string(ins_.index));
        const FuncType &ft = m_.types[ins_.index];
        LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop_span(span(ft.params)));
        push_span(span(ft.results));
        return {};
    }
    case Op::Drop: {
        uint8_t t = 0;
        return pop_any(t);
    }
    case Op::Select: {
        LUCET_TRY(pop(V::I32));
        uint8_t t1, t2;
        LUCET_TRY(pop_any(t1));
        LUCET_TRY(pop_any(t2));
        if (!is_num_or_vec(t1) || !is_num_or_vec(t2))
            return fail("type mismatch: select without type needs numeric or vector operands");
        if (t1 != t2 && t1 != kUnknown && t2 != kUnknown) return mismatch(t1, t2);
        push_raw(t1 == kUnknown ? t2 : t1);
        return {};
    }
    case Op::SelectT: {
        if (ins_.types.size() != 1) return fail("invalid result arity for select");
        V t = ins_.types[0];
        LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop(t));
        LUCET_TRY(pop(t));
        push(t);
        return {};
    }
    case Op::LocalGet: {
        V t;
        LUCET_TRY(local(ins_.index, t));
        push(t);
        return {};
    }
    case Op::LocalSet: {
        V t;
        LUCET_TRY(local(ins_.index, t));
        return pop(t);
    }
    case Op::LocalTee: {
        V t;
        LUCET_TRY(local(ins_.index, t));
        LUCET_TRY(pop(t));
        push(t);
        return {};
    }
    case Op::GlobalGet:
        if (ins_.index >= m_.global_types.size()) return fail("unknown global " + std::to_string(ins_.index));
        push(m_.global_types[ins_.index].type);
        return {};
    case Op::GlobalSet: {
        if (ins_.index >= m_.global_types.size()) return fail("unknown global " + std::to_string(ins_.index));
        const GlobalType &g = m_.global_types[ins_.index];
        if (!g.mut) return fail("global is immutable: global.set " + std::to_string(ins_.index));
        return pop(g.type);
    }
    case Op::TableGet: {
        V t;
        LUCET_TRY(table(ins_.index, &t));
        LUCET_TRY(pop(V::I32));
        push(t);
        return {};
    }
    case Op::TableSet: {
        V t;
        LUCET_TRY(table(ins_.index, &t));
        LUCET_TRY(pop(t));
        return pop(V::I32);
    }
    case Op::I32Load: return load_store(V::I32, 2, false);
    case Op::I64Load: return load_store(V::I64, 3, false);
    case Op::F32Load: return load_store(V::F32, 2, false);
    case Op::F64Load: return load_store(V::F64, 3, false);
    case Op::I32Load8S: case Op::I32Load8U: return load_store(V::I32, 0, false);
    case Op::I32Load16S: case Op::I32Load16U: return load_store(V::I32, 1, false);
    case Op::I64Load8S: case Op::I64Load8U: return load_store(V::I64, 0, false);
    case Op::I64Load16S: case Op::I64Load16U: return load_store(V::I64, 1, false);
    case Op::I64Load32S: case Op::I64Load32U: return load_store(V::I64, 2, false);
    case Op::I32Store: return load_store(V::I32, 2, true);
    case Op::I64Store: return load_store(V::I64, 3, true);
    case Op::F32Store: return load_store(V::F32, 2, true);
    case Op::F64Store: return load_store(V::F64, 3, true);
    case Op::I32Store8: return load_store(V::I32, 0, true);
    case Op::I32Store16: return load_store(V::I32, 1, true);
    case Op::I64Store8: return load_store(V::I64, 0, true);
    case Op::I64Store16: return load_store(V::I64, 1, true);
    case Op::I64Store32: return load_store(V::I64, 2, true);
    case Op::MemorySize:
        LUCET_TRY(memory(nullptr));
        push(V::I32);
        return {};
    case Op::MemoryGrow:
        LUCET_TRY(memory(nullptr));
        LUCET_TRY(pop(V::I32));
        push(V::I32);
        return {};
    case Op::I32Const: push(V::I32); return {};
    case Op::I64Const: push(V::I64); return {};
    case Op::F32Const: push(V::F32); return {};
    case Op::F64Const: push(V::F64); return {};
    case Op::RefNull: push(ins_.type); return {};
    case Op::RefIsNull: {
        uint8_t t = 0;
        LUCET_TRY(pop_any(t));
        if (t != kUnknown && !is_ref(static_cast<V>(t)))
            return fail(std::string("type mismatch: ref.is_null of ") + type_text(t));
        push(V::I32);
        return {};
    }
    case Op::RefFunc:
        if (ins_.index >= m_.func_types.size()) return fail("unknown function " + std::to_string(ins_.index));
        if (!ctx_.declared_refs[ins_.index])
            return fail("undeclared function reference " + std::to_string(ins_.index));
        push(V::FuncRef);
        return {};
    case Op::MemoryInit:
        LUCET_TRY(memory(nullptr));
        if (!m_.data_count || ins_.index >= *m_.data_count)
            return fail("unknown data segment " + std::to_string(ins_.index));
        LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop(V::I32));
        return pop(V::I32);
    case Op::DataDrop:
        if (!m_.data_count || ins_.index >= *m_.data_count)
            return fail("unknown data segment " + std::to_string(ins_.index));
        return {};
    case Op::MemoryCopy:
    case Op::MemoryFill:
        LUCET_TRY(memory(nullptr));
        LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop(V::I32));
        return pop(V::I32);
    case Op::TableInit: {
        V t;
        LUCET_TRY(table(ins_.index, &t));
        if (ins_.index2 >= m_.elems.size()) return fail("unknown elem segment " + std::to_string(ins_.index2));
        if (m_.elems[ins_.index2].type != t) return fail("type mismatch: table.init element type differs from table's");
        LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop(V::I32));
        return pop(V::I32);
    }
    case Op::ElemDrop:
        if (ins_.index >= m_.elems.size()) return fail("unknown elem segment " + std::to_string(ins_.index));
        return {};
    case Op::TableCopy: {
        V dst, src;
        LUCET_TRY(table(ins_.index, &dst));
        LUCET_TRY(table(ins_.index2, &src));
        if (dst != src) return fail("type mismatch: table.copy between tables of different element types");
        LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop(V::I32));
        return pop(V::I32);
    }
    case Op::TableGrow: {
        V t;
        LUCET_TRY(table(ins_.index, &t));
        LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop(t));
        push(V::I32);
        return {};
    }
    case Op::TableSize:
        LUCET_TRY(table(ins_.index));
        push(V::I32);
        return {};
    case Op::TableFill: {
        V t;
        LUCET_TRY(table(ins_.index, &t));
        LUCET_TRY(pop(V::I32));
        LUCET_TRY(pop(t));
        return pop(V::I32);
    }
    default:
        if (is_simd(ins_.op)) return simd();
        return numeric();
    }
}

Status FuncValidator::simd() {
    SimdTyping t;
    LUCET_TRY(simd_rule(m_, ins_, t));
    for (int i = t.n_in; i-- > 0;) LUCET_TRY(pop(t.in[i]));
    if (t.has_out) push(t.out);
    return {};
}

Status FuncValidator::run(const Function &f) {
    if (f.type >= m_.types.size()) return make_error("unknown type " + std::to_string(f.type), f.code_offset);
    f_ = &f;
    const FuncType &ft = m_.types[f.type];
    params_ = &ft.params;
    vals_.clear();
    ctrls_.clear();
    // The function's own frame: no params on the operand stack (they are
    // locals), results are the function's results.
    ctrls_.push_back(Frame{Op::Nop, Span{}, span(ft.results), 0, false});
    InstrReader r(m_, f);
    while (!r.done()) {
        LUCET_TRY(r.next(ins_));
        at_ = ins_.offset;
        if (ctrls_.empty()) return fail("instruction after the function's final end");
        LUCET_TRY(step());
        LUCET_TRY(check_budget());
        if (vals_.size() > kMaxStackHeight)
            return fail("implementation limit: operand stack deeper than " + std::to_string(kMaxStackHeight) +
                        " values");
    }
    if (!ctrls_.empty()) return fail("END opcode expected at the end of the function");
    return {};
}

}  // namespace

Status validate_functions(const ModuleContext &ctx) {
    FuncValidator v(ctx);
    for (const Function &f : ctx.m.code) LUCET_TRY(v.run(f));
    return {};
}

}  // namespace lucet::validate_detail
