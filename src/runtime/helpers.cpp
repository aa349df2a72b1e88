// helpers.cpp: the lucet_rt_fns every module calls through (traps,
// memory.grow, bulk memory, table operations). Each checks all bounds before
// writing anything, as the spec requires, and traps with the spec's code.
//
// They run on the guest stack inside the hostcall reserve, so they keep their
// frames small and never throw (noexcept: a throw would end the process
// rather than unwind through generated code).
//
// The kill switch: its signal stops the guest only in module code (a
// helper's PC is not), so a guest spending its time in bulk operations was
// stopped only when a re-sent signal happened to land between two helper
// calls. The bulk helpers therefore look for a pending kill themselves, after
// every chunk of at most kChunkBytes (and once per call), and leave the run
// as killed the way a host function does (Instance::stop_if_killed). A bulk
// operation is a sequence of element writes in the spec, and a kill ends the
// run, so stopping between chunks is a kill landing mid-sequence, as it may
// in module code; bounds are still checked before anything is written.
// (lucetc compiles memory.fill and memory.copy inline into module code,
// where the signal stops them; their helpers here chunk all the same.)
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "runtime/internal.h"

namespace lucet::rt {

namespace {

constexpr const char *kTableAccess = "out of bounds table access";

Instance::Impl &impl_of(lucet_vmctx *ctx) { return *static_cast<Instance::Impl *>(ctx->instance); }

// The PC reported for a trap raised by a helper is the helper's return
// address: a point inside the generated function that called it. CALLER_FP
// is that function's frame record (the rbp it saved in this helper's frame
// record, which __builtin_frame_address makes this helper set up), where
// the backtrace walk starts (backtrace.cpp).
#define CALLER_PC reinterpret_cast<uintptr_t>(__builtin_return_address(0))
#define CALLER_FP (*static_cast<const uintptr_t *>(__builtin_frame_address(0)))

void rt_trap(lucet_vmctx *, uint32_t code, uint64_t site) noexcept {
    // The site is the generated code's word; backtrace.cpp checks it
    // against the module before naming anything with it.
    trap_to_host(code < LUCET_TRAP_COUNT ? static_cast<lucet_trapcode>(code) : LUCET_TRAP_UNREACHABLE, CALLER_PC,
                 nullptr, CALLER_FP, site);
}

// Grows of one memory are serialised (two at once opened the same pages and
// both added them to the size: a PROT_NONE page below the reported size).
// A memory can be grown by its instance's guest, by the embedder, and by
// the guests of instances that import it: one of a few locks, by address.
std::mutex &grow_lock(const lucet_memory *m) {
    static std::mutex locks[16];
    return locks[(reinterpret_cast<uintptr_t>(m) >> 6) % 16];
}

uint32_t rt_memory_grow(lucet_vmctx *ctx, uint32_t delta) noexcept {
    lucet_memory *m = ctx->mem;
    if (!m) return UINT32_MAX;
    std::lock_guard<std::mutex> lk(grow_lock(m));
    uint64_t old = m->size / kWasmPage;
    if (delta > m->max_pages || old > m->max_pages - delta) return UINT32_MAX;
    if (delta == 0) return static_cast<uint32_t>(old);
    uint64_t bytes = uint64_t(delta) * kWasmPage;
    if (m->size + bytes > m->reserved) return UINT32_MAX;
    // The base never moves: growing only opens more of the reservation.
    if (mprotect(m->base + m->size, bytes, PROT_READ | PROT_WRITE) != 0) return UINT32_MAX;
    m->size += bytes;
    return static_cast<uint32_t>(old);
}

inline bool in_bounds(uint64_t off, uint64_t n, uint64_t size) { return off <= size && n <= size - off; }

// A pending kill of the run the calling module code is in (the innermost on
// this thread: it runs on that run's stack, whichever instance the code is
// from) stops the run here. The helpers are called from module code only and
// hold nothing (no lock, no object to destroy) when they call this. The fast
// path is one relaxed load and a compare, as in handle_kill_signal.
inline void leave_if_killed() noexcept {
    const RunState *rs = tls_run;
    if (!rs) return;
    const Instance::Impl &im = *rs->inst;
    if (__builtin_expect(im.kill->kill_gen.load(std::memory_order_relaxed) == im.gen, 0) && im.self)
        im.self->stop_if_killed();
}

// Work done between two looks at the kill switch: ~50 us of memset/memcpy.
constexpr uint64_t kChunkBytes = 1 << 20;
constexpr uint64_t kChunkElems = kChunkBytes / sizeof(lucet_table_elem);

// Calls op(offset, count) over [0, n) in pieces of at most `chunk`, from the
// front (or from the back: an overlapping copy to a higher address), and
// stops the run after any piece if it was killed meanwhile. Looks once when n
// is 0 (a guest looping on empty operations is in a helper too).
template <typename Op>
inline void in_chunks(uint64_t n, uint64_t chunk, bool backwards, Op &&op) noexcept {
    uint64_t done = 0;
    do {
        uint64_t k = std::min(n - done, chunk);
        if (k) op(backwards ? n - done - k : done, k);
        done += k;
        leave_if_killed();
    } while (done < n);
}

void rt_memory_init(lucet_vmctx *ctx, uint32_t seg, uint32_t dst, uint32_t src, uint32_t n) noexcept {
    Instance::Impl &im = impl_of(ctx);
    lucet_memory *m = ctx->mem;
    const lucet_data_desc &ds = im.desc->data[seg];
    uint64_t len = im.data_dropped[seg] ? 0 : ds.len;
    if (!m || !in_bounds(src, n, len) || !in_bounds(dst, n, m->size))
        trap_to_host(LUCET_TRAP_HEAP_OOB, CALLER_PC, nullptr, CALLER_FP);
    in_chunks(n, kChunkBytes, false, [&](uint64_t i, uint64_t k) { std::memcpy(m->base + dst + i, ds.data + src + i, k); });
}

void rt_data_drop(lucet_vmctx *ctx, uint32_t seg) noexcept { impl_of(ctx).data_dropped[seg] = 1; }

void rt_memory_copy(lucet_vmctx *ctx, uint32_t dst, uint32_t src, uint32_t n) noexcept {
    lucet_memory *m = ctx->mem;
    if (!m || !in_bounds(src, n, m->size) || !in_bounds(dst, n, m->size)) trap_to_host(LUCET_TRAP_HEAP_OOB, CALLER_PC, nullptr, CALLER_FP);
    // Pieces in the direction that reads every source byte before it is overwritten.
    in_chunks(n, kChunkBytes, dst > src, [&](uint64_t i, uint64_t k) { std::memmove(m->base + dst + i, m->base + src + i, k); });
}

void rt_memory_fill(lucet_vmctx *ctx, uint32_t dst, uint32_t val, uint32_t n) noexcept {
    lucet_memory *m = ctx->mem;
    if (!m || !in_bounds(dst, n, m->size)) trap_to_host(LUCET_TRAP_HEAP_OOB, CALLER_PC, nullptr, CALLER_FP);
    in_chunks(n, kChunkBytes, false,
              [&](uint64_t i, uint64_t k) { std::memset(m->base + dst + i, static_cast<int>(val & 0xff), k); });
}

uint64_t rt_table_get(lucet_vmctx *ctx, uint32_t table, uint32_t idx) noexcept {
    lucet_table *t = ctx->tables[table];
    if (idx >= t->size) trap_to_host(LUCET_TRAP_TABLE_OOB, CALLER_PC, kTableAccess, CALLER_FP);
    return reinterpret_cast<uintptr_t>(t->elems[idx].ref);
}

void rt_table_set(lucet_vmctx *ctx, uint32_t table, uint32_t idx, uint64_t val) noexcept {
    lucet_table *t = ctx->tables[table];
    if (idx >= t->size) trap_to_host(LUCET_TRAP_TABLE_OOB, CALLER_PC, kTableAccess, CALLER_FP);
    t->elems[idx] = make_elem(t->elem_type, val);
}

uint32_t rt_table_grow(lucet_vmctx *ctx, uint32_t table, uint64_t init, uint32_t delta) noexcept {
    lucet_table *t = ctx->tables[table];
    uint64_t limit = std::min<uint64_t>(t->max, t->capacity);
    uint64_t old = t->size;
    if (old + delta > limit) return UINT32_MAX;
    lucet_table_elem e = make_elem(t->elem_type, init);
    // Killed meanwhile: the table keeps its size (the new slots are beyond it).
    in_chunks(delta, kChunkElems, false, [&](uint64_t i, uint64_t k) { std::fill_n(t->elems + old + i, k, e); });
    t->size = static_cast<uint32_t>(old + delta);
    return static_cast<uint32_t>(old);
}

void rt_table_fill(lucet_vmctx *ctx, uint32_t table, uint32_t idx, uint64_t val, uint32_t n) noexcept {
    lucet_table *t = ctx->tables[table];
    if (!in_bounds(idx, n, t->size)) trap_to_host(LUCET_TRAP_TABLE_OOB, CALLER_PC, kTableAccess, CALLER_FP);
    lucet_table_elem e = make_elem(t->elem_type, val);
    in_chunks(n, kChunkElems, false, [&](uint64_t i, uint64_t k) { std::fill_n(t->elems + idx + i, k, e); });
}

void rt_table_copy(lucet_vmctx *ctx, uint32_t dst_table, uint32_t src_table, uint32_t dst, uint32_t src, uint32_t n) noexcept {
    lucet_table *dt = ctx->tables[dst_table];
    lucet_table *st = ctx->tables[src_table];
    if (!in_bounds(src, n, st->size) || !in_bounds(dst, n, dt->size))
        trap_to_host(LUCET_TRAP_TABLE_OOB, CALLER_PC, kTableAccess, CALLER_FP);
    bool backwards = dt == st && dst > src;
    in_chunks(n, kChunkElems, backwards, [&](uint64_t i, uint64_t k) {
        std::memmove(dt->elems + dst + i, st->elems + src + i, k * sizeof(lucet_table_elem));
    });
}

void rt_table_init(lucet_vmctx *ctx, uint32_t table, uint32_t seg, uint32_t dst, uint32_t src, uint32_t n) noexcept {
    Instance::Impl &im = impl_of(ctx);
    lucet_table *t = ctx->tables[table];
    const lucet_elem_desc &es = im.desc->elems[seg];
    uint64_t len = im.elem_dropped[seg] ? 0 : es.count;
    if (!in_bounds(src, n, len) || !in_bounds(dst, n, t->size))
        trap_to_host(LUCET_TRAP_TABLE_OOB, CALLER_PC, kTableAccess, CALLER_FP);
    in_chunks(n, kChunkElems, false, [&](uint64_t i, uint64_t k) {
        for (uint64_t j = i; j < i + k; j++) t->elems[dst + j] = make_elem(t->elem_type, im.eval_init(es.items[src + j]));
    });
}

void rt_elem_drop(lucet_vmctx *ctx, uint32_t seg) noexcept { impl_of(ctx).elem_dropped[seg] = 1; }

// Generated code calls this when ctx->interrupt is set after an import call
// returned: a kill switch was pulled while the host code ran (see
// handle_kill_signal). The run stops as killed; a stale flag (that run's
// kill already handled, or another instance's run innermost) continues.
void rt_interrupted(lucet_vmctx *ctx) noexcept {
    ctx->interrupt = 0;
    Instance::Impl &im = impl_of(ctx);
    if (im.self) im.self->stop_if_killed();
}

}  // namespace

const lucet_rt_fns g_rt_fns = {
    rt_trap,       rt_memory_grow, rt_memory_init, rt_data_drop,  rt_memory_copy,
    rt_memory_fill, rt_table_get,  rt_table_set,   rt_table_grow, rt_table_fill,
    rt_table_copy, rt_table_init,  rt_elem_drop,   rt_interrupted,
};

}  // namespace lucet::rt
