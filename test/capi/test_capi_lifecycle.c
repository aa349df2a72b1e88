/* cmocka tests of the instance lifecycle through lucet_wasi.h: deferred
 * start, yield/resume, reset, kill switches (including stopping
 * `loop { br 0 }` and loops of bulk operations), with their error paths.
 * Guests: wat/lifecycle.wat, wat/start_yield.wat, wat/bulk_kill.wat. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "capi_test_util.h"

static char g_so_life[300], g_so_start_yield[300], g_so_plain[300], g_so_bulk[300];

static int group_setup(void **state) {
    (void)state;
    if (make_temp_dir()) return -1;
    return build_guest("lifecycle", g_so_life) || build_guest("start_yield", g_so_start_yield) ||
           build_guest("concurrency", g_so_plain) || build_guest("bulk_kill", g_so_bulk);
}

static int group_teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

static void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* env.yield_val: yields x; returns the value given to lucet_instance_resume. */
static uint32_t yield_val(struct lucet_vmctx *ctx, uint32_t x) {
    struct lucet_val r = lucet_vmctx_yield(ctx, i32v(x));
    return r.inner_val.as_i32;
}

/* env.slow: a host function that takes 100 ms (a kill meanwhile waits for
 * it). The kill switch's signal interrupts nanosleep (EINTR) every
 * millisecond until the guest is back in module code, so it sleeps on. */
