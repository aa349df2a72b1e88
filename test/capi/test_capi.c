/* cmocka tests of the C API in include/lucet_wasi.h (plain C99). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lucet_wasi.h"

static void error_names_are_distinct_and_named(void **state) {
    (void)state;
    const char *seen[lucet_error_import_type + 1];
    for (int e = lucet_error_ok; e <= lucet_error_import_type; e++) {
        const char *n = lucet_error_name((enum lucet_error)e);
        assert_non_null(n);
        assert_int_equal(strncmp(n, "lucet_error_", 12), 0);
        for (int j = 0; j < e; j++) assert_string_not_equal(seen[j], n);
        seen[e] = n;
    }
    assert_string_equal(lucet_error_name(lucet_error_region_full), "lucet_error_region_full");
}

static void unknown_error_value_is_not_null(void **state) {
    (void)state;
    assert_string_equal(lucet_error_name((enum lucet_error)9999), "lucet_error_unknown");
}

static void version_is_semver(void **state) {
    (void)state;
    const char *v = lucet_version();
    assert_non_null(v);
    int dots = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '.') dots++;
        else assert_true(*p >= '0' && *p <= '9');
    }
    assert_int_equal(dots, 2);
}

static void error_values_are_stable(void **state) {
    (void)state;
    /* Lucet's numbering; embedders may have stored them. */
    assert_int_equal(lucet_error_region_full, 2);
    assert_int_equal(lucet_error_runtime_fault, 8);
    assert_int_equal(lucet_error_unsupported, 15);
    assert_int_equal(lucet_error_compile, 16);
    assert_int_equal(lucet_error_import_type, 17);
}

static void error_message_starts_empty(void **state) {
    (void)state;
    assert_non_null(lucet_error_message());
    assert_string_equal(lucet_error_message(), "");
    assert_int_equal(lucet_dl_module_release(NULL), lucet_error_invalid_argument);
    assert_string_not_equal(lucet_error_message(), "");
}

static void trap_code_names(void **state) {
    (void)state;
    assert_string_equal(lucet_trap_code_name(lucet_trap_code_heap_out_of_bounds), "out of bounds memory access");
    assert_string_equal(lucet_trap_code_name(lucet_trap_code_integer_div_by_zero), "integer divide by zero");
    assert_string_equal(lucet_trap_code_name(lucet_trap_code_unreachable), "unreachable");
    for (int c = lucet_trap_code_heap_out_of_bounds; c <= lucet_trap_code_interrupted; c++) {
        const char *n = lucet_trap_code_name((enum lucet_trap_code)c);
        assert_non_null(n);
        assert_string_not_equal(n, "unknown trap code");
    }
    assert_string_equal(lucet_trap_code_name(lucet_trap_code_none), "unknown trap code");
    assert_string_equal(lucet_trap_code_name((enum lucet_trap_code)77), "unknown trap code");
}

static void result_tag_names(void **state) {
    (void)state;
    assert_string_equal(lucet_result_tag_name(lucet_result_tag_returned), "lucet_result_tag_returned");
    assert_string_equal(lucet_result_tag_name(lucet_result_tag_faulted), "lucet_result_tag_faulted");
    assert_string_equal(lucet_result_tag_name(lucet_result_tag_terminated), "lucet_result_tag_terminated");
    assert_string_equal(lucet_result_tag_name(lucet_result_tag_errored), "lucet_result_tag_errored");
    assert_string_equal(lucet_result_tag_name((enum lucet_result_tag)9), "lucet_result_tag_unknown");
}

static void value_layout_is_fixed(void **state) {
    (void)state;
    /* LUCET_WASI_API_VERSION 2: the v128 member made lucet_val 24 bytes. */
    assert_int_equal(LUCET_WASI_API_VERSION, 2);
    assert_int_equal(lucet_api_version(), LUCET_WASI_API_VERSION);
    assert_int_equal(sizeof(struct lucet_val), 24);
    assert_int_equal(offsetof(struct lucet_val, inner_val), 8);
    assert_int_equal(sizeof(((struct lucet_val *)0)->inner_val.as_v128), 16);
    assert_int_equal(sizeof(lucet_v128), 16);
    assert_int_equal(lucet_val_type_v128, 0x7b);
    assert_int_equal(sizeof(struct lucet_alloc_limits), 40);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_names_are_distinct_and_named),
        cmocka_unit_test(unknown_error_value_is_not_null),
        cmocka_unit_test(version_is_semver),
        cmocka_unit_test(error_values_are_stable),
        cmocka_unit_test(error_message_starts_empty),
        cmocka_unit_test(trap_code_names),
        cmocka_unit_test(result_tag_names),
        cmocka_unit_test(value_layout_is_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
