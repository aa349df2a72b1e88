// lifecycle.cpp: what an embedder does with an instance beyond running it:
// the kill switch (from any thread), yield/resume from host functions, reset
// to the freshly instantiated state, host-side memory.grow, run_start.
//
// Kill switch design (after Lucet's KillState, simplified by the fact that
// generated code calls host functions directly, with no hostcall wrapper to
// mark "in a host function"):
//  - A per-instance State holds word = generation << 2 | phase. The thread
//    running the instance owns the generation (Instance::Impl::gen); it
//    publishes phase Running with a plain release store before checking
//    kill_gen, and Idle/Yielded with a release store afterwards (no locked
//    instruction on the run path).
//  - terminate() stores kill_gen = its generation, then reads word: if the
//    targeted run is Running it signals the thread (SIGALRM with a marker
//    value, via rt_tgsigqueueinfo). A run starting concurrently may miss
//    kill_gen while terminate() still reads Idle (store-load reordering);
//    the watchdog therefore also watches kills on Idle instances for 10 ms
//    and signals the run once it shows up as Running. The same holds for a
//    Yielded instance and a resume() starting concurrently.
//  - One kill per generation: the first terminate() of a run stores kill_gen,
//    signals and adds the run's one watchdog entry; later ones (repeated
//    calls, other switches of the same run) find kill_gen already set and
//    only return true. The entry stays while the run is Running, so nothing
//    more is needed; once it is dropped the run is over or, Idle or Yielded
//    for 10 ms, sees kill_gen when it goes on.
//  - The signal handler stops the guest only when the interrupted PC is in
//    module code, where abandoning the guest stack is safe (as for a trap).
//    Elsewhere (a host function, a runtime helper, libc) it does nothing and
//    the kill stays pending: a watchdog thread re-sends the signal every
//    millisecond while the targeted run is still Running, so the guest stops
//    within ~1 ms of control coming back to module code. The bulk-operation
//    helpers look at kill_gen themselves (helpers.cpp), so a guest looping
//    on table.fill or table.copy is stopped within a chunk. Host functions are
//    never cut short; a blocking system call in one may see EINTR (with
//    SA_RESTART, read/write restart; poll/nanosleep return EINTR, so a WASI
//    sleep or poll ends early and the guest is stopped right after it).
//  - A run that finishes (or a reset) bumps the generation: older switches
//    no longer match and terminate() returns false.
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <atomic>

#include "runtime/internal.h"

namespace lucet {

using namespace rt;

namespace rt {

const int g_kill_marker = 0x6b696c6c;  // its address is the marker

constinit thread_local pid_t t_tid __attribute__((tls_model("initial-exec"))) = 0;

namespace {
void forget_after_fork();
std::once_flag g_atfork_once;
}  // namespace

pid_t fetch_tid() {
    // A forked child's thread has a tid of its own: the cache is forgotten
    // in the child (with the parent's watchdog thread, which the child does
    // not have), or kill switches in the child signalled a tid that does not
    // exist there.
    std::call_once(g_atfork_once, [] { pthread_atfork(nullptr, nullptr, forget_after_fork); });
    t_tid = static_cast<pid_t>(syscall(SYS_gettid));
    return t_tid;
}

void send_kill_signal(pid_t tid) {
    siginfo_t si;
    std::memset(&si, 0, sizeof si);
    si.si_signo = kKillSignal;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_ptr = const_cast<int *>(&g_kill_marker);
    syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, kKillSignal, &si);
}

bool handle_kill_signal(void *uc) {
    RunState *rs = tls_run;
    if (!rs || !rs->inst) return false;
    Instance::Impl *im = rs->inst;
    // Only the innermost run on this thread can be stopped here; a kill for
    // an enclosing run (a host function running another instance) takes
    // effect when control is back in that run's module code.
    if (im->kill->kill_gen.load(std::memory_order_relaxed) != im->gen) return false;
    if (!module_at_pc(uc_pc(uc))) {
        // In host code (a host function, WASI): generated code polls
        // vmctx->interrupt right after each call of an import, so the guest
        // stops as soon as that call returns; the watchdog's signals cover
        // code that is not back from an import call.
        if (im->self && im->self->vmctx()) im->self->vmctx()->interrupt = 1;
        return false;
    }
    rs->set_exited(0, true);
    uc_redirect_to_context_set(uc, rs->host_sp);
    return true;
}

namespace {

// Re-sends the kill signal every millisecond to runs whose kill is pending.
class Watchdog {
public:
    void add(std::shared_ptr<KillSwitch::State> st, uint64_t gen) {
        std::lock_guard<std::mutex> lock(mu_);
        entries_.push_back({std::move(st), gen});
        if (!started_) {
            started_ = true;
            std::thread([this] { loop(); }).detach();
        }
        cv_.notify_one();
    }
    size_t size() {
        std::lock_guard<std::mutex> lock(mu_);
        return entries_.size();
    }

private:
    struct Entry {
        std::shared_ptr<KillSwitch::State> st;
        uint64_t gen;
        int idle_ticks = 0;
    };
    // How long a kill on an Idle or Yielded instance is watched: a run or
    // resume that starts after that has long seen kill_gen (the window is a
    // store-buffer drain).
    static constexpr int kIdleTicks = 10;
    void loop() {
        std::unique_lock<std::mutex> lock(mu_);
        for (;;) {
            cv_.wait(lock, [this] { return !entries_.empty(); });
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            lock.lock();
            for (size_t i = 0; i < entries_.size();) {
                Entry &e = entries_[i];
                uint64_t w = e.st->word.load(std::memory_order_acquire);
                bool drop = (w >> 2) != e.gen ||  // finished
                            ((w & 3) != KillSwitch::State::Running && ++e.idle_ticks > kIdleTicks);
                if (drop) {
                    entries_[i] = std::move(entries_.back());
                    entries_.pop_back();
                    continue;
                }
                if ((w & 3) == KillSwitch::State::Running) send_kill_signal(e.st->tid.load(std::memory_order_relaxed));
                i++;
            }
        }
    }
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Entry> entries_;
    bool started_ = false;
};

// Never destroyed: its thread is detached. A forked child starts a new one
// (the parent's thread, and whatever state its mutex and condition variable
// were in, are not the child's): the old one is left unused.
std::atomic<Watchdog *> g_watchdog{nullptr};

Watchdog &watchdog() {
    Watchdog *w = g_watchdog.load(std::memory_order_acquire);
    if (__builtin_expect(w != nullptr, 1)) return *w;
    auto *fresh = new Watchdog();
    if (g_watchdog.compare_exchange_strong(w, fresh, std::memory_order_acq_rel)) return *fresh;
    delete fresh;  // another thread made it first
    return *w;
}

void forget_after_fork() {
    t_tid = 0;
    g_watchdog.store(nullptr, std::memory_order_relaxed);
}

}  // namespace

size_t watchdog_entries() { return watchdog().size(); }

}  // namespace rt

