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
    const char *seen[lucet_error_unsupported + 1];
    for (int e = lucet_error_ok; e <= lucet_error_unsupported; e++) {
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

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(error_names_are_distinct_and_named),
        cmocka_unit_test(unknown_error_value_is_not_null),
        cmocka_unit_test(version_is_semver),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
