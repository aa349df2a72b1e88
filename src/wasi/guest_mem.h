// guest_mem.h: checked access to a guest's linear memory from host functions.
// Every guest pointer is an untrusted (offset, length) pair; each access is
// checked against the *current* heap length with 64-bit arithmetic (no
// wrap-around), and a bad one becomes WASI's `fault` errno, never a host
// crash. Values are read/written with memcpy: guest pointers need not be
// aligned, and the memory is little-endian like the host (x86-64).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace lucet::wasi {

class GuestMem {
public:
    GuestMem(uint8_t *base, uint64_t len) : base_(base), len_(len) {}

    uint64_t size() const { return len_; }
    bool in_bounds(uint64_t ptr, uint64_t len) const {
        return ptr <= len_ && len <= len_ - ptr;
    }
    // Pointer to [ptr, ptr+len) or nullptr when out of bounds.
    uint8_t *span(uint64_t ptr, uint64_t len) const {
        return in_bounds(ptr, len) ? base_ + ptr : nullptr;
    }

    template <typename T>
    bool read(uint64_t ptr, T &out) const {
        static_assert(std::is_trivially_copyable_v<T>);
        if (!in_bounds(ptr, sizeof(T))) return false;
        std::memcpy(&out, base_ + ptr, sizeof(T));
        return true;
    }
    template <typename T>
    bool write(uint64_t ptr, const T &v) const {
        static_assert(std::is_trivially_copyable_v<T>);
        if (!in_bounds(ptr, sizeof(T))) return false;
        std::memcpy(base_ + ptr, &v, sizeof(T));
        return true;
    }
    bool write_bytes(uint64_t ptr, const void *src, uint64_t len) const {
        if (!in_bounds(ptr, len)) return false;
        if (len) std::memcpy(base_ + ptr, src, len);
        return true;
    }
    // A view of guest bytes [ptr, ptr+len) as a string (not NUL-terminated).
    bool string(uint64_t ptr, uint64_t len, std::string_view &out) const {
        if (!in_bounds(ptr, len)) return false;
        out = std::string_view(reinterpret_cast<const char *>(base_ + ptr), len);
        return true;
    }

private:
    uint8_t *base_;
    uint64_t len_;
};

}  // namespace lucet::wasi
