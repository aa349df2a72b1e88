// instances.cpp: creating, running and releasing instances; host heap access.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "capi/host_funcs.h"

using namespace lucet;
using namespace lucet::capi;

namespace {

lucet_error new_instance(const char *fn, const lucet_region *region, const lucet_dl_module *module,
                         const lucet_host_func *funcs, size_t nfuncs, void *embed_ctx, lucet_wasi_ctx *wasi_ctx,
                         uint32_t flags, lucet_instance **inst_out) {
    if (!inst_out) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL inst_out");
    *inst_out = nullptr;
    if (flags & ~LUCET_INSTANCE_DEFER_START)
        return fail(lucet_error_invalid_argument, std::string(fn) + ": unknown flags " + std::to_string(flags));
    // The instance holds references of its own: the handles may be released
    // while it lives.
    std::shared_ptr<Region> r = regions().get(region).shared();
    if (!r) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live region handle");
    std::shared_ptr<DlModule> m = modules().get(module).shared();
    if (!m) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live module handle");
    std::vector<HostFunc> hf;
    if (lucet_error e = copy_host_funcs(funcs, nfuncs, hf); e != lucet_error_ok) return e;
    auto box = std::make_shared<InstanceBox>();
    ImportResolver resolve = host_func_resolver(std::move(hf));
    if (wasi_ctx) {
        // Consumed from here on, whatever happens.
        std::shared_ptr<WasiCtxBox> wb;
        if (!wasi_ctxs().remove(wasi_ctx, &wb))
            return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live WASI context handle");
        {
            // Waits for a configuring call in flight; later ones find it gone.
            std::lock_guard lock(wb->mu);
            box->wasi = std::move(wb->ctx);
        }
        resolve = wasi_resolver(std::move(resolve));
    }
    // The start function runs here rather than inside create, so that its
    // outcome (trap, exit, yield) maps to the same codes as a run.
    InstanceOptions opts;
    opts.run_start = false;
    opts.embed_ctx = embed_ctx;
    opts.wasi_ctx = box->wasi.get();
    auto inst = Instance::create(r, m, resolve, opts);
    if (!inst) return fail(code_for(inst.error()), inst.error().to_string());
    box->inst = std::move(inst.value());
    if (!(flags & LUCET_INSTANCE_DEFER_START)) {
        RunResult rr = box->inst->run_start();
        if (rr.kind != RunResult::Kind::Returned) {
            // Not handed out: released here (a yielded guest's stack is
            // abandoned with its slot).
            lucet_error e = report_run(rr, std::string(fn) + ": in the start function", nullptr);
            if (e == lucet_error_ok) e = fail(lucet_error_start_yielded, std::string(fn) + ": the start function yielded");
            return e;
        }
    }
    uint64_t h = instances().insert(std::move(box));
    if (!h) return fail(lucet_error_internal, std::string(fn) + ": too many instance handles");
    *inst_out = to_handle<lucet_instance>(h);
    return ok();
}

}  // namespace

