// invoke.cpp: see invoke.h.
#include "invoke.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace lucet::cli {
namespace {

// Whole-string integer parse into [lo, hi] (as a signed value), or a hex
// bit pattern (0x..., at most `bits` wide). false when malformed or out of range.
bool parse_int(const std::string &s, int bits, uint64_t &out) {
    if (s.empty()) return false;
    const char *p = s.c_str(), *end = p + s.size();
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        uint64_t v = 0;
        auto [ptr, ec] = std::from_chars(p + 2, end, v, 16);
        if (ec != std::errc() || ptr != end) return false;
        if (bits == 32 && v > UINT32_MAX) return false;
        out = v;
        return true;
    }
    if (*p == '+') p++;  // from_chars takes '-' but not '+'
    if (p == end || *p == '+' || (*p == '-' && s[0] == '+')) return false;
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(p, end, v, 10);
    if (ec != std::errc() || ptr != end) return false;
    if (bits == 32) {
        if (v < INT32_MIN || v > INT32_MAX) return false;
        out = static_cast<uint32_t>(static_cast<int32_t>(v));
    } else {
        out = static_cast<uint64_t>(v);
    }
    return true;
}

// Decimal/exponent form, inf, nan (any case, optional sign); not hex floats
// and nothing trailing.
template <typename F>
bool parse_float(const std::string &s, F &out) {
    if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
    std::string body = (s[0] == '+' || s[0] == '-') ? s.substr(1) : s;
    std::string lower;
    for (char c : body) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool neg = s[0] == '-';
    if (lower == "inf" || lower == "infinity") {
        out = neg ? -std::numeric_limits<F>::infinity() : std::numeric_limits<F>::infinity();
        return true;
    }
    if (lower == "nan") {
        out = neg ? -std::numeric_limits<F>::quiet_NaN() : std::numeric_limits<F>::quiet_NaN();
        return true;
    }
    if (body.empty() || !(std::isdigit(static_cast<unsigned char>(body[0])) || body[0] == '.')) return false;
    if (lower.find('x') != std::string::npos) return false;
    const char *p = s.c_str() + (s[0] == '+' ? 1 : 0), *end = s.c_str() + s.size();
    auto [ptr, ec] = std::from_chars(p, end, out, std::chars_format::general);
    if (ptr != end) return false;
    // Too large for the type: wasmtime (Rust's parse) gives infinity; so do we.
    if (ec == std::errc::result_out_of_range) {
        char *e = nullptr;
        errno = 0;
        if constexpr (sizeof(F) == 4) out = std::strtof(p, &e);
        else out = std::strtod(p, &e);
        return e == end;
    }
    return ec == std::errc();
}

template <typename F>
std::string float_text(F f) {
    if (std::isnan(f)) return "NaN";
    if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
    // The shortest digits that read back to f, written out without an
    // exponent and padded with zeros (Rust's Display, which wasmtime uses:
    // 1e300 is a 1 and 300 zeros, not the double's exact expansion).
    char buf[64];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    if (ec != std::errc()) return "?";
    std::string sci(buf, ptr);
    bool neg = sci[0] == '-';
    if (neg) sci.erase(0, 1);
    size_t e = sci.find('e');
    int exp = std::stoi(sci.substr(e + 1));
    std::string digits;
    for (char c : sci.substr(0, e))
        if (c != '.') digits += c;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    std::string out;
    int point = exp + 1;  // digits before the decimal point
    if (point <= 0) {
        out = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
        out = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
    } else {
        out = digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
    }
    if (out == "0" && f == 0) out = "0";
    return (neg ? "-" : "") + out;
}

std::string u128_text(uint64_t hi, uint64_t lo) {
    if (hi == 0) return std::to_string(lo);
    unsigned __int128 v = (static_cast<unsigned __int128>(hi) << 64) | lo;
    std::string s;
    while (v) {
        s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
        v /= 10;
    }
    return s;
}

}  // namespace

