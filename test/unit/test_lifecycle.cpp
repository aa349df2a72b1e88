// test_lifecycle.cpp: the embedder-facing lifecycle of instances: the kill
// switch, yield/resume, reset, run_start, grow_memory, copy-on-write data
// segments and the ErrorKind of instantiation failures.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "compiler/compiler.h"
#include "rt_test_modules.h"

using namespace lucet;
using namespace std::chrono_literals;

namespace {

using rt_test::compile_wat;
using rt_test::run_i32;

// A module exercising everything here. Imports: env.yield_i32 (i32)->i32
// yields its argument and returns the resumed value; env.started () sets a
// flag the killer thread waits for; env.slow () sleeps 30 ms in the host.
const char *kLifeWat = R"WAT(
(module
  (import "env" "yield_i32" (func $yield (param i32) (result i32)))
  (import "env" "started" (func $started))
  (import "env" "slow" (func $slow))
  (memory 1 4)
  (table 2 funcref)
  (global $g (mut i32) (i32.const 7))
  (global $s (mut i32) (i32.const 0))
  (data (i32.const 16) "hello")
  (func $one (result i32) i32.const 1)
  (elem (i32.const 0) $one)
  (func $start (global.set $s (i32.const 1)))
  (start $start)
  (func (export "spin") (call $started) (loop $l (br $l)))
  (func (export "slow_then_spin") (call $started) (call $slow) (loop $l (br $l)))
  (func (export "slow_then_return") (result i32) (call $started) (call $slow) (i32.const 5))
  (func (export "yield3") (result i32)
    (i32.add (i32.add (call $yield (i32.const 1)) (call $yield (i32.const 2))) (call $yield (i32.const 3))))
  (func (export "modify")
    (i32.store8 (i32.const 16) (i32.const 65))
    (i32.store (i32.const 1000) (i32.const 0xdeadbeef))
    (global.set $g (i32.const 5))
    (table.set 0 (i32.const 0) (ref.null func))
    (drop (memory.grow (i32.const 1))))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "get_g") (result i32) (global.get $g))
  (func (export "get_s") (result i32) (global.get $s))
  (func (export "size") (result i32) (memory.size))
  (func (export "call0") (result i32) (call_indirect (result i32) (i32.const 0)))
)
)WAT";

std::atomic<int> g_started{0};
std::atomic<int> g_slow_done{0};

uint32_t host_yield_i32(lucet_vmctx *ctx, uint32_t v) {
    Val r = Instance::from_vmctx(ctx)->yield(Val::i32(v));
    return static_cast<uint32_t>(r.bits);
}
void host_started(lucet_vmctx *) { g_started.fetch_add(1); }
std::atomic<int> g_saw_pending{0};
void host_slow(lucet_vmctx *ctx) {
    // A host function the kill switch must not cut short. Sleep in small
    // steps: the watchdog's signals may end a nanosleep early.
    auto until = std::chrono::steady_clock::now() + 30ms;
    while (std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
    g_saw_pending.store(Instance::from_vmctx(ctx)->kill_pending() ? 1 : 0);
    g_slow_done.store(1);
}

Result<Extern> life_imports(std::string_view m, std::string_view f, ExternKind) {
    Extern e;
    e.kind = ExternKind::Func;
    if (m == "env" && f == "yield_i32") {
        e.func_type = FuncType{{ValType::I32}, {ValType::I32}};
        e.code = reinterpret_cast<void *>(&host_yield_i32);
        return e;
    }
    if (m == "env" && f == "started") {
        e.code = reinterpret_cast<void *>(&host_started);
        return e;
    }
    if (m == "env" && f == "slow") {
        e.code = reinterpret_cast<void *>(&host_slow);
        return e;
    }
    return make_error("no such host function");
}

std::shared_ptr<DlModule> life_module() {
    static std::shared_ptr<DlModule> m;
    if (!m) m = compile_wat("lifecycle", kLifeWat);
    return m;
}

std::shared_ptr<Instance> make_life(const std::shared_ptr<Region> &region, InstanceOptions opts = {}) {
    auto inst = Instance::create(region, life_module(), life_imports, opts);
    if (!inst) FAIL(inst.error().to_string());
    return *inst;
}

std::shared_ptr<Region> region(size_t n = 2) {
    auto r = Region::create(n, RegionLimits{});
    REQUIRE(r.ok());
    return *r;
}


// Runs `export_name` on this thread while another thread waits for the
// guest's env.started, lets `delay` pass and pulls the kill switch.
// Returns the result and the kill latency (terminate() to run() returning).
struct KillOutcome {
    RunResult r;
    bool terminated = false;
    std::chrono::nanoseconds latency{};
};
KillOutcome run_and_kill(Instance &inst, const char *export_name, std::chrono::milliseconds delay) {
    g_started.store(0);
    auto ks = inst.kill_switch();
    std::atomic<int64_t> t_kill{0};
    std::atomic<bool> terminated{false};
    std::thread killer([&] {
        while (g_started.load() == 0) std::this_thread::sleep_for(100us);
        std::this_thread::sleep_for(delay);
        t_kill.store(std::chrono::steady_clock::now().time_since_epoch().count());
        terminated.store(ks->terminate());
    });
    KillOutcome o;
    o.r = inst.run(export_name, {});
    auto t_end = std::chrono::steady_clock::now().time_since_epoch().count();
    killer.join();
    o.terminated = terminated.load();
    o.latency = std::chrono::nanoseconds(t_end - t_kill.load());
    return o;
}

}  // namespace

