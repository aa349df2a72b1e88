// types.cpp: names of types and kinds, and the packed signature id.
#include "abi/types.h"

#include "abi/lucet_abi.h"

namespace lucet {

const char *valtype_name(ValType t) {
    switch (t) {
    case ValType::I32: return "i32";
    case ValType::I64: return "i64";
    case ValType::F32: return "f32";
    case ValType::F64: return "f64";
    case ValType::V128: return "v128";
    case ValType::FuncRef: return "funcref";
    case ValType::ExternRef: return "externref";
    }
    return "<bad type>";
}

const char *extern_kind_name(ExternKind k) {
    switch (k) {
    case ExternKind::Func: return "function";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
    }
    return "<bad extern kind>";
}

namespace {
uint64_t sig_code(ValType t) {
    switch (t) {
    case ValType::I32: return 1;
    case ValType::I64: return 2;
    case ValType::F32: return 3;
    case ValType::F64: return 4;
    case ValType::FuncRef: return 5;
    case ValType::ExternRef: return 6;
    default: return 0;
    }
}
}  // namespace

uint64_t packed_signature_id(const FuncType &ft) {
    // Sentinel bit, 3 bits per param, separator 7, 3 bits per result. The
    // sentinel must stay below bit 63 (which marks registry ids):
    // 1 + 3 * (n + 1) <= 63, so n <= 19 = LUCET_SIG_MAX_PACKED.
    if (ft.params.size() + ft.results.size() > LUCET_SIG_MAX_PACKED) return 0;
    uint64_t id = 1;
    for (ValType t : ft.params) {
        uint64_t c = sig_code(t);
        if (c == 0) return 0;
        id = id << 3 | c;
    }
    id = id << 3 | 7;
    for (ValType t : ft.results) {
        uint64_t c = sig_code(t);
        if (c == 0) return 0;
        id = id << 3 | c;
    }
    return id;
}

}  // namespace lucet
