// exports.cpp: an instance's exported globals, memories and tables.
#include <cstring>
#include <string>

#include "capi/capi_internal.h"

using namespace lucet;
using namespace lucet::capi;

namespace {

// The instance of `inst`, after checking that `name` is an export of `kind`;
// on failure nullptr with the error in *err.
HandleTable<InstanceBox, Kind::Instance>::Pin lookup(const char *fn, lucet_instance *inst, const char *name, ExternKind kind,
                                    lucet_error *err) {
    auto box = instances().get(inst);
    if (!box) return *err = fail(lucet_error_invalid_argument, std::string(fn) + ": not a live instance handle"), nullptr;
    if (!name) return *err = fail(lucet_error_invalid_argument, std::string(fn) + ": NULL name"), nullptr;
    const DlModule &m = *box->inst->module();
    for (size_t i = 0; i < m.num_exports(); i++) {
        DlModule::ExternInfo x = m.export_info(i);
        if (x.name != name) continue;
        if (x.kind == kind) return box;
        *err = fail(lucet_error_invalid_argument, std::string(fn) + ": export \"" + name + "\" is a " +
                                                      extern_kind_name(x.kind) + ", not a " + extern_kind_name(kind));
        return nullptr;
    }
    *err = fail(lucet_error_export_not_found, std::string(fn) + ": no " + extern_kind_name(kind) + " export named \"" +
                                                  name + "\" in " + m.path());
    return nullptr;
}

// lucet_val <-> Val, funcref included (its token is the bits as they are:
// the runtime checks it belongs to the instance before storing it).
bool to_any_val(const lucet_val &v, Val &out) {
    if (v.ty == lucet_val_type_funcref) {
        out = Val{ValType::FuncRef, v.inner_val.as_funcref};
        return true;
    }
    return to_val(v, out);
}

lucet_val from_any_val(const Val &v) {
    if (v.type != ValType::FuncRef) return from_val(v);
    lucet_val out;
    std::memset(&out, 0, sizeof out);
    out.ty = lucet_val_type_funcref;
    out.inner_val.as_funcref = v.bits;
    return out;
}

lucet_error bad_value(const char *fn, const lucet_val *v) {
    if (!v) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL value");
    return fail(lucet_error_invalid_argument, std::string(fn) + ": value of unknown type " + std::to_string(int(v->ty)));
}

lucet_error from_status(const char *fn, const Status &st, lucet_error code = lucet_error_invalid_argument) {
    if (!st) return fail(code, std::string(fn) + ": " + st.error().to_string());
    return ok();
}

}  // namespace

// The instance's state is read or changed under BoxAccess (capi_internal.h).
#define LOOKUP(kind)                                                              \
    lucet_error err_ = lucet_error_ok;                                            \
    auto box = lookup(__func__, inst, name, ExternKind::kind, &err_);             \
    if (!box) return err_;                                                        \
    BoxAccess access_(*box);                                                      \
    if (!access_) return access_error(__func__);                                  \
    Instance &in = *box->inst

LUCET_API enum lucet_error lucet_instance_global_get(struct lucet_instance *inst, const char *name,
                                                     struct lucet_val *out) try {
    LOOKUP(Global);
    if (!out) return fail(lucet_error_invalid_argument, "lucet_instance_global_get: NULL out");
    auto v = in.get_global(name);
    if (!v) return fail(lucet_error_invalid_argument, "lucet_instance_global_get: " + v.error().to_string());
    *out = from_any_val(v.value());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_global_set(struct lucet_instance *inst, const char *name,
                                                     const struct lucet_val *val) try {
    LOOKUP(Global);
    Val v;
    if (!val || !to_any_val(*val, v)) return bad_value(__func__, val);
    return from_status(__func__, in.set_global(name, v));
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_memory(struct lucet_instance *inst, const char *name, uint8_t **base_out,
                                                 uint64_t *len_out) try {
    LOOKUP(Memory);
    auto ex = in.get_export(name, ExternKind::Memory);
    if (!ex) return fail(lucet_error_invalid_argument, "lucet_instance_memory: " + ex.error().to_string());
    if (base_out) *base_out = ex->memory->base;
    if (len_out) *len_out = ex->memory->size;
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_memory_grow(struct lucet_instance *inst, const char *name,
                                                      uint32_t delta_pages, uint32_t *previous_pages_out) try {
    LOOKUP(Memory);
    // A module has at most one memory (defined or imported): the export is
    // memory 0, the one grow_memory grows.
    uint32_t old = in.grow_memory(delta_pages);
    if (old == UINT32_MAX)
        return fail(lucet_error_limits_exceeded, std::string("lucet_instance_memory_grow: cannot grow memory \"") +
                                                     name + "\" by " + std::to_string(delta_pages) +
                                                     " pages (module maximum, heap_memory_size or reservation)");
    if (previous_pages_out) *previous_pages_out = old;
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_func_ref(struct lucet_instance *inst, const char *name,
                                                   struct lucet_val *out) try {
    LOOKUP(Func);
    if (!out) return fail(lucet_error_invalid_argument, "lucet_instance_func_ref: NULL out");
    auto v = in.func_ref(name);
    if (!v) return fail(lucet_error_export_not_found, "lucet_instance_func_ref: " + v.error().to_string());
    *out = from_any_val(v.value());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_table_size(struct lucet_instance *inst, const char *name,
                                                     uint32_t *size_out) try {
    LOOKUP(Table);
    if (!size_out) return fail(lucet_error_invalid_argument, "lucet_instance_table_size: NULL size_out");
    auto n = in.table_size(name);
    if (!n) return fail(lucet_error_invalid_argument, "lucet_instance_table_size: " + n.error().to_string());
    *size_out = n.value();
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_table_get(struct lucet_instance *inst, const char *name, uint32_t idx,
                                                    struct lucet_val *out) try {
    LOOKUP(Table);
    if (!out) return fail(lucet_error_invalid_argument, "lucet_instance_table_get: NULL out");
    auto v = in.table_get(name, idx);
    if (!v) return fail(lucet_error_invalid_argument, "lucet_instance_table_get: " + v.error().to_string());
    *out = from_any_val(v.value());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_table_set(struct lucet_instance *inst, const char *name, uint32_t idx,
                                                    const struct lucet_val *val) try {
    LOOKUP(Table);
    Val v;
    if (!val || !to_any_val(*val, v)) return bad_value(__func__, val);
    return from_status(__func__, in.table_set(name, idx, v));
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_table_grow(struct lucet_instance *inst, const char *name, uint32_t delta,
                                                     const struct lucet_val *init, uint32_t *previous_size_out) try {
    LOOKUP(Table);
    Val v;
    if (!init || !to_any_val(*init, v)) return bad_value(__func__, init);
    // Type errors are invalid_argument; only running out of room is limits_exceeded.
    auto n = in.table_grow(name, delta, v);
    if (!n) {
        bool room = n.error().kind == ErrorKind::Limits;
        return fail(room ? lucet_error_limits_exceeded : lucet_error_invalid_argument,
                    "lucet_instance_table_grow: " + n.error().to_string());
    }
    if (previous_size_out) *previous_size_out = n.value();
    return ok();
} LUCET_CAPI_CATCH
