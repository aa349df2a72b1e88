// decoder.cpp: the binary format (sections, types, imports, ..., code, data).
//
// One pass over the bytes with a bounded cursor. Each section gets its own
// cursor limited to the section's size, so nothing in a section can read past
// it. Function bodies are scanned once with InstrReader to check every
// instruction's encoding and the block structure (with a counter per block
// kind on an explicit stack, never recursion), so later passes never meet a
// malformed instruction.
#include "decode/decoder.h"

#include <cstring>
#include <string>
#include <utility>

#include "decode/instr.h"
#include "decode/names.h"
#include "decode/proposals.h"
#include "decode/reader.h"

namespace lucet {

namespace {

using detail::ByteReader;

constexpr uint64_t kMaxLocals = 50000;

// Implementation limit on the parameters and on the results of a function
// type (the JS API's limits, which every browser engine enforces). Without
// one, validation and code generation cost (body size x arity): a 4-byte
// `block (type t) unreachable end` moves every value of t twice, so a 40 KB
// type and a 400 KB body took minutes.
constexpr uint32_t kMaxFuncTypeArity = 1000;

// Function::locals is expanded (one byte per local), and a 6-byte body can
// declare 50000 locals, so the per-function cap alone would let a small file
// claim gigabytes. The module-wide total is therefore capped too, at a bound
// far above what real modules use (compilers emit a few dozen locals per
// function, well under one local per byte of code) that grows with the input
// size. Every local becomes a C variable: 2^20 of them are 20 MB of C that
// take cc -O0 18 s and 800 MB, so the fixed part stays at 2^18 (a 2.6 KB
// module declaring 16 M locals made 340 MB of C under the former 2^24 + 4 per
// byte).
uint64_t max_module_locals(size_t input_size) { return (uint64_t(1) << 18) + uint64_t(input_size); }

Error err(const std::string &msg, size_t at) { return make_error(msg, static_cast<std::ptrdiff_t>(at)); }

class Decoder {
public:
    explicit Decoder(Module &m) : m_(m), d_(m.bytes.data()) {}

    Status run();

private:
    // Section bodies. Each reads from a cursor bounded by the section.
    Status custom_section(ByteReader &s);
    Status type_section(ByteReader &s);
    Status import_section(ByteReader &s);
    Status function_section(ByteReader &s);
    Status table_section(ByteReader &s);
    Status memory_section(ByteReader &s);
    Status global_section(ByteReader &s);
    Status export_section(ByteReader &s);
    Status start_section(ByteReader &s);
    Status elem_section(ByteReader &s);
    Status datacount_section(ByteReader &s);
    Status code_section(ByteReader &s);
    Status data_section(ByteReader &s);

    // Pieces.
    Status count(ByteReader &s, uint32_t &n);
    // count(), then at most `limit` items of kind `what` in all, `already`
    // of them declared before (imports).
    Status count_limited(ByteReader &s, uint32_t &n, uint64_t already, uint32_t limit, const char *what);
    Status name(ByteReader &s, std::string &out);
    Status valtype(ByteReader &s, ValType &out);
    Status reftype(ByteReader &s, ValType &out);
    Status limits(ByteReader &s, Limits &out);
    Status table_type(ByteReader &s, TableType &out);
    Status global_type(ByteReader &s, GlobalType &out);
    Status const_expr(ByteReader &s, ConstExpr &out);
    Status function_body(Function &f, size_t section_end);

