// host_thunks.cpp: host functions of any signature over struct lucet_val
// (lucet_host_thunk_new), for bindings that cannot write a C function per
// signature (Python's ctypes, Go's cgo).
//
// Generated code calls an import with its own C signature (lucet_wasi.h:
// scalars, lucet_v128 by value, a struct of the results for two or more).
// A pool of LUCET_HOST_THUNKS tiny stubs, one per slot, each loads its slot
// number into r11 and jumps to one common stub that saves every argument
// register (rdi..r9, xmm0..xmm7 whole) and the address of the stack
// arguments, calls thunk_dispatch, and returns rax, rdx, xmm0 and xmm1 as
// dispatch left them. Dispatch knows the slot's signature, so it reads each
// argument where the x86-64 System V ABI puts it and writes the results
// where the caller will look (registers, or the caller's buffer behind the
// hidden pointer in rdi for a result struct larger than 16 bytes).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "capi/capi_internal.h"

#if !defined(__x86_64__)
#error "host_thunks.cpp implements the x86-64 System V calling convention"
#endif

using namespace lucet;
using namespace lucet::capi;

namespace {

constexpr uint32_t kThunks = LUCET_HOST_THUNKS;

// What the common stub saves; the offsets are the assembly's below.
struct ThunkFrame {
    uint64_t gp[6];          // 0: rdi rsi rdx rcx r8 r9
    uint64_t slot;           // 48
    const uint8_t *stack;    // 56: the first stack argument
    uint8_t xmm[8][16];      // 64: xmm0..xmm7
    uint64_t rax, rdx;       // 192, 200
    uint8_t ret_xmm[2][16];  // 208, 224: xmm0, xmm1
};
static_assert(sizeof(ThunkFrame) == 240, "the stub's frame layout");

enum class Loc : uint8_t { Gp, Xmm, Stack };
struct Place {
    lucet_val_type ty;
    Loc loc;
    uint32_t at;  // register index or byte offset from the first stack argument / in the result struct
};

struct Thunk {
    lucet_host_callback cb = nullptr;
    void *data = nullptr;
    uint32_t slot = 0;
    bool in_memory = false;      // results in the caller's buffer (hidden pointer in rdi)
    bool int_eightbyte[2] = {};  // register results: is eightbyte k INTEGER (else SSE)?
    uint32_t result_size = 0;
    std::vector<Place> params, results;
    // Its handle was released: no new instance may take it (instances that
    // already did keep it, and its slot, until they are gone).
    std::atomic<bool> released{false};
    ~Thunk();
};

std::atomic<Thunk *> g_slots[kThunks];
// Whether slot i's last thunk returned its results in memory (kept after
// release): where a call through a released thunk finds its vmctx.
std::atomic<bool> g_slot_in_memory[kThunks];

// Which slots are free, and whose the others are (under `mu`). Never
// destroyed, as the thunk table below: another thread may still make or
// release a thunk while the process exits and runs static destructors.
struct SlotBook {
    std::mutex mu;
    // The Thunk in slot i, for instance creation to share: an instance
    // keeps the thunks it imports alive, so a thunk released by its handle
    // while instances still use it keeps its slot until they go.
    std::weak_ptr<Thunk> owner[kThunks];
    std::vector<uint32_t> free;
    uint32_t next = 0;
};
SlotBook &book() {
    static auto *b = new SlotBook;
    return *b;
}

void free_slot(uint32_t slot) {
    SlotBook &b = book();
    std::lock_guard<std::mutex> lk(b.mu);
    b.free.push_back(slot);
}

Thunk::~Thunk() {
    g_slots[slot].store(nullptr, std::memory_order_release);
    free_slot(slot);
}

HandleTable<Thunk, Kind::HostThunk> &thunks() {
    static auto *t = new HandleTable<Thunk, Kind::HostThunk>;
    return *t;
}

bool is_int(lucet_val_type t) {
    return t == lucet_val_type_i32 || t == lucet_val_type_i64 || t == lucet_val_type_externref;
}
uint32_t c_size(lucet_val_type t) {
    return t == lucet_val_type_v128 ? 16 : (t == lucet_val_type_i32 || t == lucet_val_type_f32) ? 4 : 8;
}

// Where the System V ABI passes each parameter; gp starts after rdi (vmctx)
// and, with a result struct in memory, rsi (vmctx after the hidden pointer).
void place_params(Thunk &t, const lucet_val_type *params, uint32_t n) {
    uint32_t gp = t.in_memory ? 2 : 1, xmm = 0, stack = 0;
    for (uint32_t i = 0; i < n; i++) {
        lucet_val_type ty = params[i];
        if (is_int(ty) && gp < 6) {
            t.params.push_back({ty, Loc::Gp, gp++});
        } else if (!is_int(ty) && xmm < 8) {
            t.params.push_back({ty, Loc::Xmm, xmm++});
        } else {
            uint32_t sz = ty == lucet_val_type_v128 ? 16 : 8;
            stack = (stack + sz - 1) / sz * sz;
            t.params.push_back({ty, Loc::Stack, stack});
            stack += sz;
        }
    }
}

// The results' C struct (members in order, natural alignment) and how it
// comes back: over 16 bytes in memory, else by eightbyte class.
void place_results(Thunk &t, const lucet_val_type *results, uint32_t n) {
    uint32_t off = 0, align = 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t sz = c_size(results[i]);
        off = (off + sz - 1) / sz * sz;
        t.results.push_back({results[i], Loc::Stack, off});
        off += sz;
        if (sz > align) align = sz;
    }
    t.result_size = (off + align - 1) / align * align;
    t.in_memory = t.result_size > 16 && n > 0;
    for (const Place &p : t.results)
        if (is_int(p.ty)) t.int_eightbyte[p.at / 8] = true;
}

