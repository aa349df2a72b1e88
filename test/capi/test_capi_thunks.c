/* cmocka tests of lucet_host_thunk_new / _release (plain C99): callbacks
 * over struct lucet_val behind native pointers of the imports' signatures.
 * The guest (wat/thunks.wat) forwards each export's arguments to an import
 * of the same type and returns its results: no result, one, two in
 * registers (rax + xmm0; xmm0 + xmm1; rax + rdx), five in memory with a
 * v128, a lone v128, parameters on the stack, and callbacks that fail. */
#define _POSIX_C_SOURCE 200809L
#include "capi_test_util.h"

static char g_so[300];

static int group_setup(void **state) {
    (void)state;
    if (make_temp_dir()) return -1;
    return build_guest("thunks", g_so);
}

static int group_teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

#define I32 lucet_val_type_i32
#define I64 lucet_val_type_i64
#define F32 lucet_val_type_f32
#define F64 lucet_val_type_f64
#define V128 lucet_val_type_v128

static struct lucet_val mk(enum lucet_val_type ty) {
    struct lucet_val v;
    memset(&v, 0, sizeof v);
    v.ty = ty;
    return v;
}
static struct lucet_val vi64(uint64_t x) { struct lucet_val v = mk(I64); v.inner_val.as_i64 = x; return v; }
static struct lucet_val vf32(float x) { struct lucet_val v = mk(F32); v.inner_val.as_f32 = x; return v; }
static struct lucet_val vf64(double x) { struct lucet_val v = mk(F64); v.inner_val.as_f64 = x; return v; }
static struct lucet_val vlanes(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    struct lucet_val v = mk(V128);
    uint32_t l[4];
    l[0] = a, l[1] = b, l[2] = c, l[3] = d;
    memcpy(v.inner_val.as_v128, l, 16);
    return v;
}
static uint32_t lane(const struct lucet_val *v, int k) {
    uint32_t l[4];
    memcpy(l, v->inner_val.as_v128, 16);
    return l[k];
}
static void add_lanes(struct lucet_val *v, uint32_t k) {
    uint32_t l[4];
    int j;
    memcpy(l, v->inner_val.as_v128, 16);
    for (j = 0; j < 4; j++) l[j] += k;
    memcpy(v->inner_val.as_v128, l, 16);
}

static uint32_t cb_none(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    (void)ctx, (void)p, (void)r;
    ++*(int *)data;
    return 0;
}
static uint32_t cb_one(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    (void)ctx, (void)data;
    r[0] = vf64(p[0].inner_val.as_i32 * 1.5);
    return 0;
}
static uint32_t cb_two(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    (void)ctx, (void)data;
    r[0] = vi64(p[0].inner_val.as_i64 + 1);
    r[1] = vf64(p[1].inner_val.as_f64 * 2);
    return 0;
}
static uint32_t cb_fff(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    (void)ctx, (void)data, (void)p;
    r[0] = vf32(1.5f), r[1] = vf32(-2.5f), r[2] = vf64(3.25);
    return 0;
}
static uint32_t cb_iif(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    (void)ctx, (void)data;
    r[0] = i32v(p[0].inner_val.as_i32 + 1), r[1] = vf32(0.5f), r[2] = vi64((uint64_t)p[0].inner_val.as_i32 << 40);
    return 0;
}
static uint32_t cb_many(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    (void)ctx, (void)data;
    r[0] = i32v(p[0].inner_val.as_i32 + 1), r[1] = vi64(p[1].inner_val.as_i64 + 1);
    r[2] = vf32(p[2].inner_val.as_f32 * 2), r[3] = vf64(p[3].inner_val.as_f64 * 2);
    r[4] = p[4];
    add_lanes(&r[4], 1);
    return 0;
}
static uint32_t cb_vv(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    (void)ctx, (void)data;
    r[0] = vlanes(lane(&p[0], 0) + lane(&p[1], 0), lane(&p[0], 1) + lane(&p[1], 1), lane(&p[0], 2) + lane(&p[1], 2),
                  lane(&p[0], 3) + lane(&p[1], 3));
    return 0;
}
/* (i64 x8, f64 x10, v128, i32) -> (i64, f64, v128): weighted sums show
 * each parameter came from its own place. */