static void slow(struct lucet_vmctx *ctx) {
    struct timespec ts = {0, 100000000L};
    (void)ctx;
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static const enum lucet_val_type k_i32[1] = {lucet_val_type_i32};

static void host_funcs(struct lucet_host_func f[2]) {
    memset(f, 0, 2 * sizeof *f);
    f[0].module_name = "env";
    f[0].field_name = "yield_val";
    f[0].func = (lucet_host_func_ptr)yield_val;
    f[0].params = k_i32;
    f[0].nparams = 1;
    f[0].results = k_i32;
    f[0].nresults = 1;
    f[1].module_name = "env";
    f[1].field_name = "slow";
    f[1].func = (lucet_host_func_ptr)slow;
}

struct fixture {
    struct lucet_region *r;
    struct lucet_dl_module *m;
    struct lucet_instance *i;
};

static struct lucet_instance *new_life(struct fixture *f, uint32_t flags) {
    struct lucet_host_func hf[2];
    struct lucet_instance *i = NULL;
    host_funcs(hf);
    assert_int_equal(lucet_region_new_instance_with_options(f->r, f->m, hf, 2, NULL, NULL, flags, &i), lucet_error_ok);
    return i;
}

static int life_setup(void **state) {
    static struct fixture f;
    f.r = small_region(2);
    f.m = load(g_so_life);
    f.i = new_life(&f, 0);
    *state = &f;
    return 0;
}

static int life_teardown(void **state) {
    struct fixture *f = *state;
    lucet_instance_release(f->i);
    lucet_dl_module_release(f->m);
    lucet_region_release(f->r);
    return 0;
}

static void deferred_start(void **state) {
    struct fixture *f = *state;
    struct lucet_host_func hf[2];
    struct lucet_instance *d = NULL;
    struct lucet_result res;
    /* Flags 0: the start function ran during creation. */
    assert_int_equal(run_i32(f->i, "started", 0, NULL), 1);
    d = new_life(f, LUCET_INSTANCE_DEFER_START);
    assert_int_equal(run_i32(d, "started", 0, NULL), 0);
    assert_int_equal(lucet_instance_run_start(d, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_returned);
    assert_int_equal(res.val.returned.nvalues, 0);
    assert_int_equal(run_i32(d, "started", 0, NULL), 1);
    /* run_start is a plain call: again, it runs again. */
    assert_int_equal(lucet_instance_run_start(d, NULL), lucet_error_ok);
    assert_int_equal(run_i32(d, "started", 0, NULL), 2);
    lucet_instance_release(d);

    host_funcs(hf);
    assert_int_equal(lucet_region_new_instance_with_options(f->r, f->m, hf, 2, NULL, NULL, 0x80, &d),
                     lucet_error_invalid_argument);
    assert_null(d);
    assert_non_null(strstr(lucet_error_message(), "flags"));
    assert_int_equal(lucet_instance_run_start(NULL, &res), lucet_error_invalid_argument);
    assert_int_equal(res.tag, lucet_result_tag_errored);
}

static void start_yielded(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_start_yield);
    struct lucet_host_func hf[2];
    struct lucet_instance *i = NULL;
    struct lucet_result res;
    uint64_t used = 9;
    (void)state;
    host_funcs(hf);
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 1, NULL, NULL, &i), lucet_error_start_yielded);
    assert_null(i);
    assert_non_null(strstr(lucet_error_message(), "start function"));
    /* The slot came back. */
    assert_int_equal(lucet_region_used(r, &used, NULL), lucet_error_ok);
    assert_int_equal(used, 0);
    /* Deferred: run_start reports it and the instance is yielded. */
    assert_int_equal(lucet_region_new_instance_with_options(r, m, hf, 1, NULL, NULL, LUCET_INSTANCE_DEFER_START, &i),
                     lucet_error_ok);
    assert_int_equal(lucet_instance_run_start(i, &res), lucet_error_start_yielded);
    assert_true(lucet_instance_is_yielded(i));
    assert_int_equal(res.tag, lucet_result_tag_yielded);
    assert_int_equal(res.val.yielded.value.inner_val.as_i32, 7);
    assert_int_equal(lucet_instance_resume(i, NULL, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_returned);
    assert_false(lucet_instance_is_yielded(i));
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void yield_and_resume(void **state) {
    struct fixture *f = *state;
    struct lucet_result res;
    struct lucet_val v = i32v(5), ten = i32v(10), bad = i32v(1);
    bad.ty = (enum lucet_val_type)0x42;
    assert_false(lucet_instance_is_yielded(f->i));
    assert_int_equal(lucet_instance_resume(f->i, NULL, &res), lucet_error_instance_not_yielded);
    assert_int_equal(res.tag, lucet_result_tag_errored);

    assert_int_equal(lucet_instance_run(f->i, "yield_twice", 1, &v, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_yielded);
    assert_int_equal(res.val.yielded.value.ty, lucet_val_type_i32);
    assert_int_equal(res.val.yielded.value.inner_val.as_i32, 5);
    assert_true(lucet_instance_is_yielded(f->i));
    /* Yielded: no other run, no reset, until it finishes. */
    assert_int_equal(lucet_instance_run(f->i, "bump", 0, NULL, &res), lucet_error_instance_not_returned);
    assert_int_equal(lucet_instance_run_start(f->i, &res), lucet_error_instance_not_returned);
    assert_int_equal(lucet_instance_reset(f->i), lucet_error_instance_not_returned);
    assert_int_equal(lucet_instance_resume(f->i, &bad, &res), lucet_error_invalid_argument);
    assert_true(lucet_instance_is_yielded(f->i));

    assert_int_equal(lucet_instance_resume(f->i, &ten, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_yielded);
    assert_int_equal(res.val.yielded.value.inner_val.as_i32, 6);
    /* Resumed without a value: lucet_vmctx_yield returns i32 0. */
    assert_int_equal(lucet_instance_resume(f->i, NULL, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_returned);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 10);
    assert_false(lucet_instance_is_yielded(f->i));
    assert_int_equal(lucet_instance_resume(f->i, NULL, &res), lucet_error_instance_not_yielded);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);

    assert_int_equal(lucet_instance_resume(NULL, NULL, &res), lucet_error_invalid_argument);
    assert_false(lucet_instance_is_yielded(NULL));
}

static void release_while_yielded(void **state) {
    struct fixture *f = *state;
    struct lucet_instance *i = new_life(f, 0);
    struct lucet_val v = i32v(1);
    struct lucet_result res;
    uint64_t used = 0;
    assert_int_equal(lucet_region_used(f->r, &used, NULL), lucet_error_ok);
    assert_int_equal(used, 2);
    assert_int_equal(lucet_instance_run(i, "yield_twice", 1, &v, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_yielded);
    /* The suspended guest is abandoned with its slot. */
    assert_int_equal(lucet_instance_release(i), lucet_error_ok);
    assert_int_equal(lucet_instance_resume(i, NULL, &res), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_used(f->r, &used, NULL), lucet_error_ok);
    assert_int_equal(used, 1);
    /* The slot is reusable and fresh. */
    i = new_life(f, 0);
    assert_int_equal(run_i32(i, "bump", 0, NULL), 1);
    assert_int_equal(run_i32(i, "load", 1, &v), 0);
    lucet_instance_release(i);
}

static void reset_restores_state(void **state) {
    struct fixture *f = *state;
    struct lucet_val a[2] = {i32v(64), i32v(0xabcd)};
    uint32_t prev = 0;
    assert_int_equal(lucet_instance_run(f->i, "store", 2, a, NULL), lucet_error_ok);
    assert_int_equal(run_i32(f->i, "load", 1, a), 0xabcd);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
    assert_int_equal(lucet_instance_grow_heap(f->i, 2, &prev), lucet_error_ok);
    assert_int_equal(prev, 1);
    assert_int_equal(lucet_instance_heap_len(f->i), 3 * 65536);

    assert_int_equal(lucet_instance_reset(f->i), lucet_error_ok);
    assert_int_equal(run_i32(f->i, "load", 1, a), 0);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
    assert_int_equal(lucet_instance_heap_len(f->i), 65536);
    /* The start function is not run by reset. */
    assert_int_equal(run_i32(f->i, "started", 0, NULL), 0);
    assert_int_equal(lucet_instance_run_start(f->i, NULL), lucet_error_ok);
    assert_int_equal(run_i32(f->i, "started", 0, NULL), 1);
    /* Growing past the module's maximum (4 pages). */
    assert_int_equal(lucet_instance_grow_heap(f->i, 4, NULL), lucet_error_limits_exceeded);
    assert_int_equal(lucet_instance_reset(NULL), lucet_error_invalid_argument);
}

struct killer {
    struct lucet_kill_switch *ks;
    long delay_ms;
    bool stopped;
};

static void *kill_after(void *p) {
    struct killer *k = p;
    sleep_ms(k->delay_ms);
    if (lucet_kill_switch_terminate(k->ks, &k->stopped) != lucet_error_ok) k->stopped = false;
    return NULL;
}

/* Runs `name` while another thread terminates it after delay_ms. */
static void run_killed(struct lucet_instance *i, const char *name, long delay_ms) {
    struct killer k;
    pthread_t t;
    struct lucet_result res;
    memset(&k, 0, sizeof k);
    k.delay_ms = delay_ms;
    assert_int_equal(lucet_instance_kill_switch(i, &k.ks), lucet_error_ok);
    assert_int_equal(pthread_create(&t, NULL, kill_after, &k), 0);
    assert_int_equal(lucet_instance_run(i, name, 0, NULL, &res), lucet_error_runtime_terminated);
    pthread_join(t, NULL);
    assert_true(k.stopped);
    assert_int_equal(res.tag, lucet_result_tag_terminated);
    assert_int_equal(res.val.terminated.killed, 1);
    assert_int_equal(res.val.terminated.exit_code, 0);
    assert_non_null(strstr(lucet_error_message(), "kill switch"));
    /* That run is over: the switch is stale now. */
    assert_int_equal(lucet_kill_switch_terminate(k.ks, &k.stopped), lucet_error_ok);
    assert_false(k.stopped);
    assert_int_equal(lucet_kill_switch_release(k.ks), lucet_error_ok);
}

struct slow_runner {
    struct lucet_instance *i;
    atomic_int done;
    enum lucet_error e;
};

static void *run_slow(void *arg) {
    struct slow_runner *s = arg;
    /* Refused while the polling thread holds the instance for a moment. */
    do s->e = lucet_instance_run(s->i, "slow_then_bump", 0, NULL, NULL);
    while (s->e == lucet_error_invalid_argument);
    atomic_store(&s->done, 1);
    return NULL;
}

/* While another thread runs the instance (100 ms in a host function), its
 * state is not grown or read from here: refused, not raced (two grows at once
 * left a PROT_NONE page below the reported size; a trap read during a run
 * read freed memory). Polled until the run ends, so a slow start of the
 * thread cannot make it pass without the run in progress. */
static void state_calls_refused_during_a_run_elsewhere(void **state) {
    struct fixture *f = *state;
    struct slow_runner s;
    struct lucet_trap_info ti;
    pthread_t t;
    int grow_refused = 0, trap_refused = 0;
    s.i = f->i;
    atomic_init(&s.done, 0);
    assert_int_equal(pthread_create(&t, NULL, run_slow, &s), 0);
    while (!atomic_load(&s.done)) {
        enum lucet_error e = lucet_instance_grow_heap(f->i, 0, NULL);
        assert_true(e == lucet_error_ok || e == lucet_error_invalid_argument);
        if (e == lucet_error_invalid_argument) {
            grow_refused++;
            assert_non_null(strstr(lucet_error_message(), "in use on another thread"));
        }
        e = lucet_instance_trap_info(f->i, &ti);
        assert_true(e == lucet_error_runtime_fault || e == lucet_error_invalid_argument);
        if (e == lucet_error_invalid_argument) trap_refused++;
    }
    pthread_join(t, NULL);
    assert_int_equal(s.e, lucet_error_ok);
    assert_true(grow_refused > 0);
    assert_true(trap_refused > 0);
    /* Idle again: both go through. */
    assert_int_equal(lucet_instance_grow_heap(f->i, 0, NULL), lucet_error_ok);
    assert_int_equal(lucet_instance_trap_info(f->i, &ti), lucet_error_runtime_fault);
}

static void kill_switch_stops_infinite_loop(void **state) {
    struct fixture *f = *state;
    run_killed(f->i, "spin", 50);
    /* The instance is usable afterwards, and its state is intact. */
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
    run_killed(f->i, "spin", 1);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 2);
}

struct bulk_killer {
    struct lucet_kill_switch *ks;
    uint8_t *heap;
    atomic_int done;
    bool stopped;
    bool gave_up;
    struct timespec t_kill;
};

static double seconds_since(const struct timespec *t) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Terminates the run 20 ms after the guest started its loop; a run not
 * stopped 2 s later (generous on a loaded machine: the helpers stop within
 * a MiB of work) is ended through the guest's flag, and the test fails. */
static void *kill_bulk(void *p) {
    struct bulk_killer *k = p;
    int waited = 0;
    while (!__atomic_load_n((uint32_t *)(k->heap + 4), __ATOMIC_ACQUIRE)) sleep_ms(1);
    sleep_ms(20);
    clock_gettime(CLOCK_MONOTONIC, &k->t_kill);
    if (lucet_kill_switch_terminate(k->ks, &k->stopped) != lucet_error_ok) k->stopped = false;
    while (!atomic_load(&k->done) && waited++ < 2000) sleep_ms(1);
    if (!atomic_load(&k->done)) {
        k->gave_up = true;
        __atomic_store_n((uint32_t *)k->heap, 1, __ATOMIC_RELEASE);
    }
    return NULL;
}

/* A guest looping on table.fill or table.copy spends its time in the
 * runtime's helpers, where the kill signal cannot stop it: the helpers look
 * for the kill themselves (it was stopped only when a re-sent signal landed
 * between two helper calls: seconds to minutes). */
static void kill_switch_stops_bulk_operation_loops(void **state) {
    static const char *const names[2] = {"table_fill", "table_copy"};
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_bulk);
    struct lucet_instance *i = NULL;
    int n;
    (void)state;
    assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_ok);
    for (n = 0; n < 2; n++) {
        struct bulk_killer k;
        struct lucet_result res;
        pthread_t t;
        double latency;
        enum lucet_error e;
        memset(&k, 0, sizeof k);
        atomic_init(&k.done, 0);
        k.heap = lucet_instance_heap(i);
        memset(k.heap, 0, 8);
        assert_int_equal(lucet_instance_kill_switch(i, &k.ks), lucet_error_ok);
        assert_int_equal(pthread_create(&t, NULL, kill_bulk, &k), 0);
        e = lucet_instance_run(i, names[n], 0, NULL, &res);
        latency = seconds_since(&k.t_kill);
        atomic_store(&k.done, 1);
        pthread_join(t, NULL);
        assert_false(k.gave_up);
        assert_int_equal(e, lucet_error_runtime_terminated);
        assert_true(k.stopped);
        assert_int_equal(res.val.terminated.killed, 1);
        assert_true(latency < 2.0);
        assert_int_equal(lucet_kill_switch_release(k.ks), lucet_error_ok);
        /* Usable afterwards: with the flag set, one round returns. */
        k.heap[0] = 1;
        assert_int_equal(lucet_instance_run(i, names[n], 0, NULL, NULL), lucet_error_ok);
    }
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void kill_switch_waits_for_host_function(void **state) {
    struct fixture *f = *state;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* Killed 10 ms into the 100 ms host call: stops after it returns. */
    run_killed(f->i, "slow_then_spin", 10);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 90);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
}

