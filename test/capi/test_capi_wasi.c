/* cmocka tests of WASI contexts through include/lucet_wasi.h (plain C99):
 * configuring them (also from several threads at once), giving them to
 * instances, WASI beside an embedder's own context. Guests: wat/wasi.wat and
 * wat/wasi_embed.wat, built in the group setup. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "capi_test_util.h"

static char g_so_wasi[300], g_so_wasi_embed[300];
static const enum lucet_val_type t_i32[1] = {lucet_val_type_i32};

static int group_setup(void **state) {
    (void)state;
    if (make_temp_dir()) return -1;
    return build_guest("wasi", g_so_wasi) || build_guest("wasi_embed", g_so_wasi_embed) ? -1 : 0;
}

static int group_teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

static void wasi_ctx_errors(void **state) {
    struct lucet_wasi_ctx *w = NULL;
    const char *args[2] = {"a", NULL};
    (void)state;
    assert_int_equal(lucet_wasi_ctx_create(NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_args(w, 1, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_args(w, 2, args), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_args(w, 0, NULL), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_env(w, "A=B", "c"), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_env(w, "", "c"), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_env(w, NULL, "c"), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_env(w, "A", NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_preopen_dir(w, NULL, "/"), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_preopen_dir(w, "/nonexistent/dir", "/d"), lucet_error_internal);
    assert_non_null(strstr(lucet_error_message(), "/nonexistent/dir"));
    assert_int_equal(lucet_wasi_ctx_destroy(w), lucet_error_ok);
    /* Everything on a destroyed context is refused. */
    assert_int_equal(lucet_wasi_ctx_args(w, 1, args), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_env(w, "A", "B"), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_inherit_env(w), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_inherit_stdio(w), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_preopen_dir(w, "/tmp", "/tmp"), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_destroy(w), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_destroy(NULL), lucet_error_invalid_argument);
}

static struct lucet_wasi_ctx *make_wasi_ctx(void) {
    struct lucet_wasi_ctx *w = NULL;
    const char *args[3] = {"prog", "one", "two"};
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_args(w, 2, args), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_args(w, 1, args + 2), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_env(w, "A", "1"), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_env(w, "B", "x=y"), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_inherit_stdio(w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_preopen_dir(w, g_dir, "/sandbox"), lucet_error_ok);
    return w;
}

