// invoke.h: `lucet-wasi --invoke NAME [ARGS...]`: command-line text to wasm
// values by the export's parameter types, and results back to text, as
// `wasmtime run --invoke` does (i32/i64 in signed decimal, f32/f64 in the
// shortest decimal that reads back to the same bits, v128 as an unsigned
// 128-bit decimal).
#pragma once

#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace lucet::cli {

// Parses `text` as a value of type `t`. i32/i64: decimal with an optional
// sign (range-checked), or 0x-prefixed hex for the bit pattern; f32/f64:
// decimal or exponent form, "inf", "-inf", "nan". v128 and reference
// arguments are refused (wasmtime refuses them too). The error names what
// was expected and what was given.
Result<Val> parse_arg(ValType t, const std::string &text);

// The text printed for a result.
std::string format_result(const Val &v);

// "(i32, f64) -> (i64)"
std::string signature_text(const FuncType &t);

// The type of the function exported as `name`; errors: no such export, or
// an export of another kind ("the export is a memory, not a function").
Result<FuncType> find_func_export(const DlModule &m, const std::string &name);

// Checks the argument count and parses every argument for export `name` of
// type `t`; the error says which argument was wrong and why.
Result<std::vector<Val>> parse_args(const std::string &name, const FuncType &t, const std::vector<std::string> &args);

}  // namespace lucet::cli
