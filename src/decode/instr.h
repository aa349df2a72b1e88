// instr.h: reading one instruction at a time from a function body.
//
// The validator and the emitter each walk a body with an InstrReader; there is
// no instruction IR. Immediates land in the fields of Instr as listed below.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "decode/module.h"
#include "util/result.h"

namespace lucet {

enum class Op : uint32_t {
#define X(name, code, text) name = code,
#include "decode/opcodes.def"
#undef X
};
const char *op_name(Op op);  // "i32.add"

struct BlockType {
    enum class Kind : uint8_t { Empty, Value, TypeIndex };
    Kind kind = Kind::Empty;
    ValType value = ValType::I32;  // Kind::Value
    uint32_t type_index = 0;       // Kind::TypeIndex
};

struct MemArg {
    uint32_t align = 0;   // log2 of the alignment hint
    uint64_t offset = 0;  // static offset (u32 in the encoding)
};

// Immediates by opcode:
//   Block/Loop/If            block
//   Br/BrIf                  index = label depth
//   BrTable                  targets = label depths, index = default depth
//   Call / RefFunc           index = function index
//   CallIndirect             index = type index, index2 = table index
//   Local*/Global*           index
//   TableGet/Set/Size/Grow/Fill  index = table index
//   TableCopy                index = destination table, index2 = source table
//   TableInit                index = table, index2 = element segment
//   ElemDrop                 index = element segment
//   MemoryInit               index = data segment (memory index 0 is checked by the reader)
//   DataDrop                 index = data segment
//   MemoryCopy/Fill/Size/Grow  (memory index 0 checked by the reader)
//   loads/stores             mem
//   I32Const                 imm = value as uint32 zero-extended
//   I64Const                 imm = value bits
//   F32Const/F64Const        imm = IEEE bits
//   RefNull                  type = FuncRef / ExternRef
//   SelectT                  types = the result types listed (valid: exactly one)
//   SIMD (0xFD prefix; simd_ops.h says which opcode has which):
//     v128 loads/stores        mem
//     v128.load*_lane/store*_lane  mem, index = lane
//     *.extract_lane/replace_lane  index = lane
//     V128Const                imm = bytes 0..7, imm2 = bytes 8..15 (little-endian)
//     I8x16Shuffle             imm = lanes 0..7, imm2 = lanes 8..15 (lane k in bits 8k..8k+7)
//   Lane immediates are bytes read as is: their range is the validator's.
struct Instr {
    Op op = Op::Nop;
    size_t offset = 0;  // byte offset of the opcode in Module::bytes
    BlockType block;
    uint32_t index = 0;
    uint32_t index2 = 0;
    MemArg mem;
    uint64_t imm = 0;
    uint64_t imm2 = 0;  // V128Const / I8x16Shuffle: the high 8 bytes
    ValType type = ValType::FuncRef;
    std::vector<ValType> types;
    std::vector<uint32_t> targets;
};

class InstrReader {
public:
    // Reads the body of `f` (Module::bytes[f.body_offset, f.body_end)).
    InstrReader(const Module &m, const Function &f);
    // Reads an arbitrary range of m.bytes (used for constant expressions).
    InstrReader(const Module &m, size_t begin, size_t end);

    bool done() const { return pos_ >= end_; }
    size_t position() const { return pos_; }

    // Decodes the next instruction into `out` (reusing its vectors). Errors name
    // the byte offset: truncated immediates, bad LEB128, unknown opcodes
    // ("illegal opcode 0xfd 154"), non-zero reserved bytes.
    Status next(Instr &out);

private:
    const Module &m_;
    size_t pos_;
    size_t end_;
};

}  // namespace lucet
