// cost_model.h: how expensive a function is for the C compiler, and the
// lowering and optimisation cap that keep cc's time and memory linear in it.
// Measurements behind the thresholds: README "Compile time and memory".
#pragma once

#include <cstddef>
#include <cstdint>

#include "decode/module.h"

namespace lucet::cgen {

struct FuncCost {
    size_t code_bytes = 0;  // wasm body bytes (~ instructions x 2)
    size_t locals = 0;      // declared locals, params excluded
};

struct ConstTables;  // const_tables.h

struct Lowering {
    // Declared locals live in per-type arrays in the frame (`li_[k]`)
    // instead of one C variable each: gcc's register allocator and stack-slot
    // partitioning grow quadratically in the number of simultaneously live
    // scalar variables (50,000 live locals: 191 s, 15.9 GB at -O0).
    bool frame_locals = false;
    // Above 0: the function is split into chunk functions of about this many
    // bytes of C, each in a unit of its own (func_split.cpp): cc's memory at
    // -O0 grows with the unit (400,000 instructions in one function: 2 GB).
    size_t split_chunk_bytes = 0;
    // Highest -O level for the unit holding the function (it gets a unit of
    // its own when below the module's level).
    int max_opt_level = 3;
    bool own_unit = false;
    // Poll the kill switch after each call_indirect (the module's tables
    // may hold host functions: emitter.cpp, host_funcs_may_be_in_tables).
    bool poll_after_indirect = true;
    // The module's tables whose contents are fixed at compile time
    // (const_tables.h): call_indirect through one reads the slot array in the
    // module instead of the instance's table. Null: none.
    const ConstTables *const_tables = nullptr;
    // Parameters, declared locals and operand slots are declared `register`
    // where no address of one is taken (FuncEmitter::register_ok): set for
    // the functions of units of tiny functions, compiled at -O0 (is_tiny).
    bool register_vars = false;
};

FuncCost function_cost(const Function &f);
// force_split_chunk_bytes: EmitOptions'.
Lowering choose_lowering(const FuncCost &c, size_t force_split_chunk_bytes = 0);

// The -O cap of a function's own unit once it is emitted: `accesses` loads,
// stores and global accesses (gcc's alias walking and LRA are quadratic in
// them at -O1: 20,000 global accesses in an 80 KB function took 10.5 s).
int own_unit_opt_cap(const Lowering &l, size_t accesses);

// Units made only of tiny loop-free functions are compiled at -O0 with
// their variables declared `register`: gcc's -O2 pipeline costs ~1.4 ms per
// function whatever its size (measured on 1,500 one-line C functions: -O2
// 2.1 s, -O1 1.1 s, -O0 0.4 s), so a module of 50,000 such functions spent
// most of its compile there. -Og (a shorter -O1 pipeline, the time spread
// over all passes) still cost 1.53 s for 1,500 of them; -O0 with `register`
// variables 0.78 s, and gcc -O0 keeps `register` variables in registers, so
// a call chain of such functions runs about as fast (2.7 vs 2.3 ns per call
// at -Og; plain -O0: 3.5x slower). 50,000 chained functions: 51 -> 26 s of
// cc CPU. README "Compile time and memory".
bool is_tiny(const FuncCost &c, bool has_loop);
// The -O cap of a unit of `funcs` functions, `tiny` of them tiny.
int unit_opt_cap(size_t funcs, size_t tiny);

}  // namespace lucet::cgen
