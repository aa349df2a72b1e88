// handle_table.h: the C API's handle tables. Looking a handle up takes no
// lock and, on the fast path, no locked instruction (hazard records).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace lucet::capi {

// A handle is not a pointer: it is (kind << 56) | (generation << 24) | index
// into the kind's table. A wrong-kind handle or a real pointer (top byte 0 on
// x86-64 user space) fails the kind check; a stale handle fails the
// generation check.
//
// Each entry has one atomic state word: generation (32 bits) | live (1 bit)
// | retired (1 bit) | counted pins (30 bits). A lookup (get) pins the entry
// and then checks the generation and the live bit, so it pins only the
// object the handle names; the returned Pin unpins when it goes out of
// scope. Releasing (remove) clears the live bit, sets retired and bumps the
// generation in one compare-and-swap: the handle is dead at once, later
// lookups fail, two racing releases cannot both succeed, and the object
// lives until nobody has it pinned; then whoever finds that (the remover or
// the last unpinner) destroys it and frees the index.
//
// Two ways to pin. The fast one takes no locked instruction: each thread has
// a hazard record (a few slots, registered once); a lookup stores the entry
// in a free slot, then reads the state; unpinning clears the slot and reads
// whether the entry was retired meanwhile. The reclaimer pays instead: it
// issues membarrier(2), which makes every other thread pass a full memory
// barrier, and then scans all records: a thread that pinned before the
// barrier has its slot visible, one that pins after it sees the entry dead;
// one that unpins after it sees the retired bit and tries again. The
// fallback (no membarrier, or all slots of the thread in use: nested calls)
// is a counted pin, one compare-and-swap that also checks the generation,
// and one fetch_sub to unpin. Either way, a reclaim claims the destruction
// with a compare-and-swap that clears the retired bit, so it happens once.
// That compare-and-swap also requires the retired generation the reclaimer
// saw before its scan: a reclaimer delayed after its scan (a long one: many
// threads) must not claim a later retirement of the same index (reclaimed by
// another thread meanwhile, reused, pinned, released again), whose pins it
// never scanned for; it destroyed an instance a call was running on.
//
// Entries live in chunks of 64, 128, 256, ... entries (19 chunks reach the
// 2^24 indices), allocated once and never moved or freed while the table
// lives, so a lookup reads them without a lock. Inserting and freeing an
// index take a mutex (the free list); lookups never do.
//
// A generation never wraps: an index released with generation 2^32 - 1 is
// never handed out again, so a stale handle cannot become valid again.
enum class Kind : uint8_t { Module = 0xA1, Region = 0xA2, Instance = 0xA3, WasiCtx = 0xA4, KillSwitch = 0xA5,
                        HostThunk = 0xA6 };

// One record per thread that uses handles (hazards.cpp).
struct HazardRecord {
    static constexpr int kSlots = 4;
    std::atomic<const void *> slot[kSlots] = {};  // entries pinned by the thread
    std::atomic<bool> in_use{false};
    HazardRecord *next = nullptr;
};
extern constinit thread_local HazardRecord *t_hazards __attribute__((tls_model("initial-exec")));
// This thread's record, registered now; nullptr without membarrier(2).
HazardRecord *hazard_record_slow() noexcept;
// After a process-wide barrier: does any thread's record hold `entry`?
bool hazard_held(const void *entry) noexcept;

// What a lookup reaches besides the object itself, stored in the entry so
// that it takes one load from the pinned entry instead of two through the
// object: nothing for most kinds; for instances the runtime's Instance
// (capi_internal.h), on the call path. Fixed for the handle's life: taken
// from the object when it is inserted.
template <typename T>
struct HandleHot {
    using type = void;
    static type *of(const T &) { return nullptr; }
};

template <typename T>
class HandleEntry {
public:
    static constexpr uint64_t kLive = 1ull << 31;
    static constexpr uint64_t kRetired = 1ull << 30;  // dead, object not destroyed yet
    static constexpr uint64_t kPinMask = kRetired - 1;
    // gen 1, dead, no pins: never a live handle until insert publishes one.
    std::atomic<uint64_t> state{1ull << 32};
    std::shared_ptr<T> obj;  // written only by whoever owns the dead, unpinned entry
    typename HandleHot<T>::type *hot = nullptr;  // HandleHot<T>::of(*obj), written with obj
};

