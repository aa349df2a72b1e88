// values.cpp: see values.h.
#include "values.h"

#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace lucet::spec {

const json *field(const json &obj, const char *name) {
    if (!obj.is_object()) return nullptr;
    auto it = obj.find(name);
    if (it == obj.end()) return nullptr;
    return &*it;
}

std::string string_field(const json &obj, const char *name) {
    const json *f = field(obj, name);
    if (!f || !f->is_string()) return {};
    return f->get<std::string>();
}

Result<ValType> parse_valtype(const std::string &name) {
    if (name == "i32") return ValType::I32;
    if (name == "i64") return ValType::I64;
    if (name == "f32") return ValType::F32;
    if (name == "f64") return ValType::F64;
    if (name == "funcref") return ValType::FuncRef;
    if (name == "externref") return ValType::ExternRef;
    if (name == "v128") return ValType::V128;
    return make_error("unknown value type \"" + name + "\"");
}

uint64_t canonical_bits(ValType t, uint64_t bits) {
    switch (t) {
    case ValType::I32:
    case ValType::F32: return bits & 0xffffffffull;
    default: return bits;
    }
}

// wast2json writes numbers as the unsigned decimal of their bits; accept a
// leading '-' too (two's complement) so that hand-written JSON also works.
static Result<uint64_t> parse_number(const std::string &text) {
    if (text.empty()) return make_error("empty number");
    const char *b = text.data(), *e = text.data() + text.size();
    bool neg = false;
    if (*b == '-') {
        neg = true;
        ++b;
    }
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(b, e, v, 10);
    if (ec != std::errc() || p != e) return make_error("bad number \"" + text + "\"");
    return neg ? (~v + 1) : v;
}

// Integer and float values must fit the type's width.
static Status check_width(ValType t, uint64_t v, const std::string &text) {
    if ((t == ValType::I32 || t == ValType::F32) && v > 0xffffffffull && (v >> 32) != 0xffffffffull)
        return make_error("value " + text + " does not fit in 32 bits");
    return {};
}

static Result<uint64_t> parse_ref(ValType t, const std::string &text) {
    if (text == "null") return uint64_t{0};
    if (t == ValType::FuncRef)
        return make_error("funcref value \"" + text + "\" is not supported (only null)");
    auto n = parse_number(text);
    if (!n) return n.error();
    if (*n == UINT64_MAX) return make_error("externref value " + text + " is too large");
    return *n + 1;  // host reference N is bits N+1: bits 0 is ref.null
}

// ------------------------------------------------------------ v128 lanes

namespace {

struct LaneShape {
    ValType scalar;     // the lane's scalar type (i8/i16 lanes: I32, masked to their width)
    unsigned bytes = 0; // lane width
};

Result<LaneShape> lane_shape(const std::string &lane_type) {
    if (lane_type == "i8") return LaneShape{ValType::I32, 1};
    if (lane_type == "i16") return LaneShape{ValType::I32, 2};
    if (lane_type == "i32") return LaneShape{ValType::I32, 4};
    if (lane_type == "i64") return LaneShape{ValType::I64, 8};
    if (lane_type == "f32") return LaneShape{ValType::F32, 4};
    if (lane_type == "f64") return LaneShape{ValType::F64, 8};
    return make_error("unknown v128 lane type \"" + lane_type + "\"");
}

uint64_t lane_mask(unsigned bytes) { return bytes == 8 ? ~0ull : (1ull << (8 * bytes)) - 1; }

uint64_t get_lane(const Val &v, unsigned bytes, size_t i) {
    uint8_t b[16];
    std::memcpy(b, &v.bits, 8);
    std::memcpy(b + 8, &v.hi, 8);
    uint64_t lane = 0;
    std::memcpy(&lane, b + i * bytes, bytes);
    return lane;
}

void set_lane(Val &v, unsigned bytes, size_t i, uint64_t lane) {
    uint8_t b[16];
    std::memcpy(b, &v.bits, 8);
    std::memcpy(b + 8, &v.hi, 8);
    std::memcpy(b + i * bytes, &lane, bytes);
    std::memcpy(&v.bits, b, 8);
    std::memcpy(&v.hi, b + 8, 8);
}

// The "value" array of a v128: 16 / lane width strings. `each` gets the
// lane index and its text.
template <typename Each>
Status for_each_lane(const json &j, const LaneShape &shape, Each each) {
    const json *value = field(j, "value");
    size_t n = 16 / shape.bytes;
    if (!value || !value->is_array() || value->size() != n)
        return make_error("v128 value without an array of " + std::to_string(n) + " lanes");
    for (size_t i = 0; i < n; i++) {
        if (!(*value)[i].is_string()) return make_error("v128 lane " + std::to_string(i) + " is not a string");
        LUCET_TRY(each(i, (*value)[i].get<std::string>()));
    }
    return {};
}

}  // namespace

