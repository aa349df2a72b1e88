// test_region.cpp: region slots: layout, guard pages, reuse, exhaustion,
// memory given back on release, and module/limits validation.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "rt_test_modules.h"

using namespace lucet;
using rt_test::main_module;
using rt_test::no_imports;

namespace {

// Readable without faulting? write(2) from the address into a pipe fails
// with EFAULT when the page is not readable.
bool readable(const void *p) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    ssize_t n = write(fds[1], p, 1);
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    if (n == 1) return true;
    REQUIRE(err == EFAULT);
    return false;
}

// In a forked child, reading p must die of SIGSEGV.
bool read_segfaults(const volatile uint8_t *p) {
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        uint8_t v = *p;
        _exit(v == 0xAB ? 1 : 0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

uint64_t rss_bytes() {
    std::ifstream f("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    f >> size >> resident;
    return resident * uint64_t(sysconf(_SC_PAGESIZE));
}

std::shared_ptr<Instance> create_ok(const std::shared_ptr<Region> &r, const std::shared_ptr<DlModule> &m) {
    auto i = Instance::create(r, m, no_imports());
    if (!i) FAIL(i.error().to_string());
    return *i;
}

uint32_t run_u32(Instance &inst, const char *name, std::initializer_list<uint32_t> args) {
    std::vector<Val> v;
    for (uint32_t a : args) v.push_back(Val::i32(a));
    RunResult r = inst.run(name, v);
    REQUIRE(r.kind == RunResult::Kind::Returned);
    return static_cast<uint32_t>(r.values.at(0).bits);
}

}  // namespace

TEST_CASE("region limits are validated", "[runtime][region]") {
    RegionLimits ok;
    CHECK(ok.validate().ok());
    RegionLimits l = ok;
    l.stack_size = 10000;
    REQUIRE_FALSE(l.validate().ok());
    CHECK_THAT(l.validate().error().message, Catch::Contains("stack_size (10000) must be a non-zero multiple of 4 KiB"));
    l = ok;
    l.max_heap_size = 16ull << 30;
    CHECK_THAT(l.validate().error().message, Catch::Contains("max_heap_size (16 GiB) exceeds heap_address_space (8 GiB)"));
    l = ok;
    l.max_heap_size = 4096;
    CHECK_THAT(l.validate().error().message, Catch::Contains("multiple of 64 KiB"));
    l = ok;
    l.hostcall_reserve = l.stack_size;
    CHECK_FALSE(l.validate().ok());
    auto r = Region::create(0, ok);
    REQUIRE_FALSE(r.ok());
    auto bad = Region::create(1, l);
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.error().message, Catch::Contains("hostcall_reserve"));
}

TEST_CASE("slot layout: vmctx, heap, guard pages, stack", "[runtime][region]") {
    RegionLimits lim;
    lim.stack_size = 256 << 10;
    auto region = Region::create(2, lim);
    REQUIRE(region.ok());
    auto m = main_module();
    REQUIRE(m);
    auto a = create_ok(*region, m);
    auto b = create_ok(*region, m);
    auto la = a->slot_layout(), lb = b->slot_layout();

    CHECK(la.vmctx == reinterpret_cast<uint8_t *>(a->vmctx()));
    CHECK(la.vmctx_size == lim.globals_size);
    CHECK(la.heap == la.vmctx + lim.globals_size);
    CHECK(la.heap_reserved == lim.heap_address_space + 65536);
    CHECK(la.stack_guard == la.heap + la.heap_reserved);
    CHECK(la.stack == la.stack_guard + 4096);
    CHECK(la.stack_size == lim.stack_size);
    CHECK(la.stack_end_guard == la.stack + lim.stack_size);
    CHECK(la.slot_size == lim.globals_size + la.heap_reserved + 4096 + lim.stack_size + 4096);
    CHECK(reinterpret_cast<uintptr_t>(la.slot) % 4096 == 0);
    // Consecutive slots of one reservation.
    CHECK((lb.slot == la.slot + la.slot_size || la.slot == lb.slot + la.slot_size));

    lucet_vmctx *ctx = a->vmctx();
    CHECK(ctx->heap == la.heap);
    CHECK(ctx->mem->base == la.heap);
    CHECK(ctx->mem->size == 65536);
    CHECK(ctx->mem->reserved == la.heap_reserved);
    CHECK(ctx->mem->max_pages == 4);
    CHECK(ctx->stack_limit == 0);  // set only while the instance runs (see test_traps: host functions)
    CHECK(Instance::from_vmctx(ctx) == a.get());

    // Accessible: vmctx page, the heap's initial page, the whole stack.
    CHECK(readable(la.vmctx));
    CHECK(readable(la.vmctx + lim.globals_size - 1));
    CHECK(readable(la.heap));
    CHECK(readable(la.heap + 65535));
    CHECK(readable(la.stack));
    CHECK(readable(la.stack + lim.stack_size - 1));
    // Not accessible: heap beyond its size, its end, both stack guards.
    CHECK_FALSE(readable(la.heap + 65536));
    CHECK_FALSE(readable(la.heap + (4ull << 30)));
    CHECK_FALSE(readable(la.heap + la.heap_reserved - 1));
    CHECK_FALSE(readable(la.stack_guard));
    CHECK_FALSE(readable(la.stack_guard + 4095));
    CHECK_FALSE(readable(la.stack_end_guard));
    // And really faulting on access (outside guest code: the default action).
    CHECK(read_segfaults(la.stack_guard));
    CHECK(read_segfaults(la.heap + 65536));
    CHECK_FALSE(read_segfaults(la.heap + 16));
}

TEST_CASE("slots are reused and a full region says so", "[runtime][region]") {
    auto region = Region::create(3, RegionLimits{});
    REQUIRE(region.ok());
    auto m = main_module();
    REQUIRE(m);
    for (int round = 0; round < 200; round++) {
        auto a = create_ok(*region, m);
        auto b = create_ok(*region, m);
        auto c = create_ok(*region, m);
        CHECK((*region)->used() == 3);
        if (round == 0) {
            auto d = Instance::create(*region, m, no_imports());
            REQUIRE_FALSE(d.ok());
            CHECK(d.error().message == "region is full: all 3 instance slots are in use");
        }
    }
    CHECK((*region)->used() == 0);
}

TEST_CASE("released slots start from zero and give their memory back", "[runtime][region]") {
    auto region = Region::create(2, RegionLimits{});
    REQUIRE(region.ok());
    auto m = main_module();
    REQUIRE(m);
    {
        auto a = create_ok(*region, m);
        CHECK(run_u32(*a, "grow", {3}) == 1);
        CHECK(run_u32(*a, "fill", {4 * 65536}) == 4 * 65536);
        uint32_t seven = 0;
        std::memcpy(&a->vmctx()->globals[0], &seven, 4);
    }
    {
        auto a = create_ok(*region, m);
        CHECK(a->heap_len() == 65536);
        CHECK(a->heap()[0] == 0);                      // filled before, zero now
        CHECK(std::memcmp(a->heap() + 16, "hello", 5) == 0);
        CHECK(run_u32(*a, "get_g", {}) == 7);          // globals re-initialised
        CHECK_FALSE(readable(a->heap() + 65536));      // grown pages protected again
    }
    // 1000 cycles each touching 1 MiB of heap and the stack: RSS must not grow.
    auto cycle = [&] {
        auto a = create_ok(*region, m);
        REQUIRE(run_u32(*a, "grow", {3}) == 1);
        REQUIRE(run_u32(*a, "fill", {4 * 65536}) == 4 * 65536);
        REQUIRE(a->run("recurse", std::vector<Val>{Val::i32(0)}).kind == RunResult::Kind::Trapped);
    };
    for (int i = 0; i < 20; i++) cycle();
    uint64_t before = rss_bytes();
    for (int i = 0; i < 1000; i++) cycle();
    uint64_t after = rss_bytes();
    INFO("RSS before " << before << " after " << after);
    CHECK(after < before + (4u << 20));
}

TEST_CASE("module and limits mismatches are refused", "[runtime][region]") {
    auto m = main_module();
    REQUIRE(m);
    SECTION("heap address space too small for the module's reservation") {
        RegionLimits lim;
        lim.heap_address_space = 4ull << 30;
        lim.max_heap_size = 1ull << 30;
        auto region = Region::create(1, lim);
        REQUIRE(region.ok());
        auto i = Instance::create(*region, m, no_imports());
        REQUIRE_FALSE(i.ok());
        CHECK_THAT(i.error().message, Catch::Contains("module was compiled for 8 GiB of heap address space"));
        CHECK_THAT(i.error().message, Catch::Contains("region provides 4 GiB"));
        CHECK((*region)->used() == 0);
    }
    SECTION("a smaller module reservation fits a smaller region") {
        auto small = main_module({.reserved = 1ull << 30, .guard = 1ull << 30});
        REQUIRE(small);
        RegionLimits lim;
        lim.heap_address_space = 2ull << 30;
        lim.max_heap_size = 1ull << 30;
        auto region = Region::create(1, lim);
        REQUIRE(region.ok());
        auto i = create_ok(*region, small);
        CHECK(run_u32(*i, "size", {}) == 1);
    }
    SECTION("initial memory beyond max_heap_size") {
        auto big = main_module({.mem_min = 3});
        REQUIRE(big);
        RegionLimits lim;
        lim.max_heap_size = 2 * 65536;
        auto region = Region::create(1, lim);
        REQUIRE(region.ok());
        auto i = Instance::create(*region, big, no_imports());
        REQUIRE_FALSE(i.ok());
        CHECK_THAT(i.error().message, Catch::Contains("memory needs 3 initial pages"));
    }
    SECTION("memory.grow stops at min(module max, max_heap_size)") {
        RegionLimits lim;
        lim.max_heap_size = 2 * 65536;
        auto region = Region::create(1, lim);
        REQUIRE(region.ok());
        auto i = create_ok(*region, m);
        CHECK(run_u32(*i, "grow", {2}) == UINT32_MAX);
        CHECK(run_u32(*i, "grow", {1}) == 1);
        CHECK(run_u32(*i, "grow", {1}) == UINT32_MAX);
        CHECK(run_u32(*i, "grow", {0}) == 2);
        auto region2 = Region::create(1, RegionLimits{});
        REQUIRE(region2.ok());
        auto j = create_ok(*region2, m);
        CHECK(run_u32(*j, "grow", {3}) == 1);  // module max 4
        CHECK(run_u32(*j, "grow", {1}) == UINT32_MAX);
        CHECK(run_u32(*j, "size", {}) == 4);
    }
}

TEST_CASE("instantiation failures are errors and give the slot back", "[runtime][region]") {
    auto region = Region::create(1, RegionLimits{});
    REQUIRE(region.ok());
    auto expect_error = [&](const rt_test::MainOpts &o, const std::string &starts) {
        auto m = main_module(o);
        REQUIRE(m);
        auto i = Instance::create(*region, m, no_imports());
        REQUIRE_FALSE(i.ok());
        CHECK_THAT(i.error().message, Catch::StartsWith(starts));
        CHECK((*region)->used() == 0);
    };
    expect_error({.data_offset = 65532}, "out of bounds memory access: data segment 0 at 65532 + 5");
    expect_error({.data_offset = 0xffffffff}, "out of bounds memory access");
    expect_error({.elem_offset = 2}, "out of bounds table access: element segment 0 at 2 + 3");
    expect_error({.start_func = 4}, "unreachable in func[4] <unreachable> (in the start function)");
    // Globals must fit the vmctx area.
    RegionLimits small;
    small.globals_size = 4096;
    auto r2 = Region::create(1, small);
    REQUIRE(r2.ok());
    auto many = main_module({.num_globals = 600});
    REQUIRE(many);
    auto i = Instance::create(*r2, many, no_imports());
    REQUIRE_FALSE(i.ok());
    CHECK_THAT(i.error().message, Catch::Contains("600 globals need 4864 bytes of vmctx, region provides globals_size 4096"));
    auto fits = main_module({.num_globals = 500});
    REQUIRE(fits);
    CHECK(Instance::create(*r2, fits, no_imports()).ok());
    // Same data at the last valid offset works.
    auto edge = main_module({.data_offset = 65531});
    REQUIRE(edge);
    auto e = Instance::create(*region, edge, no_imports());
    REQUIRE(e.ok());
    CHECK(std::memcmp((*e)->heap() + 65531, "hello", 5) == 0);
}

namespace {

// The address space this process has reserved (VmSize).
uint64_t vm_size_bytes() {
    std::ifstream f("/proc/self/statm");
    uint64_t size = 0;
    f >> size;
    return size * uint64_t(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("an instance's tables reserve at most 4 GiB of address space", "[runtime][region]") {
    // 2000 growable tables (no max): each would reserve 305 MiB for its 10
    // million possible elements, 600 GiB per instance (the adversarial
    // repro's 100,000 tables: 28 TiB, and four instances exhausted the user
    // address space). The first ones keep their full capacity; the later
    // ones only their minimum's page (128 elements), so growing them by more
    // fails (-1), as the spec allows.
    std::string wat = "(module\n";
    for (int i = 0; i < 2000; i++) wat += "  (table 1 funcref)\n";
    wat += "  (func (export \"grow_first\") (result i32) (table.grow 0 (ref.null func) (i32.const 1000)))\n"
           "  (func (export \"grow_last\") (result i32) (table.grow 1999 (ref.null func) (i32.const 1000)))\n"
           "  (func (export \"size_last\") (result i32) (table.size 1999)))\n";
    auto m = rt_test::compile_wat("many_tables", wat);
    auto region = Region::create(2, RegionLimits{});
    REQUIRE(region.ok());
    const uint64_t before = vm_size_bytes();
    auto a = create_ok(*region, m);
    auto b = create_ok(*region, m);
    const uint64_t grown = vm_size_bytes() - before;
    CHECK(grown <= 2 * ((uint64_t(4) << 30) + 2000 * 4096ull) + (uint64_t(64) << 20));
    for (auto *inst : {a.get(), b.get()}) {
        CHECK(run_u32(*inst, "grow_first", {}) == 1);
        CHECK(run_u32(*inst, "grow_last", {}) == 0xffffffffu);
        CHECK(run_u32(*inst, "size_last", {}) == 1);
    }
    // A reset keeps the tables and their budget.
    REQUIRE(a->reset().ok());
    CHECK(run_u32(*a, "grow_first", {}) == 1);
    CHECK(vm_size_bytes() - before <= grown + (uint64_t(64) << 20));
}

TEST_CASE("tables whose minimums exceed the budget refuse the instance", "[runtime][region]") {
    std::string wat = "(module\n";
    for (int i = 0; i < 16; i++) wat += "  (table 10000000 funcref)\n";  // 16 x 305 MiB of minimums
    wat += ")\n";
    auto m = rt_test::compile_wat("huge_tables", wat);
    auto region = Region::create(1, RegionLimits{});
    REQUIRE(region.ok());
    auto i = Instance::create(*region, m, no_imports());
    REQUIRE_FALSE(i.ok());
    CHECK_THAT(i.error().message, Catch::Contains("of address space, more than 4 GiB (implementation limit)"));
    CHECK((*region)->used() == 0);
}
