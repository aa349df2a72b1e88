// capi_internal.h: what the C API's translation units share: handle tables,
// the per-thread error message, and the mapping of runtime errors to codes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "capi/handle_table.h"
#include "lucet_wasi.h"
#include "runtime/runtime.h"
#include "util/result.h"
#include "wasi/wasi.h"

#define LUCET_API extern "C" __attribute__((visibility("default")))

namespace lucet::capi {

// Records `msg` as this thread's last error message and returns `e`.
lucet_error fail(lucet_error e, std::string msg);
const char *message_cstr();
// This thread's buffer for the text lucet_instance_trap_backtrace returns
// (freed at thread exit, like the message).
std::string &backtrace_text();
// Clears the message and returns lucet_error_ok. Inline: every successful
// call ends here, and the usual case is one TLS load (t_message_set: has a
// message been recorded since the last ok()?).
extern constinit thread_local bool t_message_set __attribute__((tls_model("initial-exec")));
void clear_message();
inline lucet_error ok() {
    if (__builtin_expect(t_message_set, 0)) clear_message();
    return lucet_error_ok;
}

// No C++ exception crosses the C boundary: every C API body is a
// function-try-block ending in one of the handlers below, e.g.
//   LUCET_API enum lucet_error lucet_x(...) try { ... } LUCET_CAPI_CATCH
// The exception in flight becomes lucet_error_internal (the API has no
// out-of-memory code) with this thread's message naming the function and
// the exception ("lucet_x: out of memory (std::bad_alloc)", "lucet_x:
// internal error: vector::reserve"). Functions without an error code return
// a neutral value (LUCET_CAPI_CATCH_RETURN) with the message set; the
// lucet_vmctx calls that cannot return one (terminate, yield) abort, as they
// do on misuse. test/capi/check_guards.py checks every body has a handler.
lucet_error exception_error(const char *func) noexcept;  // call inside a catch handler only
[[noreturn]] void exception_abort(const char *func) noexcept;
#define LUCET_CAPI_CATCH \
    catch (...) { return ::lucet::capi::exception_error(__func__); }
#define LUCET_CAPI_CATCH_RETURN(value) \
    catch (...) { ::lucet::capi::exception_error(__func__); return value; }
#define LUCET_CAPI_CATCH_ABORT \
    catch (...) { ::lucet::capi::exception_abort(__func__); }

// ------------------------------------------------------------ handles
//
// HandleTable (handle_table.h): get() pins the handle's object (a Pin, empty
// for a stale, wrong-kind or non-handle value) without taking a lock; an
// object released while another thread has it pinned lives until that use
// ends.

// What an instance handle owns. The WasiCtx must outlive the Instance (it is
// its embed_ctx), hence the member order: `inst` is destroyed first.
struct InstanceBox {
    std::shared_ptr<WasiCtx> wasi;
    std::shared_ptr<Instance> inst;
    // lucet_func_call's one-entry cache of the function it called last,
    // checked against the instance once (it exists, calls carry its types):
    // func index << 32 | its number of results. One word, so that a call
    // racing another thread's reads a whole entry.
    std::atomic<uint64_t> last_func{~0ull};
    // Held by each C API call that runs, resumes or resets the instance, for
    // the call (BoxClaim): a second such call, on another thread or nested
    // in one of the instance's host functions, is refused (invalid_argument)
    // instead of sharing the guest stack. The runtime itself leaves threads
    // to its caller (Instance's contract); the C API promises the refusal.
    std::atomic<bool> busy{false};
    ~InstanceBox();
};

// An instance handle's entry keeps the Instance itself, so that a call
// reaches it straight from the pinned entry (handle_table.h).
template <>
struct HandleHot<InstanceBox> {
    using type = Instance;
    static Instance *of(const InstanceBox &b) { return b.inst.get(); }
};

// An InstanceBox's claim for one call (one exchange); false: another call
// holds it.
class BoxClaim {
public:
    explicit BoxClaim(InstanceBox &b) : b_(b), held_(!b.busy.exchange(true, std::memory_order_acquire)) {}
    ~BoxClaim() {
        if (held_) b_.busy.store(false, std::memory_order_release);
    }
    BoxClaim(const BoxClaim &) = delete;
    BoxClaim &operator=(const BoxClaim &) = delete;
    explicit operator bool() const { return held_; }

private:
    InstanceBox &b_;
    bool held_;
};
// The refusal when the claim is held: `code` (invalid_argument, or
// instance_not_yielded for a resume), the message naming `fn`.
lucet_error busy_error(lucet_error code, std::string_view fn);

// For a call that reads or changes an instance's state outside a run (grow
// its memory, read its latest trap, its globals, tables): the claim for the
// call, or, when a run holds it, that run being on this thread (the call
// comes from one of its host functions, which the header allows). Without
// either the call is refused (access_error): another thread runs, resets or
// grows the instance (two grows at once left a PROT_NONE page below the
// reported size; a trap read during a run read freed memory).
class BoxAccess {
public:
    explicit BoxAccess(InstanceBox &b) : claim_(b), ok_(claim_ || b.inst->running_here()) {}
    explicit operator bool() const { return ok_; }

private:
    BoxClaim claim_;
    bool ok_;
};
lucet_error access_error(std::string_view fn);

HandleTable<DlModule, Kind::Module> &modules();
HandleTable<Region, Kind::Region> &regions();
// Inline (the call path looks an instance up on every run). A global at a
// fixed address, made at compile time: a lookup's entry load does not wait
// for a load of the table's address, and a C API call from another
// library's static constructor finds it.
extern constinit Forever<HandleTable<InstanceBox, Kind::Instance>> g_instances;
inline HandleTable<InstanceBox, Kind::Instance> &instances() { return g_instances.value; }
// What a WASI context handle owns: the context, until an instance consumes
// it (then null), and the lock every configuring call and the consuming
// instantiation hold, so that two threads configuring one context, or one
// configuring it while another gives it to an instance, do not race on its
// vectors (two lucet_wasi_ctx_args at once crashed).
struct WasiCtxBox {
    std::mutex mu;
    std::shared_ptr<WasiCtx> ctx;
};
HandleTable<WasiCtxBox, Kind::WasiCtx> &wasi_ctxs();
HandleTable<KillSwitch, Kind::KillSwitch> &kill_switches();

template <typename H>
H *to_handle(uint64_t h) {
    return reinterpret_cast<H *>(static_cast<uintptr_t>(h));
}

// Runtime value type <-> C API value type; false for types the C API does
// not carry (funcref).
bool to_valtype(lucet_val_type t, ValType &out);
bool from_valtype(ValType t, lucet_val_type &out);

// lucet_val <-> the runtime's Val (slot representation, v128 in bits + hi).
bool to_val(const lucet_val &v, Val &out);
lucet_val from_val(const Val &v);

// Fills *out (may be NULL) from a run/resume/run_start and returns the C
// API's code for it; `what` names the call for messages ("add", "resume").
lucet_error report_run(RunResult &rr, std::string_view what, lucet_result *out);
// *out = tag errored, all zero (NULL: nothing).
void set_errored(lucet_result *out);
// The C API code for a runtime Error, by its ErrorKind.
lucet_error code_for(const Error &e);

}  // namespace lucet::capi