static uint32_t cb_wide(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    uint64_t s = 0;
    double d = 0;
    int k;
    (void)ctx, (void)data;
    for (k = 0; k < 8; k++) s += (uint64_t)(k + 1) * p[k].inner_val.as_i64;
    for (k = 0; k < 10; k++) d += (k + 1) * p[8 + k].inner_val.as_f64;
    r[0] = vi64(s), r[1] = vf64(d), r[2] = p[18];
    add_lanes(&r[2], p[19].inner_val.as_i32);
    return 0;
}
/* Results of the wrong type / left unset / a failure code. */
static uint32_t cb_ii_mode(struct lucet_vmctx *ctx, void *data, const struct lucet_val *p, struct lucet_val *r) {
    int mode = *(int *)data;
    (void)ctx, (void)p;
    if (mode == 0) r[0] = i32v(7), r[1] = i32v(8);
    if (mode == 1) r[0] = i32v(7), r[1] = vi64(8);
    if (mode == 2) r[0] = i32v(7);
    return mode == 3 ? 42 : 0;
}

struct spec {
    const char *name;
    enum lucet_val_type params[20], results[5];
    uint32_t np, nr;
    lucet_host_callback cb;
};
static const struct spec k_specs[9] = {
    {"none", {I32}, {I32}, 0, 0, cb_none},
    {"one", {I32}, {F64}, 1, 1, cb_one},
    {"two", {I64, F64}, {I64, F64}, 2, 2, cb_two},
    {"fff", {I32}, {F32, F32, F64}, 0, 3, cb_fff},
    {"iif", {I32}, {I32, F32, I64}, 1, 3, cb_iif},
    {"many", {I32, I64, F32, F64, V128}, {I32, I64, F32, F64, V128}, 5, 5, cb_many},
    {"vv", {V128, V128}, {V128}, 2, 1, cb_vv},
    {"wide", {I64, I64, I64, I64, I64, I64, I64, I64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, V128, I32},
     {I64, F64, V128}, 20, 3, cb_wide},
    {"ii", {I32}, {I32, I32}, 0, 2, cb_ii_mode},
};

struct fixture {
    struct lucet_region *r;
    struct lucet_dl_module *m;
    struct lucet_instance *i;
    struct lucet_host_thunk *t[9];
    struct lucet_host_func hf[9];
    int counter, mode;
};

static void setup_fixture(struct fixture *f) {
    struct lucet_host_func *hf = f->hf;
    int k;
    memset(f, 0, sizeof *f);
    for (k = 0; k < 9; k++) {
        const struct spec *s = &k_specs[k];
        void *data = k == 0 ? (void *)&f->counter : (void *)&f->mode;
        assert_int_equal(lucet_host_thunk_new(s->params, s->np, s->results, s->nr, s->cb, data, &f->t[k], &hf[k].func),
                         lucet_error_ok);
        hf[k].module_name = "env", hf[k].field_name = s->name;
        hf[k].params = s->params, hf[k].nparams = s->np, hf[k].results = s->results, hf[k].nresults = s->nr;
    }
    f->r = small_region(1);
    f->m = load(g_so);
    assert_int_equal(lucet_region_new_instance_with_imports(f->r, f->m, hf, 9, NULL, NULL, &f->i), lucet_error_ok);
}

static void teardown_fixture(struct fixture *f) {
    int k;
    lucet_instance_release(f->i);
    lucet_dl_module_release(f->m);
    lucet_region_release(f->r);
    for (k = 0; k < 9; k++) assert_int_equal(lucet_host_thunk_release(f->t[k]), lucet_error_ok);
}

static size_t call(struct fixture *f, const char *name, size_t argc, const struct lucet_val *argv,
                   struct lucet_val *out) {
    size_t n = 0;
    enum lucet_error e = lucet_instance_call(f->i, name, argc, argv, out, 5, &n, NULL);
    if (e != lucet_error_ok) fprintf(stderr, "%s: %s: %s\n", name, lucet_error_name(e), lucet_error_message());
    assert_int_equal(e, lucet_error_ok);
    return n;
}

