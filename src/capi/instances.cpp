// instances.cpp: creating, running and releasing instances; host heap access.
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "capi/host_funcs.h"

using namespace lucet;
using namespace lucet::capi;

namespace {

bool starts_with(const std::string &s, std::string_view p) { return s.compare(0, p.size(), p) == 0; }

// Instance::create reports failures as messages only; these prefixes are the
// runtime's own wording (src/runtime/instance.cpp), pinned by test_capi so a
// change there is noticed. The runtime should carry a code in its Error.
lucet_error classify_create_error(const Error &e) {
    const std::string &m = e.message;
    if (starts_with(m, "region is full")) return lucet_error_region_full;
    if (starts_with(m, "unknown import")) return lucet_error_symbol_not_found;
    if (starts_with(m, "incompatible import type")) return lucet_error_import_type;
    if (m.find(": module was compiled for ") != std::string::npos || m.find(" globals need ") != std::string::npos ||
        m.find(": memory needs ") != std::string::npos)
        return lucet_error_limits_exceeded;
    if (m.find("(in the start function)") != std::string::npos || starts_with(m, "out of bounds "))
        return lucet_error_runtime_fault;
    return lucet_error_module;
}

lucet_error new_instance(const char *fn, const lucet_region *region, const lucet_dl_module *module,
                         const lucet_host_func *funcs, size_t nfuncs, void *embed_ctx, lucet_wasi_ctx *wasi_ctx,
                         lucet_instance **inst_out) {
    if (!inst_out) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL inst_out");
    *inst_out = nullptr;
    auto r = regions().get(region);
    if (!r) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live region handle");
    auto m = modules().get(module);
    if (!m) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live module handle");
    std::vector<HostFunc> hf;
    if (lucet_error e = copy_host_funcs(funcs, nfuncs, hf); e != lucet_error_ok) return e;
    if (wasi_ctx && embed_ctx)
        return fail(lucet_error_unsupported,
                    std::string(fn) + ": an embedder context and a WASI context on one instance are not supported");

    auto box = std::make_shared<InstanceBox>();
    ImportResolver resolve = host_func_resolver(std::move(hf));
    if (wasi_ctx) {
        // Consumed from here on, whatever happens.
        box->wasi = wasi_ctxs().remove(wasi_ctx);
        if (!box->wasi) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live WASI context handle");
        resolve = wasi_resolver(std::move(resolve));
        embed_ctx = box->wasi.get();
        register_owned_wasi_ctx(embed_ctx);
    }
    auto inst = Instance::create(r, m, resolve, embed_ctx);
    if (!inst) return fail(classify_create_error(inst.error()), inst.error().to_string());
    box->inst = std::move(inst.value());
    uint64_t h = instances().insert(std::move(box));
    if (!h) return fail(lucet_error_internal, std::string(fn) + ": too many instance handles");
    *inst_out = to_handle<lucet_instance>(h);
    return ok();
}

void set_errored(lucet_result *out) {
    if (!out) return;
    std::memset(out, 0, sizeof *out);
    out->tag = lucet_result_tag_errored;
}

// lucet_val <-> the runtime's 64-bit slot representation (lucet_abi.h).
bool to_val(const lucet_val &v, Val &out) {
    ValType t;
    if (!to_valtype(v.ty, t)) return false;
    out.type = t;
    switch (v.ty) {
    case lucet_val_type_i32: out.bits = v.inner_val.as_i32; break;
    case lucet_val_type_f32: {
        uint32_t b;
        std::memcpy(&b, &v.inner_val.as_f32, 4);
        out.bits = b;
        break;
    }
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
    default: out.inner_val.as_i64 = v.bits; break;
    }
    return out;
}

}  // namespace

LUCET_API enum lucet_error lucet_region_new_instance(const struct lucet_region *region,
                                                     const struct lucet_dl_module *module,
                                                     struct lucet_instance **inst_out) {
    return new_instance("lucet_region_new_instance", region, module, nullptr, 0, nullptr, nullptr, inst_out);
}

LUCET_API enum lucet_error lucet_region_new_instance_with_ctx(const struct lucet_region *region,
                                                              const struct lucet_dl_module *module, void *embed_ctx,
                                                              struct lucet_instance **inst_out) {
    return new_instance("lucet_region_new_instance_with_ctx", region, module, nullptr, 0, embed_ctx, nullptr,
                        inst_out);
}

LUCET_API enum lucet_error lucet_region_new_instance_with_wasi_ctx(const struct lucet_region *region,
                                                                   const struct lucet_dl_module *module,
                                                                   struct lucet_wasi_ctx *wasi_ctx,
                                                                   struct lucet_instance **inst_out) {
    if (!wasi_ctx)
        return fail(lucet_error_invalid_argument, "lucet_region_new_instance_with_wasi_ctx: NULL wasi_ctx");
    return new_instance("lucet_region_new_instance_with_wasi_ctx", region, module, nullptr, 0, nullptr, wasi_ctx,
                        inst_out);
}

LUCET_API enum lucet_error lucet_region_new_instance_with_imports(const struct lucet_region *region,
                                                                  const struct lucet_dl_module *module,
                                                                  const struct lucet_host_func *funcs, size_t nfuncs,
                                                                  void *embed_ctx, struct lucet_wasi_ctx *wasi_ctx,
                                                                  struct lucet_instance **inst_out) {
    return new_instance("lucet_region_new_instance_with_imports", region, module, funcs, nfuncs, embed_ctx, wasi_ctx,
                        inst_out);
}

