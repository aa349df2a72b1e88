/* trampoline.h: the C half of host functions written in Go.
 *
 * The C API calls a host function with the import's own C signature. One
 * generic trampoline serves every signature: on x86-64 (System V) the
 * integer arguments (i32, i64, externref) arrive in order in rsi, rdx, rcx,
 * r8, r9 (rdi is the vmctx) and the float ones (f32, f64) in order in
 * xmm0..xmm7, whatever their interleaving; an integer result goes back in
 * rax, a float one in xmm0. So a function declared with 5 uint64_t and 8
 * double parameters reads any signature of at most 5 integer and 8 float
 * parameters, and two variants (integer / float result) cover the results.
 * Which Go function to call is the slot's number, baked into one copy of the
 * trampoline per slot (LUCET_GO_SLOTS copies, stamped by a macro).
 *
 * The Go function runs on a stack of this thread's own (Go's cgo callbacks
 * check the stack pointer; host functions are called on the guest's stack):
 * runs reserve it (lg_call and friends) and the trampoline switches to it.
 * If the Go function returned an error or panicked, the trampoline (C, with
 * no Go frame left on the stack) stops the guest with lucet_vmctx_terminate.
 */
#ifndef LUCET_GO_TRAMPOLINE_H
#define LUCET_GO_TRAMPOLINE_H
#include <stdint.h>
#include <lucet_wasi.h>

#define LUCET_GO_SLOTS 512
#define LUCET_GO_MAX_INT_PARAMS 5
#define LUCET_GO_MAX_FLOAT_PARAMS 8
/* The exit code the trampoline terminates the guest with when the Go
 * function failed (the Go side knows it was a host function error). */
#define LUCET_GO_HOST_ERROR 0x7fffff01u

struct lg_call {
    struct lucet_vmctx *ctx;
    int slot;
    uint64_t ints[LUCET_GO_MAX_INT_PARAMS];
    uint64_t floats[LUCET_GO_MAX_FLOAT_PARAMS]; /* the registers' low 64 bits */
    uint64_t result;                            /* the result's bits */
    int failed;
};

/* The host function pointer of slot n, integer- or float-result variant. */
lucet_host_func_ptr lg_slot_ptr(int slot, int float_result);

enum lucet_error lg_call(struct lucet_instance *inst, const char *name, size_t argc, const struct lucet_val *argv,
                         struct lucet_val *results, size_t cap, size_t *n, struct lucet_result *res);
enum lucet_error lg_run_start(struct lucet_instance *inst, struct lucet_result *res);
enum lucet_error lg_resume(struct lucet_instance *inst, const struct lucet_val *val, struct lucet_result *res);
#endif
