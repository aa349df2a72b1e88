/* test_capi_exports.c: introspection, exported globals/memories/tables,
 * calls and host functions with any number of results (wat/exports.wat,
 * wat/import_kinds.wat). */
#define _POSIX_C_SOURCE 200809L
#include "capi_test_util.h"

#include <unistd.h>

static char g_so[300], g_imports_so[300];

struct pair_result { uint32_t r0; uint64_t r1; };
static struct pair_result host_pair(struct lucet_vmctx *ctx, uint32_t x) {
    struct pair_result r;
    (void)ctx;
    r.r0 = x + 1;
    r.r1 = (uint64_t)x * 2;
    return r;
}
struct many_result { uint32_t r[10]; };
static struct many_result host_many(struct lucet_vmctx *ctx) {
    struct many_result m;
    uint32_t k;
    (void)ctx;
    for (k = 0; k < 10; k++) m.r[k] = k + 1;
    return m;
}

static const enum lucet_val_type k_i32[1] = {lucet_val_type_i32};
static const enum lucet_val_type k_pair_res[2] = {lucet_val_type_i32, lucet_val_type_i64};
static const enum lucet_val_type k_many_res[10] = {
    lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32,
    lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32};

static struct lucet_instance *new_inst(struct lucet_region *r, struct lucet_dl_module *m) {
    struct lucet_host_func f[2];
    struct lucet_instance *i = NULL;
    memset(f, 0, sizeof f);
    f[0].module_name = "env"; f[0].field_name = "pair"; f[0].func = (lucet_host_func_ptr)host_pair;
    f[0].params = k_i32; f[0].nparams = 1; f[0].results = k_pair_res; f[0].nresults = 2;
    f[1].module_name = "env"; f[1].field_name = "many"; f[1].func = (lucet_host_func_ptr)host_many;
    f[1].results = k_many_res; f[1].nresults = 10;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, f, 2, NULL, NULL, &i), lucet_error_ok);
    return i;
}