class HandleTableBase {
public:
    static constexpr uint64_t kIndexBits = 24;
    static constexpr uint64_t kMaxEntries = 1ull << kIndexBits;
    static constexpr unsigned kFirstChunkBits = 6;  // chunk c holds 64 << c entries
    static constexpr unsigned kChunks = 19;         // 64 * (2^19 - 1) >= 2^24
    static_assert((uint64_t(1) << kFirstChunkBits) * ((uint64_t(1) << kChunks) - 1) >= kMaxEntries);

    static uint64_t encode(Kind k, uint32_t gen, uint32_t index) {
        return (uint64_t(k) << 56) | (uint64_t(gen) << kIndexBits) | index;
    }
    // The chunk of an index and its offset there.
    static unsigned chunk_of(uint32_t index, uint32_t &offset) {
        uint64_t j = uint64_t(index) + (1u << kFirstChunkBits);
        unsigned top = 63 - unsigned(__builtin_clzll(j));
        offset = uint32_t(j - (uint64_t(1) << top));
        return top - kFirstChunkBits;
    }
    static uint32_t chunk_size(unsigned c) { return uint32_t(1) << (c + kFirstChunkBits); }
    // Tests only (test_handle_table.cpp): called in reclaim between the
    // hazard scan and the claim, to hold a reclaimer there.
    static inline void (*reclaim_scanned_hook)() = nullptr;
};

template <typename T, Kind K>
class HandleTable : HandleTableBase {
    using Entry = HandleEntry<T>;

public:
    // A pinned object: the handle's object stays alive (not destroyed, its
    // index not reused) while the Pin exists. Move-only; empty when the
    // lookup failed. It belongs to the thread that made it (its hazard slot
    // is that thread's): the C API keeps each Pin a local of one call.
    class Pin {
    public:
        Pin() = default;
        Pin(std::nullptr_t) {}
        Pin(Pin &&o) noexcept : t_(o.t_), e_(o.e_), index_(o.index_), slot_(o.slot_) { o.e_ = nullptr; }
        Pin &operator=(Pin &&o) noexcept {
            if (this != &o) {
                reset();
                t_ = o.t_, e_ = o.e_, index_ = o.index_, slot_ = o.slot_;
                o.e_ = nullptr;
            }
            return *this;
        }
        Pin(const Pin &) = delete;
        Pin &operator=(const Pin &) = delete;
        ~Pin() { reset(); }

        explicit operator bool() const { return e_ != nullptr; }
        T *get() const { return e_ ? e_->obj.get() : nullptr; }
        T *operator->() const { return e_->obj.get(); }
        T &operator*() const { return *e_->obj; }
        // A reference of the caller's own (the object may outlive the handle).
        std::shared_ptr<T> shared() const { return e_ ? e_->obj : nullptr; }
        // HandleHot<T>::of(the object), read from the entry (non-empty Pin only).
        typename HandleHot<T>::type *hot() const { return e_->hot; }
        void reset() {
            if (e_) t_->unpin(e_, index_, slot_);
            e_ = nullptr;
        }

    private:
        friend class HandleTable;
        Pin(HandleTable *t, Entry *e, uint32_t index, int slot) : t_(t), e_(e), index_(index), slot_(slot) {}
        HandleTable *t_ = nullptr;
        Entry *e_ = nullptr;
        uint32_t index_ = 0;
        int slot_ = -1;  // in this thread's hazard record; -1: a counted pin
    };

    // first_generation: of every index's first handle (1; tests start near
    // the wrap).
    constexpr explicit HandleTable(uint32_t first_generation = 1)
        : first_gen_(first_generation ? first_generation : 1) {}
    HandleTable(const HandleTable &) = delete;
    HandleTable &operator=(const HandleTable &) = delete;
    ~HandleTable() {
        for (auto &c : chunks_) delete[] c.load(std::memory_order_relaxed);
    }