namespace lucet::capi {

void set_errored(lucet_result *out) {
    if (!out) return;
    std::memset(out, 0, sizeof *out);
    out->tag = lucet_result_tag_errored;
}

// lucet_val <-> the runtime's slot representation (lucet_abi.h; a v128 in bits + hi).
bool to_val(const lucet_val &v, Val &out) {
    ValType t;
    if (!to_valtype(v.ty, t)) return false;
    out.type = t;
    out.hi = 0;
    switch (v.ty) {
    case lucet_val_type_i32: out.bits = v.inner_val.as_i32; break;
    case lucet_val_type_f32: {
        uint32_t b;
        std::memcpy(&b, &v.inner_val.as_f32, 4);
        out.bits = b;
        break;
    }
    case lucet_val_type_v128:
        std::memcpy(&out.bits, v.inner_val.as_v128, 8);
        std::memcpy(&out.hi, v.inner_val.as_v128 + 8, 8);
        break;
    default: out.bits = v.inner_val.as_i64; break;  // i64, f64 and externref share the 8 bytes
    }
    return true;
}

lucet_val from_val(const Val &v) {
    lucet_val out;
    std::memset(&out, 0, sizeof out);
    from_valtype(v.type, out.ty);
    switch (out.ty) {
    case lucet_val_type_i32: out.inner_val.as_i32 = static_cast<uint32_t>(v.bits); break;
    case lucet_val_type_f32: {
        uint32_t b = static_cast<uint32_t>(v.bits);
        std::memcpy(&out.inner_val.as_f32, &b, 4);
        break;
    }
    case lucet_val_type_v128:
        std::memcpy(out.inner_val.as_v128, &v.bits, 8);
        std::memcpy(out.inner_val.as_v128 + 8, &v.hi, 8);
        break;
    default: out.inner_val.as_i64 = v.bits; break;
    }
    return out;
}

lucet_error report_run(RunResult &rr, std::string_view what, lucet_result *result_out) {
    set_errored(result_out);
    switch (rr.kind) {
    case RunResult::Kind::Returned:
        if (result_out) {
            result_out->tag = lucet_result_tag_returned;
            // lucet_instance_call may return more: the first LUCET_MAX_RESULTS here.
            result_out->val.returned.nvalues = static_cast<uint32_t>(std::min<size_t>(rr.values.size(), LUCET_MAX_RESULTS));
            for (size_t i = 0; i < rr.values.size() && i < LUCET_MAX_RESULTS; i++)
                result_out->val.returned.values[i] = from_val(rr.values[i]);
        }
        return ok();
    case RunResult::Kind::Trapped:
        if (result_out) {
            result_out->tag = lucet_result_tag_faulted;
            result_out->val.faulted.code = static_cast<lucet_trap_code>(rr.trap.code);
            result_out->val.faulted.fault_addr = rr.trap.fault_addr;
            result_out->val.faulted.pc = rr.trap.pc;
        }
        return fail(lucet_error_runtime_fault, std::string(what) + ": " + rr.trap.to_string());
    case RunResult::Kind::Exited:
        if (result_out) {
            result_out->tag = lucet_result_tag_terminated;
            result_out->val.terminated.exit_code = rr.exit_code;
            result_out->val.terminated.killed = rr.killed ? 1 : 0;
        }
        if (rr.killed) return fail(lucet_error_runtime_terminated, std::string(what) + ": stopped by a kill switch");
        return fail(lucet_error_runtime_terminated, std::string(what) + ": terminated with exit code " + std::to_string(rr.exit_code));
    case RunResult::Kind::Yielded:
        if (result_out) {
            result_out->tag = lucet_result_tag_yielded;
            result_out->val.yielded.value = from_val(rr.yielded);
        }
        return ok();
    case RunResult::Kind::Error: break;
    }
    // Argument count/types, a nested run of a running instance, ...
    lucet_error e = code_for(rr.error);
    return fail(e == lucet_error_module ? lucet_error_invalid_argument : e, std::string(what) + ": " + rr.error.to_string());
}

}  // namespace lucet::capi

