/* image.c: saturating u8 arithmetic on a generated 8-bit image: brightness
 * up and down (u8x16.add_sat/sub_sat), the rounding average of two images
 * (u8x16.avgr), an alpha blend widened to u16 lanes (extend_low/high,
 * i16x8.mul/add, u16x8.shr) and narrowed back (u8x16.narrow_i16x8), and a
 * contrast stretch whose narrowing saturates both ways, each checked against
 * plain C. */
#include <string.h>

#include "simd_compat.h"

#define W 640
#define H 480
#define NPIX (W * H)

static uint8_t img_a[NPIX], img_b[NPIX], alpha[NPIX];
static uint8_t out[NPIX], ref[NPIX];

static uint8_t sat_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

/* ---- plain C ---- */
static void brightness_ref(const uint8_t *in, uint8_t *o, int delta) {
    for (int i = 0; i < NPIX; i++) o[i] = sat_u8(in[i] + delta);
}
static void average_ref(const uint8_t *a, const uint8_t *b, uint8_t *o) {
    for (int i = 0; i < NPIX; i++) o[i] = (uint8_t)((a[i] + b[i] + 1) >> 1);
}
static void blend_ref(const uint8_t *a, const uint8_t *b, const uint8_t *al, uint8_t *o) {
    for (int i = 0; i < NPIX; i++) o[i] = (uint8_t)((a[i] * al[i] + b[i] * (255 - al[i]) + 255) >> 8);
}

static void contrast_ref(const uint8_t *in, uint8_t *o) {
    for (int i = 0; i < NPIX; i++) o[i] = sat_u8((in[i] - 128) * 3 + 128);
}

/* ---- SIMD ---- */
static void brightness_simd(const uint8_t *in, uint8_t *o, int delta) {
    v128_t d = wasm_i8x16_splat((int8_t)(delta < 0 ? -delta : delta));
    for (int i = 0; i < NPIX; i += 16) {
        v128_t p = wasm_v128_load(in + i);
        wasm_v128_store(o + i, delta < 0 ? wasm_u8x16_sub_sat(p, d) : wasm_u8x16_add_sat(p, d));
    }
}
static void average_simd(const uint8_t *a, const uint8_t *b, uint8_t *o) {
    for (int i = 0; i < NPIX; i += 16)
        wasm_v128_store(o + i, wasm_u8x16_avgr(wasm_v128_load(a + i), wasm_v128_load(b + i)));
}
/* 8 pixels in u16 lanes: (a*al + b*(255-al) + 255) >> 8, at most 255 */
static v128_t blend8(v128_t a, v128_t b, v128_t al) {
    v128_t inv = wasm_i16x8_sub(wasm_i16x8_splat(255), al);
    v128_t s = wasm_i16x8_add(wasm_i16x8_mul(a, al), wasm_i16x8_mul(b, inv));
    /* the sum fits 16 bits unsigned: add 255 with saturation-free wrap, shift unsigned */
    return wasm_u16x8_shr(wasm_i16x8_add(s, wasm_i16x8_splat(255)), 8);
}
static void blend_simd(const uint8_t *a, const uint8_t *b, const uint8_t *al, uint8_t *o) {
    for (int i = 0; i < NPIX; i += 16) {
        v128_t pa = wasm_v128_load(a + i), pb = wasm_v128_load(b + i), pl = wasm_v128_load(al + i);
        v128_t lo = blend8(wasm_u16x8_extend_low_u8x16(pa), wasm_u16x8_extend_low_u8x16(pb),
                           wasm_u16x8_extend_low_u8x16(pl));
        v128_t hi = blend8(wasm_u16x8_extend_high_u8x16(pa), wasm_u16x8_extend_high_u8x16(pb),
                           wasm_u16x8_extend_high_u8x16(pl));
        wasm_v128_store(o + i, wasm_u8x16_narrow_i16x8(lo, hi));
    }
}

/* (p - 128) * 3 + 128 in i16 lanes (-256..511), narrowed with saturation */
static v128_t contrast8(v128_t p) {
    return wasm_i16x8_add(wasm_i16x8_mul(wasm_i16x8_sub(p, wasm_i16x8_splat(128)), wasm_i16x8_splat(3)),
                          wasm_i16x8_splat(128));
}
static void contrast_simd(const uint8_t *in, uint8_t *o) {
    for (int i = 0; i < NPIX; i += 16) {
        v128_t p = wasm_v128_load(in + i);
        wasm_v128_store(o + i, wasm_u8x16_narrow_i16x8(contrast8(wasm_u16x8_extend_low_u8x16(p)),
                                                       contrast8(wasm_u16x8_extend_high_u8x16(p))));
    }
}

/* A gradient with noise, so that some pixels saturate and some do not. */
static void make_image(uint8_t *p, uint32_t seed) {
    uint32_t s = seed;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) p[y * W + x] = (uint8_t)((x * 255 / W + y / 4) + (gen_next(&s) >> 29));
}

int main(void) {
    int bad = 0;
    make_image(img_a, 7);
    make_image(img_b, 99);
    gen_bytes(alpha, NPIX, 5);
    /* edge values */
    memset(img_a, 255, 16);
    memset(img_b, 0, 16);
    memset(alpha, 0, 8);
    memset(alpha + 8, 255, 8);

    uint32_t h = 0;
    const int deltas[] = {40, -40, 127, -127};
    for (int r = 0; r < SIMD_REPS * 12; r++) {
        for (int k = 0; k < 4; k++) {
            brightness_simd(img_a, out, deltas[k]);
            h = h * 31 + digest(out, NPIX);
        }
        average_simd(img_a, img_b, out);
        h = h * 31 + digest(out, NPIX);
        blend_simd(img_a, img_b, alpha, out);
        h = h * 31 + digest(out, NPIX);
        contrast_simd(img_b, out);
        h = h * 31 + digest(out, NPIX);
        img_a[r % NPIX] ^= (uint8_t)r;
    }

    int ok = 1;
    for (int k = 0; k < 4; k++) {
        brightness_simd(img_a, out, deltas[k]);
        brightness_ref(img_a, ref, deltas[k]);
        ok &= memcmp(out, ref, NPIX) == 0;
    }
    bad |= report("brightness (add_sat/sub_sat)", ok);
    average_simd(img_a, img_b, out);
    average_ref(img_a, img_b, ref);
    bad |= report("average (avgr)", memcmp(out, ref, NPIX) == 0);
    contrast_simd(img_b, out);
    contrast_ref(img_b, ref);
    bad |= report("contrast (saturating narrow)", memcmp(out, ref, NPIX) == 0);
    blend_simd(img_a, img_b, alpha, out);
    blend_ref(img_a, img_b, alpha, ref);
    bad |= report("alpha blend (extend, mul, narrow)", memcmp(out, ref, NPIX) == 0);
    printf("blend digest %08x, first pixels %u %u %u %u; rounds digest %08x\n", digest(out, NPIX), out[0], out[8],
           out[16], out[W * H / 2 + 3], h);
    return bad;
}
