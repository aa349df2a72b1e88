// test_link_lifetime.cpp: instances linked to each other (imports of another
// instance's table, global, memory or function) against a hostile guest and
// a careless embedder: whichever instance is released first, no reference
// of the survivor may dangle (a released instance's slot, reused by a new
// instance, would otherwise give the survivor's call_indirect the new
// instance's globals and memory), and a call chain across instances keeps
// the stack check of the stack it runs on.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "rt_test_modules.h"

using namespace lucet;

namespace {

using rt_test::compile_wat;
using rt_test::run_i32;

// The exporter: a funcref table, a mutable funcref global, a memory, an i32
// global and a function; "call" calls through the table.
const char *kOwnerWat = R"WAT(
(module
  (table $t (export "tab") 2 10 funcref)
  (global $g (export "g") (mut funcref) (ref.null func))
  (global (export "gi") (mut i32) (i32.const 5))
  (memory (export "mem") 1 4)
  (data (i32.const 8) "\2a")
  (func (export "call") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))
  (func (export "call_g") (result i32)
    (table.set $t (i32.const 1) (global.get $g))
    (call_indirect (result i32) (i32.const 1)))
  (func (export "answer") (result i32) (i32.const 42))
)
)WAT";

// The importer: writes its own function $own (returns its global, 111) into
// the exporter's table and global in every way a guest can.
const char *kGuestWat = R"WAT(
(module
  (import "a" "tab" (table $t 2 10 funcref))
  (import "a" "g" (global $g (mut funcref)))
  (global $mine (mut i32) (i32.const 111))
  (func $own (result i32) (global.get $mine))
  (elem (i32.const 0) $own)
  (export "tab2" (table $t))
  (export "own" (func $own))
  (func (export "set1") (table.set $t (i32.const 1) (ref.func $own)))
  (func (export "grow") (result i32) (table.grow $t (ref.func $own) (i32.const 1)))
  (func (export "fill") (table.fill $t (i32.const 0) (ref.func $own) (i32.const 2)))
  (func (export "store_g") (global.set $g (ref.func $own)))
)
)WAT";

// Unrelated to both: its second global sits where the importer's $mine was.
const char *kSecretWat = R"WAT(
(module
  (global i32 (i32.const 0))
  (global i32 (i32.const 0x5ec2e7))
  (func (export "secret") (result i32) (global.get 1))
)
)WAT";

// Uses everything the exporter exports.
const char *kUserWat = R"WAT(
(module
  (import "a" "tab" (table $t 2 10 funcref))
  (import "a" "gi" (global $gi (mut i32)))
  (import "a" "mem" (memory 1 4))
  (import "a" "answer" (func $answer (result i32)))
  (func (export "peek") (result i32) (i32.load8_u (i32.const 8)))
  (func (export "poke") (i32.store8 (i32.const 8) (i32.const 9)))
  (func (export "gi") (result i32) (global.get $gi))
  (func (export "set_gi") (global.set $gi (i32.const 77)))
  (func (export "answer") (result i32) (call $answer))
  (func (export "grow_mem") (result i32) (memory.grow (i32.const 1)))
  (func (export "grow_tab") (result i32) (table.grow $t (ref.null func) (i32.const 1)))
  (func (export "size_tab") (result i32) (table.size $t))
  (func (export "null0") (result i32) (ref.is_null (table.get $t (i32.const 0))))
)
)WAT";

std::shared_ptr<Region> region(size_t n) {
    auto r = Region::create(n, RegionLimits{});
    REQUIRE(r.ok());
    return *r;
}

RunResult run(Instance &inst, const char *name, std::vector<Val> args = {}) { return inst.run(name, args); }


ImportResolver exports_of(Instance &exporter) {
    return [&exporter](std::string_view, std::string_view f, ExternKind k) { return exporter.get_export(f, k); };
}

}  // namespace

