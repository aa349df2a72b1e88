// const_tables.h: tables whose contents are fixed when the module is
// compiled, so that call_indirect through them needs no instance state.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "decode/module.h"

namespace lucet::cgen {

// A slot of a constant table: the function index, or kNullSlot.
constexpr uint32_t kNullSlot = UINT32_MAX;
// The most slots of constant tables in one module (16 bytes each in the
// .so, one relocation each, resolved by the dynamic loader at load time).
constexpr uint64_t kMaxConstTableSlots = 1u << 16;

// The constant tables of a module, by table index.
struct ConstTables {
    // Per table index: the slots of the table if its contents are fixed at
    // compile time, else empty. A table is constant when:
    // - it is defined here (an imported one is another instance's) and not
    //   exported (the embedder, or another module linked to this one, could
    //   write it), and holds funcrefs;
    // - no function writes it (Module::tables_written: table.set,
    //   table.grow, table.fill, table.copy or table.init into it), so its
    //   size stays its minimum and its slots are what instantiation put
    //   there;
    // - every active element segment for it has a constant offset, fits
    //   (one that does not fails instantiation: this module's code never
    //   runs), and holds only null or this module's own functions (an
    //   imported function's slot names another instance's code and
    //   context);
    // - its size is not 0, and it fits in what is left of
    //   kMaxConstTableSlots after the constant tables before it.
    std::vector<std::vector<uint32_t>> slots;
    // Per type index (filled only when some table is constant): the code of
    // the type in the slots, one more than the lowest type index with the
    // same parameters and results (types compare structurally, as
    // call_indirect's signature check does); 0 is a null slot's.
    std::vector<uint64_t> type_code;

    bool is_const(uint32_t t) const { return t < slots.size() && !slots[t].empty(); }
};
ConstTables find_const_tables(const Module &m);

// C name of table t's slot array.
std::string const_table_name(uint32_t t);
// Declarations of the slot arrays (each unit's prelude), and their
// definitions (unit 0, after the prototypes of every defined function).
std::string const_table_decls(const ConstTables &ct);
std::string const_table_defs(const Module &m, const ConstTables &ct);

}  // namespace lucet::cgen
