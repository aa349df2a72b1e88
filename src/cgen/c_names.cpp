// c_names.cpp: C spellings of wasm types, signature ids and string literals.
#include "cgen/cgen_internal.h"
#include "abi/lucet_abi.h"

namespace lucet::cgen {

const char *c_type(ValType t) {
    switch (t) {
    case ValType::I32: return "uint32_t";
    case ValType::I64: return "uint64_t";
    case ValType::F32: return "float";
    case ValType::F64: return "double";
    default: return "uint64_t";  // funcref / externref bits
    }
}

char type_letter(ValType t) {
    switch (t) {
    case ValType::I32: return 'i';
    case ValType::I64: return 'j';
    case ValType::F32: return 'f';
    case ValType::F64: return 'd';
    default: return 'r';
    }
}

static uint64_t sig_code(ValType t) {
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

uint64_t packed_signature_id(const FuncType &ft) {
    // Sentinel bit + 3 bits per type + 3 separator bits must stay below bit 63
    // (bit 63 marks registry ids): 1 + 3 * (n + 1) <= 63, i.e. n <= 19 =
    // LUCET_SIG_MAX_PACKED. Longer signatures use the loader-filled type_ids.
    size_t n = ft.params.size() + ft.results.size();
    if (n > LUCET_SIG_MAX_PACKED) return 0;
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

std::string multi_result_struct_name(const std::vector<ValType> &results) {
    std::string s = "lucet_mr_";
    for (ValType t : results) s += type_letter(t);
    return s;
}

std::string result_c_type(const std::vector<ValType> &results) {
    if (results.empty()) return "void";
    if (results.size() == 1) return c_type(results[0]);
    return multi_result_struct_name(results);
}

void append_c_string_body(std::string &out, std::string_view bytes) {
    static const char digits[] = "01234567";
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"' && c != '?') {
            out += static_cast<char>(c);
        } else {
            // Always 3 digits: a following digit can never extend the escape.
            char esc[4] = {'\\', digits[(c >> 6) & 7], digits[(c >> 3) & 7], digits[c & 7]};
            out.append(esc, 4);
        }
    }
}

}  // namespace lucet::cgen