TEST_CASE("the kill switch stops a guest in loop { br 0 }", "[runtime][lifecycle][kill]") {
    auto r = region();
    auto inst = make_life(r);
    for (int i = 0; i < 3; i++) {
        KillOutcome o = run_and_kill(*inst, "spin", 5ms);
        REQUIRE(o.r.kind == RunResult::Kind::Exited);
        CHECK(o.r.killed);
        CHECK(o.r.exit_code == 0);
        CHECK(o.terminated);
        CHECK(o.latency < 100ms);
        // The instance stays usable and later runs are not killed.
        CHECK(run_i32(*inst, "get_g") == 7);
    }
}

TEST_CASE("a kill racing with the start of a run is never lost", "[runtime][lifecycle][kill]") {
    auto r = region();
    auto inst = make_life(r);
    for (int i = 0; i < 50; i++) {
        auto ks = inst->kill_switch();  // targets the run about to start
        std::atomic<bool> go{false};
        bool terminated = false;
        std::thread killer([&] {
            while (!go.load()) {
            }
            if (i % 2) std::this_thread::sleep_for(std::chrono::microseconds(i));
            terminated = ks->terminate();
        });
        go.store(true);
        RunResult res = inst->run("spin", {});
        killer.join();
        REQUIRE(res.kind == RunResult::Kind::Exited);
        CHECK(res.killed);
        CHECK(terminated);
    }
}

TEST_CASE("kills and short runs interleaving at random never misreport", "[runtime][lifecycle][kill]") {
    auto r = region();
    auto inst = make_life(r);
    std::atomic<bool> stop{false};
    std::atomic<std::shared_ptr<KillSwitch>> current;
    int killed = 0, returned = 0;
    std::thread killer([&] {
        while (!stop.load()) {
            if (auto k = current.load()) k->terminate();
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        }
    });
    for (int i = 0; i < 2000; i++) {
        // A fresh switch per run; the killer may still hold the previous one (stale).
        current.store(inst->kill_switch());
        RunResult res = inst->run("get_g", {});
        if (res.kind == RunResult::Kind::Exited) {
            REQUIRE(res.killed);
            killed++;
        } else {
            REQUIRE(res.kind == RunResult::Kind::Returned);
            REQUIRE(res.values.size() == 1);
            REQUIRE(res.values[0].bits == 7);
            returned++;
        }
        current.store(nullptr);
        std::this_thread::sleep_for(std::chrono::microseconds(10));
    }
    stop.store(true);
    killer.join();
    INFO("killed " << killed << ", returned " << returned);
    CHECK(killed + returned == 2000);
    CHECK(returned > 0);
}

TEST_CASE("a stale kill switch does not kill a later run", "[runtime][lifecycle][kill]") {
    auto r = region();
    auto inst = make_life(r);
    auto ks = inst->kill_switch();             // targets the next run...
    CHECK(run_i32(*inst, "get_g") == 7);       // ...which finishes normally
    CHECK_FALSE(ks->terminate());              // that run is over
    CHECK(run_i32(*inst, "get_g") == 7);       // and nothing is pending
    CHECK_FALSE(ks->terminate());

    SECTION("reset makes switches stale too") {
        auto ks2 = inst->kill_switch();
        REQUIRE(inst->reset().ok());
        CHECK_FALSE(ks2->terminate());
        CHECK(run_i32(*inst, "get_g") == 7);
    }
    SECTION("a switch outliving its instance is inert") {
        auto ks3 = inst->kill_switch();
        inst.reset();
        CHECK_FALSE(ks3->terminate());
    }
}