static void results_in_registers(void **state) {
    struct fixture f;
    struct lucet_val a[2], o[5];
    (void)state;
    setup_fixture(&f);
    assert_int_equal(call(&f, "call_none", 0, NULL, o), 0);
    assert_int_equal(f.counter, 1);
    a[0] = i32v(4);
    assert_int_equal(call(&f, "call_one", 1, a, o), 1);
    assert_true(o[0].ty == F64 && o[0].inner_val.as_f64 == 6.0);
    a[0] = vi64(0x123456789ull), a[1] = vf64(-1.25);
    assert_int_equal(call(&f, "call_two", 2, a, o), 2);
    assert_true(o[0].ty == I64 && o[0].inner_val.as_i64 == 0x12345678aull);
    assert_true(o[1].ty == F64 && o[1].inner_val.as_f64 == -2.5);
    assert_int_equal(call(&f, "call_fff", 0, NULL, o), 3);
    assert_true(o[0].inner_val.as_f32 == 1.5f && o[1].inner_val.as_f32 == -2.5f && o[2].inner_val.as_f64 == 3.25);
    a[0] = i32v(3);
    assert_int_equal(call(&f, "call_iif", 1, a, o), 3);
    assert_int_equal(o[0].inner_val.as_i32, 4);
    assert_true(o[1].ty == F32 && o[1].inner_val.as_f32 == 0.5f);
    assert_true(o[2].inner_val.as_i64 == 3ull << 40);
    a[0] = vlanes(1, 2, 3, 0xffffffffu), a[1] = vlanes(10, 20, 30, 2);
    assert_int_equal(call(&f, "call_vv", 2, a, o), 1);
    assert_true(o[0].ty == V128 && lane(&o[0], 0) == 11 && lane(&o[0], 1) == 22 && lane(&o[0], 2) == 33 &&
                lane(&o[0], 3) == 1);
    assert_int_equal(call(&f, "call_ii", 0, NULL, o), 2);
    assert_true(o[0].inner_val.as_i32 == 7 && o[1].inner_val.as_i32 == 8);
    teardown_fixture(&f);
}

static void results_in_memory_and_stack_params(void **state) {
    struct fixture f;
    struct lucet_val a[20], o[5];
    uint64_t s = 0;
    double d = 0;
    int k;
    (void)state;
    setup_fixture(&f);
    a[0] = i32v(0xfffffffeu), a[1] = vi64(41), a[2] = vf32(1.25f), a[3] = vf64(1e300), a[4] = vlanes(5, 6, 7, 8);
    assert_int_equal(call(&f, "call_many", 5, a, o), 5);
    assert_int_equal(o[0].inner_val.as_i32, 0xffffffffu);
    assert_true(o[1].inner_val.as_i64 == 42 && o[2].inner_val.as_f32 == 2.5f && o[3].inner_val.as_f64 == 2e300);
    assert_true(o[4].ty == V128 && lane(&o[4], 0) == 6 && lane(&o[4], 3) == 9);
    for (k = 0; k < 8; k++) a[k] = vi64(1000ull * (k + 1) + 0x100000000ull), s += (k + 1) * (1000ull * (k + 1) + 0x100000000ull);
    for (k = 0; k < 10; k++) a[8 + k] = vf64(0.5 + k), d += (k + 1) * (0.5 + k);
    a[18] = vlanes(100, 200, 300, 400), a[19] = i32v(3);
    assert_int_equal(call(&f, "call_wide", 20, a, o), 3);
    assert_true(o[0].inner_val.as_i64 == s);
    assert_true(o[1].inner_val.as_f64 == d);
    assert_true(lane(&o[2], 0) == 103 && lane(&o[2], 1) == 203 && lane(&o[2], 2) == 303 && lane(&o[2], 3) == 403);
    teardown_fixture(&f);
}

static void callback_failures_stop_the_guest(void **state) {
    struct fixture f;
    struct lucet_val o[5];
    struct lucet_result res;
    size_t n;
    int mode;
    (void)state;
    setup_fixture(&f);
    for (mode = 1; mode <= 3; mode++) {
        f.mode = mode;
        assert_int_equal(lucet_instance_call(f.i, "call_ii", 0, NULL, o, 5, &n, &res), lucet_error_runtime_terminated);
        assert_int_equal(res.tag, lucet_result_tag_terminated);
        assert_int_equal(res.val.terminated.exit_code, mode == 3 ? 42u : LUCET_HOST_THUNK_BAD_RESULT);
    }
    /* The instance stays usable. */
    f.mode = 0;
    assert_int_equal(call(&f, "call_ii", 0, NULL, o), 2);
    teardown_fixture(&f);
}

