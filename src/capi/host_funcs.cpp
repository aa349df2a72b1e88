// host_funcs.cpp: embedder host functions (as an import resolver) and what a
// host function can do with its struct lucet_vmctx.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "capi/host_funcs.h"

using namespace lucet;
using namespace lucet::capi;

namespace lucet::capi {

lucet_error copy_host_funcs(const lucet_host_func *funcs, size_t nfuncs, std::vector<HostFunc> &out) {
    if (nfuncs > 0 && !funcs) return fail(lucet_error_invalid_argument, "host functions: NULL funcs with nfuncs > 0");
    out.clear();
    out.reserve(nfuncs);
    for (size_t i = 0; i < nfuncs; i++) {
        const lucet_host_func &f = funcs[i];
        std::string where = "host function " + std::to_string(i);
        if (!f.module_name || !f.field_name || !f.func)
            return fail(lucet_error_invalid_argument, where + ": NULL module_name, field_name or func");
        where += " (" + std::string(f.module_name) + "." + f.field_name + ")";
        if ((f.nparams && !f.params) || (f.nresults && !f.results))
            return fail(lucet_error_invalid_argument, where + ": NULL params or results with a non-zero count");
        // Two or more results: the function returns a struct of them by
        // value, which is what generated code expects of any import.
        // A host thunk declared with another signature would read its
        // arguments from the wrong registers: refused.
        HostFunc h;
        std::string bad = check_host_thunk(reinterpret_cast<const void *>(f.func), f.params, f.nparams, f.results,
                                           f.nresults, h.owner);
        if (!bad.empty()) return fail(lucet_error_invalid_argument, where + ": " + bad);
        h.module = f.module_name;
        h.field = f.field_name;
        h.code = reinterpret_cast<void *>(f.func);
        for (uint32_t k = 0; k < f.nparams + f.nresults; k++) {
            lucet_val_type t = k < f.nparams ? f.params[k] : f.results[k - f.nparams];
            ValType vt;
            if (!to_valtype(t, vt))
                return fail(lucet_error_invalid_argument, where + ": unknown value type " + std::to_string(int(t)));
            (k < f.nparams ? h.type.params : h.type.results).push_back(vt);
        }
        out.push_back(std::move(h));
    }
    return lucet_error_ok;
}

ImportResolver host_func_resolver(std::vector<HostFunc> funcs) {
    return [funcs = std::move(funcs)](std::string_view module, std::string_view field,
                                      ExternKind kind) -> Result<Extern> {
        for (const HostFunc &f : funcs) {
            if (f.module != module || f.field != field) continue;
            if (kind != ExternKind::Func)
                return make_error("the embedder provides " + f.module + "." + f.field + " as a function");
            Extern e;
            e.kind = ExternKind::Func;
            e.func_type = f.type;
            e.code = f.code;
            e.func_vmctx = nullptr;  // a host function gets the caller's vmctx
            e.owner = f.owner;
            return e;
        }
        return make_error("no host function " + std::string(module) + "." + std::string(field) +
                          " was registered");
    };
}

}  // namespace lucet::capi

// The vmctx calls run inside host functions, on the guest's stack, on the
// hot path: no handle lookup, just the runtime's back pointer.

LUCET_API uint8_t *lucet_vmctx_get_heap(struct lucet_vmctx *ctx) try {
    Instance *i = Instance::from_vmctx(ctx);
    return i ? i->heap() : nullptr;
} LUCET_CAPI_CATCH_RETURN(nullptr)

LUCET_API uint32_t lucet_vmctx_current_memory(struct lucet_vmctx *ctx) try {
    Instance *i = Instance::from_vmctx(ctx);
    return i ? static_cast<uint32_t>(i->heap_len() / LUCET_WASM_PAGE_SIZE) : 0;
} LUCET_CAPI_CATCH_RETURN(0)

LUCET_API bool lucet_vmctx_check_heap(struct lucet_vmctx *ctx, const void *ptr, uintptr_t len) try {
    Instance *i = Instance::from_vmctx(ctx);
    return i && check_host_range(*i, ptr, len);
} LUCET_CAPI_CATCH_RETURN(false)

LUCET_API void *lucet_vmctx_get_delegate(struct lucet_vmctx *ctx) try {
    Instance *i = Instance::from_vmctx(ctx);
    return i ? i->embed_ctx() : nullptr;
} LUCET_CAPI_CATCH_RETURN(nullptr)

LUCET_API void lucet_vmctx_terminate(struct lucet_vmctx *ctx, uint32_t exit_code) try {
    Instance *i = Instance::from_vmctx(ctx);
    if (!i) {
        std::fprintf(stderr, "lucet_vmctx_terminate: not an instance's vmctx; aborting\n");
        std::abort();
    }
    i->terminate(exit_code);  // aborts itself when the instance is not running
} LUCET_CAPI_CATCH_ABORT

LUCET_API struct lucet_val lucet_vmctx_yield(struct lucet_vmctx *ctx, struct lucet_val value) try {
    Instance *i = Instance::from_vmctx(ctx);
    Val v;
    if (!i || !to_val(value, v)) {
        std::fprintf(stderr, "lucet_vmctx_yield: %s; aborting\n",
                     i ? "value of unknown type" : "not an instance's vmctx");
        std::abort();
    }
    // Aborts itself when not called from a host function of this instance.
    return from_val(i->yield(v));
} LUCET_CAPI_CATCH_ABORT
