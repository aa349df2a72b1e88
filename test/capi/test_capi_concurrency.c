/* The C API under concurrency: 8 threads each create, run and release 2,000
 * instances of one module in one shared region, with traps (an explicit
 * check and a guard-page fault) and kill switches (from another thread, and
 * pending before a run) mixed in. Every instance checks that it started with
 * fresh memory and globals and that its own values stay its own; stale kill
 * switches of released instances must not stop the next instance in the
 * slot. Run under ASan (test_capi_concurrency_asan) for leaks and races on
 * freed memory. Guest: wat/concurrency.wat. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>

#include "capi_test_util.h"

#define THREADS 8
#define PER_THREAD 2000

static char g_so[300];
static struct lucet_region *g_region;
static struct lucet_dl_module *g_module;

static int group_setup(void **state) {
    (void)state;
    return make_temp_dir() || build_guest("concurrency", g_so);
}

static int group_teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

struct worker {
    int id;
    unsigned traps, kills, pending_kills, stale_ok;
    char failure[512]; /* the first thing that went wrong, "" if none */
};

/* cmocka's asserts must stay on the main thread: workers record failures. */
#define EXPECT(w, cond, ...)                                                         \
    do {                                                                             \
        if (!(cond)) {                                                               \
            if (!(w)->failure[0]) {                                                  \
                int n_ = snprintf((w)->failure, sizeof (w)->failure, "thread %d: ", (w)->id); \
                snprintf((w)->failure + n_, sizeof (w)->failure - (size_t)n_, __VA_ARGS__); \
            }                                                                        \
            return -1;                                                               \
        }                                                                            \
    } while (0)

static void *kill_later(void *p) {
    struct timespec ts = {0, 500000}; /* 0.5 ms: usually inside spin, sometimes before it */
    nanosleep(&ts, NULL);
    lucet_kill_switch_terminate((struct lucet_kill_switch *)p, NULL);
    return NULL;
}

static int run_u32(struct worker *w, struct lucet_instance *i, const char *name, size_t argc,
                   const struct lucet_val *argv, uint32_t *out) {
    struct lucet_result res;
    enum lucet_error e = lucet_instance_run(i, name, argc, argv, &res);
    EXPECT(w, e == lucet_error_ok && res.tag == lucet_result_tag_returned && res.val.returned.nvalues == 1,
           "%s: %s: %s", name, lucet_error_name(e), lucet_error_message());
    *out = res.val.returned.values[0].inner_val.as_i32;
    return 0;
}

