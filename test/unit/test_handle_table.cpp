// The C API's handle table (src/capi/handle_table.h) on its own: the index
// -> chunk mapping over all 2^24 indices, generations that would wrap,
// forged handles, and real threads pinning objects while others release
// them, with every object's destruction recorded so that "destroyed while
// pinned" is seen even when it would not crash. The C API's own tests
// (test/capi/test_capi_handles.c) do the same through real instances.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "capi/handle_table.h"

using namespace lucet::capi;

namespace {

// Objects that record their destruction in a table that outlives them.
constexpr int kMaxObjects = 1 << 16;
std::atomic<bool> g_destroyed[kMaxObjects];
std::atomic<int> g_next_id{0};

struct Obj {
    int id;
    Obj() : id(g_next_id.fetch_add(1)) { g_destroyed[id].store(false); }
    ~Obj() { g_destroyed[id].store(true); }
};

using Table = HandleTable<Obj, Kind::Instance>;

const void *as_handle(uint64_t h) { return reinterpret_cast<const void *>(static_cast<uintptr_t>(h)); }

}  // namespace

TEST_CASE("handle table: every index maps inside its chunk, chunks back to back", "[handles]") {
    uint64_t expect = 0;
    for (unsigned c = 0; c < HandleTableBase::kChunks; c++) {
        for (uint64_t k = 0; k < HandleTableBase::chunk_size(c) && expect < HandleTableBase::kMaxEntries; k++) {
            uint32_t off;
            unsigned got = HandleTableBase::chunk_of(uint32_t(expect), off);
            if (got != c || off != k) FAIL("index " << expect << " -> chunk " << got << " offset " << off);
            expect++;
        }
    }
    CHECK(expect == HandleTableBase::kMaxEntries);
}

TEST_CASE("handle table: a generation never wraps, forged handles are refused", "[handles]") {
    Table t(0xfffffffeu);
    uint64_t a = t.insert(std::make_shared<Obj>());
    REQUIRE(a != 0);
    CHECK(((a >> 24) & 0xffffffffu) == 0xfffffffeu);
    REQUIRE(t.remove(as_handle(a)));
    uint64_t b = t.insert(std::make_shared<Obj>());  // same index, last generation
    CHECK((b & 0xffffff) == (a & 0xffffff));
    CHECK(((b >> 24) & 0xffffffffu) == 0xffffffffu);
    REQUIRE(t.remove(as_handle(b)));
    // The index is spent: the next object gets another one.
    uint64_t c = t.insert(std::make_shared<Obj>());
    CHECK((c & 0xffffff) != (a & 0xffffff));
    uint64_t index = a & 0xffffff;
    for (uint64_t gen : {0ull, 1ull, 0xfffffffeull, 0xffffffffull}) {
        uint64_t forged = (uint64_t(Kind::Instance) << 56) | (gen << 24) | index;
        CHECK(!t.get(as_handle(forged)));
        CHECK(!t.remove(as_handle(forged)));
    }
    // Other kinds, real pointers, indices never handed out, the top index.
    CHECK(!t.get(as_handle((uint64_t(Kind::Region) << 56) | (c & ((1ull << 56) - 1)))));
    int local = 0;
    CHECK(!t.get(&local));
    CHECK(!t.get(nullptr));
    CHECK(!t.get(as_handle(c + 1)));
    CHECK(!t.get(as_handle((uint64_t(Kind::Instance) << 56) | (0xfffffffeull << 24) | 0xffffff)));
    CHECK(t.get(as_handle(c)));
}

TEST_CASE("handle table: a pinned object outlives its release, the last pin destroys it", "[handles]") {
    Table t;
    uint64_t h = t.insert(std::make_shared<Obj>());
    auto p1 = t.get(as_handle(h));
    REQUIRE(p1);
    int id = p1->id;
    {
        auto p2 = t.get(as_handle(h));  // nested: another slot
        REQUIRE(p2);
        CHECK(t.remove(as_handle(h)));
        CHECK(!t.remove(as_handle(h)));
        CHECK(!t.get(as_handle(h)));
        CHECK(!g_destroyed[id].load());
    }
    CHECK(!g_destroyed[id].load());
    p1.reset();
    CHECK(g_destroyed[id].load());
    // Deeper than the hazard slots: counted pins take over.
    uint64_t h2 = t.insert(std::make_shared<Obj>());
    std::vector<Table::Pin> pins;
    for (int k = 0; k < 8; k++) pins.push_back(t.get(as_handle(h2)));
    int id2 = pins[0]->id;
    CHECK(t.remove(as_handle(h2)));
    while (pins.size() > 1) {
        pins.pop_back();
        CHECK(!g_destroyed[id2].load());
    }
    pins.clear();
    CHECK(g_destroyed[id2].load());
}

