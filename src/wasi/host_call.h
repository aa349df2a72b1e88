// host_call.h: the wrapper that turns a hostcall of hostcalls.h,
// `Errno f(Call &, A...)`, into the host function generated code calls,
// `uint32_t host(lucet_vmctx *, A...)` (the calling convention of
// runtime.h), with its wasm type derived from A... (uint32_t -> i32,
// uint64_t -> i64) so that the declared type cannot drift from the
// implementation. imports.cpp binds every WASI function through it.
#pragma once

#include <pthread.h>

#include <new>
#include <type_traits>

#include "runtime/runtime.h"
#include "wasi/hostcalls.h"
#include "wasi/wasi_ctx.h"

namespace lucet::wasi {

template <typename T>
constexpr ValType val_type() {
    static_assert(std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>);
    return std::is_same_v<T, uint64_t> ? ValType::I64 : ValType::I32;
}

template <auto F, Abi ABI>
struct Host;

// Disables thread cancellation for its scope (pthread_setcancelstate), then
// restores the state it found.
class CancelOff {
public:
    CancelOff() noexcept { pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old_); }
    ~CancelOff() { pthread_setcancelstate(old_, &old_); }
    CancelOff(const CancelOff &) = delete;
    CancelOff &operator=(const CancelOff &) = delete;

private:
    int old_ = PTHREAD_CANCEL_ENABLE;
};

// noexcept, and no exception leaves it: unwinding would run through
// generated code and the guest's stack. A std::bad_alloc inside a call
// (which then released all it held on the way out) is the guest's `nomem`,
// as from an operating system out of memory; any other exception is a bug
// in the host call, and the guest, which cannot trust that call's effects,
// stops with a trap whose message says so (raised after the handler has
// finished, with no C++ object alive). Before anything runs, the stack left
// below the caller is checked against the host-call reserve
// (Instance::check_host_stack).
template <typename... A, Errno (*F)(Call &, A...), Abi ABI>
struct Host<F, ABI> {
    static uint32_t call(lucet_vmctx *vm, A... a) noexcept {
        const auto caller = reinterpret_cast<uintptr_t>(__builtin_return_address(0));
        Instance::check_host_stack(caller);
        Instance *inst = Instance::from_vmctx(vm);
        auto *ctx = static_cast<WasiCtx *>(inst->wasi_ctx());
        // An instance created without a WasiCtx (InstanceOptions::wasi_ctx) has no WASI state
        // to act on.
        if (!ctx) return static_cast<uint32_t>(Errno::NOSYS);
        Errno r = Errno::SUCCESS;
        bool threw = false;
        // Thread cancellation is held off for the call: a cancellation point
        // inside it (read, write, poll, ...) would unwind the thread through
        // this frame, generated code and the guest's stack (glibc aborts the
        // process: the catch below cannot let its forced unwind through). A
        // cancel stays pending until the thread reaches a cancellation point
        // in its own code after the run; a kill switch stops the run first.
        // Restored before the trap or kill below leave this frame for good.
        try {
            CancelOff cancel_off;
            Call c{*ctx, GuestMem(inst->heap(), inst->heap_len()), ABI};
            c.cancelled = [](void *i) { return static_cast<Instance *>(i)->kill_pending(); };
            c.cancel_arg = inst;
            r = F(c, a...);
        } catch (const std::bad_alloc &) {
            r = Errno::NOMEM;
        } catch (...) {
            threw = true;
        }
        if (threw) Instance::trap_from_host(LUCET_TRAP_UNREACHABLE, "WASI host call failed: C++ exception", caller);
        // A kill that arrived during the call (a blocking wait gave up with
        // INTR) stops the guest here, where nothing of the call is left alive;
        // the guest never sees INTR.
        inst->stop_if_killed();
        return static_cast<uint32_t>(r);
    }
    static FuncType type() { return FuncType{{val_type<A>()...}, {ValType::I32}}; }
};

}  // namespace lucet::wasi