void read_param(const ThunkFrame &f, const Place &p, lucet_val &v) {
    std::memset(&v, 0, sizeof v);
    v.ty = p.ty;
    const uint8_t *src = p.loc == Loc::Gp    ? reinterpret_cast<const uint8_t *>(&f.gp[p.at])
                         : p.loc == Loc::Xmm ? f.xmm[p.at]
                                             : f.stack + p.at;
    std::memcpy(&v.inner_val, src, c_size(p.ty));  // little-endian: the low bytes
}

[[noreturn]] void stop(struct lucet_vmctx *ctx, uint32_t code) { lucet_vmctx_terminate(ctx, code); }

}  // namespace

// Called by the common stub with the saved registers (below). No C++ object
// with a destructor may be alive when it stops the guest (a longjmp).
extern "C" __attribute__((visibility("hidden"), used)) void lucet_host_thunk_dispatch(ThunkFrame *f) noexcept {
    Thunk *t = f->slot < kThunks ? g_slots[f->slot].load(std::memory_order_acquire) : nullptr;
    bool mem = t ? t->in_memory : f->slot < kThunks && g_slot_in_memory[f->slot].load(std::memory_order_relaxed);
    auto *ctx = reinterpret_cast<struct lucet_vmctx *>(f->gp[mem ? 1 : 0]);
    if (!t) stop(ctx, LUCET_HOST_THUNK_RELEASED);
    size_t np = t->params.size(), nr = t->results.size();
    lucet_val small[16];
    lucet_val *vals = np + nr <= 16 ? small : static_cast<lucet_val *>(std::calloc(np + nr, sizeof(lucet_val)));
    if (!vals) stop(ctx, LUCET_HOST_THUNK_BAD_RESULT);
    for (size_t i = 0; i < np; i++) read_param(*f, t->params[i], vals[i]);
    lucet_val *res = vals + np;
    std::memset(res, 0, nr * sizeof(lucet_val));  // ty 0: a result the callback leaves unset is refused
    uint32_t rc = t->cb(ctx, t->data, vals, res);
    uint8_t buf[16] = {};
    uint8_t *out = mem ? reinterpret_cast<uint8_t *>(f->gp[0]) : buf;
    for (size_t i = 0; rc == 0 && i < nr; i++) {
        if (res[i].ty != t->results[i].ty) rc = LUCET_HOST_THUNK_BAD_RESULT;
        else std::memcpy(out + t->results[i].at, &res[i].inner_val, c_size(res[i].ty));
    }
    if (vals != small) std::free(vals);
    if (rc != 0) stop(ctx, rc);
    if (mem) {
        f->rax = f->gp[0];  // a function returning in memory returns the buffer's address
        return;
    }
    // Eightbyte k goes to the next INTEGER register (rax, rdx) or SSE one
    // (xmm0, xmm1); a lone v128 fills xmm0.
    uint32_t ni = 0, ns = 0;
    for (uint32_t k = 0; k * 8 < t->result_size; k++) {
        if (nr == 1 && t->results[0].ty == lucet_val_type_v128) {
            std::memcpy(f->ret_xmm[0], buf, 16);
            break;
        }
        if (t->int_eightbyte[k]) std::memcpy(ni++ == 0 ? &f->rax : &f->rdx, buf + 8 * k, 8);
        else std::memcpy(f->ret_xmm[ns++], buf + 8 * k, 8);
    }
}