TEST_CASE("a kill before the run makes the run return killed at once", "[runtime][lifecycle][kill]") {
    auto r = region();
    auto inst = make_life(r);
    auto ks = inst->kill_switch();
    CHECK(ks->terminate());
    CHECK(ks->terminate());  // still pending for the same run
    g_started.store(0);
    RunResult res = inst->run("spin", {});
    REQUIRE(res.kind == RunResult::Kind::Exited);
    CHECK(res.killed);
    CHECK(g_started.load() == 0);  // the guest never ran
    CHECK(run_i32(*inst, "get_g") == 7);
}

TEST_CASE("a kill while in a host function takes effect back in the guest", "[runtime][lifecycle][kill]") {
    auto r = region();
    auto inst = make_life(r);
    SECTION("the guest then loops: stopped") {
        g_slow_done.store(0);
        KillOutcome o = run_and_kill(*inst, "slow_then_spin", 5ms);
        REQUIRE(o.r.kind == RunResult::Kind::Exited);
        CHECK(o.r.killed);
        CHECK(o.terminated);
        CHECK(g_slow_done.load() == 1);  // the host function was not cut short
        CHECK(g_saw_pending.load() == 1);  // and could see the kill coming
        CHECK_FALSE(inst->kill_pending());
    }
    SECTION("the guest then returns at once: the run may finish") {
        // terminate() said the run would stop; the guest had no module code
        // left but the return sequence, so either outcome is allowed, and a
        // finished run leaves nothing pending.
        g_slow_done.store(0);
        KillOutcome o = run_and_kill(*inst, "slow_then_return", 5ms);
        CHECK(g_slow_done.load() == 1);
        CHECK(o.terminated);
        CHECK((o.r.kind == RunResult::Kind::Returned || (o.r.kind == RunResult::Kind::Exited && o.r.killed)));
        CHECK(run_i32(*inst, "get_g") == 7);
    }
}

TEST_CASE("yield and resume pass values both ways, several times in one run", "[runtime][lifecycle][yield]") {
    auto r = region();
    auto inst = make_life(r);
    for (int round = 0; round < 2; round++) {
        RunResult res = inst->run("yield3", {});
        REQUIRE(res.kind == RunResult::Kind::Yielded);
        CHECK(res.yielded.bits == 1);
        CHECK(inst->is_yielded());

        // Not allowed while yielded.
        RunResult again = inst->run("get_g", {});
        CHECK(again.kind == RunResult::Kind::Error);
        CHECK(again.error.kind == ErrorKind::InvalidArgument);
        Status st = inst->reset();
        CHECK_FALSE(st.ok());
        CHECK(st.error().kind == ErrorKind::InvalidArgument);

        res = inst->resume(Val::i32(10));
        REQUIRE(res.kind == RunResult::Kind::Yielded);
        CHECK(res.yielded.bits == 2);
        res = inst->resume(Val::i32(20));
        REQUIRE(res.kind == RunResult::Kind::Yielded);
        CHECK(res.yielded.bits == 3);
        res = inst->resume(Val::i32(300));
        REQUIRE(res.kind == RunResult::Kind::Returned);
        REQUIRE(res.values.size() == 1);
        CHECK(res.values[0].bits == 330);
        CHECK_FALSE(inst->is_yielded());
    }
    RunResult bad = inst->resume();
    CHECK(bad.kind == RunResult::Kind::Error);

    SECTION("a kill while yielded stops the resume") {
        RunResult res = inst->run("yield3", {});
        REQUIRE(res.kind == RunResult::Kind::Yielded);
        auto ks = inst->kill_switch();
        CHECK(ks->terminate());
        res = inst->resume(Val::i32(1));
        REQUIRE(res.kind == RunResult::Kind::Exited);
        CHECK(res.killed);
        CHECK_FALSE(inst->is_yielded());
        CHECK(run_i32(*inst, "get_g") == 7);
    }
}