TEST_CASE("handle table: threads pinning while others release never see a destroyed object", "[handles]") {
    Table t;
    constexpr int kSlots = 8, kReaders = 3;
    std::atomic<uint64_t> live[kSlots];
    for (auto &l : live) l.store(t.insert(std::make_shared<Obj>()));
    std::atomic<bool> stop{false};
    std::atomic<long> bad{0}, pinned{0};
    std::vector<std::thread> threads;
    for (int r = 0; r < kReaders; r++)
        threads.emplace_back([&, r] {
            unsigned k = unsigned(r);
            while (!stop.load(std::memory_order_relaxed)) {
                k = (k + 1) % kSlots;
                auto p = t.get(as_handle(live[k].load(std::memory_order_relaxed)));
                if (!p) continue;
                int id = p->id;
                for (int spin = 0; spin < 50; spin++)
                    if (g_destroyed[id].load(std::memory_order_relaxed)) bad++;
                pinned++;
            }
        });
    threads.emplace_back([&] {  // releases and replaces, one slot after another
        while (pinned.load() < 1000) std::this_thread::yield();  // the readers are going
        for (int n = 0; n < 20000; n++) {
            int k = n % kSlots;
            uint64_t old = live[k].load();
            live[k].store(t.insert(std::make_shared<Obj>()));
            if (!t.remove(as_handle(old))) bad++;
        }
        stop.store(true);
    });
    for (auto &th : threads) th.join();
    WARN("pins taken: " << pinned.load() << ", objects: " << g_next_id.load());
    CHECK(bad.load() == 0);
    CHECK(pinned.load() > 0);
    for (auto &l : live) CHECK(t.remove(as_handle(l.load())));
    for (int id = 0; id < g_next_id.load(); id++)
        if (!g_destroyed[id].load()) FAIL("object " << id << " never destroyed");
}

namespace {
thread_local bool t_hold_in_reclaim = false;
std::atomic<int> g_reclaim_step{0};
void hold_stale_reclaimer() {
    if (!t_hold_in_reclaim) return;
    g_reclaim_step.store(1);                          // scanned, about to claim
    while (g_reclaim_step.load() != 2) std::this_thread::yield();
}
}  // namespace

// A reclaimer held between its hazard scan and its claim while the same
// index is reclaimed by another thread, reused, pinned and released again
// must not claim that later retirement (found by an adversarial test of the
// C API: an instance destroyed under a running lucet_func_call, ASan
// heap-use-after-free, when thousands of threads made the scans long).
TEST_CASE("handle table: a reclaimer delayed after its scan does not destroy a later object at its index",
          "[handles]") {
    // With counted pins only (no membarrier, LUCET_CAPI_COUNTED_PINS=1) a
    // stale lookup does not reclaim, and a counted pin blocks any claim.
    if (!hazard_record_slow()) {
        WARN("hazard pins unavailable: nothing to test");
        return;
    }
    Table t;
    HandleTableBase::reclaim_scanned_hook = hold_stale_reclaimer;
    g_reclaim_step.store(0);
    uint64_t h1 = t.insert(std::make_shared<Obj>());
    std::atomic<int> x_state{0};
    int id1 = -1;
    std::thread x([&] {
        auto p = t.get(as_handle(h1));
        id1 = p->id;
        x_state.store(1);  // pinned
        while (x_state.load() != 2) std::this_thread::yield();
        t_hold_in_reclaim = true;
        p.reset();  // retired meanwhile: reclaims, and is held after its scan
        t_hold_in_reclaim = false;
    });
    while (x_state.load() != 1) std::this_thread::yield();
    REQUIRE(t.remove(as_handle(h1)));  // x still has it pinned
    CHECK(!g_destroyed[id1].load());
    x_state.store(2);
    while (g_reclaim_step.load() != 1) std::this_thread::yield();
    // A lookup of the stale handle finds it retired and reclaims it itself.
    CHECK(!t.get(as_handle(h1)));
    CHECK(g_destroyed[id1].load());
    // The index is reused, pinned here, and released while pinned.
    uint64_t h2 = t.insert(std::make_shared<Obj>());
    CHECK((h2 & 0xffffff) == (h1 & 0xffffff));
    auto p2 = t.get(as_handle(h2));
    REQUIRE(p2);
    int id2 = p2->id;
    CHECK(t.remove(as_handle(h2)));
    g_reclaim_step.store(2);  // let the held reclaimer claim
    x.join();
    CHECK(!g_destroyed[id2].load());  // still pinned by p2
    p2.reset();
    CHECK(g_destroyed[id2].load());
    HandleTableBase::reclaim_scanned_hook = nullptr;
}
