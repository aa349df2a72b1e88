// module_desc.cpp: unit 0 (the module descriptor `lucet_module`, the
// trampolines and the tables it points to) and the data segment units.
#include <fmt/format.h>

#include "abi/lucet_abi.h"
#include "cgen/cgen_internal.h"
#include "util/cpu_features.h"

#ifndef LUCET_VERSION
#define LUCET_VERSION "0"
#endif

namespace lucet::cgen {

namespace {

// The descriptor's cpu_features: the features cc predefines a macro for
// under the -march this unit is compiled with (every unit gets the same
// flags), so the descriptor states exactly what the code may use.
std::string cpu_features_expr() {
    size_t n = 0;
    const cpu::Feature *f = cpu::features(n);
    std::string out;
    for (size_t i = 0; i < n; i++)
        out += fmt::format("\n#ifdef {}\n  | {}ull\n#endif", f[i].macro, f[i].bit);
    return out;
}

}  // namespace

const char *version_string() {
#define LUCET_STR2(x) #x
#define LUCET_STR(x) LUCET_STR2(x)
    static_assert(LUCET_ABI_VERSION == 4, "keep the version string's ABI number in step");
    return "lucetc " LUCET_VERSION " abi " LUCET_STR(4);
}

namespace {

std::string c_str_lit(std::string_view s) {
    std::string out = "\"";
    append_c_string_body(out, s);
    out += '"';
    return out;
}

std::string init_expr(const ConstExpr &e) {
    switch (e.kind) {
    case ConstExpr::Kind::RefNull: return "{LUCET_INIT_REF_NULL, 0, 0}";
    case ConstExpr::Kind::RefFunc: return fmt::format("{{LUCET_INIT_REF_FUNC, 0, {}ull}}", e.value);
    case ConstExpr::Kind::GlobalGet: return fmt::format("{{LUCET_INIT_GLOBAL_GET, 0, {}ull}}", e.value);
    case ConstExpr::Kind::V128: return fmt::format("{{LUCET_INIT_CONST, 0, 0x{:x}ull, 0x{:x}ull}}", e.value, e.value_hi);
    default: return fmt::format("{{LUCET_INIT_CONST, 0, 0x{:x}ull}}", e.value);
    }
}

std::string limits(const Limits &l) {
    return fmt::format("{{{}ull, {}ull, {}, 0}}", l.min, l.max.value_or(0), l.max ? 1 : 0);
}

const char *unpack_arg(ValType t) {
    switch (t) {
    case ValType::I32: return "(uint32_t)args[{}]";
    case ValType::F32: return "lucet_f32_from((uint32_t)args[{}])";
    case ValType::F64: return "lucet_f64_from(args[{}])";
    case ValType::V128: return "lucet_tramp_v128_in(args + {})";
    default: return "args[{}]";
    }
}

// Stores result `expr` into results[slot].
void pack_result(std::string &out, ValType t, size_t slot, const std::string &expr) {
    auto o = std::back_inserter(out);
    switch (t) {
    case ValType::I32: fmt::format_to(o, "  results[{}] = (uint64_t)({});\n", slot, expr); break;
    case ValType::F32: fmt::format_to(o, "  results[{}] = (uint64_t)lucet_f32_bits({});\n", slot, expr); break;
    case ValType::F64: fmt::format_to(o, "  results[{}] = lucet_f64_bits({});\n", slot, expr); break;
    case ValType::V128: fmt::format_to(o, "  __builtin_memcpy(results + {}, &{}, 16);\n", slot, expr); break;
    default: fmt::format_to(o, "  results[{}] = {};\n", slot, expr); break;
    }
}

// Slots a value takes in a trampoline array (lucet_abi.h: two for a v128).
size_t slots_of(ValType t) { return t == ValType::V128 ? 2 : 1; }

bool has_v128(const FuncType &ft) {
    for (ValType t : ft.params)
        if (t == ValType::V128) return true;
    for (ValType t : ft.results)
        if (t == ValType::V128) return true;
    return false;
}

void emit_trampoline(std::string &out, const FuncType &ft, size_t k) {
    auto o = std::back_inserter(out);
    fmt::format_to(o, "LUCET_HIDDEN void lucet_tramp{}(void *fn, lucet_vmctx *ctx, const uint64_t *args, "
                      "uint64_t *results) {{\n  (void)args; (void)results;\n  ",
                   k);
    if (!ft.results.empty()) fmt::format_to(o, "{} r = ", result_c_type(ft.results));
    fmt::format_to(o, "((lucet_ft{})fn)(ctx", k);
    size_t slot = 0;
    for (ValType t : ft.params) {
        out += ", ";
        fmt::format_to(o, fmt::runtime(unpack_arg(t)), slot);
        slot += slots_of(t);
    }
    out += ");\n";
    slot = 0;
    for (size_t i = 0; i < ft.results.size(); i++) {
        pack_result(out, ft.results[i], slot, ft.results.size() == 1 ? std::string("r") : fmt::format("r.r{}", i));
        slot += slots_of(ft.results[i]);
    }
    out += "}\n";
}

}  // namespace

std::string emit_descriptor(const Module &m, const EmitOptions &opts, bool bounds_checked,
                            const std::vector<uint32_t> &func_flags) {
    std::string out;
    auto o = std::back_inserter(out);
    out += "LUCET_HIDDEN lucet_rt_fns lucet_rt;\n";
    fmt::format_to(o, "LUCET_HIDDEN uint64_t lucet_type_ids[{}];\n", std::max<size_t>(1, m.types.size()));

    // Signatures and trampolines.
    bool any_v128 = false;
    for (const FuncType &ft : m.types) any_v128 = any_v128 || has_v128(ft);
    if (any_v128)
        out += "static inline lucet_v128 lucet_tramp_v128_in(const uint64_t *p) {\n"
               "  lucet_v128 v; __builtin_memcpy(&v, p, 16); return v;\n}\n";
    for (size_t k = 0; k < m.types.size(); k++) {
        const FuncType &ft = m.types[k];
        emit_trampoline(out, ft, k);
        fmt::format_to(o, "static const uint8_t lucet_sigtypes{}[] = {{", k);
        for (ValType t : ft.params) fmt::format_to(o, "{},", static_cast<unsigned>(t));
        for (ValType t : ft.results) fmt::format_to(o, "{},", static_cast<unsigned>(t));
        out += "0};\n";
    }
    if (!m.types.empty()) {
        out += "static const lucet_sig_desc lucet_sigs[] = {\n";
        for (size_t k = 0; k < m.types.size(); k++)
            fmt::format_to(o, "{{{}, {}, lucet_sigtypes{}, lucet_tramp{}}},\n", m.types[k].params.size(),
                           m.types[k].results.size(), k, k);
        out += "};\n";
    }

    // Imports.
    if (!m.imports.empty()) {
        out += "static const lucet_import_desc lucet_imports[] = {\n";
        for (const Import &im : m.imports) {
            uint32_t type = 0, mut = 0;
            std::string lim = "{0, 0, 0, 0}";
            switch (im.kind) {
            case ExternKind::Func: type = im.func_type; break;
            case ExternKind::Table:
                type = static_cast<uint32_t>(im.table.elem);
                lim = limits(im.table.limits);
                break;
            case ExternKind::Memory: lim = limits(im.memory.limits); break;
            case ExternKind::Global:
                type = static_cast<uint32_t>(im.global.type);
                mut = im.global.mut;
                break;
            }
            fmt::format_to(o, "{{{}, {}u, {}u, {}, {}, {}, {}, 0, {}}},\n", c_str_lit(im.module), im.module.size(),
                           im.field.size(), c_str_lit(im.field), static_cast<unsigned>(im.kind), type, mut, lim);
        }
        out += "};\n";
    }

    // Defined functions.
    if (!m.code.empty()) {
        out += "static const lucet_func_desc lucet_funcs[] = {\n";
        for (uint32_t i = m.num_imported_funcs; i < m.func_types.size(); i++) {
            const std::string *name = i < m.func_names.size() && !m.func_names[i].empty() ? &m.func_names[i] : nullptr;
            uint32_t flags = i - m.num_imported_funcs < func_flags.size() ? func_flags[i - m.num_imported_funcs] : 0;
            fmt::format_to(o, "{{(void *){}, {}u, {}u, {}, {}u, 0}},\n", func_c_name(m, i), m.func_types[i],
                           name ? name->size() : 0, name ? c_str_lit(*name) : "0", flags);
        }
        out += "};\n";
    }

    // Defined tables, memories, globals.
    uint32_t ntables = static_cast<uint32_t>(m.tables.size() - m.num_imported_tables);
    if (ntables) {
        out += "static const lucet_table_desc lucet_tables[] = {\n";
        for (size_t i = m.num_imported_tables; i < m.tables.size(); i++)
            fmt::format_to(o, "{{{}, 0, {}}},\n", static_cast<unsigned>(m.tables[i].elem), limits(m.tables[i].limits));
        out += "};\n";
    }
    uint32_t nmems = static_cast<uint32_t>(m.memories.size() - m.num_imported_memories);
    if (nmems) {
        out += "static const lucet_limits_desc lucet_memories[] = {\n";
        for (size_t i = m.num_imported_memories; i < m.memories.size(); i++)
            fmt::format_to(o, "{},\n", limits(m.memories[i].limits));
        out += "};\n";
    }
    if (!m.globals.empty()) {
        out += "static const lucet_global_desc lucet_globals[] = {\n";
        for (const Global &g : m.globals)
            fmt::format_to(o, "{{{}, {}, {}}},\n", static_cast<unsigned>(g.type.type), g.type.mut ? 1 : 0,
                           init_expr(g.init));
        out += "};\n";
    }

    // Exports.
    if (!m.exports.empty()) {
        out += "static const lucet_export_desc lucet_exports[] = {\n";
        for (const Export &e : m.exports)
            fmt::format_to(o, "{{{}, {}u, {}, {}u, 0}},\n", c_str_lit(e.name), e.name.size(),
                           static_cast<unsigned>(e.kind), e.index);
        out += "};\n";
    }

    // Data segments (bytes live in the data units).
    if (!m.datas.empty()) {
        for (size_t i = 0; i < m.datas.size(); i++)
            if (m.datas[i].data_size) fmt::format_to(o, "extern LUCET_HIDDEN const uint8_t lucet_data{}[];\n", i);
        out += "static const lucet_data_desc lucet_datas[] = {\n";
        for (size_t i = 0; i < m.datas.size(); i++) {
            const DataSegment &d = m.datas[i];
            unsigned mode = d.mode == SegmentMode::Active ? 0 : 1;
            fmt::format_to(o, "{{{}, {}, {}, {}, {}ull}},\n", mode, d.memory,
                           d.mode == SegmentMode::Active ? init_expr(d.offset) : "{0, 0, 0}",
                           d.data_size ? fmt::format("lucet_data{}", i) : "0", d.data_size);
        }
        out += "};\n";
    }

    // Element segments.
    if (!m.elems.empty()) {
        for (size_t i = 0; i < m.elems.size(); i++) {
            const ElemSegment &e = m.elems[i];
            if (e.items.empty()) continue;
            fmt::format_to(o, "static const lucet_init_expr lucet_elem_items{}[] = {{\n", i);
            for (const ConstExpr &it : e.items) {
                out += init_expr(it);
                out += ",\n";
            }
            out += "};\n";
        }
        out += "static const lucet_elem_desc lucet_elems[] = {\n";
        for (size_t i = 0; i < m.elems.size(); i++) {
            const ElemSegment &e = m.elems[i];
            unsigned mode = e.mode == SegmentMode::Active ? 0 : e.mode == SegmentMode::Passive ? 1 : 2;
            fmt::format_to(o, "{{{}, {}, {}, {}, {}u, {}}},\n", mode, e.table,
                           e.mode == SegmentMode::Active ? init_expr(e.offset) : "{0, 0, 0}",
                           static_cast<unsigned>(e.type), e.items.size(),
                           e.items.empty() ? "0" : fmt::format("lucet_elem_items{}", i));
        }
        out += "};\n";
    }

    uint32_t nglob = static_cast<uint32_t>(m.globals.size());
    fmt::format_to(o,
                   "__attribute__((visibility(\"default\"))) const lucet_module_desc lucet_module = {{\n"
                   "  LUCET_ABI_VERSION, {}, {}ull, {}ull, {},\n"
                   "  &lucet_rt, lucet_type_ids,\n"
                   "  {}u, {}u, {}, {},\n"
                   "  {}u, {}u, {},\n"
                   "  {}u, {}u, {},\n"
                   "  {}u, {}u, {},\n"
                   "  {}u, {}u, {},\n"
                   "  {}u, {}u, {}, {},\n"
                   "  {}u, {}u, {}, {}u, 0,\n"
                   "  0ull{}\n"
                   "}};\n",
                   bounds_checked ? "LUCET_MODULE_BOUNDS_CHECKED" : "0u", opts.reserved_size, opts.guard_size,
                   c_str_lit(version_string()),
                   m.types.size(), m.imports.size(), m.types.empty() ? "0" : "lucet_sigs",
                   m.imports.empty() ? "0" : "lucet_imports",
                   m.num_imported_funcs, m.code.size(), m.code.empty() ? "0" : "lucet_funcs",
                   m.num_imported_tables, ntables, ntables ? "lucet_tables" : "0",
                   m.num_imported_memories, nmems, nmems ? "lucet_memories" : "0",
                   m.num_imported_globals, nglob, nglob ? "lucet_globals" : "0",
                   m.exports.size(), m.datas.size(), m.exports.empty() ? "0" : "lucet_exports",
                   m.datas.empty() ? "0" : "lucet_datas",
                   m.elems.size(), m.start ? 1 : 0, m.elems.empty() ? "0" : "lucet_elems", m.start.value_or(0),
                   cpu_features_expr());
    return out;
}

namespace {

// Appends bytes for a `.ascii "..."` directive inside a C string literal:
// the C compiler unescapes once, the assembler once more.
void append_asm_bytes(std::string &out, const uint8_t *p, size_t n) {
    static const char digits[] = "01234567";
    size_t i = 0;
    while (i < n) {
        // Long zero runs (bss-like data is common) become `.zero N`.
        size_t z = i;
        while (z < n && p[z] == 0) z++;
        if (z - i >= 32) {
            fmt::format_to(std::back_inserter(out), "\\t.zero {}\\n\"\n\"", z - i);
            i = z;
            continue;
        }
        size_t end = std::min(n, i + 2048);
        out += "\\t.ascii \\\"";
        for (; i < end; i++) {
            uint8_t c = p[i];
            if (c == 0 && i + 32 <= n) {
                size_t zz = i;
                while (zz < n && p[zz] == 0 && zz - i < 32) zz++;
                if (zz - i >= 32) break;  // leave the run to `.zero`
            }
            if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"' && c != '?') {
                out += static_cast<char>(c);
            } else {
                char esc[5] = {'\\', '\\', digits[(c >> 6) & 7], digits[(c >> 3) & 7], digits[c & 7]};
                out.append(esc, 5);
            }
        }
        out += "\\\"\\n\"\n\"";
    }
}

}  // namespace

