// Data segments mapped copy-on-write from the module's .so
// (runtime/heap_image.cpp): the mapping is really used, every instance sees
// the original bytes whatever another one wrote, reset and slot reuse restore
// them, passive segments and memory.init still read the originals, and
// memory.grow keeps the data.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "rt_test_modules.h"
#include "runtime/runtime.h"

using namespace lucet;

namespace {

constexpr uint32_t kOff = 1000;        // not page aligned: partial first and last pages are copied
constexpr uint32_t kLen = 256 << 10;   // active segment
constexpr uint32_t kPassive = 20000;   // passive segment of the same pattern

// Differs from page to page (a mapping at the wrong file page must show).
uint8_t pattern(uint32_t i) { return static_cast<uint8_t>(i * 7 + 3 + (i >> 12) * 29); }

std::string escaped(uint32_t n) {
    static const char hex[] = "0123456789abcdef";
    std::string s;
    s.reserve(n * 3);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t b = pattern(i);
        s += '\\';
        s += hex[b >> 4];
        s += hex[b & 15];
    }
    return s;
}

std::shared_ptr<DlModule> data_module() {
    static std::shared_ptr<DlModule> m = rt_test::compile_wat(
        "dataimage",
        "(module (memory 8)\n"
        "  (data (i32.const " + std::to_string(kOff) + ") \"" + escaped(kLen) + "\")\n"
        "  (data $p \"" + escaped(kPassive) + "\")\n"
        "  (func (export \"peek\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n"
        "  (func (export \"poke\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))\n"
        "  (func (export \"init\") (param i32) (memory.init $p (local.get 0) (i32.const 0) (i32.const " +
            std::to_string(kPassive) + ")))\n"
        "  (func (export \"drop\") (data.drop $p))\n"
        "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))\n");
    return m;
}

std::shared_ptr<Region> region(size_t n) {
    auto r = Region::create(n, RegionLimits{});
    REQUIRE(r.ok());
    return *r;
}

uint32_t call(Instance &in, const char *name, std::vector<Val> args = {}) {
    RunResult r = in.run(name, args);
    REQUIRE(r.kind == RunResult::Kind::Returned);
    return r.values.empty() ? 0 : static_cast<uint32_t>(r.values[0].bits);
}

// How many file mappings (the module's .so, or the loader's memfd copy of
// it) does /proc/self/maps show inside [lo, hi)?
int so_maps_in(const uint8_t *lo, const uint8_t *hi) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    int n = 0;
    while (std::getline(maps, line)) {
        unsigned long a = 0, b = 0, inode = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx %*s %*s %*s %lu", &a, &b, &inode) != 3) continue;
        if (a < reinterpret_cast<uintptr_t>(lo) || b > reinterpret_cast<uintptr_t>(hi)) continue;
        if (inode != 0) n++;
    }
    return n;
}

// The whole segment and its surroundings hold what the module says.
void check_data(Instance &in) {
    CHECK(call(in, "peek", {Val::i32(kOff - 1)}) == 0);
    for (uint32_t i : {0u, 1u, 3095u, 3096u, 4095u, 4096u, 100000u, kLen - 4097, kLen - 1})
        CHECK(call(in, "peek", {Val::i32(kOff + i)}) == pattern(i));
    CHECK(call(in, "peek", {Val::i32(kOff + kLen)}) == 0);
}

}  // namespace