LUCET_API enum lucet_error lucet_instance_release(struct lucet_instance *inst) {
    if (!instances().remove(inst))
        return fail(lucet_error_invalid_argument, "lucet_instance_release: not a live instance handle");
    return ok();
}

LUCET_API enum lucet_error lucet_instance_run(struct lucet_instance *inst, const char *entrypoint, size_t argc,
                                              const struct lucet_val *argv, struct lucet_result *result_out) {
    set_errored(result_out);
    // Holding the box keeps the instance alive for the whole run even if
    // another thread releases the handle meanwhile.
    auto box = instances().get(inst);
    if (!box) return fail(lucet_error_invalid_argument, "lucet_instance_run: not a live instance handle");
    if (!entrypoint) return fail(lucet_error_invalid_argument, "lucet_instance_run: NULL entrypoint");
    if (argc > 0 && !argv) return fail(lucet_error_invalid_argument, "lucet_instance_run: NULL argv with argc > 0");
    Instance &in = *box->inst;

    auto ex = in.get_export(entrypoint, ExternKind::Func);
    if (!ex) return fail(lucet_error_func_not_found, ex.error().to_string());
    const FuncType &ft = ex->func_type;
    lucet_val_type unused;
    if (ft.results.size() > LUCET_MAX_RESULTS)
        return fail(lucet_error_unsupported, std::string("lucet_instance_run: ") + entrypoint + " returns " +
                                                 std::to_string(ft.results.size()) + " values, the C API at most " +
                                                 std::to_string(LUCET_MAX_RESULTS));
    for (ValType t : ft.results)
        if (!from_valtype(t, unused))
            return fail(lucet_error_unsupported, std::string("lucet_instance_run: ") + entrypoint + " returns a " +
                                                     valtype_name(t) + ", which the C API does not carry");

    constexpr size_t kInline = 16;
    Val inline_args[kInline];
    std::vector<Val> heap_args;
    Val *args = inline_args;
    if (argc > kInline) args = (heap_args.resize(argc), heap_args.data());
    for (size_t i = 0; i < argc; i++)
        if (!to_val(argv[i], args[i]))
            return fail(lucet_error_invalid_argument, "lucet_instance_run: argv[" + std::to_string(i) +
                                                          "] has unknown type " + std::to_string(int(argv[i].ty)));

    RunResult rr = in.run(entrypoint, std::span<const Val>(args, argc));
    switch (rr.kind) {
    case RunResult::Kind::Returned:
        if (result_out) {
            result_out->tag = lucet_result_tag_returned;
            result_out->val.returned.nvalues = static_cast<uint32_t>(rr.values.size());
            for (size_t i = 0; i < rr.values.size(); i++) result_out->val.returned.values[i] = from_val(rr.values[i]);
        }
        return ok();
    case RunResult::Kind::Trapped:
        if (result_out) {
            std::memset(&result_out->val, 0, sizeof result_out->val);
            result_out->tag = lucet_result_tag_faulted;
            result_out->val.faulted.code = static_cast<lucet_trap_code>(rr.trap.code);
            result_out->val.faulted.fault_addr = rr.trap.fault_addr;
            result_out->val.faulted.pc = rr.trap.pc;
        }
        return fail(lucet_error_runtime_fault, rr.trap.to_string());
    case RunResult::Kind::Exited:
        if (result_out) {
            std::memset(&result_out->val, 0, sizeof result_out->val);
            result_out->tag = lucet_result_tag_terminated;
            result_out->val.terminated.exit_code = rr.exit_code;
        }
        return fail(lucet_error_runtime_terminated,
                    std::string(entrypoint) + " terminated with exit code " + std::to_string(rr.exit_code));
    case RunResult::Kind::Error: break;
    }
    // Argument count/types, or a nested run of a running instance.
    return fail(lucet_error_invalid_argument, rr.error.to_string());
}

LUCET_API uint8_t *lucet_instance_heap(const struct lucet_instance *inst) {
    auto box = instances().get(inst);
    return box ? box->inst->heap() : nullptr;
}

LUCET_API uint64_t lucet_instance_heap_len(const struct lucet_instance *inst) {
    auto box = instances().get(inst);
    return box ? box->inst->heap_len() : 0;
}

LUCET_API bool lucet_instance_check_heap(const struct lucet_instance *inst, const void *ptr, uintptr_t len) {
    auto box = instances().get(inst);
    return box && check_host_range(*box->inst, ptr, len);
}

LUCET_API enum lucet_error lucet_instance_grow_heap(struct lucet_instance *inst, uint32_t additional_pages,
                                                    uint32_t *previous_pages_out) {
    auto box = instances().get(inst);
    if (!box) return fail(lucet_error_invalid_argument, "lucet_instance_grow_heap: not a live instance handle");
    Instance &in = *box->inst;
    if (!in.heap()) return fail(lucet_error_no_linear_memory, "lucet_instance_grow_heap: the instance has no memory");
    // The runtime's own memory.grow (the helper generated code calls).
    uint32_t old = in.module()->desc().rt->memory_grow(in.vmctx(), additional_pages);
    if (old == UINT32_MAX)
        return fail(lucet_error_limits_exceeded, "lucet_instance_grow_heap: cannot grow by " +
                                                     std::to_string(additional_pages) +
                                                     " pages (module maximum, heap_memory_size or reservation)");
    if (previous_pages_out) *previous_pages_out = old;
    return ok();
}

LUCET_API void *lucet_instance_embed_ctx(const struct lucet_instance *inst) {
    auto box = instances().get(inst);
    return box && !box->wasi ? box->inst->embed_ctx() : nullptr;
}
