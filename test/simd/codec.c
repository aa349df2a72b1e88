/* codec.c: byte shuffles and table lookups. Base64 encode and decode and hex
 * encode, 16 output (or input) characters per step with i8x16.swizzle as a
 * 16-entry table lookup and i8x16.shuffle to regroup bytes, checked against
 * plain-C codecs and RFC 4648's test vectors. */
#include <string.h>

#include "simd_compat.h"

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* ---- plain C ---- */
static size_t b64_encode_ref(const uint8_t *in, size_t n, char *out) {
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = B64[(v >> 6) & 63];
        out[o++] = B64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = B64[v >> 18];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

static int b64_value(char c) {
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Returns the decoded length, or (size_t)-1 for a bad character. */
static size_t b64_decode_ref(const char *in, size_t n, uint8_t *out) {
    size_t o = 0;
    for (size_t i = 0; i + 4 <= n; i += 4) {
        int pad = (in[i + 3] == '=') + (in[i + 2] == '=');
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            int d = k >= 4 - pad ? 0 : b64_value(in[i + k]);
            if (d < 0) return (size_t)-1;
            v = v << 6 | (uint32_t)d;
        }
        out[o++] = (uint8_t)(v >> 16);
        if (pad < 2) out[o++] = (uint8_t)(v >> 8);
        if (pad < 1) out[o++] = (uint8_t)v;
    }
    return o;
}

/* ---- SIMD ---- */
/* 6-bit values (one per byte) -> base64 characters: four 16-entry swizzle
 * tables; an index outside a table's 16 entries gives 0 there. */
static v128_t b64_chars(v128_t idx) {
    v128_t r = wasm_i8x16_swizzle(wasm_v128_load(B64), idx);
    r = wasm_v128_or(r, wasm_i8x16_swizzle(wasm_v128_load(B64 + 16), wasm_i8x16_sub(idx, wasm_i8x16_splat(16))));
    r = wasm_v128_or(r, wasm_i8x16_swizzle(wasm_v128_load(B64 + 32), wasm_i8x16_sub(idx, wasm_i8x16_splat(32))));
    return wasm_v128_or(r, wasm_i8x16_swizzle(wasm_v128_load(B64 + 48), wasm_i8x16_sub(idx, wasm_i8x16_splat(48))));
}

static size_t b64_encode_simd(const uint8_t *in, size_t n, char *out) {
    size_t i = 0, o = 0;
    const v128_t m = wasm_i32x4_splat(63);
    /* 16 bytes are loaded for 12 used: stop while 16 remain. */
    for (; i + 16 <= n; i += 12, o += 16) {
        v128_t b = wasm_v128_load(in + i);
        /* each 32-bit lane = one 24-bit group, big-endian: bytes (b2, b1, b0, 0) */
        v128_t g = wasm_i8x16_shuffle(b, wasm_i8x16_splat(0), 2, 1, 0, 16, 5, 4, 3, 16, 8, 7, 6, 16, 11, 10, 9, 16);
        v128_t idx = wasm_v128_and(wasm_u32x4_shr(g, 18), m);
        idx = wasm_v128_or(idx, wasm_i32x4_shl(wasm_v128_and(wasm_u32x4_shr(g, 12), m), 8));
        idx = wasm_v128_or(idx, wasm_i32x4_shl(wasm_v128_and(wasm_u32x4_shr(g, 6), m), 16));
        idx = wasm_v128_or(idx, wasm_i32x4_shl(wasm_v128_and(g, m), 24));
        wasm_v128_store(out + o, b64_chars(idx));
    }
    return o + b64_encode_ref(in + i, n - i, out + o);
}

/* 16 characters -> 16 6-bit values; *bad gets a nonzero lane for a
 * character outside the alphabet. */
static v128_t b64_values(v128_t c, v128_t *bad) {
    v128_t upper = wasm_v128_and(wasm_u8x16_ge(c, wasm_i8x16_splat('A')), wasm_u8x16_le(c, wasm_i8x16_splat('Z')));
    v128_t lower = wasm_v128_and(wasm_u8x16_ge(c, wasm_i8x16_splat('a')), wasm_u8x16_le(c, wasm_i8x16_splat('z')));
    v128_t digit = wasm_v128_and(wasm_u8x16_ge(c, wasm_i8x16_splat('0')), wasm_u8x16_le(c, wasm_i8x16_splat('9')));
    v128_t plus = wasm_i8x16_eq(c, wasm_i8x16_splat('+'));
    v128_t slash = wasm_i8x16_eq(c, wasm_i8x16_splat('/'));
    v128_t v = wasm_v128_and(upper, wasm_i8x16_sub(c, wasm_i8x16_splat('A')));
    v = wasm_v128_or(v, wasm_v128_and(lower, wasm_i8x16_sub(c, wasm_i8x16_splat('a' - 26))));
    v = wasm_v128_or(v, wasm_v128_and(digit, wasm_i8x16_add(c, wasm_i8x16_splat(52 - '0'))));
    v = wasm_v128_or(v, wasm_v128_and(plus, wasm_i8x16_splat(62)));
    v = wasm_v128_or(v, wasm_v128_and(slash, wasm_i8x16_splat(63)));
    v128_t any = wasm_v128_or(wasm_v128_or(upper, lower), wasm_v128_or(digit, wasm_v128_or(plus, slash)));
    *bad = wasm_v128_not(any);
    return v;
}

static size_t b64_decode_simd(const char *in, size_t n, uint8_t *out) {
    size_t i = 0, o = 0;
    /* The last group may hold padding: leave it to the plain decoder. */
    for (; i + 20 <= n; i += 16, o += 12) {
        v128_t bad;
        v128_t v = b64_values(wasm_v128_load(in + i), &bad);
        if (wasm_v128_any_true(bad)) return (size_t)-1;
        /* lane bytes (d0, d1, d2, d3) -> 24-bit d0<<18 | d1<<12 | d2<<6 | d3 */
        const v128_t m = wasm_i32x4_splat(63);
        v128_t g = wasm_i32x4_shl(wasm_v128_and(v, m), 18);
        g = wasm_v128_or(g, wasm_i32x4_shl(wasm_v128_and(wasm_u32x4_shr(v, 8), m), 12));
        g = wasm_v128_or(g, wasm_i32x4_shl(wasm_v128_and(wasm_u32x4_shr(v, 16), m), 6));
        g = wasm_v128_or(g, wasm_u32x4_shr(v, 24));
        v128_t bytes = wasm_i8x16_shuffle(g, g, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 0, 0, 0, 0);
        wasm_v128_store64_lane(out + o, bytes, 0);
        wasm_v128_store32_lane(out + o + 8, bytes, 2);
    }
    size_t tail = b64_decode_ref(in + i, n - i, out + o);
    return tail == (size_t)-1 ? tail : o + tail;
}

static void hex_encode_simd(const uint8_t *in, size_t n, char *out) {
    const v128_t digits = wasm_v128_load("0123456789abcdef");
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v128_t b = wasm_v128_load(in + i);
        v128_t hi = wasm_i8x16_swizzle(digits, wasm_u8x16_shr(b, 4));
        v128_t lo = wasm_i8x16_swizzle(digits, wasm_v128_and(b, wasm_i8x16_splat(15)));
        wasm_v128_store(out + 2 * i, wasm_i8x16_shuffle(hi, lo, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        wasm_v128_store(out + 2 * i + 16,
                        wasm_i8x16_shuffle(hi, lo, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
    }
    for (; i < n; i++) {
        out[2 * i] = "0123456789abcdef"[in[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[in[i] & 15];
    }
}

#define BIG (256 * 1024 + 7)
static uint8_t data[BIG], back[BIG];
static char text[BIG / 3 * 4 + 8], text_ref[BIG / 3 * 4 + 8], hex[2 * BIG];

int main(void) {
    int bad = 0;
    /* RFC 4648 section 10 */
    static const char *const vectors[][2] = {{"", ""},           {"f", "Zg=="},         {"fo", "Zm8="},
                                             {"foo", "Zm9v"},     {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                             {"foobar", "Zm9vYmFy"}};
    for (size_t v = 0; v < sizeof vectors / sizeof vectors[0]; v++) {
        /* padded so the 16-byte SIMD loads stay inside the array */
        char in[64] = {0}, enc[64] = {0};
        uint8_t dec[64] = {0};
        memcpy(in, vectors[v][0], strlen(vectors[v][0]));
        size_t len = b64_encode_simd((const uint8_t *)in, strlen(in), enc);
        size_t dlen = b64_decode_simd(enc, len, dec);
        bad |= len != strlen(vectors[v][1]) || memcmp(enc, vectors[v][1], len) != 0 || dlen != strlen(in) ||
               memcmp(dec, in, dlen) != 0;
    }
    bad |= report("base64 rfc4648 vectors", !bad);

    gen_bytes(data, BIG, 2024);
    size_t len = 0, dlen = 0;
    uint32_t h = 0;
    for (int r = 0; r < SIMD_REPS * 4; r++) {
        data[r % BIG] ^= (uint8_t)r; /* different work each round */
        len = b64_encode_simd(data, BIG - 16, text);
        dlen = b64_decode_simd(text, len, back);
        hex_encode_simd(data, BIG, hex);
        h = h * 31 + digest(text, len) + digest(hex, sizeof hex);
    }
    size_t len_ref = b64_encode_ref(data, BIG - 16, text_ref);
    bad |= report("base64 encode", len == len_ref && memcmp(text, text_ref, len) == 0);
    bad |= report("base64 decode", dlen == BIG - 16 && memcmp(back, data, dlen) == 0);
    int hex_ok = 1;
    for (size_t i = 0; i < BIG; i++)
        hex_ok &= hex[2 * i] == "0123456789abcdef"[data[i] >> 4] && hex[2 * i + 1] == "0123456789abcdef"[data[i] & 15];
    bad |= report("hex encode", hex_ok);
    text[100] = '*';
    bad |= report("base64 rejects a bad character", b64_decode_simd(text, len, back) == (size_t)-1);
    printf("base64 of %zu bytes: %zu chars, digest %08x; rounds digest %08x\n", (size_t)(BIG - 16), len,
           digest(text_ref, len_ref), h);
    return bad;
}
