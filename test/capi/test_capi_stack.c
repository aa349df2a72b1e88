/* test_capi_stack.c: the host-call stack reserve and exceptions at the C
 * boundary.
 *
 * - hostcall_near_stack_limit: a guest recurses to every depth from 4 KiB
 *   above its stack limit to past it, then a function with a ~28 KiB frame
 *   calls path_open (a 4,000-byte path) or fd_readdir. Each run either works
 *   or ends in a stack-overflow trap; 1,000 runs in this process leave no fd
 *   behind (/proc/self/fd). Host code that ran past the guard page and was
 *   reported as the guest's trap dropped its frames with a directory fd
 *   open (the old code leaked one per run here).
 * - hostcall_stack_use: measures the stack the heaviest WASI calls use
 *   (painted stack below the call site) and checks it stays under half of
 *   the runtime's 32 KiB host-call reserve.
 * - host_fault_is_not_a_trap: a host function faulting on a guard page (heap
 *   reservation, guest stack) crashes the process (SIGSEGV), not a trap.
 * - exceptions_become_errors: C API calls whose sizes make the C++ side
 *   throw return lucet_error_internal with a message instead of aborting.
 *
 * The guest's .wat is generated here (the big frame has 3,500 locals). */
#define _DEFAULT_SOURCE /* symlink, mkdtemp in strict C99 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capi_test_util.h"

#define BIG_LOCALS 3500       /* i64 locals live across the call: ~28 KiB of frame */
#define PATH_REPEAT 800       /* "a/../" x 799 + "a/lnk" (-> ../f): 4,000 bytes, 1,600 components */
#define PATH_ADDR 1024
#define LINK_ADDR 8192        /* "l0": the head of a 40-link symlink chain */
#define SCRATCH 16384         /* out parameters and buffers */
#define POLL 40000            /* poll_oneoff's subscription (zeroes but the clock id) and event */
#define VALUES 65536          /* the big frame's inputs */
#define HOSTCALL_RESERVE (32 * 1024)  /* RegionLimits::hostcall_reserve's default */

static char g_so[300], g_pre[300];

/* ---------------------------------------------------------------- guest */

struct buf {
    char *p;
    size_t n, cap;
};

