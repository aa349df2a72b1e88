// lifecycle.cpp: the C API over the runtime's instance lifecycle: deferred
// start, yield/resume, reset and kill switches.
#include <string>

#include "capi/capi_internal.h"

using namespace lucet;
using namespace lucet::capi;

LUCET_API enum lucet_error lucet_instance_run_start(struct lucet_instance *inst, struct lucet_result *result_out) try {
    set_errored(result_out);
    auto box = instances().get(inst);
    if (!box) return fail(lucet_error_invalid_argument, "lucet_instance_run_start: not a live instance handle");
    // The yield state under the claim: no run, resume or reset changes it then.
    BoxClaim claim(*box);
    if (!claim) return busy_error(lucet_error_invalid_argument, "lucet_instance_run_start");
    if (box->inst->is_yielded())
        return fail(lucet_error_instance_not_returned,
                    "lucet_instance_run_start: the instance is yielded (resume it or reset it first)");
    RunResult rr = box->inst->run_start();
    lucet_error e = report_run(rr, "lucet_instance_run_start", result_out);
    if (e == lucet_error_ok && rr.kind == RunResult::Kind::Yielded)
        return fail(lucet_error_start_yielded, "lucet_instance_run_start: the start function yielded");
    return e;
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_resume(struct lucet_instance *inst, const struct lucet_val *val,
                                                 struct lucet_result *result_out) try {
    set_errored(result_out);
    auto box = instances().get(inst);
    if (!box) return fail(lucet_error_invalid_argument, "lucet_instance_resume: not a live instance handle");
    std::optional<Val> v;
    if (val) {
        Val tmp;
        if (!to_val(*val, tmp))
            return fail(lucet_error_invalid_argument,
                        "lucet_instance_resume: value has unknown type " + std::to_string(int(val->ty)));
        v = tmp;
    }
    BoxClaim claim(*box);
    if (!claim) return busy_error(lucet_error_instance_not_yielded, "lucet_instance_resume");
    if (!box->inst->is_yielded())
        return fail(lucet_error_instance_not_yielded, "lucet_instance_resume: the instance is not yielded");
    RunResult rr = box->inst->resume(v);
    // Not yielded any more by now (a concurrent resume on another thread won).
    if (rr.kind == RunResult::Kind::Error && !box->inst->is_yielded() && rr.error.kind == ErrorKind::InvalidArgument)
        return fail(lucet_error_instance_not_yielded, "lucet_instance_resume: " + rr.error.to_string());
    return report_run(rr, "lucet_instance_resume", result_out);
} LUCET_CAPI_CATCH

LUCET_API bool lucet_instance_is_yielded(const struct lucet_instance *inst) try {
    auto box = instances().get(inst);
    return box && box->inst->is_yielded();
} LUCET_CAPI_CATCH_RETURN(false)

LUCET_API enum lucet_error lucet_instance_reset(struct lucet_instance *inst) try {
    auto box = instances().get(inst);
    if (!box) return fail(lucet_error_invalid_argument, "lucet_instance_reset: not a live instance handle");
    BoxClaim claim(*box);
    if (!claim) return busy_error(lucet_error_invalid_argument, "lucet_instance_reset");
    if (box->inst->is_yielded())
        return fail(lucet_error_instance_not_returned,
                    "lucet_instance_reset: the instance is yielded (resume it until it finishes first)");
    if (Status st = box->inst->reset(); !st) {
        lucet_error e = code_for(st.error());
        return fail(e == lucet_error_module ? lucet_error_internal : e, "lucet_instance_reset: " + st.error().to_string());
    }
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_kill_switch(struct lucet_instance *inst, struct lucet_kill_switch **ks_out) try {
    if (!ks_out) return fail(lucet_error_invalid_argument, "lucet_instance_kill_switch: NULL ks_out");
    *ks_out = nullptr;
    auto box = instances().get(inst);
    if (!box) return fail(lucet_error_invalid_argument, "lucet_instance_kill_switch: not a live instance handle");
    uint64_t h = kill_switches().insert(box->inst->kill_switch());
    if (!h) return fail(lucet_error_internal, "lucet_instance_kill_switch: too many kill switch handles");
    *ks_out = to_handle<lucet_kill_switch>(h);
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_kill_switch_terminate(struct lucet_kill_switch *ks, bool *stopped_out) try {
    if (stopped_out) *stopped_out = false;
    auto k = kill_switches().get(ks);
    if (!k) return fail(lucet_error_invalid_argument, "lucet_kill_switch_terminate: not a live kill switch handle");
    bool stopped = k->terminate();
    if (stopped_out) *stopped_out = stopped;
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_kill_switch_release(struct lucet_kill_switch *ks) try {
    if (!kill_switches().remove(ks))
        return fail(lucet_error_invalid_argument, "lucet_kill_switch_release: not a live kill switch handle");
    return ok();
} LUCET_CAPI_CATCH
