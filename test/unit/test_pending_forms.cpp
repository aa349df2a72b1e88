// Loads that lucetc leaves unforced (no empty asm, so gcc can vectorize):
// float loads everywhere, integer loads in straight-line loops
// (func_access.cpp), among them three more shapes than the plain integer
// chains: clang's integer min/max over two tee'd loads and a load mixed
// with shifts of itself (fused_select.cpp: fused_minmax_select,
// fused_shift_mix) and integer -> float conversions of loads (pending.cpp,
// scales_conversion). These are the ways cc could still learn or fold such
// a value (float sign-bit ops included) and delete the load with its trap;
// every shape must trap on an out-of-bounds address under every C
// compiler, and the emitted C must show which shapes stay unforced.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "compiler/compiler.h"
#include "rt_test_modules.h"
#include "run_checks.h"

using namespace lucet;
using rt_test::compile_wat;
using rt_test::no_imports;
using run_checks::expect_trap;
using run_checks::run;

namespace {

// Each body is a loop run once; $p is the address under test.
const char *kShapes = R"WAT(
(module
  (memory 1)
  ;; Fused max/min: the first load out of bounds, the second, both the same.
  (func (export "max_a") (param $p i32) (local $a i32) (local $b i32) (loop
    (i32.store (i32.const 0) (select (local.tee $a (i32.load (local.get $p))) (local.tee $b (i32.load (i32.const 8)))
                                     (i32.gt_s (local.get $a) (local.get $b))))))
  (func (export "max_b") (param $p i32) (local $a i32) (local $b i32) (loop
    (i32.store (i32.const 0) (select (local.tee $a (i32.load (i32.const 8))) (local.tee $b (i32.load (local.get $p)))
                                     (i32.gt_s (local.get $a) (local.get $b))))))
  (func (export "max_same") (param $p i32) (local $a i64) (local $b i64) (loop
    (i64.store (i32.const 0) (select (local.tee $a (i64.load (local.get $p))) (local.tee $b (i64.load (local.get $p)))
                                     (i64.ge_u (local.get $b) (local.get $a))))))
  ;; The other operand is a bound cc could know from the store just before:
  ;; max_s(x, INT_MAX) and min_u(x, 0) are constants.
  (func (export "max_known") (param $p i32) (local $a i32) (local $b i32) (loop
    (i32.store (i32.const 8) (i32.const 0x7fffffff))
    (i32.store (i32.const 0) (select (local.tee $a (i32.load (local.get $p))) (local.tee $b (i32.load (i32.const 8)))
                                     (i32.gt_s (local.get $a) (local.get $b))))))
  (func (export "minu_known") (param $p i32) (local $a i32) (local $b i32) (loop
    (i32.store (i32.const 8) (i32.const 0))
    (i32.store8 (i32.const 0) (select (local.tee $a (i32.load8_u (local.get $p))) (local.tee $b (i32.load (i32.const 8)))
                                      (i32.lt_u (local.get $a) (local.get $b))))))
  ;; Loads of one address in two widths where the comparison picks the narrow
  ;; value: min_u(x, x & 0xff) is x & 0xff, so cc could narrow the wide load
  ;; (clang -O2 did) and a wide load reaching one byte past the end would no
  ;; longer trap. Not fused.
  (func (export "min_wide_narrow") (param $p i32) (local $a i32) (local $b i32) (loop
    (i32.store (i32.const 0) (select (local.tee $a (i32.load16_u (local.get $p))) (local.tee $b (i32.load8_u (local.get $p)))
                                     (i32.lt_u (local.get $a) (local.get $b))))))
  (func (export "min_narrow_wide") (param $p i32) (local $a i64) (local $b i64) (loop
    (i64.store (i32.const 0) (select (local.tee $a (i64.load8_u (local.get $p))) (local.tee $b (i64.load32_u (local.get $p)))
                                     (i64.gt_u (local.get $b) (local.get $a))))))
  ;; The result combined with a copy of an operand (not fused), and stored back.
  (func (export "max_minus_a") (param $p i32) (local $a i32) (local $b i32) (loop
    (i32.store (i32.const 0) (i32.sub (select (local.tee $a (i32.load (local.get $p))) (local.tee $b (i32.load (i32.const 8)))
                                              (i32.gt_u (local.get $a) (local.get $b))) (local.get $a)))))
  (func (export "max_back") (param $p i32) (local $a i32) (local $b i32) (loop
    (i32.store (local.get $p) (select (local.tee $a (i32.load (local.get $p))) (local.tee $b (i32.load (local.get $p)))
                                      (i32.le_s (local.get $a) (local.get $b))))))
  ;; Conversions: carried when stored or scaled once by a moderate constant.
  (func (export "conv_scaled") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.mul (f32.convert_i32_s (i32.load (local.get $p))) (f32.const 0.5)))))
  (func (export "conv_back") (param $p i32) (loop
    (f32.store (local.get $p) (f32.convert_i32_s (i32.load (local.get $p))))))
  ;; A narrow load's range makes these constants to a compiler that tracks
  ;; float ranges: x * 0 (x >= 0), x + 2^60, min(x, -1), x < 0, x * 2^-149.
  (func (export "conv_mul_zero") (param $p i32) (loop
    (f64.store (i32.const 0) (f64.mul (f64.convert_i32_u (i32.load8_u (local.get $p))) (f64.const 0)))))
  (func (export "conv_add_big") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.add (f32.convert_i32_u (i32.load8_u (local.get $p))) (f32.const 0x1p60)))))
  (func (export "conv_min") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.min (f32.convert_i32_u (i32.load8_u (local.get $p))) (f32.const -1)))))
  (func (export "conv_lt") (param $p i32) (loop
    (i32.store (i32.const 0) (f32.lt (f32.convert_i32_u (i32.load16_u (local.get $p))) (f32.const 0)))))
  (func (export "conv_tiny") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.mul (f32.convert_i32_u (i32.load8_u (local.get $p))) (f32.const 0x1p-149)))))
  (func (export "conv_twice") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.mul (f32.mul (f32.convert_i32_u (i32.load8_u (local.get $p))) (f32.const 0x1p-29))
                                      (f32.const 0x1p-29)))))
  ;; A derived integer is forced before a conversion: load8_u + 0x80000180
  ;; rounds to one f32 whatever the byte.
  (func (export "conv_offset") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.convert_i32_u (i32.add (i32.load8_u (local.get $p)) (i32.const 0x80000180))))))
  ;; Float sign-bit ops: copysign keeps only its second operand's sign,
  ;; which abs or another copysign drops, so these are constants (gcc and
  ;; clang -O2 deleted the load; found by an adversarial helper).
  (func (export "sign_abs_of_cs") (param $p i32)
    (f64.store (i32.const 0) (f64.abs (f64.copysign (f64.const 2) (f64.load (local.get $p))))))
  (func (export "sign_cs_of_abs") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.copysign (f32.const 1) (f32.abs (f32.load (local.get $p)))))))
  (func (export "sign_cs_arith") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.add (f32.abs (f32.copysign (f32.const 2) (f32.load (local.get $p))))
                                      (f32.const 1)))))
  (func (export "sign_cs_cs") (param $p i32) (loop
    (f64.store (i32.const 0) (f64.copysign (f64.copysign (f64.const 2) (f64.load (local.get $p))) (f64.const 1)))))
  ;; A NaN operand, literal or computed, makes the result NaN whatever the
  ;; load: clang folded these and deleted the load (float loads are forced
  ;; under clang).
  (func (export "nan_min") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.min (f32.load (local.get $p)) (f32.const nan)))))
  (func (export "nan_computed") (param $p i32)
    (f64.store (i32.const 0) (f64.add (f64.load (local.get $p)) (f64.div (f64.const 0) (f64.const 0)))))
  (func (export "snan_mul") (param $p i32) (loop
    (f32.store (i32.const 0) (f32.mul (f32.load (local.get $p)) (f32.const nan:0x200000)))))
  ;; A load mixed with shifts of itself: carried when bit 0 of the result is
  ;; a bit of the load.
  (func (export "mix") (param $p i32) (local $x i32) (loop
    (i32.store (i32.const 0) (i32.xor (i32.xor (i32.shl (local.tee $x (i32.load (local.get $p))) (i32.const 5))
                                               (i32.shr_u (local.get $x) (i32.const 3))) (i32.const 0x9e3779b9)))))
  (func (export "mix64_back") (param $p i32) (local $y i64) (loop
    (i64.store (local.get $p) (i64.add (i64.shr_s (local.tee $y (i64.load (local.get $p))) (i64.const 7))
                                       (i64.shl (local.get $y) (i64.const 1))))))
  ;; ... not when a later copy cancels it ((x << 8 ^ x >> 3) ^ x >> 3 is 0 in
  ;; a byte), the right shift empties a narrow load, or both shifts are left.
  (func (export "mix_cancel") (param $p i32) (local $x i32) (loop
    (i32.store8 (i32.const 0) (i32.xor (i32.xor (i32.shl (local.tee $x (i32.load (local.get $p))) (i32.const 8))
                                                (i32.shr_u (local.get $x) (i32.const 3)))
                                       (i32.shr_u (local.get $x) (i32.const 3))))))
  (func (export "mix_narrow") (param $p i32) (local $x i32) (loop
    (i32.store8 (i32.const 0) (i32.xor (i32.shl (local.tee $x (i32.load8_u (local.get $p))) (i32.const 24))
                                       (i32.shr_u (local.get $x) (i32.const 8))))))
  (func (export "mix_left") (param $p i32) (local $x i32) (loop
    (i32.store8 (i32.const 0) (i32.or (i32.shl (local.tee $x (i32.load (local.get $p))) (i32.const 8))
                                      (i32.shl (local.get $x) (i32.const 16))))))
)
)WAT";

