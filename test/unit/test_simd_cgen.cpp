// test_simd_cgen.cpp: the SIMD C emitter end to end. Modules use v128 inside
// exports that take and return only i32/i64 (results go through memory or
// extract_lane), so these tests need no v128 at the host boundary: .wat ->
// wat2wasm -> lucetc (real cc, SIMDe) -> the runtime.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cgen/emitter.h"
#include "cgen/ops_table.h"
#include "compiler/compiler.h"
#include "decode/decoder.h"
#include "decode/simd_ops.h"
#include "rt_test_modules.h"

using namespace lucet;
using rt_test::compile_wat;
using rt_test::no_imports;

namespace {

std::shared_ptr<Instance> instantiate(const std::shared_ptr<DlModule> &m) {
    static auto region = [] {
        auto r = Region::create(2, RegionLimits{});
        REQUIRE(r.ok());
        return *r;
    }();
    auto inst = Instance::create(region, m, no_imports());
    if (!inst) FAIL(inst.error().to_string());
    return *inst;
}

RunResult run(Instance &inst, const char *name, std::initializer_list<Val> args) {
    std::vector<Val> v(args);
    return inst.run(name, v);
}

uint64_t ret(Instance &inst, const char *name, std::initializer_list<Val> args) {
    RunResult r = run(inst, name, args);
    if (r.kind != RunResult::Kind::Returned)
        FAIL(std::string(name) + " did not return: " +
             (r.kind == RunResult::Kind::Trapped ? r.trap.to_string() : r.error.to_string()));
    REQUIRE(r.values.size() == 1);
    return r.values[0].bits;
}

void expect_oob(Instance &inst, const char *name, uint32_t addr) {
    RunResult r = run(inst, name, {Val::i32(addr)});
    INFO(name << "(" << addr << ")");
    REQUIRE(r.kind == RunResult::Kind::Trapped);
    CHECK(r.trap.code == LUCET_TRAP_HEAP_OOB);
}

std::vector<uint8_t> wat_bytes(const std::string &name, const std::string &wat) {
    std::string dir = rt_test::temp_dir();
    std::string wat_path = dir + "/" + name + ".wat", wasm = dir + "/" + name + ".wasm";
    std::ofstream(wat_path) << wat;
    const char *w2w = getenv("LUCET_TEST_WAT2WASM");
    std::string cmd = std::string(w2w ? w2w : "wat2wasm") + " " + wat_path + " -o " + wasm;
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream in(wasm, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Emitted C of a module (all units concatenated) and its per-unit sources.
std::vector<CUnit> emit(const std::string &name, const std::string &wat, EmitOptions eo = {}) {
    auto m = decode_module(wat_bytes(name, wat));
    REQUIRE(m.ok());
    auto units = emit_c(*m, eo);
    if (!units.ok()) FAIL(units.error().to_string());
    return *units;
}

bool mentions_simde(const CUnit &u) { return u.source.find("#include <simde/") != std::string::npos; }

// Values crossing blocks, branches, br_table, select, locals, direct and
// indirect calls, multi-value returns; lanes read back as i32/i64.
const char *kPlumbingWat = R"((module
  (type $vv (func (param v128) (result v128)))
  (table 2 funcref)
  (elem (i32.const 0) $twice $id)
  (memory 1)
  (func $twice (param v128) (result v128) local.get 0 local.get 0 i32x4.add)
  (func $id (param v128) (result v128) local.get 0)
  (func $pair (param v128 i32) (result v128 i32 v128)
    local.get 0 local.get 1 local.get 0 i64x2.neg)
  (func (export "flow") (param i32 i32) (result i32) (local v128)
    (local.set 2 (i32x4.splat (local.get 0)))
    (block $out (result v128)
      (block $b1 (result v128)
        (local.get 2)
        (local.get 1)
        (br_table $b1 $out))
      (call $twice))
    (i32x4.extract_lane 3))
  (func (export "ind") (param i32 i32) (result i32)
    (i32x4.extract_lane 1 (call_indirect (type $vv) (i32x4.splat (local.get 0)) (local.get 1))))
  (func (export "sel") (param i32) (result i64)
    (i64x2.extract_lane 1
      (select (v128.const i64x2 1 2) (v128.const i64x2 3 4) (local.get 0))))
  (func (export "multi") (param i32) (result i64) (local v128 i32 v128)
    (call $pair (v128.const i64x2 5 6) (local.get 0))
    (local.set 3) (local.set 2) (local.set 1)
    (i64.add (i64x2.extract_lane 1 (local.get 3))
             (i64.add (i64.extend_i32_u (local.get 2)) (i64x2.extract_lane 0 (local.get 1)))))
  (func (export "loop") (param i32) (result i32) (local v128)
    (loop $l
      (local.set 1 (i32x4.add (local.get 1) (v128.const i32x4 1 2 3 4)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (i32x4.extract_lane 3 (local.get 1)))
  (func (export "if") (param i32) (result i32)
    (v128.const i32x4 7 8 9 10)
    (if (param v128) (result v128) (local.get 0)
      (then i32x4.neg)
      (else (v128.const i32x4 1 1 1 1) i32x4.add))
    i32x4.extract_lane 0)
))";

}  // namespace

TEST_CASE("v128 values flow through locals, blocks, branches, select and calls", "[simd]") {
    auto inst = instantiate(compile_wat("simd_plumbing", kPlumbingWat));
    CHECK(ret(*inst, "flow", {Val::i32(21), Val::i32(0)}) == 42);  // br_table to $b1, then $twice
    CHECK(ret(*inst, "flow", {Val::i32(21), Val::i32(1)}) == 21);  // default: straight out
    CHECK(ret(*inst, "ind", {Val::i32(5), Val::i32(0)}) == 10);
    CHECK(ret(*inst, "ind", {Val::i32(5), Val::i32(1)}) == 5);
    RunResult r = run(*inst, "ind", {Val::i32(5), Val::i32(2)});
    REQUIRE(r.kind == RunResult::Kind::Trapped);
    CHECK(r.trap.code == LUCET_TRAP_TABLE_OOB);
    CHECK(ret(*inst, "sel", {Val::i32(1)}) == 2);
    CHECK(ret(*inst, "sel", {Val::i32(0)}) == 4);
    CHECK(ret(*inst, "multi", {Val::i32(100)}) == static_cast<uint64_t>(-6) + 100 + 5);
    CHECK(ret(*inst, "loop", {Val::i32(10)}) == 40);
    CHECK(ret(*inst, "if", {Val::i32(1)}) == static_cast<uint32_t>(-7));
    CHECK(ret(*inst, "if", {Val::i32(0)}) == 8);
}

// The lane semantics where SIMDe's x86 (SSE2) fallbacks differ from the spec.
// Each export returns lane bits of one result.
TEST_CASE("float min/max and rounding follow wasm, not SSE", "[simd]") {
    auto inst = instantiate(compile_wat("simd_float", R"((module
  (func (export "min0") (result i32)   ;; min(-0, +0) = -0 in lane 0; min(+0, -0) = -0 in lane 1
    (i32x4.extract_lane 0 (f32x4.min (v128.const f32x4 -0 0 0 0) (v128.const f32x4 0 -0 0 0))))
  (func (export "min1") (result i32)
    (i32x4.extract_lane 1 (f32x4.min (v128.const f32x4 -0 0 0 0) (v128.const f32x4 0 -0 0 0))))
  (func (export "max0") (result i64)   ;; max(-0, +0) = +0
    (i64x2.extract_lane 0 (f64x2.max (v128.const f64x2 -0 0) (v128.const f64x2 0 0))))
  (func (export "min_nan") (result i32)  ;; NaN in either operand: NaN out, even min(NaN, -inf)
    (i32x4.extract_lane 2 (f32x4.min (v128.const f32x4 0 0 nan 1) (v128.const f32x4 0 0 -inf nan))))
  (func (export "max_nan") (result i32)
    (i32x4.extract_lane 3 (f32x4.max (v128.const f32x4 0 0 nan 1) (v128.const f32x4 0 0 -inf nan))))
  (func (export "pmin") (result i32)   ;; pmin(a, b) = b < a ? b : a: NaN in b does not win
    (i32x4.extract_lane 0 (f32x4.pmin (v128.const f32x4 1 0 0 0) (v128.const f32x4 nan 0 0 0))))
  (func (export "ceil") (result i32)    ;; ceil(-0.5) = -0
    (i32x4.extract_lane 0 (f32x4.ceil (v128.const f32x4 -0.5 0 0 0))))
  (func (export "trunc") (result i64)   ;; trunc(-0.7) = -0
    (i64x2.extract_lane 1 (f64x2.trunc (v128.const f64x2 0 -0.7))))
  (func (export "nearest") (result i32) ;; nearest(2.5) = 2, ties to even
    (i32x4.extract_lane 0 (f32x4.nearest (v128.const f32x4 2.5 0 0 0))))
  (func (export "floor_snan") (result i32)  ;; a signalling NaN comes out quiet
    (i32x4.extract_lane 0 (f32x4.floor (v128.const i32x4 0x7fa00000 0 0 0))))
))"));
    CHECK(ret(*inst, "min0", {}) == 0x80000000u);
    CHECK(ret(*inst, "min1", {}) == 0x80000000u);
    CHECK(ret(*inst, "max0", {}) == 0);
    CHECK((ret(*inst, "min_nan", {}) & 0x7fc00000u) == 0x7fc00000u);
    CHECK((ret(*inst, "max_nan", {}) & 0x7fc00000u) == 0x7fc00000u);
    CHECK(ret(*inst, "pmin", {}) == 0x3f800000u);
    CHECK(ret(*inst, "ceil", {}) == 0x80000000u);
    CHECK(ret(*inst, "trunc", {}) == 0x8000000000000000ull);
    CHECK(ret(*inst, "nearest", {}) == 0x40000000u);
    CHECK((ret(*inst, "floor_snan", {}) & 0x7fc00000u) == 0x7fc00000u);
}

TEST_CASE("integer lane semantics: shifts, swizzle, saturation, bitmask", "[simd]") {
    auto inst = instantiate(compile_wat("simd_int", R"((module
  (func (export "shl") (param i32) (result i32)   ;; count mod 8
    (i8x16.extract_lane_u 0 (i8x16.shl (v128.const i8x16 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0) (local.get 0))))
  (func (export "shr_s") (param i32) (result i32)   ;; count mod 64
    (i32.wrap_i64 (i64x2.extract_lane 0 (i64x2.shr_s (v128.const i64x2 -256 0) (local.get 0)))))
  (func (export "swz") (param i32) (result i32)   ;; index >= 16 selects 0
    (i8x16.extract_lane_u 0 (i8x16.swizzle (v128.const i8x16 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9)
                                           (i8x16.splat (local.get 0)))))
  (func (export "narrow") (result i32)
    (i8x16.extract_lane_u 1 (i8x16.narrow_i16x8_u (v128.const i16x8 -5 300 0 0 0 0 0 0) (v128.const i16x8 0 0 0 0 0 0 0 0))))
  (func (export "q15") (result i32)
    (i16x8.extract_lane_s 0 (i16x8.q15mulr_sat_s (v128.const i16x8 -32768 0 0 0 0 0 0 0) (v128.const i16x8 -32768 0 0 0 0 0 0 0))))
  (func (export "bitmask") (result i32)
    (i8x16.bitmask (v128.const i8x16 -1 0 -1 0 0 0 0 0 0 0 0 0 0 0 0 -128)))
  (func (export "popcnt") (result i32)
    (i8x16.extract_lane_u 3 (i8x16.popcnt (v128.const i8x16 0 0 0 0xff 0 0 0 0 0 0 0 0 0 0 0 0))))
  (func (export "sat") (result i32)  ;; NaN -> 0, +big -> INT_MAX (lanes 0, 1)
    (i32.add (i32x4.extract_lane 0 (i32x4.trunc_sat_f32x4_s (v128.const f32x4 nan 3e9 0 0)))
             (i32x4.extract_lane 1 (i32x4.trunc_sat_f32x4_s (v128.const f32x4 nan 3e9 0 0)))))
  (func (export "shuffle") (result i64)
    (i64x2.extract_lane 0 (i8x16.shuffle 16 0 17 1 18 2 19 3 31 15 30 14 29 13 28 12
      (v128.const i8x16 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
      (v128.const i8x16 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31))))
))"));
    CHECK(ret(*inst, "shl", {Val::i32(3)}) == 8);
    CHECK(ret(*inst, "shl", {Val::i32(11)}) == 8);
    CHECK(ret(*inst, "shr_s", {Val::i32(4)}) == 0xfffffff0u);
    CHECK(ret(*inst, "shr_s", {Val::i32(68)}) == 0xfffffff0u);
    CHECK(ret(*inst, "swz", {Val::i32(15)}) == 9);
    CHECK(ret(*inst, "swz", {Val::i32(16)}) == 0);
    CHECK(ret(*inst, "swz", {Val::i32(0x80)}) == 0);
    CHECK(ret(*inst, "narrow", {}) == 255);
    CHECK(ret(*inst, "q15", {}) == 0x7fff);
    CHECK(ret(*inst, "bitmask", {}) == 0x8005);
    CHECK(ret(*inst, "popcnt", {}) == 8);
    CHECK(ret(*inst, "sat", {}) == 0x7fffffffu);
    CHECK(ret(*inst, "shuffle", {}) == 0x0313021201110010ull);
}

// v128.load of 16 bytes straddling the end of memory must trap (and so must
// narrower SIMD loads/stores reaching past it), whether the guard region or
// an explicit check catches it; loads trap even when their value is unused.
static const char *kBoundsWat = R"((module
  (memory 1)
  (func (export "load") (param i32) (result i32)
    (i32x4.extract_lane 0 (v128.load (local.get 0))))
  (func (export "load_drop") (param i32) (result i32)
    (drop (v128.load (local.get 0))) (i32.const 7))
  (func (export "load_lane_drop") (param i32) (result i32)
    (drop (v128.load64_lane 1 (local.get 0) (v128.const i64x2 0 0))) (i32.const 7))
  (func (export "load8x8") (param i32) (result i32)
    (i32x4.extract_lane 0 (v128.load16x4_s offset=2 (local.get 0))))
  (func (export "splat_drop") (param i32) (result i32)
    (drop (v128.load32_splat (local.get 0))) (i32.const 7))
  (func (export "store") (param i32) (result i32)
    (v128.store (local.get 0) (v128.const i32x4 1 2 3 4)) (i32.const 7))
  (func (export "store_lane") (param i32) (result i32)
    (v128.store32_lane 3 (local.get 0) (v128.const i32x4 1 2 3 4)) (i32.const 7))
  (func (export "read") (param i32) (result i32) (i32.load (local.get 0)))
))";

TEST_CASE("SIMD memory accesses trap on their whole width in both layouts", "[simd][bounds]") {
    CompileOptions checked;
    checked.reserved_size = 64 << 10;
    checked.guard_size = 64 << 10;
    for (bool explicit_checks : {false, true}) {
        INFO((explicit_checks ? "explicit checks" : "guard region"));
        auto inst = instantiate(compile_wat(explicit_checks ? "simd_bounds_chk" : "simd_bounds_guard", kBoundsWat,
                                            explicit_checks ? checked : CompileOptions{}));
        const uint32_t end = 65536;
        CHECK(ret(*inst, "store", {Val::i32(end - 16)}) == 7);
        CHECK(ret(*inst, "read", {Val::i32(end - 4)}) == 4);
        CHECK(ret(*inst, "load", {Val::i32(end - 16)}) == 1);
        CHECK(ret(*inst, "load_drop", {Val::i32(end - 16)}) == 7);
        CHECK(ret(*inst, "load_lane_drop", {Val::i32(end - 8)}) == 7);
        CHECK(ret(*inst, "load8x8", {Val::i32(end - 10)}) == 3);  // i16 at end - 8: lane 2 of the store
        CHECK(ret(*inst, "splat_drop", {Val::i32(end - 4)}) == 7);
        CHECK(ret(*inst, "store_lane", {Val::i32(end - 4)}) == 7);
        for (const char *f : {"load", "load_drop", "store"}) {
            expect_oob(*inst, f, end - 8);
            expect_oob(*inst, f, end - 15);
            expect_oob(*inst, f, 0xfffffff8u);
        }
        expect_oob(*inst, "load_lane_drop", end - 7);
        expect_oob(*inst, "load8x8", end - 9);
        expect_oob(*inst, "splat_drop", end - 3);
        expect_oob(*inst, "store_lane", end - 3);
        // Nothing was written by the trapping stores.
        CHECK(ret(*inst, "read", {Val::i32(end - 8)}) == 3);
    }
}

// Whether an access needs an explicit check depends on its real width: with
// 8 bytes of guard past 4 GiB, an 8-byte load is covered, a 16-byte one not.
TEST_CASE("SIMD accesses are checked over their real width", "[simd][bounds]") {
    EmitOptions eo;
    eo.reserved_size = 4ull << 30;
    eo.guard_size = 8;
    std::string c;
    for (const CUnit &u : emit("simd_width", R"((module (memory 1)
      (func (export "a") (param i32) (result i64) (i64.load (local.get 0)))
      (func (export "b") (param i32) (result i32) (i32x4.extract_lane 0 (v128.load (local.get 0))))
      (func (export "c") (param i32) (result i32) (i32x4.extract_lane 0 (v128.load64_zero (local.get 0))))
      (func (export "d") (param i32) (result i32) (i32x4.extract_lane 0 (v128.load8x8_u offset=1 (local.get 0))))
      (func (export "e") (param i32) (v128.store32_lane offset=4 1 (local.get 0) (v128.const i64x2 0 0)))
      (func (export "g") (param i32) (v128.store32_lane offset=5 1 (local.get 0) (v128.const i64x2 0 0)))
      (func (export "f") (param i32) (v128.store offset=0 (local.get 0) (v128.const i64x2 0 0)))))", eo))
        c += u.source;
    auto body = [&](int f) {
        size_t a = c.find("lucet_f" + std::to_string(f) + "(lucet_vmctx *ctx, uint32_t l0) {");
        REQUIRE(a != std::string::npos);
        return c.substr(a, c.find("\n}\n", a) - a);
    };
    CHECK(body(0).find("lucet_chk") == std::string::npos);
    CHECK(body(1).find("ull, (uint64_t)si0 + 0ull, 16);") != std::string::npos);
    CHECK(body(2).find("lucet_chk") == std::string::npos);
    CHECK(body(3).find("ull, (uint64_t)si0 + 1ull, 8);") != std::string::npos);
    CHECK(body(4).find("lucet_chk") == std::string::npos);  // 4 bytes at offset 4: within the 8 guard bytes
    CHECK(body(5).find("ull, (uint64_t)si0 + 5ull, 4);") != std::string::npos);
    CHECK(body(6).find("ull, (uint64_t)si0 + 0ull, 16);") != std::string::npos);
}

// clang's auto-vectorizer turns these loops into v128 code with -msimd128;
// the same C without it is plain MVP code, so both builds must compute the
// same checksum (the MVP path is covered by the core spec suite).
static const char *kKernelsC = R"C(
#include <stdint.h>
#define N 1003
static uint32_t seed = 12345;
static uint32_t rnd(void) { seed = seed * 1103515245u + 12345u; return seed >> 8; }
#define KERNELS(T, name)                                                          \
    static T a_##name[N], b_##name[N], c_##name[N];                               \
    __attribute__((noinline)) static uint64_t run_##name(void) {                   \
        uint64_t h = 0;                                                           \
        for (int i = 0; i < N; i++) { b_##name[i] = (T)(int32_t)rnd(); c_##name[i] = (T)(int32_t)(rnd() % 2001) - (T)1000; } \
        for (int i = 0; i < N; i++) a_##name[i] = b_##name[i] * c_##name[i] + (T)3; \
        for (int i = 0; i < N; i++) a_##name[i] = a_##name[i] < c_##name[i] ? c_##name[i] : a_##name[i]; \
        for (int i = 0; i < N; i++) a_##name[i] -= b_##name[i] > c_##name[i] ? b_##name[i] : c_##name[i]; \
        for (int i = 0; i < N; i++) { T x = a_##name[i]; uint64_t u = 0; __builtin_memcpy(&u, &x, sizeof x); h = h * 31 + u; } \
        return h;                                                                 \
    }
KERNELS(float, f32) KERNELS(double, f64) KERNELS(int32_t, i32) KERNELS(int16_t, i16)
KERNELS(uint8_t, u8) KERNELS(int64_t, i64) KERNELS(uint16_t, u16)
static float fl[N]; static int32_t in[N]; static uint8_t by[N]; static int16_t sh[N];
__attribute__((export_name("checksum"))) uint64_t checksum(void) {
    uint64_t h = run_f32() ^ run_f64() * 3 ^ run_i32() * 5 ^ run_i16() * 7 ^ run_u8() * 11 ^ run_i64() * 13 ^ run_u16() * 17;
    for (int i = 0; i < N; i++) fl[i] = (float)(int32_t)rnd() / 1024.0f;
    for (int i = 0; i < N; i++) in[i] = (int32_t)fl[i] + (int32_t)(fl[i] * 0.5f);       /* float -> int */
    for (int i = 0; i < N; i++) fl[i] = (float)in[i] * 0.25f;                            /* int -> float */
    for (int i = 0; i < N; i++) by[i] = (uint8_t)(in[i] >> (i & 7));                     /* shifts, narrowing */
    for (int i = 0; i < N; i++) sh[i] = (int16_t)(by[i] * (int16_t)in[i]) >> 3;           /* widening */
    for (int i = 0; i < N; i++) h = h * 7 + (uint32_t)in[i] + by[i] + (uint16_t)sh[i] + (uint32_t)(int32_t)fl[i];
    return h;
}
)C";

TEST_CASE("auto-vectorized C computes what its scalar build computes", "[simd]") {
    const char *cc = getenv("LUCET_TEST_WASM_CC");
    std::string dir = rt_test::temp_dir();
    std::ofstream(dir + "/kernels.c") << kKernelsC;
    uint64_t sums[2];
    for (int simd = 0; simd < 2; simd++) {
        std::string wasm = dir + (simd ? "/kernels_simd.wasm" : "/kernels_mvp.wasm");
        std::string cmd = std::string(cc && *cc ? cc : "clang") +
                          " --target=wasm32-wasi --sysroot=/usr -O2 -nostdlib -Wl,--no-entry " +
                          (simd ? "-msimd128 " : "") + dir + "/kernels.c -o " + wasm;
        REQUIRE(std::system(cmd.c_str()) == 0);
        std::ifstream in(wasm, std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto m = decode_module(bytes);
        REQUIRE(m.ok());
        CHECK(m->uses_simd == (simd == 1));
        std::string so = wasm + ".so";
        Status st = compile_bytes(bytes, so, CompileOptions{});
        if (!st.ok()) FAIL(st.error().to_string());
        auto dl = DlModule::load(so);
        if (!dl) FAIL(dl.error().to_string());
        sums[simd] = ret(*instantiate(*dl), "checksum", {});
    }
    CHECK(sums[1] == sums[0]);
}

// Leaf functions with small frames skip the stack check; the frame estimate
// counts a v128 as two 8-byte slots, so 150 v128 locals (2.4 KiB) are not small.
TEST_CASE("v128 locals count double in the leaf frame estimate", "[simd][emit]") {
    auto leaf = [](const char *type) {
        return std::string("(module (func (export \"f\") (param i32) (result i32) (local ") +
               [&] { std::string l; for (int i = 0; i < 150; i++) (l += type) += ' '; return l; }() +
               ") local.get 0))";
    };
    auto has_check = [](const std::vector<CUnit> &units) {
        for (const CUnit &u : units)
            if (u.source.find("LUCET_STACK_CHECK(ctx, 0x") != std::string::npos ||
                u.source.find("LUCET_STACK_PROBE(ctx, 0x") != std::string::npos)
                return true;
        return false;
    };
    CHECK_FALSE(has_check(emit("leaf_i64", leaf("i64"))));
    CHECK(has_check(emit("leaf_v128", leaf("v128"))));
}

TEST_CASE("every SIMD opcode has a translation", "[simd][emit]") {
    int n = 0;
    for (uint32_t sub = 0; sub < 256; sub++) {
        if (simd_info(sub).sig == SimdSig::Invalid) continue;
        Op op = static_cast<Op>(0xfd00 | sub);
        INFO(op_name(op));
        bool mem = cgen::find_simd_mem_op(op) != nullptr;
        CHECK((cgen::find_simd_op(op) != nullptr) != mem);
        SimdSig sig = simd_info(sub).sig;
        if (const cgen::SimdOp *so = cgen::find_simd_op(op)) {
            // Operands popped and result pushed agree with the typing rule.
            int arity = sig == SimdSig::Const ? 0
                        : sig == SimdSig::Binary || sig == SimdSig::Shift || sig == SimdSig::Replace ? 2
                        : sig == SimdSig::Ternary ? 3 : 1;
            ValType result = sig == SimdSig::Test ? ValType::I32
                             : sig == SimdSig::Extract ? simd_info(sub).scalar : ValType::V128;
            CHECK(so->arity == arity);
            CHECK(so->result == result);
        }
        CHECK(mem == (sig == SimdSig::Load || sig == SimdSig::Store || sig == SimdSig::LoadLane ||
                      sig == SimdSig::StoreLane));
        n++;
    }
    CHECK(n == 236);
}

TEST_CASE("only units with SIMD functions include SIMDe", "[simd][emit]") {
    // An MVP module: no SIMDe anywhere (its C is unchanged by SIMD support).
    for (const CUnit &u : emit("mvp_only", R"((module (memory 1)
      (func (export "f") (param i32) (result i32) local.get 0 i32.load)))"))
        CHECK_FALSE(mentions_simde(u));
    // v128 in signatures and locals alone needs no SIMDe either.
    for (const CUnit &u : emit("v128_plumbing_only", R"((module
      (func $id (param v128) (result v128) (local v128) local.get 0 local.tee 1)
      (func (export "f") (param i32) (result i32) local.get 0)))"))
        CHECK_FALSE(mentions_simde(u));
    // One unit per function: only the SIMD one includes SIMDe.
    EmitOptions eo;
    eo.max_code_bytes_per_unit = 1;
    auto units = emit("mixed", R"((module
      (func (export "a") (param i32) (result i32) local.get 0 i32.const 1 i32.add)
      (func (export "b") (param i32) (result i32) (i32x4.extract_lane 0 (i32x4.splat (local.get 0))))
      (func (export "c") (param i32) (result i32) local.get 0)))", eo);
    int with = 0, without = 0;
    for (const CUnit &u : units) {
        bool has_b = u.source.find("lucet_f1(lucet_vmctx *ctx, uint32_t l0) {") != std::string::npos;
        CHECK(mentions_simde(u) == has_b);
        (has_b ? with : without)++;
    }
    CHECK(with == 1);
    CHECK(without >= 3);  // unit0 + the units of a and c
}

TEST_CASE("a SIMD module without the SIMDe headers fails with one clear line", "[simd][emit]") {
    // cc with every system include directory except simde/: a symlink farm.
    namespace fs = std::filesystem;
    std::string dir = rt_test::temp_dir() + "/nosimde";
    fs::create_directories(dir + "/inc");
    for (const auto &e : fs::directory_iterator("/usr/include"))
        if (e.path().filename() != "simde") fs::create_symlink(e.path(), fs::path(dir + "/inc") / e.path().filename());
    std::string gcc_inc = [] {
        FILE *p = popen("cc -print-file-name=include", "r");
        char buf[512] = {0};
        REQUIRE(p != nullptr);
        REQUIRE(fgets(buf, sizeof buf, p) != nullptr);
        pclose(p);
        std::string s(buf);
        while (!s.empty() && s.back() == '\n') s.pop_back();
        return s;
    }();
    CompileOptions opts;
    opts.cc = "cc -nostdinc -isystem " + gcc_inc + " -isystem " + dir + "/inc/x86_64-linux-gnu -isystem " + dir + "/inc";
    opts.jobs = 1;
    std::string out = dir + "/x.so";
    // The same cc builds an MVP module: only the SIMDe header is missing.
    REQUIRE(compile_bytes(wat_bytes("nosimde_mvp", "(module (func (export \"f\") (result i32) i32.const 1))"), out,
                          opts).ok());
    Status st = compile_bytes(
        wat_bytes("nosimde", "(module (func (export \"f\") (result i32) (i32x4.extract_lane 0 (i32x4.splat (i32.const 1)))))"),
        out, opts);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().to_string() ==
          "SIMD needs the SIMDe headers (Debian package libsimde-dev): simde/wasm/simd128.h not found");
}
