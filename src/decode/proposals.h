// proposals.h: what a byte the decoder refuses would mean in a WebAssembly
// proposal this compiler does not implement, so that the error names the
// proposal ("illegal opcode 0x12: return_call, from the tail-call proposal,
// which is not supported") after the spec's own text, which stays first
// (spec tests match on it). Each returns "" when the byte belongs to no
// known proposal.
#pragma once

#include <cstdint>
#include <string>

namespace lucet::proposals {

std::string limits_flag(uint8_t flag);     // memory/table limits flags 0x02-0x07
std::string opcode(uint8_t op);            // single-byte opcodes and prefixes 0xfb, 0xfe
std::string type_form(uint8_t form);       // type section entries other than 0x60
std::string section_id(uint8_t id);        // section id 13 (tags)
std::string multiple_memories();           // two or more memories

}  // namespace lucet::proposals
