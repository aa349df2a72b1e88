/* trampoline.h: the C half of host functions written in Go.
 *
 * The C API calls a host function with the import's own C signature; the
 * library's host thunks (lucet_host_thunk_new) turn any signature into one
 * callback over struct lucet_val arrays: lg_callback, whose `data` is the
 * Go Func's id. So Go host functions take and return any number of values
 * of any type, v128 included.
 *
 * The Go function runs on a stack of this thread's own (Go's cgo callbacks
 * check the stack pointer; host functions are called on the guest's stack):
 * runs reserve it (lg_call and friends) and lg_callback switches to it. If
 * the Go function returned an error, a wrong result or panicked, the
 * callback (C, with no Go frame left on the stack) returns
 * LUCET_GO_HOST_ERROR, which stops the guest with that exit code.
 */
#ifndef LUCET_GO_TRAMPOLINE_H
#define LUCET_GO_TRAMPOLINE_H
#include <stdint.h>
#include <lucet_wasi.h>

/* The exit code the guest is stopped with when the Go function failed (the
 * Go side knows it was a host function error); + 1: called outside a run. */
#define LUCET_GO_HOST_ERROR 0x7fffff01u

struct lg_call {
    struct lucet_vmctx *ctx;
    uintptr_t id;                     /* the Func's id */
    const struct lucet_val *params;
    struct lucet_val *results;        /* .ty 0 until set */
    int failed;
};

/* A host thunk calling the Go Func `id`. */
enum lucet_error lg_thunk_new(const enum lucet_val_type *params, uint32_t nparams, const enum lucet_val_type *results,
                              uint32_t nresults, uintptr_t id, struct lucet_host_thunk **thunk_out,
                              lucet_host_func_ptr *func_out);

/* struct lucet_val from Go: the value's 16 bytes as two little-endian
 * halves (lo holds every type but v128 entirely). */
struct lucet_val lv_make(int ty, uint64_t lo, uint64_t hi);
void lv_set(struct lucet_val *dst, int ty, uint64_t lo, uint64_t hi);
uint64_t lv_lo(const struct lucet_val *v);
uint64_t lv_hi(const struct lucet_val *v);
const struct lucet_val *lv_at(const struct lucet_val *a, uint32_t i);

enum lucet_error lg_call(struct lucet_instance *inst, const char *name, size_t argc, const struct lucet_val *argv,
                         struct lucet_val *results, size_t cap, size_t *n, struct lucet_result *res);
enum lucet_error lg_func_call(const struct lucet_func *f, size_t argc, const struct lucet_val *argv,
                              struct lucet_val *results, size_t cap, size_t *n, struct lucet_result *res);
enum lucet_error lg_run_start(struct lucet_instance *inst, struct lucet_result *res);
enum lucet_error lg_resume(struct lucet_instance *inst, const struct lucet_val *val, struct lucet_result *res);
#endif