/* A thunk released while an instance still imports it keeps working for
 * that instance, which holds it (as wasmtime's instances hold their Funcs):
 * its callback still runs, for a result struct in memory as in registers,
 * and its stub is not handed to a new thunk until the instance is gone. No
 * new instance can take it. */
static void released_thunk_lives_while_an_instance_uses_it(void **state) {
    struct fixture f;
    struct lucet_val a[5], o[5];
    struct lucet_instance *j = NULL;
    struct lucet_host_thunk *t2 = NULL;
    lucet_host_func_ptr fp = NULL, fp2, fp5;
    int k;
    (void)state;
    setup_fixture(&f);
    fp2 = f.hf[2].func, fp5 = f.hf[5].func;
    assert_int_equal(lucet_host_thunk_release(f.t[5]), lucet_error_ok); /* many: 5 results, in memory */
    assert_int_equal(lucet_host_thunk_release(f.t[2]), lucet_error_ok); /* two: rax + xmm0 */
    a[0] = i32v(1), a[1] = vi64(2), a[2] = vf32(3), a[3] = vf64(4), a[4] = vlanes(5, 6, 7, 8);
    assert_int_equal(call(&f, "call_many", 5, a, o), 5);
    a[0] = vi64(0x123456789ull), a[1] = vf64(-1.25);
    assert_int_equal(call(&f, "call_two", 2, a, o), 2);
    assert_true(o[0].ty == I64 && o[0].inner_val.as_i64 == 0x12345678aull);
    assert_true(o[1].ty == F64 && o[1].inner_val.as_f64 == -2.5);
    /* Released: a new instance may not take it. */
    assert_int_equal(lucet_region_new_instance_with_imports(f.r, f.m, f.hf, 9, NULL, NULL, &j),
                     lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "host function 2 (env.two): its func is a released host thunk"));
    /* Its stub stays taken: a new thunk gets another one. */
    assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 0, cb_none, NULL, &t2, &fp), lucet_error_ok);
    assert_true(fp != fp2 && fp != fp5);
    assert_int_equal(lucet_host_thunk_release(t2), lucet_error_ok);
    /* The instance gone, the two stubs are free again (the next thunks take them). */
    lucet_instance_release(f.i);
    assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 0, cb_none, NULL, &t2, &fp), lucet_error_ok);
    assert_true(fp == fp2 || fp == fp5);
    assert_int_equal(lucet_host_thunk_release(t2), lucet_error_ok);
    lucet_dl_module_release(f.m);
    lucet_region_release(f.r);
    for (k = 0; k < 9; k++)
        assert_int_equal(lucet_host_thunk_release(f.t[k]),
                         k == 2 || k == 5 ? lucet_error_invalid_argument : lucet_error_ok);
}

/* An import entry whose params/results differ from its thunk's, a released
 * thunk, or a pointer into the middle of one is refused at instantiation:
 * the thunk would read its arguments from the wrong registers. */