    // 0 when the table is full (2^24 indices in use or retired) or out of
    // memory for a new chunk.
    uint64_t insert(std::shared_ptr<T> obj) {
        uint32_t i;
        Entry *e;
        {
            std::lock_guard<std::mutex> lk(mu_);
            if (!free_.empty()) {
                i = free_.back();
                free_.pop_back();
            } else {
                if (next_ >= kMaxEntries) return 0;
                // unpin pushes onto free_ without allocating (it runs in
                // Pin's destructor): room for every index ever handed out.
                if (free_.capacity() < next_ + 1) free_.reserve(2 * size_t(next_) + 64);
                i = next_;
                uint32_t off;
                unsigned c = chunk_of(i, off);
                if (!chunks_[c].load(std::memory_order_relaxed)) {
                    Entry *chunk = new (std::nothrow) Entry[chunk_size(c)];
                    if (!chunk) return 0;
                    if (first_gen_ != 1)
                        for (uint32_t k = 0; k < chunk_size(c); k++)
                            chunk[k].state.store(uint64_t(first_gen_) << 32, std::memory_order_relaxed);
                    chunks_[c].store(chunk, std::memory_order_release);
                }
                next_++;
            }
            e = entry(i);
        }
        // The entry is dead and unpinned: ours alone until published.
        e->hot = obj ? HandleHot<T>::of(*obj) : nullptr;
        e->obj = std::move(obj);
        uint64_t gen = e->state.load(std::memory_order_relaxed) >> 32;
        e->state.store((gen << 32) | Entry::kLive, std::memory_order_release);
        return encode(K, uint32_t(gen), i);
    }

    // Pins the handle's object; an empty Pin if h is not a live handle of
    // this kind.
    __attribute__((always_inline)) Pin get(const void *h) {
        uint64_t v = reinterpret_cast<uintptr_t>(h);
        if ((v >> 56) != uint64_t(K)) return {};
        uint32_t index = uint32_t(v & (kMaxEntries - 1));
        uint64_t gen = (v >> kIndexBits) & 0xffffffffu;
        uint32_t off;
        Entry *chunk = chunks_[chunk_of(index, off)].load(std::memory_order_acquire);
        if (!chunk) return {};
        Entry *e = &chunk[off];
        // The usual case inline: the thread's first slot free.
        HazardRecord *rec = t_hazards;
        if (__builtin_expect(rec && !rec->slot[0].load(std::memory_order_relaxed), 1)) return pin_hazard(rec, 0, e, index, gen);
        return get_slow(rec, e, index, gen);
    }

private:
    Pin pin_hazard(HazardRecord *rec, int k, Entry *e, uint32_t index, uint64_t gen) {
        rec->slot[k].store(e, std::memory_order_relaxed);
        // Store before the load: reclaimers' membarrier makes it a full
        // barrier, the compiler must keep the order.
        std::atomic_signal_fence(std::memory_order_seq_cst);
        uint64_t s = e->state.load(std::memory_order_acquire);
        if (__builtin_expect((s >> 32) == gen && (s & Entry::kLive), 1)) return Pin(this, e, index, k);
        unpin_hazard(rec, k, e, index);
        return {};
    }

