// validator.cpp: module-level validation rules (types, imports, limits,
// globals, exports, start, segments) and the C.refs set; function bodies are
// checked in func_validator.cpp.
#include "validate/validator.h"

#include <string>
#include <string_view>
#include <unordered_set>

#include "decode/proposals.h"
#include "util/escape.h"
#include "validate/internal.h"

namespace lucet {

namespace {

using validate_detail::ModuleContext;

constexpr uint64_t kMaxPages = 65536;

Error err(const std::string &msg, size_t at) { return make_error(msg, static_cast<std::ptrdiff_t>(at)); }

// A name from the module, quoted for a message (util/escape.h).
std::string quoted(const std::string &name) { return "\"" + escaped_name(name, '"') + "\""; }

// Where function `i`'s type index was given: its import, or its code entry.
size_t func_offset(const Module &m, size_t i) {
    if (i >= m.num_imported_funcs) {
        size_t d = i - m.num_imported_funcs;
        return d < m.code.size() ? m.code[d].code_offset : 0;
    }
    size_t k = 0;
    for (const Import &im : m.imports)
        if (im.kind == ExternKind::Func && k++ == i) return im.offset;
    return 0;
}

Status check_limits(const Limits &l, uint64_t bound, const char *too_big, size_t at) {
    if (l.min > bound || (l.max && *l.max > bound)) return err(too_big, at);
    if (l.max && l.min > *l.max) return err("size minimum must not be greater than maximum", at);
    return {};
}

Status check_memory(const MemoryType &t, size_t at) {
    return check_limits(t.limits, kMaxPages, "memory size must be at most 65536 pages (4GiB)", at);
}

Status check_table(const TableType &t, size_t at) {
    // Table limits are u32 by construction; only min <= max can fail.
    return check_limits(t.limits, UINT32_MAX, "table size must be at most 2^32-1", at);
}

// A constant expression of the expected type. `num_globals` is how many
// globals are visible: in 2.0 constant expressions (global initialisers and
// segment offsets/items alike) see only imported globals, which must be
// immutable.
Status check_const(const Module &m, const ConstExpr &e, ValType expected, size_t num_globals) {
    ValType t = e.type;
    switch (e.kind) {
    case ConstExpr::Kind::I32: t = ValType::I32; break;
    case ConstExpr::Kind::I64: t = ValType::I64; break;
    case ConstExpr::Kind::F32: t = ValType::F32; break;
    case ConstExpr::Kind::F64: t = ValType::F64; break;
    case ConstExpr::Kind::V128: t = ValType::V128; break;
    case ConstExpr::Kind::RefNull: t = e.type; break;
    case ConstExpr::Kind::RefFunc:
        if (e.value >= m.func_types.size()) return err("unknown function " + std::to_string(e.value), e.offset);
        t = ValType::FuncRef;
        break;
    case ConstExpr::Kind::GlobalGet: {
        if (e.value >= num_globals) return err("unknown global " + std::to_string(e.value), e.offset);
        const GlobalType &g = m.global_types[e.value];
        if (g.mut) return err("constant expression required (global.get of a mutable global)", e.offset);
        t = g.type;
        break;
    }
    }
    if (t != expected)
        return err(std::string("type mismatch: constant expression has type ") + valtype_name(t) + ", expected " +
                       valtype_name(expected),
                   e.offset);
    return {};
}

void note_ref(std::vector<bool> &refs, const ConstExpr &e) {
    if (e.kind == ConstExpr::Kind::RefFunc && e.value < refs.size()) refs[e.value] = true;
}

Status validate_module_items(const Module &m, std::vector<bool> &refs) {
    const size_t nfuncs = m.func_types.size();
    // Function types of imports and definitions.
    for (size_t i = 0; i < nfuncs; ++i)
        if (m.func_types[i] >= m.types.size())
            return err("unknown type " + std::to_string(m.func_types[i]) + " (function " + std::to_string(i) + ")",
                       func_offset(m, i));
    for (size_t i = 0; i < m.tables.size(); ++i) {
        Status st = check_table(m.tables[i], m.tables[i].limits.offset);
        if (!st.ok()) return err(st.error().message + " (table " + std::to_string(i) + ")", st.error().offset);
    }
    for (size_t i = 0; i < m.memories.size(); ++i) {
        Status st = check_memory(m.memories[i], m.memories[i].limits.offset);
        if (!st.ok()) return err(st.error().message + " (memory " + std::to_string(i) + ")", st.error().offset);
    }
    if (m.memories.size() > 1)
        return err("multiple memories (" + std::to_string(m.memories.size()) + " declared or imported)" +
                       proposals::multiple_memories(),
                   m.memories[1].limits.offset);

    // C.refs before anything that could mention ref.func.
    for (const Global &g : m.globals) note_ref(refs, g.init);
    for (const ElemSegment &e : m.elems)
        for (const ConstExpr &c : e.items) note_ref(refs, c);
    for (const Export &e : m.exports)
        if (e.kind == ExternKind::Func && e.index < refs.size()) refs[e.index] = true;

    // Globals: initialisers see only imported globals (2.0).
    for (const Global &g : m.globals) LUCET_TRY(check_const(m, g.init, g.type.type, m.num_imported_globals));

    // Exports.
    std::unordered_set<std::string_view> names;
    names.reserve(m.exports.size());
    for (const Export &e : m.exports) {
        size_t limit = 0;
        const char *what = "";
        switch (e.kind) {
        case ExternKind::Func: limit = nfuncs; what = "unknown function "; break;
        case ExternKind::Table: limit = m.tables.size(); what = "unknown table "; break;
        case ExternKind::Memory: limit = m.memories.size(); what = "unknown memory "; break;
        case ExternKind::Global: limit = m.global_types.size(); what = "unknown global "; break;
        }
        if (e.index >= limit) return err(what + std::to_string(e.index) + " in export " + quoted(e.name), e.offset);
        if (!names.insert(e.name).second) return err("duplicate export name " + quoted(e.name), e.offset);
    }

    // Start function: [] -> [].
    if (m.start) {
        if (*m.start >= nfuncs)
            return err("unknown function " + std::to_string(*m.start) + " (start)", m.start_offset);
        const FuncType &ft = m.func_type(*m.start);
        if (!ft.params.empty() || !ft.results.empty())
            return err("start function must have type [] -> []", m.start_offset);
    }

    // Element segments.
    for (const ElemSegment &e : m.elems) {
        if (e.mode == SegmentMode::Active) {
            if (e.table >= m.tables.size())
                return err("unknown table " + std::to_string(e.table), e.offset_in_module);
            if (m.tables[e.table].elem != e.type)
                return err(std::string("type mismatch: element segment of ") + valtype_name(e.type) + " for table of " +
                               valtype_name(m.tables[e.table].elem),
                           e.offset_in_module);
            LUCET_TRY(check_const(m, e.offset, ValType::I32, m.num_imported_globals));
        }
        for (const ConstExpr &c : e.items) LUCET_TRY(check_const(m, c, e.type, m.num_imported_globals));
    }

    // Data segments.
    for (const DataSegment &d : m.datas) {
        if (d.mode != SegmentMode::Active) continue;
        if (d.memory >= m.memories.size())
            return err("unknown memory " + std::to_string(d.memory), d.offset.offset);
        LUCET_TRY(check_const(m, d.offset, ValType::I32, m.num_imported_globals));
    }
    return {};
}

}  // namespace

Status validate_module(const Module &m) {
    ModuleContext ctx{m, std::vector<bool>(m.func_types.size(), false)};
    LUCET_TRY(validate_module_items(m, ctx.declared_refs));
    return validate_detail::validate_functions(ctx);
}

}  // namespace lucet
