// introspect.cpp: a module's imports and exports with their types.
#include <unistd.h>

#include <cstring>
#include <string>

#include "capi/capi_internal.h"

using namespace lucet;
using namespace lucet::capi;

namespace {

void fill(const DlModule::ExternInfo &x, bool import, lucet_extern_type *out) {
    std::memset(out, 0, sizeof *out);
    out->kind = static_cast<lucet_externkind>(x.kind);
    out->index = x.index;
    if (import) {
        out->module = x.module.data();
        out->module_len = x.module.size();
    }
    out->name = x.name.data();
    out->name_len = x.name.size();
    switch (x.kind) {
    case ExternKind::Func:
        if (!x.func_type) break;
        out->nparams = static_cast<uint32_t>(x.func_type->params.size());
        out->nresults = static_cast<uint32_t>(x.func_type->results.size());
        // ValType is a uint8_t holding the wasm encoding, as lucet_val_type.
        out->params = reinterpret_cast<const uint8_t *>(x.func_type->params.data());
        out->results = reinterpret_cast<const uint8_t *>(x.func_type->results.data());
        break;
    case ExternKind::Global:
        out->global_type = static_cast<lucet_val_type>(x.global_type.type);
        out->global_mutable = x.global_type.mut ? 1 : 0;
        break;
    case ExternKind::Table: out->table_elem_type = static_cast<lucet_val_type>(x.elem_type); [[fallthrough]];
    case ExternKind::Memory:
        out->limits.min = x.limits.min;
        out->limits.has_max = x.limits.max.has_value();
        out->limits.max = x.limits.max.value_or(0);
        break;
    }
}

lucet_error count(const char *fn, const lucet_dl_module *module, size_t *count_out, bool imports) {
    auto m = modules().get(module);
    if (!m) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live module handle");
    if (!count_out) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL count_out");
    *count_out = imports ? m->num_imports() : m->num_exports();
    return ok();
}

lucet_error entry(const char *fn, const lucet_dl_module *module, size_t i, lucet_extern_type *out, bool imports) {
    auto m = modules().get(module);
    if (!m) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live module handle");
    if (!out) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL out");
    size_t n = imports ? m->num_imports() : m->num_exports();
    if (i >= n)
        return fail(lucet_error_invalid_argument, std::string(fn) + ": index " + std::to_string(i) + " is out of range (" +
                                                      std::to_string(n) + (imports ? " imports)" : " exports)"));
    fill(imports ? m->import_info(i) : m->export_info(i), imports, out);
    return ok();
}

}  // namespace

static_assert(int(lucet_externkind_global) == int(ExternKind::Global) && int(lucet_externkind_func) == 0);
static_assert(int(lucet_val_type_funcref) == int(ValType::FuncRef));

LUCET_API const char *lucet_externkind_name(enum lucet_externkind kind) try {
    switch (kind) {
    case lucet_externkind_func: return "func";
    case lucet_externkind_table: return "table";
    case lucet_externkind_memory: return "memory";
    case lucet_externkind_global: return "global";
    }
    return "unknown";
} LUCET_CAPI_CATCH_RETURN("")

LUCET_API enum lucet_error lucet_dl_module_export_count(const struct lucet_dl_module *module, size_t *count_out) try {
    return count(__func__, module, count_out, false);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_dl_module_import_count(const struct lucet_dl_module *module, size_t *count_out) try {
    return count(__func__, module, count_out, true);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_dl_module_export_type(const struct lucet_dl_module *module, size_t i,
                                                       struct lucet_extern_type *out) try {
    return entry(__func__, module, i, out, false);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_dl_module_import_type(const struct lucet_dl_module *module, size_t i,
                                                       struct lucet_extern_type *out) try {
    return entry(__func__, module, i, out, true);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_dl_module_find_export(const struct lucet_dl_module *module, const char *name,
                                                       struct lucet_extern_type *out) try {
    auto m = modules().get(module);
    if (!m) return fail(lucet_error_invalid_argument, "lucet_dl_module_find_export: not a live module handle");
    if (!name || !out) return fail(lucet_error_invalid_argument, "lucet_dl_module_find_export: NULL name or out");
    for (size_t i = 0; i < m->num_exports(); i++) {
        DlModule::ExternInfo x = m->export_info(i);
        if (x.name != name) continue;
        fill(x, false, out);
        return ok();
    }
    return fail(lucet_error_export_not_found,
                std::string("lucet_dl_module_find_export: no export named \"") + name + "\" in " + m->path());
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_dl_module_write_perf_map(const struct lucet_dl_module *module, const char *path) try {
    auto m = modules().get(module);
    if (!m) return fail(lucet_error_invalid_argument, "lucet_dl_module_write_perf_map: not a live module handle");
    std::string p = path ? std::string(path) : "/tmp/perf-" + std::to_string(getpid()) + ".map";
    if (p.empty()) return fail(lucet_error_invalid_argument, "lucet_dl_module_write_perf_map: empty path");
    auto st = m->append_perf_map(p);
    if (!st.ok()) return fail(lucet_error_internal, "lucet_dl_module_write_perf_map: " + st.error().to_string());
    return ok();
} LUCET_CAPI_CATCH
