// test_escape.cpp: "bounds checked" means every heap access is checked.
//
// A module compiled for the default layout (4 GiB reserved + 4 GiB guard,
// no explicit checks) that holds one access needing an explicit check (a
// large offset, in a function never called) must not count as bounds
// checked: in a region with a small heap address space its unchecked
// accesses would reach the next slot (another tenant's heap and vmctx). The
// runtime checks the module's layout against the region whatever the flag
// says, and refuses a descriptor whose flag contradicts its layout.
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "rt_test_modules.h"
#include "runtime/runtime.h"
#include "trust_test_util.h"

using namespace lucet;

namespace {

// `never` needs an explicit check (offset 0xffffffff is beyond any guard);
// poke/peek are plain accesses, unchecked under the default layout.
constexpr const char *kTenantWat = R"((module
  (memory (export "memory") 1 1)
  (func (export "never") (result i32) (i32.load offset=0xffffffff (i32.const 0)))
  (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "peek") (param i32) (result i32) (i32.load (local.get 0)))))";

std::shared_ptr<DlModule> load_ok(const std::string &so) {
    auto m = DlModule::load(so);
    if (!m) FAIL("load " << so << ": " << m.error().to_string());
    return *m;
}

std::shared_ptr<DlModule> tenant_module(uint64_t reserved, uint64_t guard) {
    CompileOptions o;
    o.reserved_size = reserved;
    o.guard_size = guard;
    return load_ok(trust_test::compile_wat("tenant_" + std::to_string(reserved) + "_" + std::to_string(guard),
                                           kTenantWat, o));
}

// Two adjacent slots with a 64 KiB heap address space each.
RegionLimits small_slots() {
    RegionLimits lim;
    lim.heap_address_space = 64 << 10;
    lim.max_heap_size = 64 << 10;
    lim.stack_size = 128 << 10;
    lim.globals_size = 4096;
    return lim;
}

RunResult run(Instance &i, const char *name, std::initializer_list<uint32_t> args) {
    std::vector<Val> v;
    for (uint32_t a : args) v.push_back(Val::i32(a));
    return i.run(name, v);
}

uint32_t peek(Instance &i, uint32_t addr) {
    RunResult r = run(i, "peek", {addr});
    REQUIRE(r.kind == RunResult::Kind::Returned);
    return static_cast<uint32_t>(r.values.at(0).bits);
}

}  // namespace

TEST_CASE("the bounds-checked flag means every access is checked", "[escape]") {
    // Default layout: one checked access among unchecked ones.
    CHECK((tenant_module(4ull << 30, 4ull << 30)->desc().flags & LUCET_MODULE_BOUNDS_CHECKED) == 0);
    CHECK((tenant_module(4ull << 30, 64 << 10)->desc().flags & LUCET_MODULE_BOUNDS_CHECKED) == 0);
    // At most 4 GiB of reserved + guard: every access is checked.
    CHECK((tenant_module(4ull << 30, 0)->desc().flags & LUCET_MODULE_BOUNDS_CHECKED) != 0);
    CHECK((tenant_module(64 << 10, 0)->desc().flags & LUCET_MODULE_BOUNDS_CHECKED) != 0);
}

TEST_CASE("a module compiled for the default layout is refused by a small region", "[escape]") {
    auto m = tenant_module(4ull << 30, 4ull << 30);
    auto region = Region::create(1, small_slots());
    REQUIRE(region.ok());
    auto i = Instance::create(*region, m, rt_test::no_imports());
    REQUIRE_FALSE(i.ok());
    CHECK(i.error().kind == ErrorKind::Limits);
    CHECK_THAT(i.error().message, Catch::Contains("module was compiled for 8 GiB of heap address space"));
    CHECK_THAT(i.error().message, Catch::Contains("region provides 64 KiB"));
    CHECK((*region)->used() == 0);
}