static int one_instance(struct worker *w, int n, struct lucet_kill_switch **prev_ks) {
    struct lucet_instance *i = NULL;
    struct lucet_result res;
    struct lucet_kill_switch *ks = NULL;
    uint32_t tag = (uint32_t)(w->id * 100000 + n + 1), got = 0;
    struct lucet_val a[2];
    enum lucet_error e;
    bool stopped = true;

    e = lucet_region_new_instance(g_region, g_module, &i);
    EXPECT(w, e == lucet_error_ok, "instance %d: %s: %s", n, lucet_error_name(e), lucet_error_message());
    /* The previous instance's switch is stale: it must not stop this one.
     * (The released instance itself may outlive its release for a moment:
     * another thread's handle lookup can hold its table entry, and the last
     * unpin destroys it. Until then its own, separate, switch state may still
     * report it stoppable; within a second it must not.) */
    if (*prev_ks) {
        int tries = 0;
        while (lucet_kill_switch_terminate(*prev_ks, &stopped) == lucet_error_ok && stopped && ++tries < 1000) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        }
        EXPECT(w, !stopped, "a released instance's kill switch still stops something");
        lucet_kill_switch_release(*prev_ks);
        *prev_ks = NULL;
        w->stale_ok++;
    }
    a[0] = i32v(tag);
    if (run_u32(w, i, "tag", 1, a, &got)) return -1;
    EXPECT(w, got == 2 * tag, "instance %d: tag returned %u, want %u (not fresh, or cross-talk)", n, got, 2 * tag);

    if (n % 7 == 0) {
        a[0] = i32v(1);
        a[1] = i32v(0);
        e = lucet_instance_run(i, "div", 2, a, &res);
        EXPECT(w, e == lucet_error_runtime_fault && res.val.faulted.code == lucet_trap_code_integer_div_by_zero,
               "div: %s", lucet_error_name(e));
        w->traps++;
    }
    if (n % 11 == 0) {
        e = lucet_instance_run(i, "oob", 0, NULL, &res);
        EXPECT(w, e == lucet_error_runtime_fault && res.val.faulted.code == lucet_trap_code_heap_out_of_bounds,
               "oob: %s", lucet_error_name(e));
        w->traps++;
    }
    if (n % 13 == 0) {
        /* Pending before the run: the run returns killed at once. */
        EXPECT(w, lucet_instance_kill_switch(i, &ks) == lucet_error_ok, "kill_switch");
        EXPECT(w, lucet_kill_switch_terminate(ks, &stopped) == lucet_error_ok && stopped, "terminate (pending)");
        a[0] = i32v(tag);
        e = lucet_instance_run(i, "check", 1, a, &res);
        EXPECT(w, e == lucet_error_runtime_terminated && res.val.terminated.killed == 1, "pending kill: %s",
               lucet_error_name(e));
        lucet_kill_switch_release(ks);
        w->pending_kills++;
    }
    if (n % 50 == 0) {
        pthread_t t;
        EXPECT(w, lucet_instance_kill_switch(i, &ks) == lucet_error_ok, "kill_switch");
        EXPECT(w, pthread_create(&t, NULL, kill_later, ks) == 0, "pthread_create");
        e = lucet_instance_run(i, "spin", 0, NULL, &res);
        pthread_join(t, NULL);
        EXPECT(w, e == lucet_error_runtime_terminated && res.val.terminated.killed == 1, "spin: %s: %s",
               lucet_error_name(e), lucet_error_message());
        lucet_kill_switch_release(ks);
        w->kills++;
    }
    /* Its values survived the traps and kills, and nobody else's got in. */
    a[0] = i32v(tag);
    if (run_u32(w, i, "check", 1, a, &got)) return -1;
    EXPECT(w, got == 1, "instance %d: memory or global no longer hold its tag", n);

    if (n % 3 == 0) EXPECT(w, lucet_instance_kill_switch(i, prev_ks) == lucet_error_ok, "kill_switch (kept)");
    e = lucet_instance_release(i);
    EXPECT(w, e == lucet_error_ok, "release: %s", lucet_error_name(e));
    /* Released: every call on the handle is refused. */
    EXPECT(w, lucet_instance_run(i, "check", 1, a, &res) == lucet_error_invalid_argument, "run after release");
    return 0;
}

static void *worker_main(void *p) {
    struct worker *w = p;
    struct lucet_kill_switch *prev_ks = NULL;
    int n;
    for (n = 0; n < PER_THREAD; n++)
        if (one_instance(w, n, &prev_ks)) break;
    if (prev_ks) lucet_kill_switch_release(prev_ks);
    return NULL;
}

static void many_threads_many_instances(void **state) {
    struct worker w[THREADS];
    pthread_t t[THREADS];
    uint64_t used = 1, cap = 0;
    int k;
    (void)state;
    use_runtime_signal_handlers();
    g_region = small_region(THREADS); /* one slot per thread: region_full would be a leak */
    g_module = load(g_so);
    memset(w, 0, sizeof w);
    for (k = 0; k < THREADS; k++) {
        w[k].id = k;
        assert_int_equal(pthread_create(&t[k], NULL, worker_main, &w[k]), 0);
    }
    for (k = 0; k < THREADS; k++) pthread_join(t[k], NULL);
    for (k = 0; k < THREADS; k++) {
        if (w[k].failure[0]) fail_msg("%s", w[k].failure);
        /* n % 7 and n % 11 traps, n % 13 pending kills, n % 50 kills from a thread */
        assert_int_equal(w[k].traps, 286 + 182);
        assert_int_equal(w[k].pending_kills, 154);
        assert_int_equal(w[k].kills, 40);
        assert_int_equal(w[k].stale_ok, 667);
    }
    assert_int_equal(lucet_region_used(g_region, &used, &cap), lucet_error_ok);
    assert_int_equal(used, 0);
    assert_int_equal(cap, THREADS);
    assert_int_equal(lucet_dl_module_release(g_module), lucet_error_ok);
    assert_int_equal(lucet_region_release(g_region), lucet_error_ok);
}

int main(void) {
    if (record_runtime_signal_handlers()) return 1;
    {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(many_threads_many_instances),
        };
        /* cmocka returns the number of failed tests: 77 would read as "skipped". */
        return cmocka_run_group_tests(tests, group_setup, group_teardown) == 0 ? 0 : 1;
    }
}