    Module &m_;
    const uint8_t *d_;
    uint32_t declared_funcs_ = 0;   // function section count
    uint64_t module_locals_ = 0;    // expanded locals of all bodies so far
    bool saw_function_section_ = false;
    bool saw_code_section_ = false;
    std::vector<std::pair<uint32_t, std::string>> names_;
    Instr ins_;                     // reused by every body scan (keeps its vectors' capacity)
    std::vector<uint8_t> ctl_;      // block-kind stack of the body being scanned
};

// Makes room for the `n` items a section announces, to be appended as they
// are read: at most kReserveItems at once. count() bounds n by the bytes
// left, one per item, but an item in memory is up to ~160 bytes: reserving n
// up front let a 10 MB section with a huge count take 1.6 GB before its first
// malformed item. Growing as items are read keeps memory in step with what
// the input really holds.
template <typename V>
void grow_to(V &v, uint32_t n) {
    constexpr uint32_t kReserveItems = 1024;
    v.reserve(v.size() + std::min(n, kReserveItems));
}

Status Decoder::count(ByteReader &s, uint32_t &n) {
    size_t at = s.pos();
    LUCET_TRY(s.u32(n));
    // Every item of every vector takes at least one byte, so a count larger
    // than the bytes left is malformed; checking it here bounds allocation.
    if (n > s.remaining())
        return err("unexpected end of section or function: count " + std::to_string(n) + " exceeds the " +
                       std::to_string(s.remaining()) + " bytes left",
                   at);
    return {};
}

// Implementation limits on how many items a module declares: the JS API's
// (https://webassembly.github.io/spec/js-api/#limits), which every browser
// engine enforces, so no real module is refused. They bound what a small file
// can make the decoder, the emitter and the runtime hold per item.
constexpr uint32_t kMaxTypes = 1'000'000;
constexpr uint32_t kMaxFunctions = 1'000'000;  // imported and defined
constexpr uint32_t kMaxImports = 100'000;
constexpr uint32_t kMaxExports = 100'000;
constexpr uint32_t kMaxGlobals = 1'000'000;   // imported and defined
constexpr uint32_t kMaxTables = 100'000;      // imported and defined
constexpr uint32_t kMaxDataSegments = 100'000;
constexpr uint32_t kMaxElemSegments = 10'000'000;
constexpr uint32_t kMaxElemItems = 10'000'000;  // per segment (the JS API's table size limit)

Status Decoder::count_limited(ByteReader &s, uint32_t &n, uint64_t already, uint32_t limit, const char *what) {
    size_t at = s.pos();
    LUCET_TRY(count(s, n));
    if (already + n > limit)
        return err("implementation limit: " + std::to_string(already + n) + " " + what + " (at most " +
                       std::to_string(limit) + ")",
                   at);
    return {};
}

Status Decoder::name(ByteReader &s, std::string &out) {
    uint32_t len = 0;
    size_t at = s.pos();
    LUCET_TRY(s.u32(len));
    if (len > s.remaining()) return err("length out of bounds", at);
    size_t start = 0;
    LUCET_TRY(s.bytes(len, start));
    if (!detail::valid_utf8(d_ + start, len)) return err("malformed UTF-8 encoding", start);
    out.assign(reinterpret_cast<const char *>(d_ + start), len);
    return {};
}

Status Decoder::valtype(ByteReader &s, ValType &out) {
    size_t at = s.pos();
    uint8_t b = 0;
    LUCET_TRY(s.u8(b));
    switch (b) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x70: case 0x6f:
        out = static_cast<ValType>(b);
        return {};
    case 0x7b:
        m_.uses_simd = true;
        out = ValType::V128;
        return {};
    default:
        return err("malformed value type", at);
    }
}

Status Decoder::reftype(ByteReader &s, ValType &out) {
    size_t at = s.pos();
    uint8_t b = 0;
    LUCET_TRY(s.u8(b));
    if (b != 0x70 && b != 0x6f) return err("malformed reference type", at);
    out = static_cast<ValType>(b);
    return {};
}

Status Decoder::limits(ByteReader &s, Limits &out) {
    size_t at = s.pos();
    uint8_t flag = 0;
    LUCET_TRY(s.u8(flag));
    if (flag & 0x80) return err("integer representation too long", at);  // an LEB-encoded flag
    if (flag > 1) return err("integer too large" + proposals::limits_flag(flag), at);  // limits flag: 0 or 1 in 2.0 (no shared/64-bit)
    out.offset = at;
    uint32_t v = 0;
    LUCET_TRY(s.u32(v));
    out.min = v;
    if (flag == 1) {
        LUCET_TRY(s.u32(v));
        out.max = v;
    } else {
        out.max.reset();
    }
    return {};
}

Status Decoder::table_type(ByteReader &s, TableType &out) {
    LUCET_TRY(reftype(s, out.elem));
    return limits(s, out.limits);
}

Status Decoder::global_type(ByteReader &s, GlobalType &out) {
    LUCET_TRY(valtype(s, out.type));
    size_t at = s.pos();
    uint8_t mut = 0;
    LUCET_TRY(s.u8(mut));
    if (mut > 1) return err("malformed mutability", at);
    out.mut = mut == 1;
    return {};
}

// A constant expression: in 2.0 exactly one constant instruction then `end`.
// Anything else cannot be represented in ConstExpr, so it is rejected here
// with the texts the spec expects of validation.
Status Decoder::const_expr(ByteReader &s, ConstExpr &out) {
    out.offset = s.pos();
    InstrReader ir(m_, s.pos(), s.end());
    int n = 0;
    for (;;) {
        LUCET_TRY(ir.next(ins_));
        if (ins_.op == Op::End) break;
        switch (ins_.op) {
        case Op::I32Const: out.kind = ConstExpr::Kind::I32; out.type = ValType::I32; out.value = ins_.imm; break;
        case Op::I64Const: out.kind = ConstExpr::Kind::I64; out.type = ValType::I64; out.value = ins_.imm; break;
        case Op::F32Const: out.kind = ConstExpr::Kind::F32; out.type = ValType::F32; out.value = ins_.imm; break;
        case Op::F64Const: out.kind = ConstExpr::Kind::F64; out.type = ValType::F64; out.value = ins_.imm; break;
        case Op::V128Const:
            m_.uses_simd = true;
            out.kind = ConstExpr::Kind::V128;
            out.type = ValType::V128;
            out.value = ins_.imm;
            out.value_hi = ins_.imm2;
            break;
        case Op::RefNull: out.kind = ConstExpr::Kind::RefNull; out.type = ins_.type; out.value = 0; break;
        case Op::RefFunc: out.kind = ConstExpr::Kind::RefFunc; out.type = ValType::FuncRef; out.value = ins_.index; break;
        case Op::GlobalGet:
            out.kind = ConstExpr::Kind::GlobalGet;
            out.value = ins_.index;
            // The validator checks the index; fill the type when it is known.
            out.type = ins_.index < m_.global_types.size() ? m_.global_types[ins_.index].type : ValType::I32;
            break;
        default:
            return err(std::string("constant expression required (") + op_name(ins_.op) + ")", ins_.offset);
        }
        ++n;
    }
    s.seek(ir.position());
    if (n != 1) return err("type mismatch: constant expression must be exactly one instruction", out.offset);
    return {};
}

Status Decoder::custom_section(ByteReader &s) {
    std::string nm;
    LUCET_TRY(name(s, nm));
    if (nm == "name") names_ = detail::parse_function_names(d_, s.pos(), s.end());
    s.seek(s.end());
    return {};
}

Status Decoder::type_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(count_limited(s, n, 0, kMaxTypes, "types"));
    grow_to(m_.types, n);
    for (uint32_t i = 0; i < n; ++i) {
        size_t at = s.pos();
        uint8_t form = 0;
        LUCET_TRY(s.u8(form));
        if (form & 0x80) return err("integer representation too long", at);  // an LEB-encoded form
        if (form != 0x60) return err("malformed function type (expected 0x60)" + proposals::type_form(form), at);
        FuncType &ft = m_.types.emplace_back();
        uint32_t np = 0, nr = 0;
        size_t np_at = s.pos();
        LUCET_TRY(count(s, np));
        if (np > kMaxFuncTypeArity)
            return err("too many parameters in type " + std::to_string(i) + ": " + std::to_string(np) +
                           " (implementation limit " + std::to_string(kMaxFuncTypeArity) + ")",
                       np_at);
        ft.params.resize(np);
        for (auto &t : ft.params) LUCET_TRY(valtype(s, t));
        size_t nr_at = s.pos();
        LUCET_TRY(count(s, nr));
        if (nr > kMaxFuncTypeArity)
            return err("too many results in type " + std::to_string(i) + ": " + std::to_string(nr) +
                           " (implementation limit " + std::to_string(kMaxFuncTypeArity) + ")",
                       nr_at);
        ft.results.resize(nr);
        for (auto &t : ft.results) LUCET_TRY(valtype(s, t));
    }
    return {};
}

