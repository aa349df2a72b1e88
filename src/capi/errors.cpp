// errors.cpp: error codes and names, the per-thread message, value types,
// the handle tables.

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <new>

#include "capi/capi_internal.h"
#include "util/thread_exit.h"

namespace lucet::capi {

constinit thread_local bool t_message_set __attribute__((tls_model("initial-exec"))) = false;

namespace {
// This thread's texts: the message of its last failing call (t_message_set:
// has one been recorded since the last ok()? A plain initial-exec flag, so
// that ok() on the call path is one load), and the backtrace text
// lucet_instance_trap_backtrace returned last. Made on first use and freed
// at thread exit, also when that use comes from a pthread key destructor
// (util/thread_exit.h; a thread_local std::string was destroyed before such
// a call wrote to it); a use after that makes them again.
struct ThreadText {
    std::string message;
    std::string backtrace;
};
constinit thread_local ThreadText *t_text __attribute__((tls_model("initial-exec"))) = nullptr;

void free_text(void *p) {
    t_text = nullptr;
    t_message_set = false;
    delete static_cast<ThreadText *>(p);
}
constinit ThreadExitKey g_text_exit(free_text);

ThreadText &thread_text() {
    if (__builtin_expect(!t_text, 0)) {
        auto t = std::make_unique<ThreadText>();
        // Without a key (the process is out of them) it is freed never.
        g_text_exit.arm(t.get());
        t_text = t.release();
    }
    return *t_text;
}
}  // namespace

lucet_error fail(lucet_error e, std::string msg) {
    thread_text().message = std::move(msg);
    t_message_set = true;
    return e;
}

// Set but no text: there was no memory for one (exception_error).
const char *message_cstr() { return t_message_set ? (t_text ? t_text->message.c_str() : "out of memory") : ""; }

void clear_message() {
    if (t_text) t_text->message.clear();
    t_message_set = false;
}

std::string &backtrace_text() { return thread_text().backtrace; }

lucet_error exception_error(const char *func) noexcept {
    try {
        try {
            throw;
        } catch (const std::bad_alloc &) {
            thread_text().message = std::string(func) + ": out of memory (std::bad_alloc)";
        } catch (const std::exception &e) {
            thread_text().message = std::string(func) + ": internal error: " + e.what();
        } catch (...) {
            thread_text().message = std::string(func) + ": internal error: unknown C++ exception";
        }
    } catch (...) {
        // No memory even for the message: a short one needs none (it fits
        // std::string's inline buffer, or the capacity already there);
        // without a ThreadText, message_cstr says so itself.
        if (t_text) {
            t_text->message.clear();
            t_text->message.append("out of memory");
        }
    }
    t_message_set = true;
    return lucet_error_internal;
}

void exception_abort(const char *func) noexcept {
    exception_error(func);
    std::fprintf(stderr, "%s; aborting\n", message_cstr());
    std::abort();
}

// The instance table: constant-initialised (no constructor runs, so no
// static initialisation order problem) and never destroyed (capi_internal.h).
constinit Forever<HandleTable<InstanceBox, Kind::Instance>> g_instances;

// The other tables, function-local statics: constructed on first use, so no
// static initialisation order problem with embedders' own constructors.
HandleTable<DlModule, Kind::Module> &modules() {
    static auto *t = new HandleTable<DlModule, Kind::Module>;
    return *t;
}
HandleTable<Region, Kind::Region> &regions() {
    static auto *t = new HandleTable<Region, Kind::Region>;
    return *t;
}
HandleTable<WasiCtxBox, Kind::WasiCtx> &wasi_ctxs() {
    static auto *t = new HandleTable<WasiCtxBox, Kind::WasiCtx>;
    return *t;
}
HandleTable<KillSwitch, Kind::KillSwitch> &kill_switches() {
    static auto *t = new HandleTable<KillSwitch, Kind::KillSwitch>;
    return *t;
}

lucet_error code_for(const Error &e) {
    switch (e.kind) {
    case ErrorKind::InvalidArgument: return lucet_error_invalid_argument;
    case ErrorKind::RegionFull: return lucet_error_region_full;
    case ErrorKind::ImportMissing: return lucet_error_symbol_not_found;
    case ErrorKind::ImportType: return lucet_error_import_type;
    case ErrorKind::Limits: return lucet_error_limits_exceeded;
    case ErrorKind::Module: return lucet_error_module;
    case ErrorKind::NotFound: return lucet_error_func_not_found;
    // A trap while applying segments (the start function runs separately,
    // see instances.cpp).
    case ErrorKind::Instantiate: return lucet_error_runtime_fault;
    case ErrorKind::Unsupported: return lucet_error_unsupported;
    case ErrorKind::Generic: break;
    }
    return lucet_error_module;
}

lucet_error busy_error(lucet_error code, std::string_view fn) {
    return fail(code, std::string(fn) +
                          ": the instance is running (runs do not nest in the instance's own host functions, and an "
                          "instance runs on one thread at a time)");
}

lucet_error access_error(std::string_view fn) {
    return fail(lucet_error_invalid_argument,
                std::string(fn) + ": the instance is in use on another thread (running, being reset or grown)");
}

InstanceBox::~InstanceBox() {
    inst.reset();  // before the WasiCtx it uses
}

bool to_valtype(lucet_val_type t, ValType &out) {
    switch (t) {
    case lucet_val_type_i32: out = ValType::I32; return true;
    case lucet_val_type_i64: out = ValType::I64; return true;
    case lucet_val_type_f32: out = ValType::F32; return true;
    case lucet_val_type_f64: out = ValType::F64; return true;
    case lucet_val_type_v128: out = ValType::V128; return true;
    case lucet_val_type_externref: out = ValType::ExternRef; return true;
    case lucet_val_type_funcref: return false;  // tokens: only tables and globals take them (exports.cpp)
    }
    return false;
}

bool from_valtype(ValType t, lucet_val_type &out) {
    switch (t) {
    case ValType::I32: out = lucet_val_type_i32; return true;
    case ValType::I64: out = lucet_val_type_i64; return true;
    case ValType::F32: out = lucet_val_type_f32; return true;
    case ValType::F64: out = lucet_val_type_f64; return true;
    case ValType::V128: out = lucet_val_type_v128; return true;
    case ValType::ExternRef: out = lucet_val_type_externref; return true;
    default: return false;
    }
}

}  // namespace lucet::capi

