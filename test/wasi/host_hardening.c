/* host_hardening.c: an embedder of the C API running the guest hardening.c
 * (its .wasm is argv[1], compiled through the cache in $XDG_CACHE_HOME):
 *   - SIGPIPE: with the default disposition, a guest writing to a pipe whose
 *     reader is gone gets EPIPE; this process is not killed, no SIGPIPE is
 *     left pending and the disposition is unchanged;
 *   - nonblock: the guest setting nonblock on its stdin (a pipe) leaves this
 *     process's fd 0 blocking;
 *   - fd limit: lucet_wasi_ctx_max_fds and the default (1024) give the guest
 *     nfile while this process can still open files;
 *   - kill switch: a guest blocked in path_open of a FIFO with no peer (for
 *     reading and for writing) is stopped by lucet_kill_switch_terminate.
 * Prints what failed and exits 1 on any failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <lucet_wasi.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int failures;
#define EXPECT(cond)                                                          \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
            failures++;                                                       \
        }                                                                     \
    } while (0)

static struct lucet_dl_module *mod;
static struct lucet_region *region;
static char pre[512];  /* the guest's "." */

/* A WASI instance of the guest with argv {"hardening", args...}, stdio
 * inherited, `pre` preopened as "."; max_fds 0 keeps the default. */
static struct lucet_instance *make_instance(const char *const *args, size_t nargs, uint32_t max_fds) {
    struct lucet_wasi_ctx *ctx = NULL;
    struct lucet_instance *inst = NULL;
    const char *argv[8] = {"hardening"};
    for (size_t i = 0; i < nargs && i < 7; i++) argv[i + 1] = args[i];
    if (lucet_wasi_ctx_create(&ctx) != lucet_error_ok || lucet_wasi_ctx_args(ctx, nargs + 1, argv) != lucet_error_ok ||
        lucet_wasi_ctx_inherit_stdio(ctx) != lucet_error_ok ||
        lucet_wasi_ctx_preopen_dir(ctx, pre, ".") != lucet_error_ok ||
        (max_fds && lucet_wasi_ctx_max_fds(ctx, max_fds) != lucet_error_ok)) {
        fprintf(stderr, "FAIL: WASI context: %s\n", lucet_error_message());
        exit(1);
    }
    if (lucet_region_new_instance_with_wasi_ctx(region, mod, ctx, &inst) != lucet_error_ok) {
        fprintf(stderr, "FAIL: instance: %s\n", lucet_error_message());
        exit(1);
    }
    return inst;
}

/* Runs _start; the guest's exit code, or -1 (message printed) when it did
 * not exit by itself. */
static int run_to_exit(struct lucet_instance *inst) {
    struct lucet_result res;
    enum lucet_error e = lucet_instance_run(inst, "_start", 0, NULL, &res);
    if (e == lucet_error_ok && res.tag == lucet_result_tag_returned) return 0;
    if (e == lucet_error_runtime_terminated && !res.val.terminated.killed) return (int)res.val.terminated.exit_code;
    fprintf(stderr, "run: %s (error %d, tag %d)\n", lucet_error_message(), (int)e, (int)res.tag);
    return -1;
}

static int run_mode(const char *const *args, size_t nargs, uint32_t max_fds) {
    struct lucet_instance *inst = make_instance(args, nargs, max_fds);
    int code = run_to_exit(inst);
    lucet_instance_release(inst);
    return code;
}

static void test_sigpipe(void) {
    struct sigaction before, after;
    sigaction(SIGPIPE, NULL, &before);
    EXPECT(before.sa_handler == SIG_DFL);
    int p[2];
    EXPECT(pipe(p) == 0);
    close(p[0]);
    int saved = dup(1);
    dup2(p[1], 1);
    close(p[1]);
    const char *args[] = {"epipe"};
    int code = run_mode(args, 1, 0);
    dup2(saved, 1);
    close(saved);
    EXPECT(code == 0);  /* the guest saw EPIPE (and we are still here) */
    sigaction(SIGPIPE, NULL, &after);
    EXPECT(after.sa_handler == SIG_DFL);
    sigset_t pending;
    sigpending(&pending);
    EXPECT(!sigismember(&pending, SIGPIPE));
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, NULL, &mask);
    EXPECT(!sigismember(&mask, SIGPIPE));
    /* And a write of our own to a closed pipe still raises SIGPIPE. */
    EXPECT(pipe(p) == 0);
    close(p[0]);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &one, NULL);
    EXPECT(write(p[1], "x", 1) < 0 && errno == EPIPE);
    sigpending(&pending);
    EXPECT(sigismember(&pending, SIGPIPE));
    struct timespec zero = {0, 0};
    sigtimedwait(&one, NULL, &zero);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    close(p[1]);
}

static void test_nonblock_stdin(void) {
    int p[2];
    EXPECT(pipe(p) == 0);
    int saved = dup(0);
    dup2(p[0], 0);
    close(p[0]);
    int before = fcntl(0, F_GETFL);
    const char *args[] = {"nonblock_stdin"};
    int code = run_mode(args, 1, 0);
    int after = fcntl(0, F_GETFL);
    dup2(saved, 0);
    close(saved);
    close(p[1]);
    EXPECT(code == 0);
    EXPECT(!(before & O_NONBLOCK));
    EXPECT(after == before);
}

