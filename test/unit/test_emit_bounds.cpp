// test_emit_bounds.cpp: lucetc's own C generation is linear in the module's
// shape and stops at the compile's deadline (README "Bounded compilation").
// The modules are built as bytes at test time; each test case has a
// temporary directory of its own. Times are bounded generously (a loaded
// machine): each shape took minutes when emission was quadratic in it, and
// takes well under a second now.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "cache_test_util.h"
#include "compiler/compiler.h"
#include "wasm_builder.h"

namespace fs = std::filesystem;
using namespace wasm_builder;
using lucet::cache_test::TempDir;

namespace {

constexpr double kBoundSeconds = 20;

// Compiles `wasm` to C (--emit c) in `dir`; the status and the seconds it took.
lucet::Status emit_to_c(const TempDir &dir, const std::vector<uint8_t> &wasm, lucet::CompileOptions co, double &secs) {
    co.emit = lucet::EmitKind::C;
    auto t0 = std::chrono::steady_clock::now();
    lucet::Status st = lucet::compile_bytes(wasm, dir.path + "/out.c", co);
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return st;
}

// f0: `nest` nested blocks around `calls` calls of f1 (empty).
std::vector<uint8_t> nested_calls(uint32_t nest, uint32_t calls) {
    ModuleBuilder mb;
    uint32_t t = mb.type({}, {});
    Bytes c;
    for (uint32_t i = 0; i < nest; i++) c.u8(0x02).u8(0x40);
    for (uint32_t i = 0; i < calls; i++) c.u8(0x10).uleb(1);
    for (uint32_t i = 0; i < nest; i++) c.u8(0x0b);
    mb.func(t, body({0}, c));
    mb.func(t, body({0}, Bytes{}));
    mb.export_func("f", 0);
    return mb.build();
}

// f0 (param i32) (result i32), 11 more i32 locals: n straight-line
// `local.set (i32.add (local.get a) (local.get b))`, then local 0.
std::vector<uint8_t> straight_line(uint32_t n) {
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    Bytes c;
    for (uint32_t i = 0; i < n; i++)
        c.u8(0x20).uleb(i * 5 % 12).u8(0x20).uleb((i * 7 + 3) % 12).u8(0x6a).u8(0x21).uleb(i % 12);
    c.u8(0x20).uleb(0);
    mb.func(t, body({1, 11, I32}, c));
    mb.export_func("f", 0);
    return mb.build();
}

}  // namespace

TEST_CASE("emission is linear in nesting: 200,000 nested blocks around 1,000,000 calls", "[emit]") {
    // Every call and block once looked at every open block (scan_straight_loops):
    // minutes for this module.
    TempDir dir;
    double secs = 0;
    lucet::Status st = emit_to_c(dir, nested_calls(200000, 1000000), {}, secs);
    INFO((st.ok() ? "" : st.error().to_string()));
    REQUIRE(st.ok());
    INFO("emitted in " << secs << " s");
    CHECK(secs < kBoundSeconds);
}

TEST_CASE("a split chunk's frame references are localized in linear time", "[emit]") {
    // One 5 MB chunk: every `F->` reference once searched the rest of the
    // chunk for the next `return 0x` (localize, func_split.cpp): 4 minutes.
    TempDir dir;
    lucet::CompileOptions co;
    co.force_split_chunk_bytes = 8u << 20;
    double secs = 0;
    lucet::Status st = emit_to_c(dir, straight_line(100000), co, secs);
    INFO((st.ok() ? "" : st.error().to_string()));
    REQUIRE(st.ok());
    INFO("emitted in " << secs << " s");
    CHECK(secs < kBoundSeconds);
}

TEST_CASE("emission past the deadline stops with an error naming the function", "[emit]") {
    TempDir dir;
    lucet::CompileOptions co;
    co.max_time_seconds = 1;
    co.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    double secs = 0;
    lucet::Status st = emit_to_c(dir, nested_calls(3, 3), co, secs);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().to_string() == "generating C for function 0 exceeded the 1 s time limit");
    CHECK_FALSE(fs::exists(dir.path + "/out.c"));

    // A function far too large to emit within the limit is stopped inside
    // (emitted whole it would take seconds, then cc minutes).
    co.deadline.reset();
    co.emit = lucet::EmitKind::SharedObject;
    auto t0 = std::chrono::steady_clock::now();
    st = lucet::compile_bytes(straight_line(3000000), dir.path + "/out.so", co);
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().to_string() == "generating C for function 0 exceeded the 1 s time limit");
    CHECK(secs < kBoundSeconds);
    CHECK_FALSE(fs::exists(dir.path + "/out.so"));
}
