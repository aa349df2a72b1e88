// capi.cpp: the extern "C" shim over the C++ runtime. No logic of its own.
#include "lucet_wasi.h"

#define LUCET_API extern "C" __attribute__((visibility("default")))

LUCET_API const char *lucet_error_name(enum lucet_error e) {
    switch (e) {
#define N(x) \
    case x:  \
        return #x;
        N(lucet_error_ok)
        N(lucet_error_invalid_argument)
        N(lucet_error_region_full)
        N(lucet_error_module)
        N(lucet_error_limits_exceeded)
        N(lucet_error_no_linear_memory)
        N(lucet_error_symbol_not_found)
        N(lucet_error_func_not_found)
        N(lucet_error_runtime_fault)
        N(lucet_error_runtime_terminated)
        N(lucet_error_dl)
        N(lucet_error_instance_not_returned)
        N(lucet_error_instance_not_yielded)
        N(lucet_error_start_yielded)
        N(lucet_error_internal)
        N(lucet_error_unsupported)
#undef N
    }
    return "lucet_error_unknown";
}

LUCET_API const char *lucet_version(void) { return LUCET_VERSION; }
