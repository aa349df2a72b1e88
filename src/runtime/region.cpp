// region.cpp: regions of pre-reserved instance slots, and the registry of
// reserved areas the fault handler uses to classify a faulting address.
//
// Slot layout (every part page aligned), one PROT_NONE reservation per region:
//
//   [vmctx + globals: globals_size]
//   [heap: heap_address_space + 64 KiB extra guard]
//   [guard page][guest stack: stack_size][guard page]
//
// The signal stack is per thread, not per slot (signals.cpp): a per-slot one
// would need a sigaltstack() call on every run, and the hot path makes none.
#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "runtime/internal.h"
#include "util/size.h"

namespace lucet {

namespace rt {

namespace {
constexpr int kMaxFaultAreas = 4096;
FaultArea g_areas[kMaxFaultAreas];
std::mutex g_areas_mu;
}  // namespace

int register_fault_area(uintptr_t base, uint64_t slot_size, uint64_t count, uint64_t heap_lo, uint64_t heap_hi,
                        uint64_t guard_lo, uint64_t guard_hi) {
    std::lock_guard<std::mutex> lock(g_areas_mu);
    for (int i = 0; i < kMaxFaultAreas; i++) {
        FaultArea &a = g_areas[i];
        if (a.end.load(std::memory_order_relaxed) != 0) continue;
        a.base.store(base, std::memory_order_relaxed);
        a.slot_size = slot_size;
        a.heap_lo = heap_lo;
        a.heap_hi = heap_hi;
        a.guard_lo = guard_lo;
        a.guard_hi = guard_hi;
        a.end.store(base + slot_size * count, std::memory_order_release);
        return i;
    }
    return -1;
}

void unregister_fault_area(int index) {
    if (index < 0 || index >= kMaxFaultAreas) return;
    std::lock_guard<std::mutex> lock(g_areas_mu);
    g_areas[index].end.store(0, std::memory_order_release);
}

FaultKind classify_fault(uintptr_t addr, uintptr_t *heap_base) {
    for (int i = 0; i < kMaxFaultAreas; i++) {
        const FaultArea &a = g_areas[i];
        uintptr_t end = a.end.load(std::memory_order_acquire);
        if (end == 0) continue;
        uintptr_t base = a.base.load(std::memory_order_relaxed);
        if (addr < base || addr >= end) continue;
        uint64_t off = (addr - base) % a.slot_size;
        if (off >= a.heap_lo && off < a.heap_hi) {
            *heap_base = addr - off + a.heap_lo;
            return FaultKind::Heap;
        }
        if (off >= a.guard_lo && off < a.guard_hi) return FaultKind::StackGuard;
        return FaultKind::Unknown;
    }
    return FaultKind::Unknown;
}

}  // namespace rt

Status RegionLimits::validate() const {
    auto page_multiple = [](const char *name, uint64_t v) -> Status {
        if (v == 0 || v % rt::kPage != 0)
            return make_error(std::string("region limits: ") + name + " (" + std::to_string(v) +
                              ") must be a non-zero multiple of 4 KiB");
        return {};
    };
    LUCET_TRY(page_multiple("heap_address_space", heap_address_space));
    LUCET_TRY(page_multiple("stack_size", stack_size));
    LUCET_TRY(page_multiple("globals_size", globals_size));
    LUCET_TRY(page_multiple("signal_stack_size", signal_stack_size));
    if (max_heap_size % rt::kWasmPage != 0)
        return make_error("region limits: max_heap_size (" + std::to_string(max_heap_size) +
                          ") must be a multiple of 64 KiB (the wasm page size)");
    if (max_heap_size > heap_address_space)
        return make_error("region limits: max_heap_size (" + format_size(max_heap_size) +
                          ") exceeds heap_address_space (" + format_size(heap_address_space) + ")");
    if (heap_address_space > (1ull << 40))
        return make_error("region limits: heap_address_space (" + format_size(heap_address_space) +
                          ") exceeds 1 TiB");
    if (stack_size > (1ull << 32)) return make_error("region limits: stack_size exceeds 4 GiB");
    if (hostcall_reserve % rt::kPage != 0 || hostcall_reserve + rt::kPage > stack_size)
        return make_error("region limits: hostcall_reserve (" + std::to_string(hostcall_reserve) +
                          ") must be a multiple of 4 KiB and leave at least one page of stack_size (" +
                          std::to_string(stack_size) + ")");
    if (globals_size < sizeof(lucet_vmctx) + 8)
        return make_error("region limits: globals_size is too small for the vmctx header");
    if (signal_stack_size < (16u << 10))
        return make_error("region limits: signal_stack_size must be at least 16 KiB");
    if (signal_stack_size > (64u << 20))  // each running thread maps one
        return make_error("region limits: signal_stack_size exceeds 64 MiB");
    return {};
}

Result<std::shared_ptr<Region>> Region::create(size_t capacity, const RegionLimits &limits) {
    LUCET_TRY(limits.validate());
    if (capacity == 0) return make_error("region capacity must be at least 1");
    std::shared_ptr<Region> r(new Region());
    r->limits_ = limits;
    r->impl_ = std::make_unique<Impl>();
    Impl &im = *r->impl_;
    im.capacity = capacity;
    im.heap_off = limits.globals_size;
    im.heap_reserved = limits.heap_address_space + rt::kExtraHeapGuard;
    im.stack_guard_off = im.heap_off + im.heap_reserved;
    im.stack_off = im.stack_guard_off + rt::kPage;
    im.stack_end_guard_off = im.stack_off + limits.stack_size;
    im.slot_size = im.stack_end_guard_off + rt::kPage;
    if (capacity > (uint64_t(1) << 47) / im.slot_size)
        return make_error("region of " + std::to_string(capacity) + " slots of " + format_size(im.slot_size) +
                          " does not fit in the address space");
    im.map_size = im.slot_size * capacity;
    void *p = mmap(nullptr, im.map_size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return make_error("cannot reserve " + format_size(im.map_size) + " of address space for a region of " +
                          std::to_string(capacity) + " slots: " + std::strerror(errno));
    im.base = static_cast<uint8_t *>(p);
    im.fault_area = rt::register_fault_area(reinterpret_cast<uintptr_t>(p), im.slot_size, capacity, im.heap_off,
                                            im.heap_off + im.heap_reserved, im.stack_guard_off, im.stack_off);
    if (im.fault_area < 0) return make_error("too many regions and host memories at once (limit 4096)");
    im.free.reserve(capacity);
    im.prepared.assign(capacity, 0);
    // Popped from the back: slot 0 is handed out first.
    for (size_t i = capacity; i-- > 0;) im.free.push_back(i);
    install_signal_handlers();
    return r;
}

Region::~Region() {
    if (!impl_) return;
    rt::unregister_fault_area(impl_->fault_area);
    if (impl_->base) munmap(impl_->base, impl_->map_size);
}

size_t Region::capacity() const { return impl_->capacity; }

size_t Region::used() const {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->capacity - impl_->free.size();
}

Result<size_t> Region::Impl::lease_slot() {
    std::lock_guard<std::mutex> lock(mu);
    if (free.empty())
        return make_error("region is full: all " + std::to_string(capacity) + " instance slots are in use",
                          ErrorKind::RegionFull);
    size_t i = free.back();
    free.pop_back();
    return i;
}

void Region::Impl::release_slot(size_t i, uint64_t heap_touched, uint64_t image_len, uint64_t vmctx_used) {
    uint8_t *s = slot(i);
    // The heap goes back to PROT_NONE and fresh zero pages: the next
    // instance starts from zeroes and the memory returns to the system now.
    rt::reset_heap(s + heap_off, heap_touched, image_len);
    // The vmctx and the stack stay accessible for the next instance of the
    // slot (which rewrites every vmctx field and global it uses), and their
    // first pages stay resident: reusing a warm slot costs no mprotect and
    // no page faults there. Deeper parts are given back.
    uint64_t vm_keep = rt::round_up(std::max<uint64_t>(vmctx_used, 1), rt::kPage);
    if (vmctx_used > rt::kPage && vm_keep < heap_off) madvise(s + rt::kPage, vm_keep - rt::kPage, MADV_DONTNEED);
    uint64_t stack_size = stack_end_guard_off - stack_off;
    if (stack_size > kStackKeep) madvise(s + stack_off, stack_size - kStackKeep, MADV_DONTNEED);
    std::lock_guard<std::mutex> lock(mu);
    free.push_back(i);
}

}  // namespace lucet
