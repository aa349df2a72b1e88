/* test_wasi_ctx_capi.c: the WASI context's stdio, read-only preopens and
 * environment through the C API (cmocka, strict C99), with real guests:
 *   - readonly.wasm (readonly.c, $LUCET_TEST_READONLY_WASM) attacks a
 *     lucet_wasi_ctx_preopen_dir_readonly directory; its stdout goes to a
 *     file (lucet_wasi_ctx_stdio_file) that must say "readonly ok";
 *   - stdio.wasm (wat/stdio.wat under $LUCET_TEST_WAT_DIR) echoes stdin to
 *     stdout and stderr, tries to write its stdin, and prints its environment,
 *     with stdio from files and pipes (lucet_wasi_ctx_stdio_fd).
 * And every error path of the new functions. */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../capi/capi_test_util.h"

static char g_so_stdio[300];
static struct lucet_dl_module *g_readonly, *g_stdio;

static int group_setup(void **state) {
    const char *ro = getenv("LUCET_TEST_READONLY_WASM");
    (void)state;
    (void)load;  /* (capi_test_util.h's; the modules here are loaded once) */
    if (!ro || make_temp_dir() || record_runtime_signal_handlers() || build_guest("stdio", g_so_stdio)) return -1;
    if (lucet_dl_module_load(g_so_stdio, &g_stdio) != lucet_error_ok ||
        lucet_dl_module_load_wasm(ro, 1, &g_readonly) != lucet_error_ok) {
        fprintf(stderr, "%s: %s\n", ro, lucet_error_message());
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    lucet_dl_module_release(g_readonly);
    lucet_dl_module_release(g_stdio);
    return remove_temp_dir();
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The file's contents (at most 255 bytes) in buf. */
static const char *read_file(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    size_t n;
    assert_non_null(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void path_in(char *out, const char *name) { snprintf(out, 300, "%s/%s", g_dir, name); }

static struct lucet_instance *instantiate(const struct lucet_dl_module *m, struct lucet_wasi_ctx *w,
                                          struct lucet_region *r) {
    struct lucet_instance *i = NULL;
    enum lucet_error e = lucet_region_new_instance_with_wasi_ctx(r, m, w, &i);
    if (e != lucet_error_ok) fprintf(stderr, "instance: %s\n", lucet_error_message());
    assert_int_equal(e, lucet_error_ok);
    return i;
}

static void readonly_preopen_attacked(void **state) {
    char ro[300], rw[300], sub[300], file[300], out[300], buf[256];
    struct lucet_region *r = small_region(1);
    struct lucet_wasi_ctx *w = NULL;
    struct lucet_instance *i;
    struct lucet_result res;
    const char *args[1] = {"readonly"};
    enum lucet_error e;
    (void)state;
    path_in(ro, "ro");
    path_in(rw, "rw");
    path_in(sub, "ro/sub");
    path_in(file, "ro/file");
    path_in(out, "readonly.out");
    assert_int_equal(mkdir(ro, 0755), 0);
    assert_int_equal(mkdir(rw, 0755), 0);
    assert_int_equal(mkdir(sub, 0755), 0);
    write_file(file, "inside");
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_args(w, 1, args), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_inherit_stdio(w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 1, out), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_preopen_dir_readonly(w, ro, "/ro"), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_preopen_dir(w, rw, "/rw"), lucet_error_ok);
    i = instantiate(g_readonly, w, r);
    e = lucet_instance_run(i, "_start", 0, NULL, &res);
    if (e != lucet_error_ok) {
        fprintf(stderr, "readonly guest: %s\n", lucet_error_message());
        assert_int_equal(e, lucet_error_runtime_terminated);
        assert_int_equal(res.val.terminated.exit_code, 0);
    }
    assert_string_equal(read_file(out, buf, sizeof buf), "readonly ok\n");
    assert_string_equal(read_file(file, buf, sizeof buf), "inside");
    lucet_instance_release(i);
    lucet_region_release(r);
}

/* Runs "echo" (stdin -> stdout and stderr); returns the bytes read. */
static uint32_t echo(struct lucet_instance *i) { return run_i32(i, "echo", 0, NULL); }

static void stdio_from_files_and_fds(void **state) {
    char in[300], out[300], err[300], buf[256];
    struct lucet_region *r = small_region(1);
    struct lucet_wasi_ctx *w = NULL;
    struct lucet_instance *i;
    int p[2];
    ssize_t n;
    (void)state;
    path_in(in, "stdin.txt");
    path_in(out, "stdout.txt");
    path_in(err, "stderr.txt");
    write_file(in, "from a file");
    write_file(out, "old contents, longer than the new ones");

    /* Files: stdin read, stdout truncated, stderr created. */
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 0, in), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 1, out), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 2, err), lucet_error_ok);
    i = instantiate(g_stdio, w, r);
    assert_int_equal(echo(i), 11);
    assert_string_equal(read_file(out, buf, sizeof buf), "from a file");
    assert_string_equal(read_file(err, buf, sizeof buf), "from a file");
    /* stdin is read-only: writing it is notcapable (76), not a host EBADF. */
    assert_int_equal(run_i32(i, "write_stdin", 0, NULL), 76);
    lucet_instance_release(i);

    /* Fds: stdin from a pipe, stdout to the same file; the context holds
     * duplicates, so closing ours at once is fine. */
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "piped", 5), 5);
    close(p[1]);
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    /* Given fds replace inherited ones. */
    assert_int_equal(lucet_wasi_ctx_inherit_stdio(w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 0, p[0]), lucet_error_ok);
    close(p[0]);
    {
        int fd = open(out, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 1, fd), lucet_error_ok);
        close(fd);
    }
    {
        int ep[2];
        assert_int_equal(pipe(ep), 0);
        assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 2, ep[1]), lucet_error_ok);
        close(ep[1]);
        i = instantiate(g_stdio, w, r);
        assert_int_equal(echo(i), 5);
        lucet_instance_release(i);  /* closes the context's write end */
        memset(buf, 0, sizeof buf);
        n = read(ep[0], buf, sizeof buf - 1);
        assert_int_equal(n, 5);
        assert_string_equal(buf, "piped");
        assert_int_equal(read(ep[0], buf, 1), 0);  /* EOF: no copy of the write end leaked */
        close(ep[0]);
    }
    assert_string_equal(read_file(out, buf, sizeof buf), "piped");
    lucet_region_release(r);
}

