// spec_messages.h: does a rejection's reason match the text an
// assert_invalid / assert_malformed command expects? Shared by spec_runner and
// the front-end sweep (test/unit/test_validate.cpp).
//
// The rule, as wasmtime's and the reference interpreter's: our message starts
// with the spec's text (it may add detail after it). A few spec texts are met
// by another reason because the binary wast2json writes is not the module the
// reference interpreter rejects (it checks the text form), or because the
// reference interpreter reads past a section's end into the bytes that follow
// it; each alias below names the script lines that need it. An alias accepts
// one exact other text, never "any rejection".
#pragma once

#include <string>
#include <string_view>

namespace lucet::spec {

struct MessageAlias {
    const char *expected;  // the spec's text
    const char *accepted;  // a prefix of our message that also matches it
    const char *why;
};

inline constexpr MessageAlias kMessageAliases[] = {
    // binary.wast:1648 (2 exports declared, 1 given): the reference
    // interpreter reads the second export's name length from the next
    // section's bytes; we stop at the section's end.
    {"length out of bounds", "unexpected end of section or function", "vector runs past its section"},
    // memory_init.wast:190/227 (data.drop / memory.init with no data
    // segments): wast2json writes no DataCount section, which makes the
    // binary malformed before it can be invalid.
    {"unknown data segment", "data count section required", "wast2json omits the DataCount section"},
    {"unknown memory", "data count section required", "wast2json omits the DataCount section"},
    // select.wast:324 `select (result)`: wast2json encodes a typed select with
    // no result as the untyped select (0x1b), whose nop operands are a type
    // mismatch.
    {"invalid result arity", "type mismatch", "wast2json writes select (result) as untyped select"},
};

inline bool message_matches(std::string_view expected, std::string_view actual) {
    if (actual.starts_with(expected)) return true;
    for (const MessageAlias &a : kMessageAliases)
        if (expected.starts_with(a.expected) && actual.starts_with(a.accepted)) return true;
    return false;
}

}  // namespace lucet::spec
