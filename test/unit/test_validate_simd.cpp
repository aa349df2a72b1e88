// test_validate_simd.cpp: the validator's rules for fixed-width SIMD: lane
// indices per shape, alignment per access size, operand and result types, and
// v128 in every position the format allows.
#include <catch2/catch.hpp>

#include <string>

#include "frontend_util.h"

using namespace fe_test;

namespace {

const char *kZero = "(v128.const i64x2 0 0)";

// A module with one memory and a function of result type `result` (or none)
// whose body is `body`.
std::string func(const std::string &result, const std::string &body, bool memory = true) {
    return std::string("(module ") + (memory ? "(memory 1) " : "") + "(func " +
           (result.empty() ? "" : "(result " + result + ") ") + body + "))";
}

struct LaneOp {
    const char *name;
    int lanes;
    const char *scalar;  // the scalar type of extract/replace; "" for memory lane ops
};

}  // namespace

TEST_CASE("validate: SIMD lane index ranges per shape", "[validate][simd]") {
    const LaneOp lane_ops[] = {
        {"i8x16.extract_lane_s", 16, "i32"}, {"i8x16.extract_lane_u", 16, "i32"}, {"i8x16.replace_lane", 16, "i32"},
        {"i16x8.extract_lane_s", 8, "i32"},  {"i16x8.extract_lane_u", 8, "i32"},  {"i16x8.replace_lane", 8, "i32"},
        {"i32x4.extract_lane", 4, "i32"},    {"i32x4.replace_lane", 4, "i32"},    {"i64x2.extract_lane", 2, "i64"},
        {"i64x2.replace_lane", 2, "i64"},    {"f32x4.extract_lane", 4, "f32"},    {"f32x4.replace_lane", 4, "f32"},
        {"f64x2.extract_lane", 2, "f64"},    {"f64x2.replace_lane", 2, "f64"},    {"v128.load8_lane", 16, ""},
        {"v128.load16_lane", 8, ""},         {"v128.load32_lane", 4, ""},         {"v128.load64_lane", 2, ""},
        {"v128.store8_lane", 16, ""},        {"v128.store16_lane", 8, ""},        {"v128.store32_lane", 4, ""},
        {"v128.store64_lane", 2, ""},
    };
    for (const LaneOp &op : lane_ops) {
        std::string n = op.name;
        bool replace = n.find("replace") != std::string::npos, store = n.find("store") != std::string::npos;
        for (int lane : {0, op.lanes - 1, op.lanes, 31, 255}) {
            std::string l = std::to_string(lane);
            std::string text;
            if (*op.scalar == 0)
                text = func(store ? "" : "v128", "(" + n + " " + l + " (i32.const 0) " + kZero + ")");
            else if (replace)
                text = func("v128", "(" + n + " " + l + " " + kZero + " (" + op.scalar + ".const 0))");
            else
                text = func(op.scalar, "(" + n + " " + l + " " + kZero + ")");
            if (lane < op.lanes) VALID(text);
            else INVALID(text, "invalid lane index");
        }
    }
    // i8x16.shuffle: 16 lanes, each below 32, checked in every position.
    for (int pos = 0; pos < 16; ++pos) {
        for (int bad : {32, 255}) {
            std::string lanes_ok, lanes_bad;
            for (int k = 0; k < 16; ++k) {
                lanes_ok += " " + std::to_string(k == pos ? 31 : k);
                lanes_bad += " " + std::to_string(k == pos ? bad : k);
            }
            VALID(func("v128", "(i8x16.shuffle" + lanes_ok + " " + kZero + " " + kZero + ")"));
            INVALID(func("v128", "(i8x16.shuffle" + lanes_bad + " " + kZero + " " + kZero + ")"), "invalid lane index");
        }
    }
}