Status Decoder::import_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(count_limited(s, n, 0, kMaxImports, "imports"));
    grow_to(m_.imports, n);
    for (uint32_t i = 0; i < n; ++i) {
        Import &im = m_.imports.emplace_back();
        LUCET_TRY(name(s, im.module));
        LUCET_TRY(name(s, im.field));
        size_t at = s.pos();
        im.offset = at;
        uint8_t kind = 0;
        LUCET_TRY(s.u8(kind));
        switch (kind) {
        case 0:
            im.kind = ExternKind::Func;
            LUCET_TRY(s.u32(im.func_type));
            m_.func_types.push_back(im.func_type);
            ++m_.num_imported_funcs;
            break;
        case 1:
            im.kind = ExternKind::Table;
            LUCET_TRY(table_type(s, im.table));
            m_.tables.push_back(im.table);
            ++m_.num_imported_tables;
            break;
        case 2:
            im.kind = ExternKind::Memory;
            LUCET_TRY(limits(s, im.memory.limits));
            m_.memories.push_back(im.memory);
            ++m_.num_imported_memories;
            break;
        case 3:
            im.kind = ExternKind::Global;
            LUCET_TRY(global_type(s, im.global));
            m_.global_types.push_back(im.global);
            ++m_.num_imported_globals;
            break;
        default:
            return err("malformed import kind", at);
        }
    }
    return {};
}

