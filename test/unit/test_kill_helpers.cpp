// test_kill_helpers.cpp: the kill switch against guests that spend their
// time in the runtime's bulk-operation helpers (table.fill, table.copy,
// memory.init: their PC is not module code, so the kill signal cannot stop
// them there; before the helpers looked for the kill themselves such a guest
// ran until a re-sent signal happened to land between two calls), the
// chunked helpers' results, and repeated terminate() calls costing one
// watchdog entry per run. memory.fill and memory.copy are compiled inline
// into module code (cgen/runtime_helpers.inc), where the signal stops them:
// they are here as a guard.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "rt_test_modules.h"
#include "runtime/internal.h"  // rt::watchdog_entries

using namespace lucet;
using namespace std::chrono_literals;

namespace {

using rt_test::compile_wat;

// 8 MiB of memory the operations work on, then a page holding the flag the
// loops poll (kFlag): the test sets it to end a loop the kill did not stop.
constexpr uint32_t kFlag = 128 << 16;
constexpr uint32_t kTable = 250000;  // 8 MB of table elements

// Each loop: env.started, then the operation until mem[kFlag] != 0.
std::string helpers_wat() {
    std::string seg;
    for (int i = 0; i < (4 << 20) / 16; i++) seg += "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10";
    auto loop = [](const char *name, const std::string &op) {
        return std::string("(func (export \"") + name + "\") (call $started) (loop $l " + op +
               " (br_if $l (i32.eqz (i32.load (i32.const " + std::to_string(kFlag) + "))))))\n";
    };
    const std::string n = std::to_string(kTable);
    return "(module\n"
           "(import \"env\" \"started\" (func $started))\n"
           "(import \"env\" \"wait\" (func $wait))\n"
           "(memory (export \"memory\") 129)\n"
           "(table $t (export \"t\") " + n + " funcref)\n"
           "(data $d \"" + seg + "\")\n"
           "(func $f (export \"f\"))\n" +
           loop("table_fill", "(table.fill $t (i32.const 0) (ref.func $f) (i32.const " + n + "))") +
           loop("table_copy", "(table.copy $t $t (i32.const 0) (i32.const 1) (i32.const " + std::to_string(kTable - 1) + "))") +
           loop("memory_fill", "(memory.fill (i32.const 0) (i32.const 7) (i32.const 0x800000))") +
           loop("memory_copy", "(memory.copy (i32.const 1) (i32.const 0) (i32.const 0x7fffff))") +
           loop("memory_init", "(memory.init $d (i32.const 0) (i32.const 0) (i32.const 0x400000))") +
           "(func (export \"mcopy\") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))\n"
           "(func (export \"tcopy\") (param i32 i32 i32) (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))\n"
           "(func (export \"wait\") (call $wait))\n"
           "(elem declare func $f))\n";
}

std::atomic<int> g_started{0};
std::atomic<int> g_release{0};

void host_started(lucet_vmctx *) { g_started.store(1); }
// Says it started, then waits (at most 10 s) for the test to release it; the kill switch's
// signals cut sleeps short, hence the short steps.
void host_wait(lucet_vmctx *) {
    g_started.store(1);
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!g_release.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
}

Result<Extern> imports(std::string_view m, std::string_view f, ExternKind) {
    Extern e;
    e.kind = ExternKind::Func;
    if (m == "env" && f == "started") e.code = reinterpret_cast<void *>(&host_started);
    else if (m == "env" && f == "wait") e.code = reinterpret_cast<void *>(&host_wait);
    else return make_error("no such host function");
    return e;
}

std::shared_ptr<Instance> make_instance() {
    static std::shared_ptr<DlModule> m = compile_wat("kill_helpers", helpers_wat());
    static std::shared_ptr<Region> region = [] {
        auto r = Region::create(1, RegionLimits{});
        REQUIRE(r.ok());
        return *r;
    }();
    auto inst = Instance::create(region, m, imports);
    if (!inst) FAIL(inst.error().to_string());
    return *inst;
}

std::atomic<uint32_t> &flag(Instance &inst) { return *reinterpret_cast<std::atomic<uint32_t> *>(inst.heap() + kFlag); }

bool eventually(const std::function<bool()> &cond, std::chrono::milliseconds within) {
    auto until = std::chrono::steady_clock::now() + within;
    while (!cond()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

}  // namespace

TEST_CASE("the kill switch stops a guest looping in a bulk-operation helper", "[runtime][lifecycle][kill]") {
    auto inst = make_instance();
    for (const char *name : {"table_fill", "table_copy", "memory_fill", "memory_copy", "memory_init"}) {
        INFO(name);
        g_started.store(0);
        flag(*inst).store(0);
        auto ks = inst->kill_switch();
        std::atomic<bool> done{false}, terminated{false}, gave_up{false};
        std::chrono::steady_clock::time_point t_kill;
        std::thread killer([&] {
            while (!g_started.load()) std::this_thread::sleep_for(100us);
            std::this_thread::sleep_for(20ms);
            t_kill = std::chrono::steady_clock::now();
            terminated.store(ks->terminate());
            // Generous on a loaded machine: a stopped run takes one chunk
            // (a MiB of work). Not stopped by then: end the loop.
            if (!eventually([&] { return done.load(); }, 2000ms)) {
                gave_up.store(true);
                flag(*inst).store(1);
            }
        });
        RunResult r = inst->run(name, {});
        auto t_end = std::chrono::steady_clock::now();
        done.store(true);
        killer.join();
        CHECK(terminated.load());
        CHECK_FALSE(gave_up.load());
        CHECK(r.kind == RunResult::Kind::Exited);
        CHECK(r.killed);
        CHECK(t_end - t_kill < 2s);
        // The instance stays usable: one more round of the operation returns.
        flag(*inst).store(1);
        CHECK(inst->run(name, {}).kind == RunResult::Kind::Returned);
        CHECK_FALSE(inst->kill_pending());
    }
}

TEST_CASE("chunked bulk copies copy overlapping ranges right in both directions", "[runtime][lifecycle][kill]") {
    auto inst = make_instance();
    uint8_t *heap = inst->heap();
    constexpr uint32_t n = 3 << 20;  // several chunks
    for (int64_t shift : {1, -1, 4096 + 3, -(1 << 20) - 5}) {
        INFO("shift " << shift);
        for (uint32_t i = 0; i < n + (3 << 20); i++) heap[i] = static_cast<uint8_t>(i * 7 + i / 251);
        uint32_t src = 2 << 20, dst = static_cast<uint32_t>(src + shift);
        std::vector<uint8_t> want(heap + src, heap + src + n);
        RunResult r = inst->run("mcopy", std::vector<Val>{Val::i32(dst), Val::i32(src), Val::i32(n)});
        REQUIRE(r.kind == RunResult::Kind::Returned);
        CHECK(std::equal(want.begin(), want.end(), heap + dst));
    }
    // table.copy within one table, over several chunks of elements.
    auto f = inst->func_ref("f");
    REQUIRE(f.ok());
    constexpr uint32_t m = 100000;
    for (int shift : {1, -1}) {
        INFO("table shift " << shift);
        for (uint32_t i = 0; i < m + 2; i++)
            REQUIRE(inst->table_set("t", i, i % 3 == 0 ? *f : Val{ValType::FuncRef, 0}).ok());
        uint32_t src = 1, dst = src + shift;
        RunResult r = inst->run("tcopy", std::vector<Val>{Val::i32(dst), Val::i32(src), Val::i32(m)});
        REQUIRE(r.kind == RunResult::Kind::Returned);
        for (uint32_t i = 0; i < m; i += 997) {
            auto v = inst->table_get("t", dst + i);
            REQUIRE(v.ok());
            CHECK(v->bits == ((src + i) % 3 == 0 ? f->bits : 0));
        }
    }
}

TEST_CASE("terminate called many times on one run keeps one watchdog entry", "[runtime][lifecycle][kill]") {
    auto inst = make_instance();
    // Entries of earlier tests' runs are gone within a few ticks.
    REQUIRE(eventually([] { return rt::watchdog_entries() == 0; }, 2000ms));
    g_started.store(0);
    g_release.store(0);
    auto ks = inst->kill_switch();
    std::atomic<size_t> entries{0};
    std::atomic<int> refused{0};
    std::thread killer([&] {
        while (!g_started.load()) std::this_thread::sleep_for(100us);
        for (int i = 0; i < 10000; i++)
            if (!ks->terminate()) refused++;
        // Another switch of the same run: the same entry.
        if (!inst->kill_switch()->terminate()) refused++;
        std::this_thread::sleep_for(5ms);  // a few watchdog ticks
        entries.store(rt::watchdog_entries());
        g_release.store(1);
    });
    RunResult r = inst->run("wait", {});
    killer.join();
    CHECK(refused.load() == 0);
    CHECK(entries.load() == 1);
    REQUIRE(r.kind == RunResult::Kind::Exited);
    CHECK(r.killed);
    // That run is over: its entry goes, and the switch is stale.
    CHECK(eventually([] { return rt::watchdog_entries() == 0; }, 2000ms));
    CHECK_FALSE(ks->terminate());
}