// A lane number must fit the lane (or be its sign-extended negative form).
static Result<uint64_t> parse_lane(const LaneShape &shape, const std::string &text) {
    auto n = parse_number(text);
    if (!n) return n.error();
    uint64_t mask = lane_mask(shape.bytes);
    if ((*n & ~mask) != 0 && (*n | mask) != ~0ull)
        return make_error("lane value " + text + " does not fit in " + std::to_string(8 * shape.bytes) + " bits");
    return *n & mask;
}

static Result<Val> parse_v128_arg(const json &j) {
    auto shape = lane_shape(string_field(j, "lane_type"));
    if (!shape) return shape.error();
    Val v = Val::v128(0, 0);
    LUCET_TRY(for_each_lane(j, *shape, [&](size_t i, const std::string &text) -> Status {
        auto lane = parse_lane(*shape, text);
        if (!lane) return lane.error();
        set_lane(v, shape->bytes, i, *lane);
        return {};
    }));
    return v;
}

static Result<Expected> parse_v128_expected(const json &j) {
    Expected e;
    e.type = ValType::V128;
    e.lane_type = string_field(j, "lane_type");
    auto shape = lane_shape(e.lane_type);
    if (!shape) return shape.error();
    bool is_float = shape->scalar == ValType::F32 || shape->scalar == ValType::F64;
    LUCET_TRY(for_each_lane(j, *shape, [&](size_t, const std::string &text) -> Status {
        Expected::Lane lane;
        if (text == "nan:canonical" || text == "nan:arithmetic") {
            if (!is_float) return make_error(text + " given for a lane of type " + e.lane_type);
            lane.kind = text == "nan:canonical" ? Expected::Kind::CanonicalNan : Expected::Kind::ArithmeticNan;
        } else {
            auto bits = parse_lane(*shape, text);
            if (!bits) return bits.error();
            lane.bits = *bits;
        }
        e.lanes.push_back(lane);
        return {};
    }));
    return e;
}

Result<Val> parse_arg(const json &j) {
    auto type = parse_valtype(string_field(j, "type"));
    if (!type) return type.error();
    if (*type == ValType::V128) return parse_v128_arg(j);
    const json *value = field(j, "value");
    if (!value || !value->is_string()) return make_error("argument without a string \"value\"");
    std::string text = value->get<std::string>();
    Val v;
    v.type = *type;
    if (is_ref(*type)) {
        auto bits = parse_ref(*type, text);
        if (!bits) return bits.error();
        v.bits = *bits;
        return v;
    }
    auto bits = parse_number(text);
    if (!bits) return bits.error();
    LUCET_TRY(check_width(*type, *bits, text));
    v.bits = canonical_bits(*type, *bits);
    return v;
}

Result<Expected> parse_expected(const json &j) {
    auto type = parse_valtype(string_field(j, "type"));
    if (!type) return type.error();
    if (*type == ValType::V128 && field(j, "value")) return parse_v128_expected(j);
    Expected e;
    e.type = *type;
    const json *value = field(j, "value");
    if (!value) {
        e.kind = Expected::Kind::AnyOfType;
        return e;
    }
    if (!value->is_string()) return make_error("expected value is not a string");
    std::string text = value->get<std::string>();
    if (text == "nan:canonical" || text == "nan:arithmetic") {
        if (*type != ValType::F32 && *type != ValType::F64)
            return make_error(text + " given for non-float type " + valtype_name(*type));
        e.kind = text == "nan:canonical" ? Expected::Kind::CanonicalNan : Expected::Kind::ArithmeticNan;
        return e;
    }
    if (is_ref(*type)) {
        auto bits = parse_ref(*type, text);
        if (!bits) return bits.error();
        e.bits = *bits;
        return e;
    }
    auto bits = parse_number(text);
    if (!bits) return bits.error();
    LUCET_TRY(check_width(*type, *bits, text));
    e.bits = canonical_bits(*type, *bits);
    return e;
}