Status Decoder::function_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(count_limited(s, n, m_.num_imported_funcs, kMaxFunctions, "functions"));
    saw_function_section_ = true;
    declared_funcs_ = n;
    m_.func_types.reserve(m_.func_types.size() + n);
    for (uint32_t i = 0; i < n; ++i) {
        uint32_t t = 0;
        LUCET_TRY(s.u32(t));
        m_.func_types.push_back(t);
    }
    return {};
}

Status Decoder::table_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(count_limited(s, n, m_.tables.size(), kMaxTables, "tables"));
    for (uint32_t i = 0; i < n; ++i) {
        TableType t;
        LUCET_TRY(table_type(s, t));
        m_.tables.push_back(t);
    }
    return {};
}

Status Decoder::memory_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(count(s, n));
    for (uint32_t i = 0; i < n; ++i) {
        MemoryType t;
        LUCET_TRY(limits(s, t.limits));
        m_.memories.push_back(t);
    }
    return {};
}

Status Decoder::global_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(count_limited(s, n, m_.num_imported_globals, kMaxGlobals, "globals"));
    m_.globals.reserve(n);
    m_.global_types.reserve(m_.global_types.size() + n);
    for (uint32_t i = 0; i < n; ++i) {
        Global g;
        LUCET_TRY(global_type(s, g.type));
        LUCET_TRY(const_expr(s, g.init));
        m_.global_types.push_back(g.type);
        m_.globals.push_back(g);
    }
    return {};
}

