// run.cpp: running exports on the instance's guest stack, and leaving it
// (return, trap, terminate).
//
// run() prepares the top of the slot's stack so that a context swap "returns"
// into lucet_context_bootstrap, which calls guest_entry(RunState*). The guest
// leaves by lucet_context_set(host_sp): after a normal return, from the trap
// helper, from terminate(), or from the signal handler's ucontext rewrite. No
// guest frame is ever unwound; the next run simply starts at the stack top
// again. The hot path makes no allocation (unless results are returned, which
// RunResult::values needs) and no system call.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "runtime/internal.h"

namespace lucet {

using namespace rt;

namespace {

[[noreturn]] void guest_entry(RunState *rs) {
    rs->tramp(rs->fn, rs->fn_ctx, rs->args, rs->results);
    rs->kind = RunResult::Kind::Returned;
    lucet_context_set(rs->host_sp);
}

RunResult error_result(std::string msg) {
    RunResult r;
    r.kind = RunResult::Kind::Error;
    r.error = make_error(std::move(msg));
    return r;
}

// Names the wasm function a trap happened in. A fault's PC is inside the
// function. A trap raised through lucet_rt.trap reports the helper's return
// address, which may lie in a module-local wrapper (lucetc's cold, noreturn
// lucet_trap()) rather than in the function; then the wrapper's own return
// address, a few words up the abandoned but intact guest stack, names it.
std::string trap_function_name(const RunState &rs) {
    // A helper's return address may be one past the function's last byte
    // (the trap call ends it): look up the byte before.
    uintptr_t pc = rs.pc_is_return ? rs.trap_pc - 1 : rs.trap_pc;
    const DlModule *m = module_at_pc(pc);
    if (!m) return {};
    std::optional<uint32_t> idx = m->function_index_at(pc);
    if (!idx && rs.trap_stack) {
        // Look for the return address of a `call rel32` whose target is the
        // wrapper trap_pc lies in. The scan stays below the top of the stack
        // the guest ran on.
        auto *bottom = reinterpret_cast<const uintptr_t *>(rs.inst->slot_base + rs.inst->region->stack_off);
        auto *top = reinterpret_cast<const uintptr_t *>(rs.inst->slot_base + rs.inst->region->stack_end_guard_off);
        if (rs.trap_stack < bottom) return {};
        for (const uintptr_t *p = rs.trap_stack; p < rs.trap_stack + 16 && p < top && !idx; p++) {
            uintptr_t w = *p;
            if (module_at_pc(w - 5) != m || module_at_pc(w - 1) != m) continue;
            const auto *code = reinterpret_cast<const uint8_t *>(w);
            if (code[-5] != 0xE8) continue;
            int32_t rel;
            std::memcpy(&rel, code - 4, 4);
            uintptr_t target = w + static_cast<intptr_t>(rel);
            if (target > rs.trap_pc || rs.trap_pc - target > 256) continue;
            idx = m->function_index_at(w - 1);
        }
    }
    return idx ? m->function_name(*idx) : std::string();
}

}  // namespace

[[noreturn]] void rt::trap_to_host(lucet_trapcode code, uintptr_t pc, const char *text, const uintptr_t *stack) {
    RunState *rs = tls_run;
    if (!rs) {
        std::fprintf(stderr, "lucet: trap \"%s\" outside of any running instance; aborting\n",
                     text ? text : trapcode_name(code));
        std::abort();
    }
    rs->kind = RunResult::Kind::Trapped;
    rs->trap = code;
    rs->trap_text = text;
    rs->trap_pc = pc;
    rs->trap_stack = stack;
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
    rs->kind = RunResult::Kind::Exited;
    rs->exit_code = exit_code;
    lucet_context_set(rs->host_sp);
}

RunResult Instance::run(std::string_view export_name, std::span<const Val> args) {
    const auto &exports = module_->impl_->func_exports;
    auto it = exports.find(export_name);
    if (it == exports.end())
        return error_result("unknown export " + std::string(export_name) + " (function) in " + module_->path());
    return run_func(it->second, args);
}

RunResult Instance::run_func(uint32_t func_index, std::span<const Val> args) {
    Impl &im = *impl_;
    if (func_index >= im.funcs.size())
        return error_result("no function " + std::to_string(func_index) + " in " + module_->path());
    const FuncType &ft = module_->impl_->sigs[im.func_sig[func_index]];
    if (args.size() != ft.params.size())
        return error_result("function " + std::to_string(func_index) + " " + describe_functype(ft) + " takes " +
                            std::to_string(ft.params.size()) + " arguments, got " + std::to_string(args.size()));
    for (size_t i = 0; i < args.size(); i++)
        if (args[i].type != ft.params[i])
            return error_result("function " + std::to_string(func_index) + " " + describe_functype(ft) +
                                ": argument " + std::to_string(i) + " must be " + vt_name(ft.params[i]) + ", got " +
                                vt_name(args[i].type));
    // An instance runs on one thread at a time (the caller's contract); this
    // catches the misuse that is easy to make: a host function running its
    // own instance again, which would reuse the live guest stack.
    if (im.running.load(std::memory_order_relaxed))
        return error_result("instance is already running (runs do not nest on one instance)");
    im.running.store(true, std::memory_order_relaxed);

    // Argument and result slots live on this (host) stack for the usual
    // small signatures.
    constexpr size_t kInline = 32;
    uint64_t argbuf[kInline], resbuf[kInline];
    std::vector<uint64_t> argvec, resvec;
    uint64_t *argp = argbuf, *resp = resbuf;
    if (args.size() > kInline) argp = (argvec.resize(args.size()), argvec.data());
    if (ft.results.size() > kInline) resp = (resvec.resize(ft.results.size()), resvec.data());
    for (size_t i = 0; i < args.size(); i++) argp[i] = args[i].bits;

    ensure_altstack(region_->limits().signal_stack_size);

    const lucet_funcref &f = im.funcs[func_index];
    RunState rs;
    rs.inst = &im;
    rs.tramp = module_->desc().sigs[im.func_sig[func_index]].trampoline;
    rs.fn = f.func;
    rs.fn_ctx = f.vmctx;
    rs.args = argp;
    rs.results = resp;

    // The initial guest frame, read by lucet_context_swap's pops: r15 r14
    // r13 r12 rbx rbp, then the return address. After the pops and the ret,
    // rsp = top - 16: 16-byte aligned for the call in the bootstrap.
    uintptr_t top = reinterpret_cast<uintptr_t>(im.slot_base + im.region->stack_end_guard_off);
    auto *frame = reinterpret_cast<uint64_t *>(top - 72);
    frame[0] = 0;
    frame[1] = 0;
    frame[2] = reinterpret_cast<uintptr_t>(&guest_entry);
    frame[3] = reinterpret_cast<uintptr_t>(&rs);
    frame[4] = 0;
    frame[5] = 0;
    frame[6] = reinterpret_cast<uintptr_t>(&lucet_context_bootstrap);

    rs.prev = tls_run;
    tls_run = &rs;
    vmctx_->stack_limit = im.stack_limit;  // see Instance::create
    std::atomic_signal_fence(std::memory_order_seq_cst);
    lucet_context_swap(&rs.host_sp, reinterpret_cast<uintptr_t>(frame));
    std::atomic_signal_fence(std::memory_order_seq_cst);
    vmctx_->stack_limit = 0;
    tls_run = rs.prev;
    im.running.store(false, std::memory_order_relaxed);

    RunResult r;
    r.kind = rs.kind;
    switch (rs.kind) {
    case RunResult::Kind::Returned:
        if (!ft.results.empty()) {
            r.values.resize(ft.results.size());
            for (size_t i = 0; i < ft.results.size(); i++) r.values[i] = Val{ft.results[i], resp[i]};
        }
        break;
    case RunResult::Kind::Trapped:
        r.trap.code = rs.trap;
        r.trap.text = rs.trap_text;
        r.trap.pc = rs.trap_pc;
        r.trap.fault_addr = rs.fault_addr;
        if (rs.fault_heap_base) r.trap.heap_offset = static_cast<int64_t>(rs.fault_addr - rs.fault_heap_base);
        r.trap.function = trap_function_name(rs);
        break;
    case RunResult::Kind::Exited: r.exit_code = rs.exit_code; break;
    case RunResult::Kind::Error: break;
    }
    return r;
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