static void put(struct buf *b, const char *fmt, ...) {
    va_list ap;
    int k;
    for (;;) {
        va_start(ap, fmt);
        k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
        va_end(ap);
        if (k >= 0 && (size_t)k < b->cap - b->n) break;
        b->cap = b->cap * 2 + (size_t)k + 1;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    b->n += (size_t)k;
}

/* The WASI call of each mode, returning its errno (i32) on the stack. */
static void put_hostcall(struct buf *b, int mode) {
    const char *po = "(call $path_open (i32.const 3) (i32.const 1) (i32.const %d) (i32.const %d) (i32.const 0)"
                     " (i64.const 2) (i64.const 0) (i32.const 0) (i32.const %d))";
    switch (mode) {
    case 1: /* path_open with a long path, then fd_close */
        put(b, "(block (result i32) ");
        put(b, po, PATH_ADDR, PATH_REPEAT * 5, SCRATCH);
        put(b, " (if (i32.eqz (local.tee $e)) (then (drop (call $fd_close (i32.load (i32.const %d))))))", SCRATCH);
        put(b, " (local.get $e))");
        break;
    case 2: /* fd_readdir of the preopen */
        put(b, "(call $fd_readdir (i32.const 3) (i32.const %d) (i32.const 16384) (i64.const 0) (i32.const %d))",
            SCRATCH + 64, SCRATCH);
        break;
    case 3: /* path_open through 40 symlinks */
        put(b, "(block (result i32) ");
        put(b, po, LINK_ADDR, 2, SCRATCH);
        put(b, " (if (i32.eqz (local.tee $e)) (then (drop (call $fd_close (i32.load (i32.const %d))))))", SCRATCH);
        put(b, " (local.get $e))");
        break;
    case 4: /* path_readlink */
        put(b, "(call $path_readlink (i32.const 3) (i32.const %d) (i32.const 2) (i32.const %d) (i32.const 4096)"
               " (i32.const %d))", LINK_ADDR, SCRATCH + 64, SCRATCH);
        break;
    case 5: /* path_filestat_get, long path, following links */
        put(b, "(call $path_filestat_get (i32.const 3) (i32.const 1) (i32.const %d) (i32.const %d) (i32.const %d))",
            PATH_ADDR, PATH_REPEAT * 5, SCRATCH + 64);
        break;
    case 6: /* poll_oneoff: one relative monotonic clock subscription, timeout 0 */
        put(b, "(block (result i32) (i32.store (i32.const %d) (i32.const 1))", POLL + 16);
        put(b, " (call $poll_oneoff (i32.const %d) (i32.const %d) (i32.const 1) (i32.const %d)))", POLL, POLL + 64,
            SCRATCH);
        break;
    case 7: /* random_get, 4 KiB (uv_random: getrandom) */
        put(b, "(call $random_get (i32.const %d) (i32.const 4096))", SCRATCH + 64);
        break;
    case 8: /* path_rename of the long path onto itself (two resolutions) */
        put(b, "(call $path_rename (i32.const 3) (i32.const %d) (i32.const %d) (i32.const 3) (i32.const %d)"
               " (i32.const %d))", PATH_ADDR, PATH_REPEAT * 5, PATH_ADDR, PATH_REPEAT * 5);
        break;
    default: abort();
    }
}

#define NMODES 8

static char *guest_wat(void) {
    struct buf b = {NULL, 0, 0};
    int k, m;
    put(&b, "(module\n");
    put(&b, "(import \"wasi_snapshot_preview1\" \"path_open\" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32)"
            " (result i32)))\n");
    put(&b, "(import \"wasi_snapshot_preview1\" \"fd_close\" (func $fd_close (param i32) (result i32)))\n");
    put(&b, "(import \"wasi_snapshot_preview1\" \"fd_readdir\" (func $fd_readdir (param i32 i32 i32 i64 i32)"
            " (result i32)))\n");
    put(&b, "(import \"wasi_snapshot_preview1\" \"path_readlink\" (func $path_readlink (param i32 i32 i32 i32 i32 i32)"
            " (result i32)))\n");
    put(&b, "(import \"wasi_snapshot_preview1\" \"path_filestat_get\" (func $path_filestat_get"
            " (param i32 i32 i32 i32 i32) (result i32)))\n");
    put(&b, "(import \"wasi_snapshot_preview1\" \"poll_oneoff\" (func $poll_oneoff (param i32 i32 i32 i32)"
            " (result i32)))\n");
    put(&b, "(import \"wasi_snapshot_preview1\" \"random_get\" (func $random_get (param i32 i32) (result i32)))\n");
    put(&b, "(import \"wasi_snapshot_preview1\" \"path_rename\" (func $path_rename (param i32 i32 i32 i32 i32 i32)"
            " (result i32)))\n");
    put(&b, "(import \"env\" \"paint\" (func $paint))\n");
    put(&b, "(import \"env\" \"used\" (func $used (result i32)))\n");
    put(&b, "(import \"env\" \"crash\" (func $crash (param i32)))\n");
    put(&b, "(memory (export \"memory\") 2)\n(data (i32.const %d) \"", PATH_ADDR);
    for (k = 1; k < PATH_REPEAT; k++) put(&b, "a/../");
    put(&b, "a/lnk\")\n(data (i32.const %d) \"l0\")\n", LINK_ADDR);

    /* $big: BIG_LOCALS values live across one WASI call (mode 1 or 2; mode
     * 0: no call, the same frame). Returns the errno (0 for mode 0) plus a
     * sum that keeps every local alive. */
    put(&b, "(func $big (param $mode i32) (result i32) (local $e i32)");
    for (k = 0; k < BIG_LOCALS; k++) put(&b, " (local $v%d i64)", k);
    put(&b, "\n");
    for (k = 0; k < BIG_LOCALS; k++) put(&b, "(local.set $v%d (i64.load offset=%d (i32.const %d)))\n", k, k * 8, VALUES);
    put(&b, "(if (i32.eq (local.get $mode) (i32.const 1)) (then (local.set $e ");
    put_hostcall(&b, 1);
    put(&b, ")))\n(if (i32.eq (local.get $mode) (i32.const 2)) (then (local.set $e ");
    put_hostcall(&b, 2);
    put(&b, ")))\n(i64.store (i32.const %d) (i64.add", VALUES + BIG_LOCALS * 8);
    for (k = 1; k < BIG_LOCALS; k++) put(&b, " (i64.add (local.get $v%d)", k);
    put(&b, " (local.get $v0)");
    for (k = 1; k < BIG_LOCALS; k++) put(&b, ")");
    put(&b, " (i64.const 0)))\n(local.get $e))\n");

    /* $rec: n small frames, then $big. */
    put(&b, "(func $rec (param $n i32) (param $mode i32) (result i32)\n"
            " (if (result i32) (local.get $n)\n"
            "  (then (i32.add (call $rec (i32.sub (local.get $n) (i32.const 1)) (local.get $mode)) (i32.const 0)))\n"
            "  (else (call $big (local.get $mode)))))\n");
    put(&b, "(func (export \"crash\") (param i32) (call $crash (local.get 0)))\n");
    put(&b, "(func (export \"run\") (param i32 i32) (result i32) (call $rec (local.get 0) (local.get 1)))\n");
    /* measure(mode): paint the stack below, make the call, measure. */
    put(&b, "(func (export \"measure\") (param $mode i32) (result i32) (local $e i32)\n (call $paint)\n");
    for (m = 1; m <= NMODES; m++) {
        put(&b, " (if (i32.eq (local.get $mode) (i32.const %d)) (then (local.set $e ", m);
        put_hostcall(&b, m);
        put(&b, ")))\n");
    }
    put(&b, " (if (local.get $e) (then (unreachable)))\n (call $used))\n)\n");
    return b.p;
}

/* ---------------------------------------------------------------- host functions */

#define PAINT_BYTES (256 * 1024)
#define PAINT_BYTE 0xA5
static uint8_t *g_paint_top;

/* Paints PAINT_BYTES of the (1 MiB) guest stack below this frame, without
 * calls (a volatile loop), so that `used` can find the lowest byte a host
 * call wrote. The reference point is the caller's stack pointer at the
 * call: this frame's address + 16 (saved rbp, return address). */
static void host_paint(struct lucet_vmctx *ctx) {
    volatile uint8_t *p;
    uint8_t *top = (uint8_t *)__builtin_frame_address(0) - 1024; /* below this frame */
    (void)ctx;
    g_paint_top = (uint8_t *)__builtin_frame_address(0) + 16;
    for (p = top - PAINT_BYTES; p < top; p++) *p = PAINT_BYTE;
}

static uint32_t host_used(struct lucet_vmctx *ctx) {
    const volatile uint8_t *p = g_paint_top - 1024 - PAINT_BYTES;
    (void)ctx;
    while (p < g_paint_top && *p == PAINT_BYTE) p++;
    return (uint32_t)(g_paint_top - (const uint8_t *)p);
}

/* A host function with a bug: mode 0 reads the guest's heap reservation
 * 1 GiB past its end (a PROT_NONE guard), mode 1 recurses without bound
 * into the guest stack's guard page. */
static volatile uint32_t g_sink;
static uint32_t host_recurse(volatile char *p) {
    volatile char frame[512];
    frame[0] = *p;
    return p == NULL ? 0 : frame[0] + host_recurse(frame) + 1; /* p is never NULL */
}

static void host_crash(struct lucet_vmctx *ctx, uint32_t mode) {
    if (mode == 0) g_sink = *(volatile uint8_t *)(lucet_vmctx_get_heap(ctx) + (1ull << 30));
    else g_sink = host_recurse((volatile char *)&g_sink);
}

static const enum lucet_val_type t_i32[1] = {lucet_val_type_i32};

static void fill_host_funcs(struct lucet_host_func hf[3]) {
    memset(hf, 0, 3 * sizeof hf[0]);
    hf[0].module_name = "env", hf[0].field_name = "paint", hf[0].func = (lucet_host_func_ptr)host_paint;
    hf[1].module_name = "env", hf[1].field_name = "used", hf[1].func = (lucet_host_func_ptr)host_used;
    hf[1].results = t_i32, hf[1].nresults = 1;
    hf[2].module_name = "env", hf[2].field_name = "crash", hf[2].func = (lucet_host_func_ptr)host_crash;
    hf[2].params = t_i32, hf[2].nparams = 1;
}

/* ---------------------------------------------------------------- fixtures */

static int make_file(const char *dir, const char *name) {
    char path[600];
    int fd;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

static int group_setup(void **state) {
    char path[600], target[64], wat[300], wasm[300], cmd[1024];
    const char *wat2wasm = getenv("LUCET_TEST_WAT2WASM");
    char *text;
    FILE *f;
    int k;
    (void)state;
    if (make_temp_dir() || record_runtime_signal_handlers() || !wat2wasm) return -1;
    /* The preopen: a/, f, 200 more entries, the symlink chain l0 -> ... -> l39 -> f. */
    snprintf(g_pre, sizeof g_pre, "%s/pre", g_dir);
    snprintf(path, sizeof path, "%s/a", g_pre);
    if (mkdir(g_pre, 0700) || mkdir(path, 0700) || make_file(g_pre, "f")) return -1;
    snprintf(path, sizeof path, "%s/a/lnk", g_pre);
    if (symlink("../f", path)) return -1;
    for (k = 0; k < 200; k++) {
        snprintf(target, sizeof target, "entry-with-a-longish-name-%03d", k);
        if (make_file(g_pre, target)) return -1;
    }
    for (k = 0; k < 40; k++) {
        snprintf(path, sizeof path, "%s/l%d", g_pre, k);
        if (k == 39) snprintf(target, sizeof target, "a/../f");
        else snprintf(target, sizeof target, "a/../l%d", k + 1);
        if (symlink(target, path)) return -1;
    }
    text = guest_wat();
    snprintf(wat, sizeof wat, "%s/stack.wat", g_dir);
    snprintf(wasm, sizeof wasm, "%s/stack.wasm", g_dir);
    snprintf(g_so, sizeof g_so, "%s/stack.so", g_dir);
    f = fopen(wat, "w");
    if (!f) return -1;
    fputs(text, f);
    fclose(f);
    free(text);
    snprintf(cmd, sizeof cmd, "'%s' '%s' -o '%s'", wat2wasm, wat, wasm);
    if (system(cmd) != 0) return -1;
    if (lucet_compile_wasm_file(wasm, g_so, 2) != lucet_error_ok) {
        fprintf(stderr, "compiling %s: %s\n", wasm, lucet_error_message());
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    return remove_temp_dir();
}

static struct lucet_region *region_with_stack(uint64_t stack) {
    struct lucet_alloc_limits l = lucet_alloc_limits_default();
    struct lucet_region *r = NULL;
    l.heap_memory_size = 4 * 65536;
    l.stack_size = stack;
    assert_int_equal(lucet_mmap_region_create(1, &l, &r), lucet_error_ok);
    return r;
}

static struct lucet_instance *new_instance(struct lucet_region *r, struct lucet_dl_module *m) {
    struct lucet_wasi_ctx *w = NULL;
    struct lucet_instance *i = NULL;
    struct lucet_host_func hf[3];
    fill_host_funcs(hf);
    assert_int_equal(lucet_wasi_ctx_create(&w), lucet_error_ok);
    assert_int_equal(lucet_wasi_ctx_preopen_dir(w, g_pre, "."), lucet_error_ok);
    assert_int_equal(lucet_region_new_instance_with_options(r, m, hf, 3, NULL, w, 0, &i), lucet_error_ok);
    return i;
}

static int count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

/* run(depth, mode): 0 = returned (errno in *err), 1 = stack-overflow trap.
 * Anything else fails the test. */
static int run_at(struct lucet_instance *i, uint32_t depth, uint32_t mode, uint32_t *err) {
    struct lucet_val a[2];
    struct lucet_result res;
    enum lucet_error e;
    a[0] = i32v(depth);
    a[1] = i32v(mode);
    e = lucet_instance_run(i, "run", 2, a, &res);
    if (e == lucet_error_ok) {
        *err = res.val.returned.values[0].inner_val.as_i32;
        return 0;
    }
    if (e != lucet_error_runtime_fault || res.val.faulted.code != lucet_trap_code_stack_overflow)
        fail_msg("run(%u, %u): %s (%s)", depth, mode, lucet_error_name(e), lucet_error_message());
    return 1;
}

/* ---------------------------------------------------------------- tests */

/* The deepest depth at which run(depth, 0) (the big frame, no host call)
 * fits in a stack of `stack` bytes. */
static uint32_t deepest(struct lucet_region *r, struct lucet_dl_module *m) {
    struct lucet_instance *i = new_instance(r, m);
    uint32_t lo = 0, hi = 1u << 20, err;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (run_at(i, mid, 0, &err)) hi = mid;
        else lo = mid;
    }
    lucet_instance_release(i);
    return lo;
}

static void hostcall_near_stack_limit(void **state) {
    struct lucet_region *r = region_with_stack(256 * 1024), *r4 = region_with_stack(260 * 1024);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i;
    uint32_t lo, sweep, depth, err = 0;
    int fds_before, k, ok = 0, traps = 0;
    (void)state;
    use_runtime_signal_handlers();
    /* The limit, and how many depths 4 KiB more stack adds (cc may inline
     * the recursion into itself, so a depth is not one frame). */
    lo = deepest(r, m);
    sweep = deepest(r4, m) - lo + 3;
    lucet_region_release(r4);
    /* Every depth from 4 KiB of stack above that limit to two past it,
     * alternating path_open and fd_readdir, 1,000 runs, a fresh instance
     * each (its WASI fds go with it). */
    fds_before = count_fds();
    for (k = 0; k < 1000; k++) {
        depth = lo + 2 - (uint32_t)(k / 2) % sweep;
        i = new_instance(r, m);
        if (run_at(i, depth, 1 + (uint32_t)(k % 2), &err)) {
            traps++;
        } else {
            ok++;
            assert_int_equal(err, 0); /* the call worked */
        }
        lucet_instance_release(i);
    }
    print_message("limit at depth %u, %u depths (4 KiB) below it: %d calls worked, %d stack-overflow traps\n", lo,
                  sweep, ok, traps);
    assert_true(ok > 0 && traps > 0);
    assert_int_equal(count_fds(), fds_before);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

static void hostcall_stack_use(void **state) {
    static const char *const names[NMODES + 1] = {
        "", "path_open (4,000-byte path)", "fd_readdir (203 entries)", "path_open (40 symlinks)",
        "path_readlink", "path_filestat_get (4,000-byte path)", "poll_oneoff (clock)", "random_get (4 KiB)",
        "path_rename (4,000-byte paths)"};
    struct lucet_region *r = region_with_stack(1024 * 1024);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = new_instance(r, m);
    uint32_t mode, used, max = 0;
    (void)state;
    use_runtime_signal_handlers();
    for (mode = 1; mode <= NMODES; mode++) {
        struct lucet_val a = i32v(mode);
        used = run_i32(i, "measure", 1, &a);
        print_message("%-40s %6u bytes of stack\n", names[mode], used);
        assert_true(used > 64);
        if (used > max) max = used;
    }
    print_message("largest: %u bytes; host-call reserve %u\n", max, HOSTCALL_RESERVE);
#if !defined(__SANITIZE_ADDRESS__)
    /* Half the reserve at most (ASan's redzones make frames larger). */
    assert_true(max <= HOSTCALL_RESERVE / 2);
#endif
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

/* A fault in host code while a guest runs is a host crash, delivered as
 * without the runtime (the previous disposition: here SIGSEGV's default
 * action kills the process), never a trap of the guest that would drop the
 * host's frames. Run in a fresh process (this program with --crash), whose
 * previous disposition is the default rather than cmocka's handler. */
static int crash_child(const char *mode_arg) {
    struct lucet_region *r = NULL;
    struct lucet_dl_module *m = NULL;
    struct lucet_wasi_ctx *w = NULL;
    struct lucet_instance *i = NULL;
    struct lucet_host_func hf[3];
    struct lucet_result res;
    struct lucet_val a = i32v((uint32_t)atoi(mode_arg));
    enum lucet_error e;
    fill_host_funcs(hf);
    if (lucet_mmap_region_create(1, NULL, &r) || lucet_dl_module_load(g_so, &m) || lucet_wasi_ctx_create(&w) ||
        lucet_region_new_instance_with_options(r, m, hf, 3, NULL, w, 0, &i)) {
        fprintf(stderr, "crash child: %s\n", lucet_error_message());
        return 2;
    }
    e = lucet_instance_run(i, "crash", 1, &a, &res);
    fprintf(stderr, "crash(%s) came back: %s, %s\n", mode_arg, lucet_error_name(e),
            e == lucet_error_runtime_fault ? lucet_trap_code_name(res.val.faulted.code) : "-");
    return 0;
}

static void host_fault_is_not_a_trap(void **state) {
    const char *mode;
    (void)state;
    for (mode = "0"; mode; mode = mode[0] == '0' ? "1" : NULL) {
        int status = 0;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            execl("/proc/self/exe", "test_capi_stack", "--crash", mode, g_so, (char *)NULL);
            _exit(127);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status)) fail_msg("host fault %s: the child exited with %d", mode, WEXITSTATUS(status));
        assert_int_equal(WTERMSIG(status), SIGSEGV);
    }
}

static void exceptions_become_errors(void **state) {
    struct lucet_region *r = region_with_stack(64 * 1024);
    struct lucet_dl_module *m = load(g_so);
    struct lucet_instance *i = NULL;
    struct lucet_host_func hf[3];
    (void)state;
    fill_host_funcs(hf);
    /* More host functions than a std::vector can hold: std::length_error. */
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, SIZE_MAX / 2, NULL, NULL, &i),
                     lucet_error_internal);
    assert_null(i);
    assert_non_null(strstr(lucet_error_message(), "lucet_region_new_instance_with_imports: internal error"));
#if !defined(__SANITIZE_ADDRESS__)
    /* A size the allocator refuses: std::bad_alloc. (ASan's operator new
     * reports and dies instead of throwing.) */
    assert_int_equal(lucet_region_new_instance_with_imports(r, m, hf, (size_t)1 << 50, NULL, NULL, &i),
                     lucet_error_internal);
    assert_non_null(strstr(lucet_error_message(), "lucet_region_new_instance_with_imports: out of memory"));
#endif
    /* The API still works afterwards. */
    i = new_instance(r, m);
    lucet_instance_release(i);
    lucet_dl_module_release(m);
    lucet_region_release(r);
}

int main(int argc, char **argv) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hostcall_stack_use),
        cmocka_unit_test(hostcall_near_stack_limit),
        cmocka_unit_test(host_fault_is_not_a_trap),
        cmocka_unit_test(exceptions_become_errors),
    };
    if (argc == 4 && strcmp(argv[1], "--crash") == 0) {
        snprintf(g_so, sizeof g_so, "%s", argv[3]);
        return crash_child(argv[2]);
    }
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
