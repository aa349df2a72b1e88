// const_tables.cpp: see const_tables.h.
#include "cgen/const_tables.h"

#include <fmt/format.h>
#include <map>
#include <utility>

#include "cgen/cgen_internal.h"

namespace lucet::cgen {

ConstTables find_const_tables(const Module &m) {
    ConstTables ct;
    std::vector<std::vector<uint32_t>> &out = ct.slots;
    out.resize(m.tables.size());
    std::vector<bool> candidate(m.tables.size(), false);
    for (uint32_t t = m.num_imported_tables; t < m.tables.size(); t++) {
        const TableType &tt = m.tables[t];
        candidate[t] = tt.elem == ValType::FuncRef && !m.table_written(t) && tt.limits.min > 0;
    }
    for (const Export &e : m.exports)
        if (e.kind == ExternKind::Table && e.index < candidate.size()) candidate[e.index] = false;
    // The slots of all constant tables together stay within one budget (a
    // module may declare many large tables).
    uint64_t total = 0;
    for (uint32_t t = 0; t < m.tables.size(); t++) {
        if (!candidate[t] || total + m.tables[t].limits.min > kMaxConstTableSlots) continue;
        total += m.tables[t].limits.min;
        out[t].assign(m.tables[t].limits.min, kNullSlot);
    }
    // Active segments write their slots in order at instantiation.
    for (const ElemSegment &s : m.elems) {
        if (s.mode != SegmentMode::Active || s.table >= out.size() || out[s.table].empty()) continue;
        std::vector<uint32_t> &slots = out[s.table];
        const uint64_t off = s.offset.value;
        bool ok = s.offset.kind == ConstExpr::Kind::I32 && off + s.items.size() <= slots.size();
        for (size_t i = 0; ok && i < s.items.size(); i++) {
            const ConstExpr &c = s.items[i];
            if (c.kind == ConstExpr::Kind::RefNull) slots[off + i] = kNullSlot;
            else if (c.kind == ConstExpr::Kind::RefFunc && c.value >= m.num_imported_funcs &&
                     c.value < m.func_types.size())
                slots[off + i] = static_cast<uint32_t>(c.value);
            else ok = false;
        }
        if (!ok) slots.clear();
    }
    bool any = false;
    for (const std::vector<uint32_t> &slots : out) any |= !slots.empty();
    if (!any) return ct;
    // Type codes: the first index of each distinct type, keyed by its
    // parameter and result lists as such (a flat string of both lists with a
    // separator byte made (param f64) and (result f64) one type: the
    // separator was a value type's byte).
    std::map<std::pair<std::vector<ValType>, std::vector<ValType>>, uint64_t> first;
    ct.type_code.resize(m.types.size());
    for (uint32_t k = 0; k < m.types.size(); k++)
        ct.type_code[k] = first.emplace(std::make_pair(m.types[k].params, m.types[k].results), uint64_t(k) + 1)
                              .first->second;
    return ct;
}

std::string const_table_name(uint32_t t) { return fmt::format("lucet_ctab{}", t); }

std::string const_table_decls(const ConstTables &ct) {
    const std::vector<std::vector<uint32_t>> &tables = ct.slots;
    std::string out;
    for (uint32_t t = 0; t < tables.size(); t++)
        if (!tables[t].empty())
            fmt::format_to(std::back_inserter(out), "extern LUCET_HIDDEN const lucet_const_elem {}[{}];\n",
                           const_table_name(t), tables[t].size());
    return out;
}

std::string const_table_defs(const Module &m, const ConstTables &ct) {
    const std::vector<std::vector<uint32_t>> &tables = ct.slots;
    std::string out;
    auto o = std::back_inserter(out);
    for (uint32_t t = 0; t < tables.size(); t++) {
        if (tables[t].empty()) continue;
        fmt::format_to(o, "LUCET_HIDDEN const lucet_const_elem {}[{}] = {{\n", const_table_name(t), tables[t].size());
        for (uint32_t f : tables[t]) {
            if (f == kNullSlot) out += "{0, 0},\n";
            else fmt::format_to(o, "{{{}u, (void *){}}},\n", ct.type_code[m.func_types[f]], func_c_name(m, f));
        }
        out += "};\n";
    }
    return out;
}

}  // namespace lucet::cgen
