/* C API calls late in a thread's exit: from pthread key destructors, which
 * glibc runs after the thread's C++ thread_local destructors, and in rounds
 * (a key set again during one runs its destructor again in the next). The
 * library's per-thread state (error message, backtrace text, kept call
 * result, hazard record, alternate signal stack) must be usable there, both
 * when the thread used the library before (its state was cleaned up in an
 * earlier round: a destroyed thread_local message was written to, a use after
 * free) and when the destructor is the thread's first use (its state must
 * still be freed: an alternate signal stack mapping and a result leaked per
 * thread). The _asan variant checks the first; /proc/self/maps the second.
 * Guest: wat/main.wat. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "capi_test_util.h"

#define THREADS 150

static char g_so[300];
static struct lucet_instance *g_inst;
static pthread_key_t g_key;
static char g_failure[512]; /* the first thing that went wrong, "" if none */
static unsigned g_late_calls;

static int group_setup(void **state) {
    (void)state;
    return make_temp_dir() || build_guest("main", g_so);
}

static int group_teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

#define EXPECT(cond, ...)                                                          \
    do {                                                                           \
        if (!(cond)) {                                                             \
            if (!g_failure[0]) snprintf(g_failure, sizeof g_failure, __VA_ARGS__); \
            return;                                                                \
        }                                                                          \
    } while (0)

/* Everything with per-thread state: a kept-result call, a failing call and
 * its message, a trap (on the alternate signal stack) and its backtrace. */
static void use_the_library(const char *when) {
    struct lucet_func f;
    struct lucet_func stale;
    struct lucet_val a[2], r[1];
    struct lucet_result res;
    size_t n = 0;
    const char *bt;
    enum lucet_error e;
    a[0] = i32v(40), a[1] = i32v(2);
    e = lucet_instance_func(g_inst, "add", &f);
    EXPECT(e == lucet_error_ok, "%s: lucet_instance_func: %s", when, lucet_error_name(e));
    e = lucet_func_call(&f, 2, a, r, 1, &n, NULL);
    EXPECT(e == lucet_error_ok && n == 1 && r[0].inner_val.as_i32 == 42, "%s: lucet_func_call: %s", when,
           lucet_error_name(e));
    memset(&stale, 0, sizeof stale);
    e = lucet_func_call(&stale, 0, NULL, NULL, 0, NULL, NULL);
    EXPECT(e == lucet_error_invalid_argument, "%s: a call of a made-up lucet_func: %s", when, lucet_error_name(e));
    EXPECT(strstr(lucet_error_message(), "not a live instance") != NULL, "%s: message '%s'", when,
           lucet_error_message());
    a[0] = i32v(70000);
    e = lucet_instance_run(g_inst, "load", 1, a, &res);
    EXPECT(e == lucet_error_runtime_fault && res.val.faulted.code == lucet_trap_code_heap_out_of_bounds,
           "%s: a load out of bounds: %s", when, lucet_error_name(e));
    bt = lucet_instance_trap_backtrace(g_inst);
    EXPECT(bt != NULL && bt[0] != '\0', "%s: trap_backtrace: %s", when, lucet_error_message());
    EXPECT(lucet_error_message()[0] == '\0', "%s: a message after a call that worked", when);
    g_late_calls++;
}

/* Runs twice per thread: in the first destructor round, then again in the
 * second (it sets its key again), after the library's own state was
 * cleaned up in the first. */
static void late(void *p) {
    use_the_library(p == (void *)1 ? "first destructor round" : "second destructor round");
    if (p == (void *)1) pthread_setspecific(g_key, (void *)2);
}

static void *used_before(void *p) {
    (void)p;
    use_the_library("thread body");
    pthread_setspecific(g_key, (void *)1);
    return NULL;
}

static void *first_use_late(void *p) {
    (void)p;
    pthread_setspecific(g_key, (void *)1);
    return NULL;
}

static long mappings(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    long n = 0;
    int c;
    if (!f) return -1;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

static void run_threads(void *(*body)(void *)) {
    int k;
    for (k = 0; k < THREADS && !g_failure[0]; k++) {
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, body, NULL), 0);
        assert_int_equal(pthread_join(t, NULL), 0);
    }
    if (g_failure[0]) fail_msg("%s", g_failure);
}

static void calls_from_key_destructors(void **state) {
    struct lucet_region *r;
    struct lucet_dl_module *m;
    long before, after;
    (void)state;
    use_runtime_signal_handlers();
    r = small_region(1);
    m = load(g_so);
    assert_int_equal(lucet_region_new_instance(r, m, &g_inst), lucet_error_ok);
    /* The library's own keys exist before this test's (they are made on
     * first use): in each destructor round its cleanups run first. */
    use_the_library("main thread");
    if (g_failure[0]) fail_msg("%s", g_failure);
    assert_int_equal(pthread_key_create(&g_key, late), 0);

    run_threads(used_before);
    assert_int_equal(g_late_calls, 1 + 3 * THREADS);
    /* A warm-up round of first uses (the allocator's and loader's own
     * mappings settle), then the count of mappings must stay flat. */
    run_threads(first_use_late);
    before = mappings();
    run_threads(first_use_late);
    after = mappings();
    assert_int_equal(g_late_calls, 1 + 3 * THREADS + 4 * THREADS);
    /* Each leaked alternate signal stack was two mappings (its guard page). */
    if (after > before + 10) fail_msg("mappings grew from %ld to %ld over %d threads", before, after, THREADS);

    assert_int_equal(pthread_key_delete(g_key), 0);
    assert_int_equal(lucet_instance_release(g_inst), lucet_error_ok);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

int main(void) {
    if (record_runtime_signal_handlers()) return 1;
    {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(calls_from_key_destructors),
        };
        /* cmocka returns the number of failed tests: 77 would read as "skipped". */
        return cmocka_run_group_tests(tests, group_setup, group_teardown) == 0 ? 0 : 1;
    }
}
