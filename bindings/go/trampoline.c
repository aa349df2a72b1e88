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

static uint64_t bits_of(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static uint64_t lg_dispatch(int slot, struct lucet_vmctx *ctx, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                            uint64_t a4, double f0, double f1, double f2, double f3, double f4, double f5, double f6,
                            double f7) {
    struct lg_call c = {ctx, slot, {a0, a1, a2, a3, a4},
                        {bits_of(f0), bits_of(f1), bits_of(f2), bits_of(f3), bits_of(f4), bits_of(f5), bits_of(f6),
                         bits_of(f7)},
                        0, 0};
    // Not inside lg_call (e.g. a start function run by instance creation):
    // no stack to run Go on.
    if (!cb_stack_top) lucet_vmctx_terminate(ctx, LUCET_GO_HOST_ERROR + 1);
    call_on_stack(cb_stack_top, dispatch_on_stack, &c);
    if (c.failed) lucet_vmctx_terminate(ctx, LUCET_GO_HOST_ERROR);
    return c.result;
}

#define LG_PARAMS                                                                                                   \
    struct lucet_vmctx *ctx, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, double f0, double f1, \
        double f2, double f3, double f4, double f5, double f6, double f7
#define LG_ARGS ctx, a0, a1, a2, a3, a4, f0, f1, f2, f3, f4, f5, f6, f7
#define LG_SLOT(n)                                                                                          \
    static uint64_t lg_int_##n(LG_PARAMS) { return lg_dispatch(0##n - 01000, LG_ARGS); }                               \
    static double lg_float_##n(LG_PARAMS) {                                                                 \
        uint64_t r = lg_dispatch(0##n - 01000, LG_ARGS);                                                               \
        double d;                                                                                           \
        memcpy(&d, &r, sizeof d); /* an f32 result: its bits in the low half, as xmm0 carries a float */ \
        return d;                                                                                           \
    }
#define LG_SLOT8(n) LG_SLOT(n##0) LG_SLOT(n##1) LG_SLOT(n##2) LG_SLOT(n##3) LG_SLOT(n##4) LG_SLOT(n##5) LG_SLOT(n##6) LG_SLOT(n##7)
#define LG_SLOT64(n) LG_SLOT8(n##0) LG_SLOT8(n##1) LG_SLOT8(n##2) LG_SLOT8(n##3) LG_SLOT8(n##4) LG_SLOT8(n##5) LG_SLOT8(n##6) LG_SLOT8(n##7)
// Slot numbers in octal digits: 1000..1777 are 512 slots (octal 01000 = 512).
LG_SLOT64(10) LG_SLOT64(11) LG_SLOT64(12) LG_SLOT64(13) LG_SLOT64(14) LG_SLOT64(15) LG_SLOT64(16) LG_SLOT64(17)

#define LG_PTR(n) {(lucet_host_func_ptr)lg_int_##n, (lucet_host_func_ptr)lg_float_##n},
#define LG_PTR8(n) LG_PTR(n##0) LG_PTR(n##1) LG_PTR(n##2) LG_PTR(n##3) LG_PTR(n##4) LG_PTR(n##5) LG_PTR(n##6) LG_PTR(n##7)
#define LG_PTR64(n) LG_PTR8(n##0) LG_PTR8(n##1) LG_PTR8(n##2) LG_PTR8(n##3) LG_PTR8(n##4) LG_PTR8(n##5) LG_PTR8(n##6) LG_PTR8(n##7)
static const lucet_host_func_ptr slot_ptrs[LUCET_GO_SLOTS][2] = {
    LG_PTR64(10) LG_PTR64(11) LG_PTR64(12) LG_PTR64(13) LG_PTR64(14) LG_PTR64(15) LG_PTR64(16) LG_PTR64(17)};

lucet_host_func_ptr lg_slot_ptr(int slot, int float_result) {
    if (slot < 0 || slot >= LUCET_GO_SLOTS) return 0;
    return slot_ptrs[slot][float_result ? 1 : 0];
}

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
enum lucet_error lg_run_start(struct lucet_instance *inst, struct lucet_result *res) {
    LG_RESERVING(lucet_instance_run_start(inst, res))
}
enum lucet_error lg_resume(struct lucet_instance *inst, const struct lucet_val *val, struct lucet_result *res) {
    LG_RESERVING(lucet_instance_resume(inst, val, res))
}

uintptr_t lg_vmctx_handle(struct lucet_vmctx *ctx) { return (uintptr_t)lucet_vmctx_get_delegate(ctx); }
