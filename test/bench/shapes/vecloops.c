/* vecloops.c: a set of small array loops of the kind a vectorizer turns into
 * SIMD although the source is scalar (after the GCC vectorizer test loops):
 * saxpy, integer and float reductions, int<->float conversions, conditional
 * stores, strided access, widening byte sums, a min/max search. Each loop
 * runs many times over arrays that fit in L1/L2. */
#include <stdint.h>
#include <stdio.h>

#define N 4096
#define REPS 60000

static float fa[N], fb[N], fc[N];
static int32_t ia[N], ib[N], ic[N];
static int16_t sa[N];
static uint8_t ua[N];
static float st[2 * N];

__attribute__((noinline)) static void saxpy(float a, float *restrict y, const float *restrict x, int n) {
    for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}

__attribute__((noinline)) static uint32_t isum(const uint32_t *a, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i++) s += a[i];
    return s;
}

__attribute__((noinline)) static void iadd(int32_t *restrict c, const int32_t *restrict a, const int32_t *restrict b, int n) {
    for (int i = 0; i < n; i++) c[i] = (int32_t)((uint32_t)a[i] + (uint32_t)b[i] * 3u);
}

__attribute__((noinline)) static void i2f(float *restrict f, const int32_t *restrict a, int n) {
    for (int i = 0; i < n; i++) f[i] = (float)a[i] * 0.5f;
}

__attribute__((noinline)) static void s2i(int32_t *restrict d, const int16_t *restrict s, int n) {
    for (int i = 0; i < n; i++) d[i] = s[i] * 7;
}

__attribute__((noinline)) static void cond_store(int32_t *restrict c, const int32_t *restrict a, const int32_t *restrict b, int n) {
    for (int i = 0; i < n; i++) c[i] = a[i] > b[i] ? a[i] : b[i];
}

__attribute__((noinline)) static void clamp(float *restrict y, const float *restrict x, int n) {
    for (int i = 0; i < n; i++) {
        float v = x[i];
        y[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
}

__attribute__((noinline)) static void strided(float *restrict y, const float *restrict x, int n) {
    for (int i = 0; i < n; i++) y[i] = x[2 * i] + x[2 * i + 1];
}

__attribute__((noinline)) static uint32_t bsum(const uint8_t *a, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i++) s += a[i];
    return s;
}

__attribute__((noinline)) static int32_t imax(const int32_t *a, int n) {
    int32_t m = a[0];
    for (int i = 1; i < n; i++) m = a[i] > m ? a[i] : m;
    return m;
}

__attribute__((noinline)) static void shift_xor(uint32_t *restrict c, const uint32_t *restrict a, int n) {
    for (int i = 0; i < n; i++) c[i] = (a[i] >> 3) ^ (a[i] << 5) ^ 0x9E3779B9u;
}

int main(void) {
    uint32_t x = 2463534242u;
    for (int i = 0; i < N; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        ia[i] = (int32_t)(x % 2001) - 1000;
        ib[i] = (int32_t)((x >> 11) % 2001) - 1000;
        sa[i] = (int16_t)(x >> 7);
        ua[i] = (uint8_t)(x >> 3);
        fa[i] = (float)(x % 1000) / 1000.0f;
        fb[i] = (float)((x >> 10) % 1000) / 500.0f - 0.5f;
    }
    for (int i = 0; i < 2 * N; i++) st[i] = (float)(i % 97) * 0.25f;
    uint64_t acc = 0;
    float facc = 0.0f;
    for (int r = 0; r < REPS; r++) {
        saxpy(1.0001f, fc, fa, N);
        acc += isum((const uint32_t *)ia, N);
        iadd(ic, ia, ib, N);
        i2f(fb, ic, N);
        s2i(ib, sa, N);
        cond_store(ic, ia, ib, N);
        clamp(fa, fb, N);
        strided(fb, st, N);
        acc += bsum(ua, N);
        acc += (uint32_t)imax(ic, N);
        shift_xor((uint32_t *)ia, (const uint32_t *)ic, N);
        ua[r % N] ^= (uint8_t)acc;
        facc += fc[r % N] + fb[(r * 7) % N];
    }
    printf("acc=%llu facc=%.3f ia0=%d fc1=%.4f\n", (unsigned long long)acc, facc, ia[0], fc[1]);
    return 0;
}
