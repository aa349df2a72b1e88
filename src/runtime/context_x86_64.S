/*
 * context_x86_64.S: the guest <-> host context switch (x86-64 System V).
 *
 * A suspended context is a stack pointer. The stack it points at holds the
 * callee-saved registers (r15 r14 r13 r12 rbx rbp, lowest address first) and
 * then the address to resume at, so resuming is "pop six registers; ret".
 * Only callee-saved state needs saving: every switch happens at a call
 * boundary. MXCSR and the x87 control word are not saved here: generated
 * code does not change them, and the run sets MXCSR's controls to the
 * default around the whole run (run.cpp, enter_inline).
 */
    .text

/* void lucet_context_swap(uintptr_t *save_sp, uintptr_t new_sp) */
    .globl lucet_context_swap
    .hidden lucet_context_swap
    .type lucet_context_swap, @function
    .p2align 4
lucet_context_swap:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    /* An indirect jump rather than "ret": a ret here would pop the return
     * stack buffer entry of our own caller and mispredict, and so would every
     * return after it. With the jump, the host's call of this function is
     * matched by the "ret" at the end of lucet_context_bootstrap when the
     * guest returns normally: both switches of a run are predicted. */
    popq %rcx
    jmpq *%rcx
    .cfi_endproc
    .size lucet_context_swap, .-lucet_context_swap

/* void lucet_context_enter(uintptr_t *save_sp, RunState *rs, uintptr_t sp):
 * a fresh run. Saves the host context like lucet_context_swap, then starts
 * lucet_context_bootstrap on the guest stack at sp (16-byte aligned) with r12
 * = rs: no prepared frame to pop. The host's call here is matched by the
 * bootstrap's final "ret" (return stack buffer), as for the swap. */
    .globl lucet_context_enter
    .hidden lucet_context_enter
    .type lucet_context_enter, @function
    .p2align 4
lucet_context_enter:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rdx, %rsp
    movq %rsi, %r12
    jmp lucet_context_bootstrap
    .cfi_endproc
    .size lucet_context_enter, .-lucet_context_enter

/* void lucet_context_set(uintptr_t sp): no use of the current stack before
 * rsp is replaced, so it works when the current stack is exhausted. */
    .globl lucet_context_set
    .hidden lucet_context_set
    .type lucet_context_set, @function
    .p2align 4
lucet_context_set:
    .cfi_startproc
    movq %rdi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size lucet_context_set, .-lucet_context_set

/* RunState field offsets (static_asserts in run.cpp). */
#define RS_HOST_SP 8
#define RS_TRAMP 128
#define RS_FN 136
#define RS_FN_CTX 144
#define RS_ARGS 152
#define RS_RESULTS 160

/* Entered by the jump of lucet_context_enter onto a fresh guest stack, with
 * rsp 16-byte aligned, r12 being the RunState: calls
 * tramp(fn, fn_ctx, args, results) from it, directly (no C++ frame in
 * between). When that returns (the guest returned normally; RunState.kind
 * is already Returned), resumes the host context saved in RunState.host_sp
 * like lucet_context_set. Traps and exits leave through lucet_context_set
 * instead. */
    .globl lucet_context_bootstrap
    .hidden lucet_context_bootstrap
    .type lucet_context_bootstrap, @function
    .p2align 4
lucet_context_bootstrap:
    .cfi_startproc
    .cfi_undefined rip
    xorl %ebp, %ebp
    movq RS_FN(%r12), %rdi
    movq RS_FN_CTX(%r12), %rsi
    movq RS_ARGS(%r12), %rdx
    movq RS_RESULTS(%r12), %rcx
    callq *RS_TRAMP(%r12)
    movq RS_HOST_SP(%r12), %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size lucet_context_bootstrap, .-lucet_context_bootstrap

    .section .note.GNU-stack,"",@progbits