TEST_CASE("large data segments are mapped from the module file, privately per instance", "[runtime][cow]") {
    auto r = region(2);
    auto i1 = Instance::create(r, data_module(), rt_test::no_imports());
    REQUIRE(i1.ok());
    Instance &a = **i1;
    CHECK(so_maps_in(a.heap(), a.heap() + a.heap_len()) == 1);
    check_data(a);

    // Writes in mapped pages (and in the copied partial ones) stay private.
    for (uint32_t p : {kOff, kOff + 5000, kOff + kLen - 1}) call(a, "poke", {Val::i32(p), Val::i32(0xEE)});
    CHECK(call(a, "peek", {Val::i32(kOff + 5000)}) == 0xEE);
    auto i2 = Instance::create(r, data_module(), rt_test::no_imports());
    REQUIRE(i2.ok());
    check_data(**i2);

    // Reset brings the data back; so does a new instance in a reused slot.
    REQUIRE(a.reset().ok());
    check_data(a);
    call(a, "poke", {Val::i32(kOff + 5000), Val::i32(0xEE)});
    i1 = make_error("released");
    auto i3 = Instance::create(r, data_module(), rt_test::no_imports());
    REQUIRE(i3.ok());
    check_data(**i3);
}

TEST_CASE("passive segments and memory.init read the original bytes", "[runtime][cow]") {
    auto r = region(1);
    auto i1 = Instance::create(r, data_module(), rt_test::no_imports());
    REQUIRE(i1.ok());
    Instance &a = **i1;
    // The guest overwrites the start of the active segment, which holds the
    // same pattern as the passive one, then copies the passive one elsewhere.
    for (uint32_t i = 0; i < 64; i++) call(a, "poke", {Val::i32(kOff + i), Val::i32(0)});
    call(a, "init", {Val::i32(400000)});
    for (uint32_t i : {0u, 1u, 63u, 4096u, kPassive - 1}) CHECK(call(a, "peek", {Val::i32(400000 + i)}) == pattern(i));
    call(a, "drop");
    CHECK(a.run("init", std::vector<Val>{Val::i32(400000)}).kind == RunResult::Kind::Trapped);
}

TEST_CASE("memory.grow keeps mapped data and adds zero pages", "[runtime][cow]") {
    auto r = region(1);
    auto i1 = Instance::create(r, data_module(), rt_test::no_imports());
    REQUIRE(i1.ok());
    Instance &a = **i1;
    CHECK(call(a, "grow", {Val::i32(4)}) == 8);
    check_data(a);
    CHECK(call(a, "peek", {Val::i32(9 * 65536 + 17)}) == 0);
    call(a, "poke", {Val::i32(9 * 65536 + 17), Val::i32(1)});
    REQUIRE(a.reset().ok());
    check_data(a);
}

TEST_CASE("many separate large segments: a bounded number of mappings, all data right", "[runtime][cow]") {
    // 12 segments of 64 KiB with 4 KiB gaps: 12 runs of whole pages, of
    // which at most 8 are mapped (each mapping splits the heap's VMA).
    constexpr uint32_t kSeg = 64 << 10, kStride = kSeg + 4096;
    std::string wat = "(module (memory 16)\n";
    for (uint32_t k = 0; k < 12; k++)
        wat += "  (data (i32.const " + std::to_string(k * kStride) + ") \"" + escaped(kSeg) + "\")\n";
    wat += "  (func (export \"peek\") (param i32) (result i32) (i32.load8_u (local.get 0))))\n";
    auto m = rt_test::compile_wat("manysegs", wat);
    auto r = region(1);
    auto i1 = Instance::create(r, m, rt_test::no_imports());
    REQUIRE(i1.ok());
    Instance &a = **i1;
    int maps = so_maps_in(a.heap(), a.heap() + a.heap_len());
    CHECK(maps >= 1);
    CHECK(maps <= 8);
    for (uint32_t k = 0; k < 12; k++) {
        for (uint32_t i : {0u, 4096u, kSeg - 1})
            CHECK(call(a, "peek", {Val::i32(k * kStride + i)}) == pattern(i));
        CHECK(call(a, "peek", {Val::i32(k * kStride + kSeg)}) == 0);
    }
}

