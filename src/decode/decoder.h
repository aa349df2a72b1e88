// decoder.h: bytes -> Module. Checks the binary format (malformed modules);
// the validator (validate/validator.h) checks the rules of the spec's
// validation section.
#pragma once

#include <cstdint>
#include <vector>

#include "decode/module.h"
#include "util/result.h"

namespace lucet {

// Decodes a whole binary module. Every malformation (bad magic/version,
// truncated section, bad LEB128, section out of order or duplicated, section
// size mismatch, unknown section id or opcode, malformed UTF-8 names, too many
// locals, function/code count mismatch, data count mismatch, ...) is an Error
// with the byte offset and a message naming the rule. Function bodies are
// scanned to find their extents and checked for well-formed instruction
// encodings, so a module that decodes here has no malformed instruction.
// Never crashes or hangs on any input; memory use is bounded by the input size
// (counts claimed by the input are checked against remaining bytes before
// allocating).
Result<Module> decode_module(std::vector<uint8_t> bytes);

}  // namespace lucet