// The stubs: slot i at lucet_host_thunk_stubs + 16 * i. endbr64 keeps them
// valid indirect-call targets under CET.
__asm__(R"(
    .text
    .p2align 4
    .type lucet_host_thunk_common, @function
lucet_host_thunk_common:
    push %rbp
    mov %rsp, %rbp
    sub $240, %rsp
    mov %rdi, 0(%rsp)
    mov %rsi, 8(%rsp)
    mov %rdx, 16(%rsp)
    mov %rcx, 24(%rsp)
    mov %r8, 32(%rsp)
    mov %r9, 40(%rsp)
    mov %r11, 48(%rsp)
    lea 16(%rbp), %rax
    mov %rax, 56(%rsp)
    movdqu %xmm0, 64(%rsp)
    movdqu %xmm1, 80(%rsp)
    movdqu %xmm2, 96(%rsp)
    movdqu %xmm3, 112(%rsp)
    movdqu %xmm4, 128(%rsp)
    movdqu %xmm5, 144(%rsp)
    movdqu %xmm6, 160(%rsp)
    movdqu %xmm7, 176(%rsp)
    mov %rsp, %rdi
    call lucet_host_thunk_dispatch
    mov 192(%rsp), %rax
    mov 200(%rsp), %rdx
    movdqu 208(%rsp), %xmm0
    movdqu 224(%rsp), %xmm1
    leave
    ret
    .size lucet_host_thunk_common, .-lucet_host_thunk_common

    .p2align 4
    .globl lucet_host_thunk_stubs
    .hidden lucet_host_thunk_stubs
    .type lucet_host_thunk_stubs, @function
lucet_host_thunk_stubs:
    .set lucet_thunk_i, 0
    .rept 4096
    .p2align 4
    endbr64
    mov $lucet_thunk_i, %r11d
    jmp lucet_host_thunk_common
    .set lucet_thunk_i, lucet_thunk_i + 1
    .endr
    .size lucet_host_thunk_stubs, .-lucet_host_thunk_stubs
)");
static_assert(LUCET_HOST_THUNKS == 4096, "the .rept count above");

extern "C" char lucet_host_thunk_stubs[];

namespace {
std::string sig_text(const lucet_val_type *params, size_t np, const lucet_val_type *results, size_t nr) {
    auto list = [](const lucet_val_type *ts, size_t n) {
        std::string out = "(";
        for (size_t i = 0; i < n; i++) {
            ValType vt;
            out += (i ? " " : "") + (to_valtype(ts[i], vt) ? std::string(valtype_name(vt)) : std::to_string(int(ts[i])));
        }
        return out + ")";
    };
    return list(params, np) + " -> " + list(results, nr);
}
}  // namespace