    // A thread's first lookup, nested pins, counted pins.
    __attribute__((noinline)) Pin get_slow(HazardRecord *rec, Entry *e, uint32_t index, uint64_t gen) {
        if (!rec) rec = hazard_record_slow();
        if (rec)
            for (int k = 0; k < HazardRecord::kSlots; k++)
                if (!rec->slot[k].load(std::memory_order_relaxed)) return pin_hazard(rec, k, e, index, gen);
        uint64_t s = e->state.load(std::memory_order_relaxed);
        do {
            if ((s >> 32) != gen || !(s & Entry::kLive) || (s & Entry::kPinMask) == Entry::kPinMask) return {};
        } while (!e->state.compare_exchange_weak(s, s + 1, std::memory_order_acquire, std::memory_order_relaxed));
        return Pin(this, e, index, -1);
    }

public:
    // Invalidates the handle (false if it is not a live handle of this kind).
    // The object is destroyed now if nobody has it pinned, else when the last
    // Pin goes; `out` (optional) receives a reference of its own first.
    bool remove(const void *h, std::shared_ptr<T> *out = nullptr) {
        Pin p = get(h);
        if (!p) return false;
        if (out) *out = p.e_->obj;
        Entry *e = p.e_;
        uint64_t s = e->state.load(std::memory_order_relaxed);
        uint64_t gen = uint32_t(reinterpret_cast<uintptr_t>(h) >> kIndexBits);
        uint64_t dead;
        do {
            // Another thread released it between our pin and here.
            if ((s >> 32) != gen || !(s & Entry::kLive)) {
                if (out) out->reset();
                return false;
            }
            dead = (((gen + 1) & 0xffffffffu) << 32) | Entry::kRetired | (s & Entry::kPinMask);
        } while (!e->state.compare_exchange_weak(s, dead, std::memory_order_seq_cst, std::memory_order_relaxed));
        return true;  // p unpins and sees it retired: reclaims, unless others still have it pinned
    }

private:
    Entry *entry(uint32_t index) {
        uint32_t off;
        return &chunks_[chunk_of(index, off)].load(std::memory_order_acquire)[off];
    }

    __attribute__((always_inline)) void unpin(Entry *e, uint32_t index, int slot) {
        if (slot >= 0) return unpin_hazard(t_hazards, slot, e, index);
        uint64_t s = e->state.fetch_sub(1, std::memory_order_acq_rel);
        if ((s & Entry::kPinMask) == 1 && (s & Entry::kRetired)) reclaim(e, index, uint32_t(s >> 32));
    }

    void unpin_hazard(HazardRecord *rec, int slot, Entry *e, uint32_t index) {
        rec->slot[slot].store(nullptr, std::memory_order_release);
        std::atomic_signal_fence(std::memory_order_seq_cst);  // as in get
        uint64_t s = e->state.load(std::memory_order_relaxed);
        if (__builtin_expect(s & Entry::kRetired, 0)) reclaim(e, index, uint32_t(s >> 32));
    }

    // The entry was retired (its generation then: `gen`) and we dropped a
    // pin: destroy the object unless someone still has it pinned (they come
    // here when they unpin), or that retirement was reclaimed meanwhile.
    __attribute__((noinline)) void reclaim(Entry *e, uint32_t index, uint32_t gen) {
        if (hazard_held(e)) return;
        if (reclaim_scanned_hook) reclaim_scanned_hook();
        uint64_t s = e->state.load(std::memory_order_acquire);
        do {
            // Done already, a later retirement (not ours to judge), or
            // counted pins left.
            if (!(s & Entry::kRetired) || uint32_t(s >> 32) != gen || (s & Entry::kPinMask)) return;
        } while (!e->state.compare_exchange_weak(s, s & ~Entry::kRetired, std::memory_order_acq_rel,
                                                 std::memory_order_acquire));
        // The entry is ours. Destroy the object outside the lock (its
        // destructor may be long: an instance), then free the index unless
        // its generation is spent.
        std::shared_ptr<T> last = std::move(e->obj);
        last.reset();
        if ((s >> 32) == 0) return;  // generation wrapped: retired for good
        std::lock_guard<std::mutex> lk(mu_);
        free_.push_back(index);  // capacity reserved by insert
    }

    const uint32_t first_gen_;
    std::atomic<Entry *> chunks_[kChunks] = {};
    std::mutex mu_;
    uint32_t next_ = 0;  // indices below this have been handed out
    std::vector<uint32_t> free_;
};

// A table made at compile time (no constructor runs, so a lookup from any
// static constructor finds it) and never destroyed (a static destructor
// elsewhere may still release handles): `constinit Forever<T> x;`.
template <typename T>
union Forever {
    T value;
    constexpr Forever() : value() {}
    ~Forever() {}
};

}  // namespace lucet::capi
