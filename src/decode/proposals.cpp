// proposals.cpp: see proposals.h.
#include "decode/proposals.h"

namespace lucet::proposals {
namespace {
std::string note(const std::string &what, const char *proposal) {
    return ": " + what + ", from the " + proposal + " proposal, which is not supported";
}
}  // namespace

std::string limits_flag(uint8_t flag) {
    if (flag >= 0x02 && flag <= 0x03) return note("limits flag 0x0" + std::to_string(flag) + " is a shared memory", "threads");
    if (flag >= 0x04 && flag <= 0x05) return note("limits flag 0x0" + std::to_string(flag) + " is a 64-bit memory or table", "memory64");
    if (flag >= 0x06 && flag <= 0x07)
        return note("limits flag 0x0" + std::to_string(flag) + " is a shared 64-bit memory", "memory64 and threads");
    return "";
}

std::string opcode(uint8_t op) {
    switch (op) {
    case 0x06: return note("try", "exception-handling");
    case 0x07: return note("catch", "exception-handling");
    case 0x08: return note("throw", "exception-handling");
    case 0x09: return note("rethrow", "exception-handling");
    case 0x0a: return note("throw_ref", "exception-handling");
    case 0x18: return note("delegate", "exception-handling");
    case 0x19: return note("catch_all", "exception-handling");
    case 0x1f: return note("try_table", "exception-handling");
    case 0x12: return note("return_call", "tail-call");
    case 0x13: return note("return_call_indirect", "tail-call");
    case 0x14: return note("call_ref", "function-references");
    case 0x15: return note("return_call_ref", "function-references and tail-call");
    case 0xd3: return note("ref.as_non_null", "function-references");
    case 0xd4: return note("br_on_null", "function-references");
    case 0xd5: return note("ref.eq", "GC");
    case 0xd6: return note("br_on_non_null", "function-references");
    case 0xfb: return note("the 0xfb prefix (struct, array, i31 and cast instructions)", "GC");
    case 0xfe: return note("the 0xfe prefix (atomic instructions)", "threads");
    default: return "";
    }
}

std::string type_form(uint8_t form) {
    switch (form) {
    case 0x5f: return note("0x5f is a struct type", "GC");
    case 0x5e: return note("0x5e is an array type", "GC");
    case 0x4e: return note("0x4e is a recursive type group", "GC");
    case 0x50:
    case 0x4f: return note("0x" + std::string(form == 0x50 ? "50" : "4f") + " is a subtype declaration", "GC");
    default: return "";
    }
}

std::string section_id(uint8_t id) {
    if (id == 13) return note("section 13 is the tag section", "exception-handling");
    return "";
}

std::string multiple_memories() { return note("more than one memory", "multi-memory"); }

}  // namespace lucet::proposals
