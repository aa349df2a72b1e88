/* test_capi_trust.c: the C API side of the sandbox's trust rules.
 *  - lucet_dl_module_load_signed: a module signed by `lucetc
 *    --signature-create` loads with its public key; unsigned, tampered and
 *    wrongly signed ones are refused (lucet_error_dl, a message saying why).
 *  - a .so with a constructor is refused before dlopen (no marker file).
 *  - a module compiled for the default heap layout is refused by a region
 *    with a 64 KiB heap address space (lucet_error_limits_exceeded).
 * Keys and signed modules come from the real lucetc ($LUCET_TEST_LUCETC). */
#define _POSIX_C_SOURCE 200809L
#include <sys/stat.h>
#include <unistd.h>

#include "capi_test_util.h"

static char g_so[300], g_signed[300], g_pk[300], g_other_pk[300];

static int run_cmd(const char *cmd) {
    if (system(cmd) != 0) {
        fprintf(stderr, "failed: %s\n", cmd);
        return -1;
    }
    return 0;
}

/* wat/trust.wat -> trust.so (unsigned), two key pairs, trust-signed.so. */
static int setup(void **state) {
    const char *lucetc = getenv("LUCET_TEST_LUCETC");
    char cmd[2048];
    (void)state;
    if (!lucetc || make_temp_dir() != 0 || build_guest("trust", g_so) != 0) return -1;
    snprintf(g_signed, sizeof g_signed, "%s/trust-signed.so", g_dir);
    snprintf(g_pk, sizeof g_pk, "%s/key.pk", g_dir);
    snprintf(g_other_pk, sizeof g_other_pk, "%s/other.pk", g_dir);
    snprintf(cmd, sizeof cmd,
             "'%s' --signature-keygen --signature-sk '%s/key.sk' --signature-pk '%s' && "
             "'%s' --signature-keygen --signature-sk '%s/other.sk' --signature-pk '%s' && "
             "'%s' '%s/trust.wasm' -o '%s' --opt-level 1 --signature-create --signature-sk '%s/key.sk'",
             lucetc, g_dir, g_pk, lucetc, g_dir, g_other_pk, lucetc, g_dir, g_signed, g_dir);
    return run_cmd(cmd);
}

static int teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

/* The 32 key bytes of a public key file: "lucet-ed25519-public-key: <64 hex>". */
static void read_pk(const char *path, unsigned char pk[32]) {
    char line[200];
    const char *prefix = "lucet-ed25519-public-key: ";
    FILE *f = fopen(path, "r");
    size_t i;
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_int_equal(strncmp(line, prefix, strlen(prefix)), 0);
    for (i = 0; i < 32; i++) {
        unsigned v;
        assert_int_equal(sscanf(line + strlen(prefix) + 2 * i, "%2x", &v), 1);
        pk[i] = (unsigned char)v;
    }
}

