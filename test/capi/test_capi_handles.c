/* Handles under a careless embedder (src/capi/handle_table.h): an instance
 * released on one thread while another runs it and a third reads it, two
 * threads releasing the same handle at once, a stale handle after its index
 * is reused, an instance released by its own host function mid-call. A
 * call must never reach a freed or another instance: it either runs the
 * instance it named or fails with invalid_argument, and a released instance
 * is destroyed (its slot freed) once its last use ends. The region holds
 * exactly as many instances as the test keeps alive, so a destruction that
 * never happens shows up as region_full. Run under ASan too
 * (test_capi_handles_asan). Guest: wat/handles.wat. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>

#include "capi_test_util.h"

#define PAIRS 4
#define ROUNDS 150

static char g_so[300];
static struct lucet_dl_module *g_module;
static struct lucet_region *g_region; /* PAIRS slots */

static void host_hook(struct lucet_vmctx *ctx);

static int group_setup(void **state) {
    (void)state;
    if (make_temp_dir() || build_guest("handles", g_so)) return -1;
    g_module = load(g_so);
    g_region = small_region(PAIRS);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    lucet_region_release(g_region);
    lucet_dl_module_release(g_module);
    return remove_temp_dir();
}

static enum lucet_error new_instance(void *embed_ctx, struct lucet_instance **out) {
    struct lucet_host_func hf;
    memset(&hf, 0, sizeof hf);
    hf.module_name = "env";
    hf.field_name = "hook";
    hf.func = (lucet_host_func_ptr)host_hook;
    return lucet_region_new_instance_with_imports(g_region, g_module, &hf, 1, embed_ctx, NULL, out);
}

static uint64_t region_used(void) {
    uint64_t used = 99, cap = 0;
    lucet_region_used(g_region, &used, &cap);
    return used;
}

/* ------------------------------------------------ call vs release vs read */

struct pair {
    int id;
    struct lucet_instance *inst;
    unsigned calls;         /* successful runs so far (atomic) */
    unsigned release_after; /* the releaser waits for this many */
    unsigned long total_calls, refused_calls, reads;
    char failure[512]; /* the first thing that went wrong, "" if none */
};

/* cmocka's asserts stay on the main thread: the threads record failures. */
static void record(struct pair *p, const char *what, enum lucet_error e) {
    if (!__atomic_exchange_n(&p->failure[0], 'x', __ATOMIC_ACQ_REL))
        snprintf(p->failure, sizeof p->failure, "pair %d: %s: %s (%s)", p->id, what, lucet_error_name(e),
                 lucet_error_message());
}

static void *runner(void *arg) {
    struct pair *p = arg;
    uint32_t expect = 1;
    for (;;) {
        struct lucet_result res;
        enum lucet_error e = lucet_instance_run(p->inst, "bump", 0, NULL, &res);
        if (e == lucet_error_invalid_argument) {
            if (!strstr(lucet_error_message(), "not a live instance handle")) record(p, "refused run", e);
            p->refused_calls++;
            return NULL;
        }
        /* Its own instance, fresh at creation: 1, 2, 3, ... */
        if (e != lucet_error_ok || res.tag != lucet_result_tag_returned ||
            res.val.returned.values[0].inner_val.as_i32 != expect)
            return record(p, "bump (wrong value or error)", e), NULL;
        __atomic_store_n(&p->calls, expect, __ATOMIC_RELEASE);
        expect++;
        p->total_calls++;
    }
}

static void *releaser(void *arg) {
    struct pair *p = arg;
    enum lucet_error e;
    while (__atomic_load_n(&p->calls, __ATOMIC_ACQUIRE) < p->release_after) sched_yield();
    if ((e = lucet_instance_release(p->inst)) != lucet_error_ok) record(p, "release", e);
    if ((e = lucet_instance_release(p->inst)) != lucet_error_invalid_argument) record(p, "second release", e);
    return NULL;
}

/* Reads through the handle until it dies: always this pair's context and
 * memory, never another instance's (the index is reused by other pairs while
 * this handle is stale). */
