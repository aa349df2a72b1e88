// reader.h (internal to the decoder): a bounded byte cursor with LEB128 reads.
//
// Every read checks against `end_`, which is the end of the current section or
// function body, or of the whole file. Running off the end of a section says
// "unexpected end of section or function"; running off the end of the file says
// "unexpected end" (the two texts the spec tests expect). Reads return Status
// and write through an out-parameter so callers can LUCET_TRY them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "decode/module.h"
#include "util/result.h"

namespace lucet::detail {

class ByteReader {
public:
    // `hard_end` (>= end) is where the underlying buffer really ends. LEB128
    // reads may look past `end` up to it, only to classify an encoding that
    // straddles the section end as "too long"/"too large" the way the
    // reference interpreter (which does not bound sections) does; such a read
    // still fails.
    ByteReader(const uint8_t *data, size_t begin, size_t end, size_t hard_end, bool whole_file = false)
        : d_(data), pos_(begin), end_(end), hard_end_(hard_end < end ? end : hard_end), whole_file_(whole_file) {}
    ByteReader(const uint8_t *data, size_t begin, size_t end) : ByteReader(data, begin, end, end) {}

    size_t pos() const { return pos_; }
    size_t end() const { return end_; }
    size_t remaining() const { return end_ - pos_; }
    bool at_end() const { return pos_ >= end_; }
    void seek(size_t p) { pos_ = p; }

    Error eof_error(size_t at) const {
        return make_error(whole_file_ ? "unexpected end" : "unexpected end of section or function",
                          static_cast<std::ptrdiff_t>(at));
    }

    Status u8(uint8_t &out) {
        if (pos_ >= end_) return eof_error(pos_);
        out = d_[pos_++];
        return {};
    }

    Status bytes(size_t n, size_t &start) {
        if (n > remaining()) return eof_error(end_);
        start = pos_;
        pos_ += n;
        return {};
    }

    // Unsigned LEB128 of at most `bits` bits (32 or 64).
    template <int Bits>
    Status uleb(uint64_t &out) {
        constexpr int max_bytes = (Bits + 6) / 7;
        size_t start = pos_;
        uint64_t result = 0;
        for (int i = 0;; ++i) {
            if (pos_ >= hard_end_) return eof_error(end_);
            uint8_t b = d_[pos_++];
            if (i == max_bytes - 1) {
                // Last permitted byte: the continuation bit must be clear and
                // the bits beyond `Bits` must be zero.
                if (b & 0x80) return make_error("integer representation too long", start);
                constexpr int used = Bits - 7 * (max_bytes - 1);
                if (b >> used) return make_error("integer too large", start);
                result |= static_cast<uint64_t>(b) << (7 * i);
                break;
            }
            result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
            if (!(b & 0x80)) break;
        }
        if (pos_ > end_) return eof_error(end_);
        out = result;
        return {};
    }

    // Signed LEB128 of at most `Bits` bits (32, 33 or 64).
    template <int Bits>
    Status sleb(int64_t &out) {
        constexpr int max_bytes = (Bits + 6) / 7;
        size_t start = pos_;
        uint64_t result = 0;
        int shift = 0;
        uint8_t b = 0;
        for (int i = 0;; ++i) {
            if (pos_ >= hard_end_) return eof_error(end_);
            b = d_[pos_++];
            if (i == max_bytes - 1) {
                if (b & 0x80) return make_error("integer representation too long", start);
                // The unused high bits of the last byte must all equal the
                // sign bit (bit `used - 1`).
                constexpr int used = Bits - 7 * (max_bytes - 1);
                if constexpr (used < 7) {
                    int8_t sx = static_cast<int8_t>(static_cast<uint8_t>(b << 1)) >> 1;  // 7-bit value sign-extended
                    int64_t top = sx >> (used - 1);
                    if (top != 0 && top != -1) return make_error("integer too large", start);
                }
                result |= static_cast<uint64_t>(b & 0x7f) << shift;
                shift += 7;
                break;
            }
            result |= static_cast<uint64_t>(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80)) break;
        }
        if (pos_ > end_) return eof_error(end_);
        if (shift < 64 && (b & 0x40)) result |= ~uint64_t(0) << shift;
        out = static_cast<int64_t>(result);
        return {};
    }

    Status u32(uint32_t &out) {
        uint64_t v;
        LUCET_TRY(uleb<32>(v));
        out = static_cast<uint32_t>(v);
        return {};
    }

    Status fixed32(uint32_t &out) {
        if (remaining() < 4) return eof_error(end_);
        std::memcpy(&out, d_ + pos_, 4);  // little-endian host (x86-64)
        pos_ += 4;
        return {};
    }
    Status fixed64(uint64_t &out) {
        if (remaining() < 8) return eof_error(end_);
        std::memcpy(&out, d_ + pos_, 8);
        pos_ += 8;
        return {};
    }

private:
    const uint8_t *d_;
    size_t pos_;
    size_t end_;
    size_t hard_end_;
    bool whole_file_;
};

// Checks that [p, p+n) is well-formed UTF-8 (no overlongs, no surrogates,
// nothing above U+10FFFF).
bool valid_utf8(const uint8_t *p, size_t n);

}  // namespace lucet::detail
