/* simd_compat.h: one source for both builds of the SIMD guest programs.
 *
 * On wasm32 (clang --target=wasm32-wasi -msimd128) the kernels use clang's
 * <wasm_simd128.h>; natively (gcc -O2) they use SIMDe's implementation of
 * the same wasm_* API over SSE, so both builds run the same algorithm and
 * their outputs must be identical. Also shared: a deterministic generator
 * for test inputs, a digest for printing large outputs, and the ok/MISMATCH
 * report of a kernel against its plain-C reference.
 *
 * SIMD_REPS scales the work: small for the tests, large for the benchmarks
 * (test/bench passes -DSIMD_REPS=25). */
#ifndef SIMD_COMPAT_H
#define SIMD_COMPAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__wasm__)
#if !defined(__wasm_simd128__)
#error "build the SIMD guests with -msimd128"
#endif
#include <wasm_simd128.h>
#else
#define SIMDE_WASM_SIMD128_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

#ifndef SIMD_REPS
#define SIMD_REPS 1
#endif

/* xorshift32: the same input bytes in both builds. */
static inline uint32_t gen_next(uint32_t *state) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static inline void gen_bytes(uint8_t *p, size_t n, uint32_t seed) {
    uint32_t s = seed ? seed : 1;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(gen_next(&s) >> 24);
}

/* FNV-1a, 32-bit: a short printable summary of a large buffer. */
static inline uint32_t digest(const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* Prints "NAME: ok" or "NAME: MISMATCH" and returns 1 for a mismatch. */
static inline int report(const char *name, int same) {
    printf("%s: %s\n", name, same ? "ok" : "MISMATCH");
    return !same;
}

static inline void print_hex(const char *label, const uint8_t *p, size_t n) {
    printf("%s: ", label);
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
    printf("\n");
}

#endif