// The public trap codes are the runtime's numbers.
static_assert(int(lucet_trap_code_heap_out_of_bounds) == LUCET_TRAP_HEAP_OOB);
static_assert(int(lucet_trap_code_stack_overflow) == LUCET_TRAP_STACK_OVERFLOW);
static_assert(int(lucet_trap_code_integer_div_by_zero) == LUCET_TRAP_INT_DIV_BY_ZERO);
static_assert(int(lucet_trap_code_integer_overflow) == LUCET_TRAP_INT_OVERFLOW);
static_assert(int(lucet_trap_code_bad_conversion_to_integer) == LUCET_TRAP_BAD_CONVERSION);
static_assert(int(lucet_trap_code_unreachable) == LUCET_TRAP_UNREACHABLE);
static_assert(int(lucet_trap_code_indirect_call_to_null) == LUCET_TRAP_INDIRECT_CALL_NULL);
static_assert(int(lucet_trap_code_bad_signature) == LUCET_TRAP_BAD_SIGNATURE);
static_assert(int(lucet_trap_code_table_out_of_bounds) == LUCET_TRAP_TABLE_OOB);
static_assert(int(lucet_trap_code_interrupted) == LUCET_TRAP_INTERRUPTED);
// LUCET_WASI_API_VERSION 2's layout, which the embedders' mirrors (Python
// ctypes, Go, Rust) reproduce.
static_assert(sizeof(lucet_val) == 24 && alignof(lucet_val) == 8 && offsetof(lucet_val, inner_val) == 8);
static_assert(int(lucet_val_type_v128) == LUCET_VT_V128);
static_assert(sizeof(lucet_v128) == 16);

LUCET_API const char *lucet_error_name(enum lucet_error e) try {
    switch (e) {
#define N(x) \
    case x:  \
        return #x;
        N(lucet_error_ok)
        N(lucet_error_invalid_argument)
        N(lucet_error_region_full)
        N(lucet_error_module)
        N(lucet_error_limits_exceeded)
        N(lucet_error_no_linear_memory)
        N(lucet_error_symbol_not_found)
        N(lucet_error_func_not_found)
        N(lucet_error_runtime_fault)
        N(lucet_error_runtime_terminated)
        N(lucet_error_dl)
        N(lucet_error_instance_not_returned)
        N(lucet_error_instance_not_yielded)
        N(lucet_error_start_yielded)
        N(lucet_error_internal)
        N(lucet_error_unsupported)
        N(lucet_error_compile)
        N(lucet_error_import_type)
        N(lucet_error_export_not_found)
        N(lucet_error_buffer_too_small)
#undef N
    }
    return "lucet_error_unknown";
} LUCET_CAPI_CATCH_RETURN("")

LUCET_API const char *lucet_error_message(void) try { return lucet::capi::message_cstr(); } LUCET_CAPI_CATCH_RETURN("")

LUCET_API const char *lucet_version(void) try { return LUCET_VERSION; } LUCET_CAPI_CATCH_RETURN("")

LUCET_API int lucet_api_version(void) try { return LUCET_WASI_API_VERSION; } LUCET_CAPI_CATCH_RETURN(0)

LUCET_API const char *lucet_trap_code_name(enum lucet_trap_code code) try {
    if (code <= lucet_trap_code_none || code > lucet_trap_code_interrupted) return "unknown trap code";
    return lucet::trapcode_name(static_cast<lucet_trapcode>(code));
} LUCET_CAPI_CATCH_RETURN("")

LUCET_API const char *lucet_result_tag_name(enum lucet_result_tag tag) try {
    switch (tag) {
    case lucet_result_tag_returned: return "lucet_result_tag_returned";
    case lucet_result_tag_faulted: return "lucet_result_tag_faulted";
    case lucet_result_tag_terminated: return "lucet_result_tag_terminated";
    case lucet_result_tag_errored: return "lucet_result_tag_errored";
    case lucet_result_tag_yielded: return "lucet_result_tag_yielded";
    }
    return "lucet_result_tag_unknown";
} LUCET_CAPI_CATCH_RETURN("")
