// fuzz_frontend.cpp: libFuzzer harness for lucetc's front half on arbitrary
// bytes: decode, validate and emit C (cc is never run). Built with clang++
// -fsanitize=fuzzer,address,undefined by build_harness.py (meson.build here).
//
// The last input byte picks the heap layout, so both the guard-page code path
// (no checks) and the explicit bounds-check path of the emitter are covered.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cgen/emitter.h"
#include "decode/decoder.h"
#include "validate/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    auto m = lucet::decode_module(std::vector<uint8_t>(data, data + size));
    if (!m.ok()) return 0;
    if (!lucet::validate_module(m.value()).ok()) return 0;
    lucet::EmitOptions eo;
    switch (size ? data[size - 1] % 3 : 0) {
    case 1:  // small reservation: every access explicitly checked
        eo.reserved_size = 1ull << 20;
        eo.guard_size = 64 << 10;
        break;
    case 2:  // many units
        eo.max_code_bytes_per_unit = 64;
        break;
    default: break;
    }
    auto units = lucet::emit_c(m.value(), eo);
    (void)units;  // an emitter error on a valid module is not a crash; the C is compiled by other tests
    return 0;
}
