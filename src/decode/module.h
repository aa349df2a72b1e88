// module.h: the decoded form of a WebAssembly binary module.
//
// The decoder (decoder.h) fills it from bytes; the validator checks it; the C
// emitter reads it. Function bodies are not decoded into an IR: they stay as
// byte ranges of `bytes` and are walked with InstrReader (instr.h), once by the
// validator and once by the emitter. Index spaces (funcs, tables, memories,
// globals) include imports first, as in the spec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "abi/types.h"  // ValType, FuncType, limits, ExternKind

namespace lucet {

struct Import {
    std::string module;
    std::string field;
    ExternKind kind = ExternKind::Func;
    uint32_t func_type = 0;  // kind == Func: type index
    TableType table;         // kind == Table
    MemoryType memory;       // kind == Memory
    GlobalType global;       // kind == Global
    size_t offset = 0;       // byte offset of the import's kind byte, for the validator's messages
};

// A constant expression (WebAssembly 2.0: exactly one instruction then `end`).
struct ConstExpr {
    enum class Kind : uint8_t { I32, I64, F32, F64, V128, RefNull, RefFunc, GlobalGet };
    Kind kind = Kind::I32;
    uint64_t value = 0;             // const bits (i32 zero-extended, f32/f64 raw bits, v128 low 64 bits), func or global index
    uint64_t value_hi = 0;          // V128: the high 64 bits (bytes 8..15 of the little-endian constant)
    ValType type = ValType::I32;    // RefNull: the reference type; others: the expression's type
    size_t offset = 0;              // byte offset of the expression, for error messages
};

struct Global {
    GlobalType type;
    ConstExpr init;
};

struct Export {
    std::string name;
    ExternKind kind = ExternKind::Func;
    uint32_t index = 0;
    size_t offset = 0;  // byte offset of the export entry, for the validator's messages
};

enum class SegmentMode : uint8_t { Active, Passive, Declarative };

struct ElemSegment {
    SegmentMode mode = SegmentMode::Active;
    uint32_t table = 0;
    ConstExpr offset;               // Active only
    ValType type = ValType::FuncRef;
    std::vector<ConstExpr> items;   // RefFunc / RefNull / GlobalGet
    size_t offset_in_module = 0;
};

struct DataSegment {
    SegmentMode mode = SegmentMode::Active;  // Active or Passive
    uint32_t memory = 0;
    ConstExpr offset;               // Active only
    size_t data_offset = 0;         // bytes [data_offset, data_offset + data_size) of Module::bytes
    size_t data_size = 0;
};

// A defined function's code.
struct Function {
    uint32_t type = 0;              // type index
    std::vector<ValType> locals;    // declared locals, excluding params, expanded
    size_t body_offset = 0;         // first instruction byte in Module::bytes
    size_t body_end = 0;            // one past the function's final `end` opcode
    size_t code_offset = 0;         // start of the code entry (its size LEB), for messages
};

struct Module {
    std::vector<uint8_t> bytes;     // the whole input; bodies and data point into it

    std::vector<FuncType> types;
    std::vector<Import> imports;

    // Index spaces, imports first.
    std::vector<uint32_t> func_types;       // function index -> type index
    std::vector<TableType> tables;
    std::vector<MemoryType> memories;
    std::vector<GlobalType> global_types;

    uint32_t num_imported_funcs = 0;
    uint32_t num_imported_tables = 0;
    uint32_t num_imported_memories = 0;
    uint32_t num_imported_globals = 0;

    std::vector<Global> globals;            // defined globals (index - num_imported_globals)
    std::vector<Export> exports;
    std::optional<uint32_t> start;
    size_t start_offset = 0;                // byte offset of the start section's function index
    std::vector<ElemSegment> elems;
    std::vector<DataSegment> datas;
    std::optional<uint32_t> data_count;     // from the DataCount section
    std::vector<Function> code;             // defined functions (index - num_imported_funcs)

    // Function names from the "name" custom section (function index -> name),
    // empty if absent or malformed (a bad name section is not an error).
    std::vector<std::string> func_names;

    // Set when the module uses any SIMD instruction (0xFD prefix) or the v128
    // type anywhere (types, locals, globals, block types, select t*): the
    // emitter includes SIMDe only for such modules.
    bool uses_simd = false;

    // Per table index: whether any function body writes the table
    // (table.set, table.grow, table.fill, or the destination of table.copy
    // or table.init). Filled while the code section is decoded (empty
    // without one); an index the validator will reject is ignored.
    std::vector<bool> tables_written;
    bool table_written(uint32_t t) const { return t >= tables_written.size() || tables_written[t]; }

    const FuncType &func_type(uint32_t func_index) const { return types[func_types[func_index]]; }
};

}  // namespace lucet