TEST_CASE("validate: SIMD alignment is at most the access size", "[validate][simd]") {
    struct MemOp {
        const char *name;
        int bytes;
    };
    const MemOp mem_ops[] = {
        {"v128.load", 16},       {"v128.load8x8_s", 8},    {"v128.load8x8_u", 8},    {"v128.load16x4_s", 8},
        {"v128.load16x4_u", 8},  {"v128.load32x2_s", 8},   {"v128.load32x2_u", 8},   {"v128.load8_splat", 1},
        {"v128.load16_splat", 2}, {"v128.load32_splat", 4}, {"v128.load64_splat", 8}, {"v128.load32_zero", 4},
        {"v128.load64_zero", 8}, {"v128.store", 16},       {"v128.load8_lane", 1},   {"v128.load16_lane", 2},
        {"v128.load32_lane", 4}, {"v128.load64_lane", 8},  {"v128.store8_lane", 1},  {"v128.store16_lane", 2},
        {"v128.store32_lane", 4}, {"v128.store64_lane", 8},
    };
    for (const MemOp &op : mem_ops) {
        std::string n = op.name;
        bool lane = n.find("_lane") != std::string::npos, store = n.find("store") != std::string::npos;
        std::string operands = std::string(" (i32.const 0)") + (store || lane ? std::string(" ") + kZero : "");
        for (int align : {1, op.bytes, op.bytes * 2, 1 << 16}) {
            std::string text = func(store ? "" : "v128", "(" + n + " offset=3 align=" + std::to_string(align) +
                                                             (lane ? " 0" : "") + operands + ")");
            if (align <= op.bytes) VALID(text);
            else INVALID(text, "alignment must not be larger than natural");
        }
        // A memory must exist.
        INVALID(func(store ? "" : "v128", "(" + n + (lane ? " 0" : "") + operands + ")", false), "unknown memory");
        // The address is an i32.
        std::string i64_addr = std::string(" (i64.const 0)") + (store || lane ? std::string(" ") + kZero : "");
        INVALID(func(store ? "" : "v128", "(" + n + (lane ? " 0" : "") + i64_addr + ")"), "type mismatch");
    }
}

TEST_CASE("validate: SIMD operand and result types", "[validate][simd]") {
    // Shifts take an i32 amount.
    VALID(func("v128", std::string("(i64x2.shl ") + kZero + " (i32.const 1))"));
    INVALID(func("v128", std::string("(i64x2.shl ") + kZero + " (i64.const 1))"), "type mismatch");
    INVALID(func("v128", "(i8x16.shr_u (i32.const 1) (i32.const 1))"), "type mismatch");
    // extract_lane gives the lane's scalar type.
    VALID(func("i32", std::string("(i16x8.extract_lane_u 7 ") + kZero + ")"));
    VALID(func("i64", std::string("(i64x2.extract_lane 1 ") + kZero + ")"));
    VALID(func("f32", std::string("(f32x4.extract_lane 3 ") + kZero + ")"));
    VALID(func("f64", std::string("(f64x2.extract_lane 1 ") + kZero + ")"));
    INVALID(func("i32", std::string("(i64x2.extract_lane 1 ") + kZero + ")"), "type mismatch");
    INVALID(func("f64", std::string("(f32x4.extract_lane 1 ") + kZero + ")"), "type mismatch");
    // replace_lane and splat take the scalar.
    VALID(func("v128", std::string("(i64x2.replace_lane 0 ") + kZero + " (i64.const 1))"));
    INVALID(func("v128", std::string("(i64x2.replace_lane 0 ") + kZero + " (i32.const 1))"), "type mismatch");
    INVALID(func("v128", std::string("(f32x4.replace_lane 0 ") + kZero + " (f64.const 1))"), "type mismatch");
    VALID(func("v128", "(i8x16.splat (i32.const 1))"));
    VALID(func("v128", "(f64x2.splat (f64.const 1))"));
    INVALID(func("v128", "(f64x2.splat (f32.const 1))"), "type mismatch");
    INVALID(func("v128", "(i64x2.splat (i32.const 1))"), "type mismatch");
    // Tests and bitmasks give i32.
    for (const char *op : {"v128.any_true", "i8x16.all_true", "i16x8.bitmask", "i32x4.all_true", "i64x2.bitmask"}) {
        VALID(func("i32", std::string("(") + op + " " + kZero + ")"));
        INVALID(func("v128", std::string("(") + op + " " + kZero + ")"), "type mismatch");
    }
    // bitselect takes three v128.
    VALID(func("v128", std::string("(v128.bitselect ") + kZero + " " + kZero + " " + kZero + ")"));
    INVALID(func("v128", std::string("(v128.bitselect ") + kZero + " " + kZero + " (i32.const 0))"), "type mismatch");
    INVALID(func("v128", std::string("(v128.bitselect ") + kZero + " " + kZero + ")"), "type mismatch");
    // Binary and unary operations on v128 only.
    VALID(func("v128", std::string("(i32x4.dot_i16x8_s ") + kZero + " " + kZero + ")"));
    INVALID(func("v128", std::string("(f32x4.add ") + kZero + " (f32.const 0))"), "type mismatch");
    VALID(func("v128", std::string("(f64x2.convert_low_i32x4_u ") + kZero + ")"));
    INVALID(func("v128", "(f32x4.sqrt (f32.const 0))"), "type mismatch");
    INVALID(func("i32", std::string("(i32x4.add ") + kZero + " " + kZero + ")"), "type mismatch");
    // A store leaves nothing; a load needs its address.
    INVALID(func("v128", std::string("(v128.store (i32.const 0) ") + kZero + ")"), "type mismatch");
    INVALID(func("v128", "(v128.load)"), "type mismatch");
}