static void wasi_instance(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_wasi);
    struct lucet_instance *i = NULL;
    struct lucet_wasi_ctx *w = make_wasi_ctx();
    struct lucet_result res;
    (void)state;
    /* Without WASI the imports are missing. */
    assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_symbol_not_found);
    assert_non_null(strstr(lucet_error_message(), "wasi_snapshot_preview1"));
    assert_int_equal(lucet_region_new_instance_with_wasi_ctx(r, m, w, &i), lucet_error_ok);
    /* The instance consumed the context. */
    assert_int_equal(lucet_wasi_ctx_destroy(w), lucet_error_invalid_argument);
    assert_null(lucet_instance_embed_ctx(i));

    assert_int_equal(lucet_instance_run(i, "argc", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 3);
    assert_int_equal(lucet_instance_run(i, "envc", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 2);
    assert_int_equal(lucet_instance_run(i, "_start", 0, NULL, &res), lucet_error_runtime_terminated);
    assert_int_equal(res.tag, lucet_result_tag_terminated);
    assert_int_equal(res.val.terminated.exit_code, 7);
    assert_int_equal(lucet_instance_release(i), lucet_error_ok);

    /* A consumed handle cannot be given twice; a failed instantiation
     * consumes too (the region is full here). */
    w = make_wasi_ctx();
    assert_int_equal(lucet_region_new_instance_with_wasi_ctx(r, m, w, &i), lucet_error_ok);
    {
        struct lucet_instance *j = NULL;
        struct lucet_wasi_ctx *w2 = make_wasi_ctx();
        assert_int_equal(lucet_region_new_instance_with_wasi_ctx(r, m, w, &j), lucet_error_invalid_argument);
        assert_int_equal(lucet_region_new_instance_with_wasi_ctx(r, m, w2, &j), lucet_error_region_full);
        assert_int_equal(lucet_wasi_ctx_destroy(w2), lucet_error_invalid_argument);
    }
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static uint32_t host_tag(struct lucet_vmctx *ctx) {
    const uint32_t *tag = lucet_vmctx_get_delegate(ctx);
    return tag ? *tag : 999;
}

static void wasi_with_embed_ctx(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_wasi_embed);
    struct lucet_instance *i = NULL;
    struct lucet_wasi_ctx *w = make_wasi_ctx(); /* three args */
    struct lucet_host_func hf;
    struct lucet_result res;
    uint32_t tag = 42;
    (void)state;
    memset(&hf, 0, sizeof hf);
    hf.module_name = "env", hf.field_name = "tag", hf.func = (lucet_host_func_ptr)host_tag;
    hf.results = t_i32, hf.nresults = 1;
    /* Both contexts on one instance: WASI works over its own, the host
     * function and the embedder see theirs. */
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, &hf, 1, &tag, w, &i), lucet_error_ok);
    assert_ptr_equal(lucet_instance_embed_ctx(i), &tag);
    assert_int_equal(lucet_instance_run(i, "both", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 3042);
    tag = 7;
    assert_int_equal(lucet_instance_run(i, "both", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 3007);
    assert_int_equal(lucet_instance_release(i), lucet_error_ok);
    /* WASI without an embedder context: the host function sees NULL. */
    w = make_wasi_ctx();
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, &hf, 1, NULL, w, &i), lucet_error_ok);
    assert_null(lucet_instance_embed_ctx(i));
    assert_int_equal(lucet_instance_run(i, "both", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 3999);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void wasi_inherit_env(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_wasi);
    struct lucet_instance *i = NULL;
    struct lucet_wasi_ctx *w = NULL;
    struct lucet_result res;
    extern char **environ;
    uint32_t n = 0;
    char **e;
    (void)state;
    setenv("LUCET_CAPI_TEST", "1", 1);
    for (e = environ; *e; e++) n++;
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_inherit_env(w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_env(w, "EXTRA", ""), lucet_error_ok);
    assert_int_equal(lucet_region_new_instance_with_wasi_ctx(r, m, w, &i), lucet_error_ok);
    assert_int_equal(lucet_instance_run(i, "envc", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, n + 1);
    assert_int_equal(lucet_instance_run(i, "argc", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 0);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

/* One WASI context configured by several threads at once, and given to an
 * instance while they still configure it (two lucet_wasi_ctx_args at once
 * crashed). Each configuring call either adds its arguments, all of them
 * before the instance takes the context, or is refused: the guest sees
 * exactly the arguments of the calls that succeeded. */
#define CONFIGURERS 4
#define CONFIGURE_CALLS 400
struct configurer {
    struct lucet_wasi_ctx *w;
    pthread_t t;
    unsigned args_ok, env_ok, wrong;
};

static void *configure_main(void *p) {
    struct configurer *c = p;
    /* Longer than any small-string buffer: each append reallocates. */
    const char *args[] = {"an-argument-longer-than-a-small-string-buffer", "x"};
    int n;
    for (n = 0; n < CONFIGURE_CALLS; n++) {
        enum lucet_error e = lucet_wasi_ctx_args(c->w, 2, args);
        if (e == lucet_error_ok) c->args_ok++;
        else if (e == lucet_error_invalid_argument) break; /* taken by the instance */
        else c->wrong++;
        e = lucet_wasi_ctx_env(c->w, "A_NAME_LONGER_THAN_A_SMALL_STRING", "and-a-value-longer-than-one-too");
        if (e == lucet_error_ok) c->env_ok++;
        else if (e == lucet_error_invalid_argument) break;
        else c->wrong++;
    }
    return NULL;
}

static void wasi_ctx_configured_from_threads(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_wasi);
    struct lucet_instance *i = NULL;
    struct lucet_result res;
    struct configurer c[CONFIGURERS];
    unsigned args = 0, env = 0;
    int k, round;
    (void)state;
    for (round = 0; round < 2; round++) {
        struct lucet_wasi_ctx *w = NULL;
        assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
        memset(c, 0, sizeof c);
        for (k = 0; k < CONFIGURERS; k++) {
            c[k].w = w;
            assert_int_equal(pthread_create(&c[k].t, NULL, configure_main, &c[k]), 0);
        }
        /* Round 0: all calls finish first. Round 1: the instance takes the
         * context while the threads are at it. */
        if (round == 0)
            for (k = 0; k < CONFIGURERS; k++) pthread_join(c[k].t, NULL);
        assert_int_equal(lucet_region_new_instance_with_wasi_ctx(r, m, w, &i), lucet_error_ok);
        if (round == 1)
            for (k = 0; k < CONFIGURERS; k++) pthread_join(c[k].t, NULL);
        args = env = 0;
        for (k = 0; k < CONFIGURERS; k++) {
            assert_int_equal(c[k].wrong, 0);
            args += c[k].args_ok;
            env += c[k].env_ok;
        }
        if (round == 0) {
            assert_int_equal(args, CONFIGURERS * CONFIGURE_CALLS);
            assert_int_equal(env, CONFIGURERS * CONFIGURE_CALLS);
        }
        assert_int_equal(lucet_instance_run(i, "argc", 0, NULL, &res), lucet_error_ok);
        assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 2 * args);
        assert_int_equal(lucet_instance_run(i, "envc", 0, NULL, &res), lucet_error_ok);
        assert_int_equal(res.val.returned.values[0].inner_val.as_i32, env);
        /* Later configuring calls are refused, naming why. */
        assert_int_equal(lucet_wasi_ctx_max_fds(w, 8), lucet_error_invalid_argument);
        assert_int_equal(lucet_instance_release(i), lucet_error_ok);
    }
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

/* A thread cancelled while its guest blocks in a WASI read (read(2) is a
 * cancellation point): the cancel must not unwind through the guest (glibc
 * aborted the process: "exception not rethrown"). WASI calls hold it off;
 * it takes effect at the thread's next cancellation point after the run. */
struct reader {
    struct lucet_instance *inst;
    enum lucet_error e;
    uint32_t value;
    int cancel_state;
    volatile int returned;
};

static void *reader_main(void *p) {
    struct reader *rd = p;
    struct lucet_result res;
    rd->e = lucet_instance_run(rd->inst, "readin", 0, NULL, &res);
    if (rd->e == lucet_error_ok) rd->value = res.val.returned.values[0].inner_val.as_i32;
    /* The thread's cancellation state is its own again after the run. */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &rd->cancel_state);
    rd->returned = 1;
    pthread_testcancel();
    return NULL;
}

static void cancel_during_a_wasi_read(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_wasi);
    struct lucet_wasi_ctx *w = NULL;
    struct reader rd;
    struct timespec pause = {0, 100 * 1000 * 1000};
    pthread_t t;
    void *rv = NULL;
    int p[2];
    (void)state;
    assert_int_equal(pipe(p), 0);
    memset(&rd, 0, sizeof rd);
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 0, p[0]), lucet_error_ok);
    assert_int_equal(lucet_region_new_instance_with_wasi_ctx(r, m, w, &rd.inst), lucet_error_ok);
    assert_int_equal(pthread_create(&t, NULL, reader_main, &rd), 0);
    nanosleep(&pause, NULL); /* the guest blocks reading the empty pipe */
    assert_int_equal(pthread_cancel(t), 0);
    nanosleep(&pause, NULL);
    assert_int_equal(rd.returned, 0); /* still reading: the cancel waits */
    assert_int_equal(write(p[1], "hello", 5), 5);
    assert_int_equal(pthread_join(t, &rv), 0);
    assert_true(rv == PTHREAD_CANCELED);
    assert_int_equal(rd.returned, 1);
    assert_int_equal(rd.e, lucet_error_ok);
    assert_int_equal(rd.value, 5); /* errno 0, 5 bytes */
    assert_int_equal(rd.cancel_state, PTHREAD_CANCEL_ENABLE);

    /* A kill switch stops the blocked read (the run leaves the WASI call
     * for good); cancellation is enabled again afterwards. */
    {
        struct lucet_kill_switch *ks = NULL;
        bool stopped = false;
        rd.e = lucet_error_ok;
        rd.returned = 0;
        rd.cancel_state = -1;
        assert_int_equal(lucet_instance_kill_switch(rd.inst, &ks), lucet_error_ok);
        assert_int_equal(pthread_create(&t, NULL, reader_main, &rd), 0);
        nanosleep(&pause, NULL);
        assert_int_equal(lucet_kill_switch_terminate(ks, &stopped), lucet_error_ok);
        assert_int_equal(pthread_join(t, &rv), 0);
        assert_true(rv == NULL);
        assert_int_equal(rd.e, lucet_error_runtime_terminated);
        assert_int_equal(rd.cancel_state, PTHREAD_CANCEL_ENABLE);
        lucet_kill_switch_release(ks);
    }
    assert_int_equal(lucet_instance_release(rd.inst), lucet_error_ok);
    close(p[0]);
    close(p[1]);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

int main(void) {
    /* Creating a region installs the runtime's signal handlers: keep them. */
    if (record_runtime_signal_handlers()) return 1;
    {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(wasi_ctx_errors),
            cmocka_unit_test(wasi_instance),
            cmocka_unit_test(wasi_inherit_env),
            cmocka_unit_test(wasi_with_embed_ctx),
            cmocka_unit_test(wasi_ctx_configured_from_threads),
            cmocka_unit_test(cancel_during_a_wasi_read),
        };
        /* cmocka returns the number of failed tests: 77 would read as "skipped". */
        return cmocka_run_group_tests(tests, group_setup, group_teardown) == 0 ? 0 : 1;
    }
}
