// signals.cpp: the process-wide fault handler that turns guest memory and
// stack faults into traps, forwarding everything else to whoever had the
// signal before us.
//
// Rules the handler follows: no allocation, no locks, no stdio. It reads the
// thread's RunState (initial-exec TLS) and the fixed registries of code
// ranges and reserved areas. A guest fault is answered by rewriting the
// ucontext so that sigreturn lands in lucet_context_set(host_sp): the kernel
// restores the signal mask and leaves the alternate stack itself, and no
// guest frame is unwound (Lucet's approach; no siglongjmp).
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "runtime/internal.h"
#include "util/thread_exit.h"

namespace lucet {

namespace rt {

constinit thread_local RunState *tls_run __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
struct sigaction g_prev[NSIG];

// Forwards a signal that is not ours to the previous disposition.
void forward(int sig, siginfo_t *info, void *uc) {
    const struct sigaction &prev = g_prev[sig];
    // SIG_DFL and SIG_IGN are no functions, whatever sa_flags says (a
    // sigaction of SIG_IGN with SA_SIGINFO set called address 1). The two
    // members share their storage, so sa_handler tells.
    const bool dfl = prev.sa_handler == SIG_DFL, ign = prev.sa_handler == SIG_IGN;
    if (!dfl && !ign) {
        if (prev.sa_flags & SA_SIGINFO) prev.sa_sigaction(sig, info, uc);
        else prev.sa_handler(sig);
        return;
    }
    // A synchronous fault re-executes on return, so it cannot be ignored
    // (that would loop). Everything else (a sent signal, a timer's SIGALRM,
    // whatever its si_code) can: ignored stays ignored, and the runtime's
    // handler stays installed (a timer SIGALRM used to install SIG_DFL
    // here, and the next kill switch signal killed the process).
    const bool fault = info->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL);
    if (ign && !fault) return;
    // Default action: restore the default and let it happen. A real fault
    // re-executes on return and now kills the process with the right
    // signal; any other signal is re-raised (delivered after return, as it
    // is blocked inside this handler).
    struct sigaction dfl_action;
    std::memset(&dfl_action, 0, sizeof dfl_action);
    dfl_action.sa_handler = SIG_DFL;
    sigemptyset(&dfl_action.sa_mask);
    sigaction(sig, &dfl_action, nullptr);
    if (!fault) raise(sig);
}

void handler(int sig, siginfo_t *info, void *uc) {
    RunState *rs = tls_run;
    if (rs) {
        uintptr_t pc = uc_pc(uc);
        uintptr_t addr = reinterpret_cast<uintptr_t>(info->si_addr);
        bool in_code = module_at_pc(pc) != nullptr;
        lucet_trapcode code = LUCET_TRAP_NONE;
        uintptr_t heap_base = 0;
        if (info->si_code <= 0) {
            // Sent by kill/raise/sigqueue, not a fault: never a trap.
        } else if (in_code && (sig == SIGSEGV || sig == SIGBUS)) {
            // Only the module's own code faults as a guest: its loads and
            // stores (heap guard) and its frames (stack guard). Generated
            // code calls no libc routine that touches the heap (bulk memory
            // goes through the runtime's helpers, which check bounds first;
            // constant-size memcpys are inlined at every -O level), and host
            // code (WASI, embedder host functions, helpers) gets the
            // host-call reserve above stack_limit, which each checked guest
            // frame leaves free (func_body.cpp). So a fault with the PC
            // outside the module is a host bug, even on a guest's guard
            // page: it is forwarded (fatal by default), never a trap that
            // would drop host frames holding locks, fds or memory. Then
            // classify by address: only these two kinds exist, so other
            // addresses are fatal and forwarded.
            FaultKind k = classify_fault(addr, &heap_base);
            if (k == FaultKind::Heap) code = LUCET_TRAP_HEAP_OOB;
            else if (k == FaultKind::StackGuard) code = LUCET_TRAP_STACK_OVERFLOW;
        } else if (in_code && sig == SIGFPE) {
            // Generated code checks division explicitly; this is a safety net.
            code = info->si_code == FPE_INTOVF ? LUCET_TRAP_INT_OVERFLOW : LUCET_TRAP_INT_DIV_BY_ZERO;
        } else if (in_code && sig == SIGILL) {
            code = LUCET_TRAP_UNREACHABLE;  // __builtin_trap()'s ud2
        }
        if (code != LUCET_TRAP_NONE) {
            rs->kind = RunResult::Kind::Trapped;
            rs->trap = code;
            rs->trap_pc = pc;
            rs->pc_is_return = false;
            rs->trap_fp = uc_fp(uc);
            rs->trap_sp = uc_sp(uc);
            rs->trap_site = RunState::kNoSite;
            rs->fault_addr = (sig == SIGSEGV || sig == SIGBUS) ? addr : 0;
            rs->fault_heap_base = heap_base;
            uc_redirect_to_context_set(uc, rs->host_sp);
            return;
        }
    }
    forward(sig, info, uc);
}

// The kill switch's signal: ours only when it carries g_kill_marker (sent by
// send_kill_signal); any other SIGALRM goes to the previous disposition.
// errno is preserved: the signal may land in host code between a system
// call and its errno check.
void kill_handler(int sig, siginfo_t *info, void *uc) {
    if (info->si_code == SI_QUEUE && info->si_value.sival_ptr == &g_kill_marker && info->si_pid == getpid()) {
        int saved = errno;
        handle_kill_signal(uc);
        errno = saved;
        return;
    }
    forward(sig, info, uc);
}

std::once_flag g_install_once;

// The length of the alternate signal stack mapping this thread installed
// (0: none). Unmapped at thread exit, also when the thread's first run
// comes from a pthread key destructor (util/thread_exit.h: a thread_local's
// destructor registered that late never ran, leaking a mapping per thread).
constinit thread_local size_t t_altstack_len __attribute__((tls_model("initial-exec"))) = 0;

void free_altstack(void *map) {
    stack_t cur;
    // Only disable it if it is still ours (someone may have replaced it).
    if (sigaltstack(nullptr, &cur) == 0 && cur.ss_sp == static_cast<uint8_t *>(map) + kPage) {
        stack_t off{};
        off.ss_flags = SS_DISABLE;
        sigaltstack(&off, nullptr);
    }
    munmap(map, t_altstack_len);
    t_altstack_len = 0;
    t_altstack_checked = false;  // a run later in the thread's exit installs one again
}
constinit ThreadExitKey g_altstack_exit(free_altstack);

}  // namespace

