/* test_capi_signals.c: the runtime's signal handling against what embedders
 * do with signals (adversarial helper's repros /work/h8/repro/01, 06, 08,
 * 09, 13). Each case runs in a forked child that creates its first region
 * itself, so that the runtime installs its handlers over the dispositions
 * the case set up (the parent never creates one): exit status 0 is a pass,
 * anything else (a signal, a status naming the failed step) a failure. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capi_test_util.h"

static char g_so[300];
static struct lucet_dl_module *g_mod;

static void nop_host(struct lucet_vmctx *ctx) { (void)ctx; }

/* An instance of signals.wat whose import env.h is `h`, in `reg`. */
static struct lucet_instance *instance_with(struct lucet_region *reg, void (*h)(struct lucet_vmctx *)) {
    struct lucet_host_func hf = {"env", "h", (lucet_host_func_ptr)h, NULL, 0, 0, NULL};
    struct lucet_instance *inst = NULL;
    if (lucet_region_new_instance_with_imports(reg, g_mod, &hf, 1, NULL, NULL, &inst) != lucet_error_ok) {
        fprintf(stderr, "instance: %s\n", lucet_error_message());
        exit(90);
    }
    return inst;
}

static struct lucet_region *region_or_exit(void) {
    struct lucet_region *reg = NULL;
    if (lucet_mmap_region_create(2, NULL, &reg) != lucet_error_ok) {
        fprintf(stderr, "region: %s\n", lucet_error_message());
        exit(91);
    }
    return reg;
}

/* Runs child() in a forked process; its exit status (a child still running
 * after 60 s, e.g. a guest no kill switch could stop, is killed: 128 + 9). */