// One value (or v128 lane) of scalar type t against a pattern.
static bool bits_match(Expected::Kind kind, ValType t, uint64_t bits, uint64_t want) {
    switch (kind) {
    case Expected::Kind::AnyOfType: return true;
    case Expected::Kind::Exact: return bits == want;
    case Expected::Kind::CanonicalNan:
        if (t == ValType::F32) return (bits & 0x7fffffffull) == 0x7fc00000ull;
        return (bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
    case Expected::Kind::ArithmeticNan:
        // Exponent all ones and the quiet bit set (which makes it a NaN).
        if (t == ValType::F32) return (bits & 0x7fc00000ull) == 0x7fc00000ull;
        return (bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    }
    return false;
}

bool matches(const Expected &e, const Val &v) {
    if (v.type != e.type) return false;
    if (e.type == ValType::V128 && e.kind == Expected::Kind::Exact) {
        auto shape = lane_shape(e.lane_type);
        if (!shape || e.lanes.size() != 16 / shape->bytes) return false;
        for (size_t i = 0; i < e.lanes.size(); i++)
            if (!bits_match(e.lanes[i].kind, shape->scalar, get_lane(v, shape->bytes, i), e.lanes[i].bits))
                return false;
        return true;
    }
    return bits_match(e.kind, e.type, canonical_bits(v.type, v.bits), e.bits);
}

static std::string format_bits(ValType t, uint64_t bits) {
    char buf[96];
    bits = canonical_bits(t, bits);
    switch (t) {
    case ValType::I32:
        std::snprintf(buf, sizeof buf, "%" PRIu64 " (0x%" PRIx64 ")", bits, bits);
        return buf;
    case ValType::I64:
        std::snprintf(buf, sizeof buf, "%" PRIu64 " (0x%" PRIx64 ")", bits, bits);
        return buf;
    case ValType::F32: {
        uint32_t b32 = static_cast<uint32_t>(bits);
        float f;
        std::memcpy(&f, &b32, 4);
        std::snprintf(buf, sizeof buf, "0x%08" PRIx32 " (%.9g)", b32, static_cast<double>(f));
        return buf;
    }
    case ValType::F64: {
        double d;
        std::memcpy(&d, &bits, 8);
        std::snprintf(buf, sizeof buf, "0x%016" PRIx64 " (%.17g)", bits, d);
        return buf;
    }
    case ValType::FuncRef:
        if (bits == 0) return "null";
        std::snprintf(buf, sizeof buf, "funcref 0x%" PRIx64, bits);
        return buf;
    case ValType::ExternRef:
        if (bits == 0) return "null";
        std::snprintf(buf, sizeof buf, "ref.extern %" PRIu64, bits - 1);
        return buf;
    case ValType::V128: return "v128";
    }
    return "?";
}

// A lane's text: integers in hex at their width, floats as format_bits does.
static std::string format_lane(const LaneShape &shape, uint64_t bits) {
    if (shape.scalar == ValType::F32 || shape.scalar == ValType::F64) return format_bits(shape.scalar, bits);
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%0*" PRIx64, static_cast<int>(2 * shape.bytes), bits);
    return buf;
}

static std::string lanes_name(const std::string &lane_type, const LaneShape &shape) {
    return lane_type + "x" + std::to_string(16 / shape.bytes);
}

std::string format_val_as(const Val &v, const std::string &lane_type) {
    auto shape = lane_shape(lane_type);
    if (v.type != ValType::V128 || !shape) return format_val(v);
    std::string s = "v128:" + lanes_name(lane_type, *shape);
    for (size_t i = 0; i < 16 / shape->bytes; i++) s += " " + format_lane(*shape, get_lane(v, shape->bytes, i));
    return s;
}

std::string format_val(const Val &v) {
    if (v.type == ValType::V128) return format_val_as(v, "i32");
    return std::string(valtype_name(v.type)) + ":" + format_bits(v.type, v.bits);
}

std::string format_expected(const Expected &e) {
    std::string prefix = std::string(valtype_name(e.type)) + ":";
    switch (e.kind) {
    case Expected::Kind::AnyOfType: return prefix + "<any>";
    case Expected::Kind::CanonicalNan: return prefix + "nan:canonical";
    case Expected::Kind::ArithmeticNan: return prefix + "nan:arithmetic";
    case Expected::Kind::Exact: break;
    }
    if (e.type == ValType::V128) {
        auto shape = lane_shape(e.lane_type);
        if (!shape) return prefix + "?";
        prefix += lanes_name(e.lane_type, *shape);
        for (const Expected::Lane &l : e.lanes) {
            if (l.kind == Expected::Kind::CanonicalNan) prefix += " nan:canonical";
            else if (l.kind == Expected::Kind::ArithmeticNan) prefix += " nan:arithmetic";
            else prefix += " " + format_lane(*shape, l.bits);
        }
        return prefix;
    }
    return prefix + format_bits(e.type, e.bits);
}

}  // namespace lucet::spec