Result<Val> parse_arg(ValType t, const std::string &text) {
    Val v;
    v.type = t;
    auto bad = [&](const char *what) {
        return make_error("'" + text + "' is not " + what, ErrorKind::InvalidArgument);
    };
    switch (t) {
    case ValType::I32:
        if (!parse_int(text, 32, v.bits)) return bad("an i32 (a decimal from -2147483648 to 2147483647, or 0x + up to 8 hex digits)");
        return v;
    case ValType::I64:
        if (!parse_int(text, 64, v.bits)) return bad("an i64 (a decimal in the signed 64-bit range, or 0x + up to 16 hex digits)");
        return v;
    case ValType::F32: {
        float f = 0;
        if (!parse_float(text, f)) return bad("an f32 (e.g. 1.5, -2e10, inf, nan)");
        uint32_t b;
        std::memcpy(&b, &f, 4);
        v.bits = b;
        return v;
    }
    case ValType::F64: {
        double f = 0;
        if (!parse_float(text, f)) return bad("an f64 (e.g. 1.5, -2e10, inf, nan)");
        std::memcpy(&v.bits, &f, 8);
        return v;
    }
    default:
        return make_error(std::string(t == ValType::ExternRef ? "an " : "a ") + valtype_name(t) +
                              " parameter cannot be given on the command line (--invoke takes i32, i64, f32 and f64 "
                              "arguments, as wasmtime does)",
                          ErrorKind::Unsupported);
    }
}

std::string format_result(const Val &v) {
    switch (v.type) {
    case ValType::I32: return std::to_string(static_cast<int32_t>(static_cast<uint32_t>(v.bits)));
    case ValType::I64: return std::to_string(static_cast<int64_t>(v.bits));
    case ValType::F32: {
        uint32_t b = static_cast<uint32_t>(v.bits);
        float f;
        std::memcpy(&f, &b, 4);
        return float_text(f);
    }
    case ValType::F64: {
        double f;
        std::memcpy(&f, &v.bits, 8);
        return float_text(f);
    }
    case ValType::V128: return u128_text(v.hi, v.bits);
    case ValType::FuncRef: return v.bits ? "<funcref>" : "<null funcref>";
    case ValType::ExternRef: return v.bits ? "<externref>" : "<null externref>";
    }
    return "?";
}

std::string signature_text(const FuncType &t) {
    auto list = [](const std::vector<ValType> &v) {
        std::string s = "(";
        for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + std::string(valtype_name(v[i]));
        return s + ")";
    };
    return list(t.params) + " -> " + list(t.results);
}

Result<FuncType> find_func_export(const DlModule &m, const std::string &name) {
    const lucet_module_desc &d = m.desc();
    for (uint32_t i = 0; i < d.num_exports; i++) {
        const lucet_export_desc &e = d.exports[i];
        if (std::string_view(e.name, e.name_len) != name) continue;
        auto kind = static_cast<ExternKind>(e.kind);
        if (kind != ExternKind::Func)
            return make_error("--invoke " + name + ": the export is a " + extern_kind_name(kind) +
                                  ", not a function",
                              ErrorKind::InvalidArgument);
        return m.func_type(e.index);
    }
    return make_error("--invoke " + name + ": the module exports no function named '" + name + "'",
                      ErrorKind::NotFound);
}

Result<std::vector<Val>> parse_args(const std::string &name, const FuncType &t, const std::vector<std::string> &args) {
    if (args.size() != t.params.size())
        return make_error("--invoke " + name + ": the function " + signature_text(t) + " takes " +
                              std::to_string(t.params.size()) + " argument" + (t.params.size() == 1 ? "" : "s") +
                              ", got " + std::to_string(args.size()),
                          ErrorKind::InvalidArgument);
    std::vector<Val> vals;
    for (size_t i = 0; i < args.size(); i++) {
        auto v = parse_arg(t.params[i], args[i]);
        if (!v) {
            Error e = v.error();
            e.message = "--invoke " + name + ": argument " + std::to_string(i + 1) + " (" +
                        valtype_name(t.params[i]) + "): " + e.message;
            return e;
        }
        vals.push_back(*v);
    }
    return vals;
}

}  // namespace lucet::cli
