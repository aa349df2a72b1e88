// sysdeps_linux.cpp: the only place that knows the layout of the signal
// ucontext (Linux, x86-64).
#include <ucontext.h>

#include "runtime/internal.h"

#if !defined(__linux__) || !defined(__x86_64__)
#error "the lucet runtime supports Linux on x86-64 only"
#endif

namespace lucet::rt {

uintptr_t uc_pc(void *uc) {
    return static_cast<uintptr_t>(static_cast<ucontext_t *>(uc)->uc_mcontext.gregs[REG_RIP]);
}

uintptr_t uc_fp(void *uc) {
    return static_cast<uintptr_t>(static_cast<ucontext_t *>(uc)->uc_mcontext.gregs[REG_RBP]);
}

uintptr_t uc_sp(void *uc) {
    return static_cast<uintptr_t>(static_cast<ucontext_t *>(uc)->uc_mcontext.gregs[REG_RSP]);
}

void uc_redirect_to_context_set(void *uc, uintptr_t sp) {
    auto *u = static_cast<ucontext_t *>(uc);
    // sigreturn restores every register from the ucontext, then continues at
    // lucet_context_set(sp), which replaces rsp before using any stack: the
    // faulting guest stack (possibly its guard page) is never touched again.
    u->uc_mcontext.gregs[REG_RIP] = static_cast<greg_t>(reinterpret_cast<uintptr_t>(&lucet_context_set));
    u->uc_mcontext.gregs[REG_RDI] = static_cast<greg_t>(sp);
    // The direction flag must be clear at a function entry (SysV ABI).
    u->uc_mcontext.gregs[REG_EFL] &= ~static_cast<greg_t>(0x400);
}

}  // namespace lucet::rt