const char *kNames[] = {"max_a",        "max_b",     "max_same",      "max_known",    "minu_known",
                        "max_minus_a",  "max_back",  "conv_scaled",   "conv_back",    "conv_mul_zero",
                        "conv_add_big", "conv_min",  "conv_lt",       "conv_tiny",    "conv_twice",
                        "mix",          "mix64_back", "mix_cancel",   "mix_narrow",   "mix_left",
                        "min_wide_narrow", "min_narrow_wide", "conv_offset", "sign_abs_of_cs", "sign_cs_of_abs",
                        "sign_cs_arith",   "sign_cs_cs",      "nan_min",     "nan_computed", "snan_mul"};

// The generated C of a one-function module cut out of kShapes' text.
std::string emitted_c(const std::string &name, const std::string &func_wat) {
    std::string dir = rt_test::temp_dir();
    std::string wat = dir + "/pf_" + name + ".wat", wasm = dir + "/pf_" + name + ".wasm",
                c = dir + "/pf_" + name + ".c";
    std::ofstream(wat) << "(module (memory 1) " << func_wat << ")";
    const char *w2w = getenv("LUCET_TEST_WAT2WASM");
    std::string cmd = std::string(w2w ? w2w : "wat2wasm") + " " + wat + " -o " + wasm;
    REQUIRE(std::system(cmd.c_str()) == 0);
    CompileOptions opts;
    opts.emit = EmitKind::C;
    Status st = compile_file(wasm, c, opts);
    if (!st) FAIL("compile_file: " << st.error().to_string());
    std::stringstream ss;
    ss << std::ifstream(c).rdbuf();
    return ss.str();
}

