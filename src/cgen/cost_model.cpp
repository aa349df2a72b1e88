// cost_model.cpp: see cost_model.h.
#include "cgen/cost_model.h"

namespace lucet::cgen {

namespace {
// Above these many bytes of wasm code a function is compiled at -O1 / -O0:
// gcc -O2's PRE and dead-store elimination are quadratic in the memory
// accesses of one function (measured: a 40 KB function with 13,000 global
// accesses takes 28 s at -O2, 4.5 s at -O1). Real code rarely has functions
// this large; the few it has stay compilable.
constexpr size_t kBigFunctionBytes = 24 * 1024;
constexpr size_t kHugeFunctionBytes = 96 * 1024;
// Above this many declared locals they go to frame arrays. clang -O2 output
// stays far below (the benchmark kernels: under 40 per function), so hot
// code keeps its locals in C variables that cc puts in registers.
constexpr size_t kFrameLocalsMin = 2048;
// Functions with their own unit and this many memory/global accesses: -O0.
constexpr size_t kManyAccesses = 4096;
// Functions of this many bytes of wasm code or more are split (cost_model.h,
// Lowering::split_chunk_bytes) into chunks of about kSplitChunkBytes of C.
// gcc -O0 needs about 5 KB per wasm instruction of one unit (400,000
// instructions: 2 GB); split, a chunk's cc1 peaks at 120-200 MiB and the
// largest compile shapes at 260-308 MiB for the whole tree (two cc1 at once),
// in less cc CPU than unsplit (README "Compile time and memory"). Below the
// threshold a function's unit needs at most ~340 MB.
constexpr size_t kSplitFunctionBytes = 128 * 1024;
constexpr size_t kSplitChunkBytes = 512 * 1024;
// Tiny: at most this many bytes of wasm code (~10 instructions).
constexpr size_t kTinyBytes = 32;
// Only units of many tiny functions are capped: a few of them next to
// larger functions stay at -O2 (their callers in the unit inline them).
constexpr size_t kTinyUnitMinFuncs = 256;
}  // namespace

int own_unit_opt_cap(const Lowering &l, size_t accesses) {
    return accesses >= kManyAccesses ? 0 : l.max_opt_level;
}

bool is_tiny(const FuncCost &c, bool has_loop) { return !has_loop && c.code_bytes <= kTinyBytes; }

int unit_opt_cap(size_t funcs, size_t tiny) { return funcs >= kTinyUnitMinFuncs && tiny == funcs ? 0 : 3; }

FuncCost function_cost(const Function &f) {
    FuncCost c;
    c.code_bytes = f.body_end - f.body_offset;
    c.locals = f.locals.size();
    return c;
}

Lowering choose_lowering(const FuncCost &c, size_t force_split_chunk_bytes) {
    Lowering l;
    l.frame_locals = c.locals >= kFrameLocalsMin;
    if (c.code_bytes >= kBigFunctionBytes) {
        l.own_unit = true;
        l.max_opt_level = c.code_bytes >= kHugeFunctionBytes ? 0 : 1;
    }
    if (force_split_chunk_bytes) l.split_chunk_bytes = force_split_chunk_bytes;
    else if (c.code_bytes >= kSplitFunctionBytes) l.split_chunk_bytes = kSplitChunkBytes;
    l.own_unit |= l.split_chunk_bytes > 0;
    return l;
}

}  // namespace lucet::cgen
