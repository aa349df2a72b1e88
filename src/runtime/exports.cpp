// exports.cpp: host access to an instance's exported globals and tables
// (memory and functions are in instance.cpp and run.cpp).
#include <cstring>
#include <string>

#include "runtime/internal.h"

namespace lucet {

using namespace rt;

namespace {

std::string quoted(std::string_view name) { return "\"" + std::string(name) + "\""; }

Status check_type(std::string_view what, ValType want, const Val &v) {
    if (v.type != want)
        return make_error(std::string(what) + " holds " + valtype_name(want) + ", not " + valtype_name(v.type));
    return {};
}

}  // namespace

Status Instance::set_global(std::string_view export_name, const Val &v) {
    auto ex = get_export(export_name, ExternKind::Global);
    if (!ex) return ex.error();
    std::string what = "global " + quoted(export_name);
    if (!ex->global_type.mut) return make_error(what + " is immutable");
    if (Status st = check_type(what, ex->global_type.type, v); !st) return st;
    if (v.type == ValType::FuncRef && v.bits && !owns_funcref(v.bits))
        return make_error(what + ": the funcref is not one of this instance's functions");
    ex->global[0] = v.bits;
    if (v.type == ValType::V128) ex->global[1] = v.hi;
    return {};
}

bool Instance::owns_funcref(uint64_t bits) const {
    const auto &f = impl_->funcs;
    uintptr_t p = static_cast<uintptr_t>(bits), lo = reinterpret_cast<uintptr_t>(f.data());
    return p >= lo && p < lo + f.size() * sizeof(lucet_funcref) && (p - lo) % sizeof(lucet_funcref) == 0;
}

Result<Val> Instance::func_ref(std::string_view export_name) {
    const lucet_module_desc &d = *impl_->desc;
    for (uint32_t i = 0; i < d.num_exports; i++) {
        const lucet_export_desc &e = d.exports[i];
        if (std::string_view(e.name, e.name_len) != export_name || e.kind != LUCET_EXTERN_FUNC) continue;
        return Val{ValType::FuncRef, reinterpret_cast<uintptr_t>(&impl_->funcs[e.index])};
    }
    return make_error("no exported function " + quoted(export_name) + " in " + module_->path());
}

Result<uint32_t> Instance::table_size(std::string_view export_name) {
    auto ex = get_export(export_name, ExternKind::Table);
    if (!ex) return ex.error();
    return ex->table->size;
}

Result<Val> Instance::table_get(std::string_view export_name, uint32_t idx) {
    auto ex = get_export(export_name, ExternKind::Table);
    if (!ex) return ex.error();
    const lucet_table *t = ex->table;
    if (idx >= t->size)
        return make_error("table " + quoted(export_name) + ": index " + std::to_string(idx) + " is out of bounds (size " +
                          std::to_string(t->size) + ")");
    return Val{static_cast<ValType>(t->elem_type), reinterpret_cast<uintptr_t>(t->elems[idx].ref)};
}

Status Instance::check_table_value(std::string_view export_name, const lucet_table *t, const Val &v) const {
    std::string what = "table " + quoted(export_name);
    if (Status st = check_type(what, static_cast<ValType>(t->elem_type), v); !st) return st;
    if (v.type == ValType::FuncRef && v.bits && !owns_funcref(v.bits))
        return make_error(what + ": the funcref is not one of this instance's functions");
    return {};
}

Status Instance::table_set(std::string_view export_name, uint32_t idx, const Val &v) {
    auto ex = get_export(export_name, ExternKind::Table);
    if (!ex) return ex.error();
    lucet_table *t = ex->table;
    if (Status st = check_table_value(export_name, t, v); !st) return st;
    if (idx >= t->size)
        return make_error("table " + quoted(export_name) + ": index " + std::to_string(idx) + " is out of bounds (size " +
                          std::to_string(t->size) + ")");
    t->elems[idx] = make_elem(t->elem_type, v.bits);
    return {};
}

Result<uint32_t> Instance::table_grow(std::string_view export_name, uint32_t delta, const Val &init) {
    auto ex = get_export(export_name, ExternKind::Table);
    if (!ex) return ex.error();
    lucet_table *t = ex->table;
    if (Status st = check_table_value(export_name, t, init); !st) return st.error();
    uint64_t limit = std::min<uint64_t>(t->max, t->capacity);
    uint64_t old = t->size;
    if (old + delta > limit)
        return make_error("table " + quoted(export_name) + ": cannot grow from " + std::to_string(old) + " by " +
                          std::to_string(delta) + " (limit " + std::to_string(limit) + ")",
                          ErrorKind::Limits);
    lucet_table_elem e = make_elem(t->elem_type, init.bits);
    for (uint64_t i = old; i < old + delta; i++) t->elems[i] = e;
    t->size = static_cast<uint32_t>(old + delta);
    return static_cast<uint32_t>(old);
}

}  // namespace lucet
