/* dot.c: float kernels. A dot product and a matrix multiply written with
 * f32x4 mul/add (lane extraction, splats), and the same matrix multiply as a
 * plain loop nest that clang vectorizes by itself at -O2 -msimd128 (and gcc
 * at -O2 natively). Inputs are small multiples of 1/4, so every partial sum
 * is exact and all three orders of summation give identical bits. */
#include <string.h>

#include "simd_compat.h"

#define N 192
#define LEN (N * N)

static float A[N][N], B[N][N], C[N][N], D[N][N];

/* ---- plain C ---- */
static float dot_ref(const float *x, const float *y, int n) {
    float s = 0;
    for (int i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}
/* i-k-j order: the inner loop is a contiguous axpy the compilers vectorize */
__attribute__((noinline)) static void matmul_loop(float (*c)[N], float (*a)[N], float (*b)[N]) {
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            float s = a[i][k];
            for (int j = 0; j < N; j++) c[i][j] += s * b[k][j];
        }
}

/* ---- SIMD ---- */
static float dot_simd(const float *x, const float *y, int n) {
    v128_t s0 = wasm_f32x4_splat(0), s1 = wasm_f32x4_splat(0);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(x + i), wasm_v128_load(y + i)));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(x + i + 4), wasm_v128_load(y + i + 4)));
    }
    v128_t s = wasm_f32x4_add(s0, s1);
    /* horizontal sum: add the high half onto the low half, then lane 1 onto lane 0 */
    s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 2, 3, 0, 1));
    s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
    float r = wasm_f32x4_extract_lane(s, 0);
    for (; i < n; i++) r += x[i] * y[i];
    return r;
}
__attribute__((noinline)) static void matmul_simd(float (*c)[N], float (*a)[N], float (*b)[N]) {
    for (int i = 0; i < N; i += 2)
        for (int j = 0; j < N; j += 8) {
            v128_t c00 = wasm_v128_load(&c[i][j]), c01 = wasm_v128_load(&c[i][j + 4]);
            v128_t c10 = wasm_v128_load(&c[i + 1][j]), c11 = wasm_v128_load(&c[i + 1][j + 4]);
            for (int k = 0; k < N; k++) {
                v128_t b0 = wasm_v128_load(&b[k][j]), b1 = wasm_v128_load(&b[k][j + 4]);
                v128_t a0 = wasm_v128_load32_splat(&a[i][k]), a1 = wasm_f32x4_splat(a[i + 1][k]);
                c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
                c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
                c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
                c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
            }
            wasm_v128_store(&c[i][j], c00);
            wasm_v128_store(&c[i][j + 4], c01);
            wasm_v128_store(&c[i + 1][j], c10);
            wasm_v128_store(&c[i + 1][j + 4], c11);
        }
}

static uint32_t float_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

int main(void) {
    int bad = 0;
    uint32_t s = 77;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (float)(int)(gen_next(&s) % 9) * 0.25f - 1.0f;
            B[i][j] = (float)(int)(gen_next(&s) % 5) * 0.5f;
        }

    /* dot products of rows of A with rows of B, of every length mod 8 */
    float dsum = 0;
    int dot_ok = 1;
    for (int r = 0; r < SIMD_REPS * 256; r++)
        for (int i = 0; i < N; i++) {
            int n = N - (i + r) % 8;
            float d = dot_simd(A[i], B[(i + r) % N], n);
            dot_ok &= float_bits(d) == float_bits(dot_ref(A[i], B[(i + r) % N], n));
            dsum += d * 0.001f;
        }
    bad |= report("f32x4 dot product", dot_ok);

    memset(C, 0, sizeof C);
    memset(D, 0, sizeof D);
    for (int r = 0; r < SIMD_REPS * 8; r++) {
        matmul_simd(C, A, B);
        matmul_loop(D, A, B);
    }
    bad |= report("f32x4 matmul vs auto-vectorized loop", memcmp(C, D, sizeof C) == 0);
    int spot_ok = 1;
    for (int i = 0; i < N; i += 37)
        for (int j = 0; j < N; j += 29) {
            float e = 0;
            for (int k = 0; k < N; k++) e += A[i][k] * B[k][j];
            spot_ok &= float_bits(D[i][j]) == float_bits(e * (float)(SIMD_REPS * 8));
        }
    bad |= report("matmul vs scalar dot products", spot_ok);
    printf("dot sum %.3f bits %08x; C[0][0] %.2f C[N-1][N-1] %.2f digest %08x\n", dsum, float_bits(dsum), C[0][0],
           C[N - 1][N - 1], digest(C, sizeof C));
    return bad;
}