TEST_CASE("an importer's funcref stored in the exporter's table or global survives the importer's release",
          "[runtime][link][escape]") {
    auto owner_mod = compile_wat("lk_owner", kOwnerWat);
    auto guest_mod = compile_wat("lk_guest", kGuestWat);
    auto secret_mod = compile_wat("lk_secret", kSecretWat);
    auto r = region(3);
    auto a = Instance::create(r, owner_mod, rt_test::no_imports());
    REQUIRE(a.ok());
    std::shared_ptr<Instance> owner = std::move(*a);
    auto b = Instance::create(r, guest_mod, exports_of(*owner));  // elem segment: tab[0] = $own
    REQUIRE(b.ok());
    std::shared_ptr<Instance> guest = std::move(*b);

    // Each way of getting the guest's function into the owner's storage; the
    // owner then calls it through `probe`.
    const char *probe = "call";
    uint32_t idx = 0;
    SECTION("elem segment") {}
    SECTION("table.set") {
        REQUIRE(run(*guest, "set1").kind == RunResult::Kind::Returned);
        idx = 1;
    }
    SECTION("table.grow") {
        idx = run_i32(*guest, "grow");
        CHECK(idx == 2);
    }
    SECTION("table.fill") {
        REQUIRE(run(*guest, "fill").kind == RunResult::Kind::Returned);
        idx = 1;
    }
    SECTION("global.set of the exporter's funcref global") {
        REQUIRE(run(*guest, "store_g").kind == RunResult::Kind::Returned);
        probe = "call_g";
    }
    SECTION("the host's table_set on the table the importer re-exports") {
        auto ref = guest->func_ref("own");
        REQUIRE(ref.ok());
        REQUIRE(guest->table_set("tab2", 1, *ref).ok());
        idx = 1;
    }
    auto call_owner = [&] {
        return std::string(probe) == "call" ? run_i32(*owner, probe, {Val::i32(idx)}) : run_i32(*owner, probe);
    };
    CHECK(call_owner() == 111);
    CHECK(r->used() == 2);

    // The embedder lets go of the importer; a new instance takes a free slot.
    guest.reset();
    CHECK(r->used() == 2);  // the importer's slot is kept: the owner still reaches its code
    auto c = Instance::create(r, secret_mod, rt_test::no_imports());
    REQUIRE(c.ok());
    CHECK(run_i32(**c, "secret") == 0x5ec2e7);
    // Still the released importer's function on its own globals: never the
    // new instance's (its slot would be the importer's if it had been returned).
    CHECK(call_owner() == 111);
    CHECK(call_owner() == 111);
    CHECK(r->used() == 3);

    // The last of the linked pair gone: both slots come back.
    owner.reset();
    CHECK(r->used() == 1);
    c->reset();
    CHECK(r->used() == 0);
}

TEST_CASE("an exporter released first stays usable through its importer", "[runtime][link]") {
    auto owner_mod = compile_wat("lk_owner", kOwnerWat);
    auto user_mod = compile_wat("lk_user", kUserWat);
    auto secret_mod = compile_wat("lk_secret", kSecretWat);
    auto r = region(3);
    auto a = Instance::create(r, owner_mod, rt_test::no_imports());
    REQUIRE(a.ok());
    std::shared_ptr<Instance> owner = std::move(*a);
    auto u = Instance::create(r, user_mod, exports_of(*owner));
    REQUIRE(u.ok());
    std::shared_ptr<Instance> user = std::move(*u);
    owner.reset();
    CHECK(r->used() == 2);
    auto c = Instance::create(r, secret_mod, rt_test::no_imports());  // a fresh slot
    REQUIRE(c.ok());
    CHECK(run_i32(*user, "peek") == 42);
    REQUIRE(run(*user, "poke").kind == RunResult::Kind::Returned);
    CHECK(run_i32(*user, "peek") == 9);
    CHECK(run_i32(*user, "gi") == 5);
    REQUIRE(run(*user, "set_gi").kind == RunResult::Kind::Returned);
    CHECK(run_i32(*user, "gi") == 77);
    CHECK(run_i32(*user, "answer") == 42);
    CHECK(run_i32(*user, "grow_mem") == 1);
    CHECK(user->heap_len() == 2 * 65536);
    CHECK(run_i32(*user, "grow_tab") == 2);
    CHECK(run_i32(*user, "size_tab") == 3);
    CHECK(run_i32(*user, "null0") == 1);
    CHECK(run_i32(**c, "secret") == 0x5ec2e7);
    user.reset();
    CHECK(r->used() == 1);
}

