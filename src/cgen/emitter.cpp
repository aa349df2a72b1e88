// emitter.cpp: emit_c, the module -> C units driver. Functions are spread
// over units by code size so cc can compile them in parallel; very large
// functions get units of their own with a lower optimisation cap, so that
// cc's superlinear passes never see them at -O2.
#include "cgen/emitter.h"

#include <fmt/format.h>

#include <algorithm>

#include "abi/lucet_abi.h"
#include "cgen/cgen_internal.h"

namespace lucet {

namespace {
// Above these many bytes of wasm code a function is compiled at -O1 / -O0:
// gcc -O2's PRE and dead-store elimination are quadratic in the memory
// accesses of one function (measured: a 40 KB function with 13,000 global
// accesses takes 28 s at -O2, 4.5 s at -O1). Real code rarely has functions
// this large; the few it has stay compilable.
constexpr size_t kBigFunctionBytes = 24 * 1024;
constexpr size_t kHugeFunctionBytes = 96 * 1024;
// cc spends ~2 ms per small function at -O2; cap functions per unit so that
// many-function modules still spread over all jobs.
constexpr size_t kMaxFunctionsPerUnit = 1500;
}  // namespace

Result<std::vector<CUnit>> emit_c(const Module &m, const EmitOptions &opts) {
    const std::string prelude = cgen::unit_prelude(m);
    std::vector<CUnit> func_units;
    cgen::FuncEmitStats stats;

    // Only units with a function using SIMD instructions include SIMDe (a
    // large header): MVP modules produce the same C as without SIMD support.
    auto add_unit = [&](CUnit &&u, bool simd) {
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
    size_t cur_bytes = 0, cur_funcs = 0;
    bool cur_simd = false;
    auto flush = [&]() {
        if (cur_bytes == 0 && cur.source.empty()) return;
        add_unit(std::move(cur), cur_simd);
        cur = CUnit{};
        cur_bytes = 0;
        cur_funcs = 0;
        cur_simd = false;
    };
    for (uint32_t i = 0; i < m.code.size(); i++) {
        const Function &f = m.code[i];
        size_t size = f.body_end - f.body_offset;
        uint32_t fidx = m.num_imported_funcs + i;
        if (size >= kBigFunctionBytes) {
            CUnit big;
            big.max_opt_level = size >= kHugeFunctionBytes ? 0 : 1;
            LUCET_TRY(cgen::emit_function(m, fidx, opts, big.source, stats));
            unit_of[i] = static_cast<uint32_t>(unit_level.size());
            callees[i] = std::move(stats.direct_callees);
            unit_level.push_back(big.max_opt_level);
            add_unit(std::move(big), stats.func_uses_simd);
            continue;
        }
        if (cur_bytes > 0 && (cur_bytes + size > opts.max_code_bytes_per_unit || cur_funcs >= kMaxFunctionsPerUnit))
            flush();
        LUCET_TRY(cgen::emit_function(m, fidx, opts, cur.source, stats));
        if (cur_funcs == 0) {
            cur_id = static_cast<uint32_t>(unit_level.size());
            unit_level.push_back(cur.max_opt_level);
        }
        unit_of[i] = cur_id;
        callees[i] = std::move(stats.direct_callees);
        cur_simd = cur_simd || stats.func_uses_simd;
        cur_bytes += size + 1;
        cur_funcs++;
    }
    flush();
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
    u0.source = prelude + cgen::emit_descriptor(m, opts, LUCET_LAYOUT_CHECKS_EVERY_ACCESS(opts.reserved_size, opts.guard_size),
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