static void *reader(void *arg) {
    struct pair *p = arg;
    for (;;) {
        void *ctx = lucet_instance_embed_ctx(p->inst);
        uint64_t len = lucet_instance_heap_len(p->inst);
        if (!ctx && !len) return NULL;
        if (ctx && ctx != p) return record(p, "embed_ctx of another instance", lucet_error_ok), NULL;
        if (len && len != 65536) /* one page */ return record(p, "heap_len", lucet_error_ok), NULL;
        p->reads++;
    }
}

static void *pair_driver(void *arg) {
    struct pair *p = arg;
    unsigned seed = (unsigned)p->id * 7919u + 1;
    int round;
    for (round = 0; round < ROUNDS && !p->failure[0]; round++) {
        pthread_t t[3];
        enum lucet_error e = new_instance(p, &p->inst);
        if (e != lucet_error_ok) return record(p, "new instance (a released one was not destroyed?)", e), NULL;
        p->calls = 0;
        seed = seed * 1103515245u + 12345u;
        p->release_after = (seed >> 16) % 64; /* 0: maybe before the first call */
        pthread_create(&t[0], NULL, runner, p);
        pthread_create(&t[1], NULL, releaser, p);
        pthread_create(&t[2], NULL, reader, p);
        pthread_join(t[0], NULL);
        pthread_join(t[1], NULL);
        pthread_join(t[2], NULL);
    }
    return NULL;
}

static void call_vs_release(void **state) {
    struct pair pairs[PAIRS];
    pthread_t t[PAIRS];
    unsigned long calls = 0, refused = 0;
    int k;
    (void)state;
    memset(pairs, 0, sizeof pairs);
    for (k = 0; k < PAIRS; k++) {
        pairs[k].id = k;
        assert_int_equal(pthread_create(&t[k], NULL, pair_driver, &pairs[k]), 0);
    }
    for (k = 0; k < PAIRS; k++) pthread_join(t[k], NULL);
    for (k = 0; k < PAIRS; k++) {
        if (pairs[k].failure[0]) fail_msg("%s", pairs[k].failure);
        calls += pairs[k].total_calls;
        refused += pairs[k].refused_calls;
    }
    print_message("%lu runs, %lu refused after release, over %d x %d instances\n", calls, refused, PAIRS, ROUNDS);
    assert_int_equal(refused, PAIRS * ROUNDS);
    assert_true(calls >= (unsigned long)PAIRS * ROUNDS);
    assert_int_equal(region_used(), 0); /* every released instance destroyed */
}

/* ------------------------------------------------------- double release */

struct race {
    pthread_barrier_t *barrier;
    enum lucet_error (*release)(void *);
    void *handle;
    enum lucet_error rc;
};

static enum lucet_error release_wasi_ctx(void *h) { return lucet_wasi_ctx_destroy(h); }
static enum lucet_error release_instance(void *h) { return lucet_instance_release(h); }

static void *racer(void *arg) {
    struct race *r = arg;
    pthread_barrier_wait(r->barrier);
    r->rc = r->release(r->handle);
    return NULL;
}

/* Two threads release one handle at the same moment: exactly one succeeds. */
static void race_releases(void *handle, enum lucet_error (*release)(void *)) {
    pthread_barrier_t b;
    struct race r[2];
    pthread_t t[2];
    int k;
    pthread_barrier_init(&b, NULL, 2);
    for (k = 0; k < 2; k++) {
        r[k].barrier = &b;
        r[k].release = release;
        r[k].handle = handle;
        assert_int_equal(pthread_create(&t[k], NULL, racer, &r[k]), 0);
    }
    for (k = 0; k < 2; k++) pthread_join(t[k], NULL);
    pthread_barrier_destroy(&b);
    assert_true((r[0].rc == lucet_error_ok) != (r[1].rc == lucet_error_ok));
    assert_int_equal(r[0].rc == lucet_error_ok ? r[1].rc : r[0].rc, lucet_error_invalid_argument);
}