/* fd_fdstat_set_flags(append) on a stdout the host shares (a duplicate of
 * its fd: one open file description) is the guest fd's own: the guest's
 * writes go to the end, the host's description does not become O_APPEND. */
static void append_is_the_guest_fds(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_wasi_ctx *w = NULL;
    struct lucet_instance *i;
    char out[300], buf[256];
    int fd;
    (void)state;
    path_in(out, "append.txt");
    write_file(out, "0123456789");
    fd = open(out, O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 2, SEEK_SET), 2);
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 1, fd), lucet_error_ok);
    i = instantiate(g_stdio, w, r);
    assert_int_equal(run_i32(i, "append", 0, NULL), 0);
    assert_string_equal(read_file(out, buf, sizeof buf), "0123456789AB");
    assert_int_equal(fcntl(fd, F_GETFL) & O_APPEND, 0);
    /* The host's own writes land at its offset (with O_APPEND on the
     * description they would go to the end). */
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(write(fd, "xy", 2), 2);
    assert_string_equal(read_file(out, buf, sizeof buf), "xy23456789AB");
    lucet_instance_release(i);
    close(fd);
    lucet_region_release(r);
}

static void env_from_host_and_empty(void **state) {
    struct lucet_region *r = small_region(1);
    struct lucet_wasi_ctx *w = NULL;
    struct lucet_instance *i;
    char out[300], buf[256];
    (void)state;
    path_in(out, "env.txt");
    assert_int_equal(setenv("LUCET_CAPI_PASSED", "host value", 1), 0);
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 1, out), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_env_from_host(w, "LUCET_CAPI_PASSED"), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_env(w, "B", "2"), lucet_error_ok);
    i = instantiate(g_stdio, w, r);
    /* The context starts empty: exactly these two, NUL-separated. */
    assert_int_equal(run_i32(i, "env", 0, NULL), 33);
    lucet_instance_release(i);
    {
        FILE *f = fopen(out, "r");
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        assert_int_equal(n, 33);
        assert_memory_equal(buf, "LUCET_CAPI_PASSED=host value\0B=2\0", 33);
    }
    lucet_region_release(r);
}

static void errors(void **state) {
    struct lucet_wasi_ctx *w = NULL;
    char missing[300], nodir[300];
    (void)state;
    path_in(missing, "no-such-file");
    path_in(nodir, "no-such-dir/out");
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    /* stdio_fd: guest fd not 0-2, host fd not open. */
    assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 3, 1), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "not 0, 1 or 2"));
    assert_int_equal(lucet_wasi_ctx_stdio_fd(w, -1, 1), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 0, -1), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 0, 987654), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "987654 is not open"));
    /* stdio_file: NULL, bad fd, a missing stdin, an uncreatable stdout. */
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 0, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 5, missing), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 0, missing), lucet_error_internal);
    assert_non_null(strstr(lucet_error_message(), "no-such-file"));
    assert_non_null(strstr(lucet_error_message(), "stdin"));
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 2, nodir), lucet_error_internal);
    assert_non_null(strstr(lucet_error_message(), "stderr"));
    /* env_from_host: NULL, empty, '=', unset. */
    assert_int_equal(lucet_wasi_ctx_env_from_host(w, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_env_from_host(w, ""), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_env_from_host(w, "A=B"), lucet_error_invalid_argument);
    unsetenv("LUCET_CAPI_SURELY_UNSET");
    assert_int_equal(lucet_wasi_ctx_env_from_host(w, "LUCET_CAPI_SURELY_UNSET"), lucet_error_invalid_argument);
    assert_non_null(strstr(lucet_error_message(), "LUCET_CAPI_SURELY_UNSET is not set"));
    /* preopen_dir_readonly: NULL, missing. */
    assert_int_equal(lucet_wasi_ctx_preopen_dir_readonly(w, NULL, "/x"), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_preopen_dir_readonly(w, g_dir, NULL), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_preopen_dir_readonly(w, missing, "/x"), lucet_error_internal);
    assert_int_equal(lucet_wasi_ctx_destroy(w), lucet_error_ok);
    /* A destroyed handle. */
    assert_int_equal(lucet_wasi_ctx_stdio_fd(w, 1, 1), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_stdio_file(w, 1, missing), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_env_from_host(w, "PATH"), lucet_error_invalid_argument);
    assert_int_equal(lucet_wasi_ctx_preopen_dir_readonly(w, g_dir, "/x"), lucet_error_invalid_argument);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readonly_preopen_attacked),
        cmocka_unit_test(stdio_from_files_and_fds),
        cmocka_unit_test(env_from_host_and_empty),
        cmocka_unit_test(append_is_the_guest_fds),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
