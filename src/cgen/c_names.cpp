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
    case ValType::V128: return "lucet_v128";
    default: return "uint64_t";  // funcref / externref bits
    }
}

char type_letter(ValType t) {
    switch (t) {
    case ValType::I32: return 'i';
    case ValType::I64: return 'j';
    case ValType::F32: return 'f';
    case ValType::F64: return 'd';
    case ValType::V128: return 'v';
    default: return 'r';
    }
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