// Hostile-guest regressions (adv-guest): later segments overwrite earlier
// mapped ones in order, whatever their sizes (C and E are whole pages, so
// their mapping is still pending when the next segment is copied); a failing segment after a
// mapped one leaves no data behind in the slot; pages written after a grow
// are zero again after reset and a new grow.
TEST_CASE("overlapping large segments apply in order over mapped pages", "[runtime][cow]") {
    auto fill = [](char c, uint32_t n) { return std::string(n, c); };
    std::string wat = "(module (memory 4)\n"
                      "  (data (i32.const 0) \"" + fill('A', 200000) + "\")\n"
                      "  (data (i32.const 70000) \"" + fill('B', 10) + "\")\n"
                      "  (data (i32.const 81920) \"" + fill('C', 98304) + "\")\n"
                      "  (data (i32.const 81925) \"D\")\n"
                      "  (data (i32.const 4096) \"" + fill('E', 40960) + "\")\n"
                      "  (func (export \"peek\") (param i32) (result i32) (i32.load8_u (local.get 0))))\n";
    auto m = rt_test::compile_wat("overlap", wat);
    auto r = region(1);
    auto i1 = Instance::create(r, m, rt_test::no_imports());
    REQUIRE(i1.ok());
    Instance &a = **i1;
    CHECK(so_maps_in(a.heap(), a.heap() + a.heap_len()) >= 2);  // A and C mapped
    const std::pair<uint32_t, char> want[] = {{0, 'A'},      {4095, 'A'},   {4096, 'E'},   {45055, 'E'},
                                              {45056, 'A'},  {69999, 'A'},  {70000, 'B'},  {70009, 'B'},
                                              {70010, 'A'},  {81919, 'A'},  {81920, 'C'},  {81925, 'D'},
                                              {81926, 'C'},  {180223, 'C'}, {180224, 'A'}, {199999, 'A'},
                                              {200000, '\0'}};
    for (auto [addr, c] : want) {
        INFO("address " << addr);
        CHECK(call(a, "peek", {Val::i32(addr)}) == static_cast<uint8_t>(c));
    }
}

TEST_CASE("a segment out of bounds after a mapped one fails, and the slot is clean after", "[runtime][cow]") {
    std::string big(70000, 'A');
    auto bad = rt_test::compile_wat("oobseg", "(module (memory 2)\n"
                                              "  (data (i32.const 0) \"" + big + "\")\n"
                                              "  (data (i32.const 131000) \"" + big + "\"))\n");
    auto r = region(1);
    auto i1 = Instance::create(r, bad, rt_test::no_imports());
    REQUIRE_FALSE(i1.ok());
    // The same (only) slot, a module without data: memory must be zero.
    auto clean = rt_test::compile_wat("nodata", "(module (memory 2)\n"
                                                "  (func (export \"peek\") (param i32) (result i32) "
                                                "(i32.load8_u (local.get 0))))\n");
    auto i2 = Instance::create(r, clean, rt_test::no_imports());
    REQUIRE(i2.ok());
    for (uint32_t p : {0u, 4096u, 69999u, 131000u, 131071u}) CHECK(call(**i2, "peek", {Val::i32(p)}) == 0);
}

TEST_CASE("pages written after a grow are zero after reset and a new grow", "[runtime][cow]") {
    auto r = region(1);
    auto i1 = Instance::create(r, data_module(), rt_test::no_imports());
    REQUIRE(i1.ok());
    Instance &a = **i1;
    CHECK(call(a, "grow", {Val::i32(4)}) == 8);
    call(a, "poke", {Val::i32(9 * 65536 + 17), Val::i32(0x5A)});
    call(a, "poke", {Val::i32(kOff + 5000), Val::i32(0x5A)});
    REQUIRE(a.reset().ok());
    CHECK(a.run("peek", std::vector<Val>{Val::i32(9 * 65536 + 17)}).kind == RunResult::Kind::Trapped);
    CHECK(call(a, "grow", {Val::i32(4)}) == 8);
    CHECK(call(a, "peek", {Val::i32(9 * 65536 + 17)}) == 0);
    check_data(a);
}
