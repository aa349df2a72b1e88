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
    if (name == "v128") return make_error("v128 values are not supported (SIMD is out of scope)");
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

Result<Val> parse_arg(const json &j) {
    auto type = parse_valtype(string_field(j, "type"));
    if (!type) return type.error();
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

bool matches(const Expected &e, const Val &v) {
    if (v.type != e.type) return false;
    uint64_t bits = canonical_bits(v.type, v.bits);
    switch (e.kind) {
    case Expected::Kind::AnyOfType: return true;
    case Expected::Kind::Exact: return bits == e.bits;
    case Expected::Kind::CanonicalNan:
        if (e.type == ValType::F32) return (bits & 0x7fffffffull) == 0x7fc00000ull;
        return (bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
    case Expected::Kind::ArithmeticNan:
        // Exponent all ones and the quiet bit set (which makes it a NaN).
        if (e.type == ValType::F32) return (bits & 0x7fc00000ull) == 0x7fc00000ull;
        return (bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    }
    return false;
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

std::string format_val(const Val &v) { return std::string(valtype_name(v.type)) + ":" + format_bits(v.type, v.bits); }

std::string format_expected(const Expected &e) {
    std::string prefix = std::string(valtype_name(e.type)) + ":";
    switch (e.kind) {
    case Expected::Kind::AnyOfType: return prefix + "<any>";
    case Expected::Kind::CanonicalNan: return prefix + "nan:canonical";
    case Expected::Kind::ArithmeticNan: return prefix + "nan:arithmetic";
    case Expected::Kind::Exact: break;
    }
    return prefix + format_bits(e.type, e.bits);
}

}  // namespace lucet::spec