bool KillSwitch::terminate() {
    State &st = *st_;
    {
        std::lock_guard<std::mutex> lock(st.mu);
        if (!st.alive) return false;
        if ((st.word.load(std::memory_order_acquire) >> 2) != gen_) return false;  // that run is over
        // Requested before (under st.mu, so exactly one call gets past
        // this): its signal and watchdog entry deliver it.
        if (st.kill_gen.load(std::memory_order_relaxed) == gen_) return true;
        st.kill_gen.store(gen_, std::memory_order_seq_cst);
        uint64_t w = st.word.load(std::memory_order_seq_cst);
        if ((w >> 2) != gen_) return false;  // finished meanwhile
        // Running: signal now. Idle or Yielded: the run or resume() will see
        // kill_gen when it starts, unless it is starting right now (see
        // Impl::enter_inline); the watchdog covers that window.
        if ((w & 3) == State::Running) send_kill_signal(st.tid.load(std::memory_order_relaxed));
    }
    // Outside st.mu: the watchdog takes its own lock, then reads st atomics only.
    watchdog().add(st_, gen_);
    return true;
}

std::shared_ptr<KillSwitch> Instance::kill_switch() {
    return std::make_shared<KillSwitch>(impl_->kill, impl_->kill->word.load(std::memory_order_acquire) >> 2);
}

bool Instance::kill_pending() const {
    const KillSwitch::State &st = *impl_->kill;
    return st.kill_gen.load(std::memory_order_relaxed) == impl_->gen &&
           (st.word.load(std::memory_order_relaxed) & 3) == KillSwitch::State::Running;
}

Val Instance::yield(Val v) {
    RunState *rs = tls_run;
    if (!rs || rs->inst != impl_.get()) {
        std::fprintf(stderr, "lucet: Instance::yield called outside of a host function of that instance; aborting\n");
        std::abort();
    }
    rs->kind = RunResult::Kind::Yielded;
    rs->yielded = v;
    // Back to the host's run()/resume(); a resume() swaps back here (with a
    // new host context in rs->host_sp).
    lucet_context_swap(&rs->guest_sp, rs->host_sp);
    return impl_->resume_val;
}

RunResult Instance::resume(std::optional<Val> v) {
    Impl &im = *impl_;
    if (im.phase_now() != Impl::Phase::Yielded) {
        RunResult r;
        r.kind = RunResult::Kind::Error;
        r.error = make_error("resume: the instance is not yielded", ErrorKind::InvalidArgument);
        return r;
    }
    im.resume_val = v ? *v : Val{};
    return im.enter(false);
}

bool Instance::is_yielded() const { return impl_->phase_now() == Impl::Phase::Yielded; }

bool Instance::running_here() const {
    for (const rt::RunState *rs = rt::tls_run; rs; rs = rs->prev)
        if (rs->inst == impl_.get()) return true;
    return false;
}

const TrapInfo *Instance::last_trap() const { return impl_->last_trap ? &*impl_->last_trap : nullptr; }

RunResult Instance::run_start() {
    const lucet_module_desc &d = *impl_->desc;
    if (!d.has_start) return RunResult{};
    return run_func(d.start_func, {});
}

uint32_t Instance::grow_memory(uint32_t delta_pages) { return g_rt_fns.memory_grow(vmctx_, delta_pages); }

Status Instance::reset() {
    Impl &im = *impl_;
    if (im.phase_now() == Impl::Phase::Running)
        return make_error("reset: the instance is running", ErrorKind::InvalidArgument);
    if (im.phase_now() == Impl::Phase::Yielded)
        return make_error("reset: the instance is yielded (resume it until it finishes first)",
                          ErrorKind::InvalidArgument);
    // A new generation: kill switches made before the reset are stale.
    im.gen++;
    im.kill->word.store(im.gen << 2 | KillSwitch::State::Idle, std::memory_order_release);
    vmctx_->interrupt = 0;
    im.last_trap.reset();  // what was known about the previous run's trap goes with it
    im.clear_state();
    return im.init_state();
}

}  // namespace lucet
