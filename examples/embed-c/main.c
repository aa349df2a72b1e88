/* main.c: embedding liblucet_wasi in a plain C program.
 *
 *   cc main.c $(pkg-config --cflags --libs lucet_wasi) -o embed-c
 *   ./embed-c guest.so guest_wasi.so
 *
 * guest.so is guest.wat compiled by lucetc (wat2wasm guest.wat; lucetc
 * guest.wasm -o guest.so); guest_wasi.so is guest_wasi.c compiled with
 * clang --target=wasm32-wasi and lucetc. It shows the four things an
 * embedder does: run a WASI program, call an export with arguments, provide
 * a host function, handle a trap; and stops an endless guest with a kill
 * switch. Exits 0 only if all of them behaved. */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <lucet_wasi.h>

/* Fails the program with the library's message for the last error. */
#define CHECK(call)                                                                    \
    do {                                                                               \
        enum lucet_error e_ = (call);                                                  \
        if (e_ != lucet_error_ok) {                                                    \
            fprintf(stderr, "%s failed: %s: %s\n", #call, lucet_error_name(e_),        \
                    lucet_error_message());                                            \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

/* The embedder's state a host function reaches through its vmctx. */
struct host_state {
    int64_t factor;
    unsigned calls;
};

/* env.host_scale: (i64) -> i64. Called by the guest, on the guest's stack. */
static uint64_t host_scale(struct lucet_vmctx *ctx, uint64_t x) {
    struct host_state *st = lucet_vmctx_get_delegate(ctx);
    st->calls++;
    printf("host_scale(%" PRId64 ") called\n", (int64_t)x);
    return (uint64_t)((int64_t)x * st->factor);
}

static struct lucet_val i32(uint32_t v) {
    struct lucet_val out;
    memset(&out, 0, sizeof out);
    out.ty = lucet_val_type_i32;
    out.inner_val.as_i32 = v;
    return out;
}

/* Stops the guest from another thread 20 ms from now. */
static void *kill_soon(void *ks) {
    struct timespec ts = {0, 20000000L};
    nanosleep(&ts, NULL);
    lucet_kill_switch_terminate(ks, NULL);
    return NULL;
}

static int run_wasi(struct lucet_region *region, const char *path) {
    struct lucet_dl_module *mod;
    struct lucet_wasi_ctx *wasi;
    struct lucet_instance *inst;
    struct lucet_result res;
    const char *argv[] = {"guest_wasi", "from", "C"};
    CHECK(lucet_dl_module_load(path, &mod));
    CHECK(lucet_wasi_ctx_create(&wasi));
    CHECK(lucet_wasi_ctx_args(wasi, 3, argv));
    CHECK(lucet_wasi_ctx_env(wasi, "GREETING", "hello from C"));
    CHECK(lucet_wasi_ctx_inherit_stdio(wasi));
    CHECK(lucet_region_new_instance_with_wasi_ctx(region, mod, wasi, &inst)); /* consumes wasi */
    fflush(stdout); /* the guest writes to fd 1 directly */
    enum lucet_error e = lucet_instance_run(inst, "_start", 0, NULL, &res);
    /* A WASI program that calls proc_exit terminates; main returning 0 returns. */
    if (e == lucet_error_runtime_terminated)
        printf("wasi: exited with %" PRIu32 "\n", res.val.terminated.exit_code);
    else if (e == lucet_error_ok)
        printf("wasi: _start returned\n");
    else
        CHECK(e);
    CHECK(lucet_instance_release(inst));
    CHECK(lucet_dl_module_release(mod));
    return 0;
}

static int run_guest(struct lucet_region *region, const char *path) {
    struct lucet_dl_module *mod;
    struct lucet_instance *inst;
    struct lucet_result res;
    struct host_state st = {3, 0};
    static const enum lucet_val_type i64_t[] = {lucet_val_type_i64};
    struct lucet_host_func funcs[1];
    memset(funcs, 0, sizeof funcs);
    funcs[0].module_name = "env";
    funcs[0].field_name = "host_scale";
    funcs[0].func = (lucet_host_func_ptr)host_scale;
    funcs[0].params = i64_t;
    funcs[0].nparams = 1;
    funcs[0].results = i64_t;
    funcs[0].nresults = 1;

    CHECK(lucet_dl_module_load(path, &mod));
    CHECK(lucet_region_new_instance_with_imports(region, mod, funcs, 1, &st, NULL, &inst));

    /* An export with arguments. */
    struct lucet_val args[2] = {i32(40), i32(2)};
    CHECK(lucet_instance_run(inst, "add", 2, args, &res));
    printf("add(40, 2) = %" PRIu32 "\n", res.val.returned.values[0].inner_val.as_i32);

    /* An export that calls the host function. */
    struct lucet_val x;
    memset(&x, 0, sizeof x);
    x.ty = lucet_val_type_i64;
    x.inner_val.as_i64 = 14;
    CHECK(lucet_instance_run(inst, "scale_plus_one", 1, &x, &res));
    printf("scale_plus_one(14) = %" PRId64 " (host calls: %u)\n", (int64_t)res.val.returned.values[0].inner_val.as_i64,
           st.calls);

    /* A trap: an error code and a result describing it; the process and the
     * instance carry on. */
    args[0] = i32(1);
    args[1] = i32(0);
    enum lucet_error e = lucet_instance_run(inst, "div", 2, args, &res);
    if (e != lucet_error_runtime_fault || res.tag != lucet_result_tag_faulted) {
        fprintf(stderr, "div(1, 0) did not trap: %s\n", lucet_error_name(e));
        return 1;
    }
    printf("div(1, 0) trapped: %s (%s)\n", lucet_trap_code_name(res.val.faulted.code), lucet_error_name(e));
    args[0] = i32(7);
    args[1] = i32(2);
    CHECK(lucet_instance_run(inst, "div", 2, args, &res));
    printf("after the trap, div(7, 2) = %" PRIu32 "\n", res.val.returned.values[0].inner_val.as_i32);
    /* A trap by a fault on the heap's guard pages (the signal handler's path). */
    args[0] = i32(100000);
    e = lucet_instance_run(inst, "load", 1, args, &res);
    if (e != lucet_error_runtime_fault || res.tag != lucet_result_tag_faulted) {
        fprintf(stderr, "load(100000) did not trap: %s\n", lucet_error_name(e));
        return 1;
    }
    printf("load(100000) trapped: %s (%s)\n", lucet_trap_code_name(res.val.faulted.code), lucet_error_name(e));

    /* An endless guest, stopped by a kill switch from another thread. */
    struct lucet_kill_switch *ks;
    pthread_t killer;
    CHECK(lucet_instance_kill_switch(inst, &ks));
    if (pthread_create(&killer, NULL, kill_soon, ks) != 0) return 1;
    e = lucet_instance_run(inst, "spin", 0, NULL, &res);
    pthread_join(killer, NULL);
    if (e != lucet_error_runtime_terminated || !res.val.terminated.killed) {
        fprintf(stderr, "spin() was not killed: %s\n", lucet_error_name(e));
        return 1;
    }
    printf("spin() stopped by the kill switch\n");
    CHECK(lucet_kill_switch_release(ks));

    CHECK(lucet_instance_release(inst));
    CHECK(lucet_dl_module_release(mod));
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s guest.so guest_wasi.so\n", argv[0]);
        return 2;
    }
    struct lucet_region *region;
    /* Two slots with the default limits: only touched pages cost memory. */
    CHECK(lucet_mmap_region_create(2, NULL, &region));
    if (run_wasi(region, argv[2]) != 0) return 1;
    if (run_guest(region, argv[1]) != 0) return 1;
    CHECK(lucet_region_release(region));
    printf("embed-c: ok\n");
    return 0;
}
