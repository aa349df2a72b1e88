/* capi_test_util.h: what the C API's cmocka tests share: compiling guests
 * from wat/ at setup, a small region, values. Static functions: each test
 * program includes it once. */
#ifndef CAPI_TEST_UTIL_H
#define CAPI_TEST_UTIL_H

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lucet_wasi.h"

static char g_dir[256];

/* wat/<name>.wat -> <tmp>/<name>.wasm -> <tmp>/<name>.so */
static int build_guest(const char *name, char *so_out) {
    const char *wat2wasm = getenv("LUCET_TEST_WAT2WASM");
    const char *wat_dir = getenv("LUCET_TEST_WAT_DIR");
    char cmd[1024], wasm[300];
    if (!wat2wasm || !wat_dir) {
        fprintf(stderr, "LUCET_TEST_WAT2WASM and LUCET_TEST_WAT_DIR must be set\n");
        return -1;
    }
    snprintf(wasm, sizeof wasm, "%s/%s.wasm", g_dir, name);
    snprintf(so_out, 300, "%s/%s.so", g_dir, name);
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s.wat' -o '%s'", wat2wasm, wat_dir, name, wasm);
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        return -1;
    }
    if (lucet_compile_wasm_file(wasm, so_out, 1) != lucet_error_ok) {
        fprintf(stderr, "compiling %s: %s\n", wasm, lucet_error_message());
        return -1;
    }
    return 0;
}

static int make_temp_dir(void) {
    strcpy(g_dir, "/tmp/lucet-capi-test-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int remove_temp_dir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* cmocka replaces SIGSEGV/SIGBUS/SIGFPE/SIGILL handlers around each test;
 * tests whose guests fault put the runtime's back (see test_capi_instances.c). */
static const int k_signals[4] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL};
static struct sigaction g_runtime_sa[4];

static inline int record_runtime_signal_handlers(void) {
    struct lucet_region *r = NULL;
    int k;
    if (lucet_mmap_region_create(1, NULL, &r) != lucet_error_ok) return -1;
    lucet_region_release(r);
    for (k = 0; k < 4; k++) sigaction(k_signals[k], NULL, &g_runtime_sa[k]);
    return 0;
}

static inline void use_runtime_signal_handlers(void) {
    int k;
    for (k = 0; k < 4; k++) sigaction(k_signals[k], &g_runtime_sa[k], NULL);
}

/* 4 pages of heap at most, 1 MiB of stack, the default heap reservation. */
static struct lucet_region *small_region(uint64_t capacity) {
    struct lucet_alloc_limits l = lucet_alloc_limits_default();
    struct lucet_region *r = NULL;
    l.heap_memory_size = 4 * 65536;
    l.stack_size = 1 << 20;
    assert_int_equal(lucet_mmap_region_create(capacity, &l, &r), lucet_error_ok);
    assert_non_null(r);
    return r;
}

static struct lucet_dl_module *load(const char *so) {
    struct lucet_dl_module *m = NULL;
    assert_int_equal(lucet_dl_module_load(so, &m), lucet_error_ok);
    assert_non_null(m);
    return m;
}

static inline struct lucet_val i32v(uint32_t v) {
    struct lucet_val x;
    memset(&x, 0, sizeof x);
    x.ty = lucet_val_type_i32;
    x.inner_val.as_i32 = v;
    return x;
}

/* Runs an export returning one i32; fails the test on any error. */
static inline uint32_t run_i32(struct lucet_instance *i, const char *name, size_t argc, const struct lucet_val *argv) {
    struct lucet_result res;
    enum lucet_error e = lucet_instance_run(i, name, argc, argv, &res);
    if (e != lucet_error_ok) fprintf(stderr, "%s: %s: %s\n", name, lucet_error_name(e), lucet_error_message());
    assert_int_equal(e, lucet_error_ok);
    assert_int_equal(res.tag, lucet_result_tag_returned);
    assert_int_equal(res.val.returned.nvalues, 1);
    return res.val.returned.values[0].inner_val.as_i32;
}

#endif
