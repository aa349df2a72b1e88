// escape.h: names from a module (any UTF-8, control characters included) as
// they may appear in a one-line message or on a terminal: bytes below 0x20,
// DEL, '\\' and the given extra character are written \xx (two hex digits,
// the text format's escapes), so a name can neither break the line nor send
// escape sequences to a terminal.
#pragma once

#include <string>
#include <string_view>

namespace lucet {

inline std::string escaped_name(std::string_view name, char also = '\\') {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(name.size());
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7f || c == '\\' || c == static_cast<unsigned char>(also)) {
            out += '\\';
            out += hex[c >> 4];
            out += hex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace lucet
