// traps.cpp: the C API's view of an instance's latest trap (function, wasm
// offset, backtrace), kept by the runtime (Instance::last_trap).
#include <cstring>
#include <string>

#include "capi/capi_internal.h"

using namespace lucet;
using namespace lucet::capi;

namespace {

// The checks before the trap is read: an output pointer, a live handle.
lucet_error trap_args(const HandleTable<InstanceBox, Kind::Instance>::Pin &box, const void *out, const char *fn) {
    if (!out) return fail(lucet_error_invalid_argument, std::string(fn) + ": the output pointer is NULL");
    if (!box) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live instance handle");
    return lucet_error_ok;
}

lucet_error no_trap(const char *fn) {
    return fail(lucet_error_runtime_fault, std::string(fn) + ": the instance's latest run did not trap");
}

}  // namespace

// Declares `t`, the instance's latest trap, read under BoxAccess (a run on
// another thread replaces or frees it), or returns `ret` with the error in
// err_ (and this thread's message) set.
#define TRAP_OF(fn, out, ret)                                                     \
    lucet_error err_ = lucet_error_ok;                                            \
    auto box = instances().get(inst);                                             \
    if ((err_ = trap_args(box, out, fn)) != lucet_error_ok) return ret;           \
    BoxAccess access(*box);                                                       \
    if (!access) return (err_ = access_error(fn), ret);                           \
    const TrapInfo *t = box->inst->last_trap();                                   \
    if (!t) return (err_ = no_trap(fn), ret);                                     \
    (void)err_

LUCET_API enum lucet_error lucet_instance_trap_info(const struct lucet_instance *inst,
                                                    struct lucet_trap_info *out) try {
    TRAP_OF("lucet_instance_trap_info", out, err_);
    std::memset(out, 0, sizeof *out);
    out->code = static_cast<lucet_trap_code>(t->code);
    out->wasm_offset = LUCET_WASM_OFFSET_UNKNOWN;
    out->func_name = "";
    out->heap_offset = t->heap_offset >= 0 ? static_cast<uint64_t>(t->heap_offset) : UINT64_MAX;
    if (!t->backtrace.empty()) {
        const TrapFrame &f = t->backtrace[0];
        out->has_func = 1;
        out->func_index = f.func;
        out->wasm_offset = f.offset;
        out->func_name = f.name.c_str();
    }
    out->frame_count = static_cast<uint32_t>(t->backtrace.size());
    out->frames_partial = t->backtrace_partial ? 1 : 0;
    out->frames_omitted = t->frames_omitted;
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_instance_trap_frame(const struct lucet_instance *inst, uint32_t index,
                                                     struct lucet_trap_frame *out) try {
    TRAP_OF("lucet_instance_trap_frame", out, err_);
    if (index >= t->backtrace.size())
        return fail(lucet_error_invalid_argument, "lucet_instance_trap_frame: frame " + std::to_string(index) +
                                                      " of a backtrace of " + std::to_string(t->backtrace.size()));
    const TrapFrame &f = t->backtrace[index];
    std::memset(out, 0, sizeof *out);
    out->func_index = f.func;
    out->wasm_offset = f.offset;
    out->func_name = f.name.c_str();
    out->pc = f.pc;
    out->inlined = f.inlined ? 1 : 0;
    out->may_include_inlined = f.may_include_inlined ? 1 : 0;
    return ok();
} LUCET_CAPI_CATCH

LUCET_API const char *lucet_instance_trap_backtrace(const struct lucet_instance *inst) try {
    std::string &text = backtrace_text();
    TRAP_OF("lucet_instance_trap_backtrace", &text, nullptr);
    text = t->backtrace_string();
    ok();
    return text.c_str();
} LUCET_CAPI_CATCH_RETURN(nullptr)