Status Decoder::export_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(count_limited(s, n, 0, kMaxExports, "exports"));
    grow_to(m_.exports, n);
    for (uint32_t i = 0; i < n; ++i) {
        Export &e = m_.exports.emplace_back();
        e.offset = s.pos();
        LUCET_TRY(name(s, e.name));
        size_t at = s.pos();
        uint8_t kind = 0;
        LUCET_TRY(s.u8(kind));
        if (kind > 3) return err("malformed export kind", at);
        e.kind = static_cast<ExternKind>(kind);
        LUCET_TRY(s.u32(e.index));
    }
    return {};
}

Status Decoder::start_section(ByteReader &s) {
    uint32_t f = 0;
    m_.start_offset = s.pos();
    LUCET_TRY(s.u32(f));
    m_.start = f;
    return {};
}

Status Decoder::elem_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(count_limited(s, n, 0, kMaxElemSegments, "element segments"));
    grow_to(m_.elems, n);
    for (uint32_t i = 0; i < n; ++i) {
        ElemSegment &e = m_.elems.emplace_back();
        e.offset_in_module = s.pos();
        uint32_t flags = 0;
        LUCET_TRY(s.u32(flags));
        if (flags > 7) return err("malformed elements segment kind", e.offset_in_module);
        // Bit 0: passive or declarative (bit 1 picks declarative); else active.
        // Bit 1 on an active segment: explicit table index.
        // Bit 2: items are expressions rather than function indices.
        if (flags & 1) {
            e.mode = (flags & 2) ? SegmentMode::Declarative : SegmentMode::Passive;
        } else {
            e.mode = SegmentMode::Active;
            if (flags & 2) LUCET_TRY(s.u32(e.table));
            LUCET_TRY(const_expr(s, e.offset));
        }
        bool exprs = flags & 4;
        e.type = ValType::FuncRef;
        if (flags & 3) {
            // An element kind (indices) or reference type (expressions).
            if (exprs) {
                LUCET_TRY(reftype(s, e.type));
            } else {
                size_t at = s.pos();
                uint8_t kind = 0;
                LUCET_TRY(s.u8(kind));
                if (kind != 0) return err("malformed element kind", at);
            }
        }
        uint32_t ni = 0;
        LUCET_TRY(count_limited(s, ni, 0, kMaxElemItems, "elements in one segment"));
        grow_to(e.items, ni);
        for (uint32_t k = 0; k < ni; ++k) {
            ConstExpr &c = e.items.emplace_back();
            if (exprs) {
                LUCET_TRY(const_expr(s, c));
            } else {
                c.offset = s.pos();
                uint32_t f = 0;
                LUCET_TRY(s.u32(f));
                c.kind = ConstExpr::Kind::RefFunc;
                c.type = ValType::FuncRef;
                c.value = f;
            }
        }
    }
    return {};
}

Status Decoder::datacount_section(ByteReader &s) {
    uint32_t n = 0;
    LUCET_TRY(s.u32(n));
    m_.data_count = n;
    return {};
}

Status Decoder::data_section(ByteReader &s) {
    size_t at = s.pos();
    uint32_t n = 0;
    LUCET_TRY(count_limited(s, n, 0, kMaxDataSegments, "data segments"));
    if (m_.data_count && *m_.data_count != n)
        return err("data count and data section have inconsistent lengths", at);
    grow_to(m_.datas, n);
    for (uint32_t i = 0; i < n; ++i) {
        DataSegment &d = m_.datas.emplace_back();
        size_t fat = s.pos();
        uint32_t flags = 0;
        LUCET_TRY(s.u32(flags));
        switch (flags) {
        case 0: d.mode = SegmentMode::Active; d.memory = 0; break;
        case 1: d.mode = SegmentMode::Passive; break;
        case 2: d.mode = SegmentMode::Active; LUCET_TRY(s.u32(d.memory)); break;
        default: return err("malformed data segment kind", fat);
        }
        if (d.mode == SegmentMode::Active) LUCET_TRY(const_expr(s, d.offset));
        uint32_t len = 0;
        LUCET_TRY(s.u32(len));
        LUCET_TRY(s.bytes(len, d.data_offset));
        d.data_size = len;
    }
    return {};
}