TEST_CASE("reset restores memory, globals, tables and data", "[runtime][lifecycle][reset]") {
    auto r = region();
    auto inst = make_life(r);
    CHECK(run_i32(*inst, "get_s") == 1);  // the start function ran
    RunResult m = inst->run("modify", {});
    REQUIRE(m.kind == RunResult::Kind::Returned);
    CHECK(run_i32(*inst, "peek", {Val::i32(16)}) == 'A');
    CHECK(run_i32(*inst, "get_g") == 5);
    CHECK(run_i32(*inst, "size") == 2);
    CHECK(inst->run("call0", {}).kind == RunResult::Kind::Trapped);

    REQUIRE(inst->reset().ok());
    CHECK(run_i32(*inst, "peek", {Val::i32(16)}) == 'h');
    CHECK(run_i32(*inst, "peek", {Val::i32(1000)}) == 0);
    CHECK(run_i32(*inst, "get_g") == 7);
    CHECK(run_i32(*inst, "size") == 1);
    CHECK(run_i32(*inst, "call0") == 1);
    CHECK(run_i32(*inst, "get_s") == 0);  // reset does not run start...
    RunResult st = inst->run_start();      // ...run_start does
    CHECK(st.kind == RunResult::Kind::Returned);
    CHECK(run_i32(*inst, "get_s") == 1);
    // The old second page is gone again.
    CHECK(inst->run("peek", std::vector<Val>{Val::i32(65536)}).kind == RunResult::Kind::Trapped);
}

TEST_CASE("reset keeps exported tables and memory valid for importers", "[runtime][lifecycle][reset]") {
    auto r = region(2);
    auto exp = compile_wat("reset_exporter", R"WAT(
(module
  (table (export "tab") 2 funcref)
  (memory (export "mem") 1)
  (func $seven (result i32) i32.const 7)
  (elem (i32.const 0) $seven)
  (func (export "clear") (table.set 0 (i32.const 0) (ref.null func)))
)
)WAT");
    auto imp = compile_wat("reset_importer", R"WAT(
(module
  (import "e" "tab" (table 2 funcref))
  (import "e" "mem" (memory 1))
  (func (export "call0") (result i32) (call_indirect (result i32) (i32.const 0)))
  (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
)
)WAT");
    auto e = Instance::create(r, exp, rt_test::no_imports());
    REQUIRE(e.ok());
    auto i = Instance::create(r, imp, [&](std::string_view, std::string_view f, ExternKind k) {
        return (*e)->get_export(f, k);
    });
    REQUIRE(i.ok());
    CHECK(run_i32(**i, "call0") == 7);
    REQUIRE((*e)->run("clear", {}).kind == RunResult::Kind::Returned);
    CHECK((*i)->run("call0", {}).kind == RunResult::Kind::Trapped);
    (*e)->heap()[3] = 9;
    CHECK(run_i32(**i, "peek", {Val::i32(3)}) == 9);
    REQUIRE((*e)->reset().ok());
    CHECK(run_i32(**i, "call0") == 7);                     // same table object, refilled
    CHECK(run_i32(**i, "peek", {Val::i32(3)}) == 0);       // same memory, fresh pages
}

TEST_CASE("run_start and InstanceOptions", "[runtime][lifecycle]") {
    auto r = region();
    int tag = 0;
    InstanceOptions o;
    o.run_start = false;
    o.embed_ctx = &tag;
    auto inst = make_life(r, o);
    CHECK(inst->embed_ctx() == &tag);
    CHECK(run_i32(*inst, "get_s") == 0);
    CHECK(inst->run_start().kind == RunResult::Kind::Returned);
    CHECK(run_i32(*inst, "get_s") == 1);
}

TEST_CASE("grow_memory from the host", "[runtime][lifecycle]") {
    auto r = region();
    auto inst = make_life(r);
    CHECK(inst->grow_memory(1) == 1);
    CHECK(run_i32(*inst, "size") == 2);
    CHECK(inst->heap_len() == 2 * 65536);
    CHECK(inst->grow_memory(0) == 2);
    CHECK(inst->grow_memory(3) == 0xffffffffu);  // max 4
    CHECK(inst->grow_memory(2) == 2);
    CHECK(run_i32(*inst, "peek", {Val::i32(4 * 65536 - 1)}) == 0);
}

TEST_CASE("instantiation errors carry their ErrorKind", "[runtime][lifecycle][errors]") {
    auto r = region(1);
    auto inst = make_life(r);
    auto full = Instance::create(r, life_module(), life_imports, InstanceOptions{});
    REQUIRE_FALSE(full.ok());
    CHECK(full.error().kind == ErrorKind::RegionFull);
    inst.reset();

    auto missing = Instance::create(r, life_module(), [](std::string_view m, std::string_view f, ExternKind k) {
        if (f == "slow") return Result<Extern>(make_error("not provided"));
        return life_imports(m, f, k);
    });
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::ImportMissing);

    auto badtype = Instance::create(r, life_module(), [](std::string_view m, std::string_view f, ExternKind k) {
        auto e = life_imports(m, f, k);
        if (f == "slow" && e.ok()) e->func_type = FuncType{{ValType::I64}, {}};
        return e;
    });
    REQUIRE_FALSE(badtype.ok());
    CHECK(badtype.error().kind == ErrorKind::ImportType);

    auto limits = Region::create(1, RegionLimits{.heap_address_space = 1ull << 30, .max_heap_size = 1ull << 30});
    REQUIRE(limits.ok());
    auto toobig = Instance::create(*limits, life_module(), life_imports);
    REQUIRE_FALSE(toobig.ok());
    CHECK(toobig.error().kind == ErrorKind::Limits);

    auto trapping = compile_wat("start_traps", "(module (func $s unreachable) (start $s))");
    auto t = Instance::create(r, trapping, life_imports);
    REQUIRE_FALSE(t.ok());
    CHECK(t.error().kind == ErrorKind::Instantiate);
    CHECK(r->used() == 0);
}

