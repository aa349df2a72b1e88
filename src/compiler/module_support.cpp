// module_support.cpp: the C unit linked into every module .so in place of
// libc. Modules link with -nostdlib (no start files, so no initialisers; no
// DT_NEEDED, so dlopen loads nothing else, and the runtime's ELF check can
// refuse anything else). cc still calls a few functions of its own accord:
// memcpy/memmove/memset for copies and bulk memory, and floor, ceil, trunc,
// nearbyint (and the float versions) for the rounding instructions when the
// target lacks SSE4.1. They are defined here, hidden, so the module binds
// them inside itself; libgcc (static) supplies cc's arithmetic helpers
// (__popcountdi2...). The unit is compiled with -fno-builtin (and, for gcc,
// -fno-tree-loop-distribute-patterns) so that these loops are not turned
// back into calls of themselves.
#include "compiler/module_support.h"

namespace lucet {

const char *module_support_source() {
    return R"C(/* lucetc module support: libc functions cc may call, hidden in the module. */
#include <stddef.h>
#include <stdint.h>
#define LUCET_SUPPORT __attribute__((visibility("hidden")))

LUCET_SUPPORT void *memcpy(void *restrict d, const void *restrict s, size_t n) {
    void *r = d;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return r;
}
LUCET_SUPPORT void *memmove(void *d, const void *s, size_t n) {
    if ((uintptr_t)d - (uintptr_t)s >= n) return memcpy(d, s, n); /* forward copy is safe */
    unsigned char *dd = d;
    const unsigned char *ss = s;
    while (n >= 8) {
        uint64_t w;
        n -= 8;
        __builtin_memcpy(&w, ss + n, 8);
        __builtin_memcpy(dd + n, &w, 8);
    }
    while (n--) dd[n] = ss[n];
    return d;
}
LUCET_SUPPORT void *memset(void *d, int c, size_t n) {
    void *r = d;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return r;
}
LUCET_SUPPORT int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

/* Rounding, exact for every input (NaNs come back as NaNs). T is the float
 * type, U its bits, S the name suffix, M the mantissa bits, E the exponent
 * bias; SIGN is the sign bit. trunc clears the fraction bits (|x| < 1 gives
 * a signed zero); floor/ceil correct trunc by one; nearbyint rounds to
 * nearest, ties to even: |x| < 2^M plus 2^M rounds (in the default rounding
 * mode, which wasm code runs in) to an integer, and the sign is put back so
 * that -0.4 gives -0. */
#define LUCET_SUP_ROUNDING(T, U, S, M, E, SIGN)                                      \
    static U lucet_sup_bits##S(T x) { U u; __builtin_memcpy(&u, &x, sizeof u); return u; } \
    static T lucet_sup_from##S(U u) { T x; __builtin_memcpy(&x, &u, sizeof x); return x; } \
    LUCET_SUPPORT T trunc##S(T x) {                                                  \
        U u = lucet_sup_bits##S(x);                                                  \
        int e = (int)((u & ~(SIGN)) >> M) - E;                                       \
        if (e >= M) return x;                                                        \
        if (e < 0) return lucet_sup_from##S(u & (SIGN));                             \
        return lucet_sup_from##S(u & ~((((U)1 << M) - 1) >> e));                     \
    }                                                                                \
    LUCET_SUPPORT T floor##S(T x) { T t = trunc##S(x); return t > x ? t - (T)1 : t; } \
    LUCET_SUPPORT T ceil##S(T x) { T t = trunc##S(x); return t < x ? t + (T)1 : t; }  \
    LUCET_SUPPORT T nearbyint##S(T x) {                                              \
        U u = lucet_sup_bits##S(x);                                                  \
        if (((u & ~(SIGN)) >> M) >= (U)(E + M)) return x;                            \
        T two_m = (T)((U)1 << M);                                                    \
        T y = (lucet_sup_from##S(u & ~(SIGN)) + two_m) - two_m;                      \
        return lucet_sup_from##S(lucet_sup_bits##S(y) | (u & (SIGN)));               \
    }                                                                                \
    LUCET_SUPPORT T rint##S(T x) { return nearbyint##S(x); }                         \
    LUCET_SUPPORT T roundeven##S(T x) { return nearbyint##S(x); }
LUCET_SUP_ROUNDING(double, uint64_t, , 52, 1023, 0x8000000000000000ull)
LUCET_SUP_ROUNDING(float, uint32_t, f, 23, 127, 0x80000000u)
)C";
}

}  // namespace lucet