namespace {

// A host function with a 16 KiB frame (the host-call reserve is 32 KiB).
std::atomic<uint64_t> g_work{0};
extern "C" __attribute__((noinline)) void lk_host_work(lucet_vmctx *) {
    volatile char buf[16 << 10];
    for (size_t i = 0; i < sizeof buf; i += 256) buf[i] = static_cast<char>(i);
    g_work += buf[256];
}

std::atomic<int> g_block_state{0};  // 1: the guest is in lk_host_block; 2: let it go
extern "C" void lk_host_block(lucet_vmctx *) {
    g_block_state = 1;
    while (g_block_state != 2) std::this_thread::yield();
}

const char *kDeepWat = R"WAT(
(module
  (import "env" "work" (func $work))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (call $work) (i32.add (call $rec (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
)
)WAT";

const char *kCallerWat = R"WAT(
(module
  (import "b" "rec" (func $rec (param i32) (result i32)))
  (import "env" "block" (func $block))
  (func (export "go") (param i32) (result i32) (call $rec (local.get 0)))
  (func (export "block") (call $block))
)
)WAT";

Extern host_func(void (*fn)(lucet_vmctx *)) {
    Extern e;
    e.kind = ExternKind::Func;
    e.func_type = FuncType{{}, {}};
    e.code = reinterpret_cast<void *>(fn);
    return e;
}

}  // namespace

TEST_CASE("a call chain into another instance keeps the running stack's check", "[runtime][link][stack]") {
    auto deep_mod = compile_wat("lk_deep", kDeepWat);
    auto caller_mod = compile_wat("lk_caller", kCallerWat);
    auto r = region(2);
    auto d = Instance::create(r, deep_mod, [](std::string_view, std::string_view f, ExternKind) -> Result<Extern> {
        if (f == "work") return host_func(&lk_host_work);
        return make_error("no such import");
    });
    REQUIRE(d.ok());
    std::shared_ptr<Instance> deep = std::move(*d);
    auto c = Instance::create(r, caller_mod, [&](std::string_view m, std::string_view f, ExternKind k) -> Result<Extern> {
        if (m == "b") return deep->get_export(f, k);
        if (f == "block") return host_func(&lk_host_block);
        return make_error("no such import");
    });
    REQUIRE(c.ok());
    std::shared_ptr<Instance> caller = std::move(*c);

    CHECK(run_i32(*caller, "go", {Val::i32(100)}) == 100);
    CHECK(run_i32(*deep, "rec", {Val::i32(100)}) == 100);
    // Unbounded recursion of the exporter's code on the caller's stack: the
    // check against the caller's stack limit stops it before a host
    // function is entered with less than the host-call reserve left (it
    // would fault on the guard page in host code: a crash of the process).
    for (int i = 0; i < 3; i++) {
        RunResult rr = run(*caller, "go", {Val::i32(100'000'000)});
        REQUIRE(rr.kind == RunResult::Kind::Trapped);
        CHECK(rr.trap.code == LUCET_TRAP_STACK_OVERFLOW);
        rr = run(*deep, "rec", {Val::i32(100'000'000)});
        REQUIRE(rr.kind == RunResult::Kind::Trapped);
        CHECK(rr.trap.code == LUCET_TRAP_STACK_OVERFLOW);
    }
    // Limits are only in force during a run.
    CHECK(caller->vmctx()->stack_limit == 0);
    CHECK(deep->vmctx()->stack_limit == 0);
    CHECK(run_i32(*caller, "go", {Val::i32(10)}) == 10);

    // Linked instances run one at a time: while the caller runs on another
    // thread, running the exporter here is refused (the shared stack limit
    // belongs to that thread's run).
    g_block_state = 0;
    std::thread t([&] { CHECK(caller->run("block", {}).kind == RunResult::Kind::Returned); });
    while (g_block_state != 1) std::this_thread::yield();
    RunResult busy = run(*deep, "rec", {Val::i32(3)});
    CHECK(busy.kind == RunResult::Kind::Error);
    CHECK_THAT(busy.error.message, Catch::Contains("linked instance is running on another thread"));
    g_block_state = 2;
    t.join();
    CHECK(run_i32(*deep, "rec", {Val::i32(3)}) == 3);
}
