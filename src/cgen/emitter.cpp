// emitter.cpp: emit_c, the module -> C units driver. Functions are spread
// over units by code size so cc can compile them in parallel; very large
// functions get units of their own with a lower optimisation cap, so that
// cc's superlinear passes never see them at -O2.
#include "cgen/emitter.h"

#include <fmt/format.h>

#include <algorithm>

#include "abi/lucet_abi.h"
#include "cgen/cgen_internal.h"
#include "cgen/const_tables.h"

namespace lucet {

namespace {
// cc spends ~2 ms per small function at -O2; cap functions per unit so that
// many-function modules still spread over all jobs.
constexpr size_t kMaxFunctionsPerUnit = 1500;
// Whether a call_indirect of this module may reach a host function (an
// import), so that generated code must poll the kill switch after it as after
// a direct import call (func_body.cpp). Only when a host function can get into
// a table: the table is imported, an imported function is in C.refs (element
// segments, global initialisers, exports: the only ways for ref.func, table
// contents or embedder tokens to name it), or funcrefs cross the import
// boundary (funcref globals or function types of imports). clang's WASI
// programs have none of these: their indirect calls stay poll-free (the poll
// cost the call_indirect-heavy interp kernel 5%: 0.62 -> 0.65 s).
bool host_funcs_may_be_in_tables(const Module &m) {
    if (m.num_imported_tables > 0) return true;
    auto is_imported_func = [&](const ConstExpr &c) {
        return c.kind == ConstExpr::Kind::RefFunc && c.value < m.num_imported_funcs;
    };
    for (const Import &im : m.imports) {
        if (im.kind == ExternKind::Global && im.global.type == ValType::FuncRef) return true;
        if (im.kind == ExternKind::Func && im.func_type < m.types.size()) {
            const FuncType &ft = m.types[im.func_type];
            for (ValType t : ft.params) if (t == ValType::FuncRef) return true;
            for (ValType t : ft.results) if (t == ValType::FuncRef) return true;
        }
    }
    for (const Global &g : m.globals) if (is_imported_func(g.init)) return true;
    for (const ElemSegment &e : m.elems)
        for (const ConstExpr &c : e.items) if (is_imported_func(c)) return true;
    for (const Export &e : m.exports)
        if (e.kind == ExternKind::Func && e.index < m.num_imported_funcs) return true;
    return false;
}

}  // namespace

namespace cgen {
Status check_deadline(const EmitOptions &opts, uint32_t func_index) {
    if (!opts.deadline || std::chrono::steady_clock::now() < *opts.deadline) return {};
    return make_error(fmt::format("generating C for function {} exceeded the {} s time limit", func_index,
                                  opts.time_limit_seconds));
}
}  // namespace cgen

Result<std::vector<CUnit>> emit_c(const Module &m, const EmitOptions &opts) {
    const cgen::ConstTables const_tables = cgen::find_const_tables(m);
    const std::string prelude = cgen::unit_prelude(m) + cgen::const_table_decls(const_tables);
    std::vector<CUnit> func_units;

    // Only units with a function using SIMD instructions include SIMDe (a
    // large header): MVP modules produce the same C as without SIMD support.
    // `declared` gets the unit's own functions; stats.callees what they call.
    auto add_unit = [&](CUnit &&u, bool simd, std::vector<uint32_t> &declared, cgen::FuncEmitStats &stats) {
        declared.insert(declared.end(), stats.callees.begin(), stats.callees.end());
        std::sort(declared.begin(), declared.end());
        declared.erase(std::unique(declared.begin(), declared.end()), declared.end());
        u.source.insert(0, cgen::function_prototypes(m, declared));
        if (simd) u.source.insert(0, cgen::simd_prelude());
        func_units.push_back(std::move(u));
    };
    // Which unit each defined function lands in, and its direct callees: cc
    // can inline a callee only into a caller of the same unit.
    std::vector<uint32_t> unit_of(m.code.size(), 0);
    std::vector<std::vector<uint32_t>> callees(m.code.size());
    std::vector<int> unit_level;  // by unit id, in order of creation
    uint32_t cur_id = 0;
    CUnit cur;
    cgen::FuncEmitStats cur_stats;
    std::vector<uint32_t> cur_defined;
    size_t cur_bytes = 0, cur_funcs = 0, cur_tiny = 0;
    bool cur_simd = false;
    const bool poll_after_indirect = host_funcs_may_be_in_tables(m);
    auto lowering_of = [&](uint32_t fidx) {
        const Function &f = m.code[fidx - m.num_imported_funcs];
        cgen::Lowering l = cgen::choose_lowering(cgen::function_cost(f), opts.force_split_chunk_bytes);
        l.poll_after_indirect = poll_after_indirect;
        l.const_tables = &const_tables;
        l.register_vars = opts.force_register_vars;
        return l;
    };
    auto flush = [&]() -> Status {
        if (cur_bytes == 0 && cur.source.empty()) return {};
        cur.max_opt_level = cgen::unit_opt_cap(cur_funcs, cur_tiny);
        cur.tiny_only = cur_tiny == cur_funcs && cur.max_opt_level == 0;  // capped for being all tiny
        if (cur.tiny_only) {
            // Emitted again with `register` variables (cheap: each is a few
            // instructions); the stats of the first emission stand.
            cur.source.clear();
            for (uint32_t fidx : cur_defined) {
                cgen::Lowering l = lowering_of(fidx);
                l.register_vars = true;
                cgen::FuncEmitStats scratch;
                LUCET_TRY(cgen::emit_function(m, fidx, opts, l, cur.source, scratch));
            }
        }
        if (!cur_defined.empty()) {
            cur.first_func = cur_defined.front();
            cur.last_func = cur_defined.back();
        }
        unit_level[cur_id] = cur.max_opt_level;
        add_unit(std::move(cur), cur_simd, cur_defined, cur_stats);
        cur = CUnit{};
        cur_tiny = 0;
        cur_stats = cgen::FuncEmitStats{};
        cur_defined.clear();
        cur_bytes = 0;
        cur_funcs = 0;
        cur_simd = false;
        return {};
    };
    for (uint32_t i = 0; i < m.code.size(); i++) {
        const Function &f = m.code[i];
        size_t size = f.body_end - f.body_offset;
        uint32_t fidx = m.num_imported_funcs + i;
        const cgen::Lowering lowering = lowering_of(fidx);
        if (lowering.own_unit) {
            CUnit big;
            big.max_opt_level = lowering.max_opt_level;
            cgen::FuncEmitStats stats;
            std::vector<uint32_t> defined{fidx};
            LUCET_TRY(cgen::emit_function(m, fidx, opts, lowering, big.source, stats));
            big.max_opt_level = cgen::own_unit_opt_cap(lowering, stats.func_accesses);
            big.first_func = big.last_func = fidx;
            unit_of[i] = static_cast<uint32_t>(unit_level.size());
            callees[i] = stats.callees;
            unit_level.push_back(big.max_opt_level);
            const int level = big.max_opt_level;
            std::vector<cgen::FuncEmitStats::SplitUnit> chunks = std::move(stats.split_units);
            add_unit(std::move(big), stats.func_uses_simd, defined, stats);
            for (auto &chunk : chunks) {  // a split function's other chunks (func_split.cpp)
                CUnit cu;
                cu.source = std::move(chunk.source);
                cu.max_opt_level = level;
                cu.first_func = cu.last_func = fidx;
                cgen::FuncEmitStats cs;
                cs.callees = std::move(chunk.callees);
                std::vector<uint32_t> none;
                unit_level.push_back(level);
                add_unit(std::move(cu), stats.func_uses_simd, none, cs);
            }
            continue;
        }
        if (cur_bytes > 0 && (cur_bytes + size > opts.max_code_bytes_per_unit || cur_funcs >= kMaxFunctionsPerUnit))
            LUCET_TRY(flush());
        if (cur_funcs == 0) {
            cur_id = static_cast<uint32_t>(unit_level.size());
            unit_level.push_back(cur.max_opt_level);
        }
        const size_t callees_before = cur_stats.callees.size();
        LUCET_TRY(cgen::emit_function(m, fidx, opts, lowering, cur.source, cur_stats));
        unit_of[i] = cur_id;
        callees[i].assign(cur_stats.callees.begin() + static_cast<std::ptrdiff_t>(callees_before), cur_stats.callees.end());
        cur_defined.push_back(fidx);
        cur_simd = cur_simd || cur_stats.func_uses_simd;
        cur_tiny += cgen::is_tiny(cgen::function_cost(f), cur_stats.func_has_loop);
        cur_bytes += size + 1;
        cur_funcs++;
    }
    LUCET_TRY(flush());
    std::vector<uint32_t> func_flags(m.code.size(), 0);
    for (uint32_t i = 0; i < m.code.size(); i++) {
        if (std::min(opts.opt_level, unit_level[unit_of[i]]) <= 0) continue;
        for (uint32_t callee : callees[i])
            if (unit_of[callee - m.num_imported_funcs] == unit_of[i]) func_flags[i] |= LUCET_FUNC_MAY_INLINE;
    }

    std::vector<CUnit> units;
    units.reserve(func_units.size() + 2);
    CUnit u0;
    u0.name = "unit0.c";
    // The module is "bounds checked" only when every access is: one checked
    // access (a large offset) among unchecked ones says nothing about the others.
    // The descriptor points to every function.
    std::vector<uint32_t> all(m.code.size());
    for (uint32_t i = 0; i < all.size(); i++) all[i] = m.num_imported_funcs + i;
    u0.source = prelude + cgen::function_prototypes(m, all) + cgen::const_table_defs(m, const_tables) +
                cgen::emit_descriptor(m, opts, LUCET_LAYOUT_CHECKS_EVERY_ACCESS(opts.reserved_size, opts.guard_size),
                                                  func_flags);
    units.push_back(std::move(u0));
    for (CUnit &u : func_units) {
        u.name = fmt::format("unit{}.c", units.size());
        u.source.insert(0, prelude);
        units.push_back(std::move(u));
    }
    for (CUnit &u : cgen::emit_data_units(m, units.size())) {
        u.source.insert(0, prelude);
        units.push_back(std::move(u));
    }
    return units;
}

}  // namespace lucet