static void thunk_signature_mismatch_is_refused(void **state) {
    static const enum lucet_val_type t_i64[1] = {I64};
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = NULL;
    struct lucet_host_thunk *t = NULL, *t2 = NULL;
    struct lucet_host_func hf;
    lucet_host_func_ptr fp = NULL;
    uintptr_t addr;
    (void)state;
    assert_int_equal(lucet_host_thunk_new(k_specs[2].params, 2, k_specs[2].results, 2, cb_two, NULL, &t, &fp),
                     lucet_error_ok);
    memset(&hf, 0, sizeof hf);
    hf.module_name = "env", hf.field_name = "one", hf.func = fp;
    hf.params = k_specs[1].params, hf.nparams = 1, hf.results = t_i64, hf.nresults = 1;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, &hf, 1, NULL, NULL, &i), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "host function 0 (env.one): its func is a host thunk of type "
                                                   "(i64 f64) -> (i64 f64), not (i32) -> (i64)"));
    memcpy(&addr, &fp, sizeof addr); /* (C99 has no function <-> object pointer cast) */
    addr += 4;
    memcpy(&hf.func, &addr, sizeof addr);
    hf.params = k_specs[2].params, hf.nparams = 2, hf.results = k_specs[2].results, hf.nresults = 2;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, &hf, 1, NULL, NULL, &i), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "points into a host thunk"));
    assert_int_equal(lucet_host_thunk_release(t), lucet_error_ok);
    hf.func = fp;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, &hf, 1, NULL, NULL, &i), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "its func is a released host thunk"));
    /* The same pointer given to a new thunk of the right type passes the check
     * (the instance then lacks its other imports). */
    assert_int_equal(lucet_host_thunk_new(k_specs[2].params, 2, k_specs[2].results, 2, cb_two, NULL, &t2, &fp),
                     lucet_error_ok);
    hf.func = fp;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, &hf, 1, NULL, NULL, &i), lucet_error_symbol_not_found);
    assert_int_equal(lucet_host_thunk_release(t2), lucet_error_ok);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void argument_errors_and_the_pool(void **state) {
    static const enum lucet_val_type funcref[1] = {lucet_val_type_funcref};
    static const enum lucet_val_type bogus[1] = {(enum lucet_val_type)0x12};
    struct lucet_host_thunk **all = calloc(LUCET_HOST_THUNKS + 1, sizeof *all);
    struct lucet_host_thunk *t = NULL;
    lucet_host_func_ptr fp = NULL, first = NULL;
    int k;
    (void)state;
    assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 0, NULL, NULL, &t, &fp), lucet_error_invalid_argument);
    assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 0, cb_none, NULL, NULL, &fp), lucet_error_invalid_argument);
    assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 0, cb_none, NULL, &t, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_host_thunk_new(NULL, 1, NULL, 0, cb_none, NULL, &t, &fp), lucet_error_invalid_argument);
    assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 1, cb_none, NULL, &t, &fp), lucet_error_invalid_argument);
    assert_int_equal(lucet_host_thunk_new(funcref, 1, NULL, 0, cb_none, NULL, &t, &fp), lucet_error_invalid_argument);
    assert_int_equal(lucet_host_thunk_new(NULL, 0, bogus, 1, cb_none, NULL, &t, &fp), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "result 0: unknown value type 18"));
    assert_int_equal(lucet_host_thunk_release(NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_host_thunk_release((struct lucet_host_thunk *)&k), lucet_error_invalid_argument);
    /* Every thunk of the pool, distinct pointers; one more is refused. */
    for (k = 0; k < LUCET_HOST_THUNKS; k++) {
        assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 0, cb_none, NULL, &all[k], &fp), lucet_error_ok);
        if (k == 0) first = fp;
        else assert_true(fp != first);
    }
    assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 0, cb_none, NULL, &t, &fp), lucet_error_limits_exceeded);
    assert_non_null(strstr(lucet_error_message(), "all 4096 host thunks are in use"));
    assert_int_equal(lucet_host_thunk_release(all[7]), lucet_error_ok);
    assert_int_equal(lucet_host_thunk_release(all[7]), lucet_error_invalid_argument); /* stale */
    assert_int_equal(lucet_host_thunk_new(NULL, 0, NULL, 0, cb_none, NULL, &all[7], &fp), lucet_error_ok);
    for (k = 0; k < LUCET_HOST_THUNKS; k++) assert_int_equal(lucet_host_thunk_release(all[k]), lucet_error_ok);
    free(all);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(results_in_registers),
        cmocka_unit_test(results_in_memory_and_stack_params),
        cmocka_unit_test(callback_failures_stop_the_guest),
        cmocka_unit_test(released_thunk_lives_while_an_instance_uses_it),
        cmocka_unit_test(thunk_signature_mismatch_is_refused),
        cmocka_unit_test(argument_errors_and_the_pool),
    };
    /* cmocka returns the number of failed tests: 77 would read as "skipped". */
    return cmocka_run_group_tests(tests, group_setup, group_teardown) == 0 ? 0 : 1;
}
