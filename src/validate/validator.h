// validator.h: the spec's validation rules (WebAssembly 2.0 core, fixed-width SIMD included).
#pragma once

#include "decode/module.h"
#include "util/result.h"

namespace lucet {

// Validates every rule of the validation section: types of every instruction
// in every function (operand stack and control frames, unreachable/polymorphic
// stacks), indices, limits (memory <= 65536 pages, table/memory min <= max),
// constant expressions (constant and of the right type; global.get only of
// imported immutable globals), at most one memory, start function type [] ->
// [], export names unique, data count agreement for memory.init/data.drop,
// ref.func only of declared functions (C.refs), alignment <= natural, SIMD
// lane indices within the shape ("invalid lane index"), etc.
// Returns the first error, with the byte offset of the offending instruction
// or item and a message in the spirit of the spec tests' expected texts
// (e.g. "type mismatch", "unknown local 3", "alignment must not be larger than natural").
Status validate_module(const Module &m);

}  // namespace lucet