static int in_child(int (*child)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) _exit(child());
    int status = 0;
    for (int waited_ms = 0; waitpid(pid, &status, WNOHANG) == 0; waited_ms += 10) {
        struct timespec ts = {0, 10000000};
        if (waited_ms >= 60000) {
            fprintf(stderr, "child still running after 60 s: killed\n");
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        nanosleep(&ts, NULL);
    }
    if (WIFSIGNALED(status)) fprintf(stderr, "child died of signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Several real timer SIGALRMs (si_code SI_KERNEL) within 100 ms. */
static void timer_alarms(void) {
    struct itimerval it = {{0, 10000}, {0, 10000}};
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec ts = {0, 100000000};
    while (nanosleep(&ts, &ts) != 0) {
    }
    setitimer(ITIMER_REAL, &off, NULL);
}

static void *kill_after_100ms(void *ks) {
    struct timespec ts = {0, 100000000};
    bool stopped = false;
    nanosleep(&ts, NULL);
    lucet_kill_switch_terminate(ks, &stopped);
    return NULL;
}

/* An endless guest stopped by its kill switch: 0, else 80. */
static int spin_and_kill(struct lucet_instance *inst) {
    struct lucet_kill_switch *ks = NULL;
    if (lucet_instance_kill_switch(inst, &ks) != lucet_error_ok) return 81;
    pthread_t t;
    pthread_create(&t, NULL, kill_after_100ms, ks);
    struct lucet_result res;
    enum lucet_error e = lucet_instance_run(inst, "spin", 0, NULL, &res);
    pthread_join(t, NULL);
    return e == lucet_error_runtime_terminated ? 0 : 80;
}

/* SIGALRM ignored before the first region: a timer's SIGALRM stays ignored
 * and kill switches keep working (the forward of the timer's signal
 * installed SIG_DFL process-wide, and the next kill switch killed the
 * process: "Alarm clock"). */
static int ignored_alarm_child(void) {
    signal(SIGALRM, SIG_IGN);
    struct lucet_region *reg = region_or_exit();
    struct lucet_instance *inst = instance_with(reg, nop_host);
    timer_alarms();
    if (spin_and_kill(inst) != 0) return 10;
    timer_alarms();
    return spin_and_kill(inst) == 0 ? 0 : 11;
}

static void ignored_sigalrm_stays_ignored(void **state) {
    (void)state;
    assert_int_equal(in_child(ignored_alarm_child), 0);
}

/* The same ignored through sigaction with SA_SIGINFO in the flags (the
 * forward called SIG_IGN, address 1, as a function). */
static int ignored_siginfo_child(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_SIGINFO;
    sa.sa_handler = SIG_IGN;
    sigaction(SIGALRM, &sa, NULL);
    struct lucet_region *reg = region_or_exit();
    struct lucet_instance *inst = instance_with(reg, nop_host);
    timer_alarms();
    return spin_and_kill(inst) == 0 ? 0 : 12;
}

static void ignored_with_siginfo_flag(void **state) {
    (void)state;
    assert_int_equal(in_child(ignored_siginfo_child), 0);
}

/* An embedder handler for SIGALRM still gets the timer's signals. */
static volatile sig_atomic_t g_alarms;
static void count_alarm(int sig) {
    (void)sig;
    g_alarms++;
}

static int handled_alarm_child(void) {
    signal(SIGALRM, count_alarm);
    struct lucet_region *reg = region_or_exit();
    struct lucet_instance *inst = instance_with(reg, nop_host);
    timer_alarms();
    if (g_alarms == 0) return 13;
    return spin_and_kill(inst) == 0 ? 0 : 14;
}

static void embedder_alarm_handler_is_called(void **state) {
    (void)state;
    assert_int_equal(in_child(handled_alarm_child), 0);
}

/* A thread that blocks every signal (a sigwait design) runs a guest that
 * faults: a trap, not the death of the process. */
struct blocked_run {
    struct lucet_region *reg;
    enum lucet_error e;
};

static void *blocked_runner(void *p) {
    struct blocked_run *b = p;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    struct lucet_result res;
    b->e = lucet_instance_run(instance_with(b->reg, nop_host), "oob", 0, NULL, &res);
    return NULL;
}

static int blocked_fault_child(void) {
    struct blocked_run b = {region_or_exit(), lucet_error_ok};
    pthread_t t;
    pthread_create(&t, NULL, blocked_runner, &b);
    pthread_join(t, NULL);
    return b.e == lucet_error_runtime_fault ? 0 : 15;
}

static void blocked_fault_signals_still_trap(void **state) {
    (void)state;
    assert_int_equal(in_child(blocked_fault_child), 0);
}

/* A host function of instance B, run from a host function of A, that
 * terminates A through A's ctx: aborts (it would stop B, and A would go on
 * as if nothing happened). */
static struct lucet_vmctx *g_ctx_a;
static struct lucet_instance *g_inst_b;

static void terminate_outer(struct lucet_vmctx *ctx) {
    (void)ctx;
    lucet_vmctx_terminate(g_ctx_a, 77);
}

static void run_b(struct lucet_vmctx *ctx) {
    struct lucet_result res;
    g_ctx_a = ctx;
    lucet_instance_run(g_inst_b, "call_host", 0, NULL, &res);
}

static int nested_terminate_child(void) {
    struct lucet_region *reg = region_or_exit();
    struct lucet_instance *a = instance_with(reg, run_b);
    g_inst_b = instance_with(reg, terminate_outer);
    struct lucet_result res;
    lucet_instance_run(a, "call_host", 0, NULL, &res);
    return 16;  /* A went on */
}

static void terminate_of_an_enclosing_run_aborts(void **state) {
    (void)state;
    assert_int_equal(in_child(nested_terminate_child), 128 + SIGABRT);
}

/* The trap of a run is forgotten by a reset, as the header says. */
static int trap_reset_child(void) {
    struct lucet_region *reg = region_or_exit();
    struct lucet_instance *inst = instance_with(reg, nop_host);
    struct lucet_result res;
    struct lucet_trap_info info;
    if (lucet_instance_run(inst, "oob", 0, NULL, &res) != lucet_error_runtime_fault) return 17;
    if (lucet_instance_trap_info(inst, &info) != lucet_error_ok) return 18;
    if (lucet_instance_reset(inst) != lucet_error_ok) return 19;
    return lucet_instance_trap_info(inst, &info) == lucet_error_runtime_fault ? 0 : 20;
}

static void reset_forgets_the_trap(void **state) {
    (void)state;
    assert_int_equal(in_child(trap_reset_child), 0);
}

/* The host thread's MXCSR (flush-to-zero and denormals-are-zero, as
 * -ffast-math programs have; rounding upward; division by zero unmasked) does
 * not reach guest arithmetic, and is the host's again after the run. */
static double call_f64(struct lucet_instance *inst, const char *fn, double a, double b, int *ok) {
    struct lucet_val args[2];
    struct lucet_result res;
    memset(args, 0, sizeof args);
    args[0].ty = args[1].ty = lucet_val_type_f64;
    args[0].inner_val.as_f64 = a;
    args[1].inner_val.as_f64 = b;
    if (lucet_instance_run(inst, fn, 2, args, &res) != lucet_error_ok) {
        fprintf(stderr, "%s: %s\n", fn, lucet_error_message());
        *ok = 0;
        return 0;
    }
    return res.val.returned.values[0].inner_val.as_f64;
}

static int fpu_child(void) {
    struct lucet_region *reg = region_or_exit();
    struct lucet_instance *inst = instance_with(reg, nop_host);
    /* FTZ (bit 15), DAZ (bit 6), round up (bits 13-14 = 10), ZM (bit 9) clear. */
    const unsigned host = (0x1f80u | 0x8000u | 0x0040u | 0x4000u) & ~0x0200u;
    __builtin_ia32_ldmxcsr(host);
    int ok = 1;
    double tiny = 0x1p-1022, sub = call_f64(inst, "mul", tiny, 0.5, &ok);
    double sum = call_f64(inst, "add", 1.0, 0x1p-60, &ok);
    double inf = call_f64(inst, "div", 1.0, 0.0, &ok);
    unsigned after = __builtin_ia32_stmxcsr() & ~0x3fu;
    __builtin_ia32_ldmxcsr(0x1f80);
    if (!ok) return 21;
    if (sub != 0x1p-1023) return 22; /* flushed to 0 under the host's FTZ */
    if (sum != 1.0) return 23;       /* rounded up under the host's rounding */
    if (inf != __builtin_inf()) return 24;
    return after == host ? 0 : 25;
}

static void host_fpu_state_stays_out_of_guests(void **state) {
    (void)state;
    assert_int_equal(in_child(fpu_child), 0);
}

/* Kill switches work in a forked child of a process that ran and killed
 * guests (the forking thread's cached kernel thread id, and the parent's
 * watchdog thread, were the parent's: a kill in the child never arrived). */
static struct lucet_instance *g_forked_inst;

static int after_fork_grandchild(void) { return spin_and_kill(g_forked_inst) == 0 ? 0 : 26; }

static int fork_child(void) {
    struct lucet_region *reg = region_or_exit();
    g_forked_inst = instance_with(reg, nop_host);
    if (spin_and_kill(g_forked_inst) != 0) return 27;  /* caches this thread's tid, starts the watchdog */
    return in_child(after_fork_grandchild);
}

static void kill_switches_work_after_fork(void **state) {
    (void)state;
    assert_int_equal(in_child(fork_child), 0);
}

/* A signal stack the runtime could not map is refused up front. */
static void huge_signal_stack_is_refused(void **state) {
    (void)state;
    struct lucet_alloc_limits l = lucet_alloc_limits_default();
    struct lucet_region *reg = NULL;
    l.signal_stack_size = (uint64_t)1 << 40;
    assert_int_not_equal(lucet_mmap_region_create(1, &l, &reg), lucet_error_ok);
    assert_non_null(strstr(lucet_error_message(), "signal_stack_size exceeds 64 MiB"));
    l.signal_stack_size = 64u << 20;
    assert_int_equal(lucet_mmap_region_create(1, &l, &reg), lucet_error_ok);
    lucet_region_release(reg);
    lucet_region_release(small_region(1));  /* the default signal stack */
}

static int setup(void **state) {
    (void)state;
    if (make_temp_dir() != 0 || build_guest("signals", g_so) != 0) return -1;
    g_mod = load(g_so);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    lucet_dl_module_release(g_mod);
    return remove_temp_dir();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ignored_sigalrm_stays_ignored),
        cmocka_unit_test(ignored_with_siginfo_flag),
        cmocka_unit_test(embedder_alarm_handler_is_called),
        cmocka_unit_test(blocked_fault_signals_still_trap),
        cmocka_unit_test(terminate_of_an_enclosing_run_aborts),
        cmocka_unit_test(reset_forgets_the_trap),
        cmocka_unit_test(host_fpu_state_stays_out_of_guests),
        cmocka_unit_test(kill_switches_work_after_fork),
        /* last: it creates a region in this process */
        cmocka_unit_test(huge_signal_stack_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
