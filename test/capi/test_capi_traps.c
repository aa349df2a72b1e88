/* Trap details through the C API: the trapping function's index, name and
 * wasm offset, and the backtrace, at -O0 (every frame) and -O2 (cc inlines:
 * the explicit trap still names its function), plus the error paths. */
#define _POSIX_C_SOURCE 200809L
#include "capi_test_util.h"

static char g_so[2][300];

/* wat/traps.wat with its names, compiled at -O0 and -O2. */
static int setup(void **state) {
    const char *wat2wasm = getenv("LUCET_TEST_WAT2WASM");
    const char *wat_dir = getenv("LUCET_TEST_WAT_DIR");
    char cmd[1024], wasm[300];
    int k;
    (void)state;
    if (!wat2wasm || !wat_dir || make_temp_dir() != 0 || record_runtime_signal_handlers() != 0) return -1;
    snprintf(wasm, sizeof wasm, "%s/traps.wasm", g_dir);
    snprintf(cmd, sizeof cmd, "'%s' --debug-names '%s/traps.wat' -o '%s'", wat2wasm, wat_dir, wasm);
    if (system(cmd) != 0) return -1;
    for (k = 0; k < 2; k++) {
        snprintf(g_so[k], sizeof g_so[k], "%s/traps%d.so", g_dir, k * 2);
        if (lucet_compile_wasm_file(wasm, g_so[k], k * 2) != lucet_error_ok) {
            fprintf(stderr, "%s\n", lucet_error_message());
            return -1;
        }
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

static void check_unreachable(int opt) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so[opt]);
    struct lucet_instance *i = NULL;
    struct lucet_result res;
    struct lucet_trap_info ti;
    struct lucet_trap_frame f;
    const char *bt;
    use_runtime_signal_handlers();
    assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_ok);
    assert_int_equal(lucet_instance_run(i, "_start", 0, NULL, &res), lucet_error_runtime_fault);
    assert_int_equal(lucet_instance_trap_info(i, &ti), lucet_error_ok);
    assert_int_equal(ti.code, lucet_trap_code_unreachable);
    assert_int_equal(ti.has_func, 1);
    assert_int_equal(ti.func_index, 0);
    assert_string_equal(ti.func_name, "level3");
    assert_int_equal(ti.wasm_offset, 0x47); /* the unreachable opcode in traps.wasm */
    assert_int_equal(ti.heap_offset, UINT64_MAX);
    assert_int_equal(lucet_instance_trap_frame(i, 0, &f), lucet_error_ok);
    assert_string_equal(f.func_name, "level3");
    assert_int_equal(f.wasm_offset, 0x47);
    if (opt == 0) {
        /* Every frame: level3 <- level2 <- level1 <- _start (func 6, unnamed). */
        assert_int_equal(ti.frame_count, 4);
        assert_int_equal(lucet_instance_trap_frame(i, 1, &f), lucet_error_ok);
        assert_string_equal(f.func_name, "level2");
        assert_int_equal(f.wasm_offset, LUCET_WASM_OFFSET_UNKNOWN);
        assert_int_equal(lucet_instance_trap_frame(i, 2, &f), lucet_error_ok);
        assert_string_equal(f.func_name, "level1");
        assert_int_equal(lucet_instance_trap_frame(i, 3, &f), lucet_error_ok);
        assert_int_equal(f.func_index, 6);
        assert_string_equal(f.func_name, "");
        assert_int_equal(f.may_include_inlined, 0);
    } else {
        /* The outermost frame is _start whatever cc inlined, and no frame
         * names a function that is not on the wasm call path. */
        uint32_t k;
        assert_true(ti.frame_count >= 2);
        assert_int_equal(lucet_instance_trap_frame(i, ti.frame_count - 1, &f), lucet_error_ok);
        assert_int_equal(f.func_index, 6);
        for (k = 0; k < ti.frame_count; k++) {
            assert_int_equal(lucet_instance_trap_frame(i, k, &f), lucet_error_ok);
            assert_true(f.func_index <= 2 || f.func_index == 6);
        }
    }
    bt = lucet_instance_trap_backtrace(i);
    assert_non_null(bt);
    assert_non_null(strstr(bt, "wasm backtrace:\n    0: func[0] <level3> @ 0x47"));
    /* Error paths: frame index out of range, NULL out, no trap after a clean run. */
    assert_int_equal(lucet_instance_trap_frame(i, ti.frame_count, &f), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "lucet_instance_trap_frame"));
    assert_int_equal(lucet_instance_trap_info(i, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_trap_frame(i, 0, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_run(i, "ok", 0, NULL, &res), lucet_error_ok);
    assert_int_equal(lucet_instance_trap_info(i, &ti), lucet_error_runtime_fault);
    assert_int_equal(lucet_instance_trap_frame(i, 0, &f), lucet_error_runtime_fault);
    assert_null(lucet_instance_trap_backtrace(i));
    lucet_instance_release(i);
    /* A released handle. */
    assert_int_equal(lucet_instance_trap_info(i, &ti), lucet_error_invalid_argument);
    assert_int_equal(lucet_instance_trap_info(NULL, &ti), lucet_error_invalid_argument);
    assert_null(lucet_instance_trap_backtrace(NULL));
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void unreachable_o0(void **state) {
    (void)state;
    check_unreachable(0);
}

static void unreachable_o2(void **state) {
    (void)state;
    check_unreachable(1);
}

/* A heap fault three calls deep at -O0: the faulting function by PC, no
 * wasm offset, the wasm address. */
static void heap_fault_o0(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_dl_module *m = load(g_so[0]);
    struct lucet_instance *i = NULL;
    struct lucet_result res;
    struct lucet_trap_info ti;
    struct lucet_trap_frame f;
    (void)state;
    use_runtime_signal_handlers();
    assert_int_equal(lucet_region_new_instance(r, m, &i), lucet_error_ok);
    assert_int_equal(lucet_instance_run(i, "oob", 0, NULL, &res), lucet_error_runtime_fault);
    assert_int_equal(lucet_instance_trap_info(i, &ti), lucet_error_ok);
    assert_int_equal(ti.code, lucet_trap_code_heap_out_of_bounds);
    assert_string_equal(ti.func_name, "load3");
    assert_int_equal(ti.wasm_offset, LUCET_WASM_OFFSET_UNKNOWN);
    assert_int_equal(ti.heap_offset, 0x80000006u);
    assert_int_equal(ti.frame_count, 4);
    assert_int_equal(lucet_instance_trap_frame(i, 1, &f), lucet_error_ok);
    assert_string_equal(f.func_name, "load2");
    assert_int_equal(lucet_instance_trap_frame(i, 2, &f), lucet_error_ok);
    assert_string_equal(f.func_name, "load1");
    assert_int_equal(lucet_instance_trap_frame(i, 3, &f), lucet_error_ok);
    assert_int_equal(f.func_index, 8);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unreachable_o0),
        cmocka_unit_test(unreachable_o2),
        cmocka_unit_test(heap_fault_o0),
    };
    (void)build_guest; /* capi_test_util.h's; these guests need --debug-names and two -O levels */
    return cmocka_run_group_tests(tests, setup, teardown);
}
