// funcs.cpp: pre-resolved exported functions (struct lucet_func): looked up
// by name once, called by index. The call is the C API's hot path: no name
// compare, no allocation, the instance's kept RunResult.
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "capi/capi_internal.h"
#include "util/thread_exit.h"

using namespace lucet;
using namespace lucet::capi;

namespace {

// Funcref parameters or results: calls do not carry them.
bool carried(const FuncType &ft) {
    lucet_val_type unused;
    for (ValType t : ft.params)
        if (!from_valtype(t, unused)) return false;
    for (ValType t : ft.results)
        if (!from_valtype(t, unused)) return false;
    return true;
}

[[gnu::cold, gnu::noinline]] lucet_error call_error(lucet_error e, const lucet_func *f, const std::string &what) {
    return fail(e, "lucet_func_call: func[" + std::to_string(f->func_index) + "]: " + what);
}

// A trap, an exit or an error, as lucet_instance_call reports them; a run
// that did not start because the instance is yielded is
// instance_not_returned, as for a call by name.
[[gnu::cold, gnu::noinline]] lucet_error report_other(const lucet_func *f, Instance &in, RunResult &rr,
                                                      lucet_result *result_out) {
    if (rr.kind == RunResult::Kind::Error && in.is_yielded())
        return call_error(lucet_error_instance_not_returned, f,
                          "the instance is yielded (resume it or reset it first)");
    std::string what = "lucet_func_call: func[" + std::to_string(f->func_index) + "]";
    return report_run(rr, what, result_out);
}

// The number of results of the function func_index, once it is known to be a
// function of the instance whose types calls carry (then remembered in the
// box); false when it is not.
[[gnu::noinline]] bool resolve(InstanceBox &b, uint32_t func_index, size_t &nresults) {
    const FuncType *ft = b.inst->func_type(func_index);
    if (!ft || !carried(*ft)) return false;
    nresults = ft->results.size();
    b.last_func.store(uint64_t(func_index) << 32 | uint32_t(nresults), std::memory_order_relaxed);
    return true;
}

// Each thread's result kept from call to call (its vectors keep their
// storage): made on the thread's first call, freed when the thread exits.
// Per thread, not per instance: two threads calling one instance at once
// (the second call is refused by the runtime) never share it.
struct Kept {
    RunResult rr;
    bool busy = false;  // a call on this thread uses it (a nested call takes its own)
};
constinit thread_local Kept *t_kept __attribute__((tls_model("initial-exec"))) = nullptr;
constinit thread_local bool t_kept_gone __attribute__((tls_model("initial-exec"))) = false;

// Frees the thread's Kept at thread exit (util/thread_exit.h: also when the
// thread's first call comes from a pthread key destructor); a call after
// that runs with a result of its own.
void free_kept(void *p) {
    t_kept = nullptr;
    t_kept_gone = true;
    delete static_cast<Kept *>(p);
}
constinit ThreadExitKey g_kept_exit(free_kept);

// The thread's Kept, made now; nullptr once the thread is exiting.
[[gnu::noinline]] Kept *make_kept() {
    if (t_kept_gone) return nullptr;
    auto k = std::make_unique<Kept>();
    if (!g_kept_exit.arm(k.get())) return nullptr;  // out of pthread keys: not kept
    return t_kept = k.release();
}

inline lucet_error convert_args(const lucet_func *f, size_t argc, const lucet_val *argv,
                                                      Val *args) {
    for (size_t i = 0; i < argc; i++)
        if (!to_val(argv[i], args[i]))
            return call_error(lucet_error_invalid_argument, f,
                              "argv[" + std::to_string(i) + "] has unknown type " + std::to_string(int(argv[i].ty)));
    return lucet_error_ok;
}

// The run and its report, into `rr` (the box's kept result or a fresh one).
__attribute__((always_inline)) inline lucet_error run_into(const lucet_func *f, Instance &in, std::span<const Val> args,
                                                           RunResult &rr, lucet_val *results, size_t *nresults_out,
                                                           lucet_result *result_out) {
    in.run_func(f->func_index, args, rr);
    if (__builtin_expect(rr.kind == RunResult::Kind::Returned, 1)) {
        for (size_t i = 0; i < rr.values.size(); i++) results[i] = from_val(rr.values[i]);
        if (nresults_out) *nresults_out = rr.values.size();
        if (!result_out) return ok();
    }
    if (rr.kind == RunResult::Kind::Returned || rr.kind == RunResult::Kind::Yielded)
        return report_run(rr, "lucet_func_call", result_out);  // no message: `what` unused
    return report_other(f, in, rr, result_out);
}

// A call nested in a host function of a call on this thread: the kept
// result is in use, this one gets its own.
[[gnu::noinline]] lucet_error run_own(const lucet_func *f, Instance &in, std::span<const Val> args,
                                         lucet_val *results, size_t *nresults_out, lucet_result *result_out) {
    RunResult rr;
    return run_into(f, in, args, rr, results, nresults_out, result_out);
}

}  // namespace