namespace lucet::capi {

std::string check_host_thunk(const void *code, const lucet_val_type *params, uint32_t nparams,
                             const lucet_val_type *results, uint32_t nresults, std::shared_ptr<void> &keep) {
    auto p = reinterpret_cast<uintptr_t>(code), base = reinterpret_cast<uintptr_t>(lucet_host_thunk_stubs);
    if (p < base || p >= base + 16 * uintptr_t(kThunks)) return "";
    if ((p - base) % 16) return "its func points into a host thunk, not at one";
    std::shared_ptr<Thunk> t;
    {
        std::lock_guard<std::mutex> lk(book().mu);
        t = book().owner[(p - base) / 16].lock();
    }
    // Its handle released and no instance using it left: the slot is free
    // (or already another thunk's, which the handle's owner cannot mean).
    if (!t || t->released.load(std::memory_order_acquire)) return "its func is a released host thunk";
    keep = t;
    std::vector<lucet_val_type> tp, tr;
    for (const Place &x : t->params) tp.push_back(x.ty);
    for (const Place &x : t->results) tr.push_back(x.ty);
    if (tp == std::vector<lucet_val_type>(params, params + nparams) &&
        tr == std::vector<lucet_val_type>(results, results + nresults))
        return "";
    return "its func is a host thunk of type " + sig_text(tp.data(), tp.size(), tr.data(), tr.size()) + ", not " +
           sig_text(params, nparams, results, nresults);
}

}  // namespace lucet::capi

LUCET_API enum lucet_error lucet_host_thunk_new(const enum lucet_val_type *params, uint32_t nparams,
                                                const enum lucet_val_type *results, uint32_t nresults,
                                                lucet_host_callback callback, void *data,
                                                struct lucet_host_thunk **thunk_out,
                                                lucet_host_func_ptr *func_out) try {
    if (!callback || !thunk_out || !func_out)
        return fail(lucet_error_invalid_argument, "lucet_host_thunk_new: NULL callback, thunk_out or func_out");
    if ((nparams && !params) || (nresults && !results))
        return fail(lucet_error_invalid_argument, "lucet_host_thunk_new: NULL params or results with a non-zero count");
    for (uint32_t k = 0; k < nparams + nresults; k++) {
        lucet_val_type ty = k < nparams ? params[k] : results[k - nparams];
        ValType vt;
        if (!to_valtype(ty, vt))
            return fail(lucet_error_invalid_argument,
                        std::string("lucet_host_thunk_new: ") + (k < nparams ? "parameter " : "result ") +
                            std::to_string(k < nparams ? k : k - nparams) + ": unknown value type " +
                            std::to_string(int(ty)));
    }
    uint32_t slot = kThunks;
    {
        SlotBook &b = book();
        std::lock_guard<std::mutex> lk(b.mu);
        if (!b.free.empty()) {
            slot = b.free.back();
            b.free.pop_back();
        } else if (b.next < kThunks) {
            slot = b.next++;
        }
    }
    if (slot == kThunks)
        return fail(lucet_error_limits_exceeded, "lucet_host_thunk_new: all " + std::to_string(kThunks) +
                                                     " host thunks are in use (release unused ones)");
    std::shared_ptr<Thunk> t;
    try {
        t = std::make_shared<Thunk>();
    } catch (...) {
        free_slot(slot);
        throw;
    }
    t->slot = slot;  // from here the Thunk gives its slot back when destroyed
    t->cb = callback;
    t->data = data;
    place_results(*t, results, nresults);
    place_params(*t, params, nparams);
    g_slot_in_memory[slot].store(t->in_memory, std::memory_order_relaxed);
    g_slots[slot].store(t.get(), std::memory_order_release);
    {
        std::lock_guard<std::mutex> lk(book().mu);
        book().owner[slot] = t;
    }
    uint64_t h = thunks().insert(std::move(t));  // on failure the Thunk is gone and its slot free again
    if (!h) return fail(lucet_error_internal, "lucet_host_thunk_new: too many live handles");
    *thunk_out = to_handle<lucet_host_thunk>(h);
    *func_out = reinterpret_cast<lucet_host_func_ptr>(lucet_host_thunk_stubs + 16 * size_t(slot));
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_host_thunk_release(struct lucet_host_thunk *thunk) try {
    std::shared_ptr<Thunk> t;
    if (!thunks().remove(thunk, &t)) return fail(lucet_error_invalid_argument, "lucet_host_thunk_release: bad handle");
    if (t) t->released.store(true, std::memory_order_release);
    return ok();
} LUCET_CAPI_CATCH