constinit thread_local bool t_altstack_checked __attribute__((tls_model("initial-exec"))) = false;

bool install_altstack(uint64_t size) {
    if (t_altstack_checked) return true;
    // A thread that blocks the fault signals (a sigwait design blocks all
    // of them) would die of a guest's fault: the kernel forces the default
    // action on a blocked synchronous fault. Blocking them has no other
    // effect, so they are unblocked on the thread's first run.
    sigset_t faults;
    sigemptyset(&faults);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) sigaddset(&faults, sig);
    pthread_sigmask(SIG_UNBLOCK, &faults, nullptr);
    stack_t cur;
    if (sigaltstack(nullptr, &cur) == 0 && !(cur.ss_flags & SS_DISABLE) && cur.ss_size >= (16u << 10))
        return t_altstack_checked = true;  // an adequate one exists (Go's, or the embedder's): keep it
    // A guard page below the stack so a handler overflow faults instead of
    // silently corrupting memory.
    size_t len = size + kPage;
    void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;  // (tried again at the next run)
    mprotect(p, kPage, PROT_NONE);
    stack_t ss{};
    ss.ss_sp = static_cast<uint8_t *>(p) + kPage;
    ss.ss_size = size;
    if (sigaltstack(&ss, nullptr) != 0) {
        int e = errno;
        munmap(p, len);
        errno = e;
        return false;
    }
    t_altstack_checked = true;
    t_altstack_len = len;
    // Without a key (the process is out of them) it stays mapped after the
    // thread exits.
    g_altstack_exit.arm(p);
    return true;
}

}  // namespace rt

void install_signal_handlers() {
    std::call_once(rt::g_install_once, [] {
        for (int sig : rt::kSignals) {
            struct sigaction sa;
            std::memset(&sa, 0, sizeof sa);
            sa.sa_sigaction = rt::handler;
            // SA_ONSTACK: a stack overflow leaves no room on the guest stack.
            // No SA_NODEFER: a fault inside the handler itself must kill the
            // process rather than recurse. The interrupted mask (and so the
            // unblocking of this signal) comes back with sigreturn.
            sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
            sigemptyset(&sa.sa_mask);
            sigaction(sig, &sa, &rt::g_prev[sig]);
        }
        // The kill signal: SA_RESTART so that host code interrupted by a
        // pending kill (the watchdog re-sends it every millisecond) sees
        // restartable system calls restarted rather than failing with EINTR.
        struct sigaction ka;
        std::memset(&ka, 0, sizeof ka);
        ka.sa_sigaction = rt::kill_handler;
        ka.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
        sigemptyset(&ka.sa_mask);
        sigaction(rt::kKillSignal, &ka, &rt::g_prev[rt::kKillSignal]);
    });
}

}  // namespace lucet