LUCET_API enum lucet_error lucet_instance_func(struct lucet_instance *inst, const char *name,
                                               struct lucet_func *func_out) try {
    if (!func_out) return fail(lucet_error_invalid_argument, "lucet_instance_func: NULL func_out");
    std::memset(func_out, 0, sizeof *func_out);
    auto box = instances().get(inst);
    if (!box) return fail(lucet_error_invalid_argument, "lucet_instance_func: not a live instance handle");
    if (!name) return fail(lucet_error_invalid_argument, "lucet_instance_func: NULL name");
    Instance &in = *box->inst;
    uint32_t index = in.export_func_index(name);
    if (index == UINT32_MAX) {  // get_export's message says why (no such export, not a function)
        auto ex = in.get_export(name, ExternKind::Func);
        return fail(lucet_error_func_not_found,
                    "lucet_instance_func: " + (ex ? std::string(name) + ": not a function export" : ex.error().to_string()));
    }
    const FuncType *ft = in.func_type(index);
    if (!ft) return fail(lucet_error_internal, "lucet_instance_func: " + std::string(name) + ": no type for its function");
    if (!carried(*ft))
        return fail(lucet_error_unsupported, "lucet_instance_func: " + std::string(name) +
                                                 ": funcref parameters or results are not carried by calls");
    func_out->instance = inst;
    func_out->func_index = index;
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_func_call(const struct lucet_func *func, size_t argc, const struct lucet_val *argv,
                                           struct lucet_val *results, size_t results_cap, size_t *nresults_out,
                                           struct lucet_result *result_out) try {
    if (result_out) set_errored(result_out);
    if (nresults_out) *nresults_out = 0;
    if (__builtin_expect(!func, 0)) return fail(lucet_error_invalid_argument, "lucet_func_call: NULL func");
    if (__builtin_expect(results_cap > 0 && !results, 0))
        return call_error(lucet_error_invalid_argument, func, "NULL results with results_cap > 0");
    if (__builtin_expect(argc > 0 && !argv, 0))
        return call_error(lucet_error_invalid_argument, func, "NULL argv with argc > 0");
    auto box = instances().get(func->instance);
    if (__builtin_expect(!box, 0))
        return call_error(lucet_error_invalid_argument, func,
                          "not a live instance (released, or the lucet_func was not filled by lucet_instance_func)");
    InstanceBox &b = *box;
    const uint64_t last = b.last_func.load(std::memory_order_relaxed);
    size_t needed = uint32_t(last);
    // (The empty cache reads as index UINT32_MAX, which no function has.)
    if (__builtin_expect(func->func_index != last >> 32 || func->func_index == UINT32_MAX, 0) &&
        !resolve(b, func->func_index, needed))
        return call_error(lucet_error_invalid_argument, func, "not a function of this instance that calls carry");
    if (__builtin_expect(needed > results_cap, 0)) {
        if (nresults_out) *nresults_out = needed;
        return call_error(lucet_error_buffer_too_small, func,
                          "returns " + std::to_string(needed) + " values, the results buffer holds " +
                              std::to_string(results_cap) + ": pass one of at least " + std::to_string(needed));
    }

    // Arguments: up to 16 in place, more on the heap (the run checks them
    // against the type).
    constexpr size_t kInline = 16;
    union InlineArgs {
        InlineArgs() {}
        Val v[kInline];
    } inline_args;
    std::vector<Val> heap_args;
    Val *args = inline_args.v;
    if (__builtin_expect(argc > kInline, 0)) {
        // The count before allocating (a huge argc is a wrong count).
        if (const FuncType *ft = b.inst->func_type(func->func_index); !ft || argc != ft->params.size())
            return call_error(lucet_error_invalid_argument, func,
                              "takes " + std::to_string(ft ? ft->params.size() : 0) + " arguments, got " +
                                  std::to_string(argc));
        args = (heap_args.resize(argc), heap_args.data());
    }
    if (argc)
        if (lucet_error e = convert_args(func, argc, argv, args); e != lucet_error_ok) return e;
    std::span<const Val> arg_span(args, argc);

    BoxClaim claim(b);
    if (__builtin_expect(!claim, 0)) return busy_error(lucet_error_invalid_argument, "lucet_func_call");
    Instance &in = *box.hot();  // b.inst, one load nearer
    Kept *k = t_kept;
    if (__builtin_expect(!k, 0)) k = make_kept();
    if (__builtin_expect(!k || k->busy, 0)) return run_own(func, in, arg_span, results, nresults_out, result_out);
    k->busy = true;
    struct Give {
        Kept &k;
        ~Give() { k.busy = false; }
    } give{*k};
    return run_into(func, in, arg_span, k->rr, results, nresults_out, result_out);
} LUCET_CAPI_CATCH
