// trampoline.c: see trampoline.h.
#include "trampoline.h"

#include <string.h>

#if !defined(__x86_64__)
#error "lucet-wasi's Go host-function trampoline is written for x86-64 (System V)"
#endif

// Exported by host.go.
extern void lucetGoDispatch(struct lg_call *call);

// The top of the stack reserved by the run in progress on this thread.
static __thread char *cb_stack_top;

static void dispatch_on_stack(void *p) { lucetGoDispatch((struct lg_call *)p); }

static void call_on_stack(char *top, void (*fn)(void *), void *arg) {
    __asm__ volatile(
        "mov %%rsp, %%rbx\n\t"
        "mov %0, %%rsp\n\t"
        "and $-16, %%rsp\n\t"
        "mov %2, %%rdi\n\t"
        "call *%1\n\t"
        "mov %%rbx, %%rsp\n\t"
        :
        : "r"(top), "r"(fn), "r"(arg)
        : "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "xmm0", "xmm1", "xmm2", "xmm3",
          "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
          "cc", "memory");
}

static uint32_t lg_callback(struct lucet_vmctx *ctx, void *data, const struct lucet_val *params,
                            struct lucet_val *results) {
    struct lg_call c = {ctx, (uintptr_t)data, params, results, 0};
    // Not inside lg_call (e.g. a start function run by instance creation):
    // no stack to run Go on.
    if (!cb_stack_top) return LUCET_GO_HOST_ERROR + 1;
    call_on_stack(cb_stack_top, dispatch_on_stack, &c);
    return c.failed ? LUCET_GO_HOST_ERROR : 0;
}

enum lucet_error lg_thunk_new(const enum lucet_val_type *params, uint32_t nparams, const enum lucet_val_type *results,
                              uint32_t nresults, uintptr_t id, struct lucet_host_thunk **thunk_out,
                              lucet_host_func_ptr *func_out) {
    return lucet_host_thunk_new(params, nparams, results, nresults, lg_callback, (void *)id, thunk_out, func_out);
}

static size_t lv_size(int ty) {
    return ty == lucet_val_type_v128 ? 16 : ty == lucet_val_type_i32 || ty == lucet_val_type_f32 ? 4 : 8;
}

void lv_set(struct lucet_val *dst, int ty, uint64_t lo, uint64_t hi) {
    uint64_t b[2] = {lo, hi};
    memset(dst, 0, sizeof *dst);
    dst->ty = (enum lucet_val_type)ty;
    memcpy(&dst->inner_val, b, lv_size(ty));
}

struct lucet_val lv_make(int ty, uint64_t lo, uint64_t hi) {
    struct lucet_val r;
    lv_set(&r, ty, lo, hi);
    return r;
}

uint64_t lv_lo(const struct lucet_val *v) {
    uint64_t b[2] = {0, 0};
    memcpy(b, &v->inner_val, lv_size(v->ty));
    return b[0];
}

uint64_t lv_hi(const struct lucet_val *v) {
    uint64_t b[2] = {0, 0};
    memcpy(b, &v->inner_val, lv_size(v->ty));
    return b[1];
}

const struct lucet_val *lv_at(const struct lucet_val *a, uint32_t i) { return &a[i]; }

// Runs keep 256 KiB of this thread's own stack unused for the Go callbacks.
#define LG_RESERVING(call)                                              \
    char reserve[256 << 10];                                            \
    char *saved = cb_stack_top;                                         \
    cb_stack_top = reserve + sizeof reserve;                            \
    enum lucet_error e = call;                                          \
    cb_stack_top = saved;                                               \
    __asm__ volatile("" : : "r"(reserve) : "memory");                   \
    return e;

enum lucet_error lg_call(struct lucet_instance *inst, const char *name, size_t argc, const struct lucet_val *argv,
                         struct lucet_val *results, size_t cap, size_t *n, struct lucet_result *res) {
    LG_RESERVING(lucet_instance_call(inst, name, argc, argv, results, cap, n, res))
}
enum lucet_error lg_func_call(const struct lucet_func *f, size_t argc, const struct lucet_val *argv,
                              struct lucet_val *results, size_t cap, size_t *n, struct lucet_result *res) {
    LG_RESERVING(lucet_func_call(f, argc, argv, results, cap, n, res))
}
enum lucet_error lg_run_start(struct lucet_instance *inst, struct lucet_result *res) {
    LG_RESERVING(lucet_instance_run_start(inst, res))
}
enum lucet_error lg_resume(struct lucet_instance *inst, const struct lucet_val *val, struct lucet_result *res) {
    LG_RESERVING(lucet_instance_resume(inst, val, res))
}

uintptr_t lg_vmctx_handle(struct lucet_vmctx *ctx) { return (uintptr_t)lucet_vmctx_get_delegate(ctx); }