std::vector<CUnit> emit_data_units(const Module &m, size_t first_unit_number) {
    // Data goes through a top-level asm statement: cc only lexes one string
    // per chunk and the assembler does the rest, which keeps tens of MiB of
    // data far below a second per MiB.
    constexpr size_t kBytesPerUnit = 8u << 20;
    constexpr uint64_t kDataPage = 4096;
    std::vector<CUnit> units;
    CUnit cur;
    size_t cur_bytes = 0;
    auto flush = [&]() {
        if (cur.source.empty()) return;
        cur.name = fmt::format("unit{}.c", first_unit_number + units.size());
        cur.max_opt_level = 0;
        units.push_back(std::move(cur));
        cur = CUnit{};
        cur_bytes = 0;
    };
    for (size_t i = 0; i < m.datas.size(); i++) {
        const DataSegment &d = m.datas[i];
        if (d.data_size == 0) continue;
        if (cur_bytes > 0 && cur_bytes + d.data_size > kBytesPerUnit) flush();
        auto o = std::back_inserter(cur.source);
        // A segment spanning a page or more at a constant offset sits in the
        // file at the same offset modulo the page size as in the heap, so the
        // runtime can map its whole pages copy-on-write straight from the .so
        // (runtime/heap_image.cpp) instead of copying them.
        bool page_congruent = d.data_size >= kDataPage && d.mode == SegmentMode::Active &&
                              d.offset.kind == ConstExpr::Kind::I32;
        // Those go to their own section, .lucet_image, whole pages at both
        // ends, which the loader may leave out of its memfd copy and map
        // from the file instead (runtime/module_file.cpp).
        std::string align = page_congruent ? fmt::format("\\t.balign {}\\n\\t.skip {}\\n", kDataPage,
                                                         (d.offset.value & 0xffffffffu) % kDataPage)
                                           : std::string("\\t.balign 16\\n");
        std::string section = page_congruent ? std::string(".lucet_image") : fmt::format(".rodata.lucet_data{}", i);
        fmt::format_to(o,
                       "__asm__(\"\\t.section {3},\\\"a\\\",@progbits\\n\"\n"
                       "\"{2}\\t.globl lucet_data{0}\\n\\t.hidden lucet_data{0}\\n"
                       "\\t.type lucet_data{0},@object\\n\\t.size lucet_data{0},{1}\\nlucet_data{0}:\\n\"\n\"",
                       i, d.data_size, align, section);
        append_asm_bytes(cur.source, m.bytes.data() + d.data_offset, d.data_size);
        cur.source += page_congruent ? "\\t.balign 4096\\n\\t.previous\\n\");\n" : "\\t.previous\\n\");\n";
        cur_bytes += d.data_size;
    }
    flush();
    return units;
}

}  // namespace lucet::cgen