static void double_release_race(void **state) {
    int n;
    (void)state;
    for (n = 0; n < 1000; n++) {
        struct lucet_wasi_ctx *c = NULL;
        assert_int_equal(lucet_wasi_ctx_create(&c), lucet_error_ok);
        race_releases(c, release_wasi_ctx);
    }
    for (n = 0; n < 200; n++) {
        struct lucet_instance *i = NULL;
        assert_int_equal(new_instance(NULL, &i), lucet_error_ok);
        race_releases(i, release_instance);
        assert_int_equal(region_used(), 0);
    }
}

/* ---------------------------------------------------- stale, wrong kind */

static void stale_handle_after_reuse(void **state) {
    struct lucet_instance *a = NULL, *b = NULL;
    struct lucet_result res;
    int tag_a, tag_b, local = 0;
    (void)state;
    assert_int_equal(new_instance(&tag_a, &a), lucet_error_ok);
    assert_int_equal(lucet_instance_release(a), lucet_error_ok);
    assert_int_equal(new_instance(&tag_b, &b), lucet_error_ok);
    /* b reuses a's index (the low 24 bits): only the generation tells them apart */
    assert_int_equal((uintptr_t)a & 0xffffff, (uintptr_t)b & 0xffffff);
    assert_true(a != b);
    assert_int_equal(lucet_instance_run(a, "bump", 0, NULL, &res), lucet_error_invalid_argument);
    assert_int_equal(res.tag, lucet_result_tag_errored);
    assert_null(lucet_instance_embed_ctx(a));
    assert_null(lucet_instance_heap(a));
    assert_int_equal(lucet_instance_release(a), lucet_error_invalid_argument);
    assert_ptr_equal(lucet_instance_embed_ctx(b), &tag_b);
    assert_int_equal(run_i32(b, "bump", 0, NULL), 1);
    /* a region handle, a real pointer, the handle's neighbours */
    assert_int_equal(lucet_instance_run((struct lucet_instance *)g_region, "bump", 0, NULL, NULL),
                     lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_run((struct lucet_instance *)&local, "bump", 0, NULL, NULL),
                     lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_release((struct lucet_instance *)((uintptr_t)b + 1)), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_release((struct lucet_instance *)((uintptr_t)b + (1u << 24))),
                     lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_release(b), lucet_error_ok);
    assert_int_equal(region_used(), 0);
}

/* ------------------------------------------ released by its own host call */

struct self_release {
    struct lucet_instance *inst;
    enum lucet_error first, second;
    void *ctx_after;
    uint64_t used_during;
};

static void host_hook(struct lucet_vmctx *ctx) {
    struct self_release *s = lucet_vmctx_get_delegate(ctx);
    if (!s) return;
    s->first = lucet_instance_release(s->inst);
    s->second = lucet_instance_release(s->inst);
    s->ctx_after = lucet_instance_embed_ctx(s->inst);
    s->used_during = region_used();
}

static void release_inside_own_call(void **state) {
    int n;
    (void)state;
    use_runtime_signal_handlers();
    for (n = 0; n < 50; n++) {
        struct self_release s;
        struct lucet_result res;
        memset(&s, 0, sizeof s);
        assert_int_equal(new_instance(&s, &s.inst), lucet_error_ok);
        assert_int_equal(run_i32(s.inst, "bump", 0, NULL), 1);
        /* The run goes on after the release, on memory still its own */
        assert_int_equal(run_i32(s.inst, "hooked", 0, NULL), 7);
        assert_int_equal(s.first, lucet_error_ok);
        assert_int_equal(s.second, lucet_error_invalid_argument);
        assert_null(s.ctx_after);
        assert_int_equal(s.used_during, 1); /* still alive while running */
        assert_int_equal(region_used(), 0); /* destroyed when the run ended */
        assert_int_equal(lucet_instance_run(s.inst, "bump", 0, NULL, &res), lucet_error_invalid_argument);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stale_handle_after_reuse),
        cmocka_unit_test(release_inside_own_call),
        cmocka_unit_test(double_release_race),
        cmocka_unit_test(call_vs_release),
    };
    if (record_runtime_signal_handlers()) return 1;
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