static void copy_flipping(const char *from, const char *to, long flip_at) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    long pos = 0;
    int c;
    assert_non_null(in);
    assert_non_null(out);
    while ((c = fgetc(in)) != EOF) {
        if (pos == flip_at) c ^= 0x20;
        fputc(c, out);
        pos++;
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void expect_dl_refusal(const char *path, const unsigned char *pk, const char *reason) {
    struct lucet_dl_module *mod = (struct lucet_dl_module *)1;
    assert_int_equal(lucet_dl_module_load_signed(path, pk, 32, &mod), lucet_error_dl);
    assert_null(mod);
    if (!strstr(lucet_error_message(), reason)) fail_msg("message '%s' lacks '%s'", lucet_error_message(), reason);
}

static void test_signed_module_loads_and_runs(void **state) {
    unsigned char pk[32];
    struct lucet_dl_module *mod = NULL;
    struct lucet_region *region = NULL;
    struct lucet_instance *inst = NULL;
    struct lucet_result res;
    (void)state;
    read_pk(g_pk, pk);
    assert_int_equal(lucet_dl_module_load_signed(g_signed, pk, 32, &mod), lucet_error_ok);
    region = small_region(1);
    assert_int_equal(lucet_region_new_instance(region, mod, &inst), lucet_error_ok);
    assert_int_equal(lucet_instance_run(inst, "answer", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(res.val.returned.values[0].inner_val.as_i32, 42);
    lucet_instance_release(inst);
    lucet_region_release(region);
    lucet_dl_module_release(mod);
    /* Without a required signature the signed module loads as any other. */
    lucet_dl_module_release(load(g_signed));
}

static void test_unsigned_tampered_and_wrong_key_refused(void **state) {
    unsigned char pk[32], other[32];
    char tampered[320];
    struct stat st;
    (void)state;
    read_pk(g_pk, pk);
    read_pk(g_other_pk, other);
    expect_dl_refusal(g_so, pk, "refusing to load: no module signature");
    expect_dl_refusal(g_signed, other, "refusing to load: signed by another key");
    assert_int_equal(stat(g_signed, &st), 0);
    snprintf(tampered, sizeof tampered, "%s/tampered.so", g_dir);
    copy_flipping(g_signed, tampered, (long)st.st_size / 2);
    expect_dl_refusal(tampered, pk, "refusing to load: invalid module signature");
}

static void test_signed_load_bad_arguments(void **state) {
    unsigned char pk[32] = {0};
    struct lucet_dl_module *mod = NULL;
    (void)state;
    assert_int_equal(lucet_dl_module_load_signed(NULL, pk, 32, &mod), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load_signed(g_signed, NULL, 32, &mod), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load_signed(g_signed, pk, 32, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_dl_module_load_signed(g_signed, pk, 31, &mod), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "public_key_len is 31"));
    assert_null(mod);
}

static void test_constructor_so_refused_before_dlopen(void **state) {
    char src[300], so[300], marker[300], cmd[1200];
    struct lucet_dl_module *mod = NULL;
    FILE *f;
    (void)state;
    snprintf(src, sizeof src, "%s/ctor.c", g_dir);
    snprintf(so, sizeof so, "%s/ctor.so", g_dir);
    snprintf(marker, sizeof marker, "%s/ctor.marker", g_dir);
    f = fopen(src, "w");
    assert_non_null(f);
    fprintf(f, "#include <stdio.h>\n"
               "__attribute__((constructor)) static void c(void) { FILE *f = fopen(\"%s\", \"w\"); if (f) fclose(f); }\n"
               "int lucet_module;\n", marker);
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "cc -shared -fPIC -o '%s' '%s'", so, src);
    assert_int_equal(run_cmd(cmd), 0);
    assert_int_equal(lucet_dl_module_load(so, &mod), lucet_error_dl);
    assert_null(mod);
    assert_non_null(strstr(lucet_error_message(), "DT_INIT_ARRAY present (constructors would run at dlopen)"));
    assert_int_not_equal(access(marker, F_OK), 0);
}

static void test_default_layout_refused_by_small_region(void **state) {
    struct lucet_alloc_limits lim = lucet_alloc_limits_default();
    struct lucet_dl_module *mod = NULL;
    struct lucet_region *region = NULL;
    struct lucet_instance *inst = NULL;
    (void)state;
    lim.heap_memory_size = 64 << 10;
    lim.heap_address_space_size = 64 << 10;
    lim.stack_size = 128 << 10;
    mod = load(g_so);
    assert_int_equal(lucet_mmap_region_create(2, &lim, &region), lucet_error_ok);
    assert_int_equal(lucet_region_new_instance(region, mod, &inst), lucet_error_limits_exceeded);
    assert_null(inst);
    assert_non_null(strstr(lucet_error_message(), "module was compiled for 8 GiB of heap address space"));
    lucet_region_release(region);
    lucet_dl_module_release(mod);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_module_loads_and_runs),
        cmocka_unit_test(test_unsigned_tampered_and_wrong_key_refused),
        cmocka_unit_test(test_signed_load_bad_arguments),
        cmocka_unit_test(test_constructor_so_refused_before_dlopen),
        cmocka_unit_test(test_default_layout_refused_by_small_region),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
