// regions.cpp: regions of instance slots.
#include "capi/capi_internal.h"

using namespace lucet;
using namespace lucet::capi;

LUCET_API struct lucet_alloc_limits lucet_alloc_limits_default(void) try {
    RegionLimits d;
    lucet_alloc_limits l;
    l.heap_memory_size = d.max_heap_size;
    l.heap_address_space_size = d.heap_address_space;
    l.stack_size = d.stack_size;
    l.globals_size = d.globals_size;
    l.signal_stack_size = d.signal_stack_size;
    return l;
} LUCET_CAPI_CATCH_RETURN({})

LUCET_API enum lucet_error lucet_mmap_region_create(uint64_t instance_capacity, const struct lucet_alloc_limits *limits,
                                                    struct lucet_region **region_out) try {
    if (!region_out) return fail(lucet_error_invalid_argument, "lucet_mmap_region_create: NULL region_out");
    *region_out = nullptr;
    if (instance_capacity == 0)
        return fail(lucet_error_invalid_argument, "lucet_mmap_region_create: instance_capacity is 0");
    RegionLimits rl;
    if (limits) {
        rl.max_heap_size = limits->heap_memory_size;
        rl.heap_address_space = limits->heap_address_space_size;
        rl.stack_size = limits->stack_size;
        rl.globals_size = limits->globals_size;
        rl.signal_stack_size = limits->signal_stack_size;
    }
    // Bad limits are the caller's mistake; a failure after they pass is the
    // system refusing that much address space.
    if (Status st = rl.validate(); !st) return fail(lucet_error_invalid_argument, st.error().to_string());
    auto r = Region::create(static_cast<size_t>(instance_capacity), rl);
    if (!r) return fail(lucet_error_limits_exceeded, r.error().to_string());
    uint64_t h = regions().insert(std::move(r.value()));
    if (!h) return fail(lucet_error_internal, "lucet_mmap_region_create: too many region handles");
    *region_out = to_handle<lucet_region>(h);
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_region_release(struct lucet_region *region) try {
    if (!regions().remove(region))
        return fail(lucet_error_invalid_argument, "lucet_region_release: not a live region handle");
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_region_used(const struct lucet_region *region, uint64_t *used_out,
                                             uint64_t *capacity_out) try {
    auto r = regions().get(region);
    if (!r) return fail(lucet_error_invalid_argument, "lucet_region_used: not a live region handle");
    if (used_out) *used_out = r->used();
    if (capacity_out) *capacity_out = r->capacity();
    return ok();
} LUCET_CAPI_CATCH
