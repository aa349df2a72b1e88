/* cmocka tests of modules, regions, instances and host functions through
 * include/lucet_wasi.h (plain C99; WASI contexts: test_capi_wasi.c). The guests are the .wat
 * files in wat/, turned into .wasm by wat2wasm and into .so files by
 * lucet_compile_wasm_file in the group setup. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sys/stat.h>

#include "capi_test_util.h"

static char g_so_main[300], g_so_imports[300], g_so_start_trap[300], g_so_nomem[300];

static int group_setup(void **state) {
    (void)state;
    if (make_temp_dir()) return -1;
    if (build_guest("main", g_so_main) || build_guest("imports", g_so_imports) ||
        build_guest("start_trap", g_so_start_trap) || build_guest("nomem", g_so_nomem))
        return -1;
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

/* ------------------------------------------------------------ modules */

static void module_load_and_release(void **state) {
    struct lucet_dl_module *m = NULL;
    (void)state;
    assert_int_equal(lucet_dl_module_load(NULL, &m), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load(g_so_main, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load("/nonexistent/x.so", &m), lucet_error_dl);
    assert_null(m);
    assert_non_null(strstr(lucet_error_message(), "/nonexistent/x.so"));
    m = load(g_so_main);
    assert_string_equal(lucet_error_message(), "");
    assert_int_equal(lucet_dl_module_release(m), lucet_error_ok);
    assert_int_equal(lucet_dl_module_release(m), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_release(NULL), lucet_error_invalid_argument);
}

static void compile_errors(void **state) {
    char bad[300], so[300];
    FILE *f;
    (void)state;
    snprintf(bad, sizeof bad, "%s/bad.wasm", g_dir);
    snprintf(so, sizeof so, "%s/bad.so", g_dir);
    f = fopen(bad, "wb");
    assert_non_null(f);
    fputs("\0asm-not-really", f);
    fclose(f);
    assert_int_equal(lucet_compile_wasm_file(NULL, so, 1), lucet_error_invalid_argument);
    assert_int_equal(lucet_compile_wasm_file(bad, NULL, 1), lucet_error_invalid_argument);
    assert_int_equal(lucet_compile_wasm_file(bad, so, 3), lucet_error_invalid_argument);
    assert_int_equal(lucet_compile_wasm_file(bad, so, -1), lucet_error_invalid_argument);
    assert_int_equal(lucet_compile_wasm_file(bad, so, 0), lucet_error_compile);
    assert_non_null(strstr(lucet_error_message(), "bad.wasm"));
    assert_int_equal(lucet_compile_wasm_file("/nonexistent/a.wasm", so, 0), lucet_error_compile);
}

static int count_cached(const char *dir) {
    char cmd[400];
    FILE *p;
    int n = -1;
    snprintf(cmd, sizeof cmd, "ls '%s'/*.so 2>/dev/null | wc -l", dir);
    p = popen(cmd, "r");
    if (p && fscanf(p, "%d", &n) != 1) n = -1;
    if (p) pclose(p);
    return n;
}

static void load_wasm_through_the_cache(void **state) {
    char cache_home[300], cache[320], wasm[300], bad[300];
    struct lucet_dl_module *m = NULL, *m2 = NULL;
    struct stat st1, st2;
    char so[400];
    FILE *p;
    (void)state;
    snprintf(cache_home, sizeof cache_home, "%s/xdg", g_dir);
    snprintf(cache, sizeof cache, "%s/lucet", cache_home);
    snprintf(wasm, sizeof wasm, "%s/main.wasm", g_dir);
    snprintf(bad, sizeof bad, "%s/bad.wasm", g_dir);
    setenv("XDG_CACHE_HOME", cache_home, 1);
    assert_int_equal(lucet_dl_module_load_wasm(NULL, 0, &m), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load_wasm(wasm, 0, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load_wasm(wasm, 3, &m), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load_wasm(bad, 0, &m), lucet_error_compile); /* from compile_errors */
    assert_null(m);
    assert_int_equal(lucet_dl_module_load_wasm("/nonexistent/a.wasm", 0, &m), lucet_error_compile);
    assert_non_null(strstr(lucet_error_message(), "/nonexistent/a.wasm"));
    /* First load compiles into the cache, the second reuses the file. */
    assert_int_equal(lucet_dl_module_load_wasm(wasm, 0, &m), lucet_error_ok);
    assert_int_equal(count_cached(cache), 1);
    snprintf(so, sizeof so, "ls '%s'/*.so", cache);
    p = popen(so, "r");
    assert_non_null(p);
    assert_non_null(fgets(so, sizeof so, p));
    pclose(p);
    so[strcspn(so, "\n")] = 0;
    assert_int_equal(stat(so, &st1), 0);
    assert_int_equal(lucet_dl_module_load_wasm(wasm, 0, &m2), lucet_error_ok);
    assert_int_equal(stat(so, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
    /* Same inode, still one entry: not recompiled (a hit refreshes the
       mtime, the cache's LRU clock, so the mtime is not compared). */
    assert_int_equal(count_cached(cache), 1);
    /* Another opt level is another entry. */
    assert_int_equal(lucet_dl_module_release(m2), lucet_error_ok);
    assert_int_equal(lucet_dl_module_load_wasm(wasm, 1, &m2), lucet_error_ok);
    assert_int_equal(count_cached(cache), 2);
    {
        struct lucet_region *r = small_region(1);
        struct lucet_instance *i = NULL;
        assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_ok);
        lucet_instance_release(i);
        lucet_region_release(r);
    }
    lucet_dl_module_release(m);
    lucet_dl_module_release(m2);
    unsetenv("XDG_CACHE_HOME");
}

/* ------------------------------------------------------------ regions */

static void region_create_and_release(void **state) {
    struct lucet_region *r = NULL;
    struct lucet_alloc_limits l = lucet_alloc_limits_default();
    uint64_t used = 99, cap = 0;
    (void)state;
    assert_int_equal(l.heap_memory_size, 4ull << 30);
    assert_int_equal(l.heap_address_space_size, 8ull << 30);
    assert_int_equal(lucet_mmap_region_create(1, NULL, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_mmap_region_create(0, NULL, &r), lucet_error_invalid_argument);
    assert_null(r);
    l.stack_size = 1000; /* not a multiple of 4 KiB */
    assert_int_equal(lucet_mmap_region_create(1, &l, &r), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "stack_size"));
    l = lucet_alloc_limits_default();
    l.heap_memory_size = l.heap_address_space_size * 2;
    assert_int_equal(lucet_mmap_region_create(1, &l, &r), lucet_error_invalid_argument);
    /* 2^26 slots of > 8 GiB: more address space than x86-64 has. */
    assert_int_equal(lucet_mmap_region_create(1ull << 26, NULL, &r), lucet_error_limits_exceeded);
    assert_null(r);

    assert_int_equal(lucet_mmap_region_create(3, NULL, &r), lucet_error_ok);
    assert_int_equal(lucet_region_used(r, &used, &cap), lucet_error_ok);
    assert_int_equal(used, 0);
    assert_int_equal(cap, 3);
    assert_int_equal(lucet_region_used(r, NULL, NULL), lucet_error_ok);
    assert_int_equal(lucet_region_release(r), lucet_error_ok);
    assert_int_equal(lucet_region_release(r), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_used(r, &used, &cap), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_release(NULL), lucet_error_invalid_argument);
}

static void region_full_and_slot_reuse(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_main);
    struct lucet_instance *a = NULL, *b = NULL;
    uint64_t used = 0;
    (void)state;
    assert_int_equal(lucet_region_new_instance(r, m, &a), lucet_error_ok);
    assert_int_equal(lucet_region_used(r, &used, NULL), lucet_error_ok);
    assert_int_equal(used, 1);
    assert_int_equal(lucet_region_new_instance(r, m, &b), lucet_error_region_full);
    assert_null(b);
    assert_non_null(strstr(lucet_error_message(), "region is full"));
    assert_int_equal(lucet_instance_release(a), lucet_error_ok);
    assert_int_equal(lucet_region_used(r, &used, NULL), lucet_error_ok);
    assert_int_equal(used, 0);
    assert_int_equal(lucet_region_new_instance(r, m, &b), lucet_error_ok);
    assert_int_equal(lucet_instance_release(b), lucet_error_ok);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void region_too_small_for_module(void **state) {
    struct lucet_alloc_limits l = lucet_alloc_limits_default();
    struct lucet_region *r = NULL;
    struct lucet_dl_module *m = load(g_so_main);
    struct lucet_instance *i = NULL;
    (void)state;
    l.heap_address_space_size = 1ull << 30; /* the module was compiled for 8 GiB */
    l.heap_memory_size = 1ull << 30;
    assert_int_equal(lucet_mmap_region_create(1, &l, &r), lucet_error_ok);
    assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_limits_exceeded);
    assert_null(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

/* ------------------------------------------------------------ instances */

struct fixture {
    struct lucet_region *r;
    struct lucet_dl_module *m;
    struct lucet_instance *i;
};

static int main_setup(void **state) {
    static struct fixture f;
    f.r = small_region(2);
    f.m = load(g_so_main);
    f.i = NULL;
    if (lucet_region_new_instance(f.r, f.m, &f.i) != lucet_error_ok) return -1;
    *state = &f;
    return 0;
}

static int main_teardown(void **state) {
    struct fixture *f = *state;
    lucet_instance_release(f->i); /* may already be released by the test */
    lucet_dl_module_release(f->m);
    lucet_region_release(f->r);
    return 0;
}

static void run_typed_values(void **state) {
    struct fixture *f = *state;
    struct lucet_result res;
    struct lucet_val a[2];
    a[0] = i32v(40);
    a[1] = i32v(0xffffffffu);
    assert_int_equal(lucet_instance_run(f->i, "add", 2, a, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_returned);
    assert_int_equal(res.val.returned.nvalues, 1);
    assert_int_equal(res.val.returned.values[0].ty, lucet_val_type_i32);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 39);

    a[0].ty = lucet_val_type_i64;
    a[0].inner_val.as_i64 = 1ull << 40;
    a[1].ty = lucet_val_type_i64;
    a[1].inner_val.as_i64 = 5;
    assert_int_equal(lucet_instance_run(f->i, "add64", 2, a, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].ty, lucet_val_type_i64);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i64, (1ull << 40) + 5);

    a[0].ty = lucet_val_type_f32;
    a[0].inner_val.as_f32 = 1.5f;
    a[1].ty = lucet_val_type_f64;
    a[1].inner_val.as_f64 = 0.25;
    assert_int_equal(lucet_instance_run(f->i, "fmix", 2, a, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.nvalues, 2);
    assert_int_equal(res.val.returned.values[0].ty, lucet_val_type_f64);
    assert_true(res.val.returned.values[0].inner_val.as_f64 == 1.75);
    assert_int_equal(res.val.returned.values[1].ty, lucet_val_type_f32);
    assert_true(res.val.returned.values[1].inner_val.as_f32 == 3.0f);

    a[0].ty = lucet_val_type_externref;
    a[0].inner_val.as_externref = 0x1234567890ull;
    assert_int_equal(lucet_instance_run(f->i, "ext", 1, a, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].ty, lucet_val_type_externref);
    assert_int_equal(res.val.returned.values[0].inner_val.as_externref, 0x1234567890ull);

    assert_int_equal(lucet_instance_run(f->i, "nothing", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_returned);
    assert_int_equal(res.val.returned.nvalues, 0);
    assert_int_equal(lucet_instance_run(f->i, "nothing", 0, NULL, NULL), lucet_error_ok);
}

static void run_bad_arguments(void **state) {
    struct fixture *f = *state;
    struct lucet_result res;
    struct lucet_val a[2];
    a[0] = i32v(1);
    a[1] = i32v(2);
    assert_int_equal(lucet_instance_run(f->i, "no_such_export", 0, NULL, &res), lucet_error_func_not_found);
    assert_int_equal(res.tag, lucet_result_tag_errored);
    assert_non_null(strstr(lucet_error_message(), "no_such_export"));
    assert_int_equal(lucet_instance_run(f->i, "memory", 0, NULL, &res), lucet_error_func_not_found);
    assert_int_equal(lucet_instance_run(f->i, "add", 1, a, &res), lucet_error_invalid_argument);
    assert_int_equal(res.tag, lucet_result_tag_errored);
    a[1].ty = lucet_val_type_i64;
    assert_int_equal(lucet_instance_run(f->i, "add", 2, a, &res), lucet_error_invalid_argument);
    a[1].ty = (enum lucet_val_type)0x42;
    assert_int_equal(lucet_instance_run(f->i, "add", 2, a, &res), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_run(f->i, NULL, 0, NULL, &res), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_run(f->i, "add", 2, NULL, &res), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_run(f->i, "nine", 0, NULL, &res), lucet_error_unsupported);
    assert_int_equal(res.tag, lucet_result_tag_errored);
    assert_int_equal(lucet_instance_run(f->i, "ret_funcref", 0, NULL, &res), lucet_error_unsupported);
    assert_int_equal(lucet_instance_run(NULL, "add", 0, NULL, &res), lucet_error_invalid_argument);
}

static void run_traps(void **state) {
    struct fixture *f = *state;
    struct lucet_result res;
    struct lucet_val a[2];
    use_runtime_signal_handlers();
    a[0] = i32v(7);
    a[1] = i32v(0);
    assert_int_equal(lucet_instance_run(f->i, "div", 2, a, &res), lucet_error_runtime_fault);
    assert_int_equal(res.tag, lucet_result_tag_faulted);
    assert_int_equal(res.val.faulted.code, lucet_trap_code_integer_div_by_zero);
    assert_string_equal(lucet_trap_code_name(res.val.faulted.code), "integer divide by zero");
    assert_non_null(strstr(lucet_error_message(), "integer divide by zero"));

    a[0] = i32v(70000); /* beyond the 64 KiB heap: a guard-page fault */
    assert_int_equal(lucet_instance_run(f->i, "load", 1, a, &res), lucet_error_runtime_fault);
    assert_int_equal(res.val.faulted.code, lucet_trap_code_heap_out_of_bounds);

    assert_int_equal(lucet_instance_run(f->i, "unreachable", 0, NULL, &res), lucet_error_runtime_fault);
    assert_int_equal(res.val.faulted.code, lucet_trap_code_unreachable);
    assert_true(res.val.faulted.pc != 0);

    /* The instance is still usable after traps. */
    a[0] = i32v(6);
    a[1] = i32v(3);
    assert_int_equal(lucet_instance_run(f->i, "div", 2, a, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 2);
}

static void heap_access(void **state) {
    struct fixture *f = *state;
    struct lucet_result res;
    struct lucet_val a = i32v(16);
    uint8_t *heap = lucet_instance_heap(f->i);
    uint32_t prev = 0;
    use_runtime_signal_handlers();
    assert_non_null(heap);
    assert_memory_equal(heap + 16, "hello", 5);
    assert_int_equal(lucet_instance_heap_len(f->i), 65536);
    assert_true(lucet_instance_check_heap(f->i, heap, 65536));
    assert_true(lucet_instance_check_heap(f->i, heap + 65536, 0));
    assert_false(lucet_instance_check_heap(f->i, heap + 65535, 2));
    assert_false(lucet_instance_check_heap(f->i, heap - 1, 1));
    assert_false(lucet_instance_check_heap(f->i, NULL, 1));
    assert_false(lucet_instance_check_heap(f->i, heap + 8, UINTPTR_MAX));
    /* The host writes, the guest reads. */
    memcpy(heap + 16, "\x2a\0\0\0", 4);
    assert_int_equal(lucet_instance_run(f->i, "load", 1, &a, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 42);

    assert_int_equal(lucet_instance_grow_heap(f->i, 2, &prev), lucet_error_ok);
    assert_int_equal(prev, 1);
    assert_int_equal(lucet_instance_heap_len(f->i), 3 * 65536);
    assert_ptr_equal(lucet_instance_heap(f->i), heap); /* the base never moves */
    assert_int_equal(lucet_instance_grow_heap(f->i, 1, NULL), lucet_error_ok);
    /* The module's maximum is 4 pages. */
    assert_int_equal(lucet_instance_grow_heap(f->i, 1, &prev), lucet_error_limits_exceeded);
    assert_int_equal(lucet_instance_grow_heap(f->i, 0, &prev), lucet_error_ok);
    assert_int_equal(prev, 4);
    a = i32v(4 * 65536 - 4);
    assert_int_equal(lucet_instance_run(f->i, "load", 1, &a, &res), lucet_error_ok);
    assert_null(lucet_instance_embed_ctx(f->i));
}

static void use_after_release(void **state) {
    struct fixture *f = *state;
    struct lucet_result res;
    struct lucet_instance *again = NULL;
    int on_stack = 0;
    assert_int_equal(lucet_instance_release(f->i), lucet_error_ok);
    assert_int_equal(lucet_instance_run(f->i, "nothing", 0, NULL, &res), lucet_error_invalid_argument);
    assert_int_equal(res.tag, lucet_result_tag_errored);
    assert_null(lucet_instance_heap(f->i));
    assert_int_equal(lucet_instance_heap_len(f->i), 0);
    assert_false(lucet_instance_check_heap(f->i, NULL, 0));
    assert_int_equal(lucet_instance_grow_heap(f->i, 1, NULL), lucet_error_invalid_argument);
    assert_null(lucet_instance_embed_ctx(f->i));
    assert_int_equal(lucet_instance_release(f->i), lucet_error_invalid_argument);
    /* A new instance in the same slot does not revive the old handle. */
    assert_int_equal(lucet_region_new_instance(f->r, f->m, &again), lucet_error_ok);
    assert_true(again != f->i);
    assert_int_equal(lucet_instance_run(f->i, "nothing", 0, NULL, &res), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_run(again, "nothing", 0, NULL, &res), lucet_error_ok);
    /* Handles of another kind, and plain pointers, are refused. */
    assert_int_equal(lucet_instance_run((struct lucet_instance *)f->r, "nothing", 0, NULL, &res),
                     lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_release((struct lucet_instance *)(void *)&on_stack), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_release((struct lucet_region *)f->m), lucet_error_invalid_argument);
    /* Released module and region handles: the instance keeps both alive. */
    assert_int_equal(lucet_dl_module_release(f->m), lucet_error_ok);
    assert_int_equal(lucet_region_release(f->r), lucet_error_ok);
    assert_int_equal(lucet_region_new_instance(f->r, f->m, &f->i), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_run(again, "nothing", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(lucet_instance_release(again), lucet_error_ok);
    /* Re-make the fixture's objects for the teardown. */
    f->r = small_region(1);
    f->m = load(g_so_main);
    f->i = NULL;
}

static void new_instance_bad_arguments(void **state) {
    struct fixture *f = *state;
    struct lucet_instance *i = NULL;
    assert_int_equal(lucet_region_new_instance(NULL, f->m, &i), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_new_instance(f->r, NULL, &i), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_new_instance(f->r, f->m, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_region_new_instance_with_wasi_ctx(f->r, f->m, NULL, &i), lucet_error_invalid_argument);
    assert_null(i);
}

static void start_function_trap(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_start_trap);
    struct lucet_instance *i = NULL;
    uint64_t used = 1;
    (void)state;
    assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_runtime_fault);
    assert_null(i);
    assert_non_null(strstr(lucet_error_message(), "start function"));
    assert_int_equal(lucet_region_used(r, &used, NULL), lucet_error_ok);
    assert_int_equal(used, 0); /* the slot went back */
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void no_linear_memory(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_nomem);
    struct lucet_instance *i = NULL;
    struct lucet_result res;
    (void)state;
    assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_ok);
    assert_null(lucet_instance_heap(i));
    assert_int_equal(lucet_instance_heap_len(i), 0);
    assert_false(lucet_instance_check_heap(i, &res, 0));
    assert_int_equal(lucet_instance_grow_heap(i, 1, NULL), lucet_error_no_linear_memory);
    assert_int_equal(lucet_instance_run(i, "three", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 3);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

/* ------------------------------------------------------------ host functions */

struct host_state {
    uint32_t addend;
    struct lucet_instance *self;
    int check_heap_ok;
};

static uint32_t host_add_ctx(struct lucet_vmctx *ctx, uint32_t x) {
    struct host_state *s = lucet_vmctx_get_delegate(ctx);
    return x + s->addend;
}

static void host_stop(struct lucet_vmctx *ctx, uint32_t code) { lucet_vmctx_terminate(ctx, code); }

/* Stores 0x1000 at guest address addr, returns the heap size in pages. */
static uint32_t host_poke(struct lucet_vmctx *ctx, uint32_t addr) {
    struct host_state *s = lucet_vmctx_get_delegate(ctx);
    uint8_t *heap = lucet_vmctx_get_heap(ctx);
    uint32_t v = 0x1000;
    s->check_heap_ok = lucet_vmctx_check_heap(ctx, heap + addr, 4) && !lucet_vmctx_check_heap(ctx, heap + 65533, 4);
    if (lucet_vmctx_check_heap(ctx, heap + addr, 4)) memcpy(heap + addr, &v, 4);
    return lucet_vmctx_current_memory(ctx);
}

/* Runs its own instance again: must be refused, not corrupt the stack. */
static uint32_t host_rerun(struct lucet_vmctx *ctx) {
    struct host_state *s = lucet_vmctx_get_delegate(ctx);
    struct lucet_result res;
    return (uint32_t)lucet_instance_run(s->self, "call_rerun", 0, NULL, &res);
}

static const enum lucet_val_type t_i32[1] = {lucet_val_type_i32};
static const enum lucet_val_type t_i64[1] = {lucet_val_type_i64};

static void fill_host_funcs(struct lucet_host_func hf[4]) {
    memset(hf, 0, 4 * sizeof hf[0]);
    hf[0].module_name = "env", hf[0].field_name = "add_ctx", hf[0].func = (lucet_host_func_ptr)host_add_ctx;
    hf[0].params = t_i32, hf[0].nparams = 1, hf[0].results = t_i32, hf[0].nresults = 1;
    hf[1].module_name = "env", hf[1].field_name = "stop", hf[1].func = (lucet_host_func_ptr)host_stop;
    hf[1].params = t_i32, hf[1].nparams = 1;
    hf[2].module_name = "env", hf[2].field_name = "poke", hf[2].func = (lucet_host_func_ptr)host_poke;
    hf[2].params = t_i32, hf[2].nparams = 1, hf[2].results = t_i32, hf[2].nresults = 1;
    hf[3].module_name = "env", hf[3].field_name = "rerun", hf[3].func = (lucet_host_func_ptr)host_rerun;
    hf[3].results = t_i32, hf[3].nresults = 1;
}

static void host_functions_run(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_imports);
    struct lucet_instance *i = NULL;
    struct lucet_host_func hf[4];
    struct host_state hs = {37, NULL, 0};
    struct lucet_result res;
    struct lucet_val a = i32v(5);
    (void)state;
    fill_host_funcs(hf);
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, &hs, NULL, &i), lucet_error_ok);
    hs.self = i;
    assert_ptr_equal(lucet_instance_embed_ctx(i), &hs);

    assert_int_equal(lucet_instance_run(i, "call_add", 1, &a, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 42);

    a = i32v(9);
    assert_int_equal(lucet_instance_run(i, "call_stop", 1, &a, &res), lucet_error_runtime_terminated);
    assert_int_equal(res.tag, lucet_result_tag_terminated);
    assert_int_equal(res.val.terminated.exit_code, 9);

    a = i32v(100);
    assert_int_equal(lucet_instance_run(i, "call_poke", 1, &a, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 0x1000 + 1);
    assert_true(hs.check_heap_ok);

    assert_int_equal(lucet_instance_run(i, "call_rerun", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, lucet_error_invalid_argument);

    /* Still fine after terminate and the refused nested run. */
    a = i32v(1);
    assert_int_equal(lucet_instance_run(i, "call_add", 1, &a, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 38);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void host_function_errors(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so_imports);
    struct lucet_instance *i = NULL;
    struct lucet_host_func hf[4];
    enum lucet_val_type bad_type[1] = {(enum lucet_val_type)0x55};
    enum lucet_val_type bad_type2[2] = {lucet_val_type_i64, (enum lucet_val_type)0x55};
    enum lucet_val_type two_i64[2] = {lucet_val_type_i64, lucet_val_type_i64};
    uint64_t used = 1;
    (void)state;
    /* Missing imports. */
    assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_symbol_not_found);
    fill_host_funcs(hf);
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 3, NULL, NULL, &i),
                     lucet_error_symbol_not_found);
    assert_non_null(strstr(lucet_error_message(), "env.rerun"));
    /* Wrong signature: (i64) -> i32 for an (i32) -> i32 import. */
    hf[0].params = t_i64;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, NULL, NULL, &i), lucet_error_import_type);
    assert_non_null(strstr(lucet_error_message(), "env.add_ctx"));
    fill_host_funcs(hf);
    hf[1].nresults = 1, hf[1].results = t_i32; /* stop returns nothing */
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, NULL, NULL, &i), lucet_error_import_type);
    assert_null(i);
    assert_int_equal(lucet_region_used(r, &used, NULL), lucet_error_ok);
    assert_int_equal(used, 0);
    /* Malformed entries. */
    fill_host_funcs(hf);
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, NULL, 4, NULL, NULL, &i),
                     lucet_error_invalid_argument);
    hf[2].field_name = NULL;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, NULL, NULL, &i),
                     lucet_error_invalid_argument);
    fill_host_funcs(hf);
    hf[2].func = NULL;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, NULL, NULL, &i),
                     lucet_error_invalid_argument);
    fill_host_funcs(hf);
    hf[0].params = bad_type;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, NULL, NULL, &i),
                     lucet_error_invalid_argument);
    fill_host_funcs(hf);
    /* Several results are allowed (a struct return), but must match the import. */
    hf[0].nresults = 2, hf[0].results = two_i64;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, NULL, NULL, &i), lucet_error_import_type);
    fill_host_funcs(hf);
    hf[0].nresults = 2, hf[0].results = bad_type2;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, NULL, NULL, &i),
                     lucet_error_invalid_argument);
    fill_host_funcs(hf);
    hf[0].params = NULL;
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, 4, NULL, NULL, &i),
                     lucet_error_invalid_argument);
    assert_null(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void vmctx_calls_outside_an_instance(void **state) {
    (void)state;
    assert_null(lucet_vmctx_get_heap(NULL));
    assert_int_equal(lucet_vmctx_current_memory(NULL), 0);
    assert_false(lucet_vmctx_check_heap(NULL, NULL, 0));
    assert_null(lucet_vmctx_get_delegate(NULL));
}

/* ------------------------------------------------------------ threads */

struct thread_job {
    struct lucet_region *r;
    struct lucet_dl_module *m;
    int failures;
};

/* Each thread makes its own instance and runs it, returns and traps mixed. */
static void *thread_main(void *arg) {
    struct thread_job *j = arg;
    struct lucet_instance *i = NULL;
    struct lucet_result res;
    struct lucet_val a[2];
    int n;
    if (lucet_region_new_instance(j->r, j->m, &i) != lucet_error_ok) {
        j->failures++;
        return NULL;
    }
    for (n = 0; n < 2000; n++) {
        a[0] = i32v((uint32_t)n);
        a[1] = i32v(n % 3 == 0 ? 0u : 1u);
        if (n % 3 == 0) {
            if (lucet_instance_run(i, "div", 2, a, &res) != lucet_error_runtime_fault ||
                res.val.faulted.code != lucet_trap_code_integer_div_by_zero)
                j->failures++;
        } else if (lucet_instance_run(i, "add", 2, a, &res) != lucet_error_ok ||
                   res.val.returned.values[0].inner_val.as_i32 != (uint32_t)n + 1) {
            j->failures++;
        }
        a[0] = i32v(70000);
        if (n % 100 == 0 && (lucet_instance_run(i, "load", 1, a, &res) != lucet_error_runtime_fault ||
                             res.val.faulted.code != lucet_trap_code_heap_out_of_bounds))
            j->failures++;
    }
    if (lucet_instance_release(i) != lucet_error_ok) j->failures++;
    return NULL;
}

static void instances_on_several_threads(void **state) {
    struct thread_job jobs[4];
    pthread_t th[4];
    struct lucet_region *r = small_region(4);
    struct lucet_dl_module *m = load(g_so_main);
    uint64_t used = 1;
    int k;
    (void)state;
    use_runtime_signal_handlers();
    for (k = 0; k < 4; k++) {
        jobs[k].r = r, jobs[k].m = m, jobs[k].failures = 0;
        assert_int_equal(pthread_create(&th[k], NULL, thread_main, &jobs[k]), 0);
    }
    for (k = 0; k < 4; k++) {
        assert_int_equal(pthread_join(th[k], NULL), 0);
        assert_int_equal(jobs[k].failures, 0);
    }
    assert_int_equal(lucet_region_used(r, &used, NULL), lucet_error_ok);
    assert_int_equal(used, 0);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

int main(void) {
    /* Creating a region installs the runtime's signal handlers: keep them. */
    if (record_runtime_signal_handlers()) return 1;
    {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(module_load_and_release),
        cmocka_unit_test(compile_errors),
        cmocka_unit_test(load_wasm_through_the_cache),
        cmocka_unit_test(region_create_and_release),
        cmocka_unit_test(region_full_and_slot_reuse),
        cmocka_unit_test(region_too_small_for_module),
        cmocka_unit_test_setup_teardown(run_typed_values, main_setup, main_teardown),
        cmocka_unit_test_setup_teardown(run_bad_arguments, main_setup, main_teardown),
        cmocka_unit_test_setup_teardown(run_traps, main_setup, main_teardown),
        cmocka_unit_test_setup_teardown(heap_access, main_setup, main_teardown),
        cmocka_unit_test_setup_teardown(use_after_release, main_setup, main_teardown),
        cmocka_unit_test_setup_teardown(new_instance_bad_arguments, main_setup, main_teardown),
        cmocka_unit_test(start_function_trap),
        cmocka_unit_test(no_linear_memory),
        cmocka_unit_test(host_functions_run),
        cmocka_unit_test(host_function_errors),
        cmocka_unit_test(vmctx_calls_outside_an_instance),
        cmocka_unit_test(instances_on_several_threads),
    };
    /* cmocka returns the number of failed tests: 77 would read as "skipped". */
    return cmocka_run_group_tests(tests, group_setup, group_teardown) == 0 ? 0 : 1;
    }
}
