/* cmocka tests of v128 values through include/lucet_wasi.h (plain C99):
 * lucet_val's as_v128 for export arguments and results, host functions
 * taking and returning lucet_v128, and v128 yield/resume values. The guest
 * is wat/simd.wat. */
#define _POSIX_C_SOURCE 200809L
#include "capi_test_util.h"

static char g_so_simd[300];

static int group_setup(void **state) {
    (void)state;
    if (make_temp_dir()) return -1;
    return build_guest("simd", g_so_simd);
}

static int group_teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

static struct lucet_val v128v(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    struct lucet_val x;
    uint32_t lanes[4];
    lanes[0] = a, lanes[1] = b, lanes[2] = c, lanes[3] = d;
    memset(&x, 0, sizeof x);
    x.ty = lucet_val_type_v128;
    memcpy(x.inner_val.as_v128, lanes, 16);
    return x;
}

static void assert_v128(const struct lucet_val *v, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    uint32_t lanes[4];
    assert_int_equal(v->ty, lucet_val_type_v128);
    memcpy(lanes, v->inner_val.as_v128, 16);
    assert_int_equal(lanes[0], a);
    assert_int_equal(lanes[1], b);
    assert_int_equal(lanes[2], c);
    assert_int_equal(lanes[3], d);
}

static uint32_t lane(lucet_v128 v, int i) {
    uint32_t lanes[4];
    memcpy(lanes, &v, 16);
    return lanes[i];
}

/* a * k + b on i32 lanes: two vectors in SSE registers around an integer. */
static lucet_v128 host_mix(struct lucet_vmctx *ctx, lucet_v128 a, uint32_t k, lucet_v128 b) {
    uint32_t out[4];
    lucet_v128 r;
    int i;
    (void)ctx;
    for (i = 0; i < 4; i++) out[i] = lane(a, i) * k + lane(b, i);
    memcpy(&r, out, 16);
    return r;
}

static lucet_v128 host_yield_v128(struct lucet_vmctx *ctx, lucet_v128 v) {
    struct lucet_val y, back;
    lucet_v128 r;
    memset(&y, 0, sizeof y);
    y.ty = lucet_val_type_v128;
    memcpy(y.inner_val.as_v128, &v, 16);
    back = lucet_vmctx_yield(ctx, y);
    memcpy(&r, back.inner_val.as_v128, 16);
    return r;
}

static const enum lucet_val_type t_mix_params[3] = {lucet_val_type_v128, lucet_val_type_i32, lucet_val_type_v128};
static const enum lucet_val_type t_v128[1] = {lucet_val_type_v128};

static struct lucet_instance *simd_instance(struct lucet_region *r, struct lucet_dl_module *m) {
    struct lucet_host_func hf[2];
    struct lucet_instance *i = NULL;
    memset(hf, 0, sizeof hf);
    hf[0].module_name = "env", hf[0].field_name = "mix", hf[0].func = (lucet_host_func_ptr)host_mix;
    hf[0].params = t_mix_params, hf[0].nparams = 3, hf[0].results = t_v128, hf[0].nresults = 1;
    hf[1].module_name = "env", hf[1].field_name = "yield_v128", hf[1].func = (lucet_host_func_ptr)host_yield_v128;
    hf[1].params = t_v128, hf[1].nparams = 1, hf[1].results = t_v128, hf[1].nresults = 1;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 2, NULL, NULL, &i), lucet_error_ok);
    return i;
}

static void v128_arguments_and_results(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_simd);
    struct lucet_instance *i = simd_instance(r, m);
    struct lucet_result res;
    struct lucet_val args[2];
    (void)state;
    args[0] = v128v(1, 2, 3, 4);
    args[1] = v128v(10, 20, 30, 0xffffffffu);
    assert_int_equal(lucet_instance_run(i, "add", 2, args, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_returned);
    assert_int_equal(res.val.returned.nvalues, 1);
    assert_v128(&res.val.returned.values[0], 11, 22, 33, 3);

    /* A v128 after a scalar and before one, in and out. */
    memset(&args[0], 0, sizeof args[0]);
    args[0].ty = lucet_val_type_i64;
    args[0].inner_val.as_i64 = 0x1122334455667788ull;
    args[1] = v128v(5, 6, 7, 8);
    assert_int_equal(lucet_instance_run(i, "swap", 2, args, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.nvalues, 2);
    assert_v128(&res.val.returned.values[0], 5, 6, 7, 8);
    assert_int_equal(res.val.returned.values[1].ty, lucet_val_type_i64);
    assert_true(res.val.returned.values[1].inner_val.as_i64 == 0x1122334455667788ull);

    /* An i64 where a v128 belongs is refused before running. */
    args[1] = args[0];
    assert_int_equal(lucet_instance_run(i, "add", 2, args, &res), lucet_error_invalid_argument);
    assert_int_equal(res.tag, lucet_result_tag_errored);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void v128_host_function(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_simd);
    struct lucet_instance *i = simd_instance(r, m);
    struct lucet_host_func hf[2];
    struct lucet_instance *bad = NULL;
    struct lucet_result res;
    struct lucet_val args[2];
    static const enum lucet_val_type wrong[3] = {lucet_val_type_v128, lucet_val_type_i64, lucet_val_type_v128};
    (void)state;
    args[0] = v128v(1, 2, 3, 0x80000000u);
    args[1] = v128v(5, 6, 7, 8);
    assert_int_equal(lucet_instance_run(i, "call_mix", 2, args, &res), lucet_error_ok);
    assert_v128(&res.val.returned.values[0], 8, 12, 16, 0x80000008u);
    lucet_instance_release(i);

    /* The declared signature is checked against the import. */
    memset(hf, 0, sizeof hf);
    hf[0].module_name = "env", hf[0].field_name = "mix", hf[0].func = (lucet_host_func_ptr)host_mix;
    hf[0].params = wrong, hf[0].nparams = 3, hf[0].results = t_v128, hf[0].nresults = 1;
    hf[1].module_name = "env", hf[1].field_name = "yield_v128", hf[1].func = (lucet_host_func_ptr)host_yield_v128;
    hf[1].params = t_v128, hf[1].nparams = 1, hf[1].results = t_v128, hf[1].nresults = 1;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 2, NULL, NULL, &bad), lucet_error_import_type);
    assert_null(bad);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void v128_yield_and_resume(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_simd);
    struct lucet_instance *i = simd_instance(r, m);
    struct lucet_result res;
    struct lucet_val arg = v128v(1, 2, 3, 4), back = v128v(9, 8, 7, 6);
    (void)state;
    assert_int_equal(lucet_instance_run(i, "yield_back", 1, &arg, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_yielded);
    assert_v128(&res.val.yielded.value, 1, 2, 3, 4);
    assert_int_equal(lucet_instance_resume(i, &back, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_returned);
    assert_v128(&res.val.returned.values[0], 9, 8, 7, 6);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(v128_arguments_and_results),
        cmocka_unit_test(v128_host_function),
        cmocka_unit_test(v128_yield_and_resume),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
