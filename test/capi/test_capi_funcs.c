/* cmocka tests of pre-resolved calls through lucet_wasi.h: struct
 * lucet_func from lucet_instance_func, called with lucet_func_call: values,
 * buffers, errors, traps, yields, calls nested in host functions, and
 * lucet_func values that outlive their instance or were never filled.
 * Guest: wat/funcs.wat. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "capi_test_util.h"

static char g_so[300];

/* What env.reenter calls, and what that call returned. */
static struct lucet_func g_target;
static enum lucet_error g_reenter_err;

/* env.reenter: add(x, 10) through g_target; 0xffffffff when it fails. */
static uint32_t reenter(struct lucet_vmctx *ctx, uint32_t x) {
    struct lucet_val args[2], res[1];
    size_t n = 0;
    (void)ctx;
    memset(args, 0, sizeof args);
    args[0] = i32v(x);
    args[1].ty = lucet_val_type_i64;
    args[1].inner_val.as_i64 = 10;
    g_reenter_err = lucet_func_call(&g_target, 2, args, res, 1, &n, NULL);
    if (g_reenter_err != lucet_error_ok || n != 1) return 0xffffffffu;
    return (uint32_t)res[0].inner_val.as_i64;
}

static uint32_t yield_val(struct lucet_vmctx *ctx, uint32_t x) {
    return lucet_vmctx_yield(ctx, i32v(x)).inner_val.as_i32;
}

static const enum lucet_val_type k_i32[1] = {lucet_val_type_i32};

static struct lucet_instance *new_inst(struct lucet_region *r, struct lucet_dl_module *m) {
    struct lucet_host_func f[2];
    struct lucet_instance *i = NULL;
    memset(f, 0, sizeof f);
    f[0].module_name = "env";
    f[0].field_name = "reenter";
    f[0].func = (lucet_host_func_ptr)reenter;
    f[0].params = k_i32;
    f[0].nparams = 1;
    f[0].results = k_i32;
    f[0].nresults = 1;
    f[1] = f[0];
    f[1].field_name = "yield_val";
    f[1].func = (lucet_host_func_ptr)yield_val;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, f, 2, NULL, NULL, &i), lucet_error_ok);
    return i;
}

static struct lucet_func func(struct lucet_instance *i, const char *name) {
    struct lucet_func f;
    enum lucet_error e = lucet_instance_func(i, name, &f);
    if (e != lucet_error_ok) fprintf(stderr, "%s: %s\n", name, lucet_error_message());
    assert_int_equal(e, lucet_error_ok);
    return f;
}

static struct lucet_val i64v(uint64_t v) {
    struct lucet_val x;
    memset(&x, 0, sizeof x);
    x.ty = lucet_val_type_i64;
    x.inner_val.as_i64 = v;
    return x;
}

/* How many times the guest's counting exports ran. */
static uint32_t calls(struct lucet_instance *i) { return run_i32(i, "calls", 0, NULL); }