TEST_CASE("two tenants in adjacent small slots cannot reach each other", "[escape]") {
    auto region = Region::create(2, small_slots());
    REQUIRE(region.ok());
    auto escaper = tenant_module(4ull << 30, 4ull << 30);  // unchecked accesses
    auto checked = tenant_module(64 << 10, 0);             // every access checked

    // The attacker asks first, so it would get slot 0 and its victim the
    // slot after it: the victim's heap and vmctx lie at small positive
    // offsets from the attacker's heap.
    auto attacker = Instance::create(*region, escaper, rt_test::no_imports());
    auto victim = Instance::create(*region, checked, rt_test::no_imports());
    if (!victim) FAIL(victim.error().to_string());
    Instance &b = **victim;
    REQUIRE(run(b, "poke", {0, 0x600df00d}).kind == RunResult::Kind::Returned);
    Instance::SlotLayout lb = b.slot_layout();
    std::vector<uint8_t> vmctx_before(lb.vmctx, lb.vmctx + 4096);

    auto attack = [&](Instance &a) {
        Instance::SlotLayout la = a.slot_layout();
        uintptr_t heap_a = reinterpret_cast<uintptr_t>(la.heap);
        // Into the victim's heap, and into its globals area.
        uint32_t to_heap = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(lb.heap) - heap_a);
        uint32_t to_vmctx =
            static_cast<uint32_t>(reinterpret_cast<uintptr_t>(lb.vmctx) + LUCET_VMCTX_GLOBALS_OFFSET + 64 - heap_a);
        for (uint32_t addr : {to_heap, to_vmctx}) {
            INFO("attacker writes at wasm address 0x" << std::hex << addr);
            RunResult w = run(a, "poke", {addr, 0xbadbad});
            CHECK(w.kind == RunResult::Kind::Trapped);
            if (w.kind == RunResult::Kind::Trapped) CHECK(w.trap.code == LUCET_TRAP_HEAP_OOB);
            RunResult r = run(a, "peek", {addr});
            CHECK(r.kind == RunResult::Kind::Trapped);
        }
    };
    if (attacker.ok()) {
        attack(**attacker);  // (the old runtime let it in: the write lands)
        FAIL_CHECK("a module with unchecked accesses was instantiated in a 64 KiB slot");
        attacker = make_error("released");  // its slot, for the checked attacker below
    } else {
        CHECK(attacker.error().kind == ErrorKind::Limits);
        CHECK_THAT(attacker.error().message, Catch::Contains("module was compiled for 8 GiB of heap address space"));
    }
    // A module whose every access is checked may share the region: its
    // attempts trap.
    auto second = Instance::create(*region, checked, rt_test::no_imports());
    REQUIRE(second.ok());
    attack(**second);

    CHECK(peek(b, 0) == 0x600df00d);
    CHECK(std::memcmp(vmctx_before.data(), lb.vmctx, vmctx_before.size()) == 0);
}

TEST_CASE("the loader refuses a bounds-checked flag its layout contradicts", "[escape]") {
    // The hand-written main module (no explicit checks) claiming the flag.
    auto source = [](uint64_t reserved, uint64_t guard) {
        std::string s = rt_test::main_module_source({.reserved = reserved, .guard = guard});
        size_t at = s.find(".flags = 0,");
        REQUIRE(at != std::string::npos);
        s.replace(at, 11, ".flags = LUCET_MODULE_BOUNDS_CHECKED,");
        return s;
    };
    auto bad = DlModule::load(rt_test::build_so("claims_checked", source(4ull << 30, 4ull << 30)));
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.error().message, Catch::Contains("claims every heap access is bounds checked"));
    CHECK_THAT(bad.error().message, Catch::Contains("reserved 4 GiB + guard 4 GiB"));
    // With a layout that forces checks everywhere the claim is consistent.
    auto good = DlModule::load(rt_test::build_so("claims_checked_small", source(64 << 10, 0)));
    CHECK(good.ok());
}
