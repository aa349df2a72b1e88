// cgen_internal.h: pieces shared by the emitter's source files (not a public
// interface; only src/cgen includes it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cgen/cost_model.h"
#include "cgen/emitter.h"
#include "decode/module.h"
#include "util/result.h"

namespace lucet::cgen {

// "lucetc <version> abi <n>": stored in every descriptor, used as a cache key.
const char *version_string();

// Float constants by their bits (f32 in the low 32): a NaN, and a signalling
// one (quiet bit clear).
inline bool nan_bits(uint64_t bits, bool f32) {
    return f32 ? (bits & 0x7fffffffu) > 0x7f800000u : (bits & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
}
inline bool signalling_nan_bits(uint64_t bits, bool f32) {
    return nan_bits(bits, f32) && !(bits & (f32 ? 0x400000ull : 0x8000000000000ull));
}

// C type of a wasm value type in generated code (refs are uint64_t bits).
const char *c_type(ValType t);
// One letter per C value class, used in slot and struct names: i j f d v r.
char type_letter(ValType t);

// C return type of a function with these results: "void", a scalar type, or a
// multi-value struct name ("lucet_mr_ijd") whose layout depends only on the
// result types, so two modules agree.
std::string result_c_type(const std::vector<ValType> &results);
std::string multi_result_struct_name(const std::vector<ValType> &results);

// Appends `bytes` as the body of a C string literal (no quotes), escaping
// everything that is not plain printable ASCII with 3-digit octal escapes.
void append_c_string_body(std::string &out, std::string_view bytes);

// The C (and ELF symbol) name of defined function `func`: lucet_f<func>, and
// when the name section names it, "_" and the name with every character
// outside [A-Za-z0-9_] replaced by "_", cut at 64 characters (never one of
// the helpers' names). perf, gdb and crash dumps show it; the runtime reads
// the index back from the symbol table.
std::string func_c_name(const Module &m, uint32_t func);

// The text pasted at the top of every unit: the ABI header and the shared
// declarations (the lucet_rt table, type ids, multi-value structs and the
// inline helpers). Guarded, so that units can be concatenated into one C file.
std::string unit_prelude(const Module &m);
// Hidden prototypes of these defined functions (cross-unit calls are direct
// calls). Each unit declares only what it defines and calls: declaring all
// of them in every unit made the C of a many-function module grow with
// functions x units.
std::string function_prototypes(const Module &m, const std::vector<uint32_t> &funcs);
// The SIMD helpers (and the SIMDe include), pasted after the prelude only in
// units holding a function that uses SIMD instructions. Guarded as well.
const char *simd_prelude();
// Marker in the #error text a unit stops with when the SIMDe headers are
// missing (the compiler driver turns it into one clean error line).
extern const char kSimdeMissingMarker[];

// Per-function translation; FuncEmitStats says what the per-function
// emitter learnt about the function it emitted.
struct FuncEmitStats {
    bool func_uses_simd = false;  // the last function emitted needs simd_prelude()
    bool func_has_loop = false;   // the last function emitted has a loop
    size_t func_accesses = 0;     // ... and its loads, stores, global.get/set
    std::vector<uint32_t> callees;  // defined functions called directly (appended, unsorted)
    // A split function (Lowering::split_chunk_bytes): `out` got its frame
    // struct, its dispatcher and its first chunk; these are the units of
    // the other chunks, each with the defined functions it calls.
    struct SplitUnit {
        std::string source;
        std::vector<uint32_t> callees;
    };
    std::vector<SplitUnit> split_units;
};
// The error once opts.deadline has passed, naming the function being emitted.
constexpr uint32_t kDeadlineCheckInstrs = 4096;
Status check_deadline(const EmitOptions &opts, uint32_t func_index);
Status emit_function(const Module &m, uint32_t func_index, const EmitOptions &opts, const Lowering &lowering,
                     std::string &out, FuncEmitStats &stats);

// Unit 0 body (after the prelude): lucet_rt, type ids, trampolines, the
// descriptor tables and `lucet_module`. Data segment bytes are emitted in
// separate units by emit_data_units so that cc handles them in parallel.
// func_flags: lucet_func_flags per defined function.
std::string emit_descriptor(const Module &m, const EmitOptions &opts, bool bounds_checked,
                            const std::vector<uint32_t> &func_flags);
// Units holding the data segment arrays `lucet_data<i>` (declared in the prelude).
std::vector<CUnit> emit_data_units(const Module &m, size_t first_unit_number);

}  // namespace lucet::cgen