/* Killed during a host call with straight-line code after it: the guest
 * stops as the call returns (generated code polls the kill after import
 * calls), before the global.set that follows; no kill signal needed. */
static void kill_switch_stops_at_host_call_return(void **state) {
    struct fixture *f = *state;
    run_killed(f->i, "slow_then_bump", 10);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
    /* Not killed: the same function runs through. */
    assert_int_equal(lucet_instance_run(f->i, "slow_then_bump", 0, NULL, NULL), lucet_error_ok);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 3);
}

/* The same when the host function is reached through call_indirect: the
 * generated code polls the kill after indirect calls too. */
static void kill_switch_stops_at_indirect_host_call_return(void **state) {
    struct fixture *f = *state;
    run_killed(f->i, "slow_indirect_then_bump", 10);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
}

static void kill_switch_before_run_and_errors(void **state) {
    struct fixture *f = *state;
    struct lucet_kill_switch *ks = NULL, *ks2 = NULL;
    struct lucet_result res;
    bool stopped = false;
    struct lucet_instance *other;
    /* Terminated before the run starts: the next run returns at once. */
    assert_int_equal(lucet_instance_kill_switch(f->i, &ks), lucet_error_ok);
    assert_int_equal(lucet_kill_switch_terminate(ks, &stopped), lucet_error_ok);
    assert_true(stopped);
    assert_int_equal(lucet_instance_run(f->i, "bump", 0, NULL, &res), lucet_error_runtime_terminated);
    assert_int_equal(res.val.terminated.killed, 1);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
    assert_int_equal(lucet_kill_switch_release(ks), lucet_error_ok);
    assert_int_equal(lucet_kill_switch_release(ks), lucet_error_invalid_argument);
    assert_int_equal(lucet_kill_switch_terminate(ks, &stopped), lucet_error_invalid_argument);
    assert_int_equal(lucet_kill_switch_terminate(NULL, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_kill_switch(f->i, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_kill_switch(NULL, &ks), lucet_error_invalid_argument);
    assert_null(ks);
    /* A reset makes earlier switches stale. */
    assert_int_equal(lucet_instance_kill_switch(f->i, &ks), lucet_error_ok);
    assert_int_equal(lucet_instance_reset(f->i), lucet_error_ok);
    assert_int_equal(lucet_kill_switch_terminate(ks, &stopped), lucet_error_ok);
    assert_false(stopped);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
    lucet_kill_switch_release(ks);
    /* A switch outlives its instance; it no longer stops anything, and a new
     * instance in the same slot is not affected. */
    other = new_life(f, 0);
    assert_int_equal(lucet_instance_kill_switch(other, &ks2), lucet_error_ok);
    assert_int_equal(lucet_instance_release(other), lucet_error_ok);
    assert_int_equal(lucet_kill_switch_terminate(ks2, &stopped), lucet_error_ok);
    assert_false(stopped);
    other = new_life(f, 0);
    assert_int_equal(run_i32(other, "bump", 0, NULL), 1);
    lucet_instance_release(other);
    assert_int_equal(lucet_kill_switch_release(ks2), lucet_error_ok);
}

static void traps_after_lifecycle_calls(void **state) {
    struct fixture *f = *state;
    struct lucet_val a[2] = {i32v(1), i32v(0)};
    struct lucet_result res;
    use_runtime_signal_handlers();
    assert_int_equal(lucet_instance_run(f->i, "div", 2, a, &res), lucet_error_runtime_fault);
    assert_int_equal(res.val.faulted.code, lucet_trap_code_integer_div_by_zero);
    a[0] = i32v(70000);
    assert_int_equal(lucet_instance_run(f->i, "load", 1, a, &res), lucet_error_runtime_fault);
    assert_int_equal(res.val.faulted.code, lucet_trap_code_heap_out_of_bounds);
    assert_int_equal(lucet_instance_reset(f->i), lucet_error_ok);
    assert_int_equal(run_i32(f->i, "bump", 0, NULL), 1);
}

static void call_indirect_traps(void **state) {
    struct fixture *f = *state;
    struct lucet_result res;
    static const struct {
        const char *name;
        enum lucet_trap_code code;
    } cases[3] = {{"bad_sig", lucet_trap_code_bad_signature},
                  {"null_elem", lucet_trap_code_indirect_call_to_null},
                  {"table_oob", lucet_trap_code_table_out_of_bounds}};
    int k;
    for (k = 0; k < 3; k++) {
        assert_int_equal(lucet_instance_run(f->i, cases[k].name, 0, NULL, &res), lucet_error_runtime_fault);
        assert_int_equal(res.tag, lucet_result_tag_faulted);
        assert_int_equal(res.val.faulted.code, cases[k].code);
        assert_non_null(strstr(lucet_error_message(), cases[k].name));
    }
}

static void new_instance_with_ctx(void **state) {
    struct fixture *f = *state;
    struct lucet_dl_module *plain = load(g_so_plain);
    struct lucet_instance *i = NULL;
    int token = 0;
    assert_int_equal(lucet_region_new_instance_with_ctx(f->r, plain, &token, &i), lucet_error_ok);
    assert_ptr_equal(lucet_instance_embed_ctx(i), &token);
    assert_int_equal(lucet_instance_release(i), lucet_error_ok);
    assert_int_equal(lucet_instance_run(i, "check", 0, NULL, NULL), lucet_error_invalid_argument);
    /* Missing imports: the message names the first one. */
    i = NULL;
    assert_int_equal(lucet_region_new_instance_with_ctx(f->r, f->m, &token, &i), lucet_error_symbol_not_found);
    assert_null(i);
    assert_non_null(strstr(lucet_error_message(), "env.yield_val"));
    /* NULL and released handles. */
    assert_int_equal(lucet_region_new_instance_with_ctx(NULL, plain, &token, &i), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_new_instance_with_ctx(f->r, NULL, &token, &i), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_new_instance_with_ctx(f->r, plain, &token, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_release(plain), lucet_error_ok);
    assert_int_equal(lucet_region_new_instance_with_ctx(f->r, plain, &token, &i), lucet_error_invalid_argument);
}

int main(void) {
    if (record_runtime_signal_handlers()) return 1;
    {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(deferred_start, life_setup, life_teardown),
            cmocka_unit_test(start_yielded),
            cmocka_unit_test_setup_teardown(yield_and_resume, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(release_while_yielded, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(reset_restores_state, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(kill_switch_stops_infinite_loop, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(state_calls_refused_during_a_run_elsewhere, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(kill_switch_waits_for_host_function, life_setup, life_teardown),
            cmocka_unit_test(kill_switch_stops_bulk_operation_loops),
            cmocka_unit_test_setup_teardown(kill_switch_stops_at_host_call_return, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(kill_switch_stops_at_indirect_host_call_return, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(kill_switch_before_run_and_errors, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(traps_after_lifecycle_calls, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(call_indirect_traps, life_setup, life_teardown),
            cmocka_unit_test_setup_teardown(new_instance_with_ctx, life_setup, life_teardown),
        };
        /* cmocka returns the number of failed tests: 77 would read as "skipped". */
        return cmocka_run_group_tests(tests, group_setup, group_teardown) == 0 ? 0 : 1;
    }
}
