// result.h: errors as values. Result<T> holds either a T or an Error that names
// what was wrong and where (a byte offset in the input, when there is one).
// Exceptions are not used for expected failures and never cross extern "C".
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <variant>

namespace lucet {

// What kind of failure an Error is, so that callers (the C API) can map it
// to their own codes without parsing the message.
enum class ErrorKind : uint8_t {
    Generic,
    InvalidArgument,  // a bad argument from the caller (wrong types, wrong state)
    RegionFull,       // no free instance slot
    ImportMissing,    // an import could not be resolved
    ImportType,       // an import resolved to something of the wrong type/limits
    Limits,           // the module needs more than the region provides
    Module,           // the module itself is bad (load, ABI version, ...)
    NotFound,         // no such export / function
    Instantiate,      // a trap while applying segments or running the start function
    Unsupported,
};

struct Error {
    std::string message;           // one line, no trailing newline
    std::ptrdiff_t offset = -1;    // byte offset in the module, -1 if none
    ErrorKind kind = ErrorKind::Generic;

    // "at offset 0x1f: unexpected end of section" or just the message.
    std::string to_string() const;
};

inline Error make_error(std::string msg, std::ptrdiff_t offset = -1) { return Error{std::move(msg), offset}; }
inline Error make_error(std::string msg, ErrorKind kind) { return Error{std::move(msg), -1, kind}; }

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error e) : v_(std::move(e)) {}
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T &value() & { return std::get<0>(v_); }
    const T &value() const & { return std::get<0>(v_); }
    T &&value() && { return std::get<0>(std::move(v_)); }
    T *operator->() { return &std::get<0>(v_); }
    const T *operator->() const { return &std::get<0>(v_); }
    T &operator*() & { return std::get<0>(v_); }
    const Error &error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error e) : err_(std::move(e)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error &error() const { return err_; }

private:
    Error err_;
    bool ok_ = true;
};

using Status = Result<void>;

inline std::string Error::to_string() const {
    if (offset < 0) return message;
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%zx", static_cast<size_t>(offset));
    return std::string("at offset ") + buf + ": " + message;
}

}  // namespace lucet

// Propagate an error: TRY(expr) where expr yields a Result/Status.
#define LUCET_TRY(expr)                                  \
    do {                                                 \
        auto lucet_try_r_ = (expr);                      \
        if (!lucet_try_r_.ok()) return lucet_try_r_.error(); \
    } while (0)
