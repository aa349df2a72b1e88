// module.cpp: small helpers on the decoded module: type names, UTF-8 checking
// and the (best-effort) "name" custom section.
#include "decode/module.h"

#include <utility>

#include "decode/names.h"
#include "decode/reader.h"

namespace lucet {

namespace detail {

bool valid_utf8(const uint8_t *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;  // continuation byte, overlong 2-byte lead (c0/c1) or > f4
        }
        if (n - i < len) return false;
        for (size_t k = 1; k < len; ++k) {
            uint8_t cc = p[i + k];
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) return false;
        if (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) return false;
        i += len;
    }
    return true;
}

// Subsection 1 of the name section: a name map of function index -> name.
// Any malformation just yields no names: the section is advisory.
std::vector<std::pair<uint32_t, std::string>> parse_function_names(const uint8_t *data, size_t begin, size_t end) {
    std::vector<std::pair<uint32_t, std::string>> out;
    ByteReader r(data, begin, end);
    while (!r.at_end()) {
        uint8_t id;
        uint32_t size;
        size_t start = 0;
        if (!r.u8(id).ok() || !r.u32(size).ok() || !r.bytes(size, start).ok()) return {};
        if (id != 1) continue;
        ByteReader s(data, start, start + size);
        uint32_t count;
        if (!s.u32(count).ok() || count > s.remaining()) return {};
        out.reserve(count);
        for (uint32_t i = 0; i < count; ++i) {
            uint32_t idx, len;
            size_t at = 0;
            if (!s.u32(idx).ok() || !s.u32(len).ok() || !s.bytes(len, at).ok()) return {};
            if (!valid_utf8(data + at, len)) return {};
            out.emplace_back(idx, std::string(reinterpret_cast<const char *>(data + at), len));
        }
        return out;
    }
    return out;
}

}  // namespace detail
}  // namespace lucet
