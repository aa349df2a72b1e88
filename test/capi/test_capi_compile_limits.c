/* test_capi_compile_limits.c: struct lucet_compile_options: defaults, the
 * struct_size check (an older/newer caller), and the limits: a compile over
 * the memory or time limit fails with lucet_error_compile and a one-line
 * message, and leaves no output, cache entry or temporary file behind. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lucet_wasi.h"

static char g_dir[256];
static char g_wasm[300], g_big_wasm[300], g_tmp[300], g_cache[300];

/* Files in `dir` (0 for an empty or missing directory). */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d) return 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        /* The C compiler's version stamp in a cache directory is not a module
         * (compile_cache.h): a failed compile may leave it. Nor is a .wasm
         * index record (.wix), written once the .wasm file is 2 s old: on a
         * loaded machine that happens during the test. */
        if (len > 4 && strcmp(e->d_name + len - 4, ".ccv") == 0) continue;
        if (len > 4 && strcmp(e->d_name + len - 4, ".wix") == 0) continue;
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    }
    closedir(d);
    return n;
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* wat/main.wat, and 20,000 small functions in a chain (tens of seconds of
 * cc time unbounded: the time limit's subject). */
static int setup(void **state) {
    const char *wat2wasm = getenv("LUCET_TEST_WAT2WASM");
    const char *wat_dir = getenv("LUCET_TEST_WAT_DIR");
    char cmd[1200], wat[300];
    FILE *f;
    int i;
    (void)state;
    strcpy(g_dir, "/tmp/lucet-capi-limits-XXXXXX");
    if (!wat2wasm || !wat_dir || !mkdtemp(g_dir)) return -1;
    snprintf(g_wasm, sizeof g_wasm, "%s/main.wasm", g_dir);
    snprintf(cmd, sizeof cmd, "'%s' '%s/main.wat' -o '%s'", wat2wasm, wat_dir, g_wasm);
    if (system(cmd) != 0) return -1;
    snprintf(wat, sizeof wat, "%s/big.wat", g_dir);
    snprintf(g_big_wasm, sizeof g_big_wasm, "%s/big.wasm", g_dir);
    f = fopen(wat, "w");
    if (!f) return -1;
    fprintf(f, "(module\n (func (param i32) (result i32) local.get 0 i32.const 7 i32.add)\n");
    for (i = 1; i < 20000; i++)
        fprintf(f, " (func (param i32) (result i32) local.get 0 local.get 0 call %d i32.add)\n", i - 1);
    fprintf(f, " (export \"f\" (func 19999)))\n");
    if (fclose(f) != 0) return -1;
    snprintf(cmd, sizeof cmd, "'%s' '%s' -o '%s'", wat2wasm, wat, g_big_wasm);
    if (system(cmd) != 0) return -1;
    /* lucetc's (and cc's) temporary files, and the compile cache, go here. */
    snprintf(g_tmp, sizeof g_tmp, "%s/tmp", g_dir);
    snprintf(g_cache, sizeof g_cache, "%s/cache", g_dir);
    if (mkdir(g_tmp, 0700) != 0) return -1;
    setenv("TMPDIR", g_tmp, 1);
    setenv("XDG_CACHE_HOME", g_cache, 1);
    return 0;
}

static int teardown(void **state) {
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void options_default(void **state) {
    struct lucet_compile_options o = lucet_compile_options_default();
    (void)state;
    assert_int_equal(o.struct_size, sizeof o);
    assert_int_equal(o.opt_level, 2);
    assert_true(o.max_memory == (uint64_t)2 << 30);
    assert_true(o.max_time_seconds == 300);
    assert_null(o.target_cpu);
    assert_int_equal(sizeof o, 32);
}

static void options_errors(void **state) {
    char so[300];
    struct lucet_compile_options o = lucet_compile_options_default();
    struct lucet_dl_module *m = NULL;
    (void)state;
    snprintf(so, sizeof so, "%s/x.so", g_dir);
    assert_int_equal(lucet_compile_wasm_file_with_options(NULL, so, &o), lucet_error_invalid_argument);
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, NULL, &o), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load_wasm_with_options(NULL, &o, &m), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, &o, NULL), lucet_error_invalid_argument);
    /* struct_size unset, shorter than the first version, longer than known */
    o.struct_size = 0;
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, &o), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "struct_size"));
    o.struct_size = 23;
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, &o), lucet_error_invalid_argument);
    o.struct_size = sizeof o + 8;
    assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, &o, &m), lucet_error_invalid_argument);
    assert_null(m);
    o = lucet_compile_options_default();
    o.opt_level = 3;
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, &o), lucet_error_invalid_argument);
    o.opt_level = -1;
    assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, &o, &m), lucet_error_invalid_argument);
    assert_false(file_exists(so));
    assert_int_equal(count_entries(g_tmp), 0);
}

