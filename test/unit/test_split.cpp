// test_split.cpp: functions lucetc cuts into chunks (cgen/func_split.cpp).
// Every function of these modules is split into chunks of about one
// instruction each (CompileOptions::force_split_chunk_bytes), so every
// branch, loop back edge, if/else and return crosses chunks; the results
// must be those of the same module compiled whole, and traps must name the
// function once per wasm frame. (The spec suite runs split too: spec-split.)
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "compiler/compiler.h"
#include "rt_test_modules.h"
#include "run_checks.h"

using namespace lucet;
using rt_test::compile_wat;
using rt_test::no_imports;
using run_checks::run;
using run_checks::run_i32;

namespace {

const char *kSplitWat = R"((module
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) $sq $fac)
  (type $i_i (func (param i32) (result i32)))
  (func $sq (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
  (func $fac (export "fac") (param i32) (result i32)
    (if (result i32) (i32.le_u (local.get 0) (i32.const 1))
      (then (i32.const 1))
      (else (i32.mul (local.get 0) (call $fac (i32.sub (local.get 0) (i32.const 1)))))))
  ;; a loop, a br_table whose targets are all over the function, br_if out
  ;; of the loop, call_indirect, memory, and an if with a param (saved and
  ;; restored across chunks)
  (func (export "mix") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $top
      (block $b3 (block $b2 (block $b1 (block $b0
        (br_table $b0 $b1 $b2 $b3 (i32.rem_u (local.get $i) (i32.const 5))))
        (local.set $acc (i32.add (local.get $acc) (i32.const 1))) (br $b3))
        (local.set $acc (i32.xor (local.get $acc) (call_indirect (type $i_i) (local.get $i) (i32.const 0)))) (br $b3))
        (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (local.get $i)))
        (local.set $acc (i32.add (local.get $acc) (i32.load (i32.const 64)))))
      (local.set $acc
        (i32.const 7) (local.get $i) (i32.const 1) (i32.and)
        (if (param i32) (result i32) (then (i32.const 3) (i32.add)) (else (i32.const 2) (i32.mul)))
        (local.get $acc) (i32.add))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (i32.store (i32.const 64) (i32.const 0))
    (local.get $acc))
  ;; several results, returned from the middle of the function
  (func $pair (param i32) (result i32 i64 f64)
    (if (i32.eqz (local.get 0)) (then (return (i32.const 1) (i64.const 2) (f64.const 3.5))))
    (local.get 0) (i64.extend_i32_u (local.get 0)) (i64.const 10) (i64.mul) (f64.const 0.25))
  (func (export "pair") (param i32) (result i32)
    (call $pair (local.get 0))
    (drop) (i32.wrap_i64) (i32.add))
  ;; traps two wasm frames deep
  (func $inner (param i32) (result i32) (i32.load (i32.add (local.get 0) (i32.const 1))))
  (func (export "outer") (param i32) (result i32) (i32.add (call $inner (local.get 0)) (i32.const 1)))
))";

std::shared_ptr<Instance> instance_of(const std::shared_ptr<DlModule> &m) {
    auto r = Region::create(1, RegionLimits{});
    REQUIRE(r.ok());
    auto inst = Instance::create(*r, m, no_imports());
    if (!inst) FAIL(inst.error().to_string());
    return *inst;
}

}  // namespace

TEST_CASE("a function split into chunks computes what the whole one does", "[compiler][split]") {
    for (int level : {0, 2}) {
        INFO("-O" << level);
        CompileOptions whole_opts, split_opts;
        whole_opts.opt_level = split_opts.opt_level = level;
        split_opts.force_split_chunk_bytes = 1;
        auto whole = instance_of(compile_wat("whole" + std::to_string(level), kSplitWat, whole_opts));
        auto split = instance_of(compile_wat("split" + std::to_string(level), kSplitWat, split_opts));
        for (uint32_t x : {0u, 1u, 5u, 10u}) CHECK(run_i32(*split, "fac", {x}) == run_i32(*whole, "fac", {x}));
        CHECK(run_i32(*split, "fac", {10}) == 3628800u);
        for (uint32_t n : {1u, 7u, 100u, 1000u})
            CHECK(run_i32(*split, "mix", {n}) == run_i32(*whole, "mix", {n}));
        for (uint32_t x : {0u, 3u, 0xffffffffu}) CHECK(run_i32(*split, "pair", {x}) == run_i32(*whole, "pair", {x}));
        CHECK(run_i32(*split, "pair", {0}) == 3u);
        CHECK(run_i32(*split, "pair", {3}) == 33u);
        CHECK(run_i32(*split, "outer", {8}) == 1u);

        // The fault is in a chunk of $inner, called from a chunk of $outer:
        // two wasm frames, not four (each function's dispatcher frame is the
        // same wasm frame as its chunk's).
        RunResult r = run(*split, "outer", {65535});
        run_checks::expect_trap(r, LUCET_TRAP_HEAP_OOB);
        CHECK(r.trap.function == "func[5]");
        if (level == 0) {
            REQUIRE(r.trap.backtrace.size() == 2);
            CHECK(r.trap.backtrace[0].func == 5);
            CHECK(r.trap.backtrace[1].func == 6);
        } else {
            REQUIRE(!r.trap.backtrace.empty());
            CHECK(r.trap.backtrace.size() <= 2);
            for (size_t i = 1; i < r.trap.backtrace.size(); i++)
                CHECK(r.trap.backtrace[i].func != r.trap.backtrace[i - 1].func);
        }
        INFO(r.trap.backtrace_string());
        // A stack overflow in the recursion through chunks is a trap too.
        run_checks::expect_trap(run(*split, "fac", {100000000u}), LUCET_TRAP_STACK_OVERFLOW);
        CHECK(run_i32(*split, "fac", {4}) == 24u);
    }
}
