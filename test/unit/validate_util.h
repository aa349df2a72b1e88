// validate_util.h: checking a module in text form through the decoder and
// validator, for the validator's unit tests.
#pragma once

#include <string>

#include "decode/decoder.h"
#include "frontend_util.h"
#include "validate/validator.h"

namespace fe_test {

// "" if the module decodes and validates; the decoder's message prefixed with
// "decode: " if it is malformed; the validator's message otherwise.
inline std::string check_wat(const std::string &text) {
    auto bytes = wat(text, /*check=*/false);
    if (bytes.empty()) return "wat2wasm failed";
    auto r = lucet::decode_module(std::move(bytes));
    if (!r.ok()) return "decode: " + r.error().message;
    lucet::Status st = lucet::validate_module(*r);
    return st.ok() ? "" : st.error().message;
}

inline bool starts_with(const std::string &s, const std::string &p) { return s.rfind(p, 0) == 0; }

}  // namespace fe_test

#define VALID(text) CHECK(fe_test::check_wat(text) == "")
#define INVALID(text, prefix)                         \
    do {                                              \
        std::string msg_ = fe_test::check_wat(text);  \
        INFO("module: " << (text));                   \
        INFO("message: " << msg_);                    \
        CHECK(fe_test::starts_with(msg_, prefix));    \
    } while (0)
