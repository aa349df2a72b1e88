// ops_table.h: per-opcode C templates for the emitter (see ops_table.cpp).
#pragma once

#include <cstdint>

#include "decode/instr.h"

namespace lucet::cgen {

// An instruction that pops `arity` operands and pushes one `result` computed
// by the C expression `tmpl` ({0}, {1} = operands).
struct SimpleOp {
    uint8_t arity;
    ValType result;
    const char *tmpl;
};
const SimpleOp *find_simple_op(Op op);

// A load (pops the address, pushes `type`) or store (pops value then address).
struct MemOp {
    bool store;
    ValType type;
    uint32_t size;     // bytes accessed
    const char *helper;
};
const MemOp *find_mem_op(Op op);

}  // namespace lucet::cgen
