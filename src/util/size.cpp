#include "util/size.h"

#include <cctype>
#include <cstdio>
#include <limits>

namespace lucet {

Result<uint64_t> parse_size(const std::string &text) {
    size_t i = 0;
    auto bad = [&](const std::string &why) {
        return make_error("invalid size '" + text + "': " + why);
    };
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) i++;
    if (i == text.size() || !std::isdigit(static_cast<unsigned char>(text[i])))
        return bad("expected a number, optionally followed by a unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)");
    uint64_t n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        uint64_t d = static_cast<uint64_t>(text[i] - '0');
        if (n > (std::numeric_limits<uint64_t>::max() - d) / 10) return bad("number too large");
        n = n * 10 + d;
        i++;
    }
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) i++;
    std::string unit;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])))
        unit += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i++])));
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) i++;
    if (i != text.size()) return bad("trailing characters");
    uint64_t mult = 1;
    if (unit.empty() || unit == "b") mult = 1;
    else if (unit == "k" || unit == "kib" || unit == "ki") mult = 1ull << 10;
    else if (unit == "m" || unit == "mib" || unit == "mi") mult = 1ull << 20;
    else if (unit == "g" || unit == "gib" || unit == "gi") mult = 1ull << 30;
    else if (unit == "t" || unit == "tib" || unit == "ti") mult = 1ull << 40;
    else if (unit == "kb") mult = 1000ull;
    else if (unit == "mb") mult = 1000ull * 1000;
    else if (unit == "gb") mult = 1000ull * 1000 * 1000;
    else if (unit == "tb") mult = 1000ull * 1000 * 1000 * 1000;
    else return bad("unknown unit '" + unit + "'");
    if (n != 0 && n > std::numeric_limits<uint64_t>::max() / mult) return bad("size too large");
    return n * mult;
}

std::string format_size(uint64_t bytes) {
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    uint64_t v = bytes;
    while (u < 4 && v != 0 && v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%llu %s", static_cast<unsigned long long>(v), units[u]);
    return buf;
}

}  // namespace lucet