static void no_options_and_no_limits(void **state) {
    char so[300];
    struct lucet_compile_options o = lucet_compile_options_default();
    (void)state;
    snprintf(so, sizeof so, "%s/plain.so", g_dir);
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, NULL), lucet_error_ok);
    assert_true(file_exists(so));
    o.opt_level = 0;
    o.max_memory = 0;
    o.max_time_seconds = 0;
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, &o), lucet_error_ok);
    {
        struct lucet_dl_module *m = NULL;
        assert_int_equal(lucet_dl_module_load(so, &m), lucet_error_ok);
        lucet_dl_module_release(m);
    }
    assert_int_equal(count_entries(g_tmp), 0);
}

static void over_the_memory_limit(void **state) {
    char so[300];
    struct lucet_compile_options o = lucet_compile_options_default();
    struct lucet_dl_module *m = NULL;
    (void)state;
    snprintf(so, sizeof so, "%s/small.so", g_dir);
    o.max_memory = 16 << 20; /* less than cc1 needs to start */
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, &o), lucet_error_compile);
    assert_non_null(strstr(lucet_error_message(), "C compiler exceeded the 16 MiB memory limit"));
    assert_null(strchr(lucet_error_message(), '\n'));
    assert_false(file_exists(so));
    assert_int_equal(count_entries(g_tmp), 0);
    /* Through the cache: nothing is stored, then the defaults compile it. */
    assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, &o, &m), lucet_error_compile);
    assert_null(m);
    assert_non_null(strstr(lucet_error_message(), "memory limit"));
    {
        char dir[320];
        snprintf(dir, sizeof dir, "%s/lucet", g_cache);
        assert_int_equal(count_entries(dir), 0);
        assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, NULL, &m), lucet_error_ok);
        assert_int_equal(count_entries(dir), 2); /* <key>.so and <key>.sum */
    }
    lucet_dl_module_release(m);
    assert_int_equal(count_entries(g_tmp), 0);
}

static void over_the_time_limit(void **state) {
    char so[300];
    struct lucet_compile_options o = lucet_compile_options_default();
    (void)state;
    snprintf(so, sizeof so, "%s/big.so", g_dir);
    o.max_time_seconds = 1;
    assert_int_equal(lucet_compile_wasm_file_with_options(g_big_wasm, so, &o), lucet_error_compile);
    /* "C compiler exceeded ...", or on a heavily loaded machine "generating
     * C for function N exceeded ..." */
    assert_non_null(strstr(lucet_error_message(), "exceeded the 1 s time limit"));
    assert_false(file_exists(so));
    assert_int_equal(count_entries(g_tmp), 0);
}

/* target_cpu: checked, passed to cc, read only when the caller's struct has
 * it; the cache keeps one entry per target. */
static void target_cpu_option(void **state) {
    char so[300], dir[320];
    struct lucet_compile_options o = lucet_compile_options_default();
    struct lucet_dl_module *m = NULL;
    int before;
    (void)state;
    snprintf(so, sizeof so, "%s/target.so", g_dir);
    o.target_cpu = "pentium4";
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, &o), lucet_error_invalid_argument);
    assert_string_equal(lucet_error_message(),
                        "lucet_compile_wasm_file_with_options: options->target_cpu: unknown target CPU 'pentium4': "
                        "expected one of native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4");
    assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, &o, &m), lucet_error_invalid_argument);
    assert_null(m);
    assert_false(file_exists(so));
    o.target_cpu = "x86-64-v2"; /* every x86-64 CPU of the last 15 years */
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, &o), lucet_error_ok);
    assert_int_equal(lucet_dl_module_load(so, &m), lucet_error_ok);
    lucet_dl_module_release(m);
    /* A caller built against the first version (24 bytes) has no
     * target_cpu: whatever follows its struct is not read. */
    o.target_cpu = "not read";
    o.struct_size = 24;
    assert_int_equal(lucet_compile_wasm_file_with_options(g_wasm, so, &o), lucet_error_ok);
    /* The cache: x86-64 and native (the default there) are two entries. */
    snprintf(dir, sizeof dir, "%s/lucet", g_cache);
    o = lucet_compile_options_default();
    assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, NULL, &m), lucet_error_ok);
    lucet_dl_module_release(m);
    before = count_entries(dir);
    o.target_cpu = "x86-64";
    assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, &o, &m), lucet_error_ok);
    lucet_dl_module_release(m);
    assert_int_equal(count_entries(dir), before + 2);
    o.target_cpu = "native";
    assert_int_equal(lucet_dl_module_load_wasm_with_options(g_wasm, &o, &m), lucet_error_ok);
    lucet_dl_module_release(m);
    assert_int_equal(count_entries(dir), before + 2);
    assert_int_equal(count_entries(g_tmp), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_default),
        cmocka_unit_test(options_errors),
        cmocka_unit_test(no_options_and_no_limits),
        cmocka_unit_test(over_the_memory_limit),
        cmocka_unit_test(over_the_time_limit),
        cmocka_unit_test(target_cpu_option),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