static void test_fd_limit(void) {
    struct lucet_wasi_ctx *ctx = NULL;
    EXPECT(lucet_wasi_ctx_create(&ctx) == lucet_error_ok);
    EXPECT(lucet_wasi_ctx_max_fds(ctx, 0) == lucet_error_invalid_argument);
    EXPECT(lucet_wasi_ctx_max_fds(ctx, (1u << 20) + 1) == lucet_error_invalid_argument);
    EXPECT(lucet_wasi_ctx_max_fds(NULL, 10) == lucet_error_invalid_argument);
    EXPECT(lucet_wasi_ctx_max_fds(ctx, 1u << 20) == lucet_error_ok);
    EXPECT(lucet_wasi_ctx_destroy(ctx) == lucet_error_ok);
    EXPECT(lucet_wasi_ctx_max_fds(ctx, 10) == lucet_error_invalid_argument);
    /* A preopen beyond the limit is refused with a message. */
    EXPECT(lucet_wasi_ctx_create(&ctx) == lucet_error_ok);
    EXPECT(lucet_wasi_ctx_max_fds(ctx, 3) == lucet_error_ok);
    EXPECT(lucet_wasi_ctx_inherit_stdio(ctx) == lucet_error_ok);
    EXPECT(lucet_wasi_ctx_preopen_dir(ctx, pre, ".") == lucet_error_internal);
    EXPECT(strstr(lucet_error_message(), "fd limit (3)") != NULL);
    EXPECT(lucet_wasi_ctx_destroy(ctx) == lucet_error_ok);

    /* 32: stdio and the preopen leave 28 opens. */
    const char *args32[] = {"openloop", "28"};
    EXPECT(run_mode(args32, 2, 32) == 0);
    /* The default, 1024, with room for it under RLIMIT_NOFILE. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 1024 + 256 && (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 1024 + 256)) {
        rl.rlim_cur = 1024 + 256;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur >= 1024 + 256) {
        const char *args_default[] = {"openloop", "1020"};
        EXPECT(run_mode(args_default, 2, 0) == 0);
    } else {
        fprintf(stderr, "note: RLIMIT_NOFILE hard limit below 1280, default fd limit not exercised\n");
    }
    /* The guest's fds were closed with its instance; the host opens files. */
    int fd = open("/dev/null", O_RDONLY);
    EXPECT(fd >= 0);
    close(fd);
}

struct killer {
    struct lucet_kill_switch *ks;
    char fifo[600];
    int write_end;  /* the guest opens for writing: the rescue opens for reading */
    volatile int stopped;
};

/* Kills the guest after 300 ms. Should the kill not stop it within 20 s,
 * opens the FIFO's other end so that the test ends (and fails) instead of
 * hanging. */
static void *kill_later(void *arg) {
    struct killer *k = arg;
    struct timespec ms300 = {0, 300000000};
    nanosleep(&ms300, NULL);
    bool stopped = false;
    EXPECT(lucet_kill_switch_terminate(k->ks, &stopped) == lucet_error_ok);
    for (int i = 0; i < 200 && !k->stopped; i++) {
        struct timespec ms100 = {0, 100000000};
        nanosleep(&ms100, NULL);
    }
    if (!k->stopped) {
        fprintf(stderr, "FAIL: the kill switch did not stop a guest blocked opening a FIFO\n");
        failures++;
        int fd = open(k->fifo, (k->write_end ? O_RDONLY : O_WRONLY) | O_NONBLOCK);
        if (fd >= 0) close(fd);
    }
    return NULL;
}

static void test_kill_fifo_open(const char *mode, int write_end) {
    struct killer k = {0};
    snprintf(k.fifo, sizeof k.fifo, "%s/fifo", pre);
    unlink(k.fifo);
    EXPECT(mkfifo(k.fifo, 0600) == 0);
    const char *args[] = {mode, "fifo"};
    struct lucet_instance *inst = make_instance(args, 2, 0);
    EXPECT(lucet_instance_kill_switch(inst, &k.ks) == lucet_error_ok);
    k.write_end = write_end;
    pthread_t t;
    pthread_create(&t, NULL, kill_later, &k);
    struct lucet_result res;
    enum lucet_error e = lucet_instance_run(inst, "_start", 0, NULL, &res);
    k.stopped = 1;
    pthread_join(t, NULL);
    EXPECT(e == lucet_error_runtime_terminated);
    EXPECT(res.tag == lucet_result_tag_terminated && res.val.terminated.killed == 1);
    lucet_kill_switch_release(k.ks);
    lucet_instance_release(inst);
    unlink(k.fifo);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s hardening.wasm\n", argv[0]);
        return 2;
    }
    char tmpl[] = "/tmp/lucet-host-hardening.XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    snprintf(pre, sizeof pre, "%s", tmpl);
    if (lucet_dl_module_load_wasm(argv[1], 1, &mod) != lucet_error_ok ||
        lucet_mmap_region_create(1, NULL, &region) != lucet_error_ok) {
        fprintf(stderr, "FAIL: setup: %s\n", lucet_error_message());
        return 1;
    }
    test_sigpipe();
    test_nonblock_stdin();
    test_fd_limit();
    test_kill_fifo_open("fifo_read", 0);
    test_kill_fifo_open("fifo_write", 1);
    lucet_region_release(region);
    lucet_dl_module_release(mod);
    char f[600];
    snprintf(f, sizeof f, "%s/f", pre);
    unlink(f);
    rmdir(pre);
    if (failures) fprintf(stderr, "%d failure(s)\n", failures);
    else printf("host hardening ok\n");
    return failures ? 1 : 0;
}
