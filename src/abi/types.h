// types.h: the WebAssembly types the compiler and the runtime share (as
// Lucet's lucet-module crate): value, function, table, memory and global
// types, extern kinds and the packed signature id of lucet_abi.h. The
// decoder produces them and the runtime reads them from module descriptors;
// neither needs the other for them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace lucet {

enum class ValType : uint8_t {
    I32 = 0x7f,
    I64 = 0x7e,
    F32 = 0x7d,
    F64 = 0x7c,
    V128 = 0x7b,
    FuncRef = 0x70,
    ExternRef = 0x6f,
};
const char *valtype_name(ValType t);  // "i32", "funcref", ...
inline bool is_ref(ValType t) { return t == ValType::FuncRef || t == ValType::ExternRef; }

struct FuncType {
    std::vector<ValType> params;
    std::vector<ValType> results;
    bool operator==(const FuncType &o) const { return params == o.params && results == o.results; }
};

// The canonical packed signature id of lucet_abi.h ("Signature ids"), shared by
// the emitter (immediates in call_indirect) and the runtime (funcrefs, tables);
// 0 when the signature does not fit (more than LUCET_SIG_MAX_PACKED types, or
// v128) and the id must come from the runtime's registry.
uint64_t packed_signature_id(const FuncType &ft);

struct Limits {
    uint64_t min = 0;
    std::optional<uint64_t> max;
    size_t offset = 0;  // decoded modules: byte offset of the limits in Module::bytes, for the validator's messages
};

struct TableType {
    ValType elem = ValType::FuncRef;
    Limits limits;
};

struct MemoryType {
    Limits limits;  // in 64 KiB pages
};

struct GlobalType {
    ValType type = ValType::I32;
    bool mut = false;
};

enum class ExternKind : uint8_t { Func = 0, Table = 1, Memory = 2, Global = 3 };
const char *extern_kind_name(ExternKind k);  // "function", "table", "memory", "global"

}  // namespace lucet
