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

/* Rounding, exact for every input (NaNs come back as NaNs). */
static uint64_t lucet_sup_bits64(double x) { uint64_t u; __builtin_memcpy(&u, &x, 8); return u; }
static double lucet_sup_from64(uint64_t u) { double x; __builtin_memcpy(&x, &u, 8); return x; }
static uint32_t lucet_sup_bits32(float x) { uint32_t u; __builtin_memcpy(&u, &x, 4); return u; }
static float lucet_sup_from32(uint32_t u) { float x; __builtin_memcpy(&x, &u, 4); return x; }

LUCET_SUPPORT double trunc(double x) {
    uint64_t u = lucet_sup_bits64(x);
    int e = (int)((u >> 52) & 0x7ff) - 1023;
    if (e >= 52) return x;                                        /* integral, infinite, NaN */
    if (e < 0) return lucet_sup_from64(u & 0x8000000000000000ull); /* |x| < 1: signed zero */
    return lucet_sup_from64(u & ~(0x000fffffffffffffull >> e));
}
LUCET_SUPPORT double floor(double x) { double t = trunc(x); return t > x ? t - 1.0 : t; }
LUCET_SUPPORT double ceil(double x) { double t = trunc(x); return t < x ? t + 1.0 : t; }
/* Round to nearest, ties to even: |x| < 2^52 plus 2^52 rounds (in the
 * default rounding mode, which wasm code runs in) to an integer; the sign is
 * put back so that -0.4 gives -0. */
LUCET_SUPPORT double nearbyint(double x) {
    uint64_t u = lucet_sup_bits64(x);
    if (((u >> 52) & 0x7ff) >= 1023 + 52) return x;
    double a = lucet_sup_from64(u & 0x7fffffffffffffffull);
    double y = (a + 0x1p52) - 0x1p52;
    return lucet_sup_from64(lucet_sup_bits64(y) | (u & 0x8000000000000000ull));
}
LUCET_SUPPORT double rint(double x) { return nearbyint(x); }
LUCET_SUPPORT double roundeven(double x) { return nearbyint(x); }

LUCET_SUPPORT float truncf(float x) {
    uint32_t u = lucet_sup_bits32(x);
    int e = (int)((u >> 23) & 0xff) - 127;
    if (e >= 23) return x;
    if (e < 0) return lucet_sup_from32(u & 0x80000000u);
    return lucet_sup_from32(u & ~(0x007fffffu >> e));
}
LUCET_SUPPORT float floorf(float x) { float t = truncf(x); return t > x ? t - 1.0f : t; }
LUCET_SUPPORT float ceilf(float x) { float t = truncf(x); return t < x ? t + 1.0f : t; }
LUCET_SUPPORT float nearbyintf(float x) {
    uint32_t u = lucet_sup_bits32(x);
    if (((u >> 23) & 0xff) >= 127 + 23) return x;
    float a = lucet_sup_from32(u & 0x7fffffffu);
    float y = (a + 0x1p23f) - 0x1p23f;
    return lucet_sup_from32(lucet_sup_bits32(y) | (u & 0x80000000u));
}
LUCET_SUPPORT float rintf(float x) { return nearbyintf(x); }
LUCET_SUPPORT float roundevenf(float x) { return nearbyintf(x); }
)C";
}

}  // namespace lucet
