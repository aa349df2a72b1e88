// values.h: the spec runner's view of wast2json values: parsing arguments and
// expected results from the JSON, matching results (bit-exact, with the NaN
// patterns of the spec), and printing both for failure messages.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/runtime.h"
#include "util/result.h"

namespace lucet::spec {

using nlohmann::json;

// What an assert_return expects in one result position.
struct Expected {
    enum class Kind {
        Exact,          // bits must match exactly (after masking to the type's width)
        CanonicalNan,   // nan:canonical: quiet NaN with an all-zero payload, either sign
        ArithmeticNan,  // nan:arithmetic: any NaN with the quiet bit set
        AnyOfType,      // no "value" given (e.g. `(ref.func)`): any value of the type
    };
    ValType type = ValType::I32;
    Kind kind = Kind::Exact;
    uint64_t bits = 0;
    // v128 (kind Exact): one pattern per lane of lane_type ("i8" ... "f64"),
    // each Exact (the lane's bits) or, for f32/f64 lanes, a NaN pattern.
    struct Lane {
        Kind kind = Kind::Exact;
        uint64_t bits = 0;
    };
    std::string lane_type;
    std::vector<Lane> lanes;
};

// "i32" -> ValType::I32, ..., "v128" -> ValType::V128; an error for anything else.
Result<ValType> parse_valtype(const std::string &name);

// An argument of an invoke action: {"type": "i32", "value": "4294967295"}.
// Numbers are the unsigned decimal of the value's bits. externref N (a host
// reference) is represented as bits N+1 so that bits 0 stays ref.null. A
// v128 is {"type": "v128", "lane_type": "i16", "value": [8 lane numbers]}.
Result<Val> parse_arg(const json &j);

Result<Expected> parse_expected(const json &j);

// The value's bits restricted to its type's width (i32/f32: low 32 bits).
uint64_t canonical_bits(ValType t, uint64_t bits);

bool matches(const Expected &e, const Val &v);

// "i32:4294967295 (0xffffffff)", "f32:0x7fc00000 (nan)", "externref:ref.extern 3",
// "v128:i32x4 0x00000001 0x00000002 0x00000003 0x00000004".
std::string format_val(const Val &v);
// A v128 in the lanes of `lane_type` ("v128:f32x4 0x7fc00000 (nan) ..."); as
// format_val for other values or lane types.
std::string format_val_as(const Val &v, const std::string &lane_type);
std::string format_expected(const Expected &e);

// Safe JSON accessors: never throw, return nullptr / empty when absent or of
// another type, so that malformed JSON becomes an error message, not a crash.
const json *field(const json &obj, const char *name);
std::string string_field(const json &obj, const char *name);

}  // namespace lucet::spec
