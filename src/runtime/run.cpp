// run.cpp: running exports on the instance's guest stack, and leaving it
// (return, trap, terminate, kill, yield).
//
// run() prepares the top of the slot's stack so that a context swap jumps
// into lucet_context_bootstrap, which calls the trampoline named in the
// RunState and, when the guest returns, switches back to the host context
// itself. Other exits
// use lucet_context_set(host_sp): the trap helper, terminate(), the signal
// handler's ucontext rewrite (faults and the kill switch). No guest frame is
// ever unwound; the next run simply starts at the stack top again. A yield
// swaps back to the host keeping the guest context (RunState::guest_sp);
// resume() swaps into it. The RunState lives in the Instance::Impl for that
// reason. The hot path makes no allocation (unless results are returned,
// which RunResult::values needs), no system call and no locked instruction.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime/internal.h"

namespace lucet {

using namespace rt;

namespace {

// MXCSR for guest code: every exception masked, round to nearest, no
// flush-to-zero or denormals-are-zero (the power-on value); the low six bits
// are the sticky exception flags.
constexpr uint32_t kGuestMxcsr = 0x1f80;
constexpr uint32_t kMxcsrStatus = 0x3f;

// lucet_context_bootstrap (context_x86_64.S) reads these fields of the
// RunState to call the trampoline on the guest stack.
static_assert(offsetof(RunState, host_sp) == 8, "context_x86_64.S: RS_HOST_SP");
static_assert(offsetof(RunState, tramp) == 128, "context_x86_64.S: RS_TRAMP");
static_assert(offsetof(RunState, fn) == 136, "context_x86_64.S: RS_FN");
static_assert(offsetof(RunState, fn_ctx) == 144, "context_x86_64.S: RS_FN_CTX");
static_assert(offsetof(RunState, args) == 152, "context_x86_64.S: RS_ARGS");
static_assert(offsetof(RunState, results) == 160, "context_x86_64.S: RS_RESULTS");

}  // namespace

[[noreturn]] void rt::trap_to_host(lucet_trapcode code, uintptr_t pc, const char *text, uintptr_t fp, uint64_t site) {
    RunState *rs = tls_run;
    if (!rs) {
        std::fprintf(stderr, "lucet: trap \"%s\" outside of any running instance; aborting\n",
                     text ? text : trapcode_name(code));
        std::abort();
    }
    rs->kind = RunResult::Kind::Trapped;
    rs->fault_heap_base = 0;
    rs->trap = code;
    rs->trap_text = text;
    rs->trap_pc = pc;
    rs->trap_fp = fp;
    rs->trap_sp = 0;
    rs->trap_site = site;
    rs->pc_is_return = true;
    rs->fault_addr = 0;
    lucet_context_set(rs->host_sp);
}

void Instance::terminate(uint32_t exit_code) {
    RunState *rs = tls_run;
    if (!rs) {
        std::fprintf(stderr, "lucet: Instance::terminate(%u) called outside of a running instance; aborting\n",
                     exit_code);
        std::abort();
    }
    // Only the innermost run on this thread can be left from here: a host
    // function of instance B (running inside a host function of A) that
    // terminates A would stop B instead, and A would go on as if nothing
    // happened. (This instance's code may run inside another's run without
    // a run of its own: a linked instance's export called by that one; its
    // terminate stops the run, as a trap there would.)
    bool enclosing = false;
    for (const RunState *p = rs->prev; p && rs->inst != impl_.get() && !enclosing; p = p->prev)
        enclosing = p->inst == impl_.get();
    if (enclosing) {
        std::fprintf(stderr,
                     "lucet: Instance::terminate(%u) called from a host function of another instance (a run nested "
                     "in this one's host function); only the innermost run can be terminated; aborting\n",
                     exit_code);
        std::abort();
    }
    rs->set_exited(exit_code, false);
    lucet_context_set(rs->host_sp);
}

void Instance::stop_if_killed() {
    if (!kill_pending()) return;
    RunState *rs = tls_run;
    // Only the innermost run on this thread can be unwound from here.
    if (!rs || rs->inst != impl_.get()) return;
    rs->set_exited(0, true);
    lucet_context_set(rs->host_sp);
}

void Instance::check_host_stack(uintptr_t caller_pc) {
    RunState *rs = tls_run;
    if (!rs) return;  // not inside a run (a host function called directly)
    // The running stack's limit (this may be another instance's code
    // running on it), compared with this frame: a host function entered
    // below it would have less than hostcall_reserve before the guard page.
    auto sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    if (sp < rs->inst->stack_limit) trap_to_host(LUCET_TRAP_STACK_OVERFLOW, caller_pc);
}

void Instance::trap_from_host(lucet_trapcode code, const char *text, uintptr_t caller_pc) {
    trap_to_host(code, caller_pc, text);
}

namespace {

template <typename T>
inline T load_unaligned(const char *p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// a == b, without a call to memcmp for the short names embedders use (two
// overlapping word loads per side for 4..16 bytes).
inline bool same_name(std::string_view a, std::string_view b) {
    const size_t n = a.size();
    if (n != b.size()) return false;
    const char *p = a.data(), *q = b.data();
    if (n >= 8 && n <= 16)
        return ((load_unaligned<uint64_t>(p) ^ load_unaligned<uint64_t>(q)) |
                (load_unaligned<uint64_t>(p + n - 8) ^ load_unaligned<uint64_t>(q + n - 8))) == 0;
    if (n >= 4 && n < 8)
        return ((load_unaligned<uint32_t>(p) ^ load_unaligned<uint32_t>(q)) |
                (load_unaligned<uint32_t>(p + n - 4) ^ load_unaligned<uint32_t>(q + n - 4))) == 0;
    return std::memcmp(p, q, n) == 0;
}

}  // namespace

namespace {

// The error outcomes, out of line and cold: building their messages would
// otherwise give the hot path a large frame and spill its registers.
[[gnu::cold, gnu::noinline]] void set_error(RunResult &r, std::string msg, ErrorKind kind = ErrorKind::InvalidArgument) {
    r.kind = RunResult::Kind::Error;
    r.error = make_error(std::move(msg), kind);
}

[[gnu::cold, gnu::noinline]] void unknown_export(RunResult &r, std::string_view name, const DlModule &m) {
    set_error(r, "unknown export " + std::string(name) + " (function) in " + m.path(), ErrorKind::NotFound);
}

[[gnu::cold, gnu::noinline]] void no_function(RunResult &r, uint32_t func_index, const DlModule &m) {
    set_error(r, "no function " + std::to_string(func_index) + " in " + m.path(), ErrorKind::NotFound);
}

// Argument count or types do not match ft.
[[gnu::cold, gnu::noinline]] void bad_arguments(RunResult &r, uint32_t func_index, const FuncType &ft,
                                                std::span<const Val> args) {
    std::string head = "function " + std::to_string(func_index) + " " + describe_functype(ft);
    if (args.size() != ft.params.size()) {
        set_error(r, head + " takes " + std::to_string(ft.params.size()) + " arguments, got " +
                         std::to_string(args.size()));
        return;
    }
    for (size_t i = 0; i < args.size(); i++)
        if (args[i].type != ft.params[i]) {
            set_error(r, head + ": argument " + std::to_string(i) + " must be " + valtype_name(ft.params[i]) +
                             ", got " + valtype_name(args[i].type));
            return;
        }
}

}  // namespace

// Embedders call the same export over and over: the last name looked up is
// remembered (a short compare instead of hashing the name). The function
// index of the export `name`, or UINT32_MAX when there is none.
__attribute__((always_inline)) inline uint32_t Instance::Impl::export_index(std::string_view name) {
    const auto *last = last_export.load(std::memory_order_acquire);
    if (__builtin_expect(last && same_name(name, last->first), 1)) return last->second;
    const auto &exports = self->module_->impl_->func_exports;
    auto it = exports.find(name);
    if (it == exports.end()) return UINT32_MAX;
    last_export.store(&*it, std::memory_order_release);
    return it->second;
}

// Every path below fills the caller's RunResult in place (the named return
// value of run/run_func): no RunResult is moved or destroyed per call.
namespace {

// Clears what a previous outcome may have set in a kept RunResult; values
// keep their capacity.
__attribute__((always_inline)) inline void reset_kept(RunResult &r) {
    if (__builtin_expect(r.kind != RunResult::Kind::Returned, 0)) {
        r.trap = TrapInfo{};
        r.exit_code = 0;
        r.killed = false;
        r.yielded = Val{};
        r.error = Error{};
    }
    r.kind = RunResult::Kind::Returned;
    r.values.clear();
}

}  // namespace

void Instance::run(std::string_view export_name, std::span<const Val> args, RunResult &r) {
    reset_kept(r);
    Impl &im = *impl_;
    const uint32_t f = im.export_index(export_name);
    if (__builtin_expect(f == UINT32_MAX, 0)) return unknown_export(r, export_name, *module_);
    im.call_index(f, args, r);
}

RunResult Instance::run(std::string_view export_name, std::span<const Val> args) {
    RunResult r;
    Impl &im = *impl_;
    const uint32_t f = im.export_index(export_name);
    if (__builtin_expect(f == UINT32_MAX, 0)) {
        unknown_export(r, export_name, *module_);
        return r;
    }
    im.call_index(f, args, r);
    return r;
}

const FuncType *Instance::export_func_type(std::string_view name) {
    Impl &im = *impl_;
    const uint32_t f = im.export_index(name);
    return f < im.func_sig.size() ? &module_->impl_->sigs[im.func_sig[f]] : nullptr;
}

void Instance::run_func(uint32_t func_index, std::span<const Val> args, RunResult &r) {
    reset_kept(r);
    impl_->call_index(func_index, args, r);
}

const FuncType *Instance::func_type(uint32_t func_index) const {
    const Impl &im = *impl_;
    return func_index < im.func_sig.size() ? &module_->impl_->sigs[im.func_sig[func_index]] : nullptr;
}

uint32_t Instance::export_func_index(std::string_view name) { return impl_->export_index(name); }

RunResult Instance::run_func(uint32_t func_index, std::span<const Val> args) {
    RunResult r;
    impl_->call_index(func_index, args, r);
    return r;
}

__attribute__((always_inline)) inline void Instance::Impl::call_index(uint32_t func_index, std::span<const Val> args,
                                                                      RunResult &r) {
    Impl &im = *this;
    CallSite &cs = im.last_call;
    if (__builtin_expect(cs.index != func_index || func_index == UINT32_MAX, 0)) {
        const DlModule &module = *self->module_;
        if (func_index >= im.funcs.size()) return no_function(r, func_index, module);
        const uint32_t sig = im.func_sig[func_index];
        const DlModule::Impl &mi = *module.impl_;
        cs.type = &mi.sigs[sig];
        cs.slots = &mi.sig_slots[sig];
        cs.tramp = module.desc().sigs[sig].trampoline;
        cs.fn = im.funcs[func_index].func;
        cs.fn_ctx = im.funcs[func_index].vmctx;
        cs.index = func_index;
    }
    const FuncType &ft = *cs.type;
    bool args_ok = args.size() == ft.params.size();
    for (size_t i = 0; args_ok && i < args.size(); i++) args_ok = args[i].type == ft.params[i];
    if (__builtin_expect(!args_ok, 0)) return bad_arguments(r, func_index, ft, args);
    // An instance runs on one thread at a time (the caller's contract; the C
    // API enforces it with a claim of its own, InstanceBox::claim); this
    // catches the misuse that is easy to make: a host function running its
    // own instance again, which would reuse the live guest stack.
    if (const Phase p = im.phase_now(); __builtin_expect(p != Phase::Ready, 0))
        return set_error(r, p == Phase::Running
                                ? "instance is already running (runs do not nest on one instance)"
                                : "instance is yielded: resume() it or reset() it before running it again");

    // Argument and result slots live in the Impl (a yielded run returns to
    // its results later) for the usual small signatures. One slot per value,
    // two per v128 (lucet_abi.h).
    const DlModule::Impl::SigSlots &slots = *cs.slots;
    uint64_t *argp = im.argbuf;
    im.resp = im.resbuf;
    if (slots.args > Impl::kInline) argp = (im.argvec.resize(slots.args), im.argvec.data());
    if (slots.results > Impl::kInline) im.resp = (im.resvec.resize(slots.results), im.resvec.data());
    if (!slots.v128) {
        for (size_t i = 0; i < args.size(); i++) argp[i] = args[i].bits;
    } else {
        for (size_t i = 0, s = 0; i < args.size(); i++) {
            argp[s++] = args[i].bits;
            if (args[i].type == ValType::V128) argp[s++] = args[i].hi;
        }
    }

    RunState &rs = im.rs;
    rs.tramp = cs.tramp;
    rs.fn = cs.fn;
    rs.fn_ctx = cs.fn_ctx;
    rs.args = argp;
    rs.results = im.resp;
    im.run_type = &ft;
    im.run_slots = &slots;
    im.enter_inline(true, r);
}

RunResult Instance::Impl::enter(bool fresh) {
    RunResult r;
    enter_inline(fresh, r);
    return r;
}

__attribute__((always_inline)) inline void Instance::Impl::enter_inline(bool fresh, RunResult &r) {
    Instance &inst = *self;
    RunState &rs = this->rs;
    KillSwitch::State &ks = *kill;
    if (__builtin_expect(!ensure_altstack(inst.region_->limits().signal_stack_size), 0))
        return set_error(r, "cannot install an alternate signal stack of " +
                                std::to_string(inst.region_->limits().signal_stack_size) + " bytes for this thread (" +
                                std::strerror(errno) + "): without one a guest stack overflow would kill the process");
    const bool grouped = linked.load(std::memory_order_relaxed);
    if (grouped && !group_enter())
        return set_error(r, "a linked instance is running on another thread (linked instances run one at a time)");
    set_phase(Phase::Running);

    // Publish "running on this thread", then look for a kill requested
    // before the run (re)started. No full barrier here (it would cost a
    // locked instruction on every run): if terminate() stores kill_gen just
    // as we start, we may miss it here while it still reads Idle; it then
    // hands the kill to the watchdog, which keeps looking for a moment and
    // signals us once our Running store is visible (lifecycle.cpp).
    ks.tid.store(current_tid(), std::memory_order_relaxed);
    ks.word.store(gen << 2 | KillSwitch::State::Running, std::memory_order_release);
    if (ks.kill_gen.load(std::memory_order_relaxed) == gen) {
        rs.set_exited(0, true);
    } else {
        // Clear the previous outcome (the RunState is reused). Only a run
        // that did not return normally leaves anything to clear: the trap
        // and exit fields are written only on the way to such an outcome.
        if (__builtin_expect(rs.kind != RunResult::Kind::Returned, 0)) {
            rs.kind = RunResult::Kind::Returned;
            rs.killed = false;
            rs.trap = LUCET_TRAP_NONE;
            rs.trap_text = nullptr;
            rs.trap_fp = rs.trap_sp = 0;
            rs.trap_site = RunState::kNoSite;
            rs.pc_is_return = false;
            rs.trap_pc = rs.fault_addr = rs.fault_heap_base = 0;
        }
        rs.prev = tls_run;
        rs.inst = this;
        tls_run = &rs;
        if (!grouped) inst.vmctx_->stack_limit = stack_limit;  // see Instance::create; group_enter sets it
        std::atomic_signal_fence(std::memory_order_seq_cst);
        // Guests compute with IEEE defaults whatever the host thread set
        // (flush-to-zero and denormals-are-zero from -ffast-math, another
        // rounding, unmasked exceptions that would trap): MXCSR's control
        // bits are set to the default for the run and the host's restored
        // after it; the sticky status bits are left alone (no write at all
        // when the controls already are the default).
        const uint32_t host_csr = __builtin_ia32_stmxcsr();
        const bool csr_differs = (host_csr & ~kMxcsrStatus) != kGuestMxcsr;
        if (__builtin_expect(csr_differs, 0)) __builtin_ia32_ldmxcsr(kGuestMxcsr);
        if (fresh) {
            // The bootstrap starts at top - 16 (16-byte aligned for its call)
            // and clears rbp itself (the end of the frame chain for
            // backtraces).
            uintptr_t top = reinterpret_cast<uintptr_t>(slot_base + region->stack_end_guard_off);
            lucet_context_enter(&rs.host_sp, &rs, top - 16);
        } else {
            lucet_context_swap(&rs.host_sp, rs.guest_sp);
        }
        if (__builtin_expect(csr_differs, 0)) __builtin_ia32_ldmxcsr(host_csr);
        std::atomic_signal_fence(std::memory_order_seq_cst);
        if (!grouped) inst.vmctx_->stack_limit = 0;
        tls_run = rs.prev;
    }
    if (grouped) group_exit();

    r.kind = rs.kind;
    if (__builtin_expect(last_trap.has_value(), 0)) last_trap.reset();
    if (__builtin_expect(rs.kind != RunResult::Kind::Returned, 0)) {
        finish_other(r);
        return;
    }
    gen++;
    ks.word.store(gen << 2 | KillSwitch::State::Idle, std::memory_order_release);
    set_phase(Phase::Ready);
    const FuncType &ft = *run_type;
    if (!ft.results.empty()) {
        r.values.resize(ft.results.size());
        if (!run_slots->v128) {
            for (size_t i = 0; i < ft.results.size(); i++) r.values[i] = Val{ft.results[i], resp[i]};
        } else {
            for (size_t i = 0, s = 0; i < ft.results.size(); i++) {
                ValType t = ft.results[i];
                r.values[i] = Val{t, resp[s], t == ValType::V128 ? resp[s + 1] : 0};
                s += t == ValType::V128 ? 2 : 1;
            }
        }
    }
}

void Instance::Impl::finish_other(RunResult &r) {
    KillSwitch::State &ks = *kill;
    if (rs.kind == RunResult::Kind::Yielded) {
        // Not finished: the generation stays (a kill now targets the resume).
        ks.word.store(gen << 2 | KillSwitch::State::Yielded, std::memory_order_release);
        set_phase(Phase::Yielded);
        r.yielded = rs.yielded;
        return;
    }
    gen++;
    ks.word.store(gen << 2 | KillSwitch::State::Idle, std::memory_order_release);
    set_phase(Phase::Ready);

    switch (rs.kind) {
    case RunResult::Kind::Trapped:
        r.trap.code = rs.trap;
        r.trap.text = rs.trap_text;
        r.trap.pc = rs.trap_pc;
        r.trap.fault_addr = rs.fault_addr;
        if (rs.fault_heap_base) r.trap.heap_offset = static_cast<int64_t>(rs.fault_addr - rs.fault_heap_base);
        fill_backtrace(rs, r.trap);
        last_trap = r.trap;
        break;
    case RunResult::Kind::Exited:
        r.exit_code = rs.exit_code;
        r.killed = rs.killed;
        break;
    case RunResult::Kind::Returned:  // enter_inline's
    case RunResult::Kind::Yielded:
    case RunResult::Kind::Error: break;
    }
}

Instance::SlotLayout Instance::slot_layout() const {
    const Region::Impl &ri = *impl_->region;
    SlotLayout l;
    l.slot = impl_->slot_base;
    l.slot_size = ri.slot_size;
    l.vmctx = l.slot;
    l.vmctx_size = ri.heap_off;
    l.heap = l.slot + ri.heap_off;
    l.heap_reserved = ri.heap_reserved;
    l.stack_guard = l.slot + ri.stack_guard_off;
    l.stack = l.slot + ri.stack_off;
    l.stack_size = ri.stack_end_guard_off - ri.stack_off;
    l.stack_end_guard = l.slot + ri.stack_end_guard_off;
    return l;
}

}  // namespace lucet