static void test_values(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    struct lucet_func add = func(i, "add"), three = func(i, "three"), empty = func(i, "empty"),
                      many = func(i, "many");
    struct lucet_val args[18], res[4];
    struct lucet_result out;
    size_t n = 99, k;
    (void)state;
    args[0] = i32v(5);
    args[1] = i64v(1ull << 40);
    assert_int_equal(lucet_func_call(&add, 2, args, res, 1, &n, &out), lucet_error_ok);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].ty, lucet_val_type_i64);
    assert_true(res[0].inner_val.as_i64 == (1ull << 40) + 5);
    assert_int_equal(out.tag, lucet_result_tag_returned);
    assert_int_equal(out.val.returned.nvalues, 1);
    assert_true(out.val.returned.values[0].inner_val.as_i64 == (1ull << 40) + 5);
    /* No results: NULL buffer; repeated calls keep working. */
    for (k = 0; k < 1000; k++) assert_int_equal(lucet_func_call(&empty, 0, NULL, NULL, 0, NULL, NULL), lucet_error_ok);
    /* A copy of the value is as good as the original. */
    {
        struct lucet_func copy = add;
        assert_int_equal(lucet_func_call(&copy, 2, args, res, 1, &n, NULL), lucet_error_ok);
    }
    /* Too small a buffer: the count needed, and the guest does not run. */
    k = calls(i);
    n = 0;
    assert_int_equal(lucet_func_call(&three, 0, NULL, res, 2, &n, &out), lucet_error_buffer_too_small);
    assert_int_equal(n, 3);
    assert_int_equal(out.tag, lucet_result_tag_errored);
    assert_non_null(strstr(lucet_error_message(), "at least 3"));
    assert_int_equal(lucet_func_call(&three, 0, NULL, NULL, 0, &n, NULL), lucet_error_buffer_too_small);
    assert_int_equal(calls(i), k);
    assert_int_equal(lucet_func_call(&three, 0, NULL, res, 4, &n, NULL), lucet_error_ok);
    assert_int_equal(n, 3);
    assert_int_equal(res[0].inner_val.as_i32, 1);
    assert_true(res[1].inner_val.as_i64 == 2);
    assert_true(res[2].ty == lucet_val_type_f64 && res[2].inner_val.as_f64 == 3.5);
    assert_int_equal(calls(i), k + 1);
    /* 18 arguments (more than fit in place). */
    for (k = 0; k < 17; k++) args[k] = i32v((uint32_t)k + 1);
    args[17] = i64v(1000);
    assert_int_equal(lucet_func_call(&many, 18, args, res, 1, &n, NULL), lucet_error_ok);
    assert_true(res[0].inner_val.as_i64 == 1 + 17 + 1000);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void test_lookup_errors(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    struct lucet_func f;
    (void)state;
    memset(&f, 0xab, sizeof f);
    assert_int_equal(lucet_instance_func(i, "nope", &f), lucet_error_func_not_found);
    assert_null(f.instance); /* cleared on failure */
    assert_int_equal(lucet_instance_func(i, "g", &f), lucet_error_func_not_found);
    assert_non_null(strstr(lucet_error_message(), "not a function"));
    assert_int_equal(lucet_instance_func(i, "takes_ref", &f), lucet_error_unsupported);
    assert_non_null(strstr(lucet_error_message(), "funcref"));
    assert_int_equal(lucet_instance_func(i, NULL, &f), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_func(i, "add", NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_func(NULL, "add", &f), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_func((struct lucet_instance *)&f, "add", &f), lucet_error_invalid_argument);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void test_call_errors(void **state) {
    struct lucet_region *r = small_region(2);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m), *j;
    struct lucet_func add = func(i, "add"), forged, zero, stale;
    struct lucet_val args[2], res[2];
    struct lucet_result out;
    size_t n = 7;
    (void)state;
    args[0] = i32v(1);
    args[1] = i64v(2);
    /* Argument count and types are checked; the guest does not run. */
    assert_int_equal(lucet_func_call(&add, 1, args, res, 2, &n, &out), lucet_error_invalid_argument);
    assert_int_equal(n, 0);
    assert_int_equal(out.tag, lucet_result_tag_errored);
    args[1] = i32v(2);
    assert_int_equal(lucet_func_call(&add, 2, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "argument 1"));
    args[1].ty = (enum lucet_val_type)0x55;
    assert_int_equal(lucet_func_call(&add, 2, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "unknown type"));
    args[1] = i64v(2);
    assert_int_equal(lucet_func_call(&add, 2, NULL, res, 2, &n, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_func_call(&add, 2, args, NULL, 2, &n, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_func_call(NULL, 2, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    /* A huge wrong count is a wrong count (it was lucet_error_internal, out
     * of memory, from allocating room for the arguments first). */
    assert_int_equal(lucet_func_call(&add, SIZE_MAX, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "takes 2 arguments"));
    assert_int_equal(lucet_func_call(&add, (size_t)1 << 40, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_call(i, "add", (size_t)1 << 40, args, res, 2, &n, NULL),
                     lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "takes 2 arguments, got 1099511627776"));
    assert_int_equal(lucet_instance_run(i, "add", SIZE_MAX, args, NULL), lucet_error_invalid_argument);
    /* Made-up values: an index that is no function, a zeroed struct. */
    forged = add;
    forged.func_index = 100000;
    assert_int_equal(lucet_func_call(&forged, 2, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    forged.func_index = 0; /* env.reenter: an import of type (i32) -> i32 */
    assert_int_equal(lucet_func_call(&forged, 2, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    memset(&zero, 0, sizeof zero);
    assert_int_equal(lucet_func_call(&zero, 0, NULL, NULL, 0, NULL, NULL), lucet_error_invalid_argument);
    /* Index UINT32_MAX as the first call on a fresh instance: it matched the
     * empty one-entry caches (C API and runtime) and read a NULL type
     * (SIGSEGV with results_cap >= 2^32 - 1; buffer_too_small with
     * nresults_out = 2^32 - 1 below that). */
    j = new_inst(r, m);
    forged.instance = j;
    forged.func_index = UINT32_MAX;
    n = 7;
    assert_int_equal(lucet_func_call(&forged, 0, NULL, res, SIZE_MAX, &n, NULL), lucet_error_invalid_argument);
    assert_int_equal(n, 0);
    assert_int_equal(lucet_func_call(&forged, 0, NULL, res, 2, &n, NULL), lucet_error_invalid_argument);
    assert_int_equal(n, 0);
    lucet_instance_release(j);
    /* The real one still works after all that. */
    assert_int_equal(lucet_func_call(&add, 2, args, res, 2, &n, NULL), lucet_error_ok);
    assert_true(res[0].inner_val.as_i64 == 3);
    /* Released instance: the value is stale, also once a new instance
     * took the slot. */
    stale = add;
    assert_int_equal(lucet_instance_release(i), lucet_error_ok);
    assert_int_equal(lucet_func_call(&stale, 2, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "not a live instance"));
    j = new_inst(r, m);
    assert_int_equal(lucet_func_call(&stale, 2, args, res, 2, &n, NULL), lucet_error_invalid_argument);
    lucet_instance_release(j);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void test_trap_then_calls(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    struct lucet_func trap = func(i, "trap"), add = func(i, "add"), empty = func(i, "empty");
    struct lucet_val args[2], res[1];
    struct lucet_result out;
    size_t n = 5;
    int k;
    (void)state;
    use_runtime_signal_handlers();
    args[0] = i32v(4);
    args[1] = i64v(5);
    for (k = 0; k < 3; k++) {
        assert_int_equal(lucet_func_call(&trap, 0, NULL, res, 1, &n, &out), lucet_error_runtime_fault);
        assert_int_equal(n, 0);
        assert_int_equal(out.tag, lucet_result_tag_faulted);
        assert_int_equal(out.val.faulted.code, lucet_trap_code_heap_out_of_bounds);
        assert_non_null(strstr(lucet_error_message(), "lucet_func_call"));
        /* The instance stays usable, and nothing of the trap is left over. */
        assert_int_equal(lucet_func_call(&add, 2, args, res, 1, &n, &out), lucet_error_ok);
        assert_int_equal(out.tag, lucet_result_tag_returned);
        assert_true(res[0].inner_val.as_i64 == 9);
        assert_string_equal(lucet_error_message(), "");
        assert_int_equal(lucet_func_call(&empty, 0, NULL, NULL, 0, NULL, &out), lucet_error_ok);
        assert_int_equal(out.tag, lucet_result_tag_returned);
        assert_int_equal(out.val.returned.nvalues, 0);
    }
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

/* A host function calls lucet_func_call: into its own instance (already
 * running: refused) and into another instance (runs; the outer call's
 * result is its own). */
static void test_nested(void **state) {
    struct lucet_region *r = small_region(2);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *a = new_inst(r, m), *b = new_inst(r, m);
    struct lucet_func via = func(a, "via_host");
    struct lucet_val arg = i32v(7), res[1];
    size_t n = 0;
    (void)state;
    g_target = func(a, "add");
    assert_int_equal(lucet_func_call(&via, 1, &arg, res, 1, &n, NULL), lucet_error_ok);
    assert_int_equal(g_reenter_err, lucet_error_invalid_argument);
    assert_int_equal(res[0].inner_val.as_i32, 0); /* 0xffffffff + 1 */
    g_target = func(b, "add");
    assert_int_equal(lucet_func_call(&via, 1, &arg, res, 1, &n, NULL), lucet_error_ok);
    assert_int_equal(g_reenter_err, lucet_error_ok);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].ty, lucet_val_type_i32);
    assert_int_equal(res[0].inner_val.as_i32, 7 + 10 + 1);
    assert_int_equal(calls(b), 1);
    lucet_instance_release(a);
    lucet_instance_release(b);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void test_yield(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    struct lucet_func yields = func(i, "yields"), empty = func(i, "empty");
    struct lucet_val arg = i32v(42), back = i32v(5), res[1];
    struct lucet_result out;
    size_t n = 9;
    (void)state;
    assert_int_equal(lucet_func_call(&yields, 1, &arg, res, 1, &n, &out), lucet_error_ok);
    assert_int_equal(out.tag, lucet_result_tag_yielded);
    assert_int_equal(out.val.yielded.value.inner_val.as_i32, 42);
    assert_int_equal(n, 0);
    /* Yielded: no call until it is resumed. */
    assert_int_equal(lucet_func_call(&empty, 0, NULL, NULL, 0, NULL, &out), lucet_error_instance_not_returned);
    assert_int_equal(out.tag, lucet_result_tag_errored);
    assert_int_equal(lucet_instance_resume(i, &back, &out), lucet_error_ok);
    assert_int_equal(out.tag, lucet_result_tag_returned);
    assert_int_equal(out.val.returned.values[0].inner_val.as_i32, 5);
    assert_int_equal(lucet_func_call(&empty, 0, NULL, NULL, 0, NULL, &out), lucet_error_ok);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

/* Two threads call one instance at once, by name and through a lucet_func:
 * each call either runs or is refused with invalid_argument ("running"),
 * never both at once (the instance's counter equals the calls that ran),
 * and the host does not crash (it did before the C API claimed the
 * instance: two runs shared the guest stack). */
struct hammer {
    struct lucet_instance *inst;
    struct lucet_func empty;
    int by_name;
    long ok, refused, other;
};

static void *hammer_thread(void *p) {
    struct hammer *h = p;
    long k;
    for (k = 0; k < 200000; k++) {
        enum lucet_error e = h->by_name ? lucet_instance_run(h->inst, "empty", 0, NULL, NULL)
                                        : lucet_func_call(&h->empty, 0, NULL, NULL, 0, NULL, NULL);
        if (e == lucet_error_ok) h->ok++;
        else if (e == lucet_error_invalid_argument && strstr(lucet_error_message(), "the instance is running")) h->refused++;
        else h->other++;
    }
    return NULL;
}

static void test_two_threads(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    struct hammer h[4];
    pthread_t t[4];
    int k;
    (void)state;
    for (k = 0; k < 4; k++) {
        memset(&h[k], 0, sizeof h[k]);
        h[k].inst = i;
        h[k].empty = func(i, "empty");
        h[k].by_name = k % 2;
        assert_int_equal(pthread_create(&t[k], NULL, hammer_thread, &h[k]), 0);
    }
    for (k = 0; k < 4; k++) assert_int_equal(pthread_join(t[k], NULL), 0);
    {
        long ran = 0, refused = 0;
        for (k = 0; k < 4; k++) {
            assert_int_equal(h[k].other, 0);
            ran += h[k].ok;
            refused += h[k].refused;
        }
        assert_int_equal(ran + refused, 4 * 200000);
        assert_int_equal((long)calls(i), ran);
        fprintf(stderr, "two threads: %ld ran, %ld refused\n", ran, refused);
    }
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static int setup(void **state) {
    (void)state;
    if (make_temp_dir() != 0 || record_runtime_signal_handlers() != 0) return -1;
    return build_guest("funcs", g_so);
}

static int teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),      cmocka_unit_test(test_lookup_errors), cmocka_unit_test(test_call_errors),
        cmocka_unit_test(test_trap_then_calls), cmocka_unit_test(test_nested),    cmocka_unit_test(test_yield),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