static int setup(void **state) {
    (void)state;
    if (make_temp_dir() != 0) return -1;
    if (build_guest("exports", g_so) != 0 || build_guest("import_kinds", g_imports_so) != 0) return -1;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

static int name_is(const char *p, size_t len, const char *want) {
    return len == strlen(want) && memcmp(p, want, len) == 0;
}

static void test_introspect_exports(void **state) {
    struct lucet_dl_module *m = load(g_so);
    struct lucet_extern_type t;
    size_t n = 0, k;
    int seen = 0;
    (void)state;
    assert_int_equal(lucet_dl_module_export_count(m, &n), lucet_error_ok);
    assert_int_equal(n, 16);
    for (k = 0; k < n; k++) {
        assert_int_equal(lucet_dl_module_export_type(m, k, &t), lucet_error_ok);
        assert_null(t.module);
        if (name_is(t.name, t.name_len, "memory")) {
            assert_int_equal(t.kind, lucet_externkind_memory);
            assert_int_equal(t.limits.min, 1);
            assert_int_equal(t.limits.has_max, 1);
            assert_int_equal(t.limits.max, 3);
            seen |= 1;
        } else if (name_is(t.name, t.name_len, "table")) {
            assert_int_equal(t.kind, lucet_externkind_table);
            assert_int_equal(t.table_elem_type, lucet_val_type_funcref);
            assert_int_equal(t.limits.min, 2);
            assert_int_equal(t.limits.max, 5);
            seen |= 2;
        } else if (name_is(t.name, t.name_len, "counter")) {
            assert_int_equal(t.kind, lucet_externkind_global);
            assert_int_equal(t.global_type, lucet_val_type_i32);
            assert_int_equal(t.global_mutable, 1);
            seen |= 4;
        } else if (name_is(t.name, t.name_len, "pi")) {
            assert_int_equal(t.global_type, lucet_val_type_f64);
            assert_int_equal(t.global_mutable, 0);
            seen |= 8;
        }
    }
    assert_int_equal(seen, 15);
    /* Full function types, v128 included, more results than lucet_result holds. */
    assert_int_equal(lucet_dl_module_find_export(m, "mixed", &t), lucet_error_ok);
    assert_int_equal(t.kind, lucet_externkind_func);
    assert_int_equal(t.nparams, 5);
    assert_int_equal(t.nresults, 3);
    assert_int_equal(t.params[4], lucet_val_type_v128);
    assert_int_equal(t.params[2], lucet_val_type_f32);
    assert_int_equal(t.results[0], lucet_val_type_f64);
    assert_int_equal(t.results[2], lucet_val_type_i64);
    assert_int_equal(lucet_dl_module_find_export(m, "ten", &t), lucet_error_ok);
    assert_int_equal(t.nresults, 10);
    /* Errors. */
    assert_int_equal(lucet_dl_module_find_export(m, "nope", &t), lucet_error_export_not_found);
    assert_non_null(strstr(lucet_error_message(), "nope"));
    assert_int_equal(lucet_dl_module_export_type(m, n, &t), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "out of range"));
    assert_int_equal(lucet_dl_module_export_count(m, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_export_count(NULL, &n), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_export_type(m, 0, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_find_export(m, NULL, &t), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_release(m), lucet_error_ok);
    /* A released handle. */
    assert_int_equal(lucet_dl_module_export_count(m, &n), lucet_error_invalid_argument);
    assert_string_equal(lucet_externkind_name(lucet_externkind_table), "table");
    assert_string_equal(lucet_externkind_name((enum lucet_externkind)9), "unknown");
}

static void test_introspect_imports(void **state) {
    struct lucet_dl_module *m = load(g_imports_so);
    struct lucet_extern_type t;
    size_t n = 0;
    (void)state;
    assert_int_equal(lucet_dl_module_import_count(m, &n), lucet_error_ok);
    assert_int_equal(n, 4);
    assert_int_equal(lucet_dl_module_import_type(m, 0, &t), lucet_error_ok);
    assert_true(name_is(t.module, t.module_len, "env") && name_is(t.name, t.name_len, "f"));
    assert_int_equal(t.kind, lucet_externkind_func);
    assert_int_equal(t.nparams, 3);
    assert_int_equal(t.params[1], lucet_val_type_v128);
    assert_int_equal(t.params[2], lucet_val_type_externref);
    assert_int_equal(t.nresults, 2);
    assert_int_equal(t.results[1], lucet_val_type_f64);
    assert_int_equal(lucet_dl_module_import_type(m, 1, &t), lucet_error_ok);
    assert_int_equal(t.kind, lucet_externkind_table);
    assert_int_equal(t.limits.min, 3);
    assert_int_equal(t.limits.has_max, 0);
    assert_int_equal(lucet_dl_module_import_type(m, 2, &t), lucet_error_ok);
    assert_int_equal(t.kind, lucet_externkind_memory);
    assert_int_equal(t.limits.min, 2);
    assert_int_equal(lucet_dl_module_import_type(m, 3, &t), lucet_error_ok);
    assert_int_equal(t.kind, lucet_externkind_global);
    assert_int_equal(t.global_type, lucet_val_type_i64);
    assert_int_equal(t.global_mutable, 1);
    assert_int_equal(lucet_dl_module_import_type(m, 4, &t), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_import_count(m, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_import_type(NULL, 0, &t), lucet_error_invalid_argument);
    lucet_dl_module_release(m);
}

static void test_globals(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    struct lucet_val v, w;
    (void)state;
    assert_int_equal(lucet_instance_global_get(i, "counter", &v), lucet_error_ok);
    assert_int_equal(v.ty, lucet_val_type_i32);
    assert_int_equal(v.inner_val.as_i32, 7);
    w = i32v(41);
    assert_int_equal(lucet_instance_global_set(i, "counter", &w), lucet_error_ok);
    assert_int_equal(run_i32(i, "get_counter", 0, NULL), 41); /* the guest sees it */
    assert_int_equal(lucet_instance_global_get(i, "pi", &v), lucet_error_ok);
    assert_true(v.ty == lucet_val_type_f64 && v.inner_val.as_f64 == 3.5);
    /* Immutable, wrong type, wrong kind, wrong name, NULLs. */
    v.inner_val.as_f64 = 1.0;
    assert_int_equal(lucet_instance_global_set(i, "pi", &v), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "immutable"));
    assert_int_equal(lucet_instance_global_get(i, "pi", &v), lucet_error_ok);
    assert_true(v.inner_val.as_f64 == 3.5);
    assert_int_equal(lucet_instance_global_set(i, "counter", &v), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "i32"));
    assert_int_equal(lucet_instance_global_get(i, "memory", &v), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "not a global"));
    assert_int_equal(lucet_instance_global_get(i, "nope", &v), lucet_error_export_not_found);
    assert_int_equal(lucet_instance_global_get(i, NULL, &v), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_global_get(i, "counter", NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_global_set(i, "counter", NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_global_get(NULL, "counter", &v), lucet_error_invalid_argument);
    /* v128 */
    assert_int_equal(lucet_instance_global_get(i, "vec", &v), lucet_error_ok);
    assert_int_equal(v.ty, lucet_val_type_v128);
    assert_int_equal(v.inner_val.as_v128[12], 4);
    v.inner_val.as_v128[15] = 0xab;
    assert_int_equal(lucet_instance_global_set(i, "vec", &v), lucet_error_ok);
    memset(&w, 0, sizeof w);
    assert_int_equal(lucet_instance_global_get(i, "vec", &w), lucet_error_ok);
    assert_int_equal(w.inner_val.as_v128[15], 0xab);
    /* funcref global: a token of this instance only. */
    assert_int_equal(lucet_instance_func_ref(i, "eight", &w), lucet_error_ok);
    assert_int_equal(lucet_instance_global_set(i, "fref", &w), lucet_error_ok);
    assert_int_equal(lucet_instance_global_get(i, "fref", &v), lucet_error_ok);
    assert_int_equal(v.ty, lucet_val_type_funcref);
    assert_true(v.inner_val.as_funcref == w.inner_val.as_funcref);
    w.inner_val.as_funcref += 8; /* not a funcref's address */
    assert_int_equal(lucet_instance_global_set(i, "fref", &w), lucet_error_invalid_argument);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void test_memory(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    uint8_t *base = NULL;
    uint64_t len = 0;
    uint32_t prev = 0;
    struct lucet_val a = i32v(65536 + 16);
    (void)state;
    assert_int_equal(lucet_instance_memory(i, "memory", &base, &len), lucet_error_ok);
    assert_ptr_equal(base, lucet_instance_heap(i));
    assert_int_equal(len, 65536);
    assert_int_equal(lucet_instance_memory_grow(i, "memory", 1, &prev), lucet_error_ok);
    assert_int_equal(prev, 1);
    assert_int_equal(lucet_instance_memory(i, "memory", NULL, &len), lucet_error_ok);
    assert_int_equal(len, 2 * 65536);
    base[65536 + 16] = 0x5a;
    assert_int_equal(run_i32(i, "load", 1, &a), 0x5a);
    /* The module's maximum is 3 pages. */
    assert_int_equal(lucet_instance_memory_grow(i, "memory", 2, &prev), lucet_error_limits_exceeded);
    assert_int_equal(lucet_instance_memory(i, "table", &base, &len), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_memory(i, "mem", &base, &len), lucet_error_export_not_found);
    assert_int_equal(lucet_instance_memory_grow(i, "counter", 1, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_memory(NULL, "memory", &base, &len), lucet_error_invalid_argument);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void test_tables(void **state) {
    struct lucet_region *r = small_region(2);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m), *other = new_inst(r, m);
    struct lucet_val v, eight, foreign, ext, one = i32v(1);
    uint32_t n = 0;
    (void)state;
    assert_int_equal(lucet_instance_table_size(i, "table", &n), lucet_error_ok);
    assert_int_equal(n, 2);
    assert_int_equal(lucet_instance_table_get(i, "table", 0, &v), lucet_error_ok);
    assert_int_equal(v.ty, lucet_val_type_funcref);
    assert_true(v.inner_val.as_funcref != 0);
    assert_int_equal(lucet_instance_table_get(i, "table", 1, &v), lucet_error_ok);
    assert_true(v.inner_val.as_funcref == 0);
    /* Store "eight" in slot 1: call_indirect reaches it. */
    assert_int_equal(lucet_instance_func_ref(i, "eight", &eight), lucet_error_ok);
    assert_int_equal(lucet_instance_table_set(i, "table", 1, &eight), lucet_error_ok);
    assert_int_equal(run_i32(i, "call_slot", 1, &one), 8);
    /* A funcref of another instance, or a made-up one, is refused. */
    assert_int_equal(lucet_instance_func_ref(other, "seven", &foreign), lucet_error_ok);
    assert_int_equal(lucet_instance_table_set(i, "table", 1, &foreign), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "not one of this instance"));
    foreign.inner_val.as_funcref = (uint64_t)(uintptr_t)&host_pair;
    assert_int_equal(lucet_instance_table_set(i, "table", 1, &foreign), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_grow(i, "table", 1, &foreign, NULL), lucet_error_invalid_argument);
    assert_int_equal(run_i32(i, "call_slot", 1, &one), 8);
    /* Wrong type, out of range, grow. */
    assert_int_equal(lucet_instance_table_set(i, "table", 1, &one), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_set(i, "table", 2, &eight), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "out of bounds"));
    assert_int_equal(lucet_instance_table_get(i, "table", 2, &v), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_grow(i, "table", 3, &eight, &n), lucet_error_ok);
    assert_int_equal(n, 2);
    assert_int_equal(lucet_instance_table_size(i, "table", &n), lucet_error_ok);
    assert_int_equal(n, 5);
    one = i32v(4);
    assert_int_equal(run_i32(i, "call_slot", 1, &one), 8);
    assert_int_equal(lucet_instance_table_grow(i, "table", 1, &eight, &n), lucet_error_limits_exceeded);
    /* externref table */
    memset(&ext, 0, sizeof ext);
    ext.ty = lucet_val_type_externref;
    ext.inner_val.as_externref = 0x1234;
    assert_int_equal(lucet_instance_table_set(i, "refs", 0, &ext), lucet_error_ok);
    assert_int_equal(lucet_instance_table_get(i, "refs", 0, &v), lucet_error_ok);
    assert_true(v.ty == lucet_val_type_externref && v.inner_val.as_externref == 0x1234);
    assert_int_equal(lucet_instance_table_set(i, "refs", 0, &eight), lucet_error_invalid_argument);
    /* Handles, names, kinds. */
    assert_int_equal(lucet_instance_table_size(i, "counter", &n), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_size(i, "nope", &n), lucet_error_export_not_found);
    assert_int_equal(lucet_instance_table_size(i, "table", NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_get(NULL, "table", 0, &v), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_set(i, "table", 0, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_grow(i, "table", 0, NULL, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_func_ref(i, "table", &v), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_func_ref(i, "nope", &v), lucet_error_export_not_found);
    assert_int_equal(lucet_instance_func_ref(i, "eight", NULL), lucet_error_invalid_argument);
    lucet_instance_release(other);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

/* A funcref token outliving its instance: refused by every other instance
 * (the C API never links instances to each other, so no table or global of
 * a live instance can hold a released one's function). Under ASan: no
 * read of the released instance. */
static void test_stale_tokens(void **state) {
    struct lucet_region *r = small_region(2);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *a = new_inst(r, m), *b = new_inst(r, m), *c;
    struct lucet_val tok, v, one = i32v(1);
    uint32_t n = 0;
    (void)state;
    assert_int_equal(lucet_instance_func_ref(a, "eight", &tok), lucet_error_ok);
    assert_int_equal(lucet_instance_table_set(a, "table", 1, &tok), lucet_error_ok);
    assert_int_equal(run_i32(a, "call_slot", 1, &one), 8);
    assert_int_equal(lucet_instance_release(a), lucet_error_ok);
    assert_int_equal(lucet_instance_func_ref(a, "eight", &v), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_set(b, "table", 1, &tok), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "not one of this instance"));
    assert_int_equal(lucet_instance_table_grow(b, "table", 1, &tok, &n), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_global_set(b, "fref", &tok), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_table_get(b, "table", 1, &v), lucet_error_ok);
    assert_true(v.inner_val.as_funcref == 0);
    /* A new instance in the released one's slot: the old token is not one
     * of its functions either (unless its function array reuses the same
     * address, in which case it is that instance's own "eight"). */
    c = new_inst(r, m);
    if (lucet_instance_table_set(c, "table", 1, &tok) == lucet_error_ok)
        assert_int_equal(run_i32(c, "call_slot", 1, &one), 8);
    else
        assert_non_null(strstr(lucet_error_message(), "not one of this instance"));
    {
        /* A release always returns the slot at once (nothing is linked). */
        uint64_t used = 0, cap = 0;
        assert_int_equal(lucet_region_used(r, &used, &cap), lucet_error_ok);
        assert_true(used == 2 && cap == 2);
        lucet_instance_release(c);
        assert_int_equal(lucet_region_used(r, &used, &cap), lucet_error_ok);
        assert_true(used == 1);
    }
    lucet_instance_release(b);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void test_many_results(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    struct lucet_val res[12], args[5], a = i32v(100);
    struct lucet_result out;
    size_t n = 99, k;
    (void)state;
    /* lucet_instance_run keeps its limit. */
    assert_int_equal(lucet_instance_run(i, "ten", 1, &a, &out), lucet_error_unsupported);
    assert_non_null(strstr(lucet_error_message(), "lucet_instance_call"));
    /* Too small a buffer: the count needed, before running. */
    assert_int_equal(lucet_instance_call(i, "ten", 1, &a, res, 9, &n, &out), lucet_error_buffer_too_small);
    assert_int_equal(n, 10);
    assert_int_equal(out.tag, lucet_result_tag_errored);
    assert_non_null(strstr(lucet_error_message(), "10"));
    assert_int_equal(lucet_instance_call(i, "ten", 1, &a, NULL, 0, &n, NULL), lucet_error_buffer_too_small);
    assert_int_equal(n, 10);
    assert_int_equal(lucet_instance_call(i, "ten", 1, &a, res, 12, &n, &out), lucet_error_ok);
    assert_int_equal(n, 10);
    for (k = 0; k < 10; k++) assert_int_equal(res[k].inner_val.as_i32, 100 + k);
    assert_int_equal(out.tag, lucet_result_tag_returned);
    assert_int_equal(out.val.returned.nvalues, LUCET_MAX_RESULTS);
    /* Mixed types with a v128 argument. */
    memset(args, 0, sizeof args);
    args[0] = i32v(5);
    args[1].ty = lucet_val_type_i64; args[1].inner_val.as_i64 = 1ull << 40;
    args[2].ty = lucet_val_type_f32; args[3].ty = lucet_val_type_f64; args[4].ty = lucet_val_type_v128;
    assert_int_equal(lucet_instance_call(i, "mixed", 5, args, res, 3, &n, NULL), lucet_error_ok);
    assert_int_equal(n, 3);
    assert_true(res[0].ty == lucet_val_type_f64 && res[0].inner_val.as_f64 == 1.5);
    assert_int_equal(res[1].inner_val.as_i32, 5);
    assert_true(res[2].inner_val.as_i64 == (1ull << 40));
    /* Host functions with 2 and 10 results. */
    assert_int_equal(lucet_instance_call(i, "use_pair", 1, &a, res, 1, &n, NULL), lucet_error_ok);
    assert_true(res[0].inner_val.as_i64 == 101 + 200);
    assert_int_equal(run_i32(i, "sum_many", 0, NULL), 55);
    /* Errors. */
    assert_int_equal(lucet_instance_call(i, "ten", 1, &a, NULL, 3, &n, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_call(i, "nope", 0, NULL, res, 12, &n, NULL), lucet_error_func_not_found);
    assert_int_equal(lucet_instance_call(i, "ten", 0, NULL, res, 12, &n, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_call(NULL, "ten", 1, &a, res, 12, &n, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_call(i, NULL, 1, &a, res, 12, &n, NULL), lucet_error_invalid_argument);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}


/* lucet_dl_module_write_perf_map: "START SIZE NAME" per defined function
 * (exports.wat: functions 2..10 after the two imports), appended; errors. */
static int count_perf_lines(const char *path, int seen[16]) {
    FILE *f = fopen(path, "r");
    char line[256], name[200];
    unsigned long long start, size;
    int n = 0, idx;
    if (!f) return -1;
    while (fgets(line, sizeof line, f)) {
        assert_int_equal(sscanf(line, "%llx %llx %199[^\n]", &start, &size, name), 3);
        assert_true(start != 0 && size != 0);
        assert_int_equal(sscanf(name, "func[%d]", &idx), 1);
        assert_true(idx >= 2 && idx <= 10);
        seen[idx]++;
        n++;
    }
    fclose(f);
    return n;
}

static void test_perf_map(void **state) {
    struct lucet_dl_module *m = NULL, *stale = NULL;
    char path[400], link[400], missing[400], pid_path[64];
    int seen[16], k, n1;
    (void)state;
    assert_int_equal(lucet_dl_module_load(g_so, &m), lucet_error_ok);
    snprintf(path, sizeof path, "%s/perf.map", g_dir);
    memset(seen, 0, sizeof seen);
    assert_int_equal(lucet_dl_module_write_perf_map(m, path), lucet_error_ok);
    n1 = count_perf_lines(path, seen);
    assert_true(n1 >= 9);
    for (k = 2; k <= 10; k++) assert_true(seen[k] >= 1);
    /* A second module (or the same again) appends. */
    assert_int_equal(lucet_dl_module_write_perf_map(m, path), lucet_error_ok);
    memset(seen, 0, sizeof seen);
    assert_int_equal(count_perf_lines(path, seen), 2 * n1);
    /* NULL: this process's /tmp/perf-PID.map. */
    snprintf(pid_path, sizeof pid_path, "/tmp/perf-%ld.map", (long)getpid());
    unlink(pid_path);
    assert_int_equal(lucet_dl_module_write_perf_map(m, NULL), lucet_error_ok);
    memset(seen, 0, sizeof seen);
    assert_int_equal(count_perf_lines(pid_path, seen), n1);
    unlink(pid_path);
    /* Errors: a directory that does not exist, a symbolic link, an empty
     * path, bad handles. Nothing is written. */
    snprintf(missing, sizeof missing, "%s/no/such/dir/perf.map", g_dir);
    assert_int_equal(lucet_dl_module_write_perf_map(m, missing), lucet_error_internal);
    assert_non_null(strstr(lucet_error_message(), missing));
    snprintf(link, sizeof link, "%s/perf-link.map", g_dir);
    assert_int_equal(symlink(path, link), 0);
    assert_int_equal(lucet_dl_module_write_perf_map(m, link), lucet_error_internal);
    memset(seen, 0, sizeof seen);
    assert_int_equal(count_perf_lines(path, seen), 2 * n1);
    assert_int_equal(lucet_dl_module_write_perf_map(m, ""), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_write_perf_map(NULL, path), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load(g_so, &stale), lucet_error_ok);
    assert_int_equal(lucet_dl_module_release(stale), lucet_error_ok);
    assert_int_equal(lucet_dl_module_write_perf_map(stale, path), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_release(m), lucet_error_ok);
}

/* The code a perf map describes sits in an anonymous r-xp mapping of this
 * process (perf reads maps only for such code). */
static int in_anonymous_code(unsigned long long addr) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512], perms[8], path[300];
    unsigned long long lo, hi;
    int found = 0;
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        path[0] = 0;
        if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %299s", &lo, &hi, perms, path) < 3) continue;
        if (addr >= lo && addr < hi) found = strcmp(perms, "r-xp") == 0 && path[0] == 0;
    }
    fclose(f);
    return found;
}

/* The first perf map call moves the module's code to anonymous memory while
 * an instance of it exists: the instance keeps running the same code. */
static void test_perf_map_moves_code(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_inst(r, m);
    struct lucet_val before[12], after[12], a = i32v(7);
    size_t nb = 0, na = 0, k;
    char path[400], line[256];
    unsigned long long start = 0, size = 0;
    FILE *f;
    (void)state;
    assert_int_equal(lucet_instance_call(i, "ten", 1, &a, before, 12, &nb, NULL), lucet_error_ok);
    snprintf(path, sizeof path, "%s/moved.map", g_dir);
    assert_int_equal(lucet_dl_module_write_perf_map(m, path), lucet_error_ok);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(sscanf(line, "%llx %llx", &start, &size), 2);
    assert_true(in_anonymous_code(start));
    assert_true(in_anonymous_code(start + size - 1));
    assert_int_equal(lucet_instance_call(i, "ten", 1, &a, after, 12, &na, NULL), lucet_error_ok);
    assert_int_equal(na, nb);
    for (k = 0; k < na; k++) assert_memory_equal(&before[k], &after[k], sizeof before[k]);
    /* Written again: moved once, the same lines. */
    assert_int_equal(lucet_dl_module_write_perf_map(m, path), lucet_error_ok);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_introspect_exports), cmocka_unit_test(test_introspect_imports),
        cmocka_unit_test(test_globals), cmocka_unit_test(test_memory), cmocka_unit_test(test_tables),
        cmocka_unit_test(test_many_results), cmocka_unit_test(test_stale_tokens),
        cmocka_unit_test(test_perf_map), cmocka_unit_test(test_perf_map_moves_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
