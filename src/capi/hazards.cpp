// hazards.cpp: the per-thread hazard records of the handle tables (see
// handle_table.h): registration, thread exit, and the scan a reclaimer makes
// after a process-wide memory barrier (membarrier(2)).
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "capi/handle_table.h"
#include "util/thread_exit.h"

namespace lucet::capi {

constinit thread_local HazardRecord *t_hazards __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

// Set once this thread's record is given back (thread exit): later lookups
// on the thread (other libraries' pthread key destructors) use counted pins.
constinit thread_local bool t_exited __attribute__((tls_model("initial-exec"))) = false;

std::atomic<HazardRecord *> g_records{nullptr};  // append-only list, never freed
std::atomic<int> g_records_in_use{0};

// MEMBARRIER_CMD_PRIVATE_EXPEDITED needs registering once per process; when
// the kernel (or a seccomp filter) refuses, lookups fall back to counted pins
// (as they do with LUCET_CAPI_COUNTED_PINS=1 in the environment: the tests
// run both ways).
bool membarrier_available() {
    static const bool ok = [] {
        const char *force = std::getenv("LUCET_CAPI_COUNTED_PINS");
        if (force && std::strcmp(force, "1") == 0) return false;
        return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    }();
    return ok;
}

// Gives the thread's record back when the thread exits (util/thread_exit.h:
// also when the thread's first lookup comes from a pthread key destructor).
void give_back(void *p) {
    auto *rec = static_cast<HazardRecord *>(p);
    t_exited = true;
    t_hazards = nullptr;
    for (auto &s : rec->slot) s.store(nullptr, std::memory_order_release);
    rec->in_use.store(false, std::memory_order_release);
    g_records_in_use.fetch_sub(1, std::memory_order_seq_cst);
}
constinit ThreadExitKey g_record_exit(give_back);

}  // namespace

HazardRecord *hazard_record_slow() noexcept {
    if (t_exited || !membarrier_available()) return nullptr;
    HazardRecord *rec = nullptr;
    for (HazardRecord *r = g_records.load(std::memory_order_acquire); r && !rec; r = r->next) {
        bool expected = false;
        if (r->in_use.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) rec = r;
    }
    if (!rec) {
        rec = new (std::nothrow) HazardRecord;
        if (!rec) return nullptr;
        rec->in_use.store(true, std::memory_order_relaxed);
        HazardRecord *head = g_records.load(std::memory_order_relaxed);
        do rec->next = head;
        while (!g_records.compare_exchange_weak(head, rec, std::memory_order_acq_rel, std::memory_order_relaxed));
    }
    // Counted before this thread can publish a hazard (see hazard_held).
    g_records_in_use.fetch_add(1, std::memory_order_seq_cst);
    if (!g_record_exit.arm(rec)) {  // out of pthread keys: counted pins
        give_back(rec);
        return nullptr;
    }
    t_hazards = rec;
    return rec;
}

bool hazard_held(const void *entry) noexcept {
    // Every other thread passes a full barrier: its hazard stores (and
    // clears) before that point are visible below, and its loads after it
    // see the entry dead. Alone (no other thread has a record), nothing to
    // wait for: a thread registering later does so with a locked operation
    // after our state change, so its own state check sees it.
    // No record yet (or membarrier unavailable): no hazards to look for; a
    // thread registering later does so after our state change.
    HazardRecord *head = g_records.load(std::memory_order_seq_cst);
    if (!head) return false;
    // (Should the barrier ever fail, assume the worst: the object stays
    // until a later reclaim gets through.)
    if (g_records_in_use.load(std::memory_order_seq_cst) > 1 || !t_hazards)
        if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) return true;
    for (HazardRecord *r = head; r; r = r->next)
        for (auto &s : r->slot)
            if (s.load(std::memory_order_acquire) == entry) return true;
    return false;
}

}  // namespace lucet::capi