TEST_CASE("validate: v128 in every position", "[validate][simd]") {
    // Params, results, locals, block/if/loop types, select with and without a type.
    VALID("(module (func (param v128 i32) (result v128) (local v128)"
          " (local.set 2 (local.get 0))"
          " (block (result v128) (local.get 2))"
          " (loop (param v128) (result v128))"
          " (if (param v128) (result v128) (local.get 1) (then) (else (drop) (v128.const i32x4 1 2 3 4)))"
          " (select (result v128) (local.get 0) (local.get 1))"
          " (select (local.get 0) (local.get 1))))");
    INVALID("(module (func (param v128 i32) (result i32) (select (local.get 0) (local.get 0) (local.get 1))))",
            "type mismatch");
    INVALID("(module (func (param v128) (result i32) (block (result v128) (local.get 0))))", "type mismatch");
    INVALID("(module (func (param v128) (select (local.get 0) (i32.const 1) (i32.const 1)) drop))", "type mismatch");
    // Globals: defined (initialised by v128.const), imported, exported, mutable.
    VALID("(module (import \"m\" \"g\" (global $ig v128)) (global $g (mut v128) (v128.const f32x4 1 2 3 4))"
          " (global $h v128 (global.get $ig)) (export \"g\" (global $g)) (export \"ig\" (global $ig))"
          " (func (param v128) (result v128) (global.set $g (local.get 0)) (global.get $h)))");
    INVALID("(module (global v128 (i32.const 0)))", "type mismatch");
    INVALID("(module (global i64 (v128.const i64x2 0 0)))", "type mismatch");
    INVALID("(module (global v128 (v128.const i64x2 0 0)) (func (global.set 0 (v128.const i64x2 0 0))))",
            "global is immutable");
    INVALID("(module (global (mut v128) (v128.const i64x2 0 0)) (func (global.set 0 (i32.const 0))))",
            "type mismatch");
    // Calls and call_indirect through a type with v128.
    VALID("(module (type $t (func (param v128) (result v128))) (table 1 funcref)"
          " (func $f (type $t) (local.get 0))"
          " (func (result v128) (call_indirect (type $t) (call $f (v128.const i64x2 1 2)) (i32.const 0))))");
    INVALID("(module (func $f (param v128)) (func (call $f (i64.const 0))))", "type mismatch");
}