// The (func ...) of export `name` in kShapes.
std::string func_text(const std::string &name) {
    std::string all = kShapes;
    size_t at = all.find("(func (export \"" + name + "\")");
    REQUIRE(at != std::string::npos);
    int depth = 0;
    for (size_t i = at; i < all.size(); i++) {
        if (all[i] == '(') depth++;
        if (all[i] == ')' && --depth == 0) return all.substr(at, i - at + 1);
    }
    FAIL("unbalanced " << name);
    return {};
}

size_t count(const std::string &hay, const std::string &needle) {
    size_t n = 0;
    for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) n++;
    return n;
}

}  // namespace

TEST_CASE("loads carried by a fused min/max or a conversion trap out of bounds", "[runtime][compiled]") {
    auto region = Region::create(2, RegionLimits{});
    REQUIRE(region.ok());
    for (const std::string &cc : rt_test::c_compilers()) {
        CompileOptions opts;
        opts.cc = cc;
        opts.opt_level = 2;
        auto m = compile_wat("pending_forms_" + cc, kShapes, opts);
        auto ci = Instance::create(*region, m, no_imports());
        REQUIRE(ci.ok());
        Instance &in = **ci;
        for (const char *f : kNames) {
            INFO(cc << " " << f);
            expect_trap(run(in, f, {70000}), LUCET_TRAP_HEAP_OOB);
            CHECK(run(in, f, {16}).kind == RunResult::Kind::Returned);
        }
        // The wide load reaches one (three) bytes past the end, the narrow
        // one does not.
        INFO(cc);
        expect_trap(run(in, "min_wide_narrow", {65535}), LUCET_TRAP_HEAP_OOB);
        expect_trap(run(in, "min_narrow_wide", {65533}), LUCET_TRAP_HEAP_OOB);
        CHECK(run(in, "min_wide_narrow", {65534}).kind == RunResult::Kind::Returned);
        CHECK(run(in, "min_narrow_wide", {65532}).kind == RunResult::Kind::Returned);
    }
}