Status Decoder::code_section(ByteReader &s) {
    size_t at = s.pos();
    uint32_t n = 0;
    LUCET_TRY(count(s, n));
    saw_code_section_ = true;
    if (n != declared_funcs_) return err("function and code section have inconsistent lengths", at);
    grow_to(m_.code, n);
    m_.tables_written.assign(m_.tables.size(), false);
    for (uint32_t i = 0; i < n; ++i) {
        Function &f = m_.code.emplace_back();
        f.type = m_.func_types[m_.num_imported_funcs + i];
        f.code_offset = s.pos();
        uint32_t size = 0;
        LUCET_TRY(s.u32(size));
        if (size > s.remaining()) return err("length out of bounds (function body size)", f.code_offset);
        size_t body_start = s.pos();
        size_t body_end = body_start + size;
        ByteReader b(d_, body_start, body_end, m_.bytes.size());
        uint32_t groups = 0;
        LUCET_TRY(count(b, groups));
        uint64_t total = 0;
        // First pass over the local groups: sum the counts before expanding
        // so a claimed 2^32 locals never allocates.
        size_t groups_at = b.pos();
        for (uint32_t g = 0; g < groups; ++g) {
            size_t gat = b.pos();
            uint32_t c = 0;
            LUCET_TRY(b.u32(c));
            total += c;
            if (total > kMaxLocals) return err("too many locals", gat);
            ValType t = ValType::I32;
            LUCET_TRY(valtype(b, t));
        }
        module_locals_ += total;
        if (module_locals_ > max_module_locals(m_.bytes.size()))
            return err("too many locals in the module (" + std::to_string(module_locals_) + " in total, limit " +
                           std::to_string(max_module_locals(m_.bytes.size())) + ")",
                       f.code_offset);
        f.locals.reserve(total);
        b.seek(groups_at);
        for (uint32_t g = 0; g < groups; ++g) {
            uint32_t c = 0;
            ValType t = ValType::I32;
            LUCET_TRY(b.u32(c));
            LUCET_TRY(valtype(b, t));
            f.locals.insert(f.locals.end(), c, t);
        }
        f.body_offset = b.pos();
        f.body_end = body_end;
        LUCET_TRY(function_body(f, s.end()));
        s.seek(body_end);
    }
    return {};
}

// Scans one body: every instruction well-formed, blocks properly nested with
// `else` only inside `if`, and the final `end` exactly at the body's end.
Status Decoder::function_body(Function &f, size_t section_end) {
    enum : uint8_t { kBlock, kIf, kElse };
    InstrReader ir(m_, f);
    ctl_.clear();
    ctl_.push_back(kBlock);  // the function's own block
    while (!ir.done()) {
        LUCET_TRY(ir.next(ins_));
        switch (ins_.op) {
        case Op::Block:
        case Op::Loop:
        case Op::If:
            ctl_.push_back(ins_.op == Op::If ? kIf : kBlock);
            if (ins_.block.kind == BlockType::Kind::Value && ins_.block.value == ValType::V128) m_.uses_simd = true;
            break;
        case Op::SelectT:
            for (ValType t : ins_.types)
                if (t == ValType::V128) m_.uses_simd = true;
            break;
        case Op::Else:
            if (ctl_.back() != kIf) return err("END opcode expected (else outside if)", ins_.offset);
            ctl_.back() = kElse;
            break;
        case Op::End:
            ctl_.pop_back();
            if (ctl_.empty()) {
                if (!ir.done()) return err("section size mismatch (code after the function's final end)", ir.position());
                return {};
            }
            break;
        case Op::MemoryInit:
        case Op::DataDrop:
            if (!m_.data_count) return err("data count section required", ins_.offset);
            break;
        case Op::TableSet: case Op::TableGrow: case Op::TableFill: case Op::TableCopy: case Op::TableInit:
            // `index` is the table written (table.copy's and table.init's destination).
            if (ins_.index < m_.tables_written.size()) m_.tables_written[ins_.index] = true;
            break;
        default:
            if (static_cast<uint32_t>(ins_.op) >= 0xfd00) m_.uses_simd = true;
            break;
        }
    }
    // The body ran out before its final `end`. At the end of the code
    // section the reference interpreter reads on into the bytes after it: at
    // the end of the file that is "unexpected end", otherwise it takes the
    // next section's bytes for the body and the section's size is then wrong.
    if (f.body_end == section_end) {
        if (section_end < m_.bytes.size())
            return err("section size mismatch (function body ends without its final end opcode)", f.body_end);
        return err("unexpected end of section or function", f.body_end);
    }
    return err("END opcode expected", f.body_end);
}