// ------------------------------------------------------------ copy-on-write data

namespace {

// 96 KiB of data in three segments (one overlapping), mapped from the module file.
std::string big_data_wat() {
    std::string a(40000, 'a'), b(40000, 'b'), c(20000, 'c');
    return "(module (memory 2)\n"
           "  (data (i32.const 0) \"" + a + "\")\n"
           "  (data (i32.const 40000) \"" + b + "\")\n"
           "  (data (i32.const 70000) \"" + c + "\")\n"
           "  (func (export \"peek\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n"
           "  (func (export \"poke\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))\n";
}

}  // namespace

TEST_CASE("data segments are mapped copy-on-write and restored by reset/release", "[runtime][lifecycle][cow]") {
    auto r = region(2);
    auto big = compile_wat("bigdata", big_data_wat());
    auto i1 = Instance::create(r, big, rt_test::no_imports());
    REQUIRE(i1.ok());
    auto i2 = Instance::create(r, big, rt_test::no_imports());
    REQUIRE(i2.ok());
    auto peek = [](Instance &in, uint32_t a) { return run_i32(in, "peek", {Val::i32(a)}); };
    for (Instance *in : {i1->get(), i2->get()}) {
        CHECK(peek(*in, 0) == 'a');
        CHECK(peek(*in, 39999) == 'a');
        CHECK(peek(*in, 40000) == 'b');
        CHECK(peek(*in, 69999) == 'b');
        CHECK(peek(*in, 70000) == 'c');
        CHECK(peek(*in, 89999) == 'c');
        CHECK(peek(*in, 90000) == 0);
        CHECK(peek(*in, 131071) == 0);
    }
    // A write is private to its instance.
    REQUIRE((*i1)->run("poke", std::vector<Val>{Val::i32(5), Val::i32('X')}).kind == RunResult::Kind::Returned);
    REQUIRE((*i1)->run("poke", std::vector<Val>{Val::i32(100000), Val::i32('Y')}).kind == RunResult::Kind::Returned);
    CHECK(peek(**i1, 5) == 'X');
    CHECK(peek(**i2, 5) == 'a');
    // Reset brings the image back and zeroes the rest.
    REQUIRE((*i1)->reset().ok());
    CHECK(peek(**i1, 5) == 'a');
    CHECK(peek(**i1, 100000) == 0);

    // After release, a slot that held an image starts from zeroes for a
    // module without data.
    i1 = make_error("released");
    i2 = make_error("released");
    REQUIRE(r->used() == 0);
    auto plain = compile_wat("nodata", "(module (memory 2) (func (export \"peek\") (param i32) (result i32) "
                                       "(i32.load8_u (local.get 0))))");
    auto p1 = Instance::create(r, plain, rt_test::no_imports());
    auto p2 = Instance::create(r, plain, rt_test::no_imports());
    REQUIRE(p1.ok());
    REQUIRE(p2.ok());
    for (Instance *in : {p1->get(), p2->get()})
        for (uint32_t a : {0u, 5u, 40000u, 70000u, 89999u}) CHECK(peek(*in, a) == 0);
}