TEST_CASE("fused min/max and scaled conversions stay unforced, range-foldable conversions do not",
          "[compiler]") {
    // Unforced: the loads read through memr without the asm, and no value
    // is forced. (The prelude defines the forcing macros and loads too, so
    // only uses are counted: "= lucet_ldfo_", "FORCE_READ_*(s".)
    for (const char *f : {"max_a", "max_b", "max_same", "max_back", "conv_scaled", "conv_back", "mix", "mix64_back"}) {
        INFO(f);
        std::string c = emitted_c(f, func_text(f));
        CHECK(count(c, "= lucet_ldnf_") >= 1);
        CHECK(count(c, "= lucet_ldfo_") == 0);
        CHECK(count(c, "LUCET_FORCE_READ_FLOAT(s") == 0);
        CHECK(count(c, "LUCET_FORCE_READ_INT(s") == 0);
    }
    // The fused min/max is one conditional expression over both loads.
    CHECK(count(emitted_c("max_a_form", func_text("max_a")), "(uint32_t)((int32_t)si1 > (int32_t)si2) ? si1 : si2") == 1);
    // Forced: the converted value is read by the asm before the range-
    // foldable op (or the comparison forces the integer load itself).
    for (const char *f : {"conv_mul_zero", "conv_add_big", "conv_min", "conv_tiny", "conv_twice"}) {
        INFO(f);
        CHECK(count(emitted_c(f, func_text(f)), "LUCET_FORCE_READ_FLOAT(s") == 1);
    }
    // Forced: the load's own asm (the chain's loads are rewritten into their
    // forced form when it is forced).
    // A min/max whose operand's local is read again (max_minus_a) is not
    // fused: the copy could cancel the result; nor one over loads of two
    // widths.
    for (const char *f : {"mix_cancel", "mix_narrow", "mix_left", "conv_offset", "max_minus_a", "min_wide_narrow",
                          "min_narrow_wide"}) {
        INFO(f);
        std::string c = emitted_c(f, func_text(f));
        const bool two_loads = std::string(f).rfind("m", 0) == 0 && std::string(f).rfind("mix", 0) != 0;  // min/max
        CHECK(count(c, "= lucet_ldfo_") == (two_loads ? 2u : 1u));
        CHECK(count(c, "= lucet_ldnf_") == 0);
    }
    CHECK(count(emitted_c("conv_lt", func_text("conv_lt")), "LUCET_FORCE_READ_FLOAT(s") +
              count(emitted_c("conv_lt2", func_text("conv_lt")), "= lucet_ldfo_") >= 1);
}