LUCET_API enum lucet_error lucet_region_new_instance(const struct lucet_region *region,
                                                     const struct lucet_dl_module *module,
                                                     struct lucet_instance **inst_out) try {
    return new_instance("lucet_region_new_instance", region, module, nullptr, 0, nullptr, nullptr, 0, inst_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_region_new_instance_with_ctx(const struct lucet_region *region,
                                                              const struct lucet_dl_module *module, void *embed_ctx,
                                                              struct lucet_instance **inst_out) try {
    return new_instance("lucet_region_new_instance_with_ctx", region, module, nullptr, 0, embed_ctx, nullptr,
                        0, inst_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_region_new_instance_with_wasi_ctx(const struct lucet_region *region,
                                                                   const struct lucet_dl_module *module,
                                                                   struct lucet_wasi_ctx *wasi_ctx,
                                                                   struct lucet_instance **inst_out) try {
    if (!wasi_ctx)
        return fail(lucet_error_invalid_argument, "lucet_region_new_instance_with_wasi_ctx: NULL wasi_ctx");
    return new_instance("lucet_region_new_instance_with_wasi_ctx", region, module, nullptr, 0, nullptr, wasi_ctx,
                        0, inst_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_region_new_instance_with_imports(const struct lucet_region *region,
                                                                  const struct lucet_dl_module *module,
                                                                  const struct lucet_host_func *funcs, size_t nfuncs,
                                                                  void *embed_ctx, struct lucet_wasi_ctx *wasi_ctx,
                                                                  struct lucet_instance **inst_out) try {
    return new_instance("lucet_region_new_instance_with_imports", region, module, funcs, nfuncs, embed_ctx, wasi_ctx,
                        0, inst_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_region_new_instance_with_options(const struct lucet_region *region,
                                                                  const struct lucet_dl_module *module,
                                                                  const struct lucet_host_func *funcs, size_t nfuncs,
                                                                  void *embed_ctx, struct lucet_wasi_ctx *wasi_ctx,
                                                                  uint32_t flags, struct lucet_instance **inst_out) try {
    return new_instance("lucet_region_new_instance_with_options", region, module, funcs, nfuncs, embed_ctx, wasi_ctx,
                        flags, inst_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_release(struct lucet_instance *inst) try {
    if (!instances().remove(inst))
        return fail(lucet_error_invalid_argument, "lucet_instance_release: not a live instance handle");
    return ok();
} LUCET_CAPI_CATCH

namespace {

// A run checked and ready to go, in the caller's frame so that the run's
// result is constructed in place. The pin keeps the instance alive for the
// whole run even if another thread releases the handle meanwhile. (Not an
// aggregate: brace-initialising one would zero the argument slots.)
struct Prepared {
    using Pin = HandleTable<InstanceBox, Kind::Instance>::Pin;
    explicit Prepared(Pin &&pin) : box(std::move(pin)) {}
    Pin box;
    std::string_view name;  // one strlen for the lookup and the run
    // Room for 16 arguments, left uninitialised (to_val writes each one used).
    static constexpr size_t kInline = 16;
    union InlineArgs {
        InlineArgs() {}
        Val v[kInline];
    } inline_args;
    std::vector<Val> heap_args;
    std::span<const Val> args;
    size_t needed = 0;  // the export's number of results
};

// lucet_instance_run and lucet_instance_call: checks the arguments and the
// export's type against a result capacity (`buffer`: the caller's buffer,
// else lucet_result's fixed array). ok: run p.
lucet_error prepare(const char *fn, const char *entrypoint, size_t argc, const lucet_val *argv, size_t results_cap,
                    bool buffer, Prepared &p) {
    if (!p.box) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live instance handle");
    if (!entrypoint) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL entrypoint");
    if (argc > 0 && !argv) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL argv with argc > 0");
    Instance &in = *p.box->inst;
    p.name = entrypoint;
    const FuncType *type = in.export_func_type(p.name);
    if (!type) {  // get_export's message says why (no such export, not a function)
        auto ex = in.get_export(entrypoint, ExternKind::Func);
        return fail(lucet_error_func_not_found, ex ? std::string(entrypoint) + ": not a function export"
                                                   : ex.error().to_string());
    }
    const FuncType &ft = *type;
    lucet_val_type unused;
    p.needed = ft.results.size();
    if (ft.results.size() > results_cap) {
        std::string msg = std::string(fn) + ": " + entrypoint + " returns " + std::to_string(ft.results.size()) +
                          " values, ";
        if (buffer)
            return fail(lucet_error_buffer_too_small,
                        msg + "the results buffer holds " + std::to_string(results_cap) + ": pass one of at least " +
                            std::to_string(ft.results.size()));
        return fail(lucet_error_unsupported,
                    msg + "lucet_instance_run at most " + std::to_string(LUCET_MAX_RESULTS) + " (use lucet_instance_call)");
    }
    for (ValType t : ft.results)
        if (!from_valtype(t, unused))
            return fail(lucet_error_unsupported, std::string(fn) + ": " + entrypoint + " returns a " +
                                                     valtype_name(t) + ", which the C API does not carry");

    // The count before any allocation (a huge argc is a wrong count, not
    // out of memory); the runtime checks the types.
    if (argc != ft.params.size())
        return fail(lucet_error_invalid_argument, std::string(fn) + ": " + entrypoint + " takes " +
                                                      std::to_string(ft.params.size()) + " arguments, got " +
                                                      std::to_string(argc));
    Val *args = p.inline_args.v;
    if (argc > Prepared::kInline) args = (p.heap_args.resize(argc), p.heap_args.data());
    for (size_t i = 0; i < argc; i++)
        if (!to_val(argv[i], args[i]))
            return fail(lucet_error_invalid_argument, std::string(fn) + ": argv[" + std::to_string(i) +
                                                          "] has unknown type " + std::to_string(int(argv[i].ty)));
    p.args = std::span<const Val>(args, argc);
    return lucet_error_ok;
}

// Once the call holds the claim (no run, resume or reset can change it
// meanwhile): a yielded instance is not run again. Checked before the claim,
// a yield on another thread in between became invalid_argument.
lucet_error refuse_yielded(const char *fn, const Prepared &p) {
    if (!p.box->inst->is_yielded()) return lucet_error_ok;
    return fail(lucet_error_instance_not_returned,
                std::string(fn) + ": " + std::string(p.name) + ": the instance is yielded (resume it or reset it first)");
}

}  // namespace

LUCET_API enum lucet_error lucet_instance_run(struct lucet_instance *inst, const char *entrypoint, size_t argc,
                                              const struct lucet_val *argv, struct lucet_result *result_out) try {
    set_errored(result_out);
    Prepared p{instances().get(inst)};
    if (lucet_error e = prepare("lucet_instance_run", entrypoint, argc, argv, LUCET_MAX_RESULTS, false, p);
        e != lucet_error_ok)
        return e;
    BoxClaim claim(*p.box);
    if (!claim) return busy_error(lucet_error_invalid_argument, "lucet_instance_run");
    if (lucet_error e = refuse_yielded("lucet_instance_run", p); e != lucet_error_ok) return e;
    RunResult rr = p.box->inst->run(p.name, p.args);
    return report_run(rr, p.name, result_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_call(struct lucet_instance *inst, const char *entrypoint, size_t argc,
                                               const struct lucet_val *argv, struct lucet_val *results,
                                               size_t results_cap, size_t *nresults_out,
                                               struct lucet_result *result_out) try {
    set_errored(result_out);
    if (nresults_out) *nresults_out = 0;
    if (results_cap > 0 && !results)
        return fail(lucet_error_invalid_argument, "lucet_instance_call: NULL results with results_cap > 0");
    Prepared p{instances().get(inst)};
    if (lucet_error e = prepare("lucet_instance_call", entrypoint, argc, argv, results_cap, true, p);
        e != lucet_error_ok) {
        if (nresults_out && e == lucet_error_buffer_too_small) *nresults_out = p.needed;
        return e;
    }
    BoxClaim claim(*p.box);
    if (!claim) return busy_error(lucet_error_invalid_argument, "lucet_instance_call");
    if (lucet_error e = refuse_yielded("lucet_instance_call", p); e != lucet_error_ok) return e;
    RunResult rr = p.box->inst->run(p.name, p.args);
    if (rr.kind == RunResult::Kind::Returned) {
        for (size_t i = 0; i < rr.values.size(); i++) results[i] = from_val(rr.values[i]);
        if (nresults_out) *nresults_out = rr.values.size();
    }
    return report_run(rr, entrypoint, result_out);
} LUCET_CAPI_CATCH

LUCET_API uint8_t *lucet_instance_heap(const struct lucet_instance *inst) try {
    auto box = instances().get(inst);
    return box ? box->inst->heap() : nullptr;
} LUCET_CAPI_CATCH_RETURN(nullptr)

LUCET_API uint64_t lucet_instance_heap_len(const struct lucet_instance *inst) try {
    auto box = instances().get(inst);
    return box ? box->inst->heap_len() : 0;
} LUCET_CAPI_CATCH_RETURN(0)

LUCET_API bool lucet_instance_check_heap(const struct lucet_instance *inst, const void *ptr, uintptr_t len) try {
    auto box = instances().get(inst);
    return box && check_host_range(*box->inst, ptr, len);
} LUCET_CAPI_CATCH_RETURN(false)

LUCET_API enum lucet_error lucet_instance_grow_heap(struct lucet_instance *inst, uint32_t additional_pages,
                                                    uint32_t *previous_pages_out) try {
    auto box = instances().get(inst);
    if (!box) return fail(lucet_error_invalid_argument, "lucet_instance_grow_heap: not a live instance handle");
    BoxAccess access(*box);
    if (!access) return access_error("lucet_instance_grow_heap");
    Instance &in = *box->inst;
    if (!in.heap()) return fail(lucet_error_no_linear_memory, "lucet_instance_grow_heap: the instance has no memory");
    uint32_t old = in.grow_memory(additional_pages);
    if (old == UINT32_MAX)
        return fail(lucet_error_limits_exceeded, "lucet_instance_grow_heap: cannot grow by " +
                                                     std::to_string(additional_pages) +
                                                     " pages (module maximum, heap_memory_size or reservation)");
    if (previous_pages_out) *previous_pages_out = old;
    return ok();
} LUCET_CAPI_CATCH

LUCET_API void *lucet_instance_embed_ctx(const struct lucet_instance *inst) try {
    auto box = instances().get(inst);
    return box ? box->inst->embed_ctx() : nullptr;
} LUCET_CAPI_CATCH_RETURN(nullptr)
