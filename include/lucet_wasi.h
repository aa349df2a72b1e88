/*
 * lucet_wasi.h: the stable C API of liblucet_wasi.
 *
 * Plain C99. Every fallible call returns an enum lucet_error; no C++ type or
 * exception crosses this boundary. The full embedding API (modules, regions,
 * instances, host functions, WASI contexts) is being built out; what is
 * declared here is implemented.
 */
#ifndef LUCET_WASI_H
#define LUCET_WASI_H

#ifdef __cplusplus
extern "C" {
#endif

enum lucet_error {
    lucet_error_ok = 0,
    lucet_error_invalid_argument,
    lucet_error_region_full,
    lucet_error_module,
    lucet_error_limits_exceeded,
    lucet_error_no_linear_memory,
    lucet_error_symbol_not_found,
    lucet_error_func_not_found,
    lucet_error_runtime_fault,
    lucet_error_runtime_terminated,
    lucet_error_dl,
    lucet_error_instance_not_returned,
    lucet_error_instance_not_yielded,
    lucet_error_start_yielded,
    lucet_error_internal,
    lucet_error_unsupported
};

/* "lucet_error_ok", ... ; never NULL. */
const char *lucet_error_name(enum lucet_error e);

/* The library version, "MAJOR.MINOR.PATCH". */
const char *lucet_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LUCET_WASI_H */
