/* ecfield.c: elliptic-curve field arithmetic. X25519-style Montgomery ladder
 * over GF(2^255 - 19) with five 51-bit limbs: 64x64->128-bit multiply/add
 * chains (unsigned __int128), carries, squarings, and a field inversion by
 * exponentiation, repeated over a chain of scalars. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ROUNDS 10000

typedef unsigned __int128 u128;
typedef struct { uint64_t v[5]; } fe;
static const uint64_t MASK51 = (1ull << 51) - 1;

static inline void fe_carry(fe *r, const u128 t[5]) {
    uint64_t c;
    u128 a0 = t[0], a1 = t[1], a2 = t[2], a3 = t[3], a4 = t[4];
    c = (uint64_t)(a0 >> 51); a1 += c; r->v[0] = (uint64_t)a0 & MASK51;
    c = (uint64_t)(a1 >> 51); a2 += c; r->v[1] = (uint64_t)a1 & MASK51;
    c = (uint64_t)(a2 >> 51); a3 += c; r->v[2] = (uint64_t)a2 & MASK51;
    c = (uint64_t)(a3 >> 51); a4 += c; r->v[3] = (uint64_t)a3 & MASK51;
    c = (uint64_t)(a4 >> 51); r->v[4] = (uint64_t)a4 & MASK51;
    r->v[0] += c * 19;
    r->v[1] += r->v[0] >> 51; r->v[0] &= MASK51;
}

static void fe_mul(fe *r, const fe *f, const fe *g) {
    uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    uint64_t g1_19 = g1 * 19, g2_19 = g2 * 19, g3_19 = g3 * 19, g4_19 = g4 * 19;
    u128 t[5];
    t[0] = (u128)f0 * g0 + (u128)f1 * g4_19 + (u128)f2 * g3_19 + (u128)f3 * g2_19 + (u128)f4 * g1_19;
    t[1] = (u128)f0 * g1 + (u128)f1 * g0 + (u128)f2 * g4_19 + (u128)f3 * g3_19 + (u128)f4 * g2_19;
    t[2] = (u128)f0 * g2 + (u128)f1 * g1 + (u128)f2 * g0 + (u128)f3 * g4_19 + (u128)f4 * g3_19;
    t[3] = (u128)f0 * g3 + (u128)f1 * g2 + (u128)f2 * g1 + (u128)f3 * g0 + (u128)f4 * g4_19;
    t[4] = (u128)f0 * g4 + (u128)f1 * g3 + (u128)f2 * g2 + (u128)f3 * g1 + (u128)f4 * g0;
    fe_carry(r, t);
}

static void fe_sq(fe *r, const fe *f) {
    uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    uint64_t f0_2 = f0 * 2, f1_2 = f1 * 2, f3_19 = f3 * 19, f4_19 = f4 * 19;
    u128 t[5];
    t[0] = (u128)f0 * f0 + (u128)f1_2 * f4_19 + (u128)(f2 * 2) * f3_19;
    t[1] = (u128)f0_2 * f1 + (u128)(f2 * 2) * f4_19 + (u128)f3 * f3_19;
    t[2] = (u128)f0_2 * f2 + (u128)f1 * f1 + (u128)(f3 * 2) * f4_19;
    t[3] = (u128)f0_2 * f3 + (u128)f1_2 * f2 + (u128)f4 * f4_19;
    t[4] = (u128)f0_2 * f4 + (u128)f1_2 * f3 + (u128)f2 * f2;
    fe_carry(r, t);
}

static void fe_add(fe *r, const fe *a, const fe *b) {
    for (int i = 0; i < 5; i++) r->v[i] = a->v[i] + b->v[i];
}
/* a - b + 2p keeps limbs non-negative. */
static void fe_sub(fe *r, const fe *a, const fe *b) {
    r->v[0] = a->v[0] + 0xFFFFFFFFFFFDAull - b->v[0];
    for (int i = 1; i < 5; i++) r->v[i] = a->v[i] + 0xFFFFFFFFFFFFEull - b->v[i];
}
static void fe_mul121666(fe *r, const fe *a) {
    u128 t[5];
    for (int i = 0; i < 5; i++) t[i] = (u128)a->v[i] * 121666;
    fe_carry(r, t);
}
static void fe_cswap(fe *a, fe *b, uint64_t bit) {
    uint64_t m = 0 - bit;
    for (int i = 0; i < 5; i++) { uint64_t x = m & (a->v[i] ^ b->v[i]); a->v[i] ^= x; b->v[i] ^= x; }
}

static void fe_invert(fe *r, const fe *z) {
    /* z^(p-2) by square-and-multiply over the exponent's bits. */
    fe acc = *z, base = *z;
    for (int i = 253; i >= 0; i--) {
        fe_sq(&acc, &acc);
        int bit = (i == 2 || i == 4) ? 0 : 1; /* p - 2 = 2^255 - 21 */
        if (bit) fe_mul(&acc, &acc, &base);
    }
    *r = acc;
}

static void ladder(fe *out, const uint8_t scalar[32], const fe *u) {
    fe x1 = *u, x2 = {{1, 0, 0, 0, 0}}, z2 = {{0}}, x3 = *u, z3 = {{1, 0, 0, 0, 0}};
    uint64_t swap = 0;
    for (int pos = 254; pos >= 0; pos--) {
        uint64_t b = (scalar[pos >> 3] >> (pos & 7)) & 1;
        swap ^= b;
        fe_cswap(&x2, &x3, swap); fe_cswap(&z2, &z3, swap);
        swap = b;
        fe a, aa, bb, bv, e, c, d, da, cb, t;
        fe_add(&a, &x2, &z2); fe_sq(&aa, &a);
        fe_sub(&bv, &x2, &z2); fe_sq(&bb, &bv);
        fe_sub(&e, &aa, &bb);
        fe_add(&c, &x3, &z3); fe_sub(&d, &x3, &z3);
        fe_mul(&da, &d, &a); fe_mul(&cb, &c, &bv);
        fe_add(&t, &da, &cb); fe_sq(&x3, &t);
        fe_sub(&t, &da, &cb); fe_sq(&t, &t); fe_mul(&z3, &x1, &t);
        fe_mul(&x2, &aa, &bb);
        fe_mul121666(&t, &e); fe_add(&t, &aa, &t); fe_mul(&z2, &e, &t);
    }
    fe_cswap(&x2, &x3, swap); fe_cswap(&z2, &z3, swap);
    fe zi;
    fe_invert(&zi, &z2);
    fe_mul(out, &x2, &zi);
}

int main(void) {
    uint8_t k[32];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 32; i++) { x ^= x << 13; x ^= x >> 7; x ^= x << 17; k[i] = (uint8_t)x; }
    fe u = {{9, 0, 0, 0, 0}};
    for (int r = 0; r < ROUNDS; r++) {
        k[0] &= 248; k[31] = (uint8_t)((k[31] & 127) | 64);
        fe o;
        ladder(&o, k, &u);
        u = o;
        for (int i = 0; i < 4; i++) memcpy(k + 8 * i, &o.v[i], 8);
    }
    printf("u=%013llx %013llx %013llx %013llx %013llx\n", (unsigned long long)u.v[0], (unsigned long long)u.v[1],
           (unsigned long long)u.v[2], (unsigned long long)u.v[3], (unsigned long long)u.v[4]);
    return 0;
}