// Section ids in the order the spec requires (DataCount sits between Elem and
// Code). Custom sections (id 0) may appear anywhere.
int section_rank(uint8_t id) {
    static constexpr int rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return id < 13 ? rank[id] : -1;
}

Status Decoder::run() {
    const size_t size = m_.bytes.size();
    ByteReader file(d_, 0, size, size, /*whole_file=*/true);
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    if (size < 4) return err("unexpected end", size);
    if (std::memcmp(d_, magic, 4) != 0) return err("magic header not detected", 0);
    if (size < 8) return err("unexpected end", size);
    if (std::memcmp(d_ + 4, version, 4) != 0) return err("unknown binary version", 4);
    file.seek(8);

    int last_rank = 0;
    while (!file.at_end()) {
        size_t at = file.pos();
        uint8_t id = 0;
        LUCET_TRY(file.u8(id));
        int rank = section_rank(id);
        if (rank < 0) return err("malformed section id " + std::to_string(id) + proposals::section_id(id), at);
        uint32_t sz = 0;
        size_t size_at = file.pos();
        LUCET_TRY(file.u32(sz));
        if (sz > file.remaining()) return err("length out of bounds (section size)", size_at);
        size_t start = file.pos();
        ByteReader s(d_, start, start + sz, size);
        if (id != 0) {
            if (rank <= last_rank) return err("unexpected content after last section", at);
            last_rank = rank;
        }
        switch (id) {
        case 0: LUCET_TRY(custom_section(s)); break;
        case 1: LUCET_TRY(type_section(s)); break;
        case 2: LUCET_TRY(import_section(s)); break;
        case 3: LUCET_TRY(function_section(s)); break;
        case 4: LUCET_TRY(table_section(s)); break;
        case 5: LUCET_TRY(memory_section(s)); break;
        case 6: LUCET_TRY(global_section(s)); break;
        case 7: LUCET_TRY(export_section(s)); break;
        case 8: LUCET_TRY(start_section(s)); break;
        case 9: LUCET_TRY(elem_section(s)); break;
        case 10: LUCET_TRY(code_section(s)); break;
        case 11: LUCET_TRY(data_section(s)); break;
        case 12: LUCET_TRY(datacount_section(s)); break;
        }
        if (!s.at_end()) return err("section size mismatch", s.pos());
        file.seek(start + sz);
    }

    if (!saw_code_section_ && declared_funcs_ != 0)
        return err("function and code section have inconsistent lengths", size);
    if (m_.data_count && *m_.data_count != m_.datas.size())
        return err("data count and data section have inconsistent lengths", size);

    if (!names_.empty()) {
        m_.func_names.assign(m_.func_types.size(), std::string());
        for (auto &[idx, nm] : names_)
            if (idx < m_.func_names.size()) m_.func_names[idx] = std::move(nm);
    }
    return {};
}

}  // namespace

Result<Module> decode_module(std::vector<uint8_t> bytes) {
    Module m;
    m.bytes = std::move(bytes);
    Decoder d(m);
    Status st = d.run();
    if (!st.ok()) return st.error();
    return m;
}

}  // namespace lucet
