/* chacha.c: the ChaCha20 block function (RFC 7539) on 32-bit lanes: the
 * state's four rows in four i32x4 vectors, quarter rounds with i32x4.add,
 * v128.xor and rotations made of i32x4.shl / i32x4.shr_u / v128.or, and the
 * diagonal rounds by rotating rows with i32x4.shuffle. Checked against RFC
 * 7539's block test vector (section 2.3.2) and a plain-C block function over
 * a long keystream. */
#include <string.h>

#include "simd_compat.h"

static uint32_t load32_le(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void chacha_init(uint32_t st[16], const uint8_t key[32], uint32_t counter, const uint8_t nonce[12]) {
    st[0] = 0x61707865;
    st[1] = 0x3320646e;
    st[2] = 0x79622d32;
    st[3] = 0x6b206574;
    for (int i = 0; i < 8; i++) st[4 + i] = load32_le(key + 4 * i);
    st[12] = counter;
    for (int i = 0; i < 3; i++) st[13 + i] = load32_le(nonce + 4 * i);
}

/* ---- plain C ---- */
#define ROTL(v, n) ((v) << (n) | (v) >> (32 - (n)))
#define QR(a, b, c, d)                                                                                                 \
    (a += b, d = ROTL(d ^ a, 16), c += d, b = ROTL(b ^ c, 12), a += b, d = ROTL(d ^ a, 8), c += d, b = ROTL(b ^ c, 7))

static void chacha_block_ref(const uint32_t in[16], uint8_t out[64]) {
    uint32_t x[16];
    memcpy(x, in, sizeof x);
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) {
        uint32_t v = x[i] + in[i];
        for (int k = 0; k < 4; k++) out[4 * i + k] = (uint8_t)(v >> 8 * k);
    }
}

/* ---- SIMD ---- */
#define VROTL(v, n) wasm_v128_or(wasm_i32x4_shl(v, n), wasm_u32x4_shr(v, 32 - (n)))

static void chacha_block_simd(const uint32_t in[16], uint8_t out[64]) {
    const v128_t r0 = wasm_v128_load(in), r1 = wasm_v128_load(in + 4);
    const v128_t r2 = wasm_v128_load(in + 8), r3 = wasm_v128_load(in + 12);
    v128_t a = r0, b = r1, c = r2, d = r3;
    for (int i = 0; i < 10; i++) {
        for (int diag = 0; diag < 2; diag++) {
            a = wasm_i32x4_add(a, b), d = VROTL(wasm_v128_xor(d, a), 16);
            c = wasm_i32x4_add(c, d), b = VROTL(wasm_v128_xor(b, c), 12);
            a = wasm_i32x4_add(a, b), d = VROTL(wasm_v128_xor(d, a), 8);
            c = wasm_i32x4_add(c, d), b = VROTL(wasm_v128_xor(b, c), 7);
            if (diag == 0) { /* columns -> diagonals: rotate rows 1, 2, 3 left by 1, 2, 3 lanes */
                b = wasm_i32x4_shuffle(b, b, 1, 2, 3, 0);
                c = wasm_i32x4_shuffle(c, c, 2, 3, 0, 1);
                d = wasm_i32x4_shuffle(d, d, 3, 0, 1, 2);
            } else { /* and back */
                b = wasm_i32x4_shuffle(b, b, 3, 0, 1, 2);
                c = wasm_i32x4_shuffle(c, c, 2, 3, 0, 1);
                d = wasm_i32x4_shuffle(d, d, 1, 2, 3, 0);
            }
        }
    }
    wasm_v128_store(out, wasm_i32x4_add(a, r0));
    wasm_v128_store(out + 16, wasm_i32x4_add(b, r1));
    wasm_v128_store(out + 32, wasm_i32x4_add(c, r2));
    wasm_v128_store(out + 48, wasm_i32x4_add(d, r3));
}

/* RFC 7539 section 2.3.2 */
static const uint8_t rfc_nonce[12] = {0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0};
static const uint8_t rfc_block[64] = {
    0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
    0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
    0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
    0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e};

#define STREAM_BLOCKS 4096
static uint8_t stream[STREAM_BLOCKS * 64], stream_ref[STREAM_BLOCKS * 64];

int main(void) {
    int bad = 0;
    uint8_t key[32], block[64];
    uint32_t st[16];
    for (int i = 0; i < 32; i++) key[i] = (uint8_t)i;
    chacha_init(st, key, 1, rfc_nonce);
    chacha_block_simd(st, block);
    print_hex("rfc7539 2.3.2 block", block, 64);
    bad |= report("chacha20 block = rfc7539 test vector", memcmp(block, rfc_block, 64) == 0);

    /* a keystream: successive counters with a generated key and nonce */
    uint8_t nonce[12];
    gen_bytes(key, 32, 31337);
    gen_bytes(nonce, 12, 4242);
    uint32_t h = 0;
    for (int r = 0; r < SIMD_REPS * 40; r++) {
        chacha_init(st, key, (uint32_t)r * STREAM_BLOCKS, nonce);
        for (int i = 0; i < STREAM_BLOCKS; i++, st[12]++) chacha_block_simd(st, stream + 64 * i);
        h = h * 31 + digest(stream, sizeof stream);
    }
    chacha_init(st, key, (uint32_t)(SIMD_REPS * 40 - 1) * STREAM_BLOCKS, nonce);
    for (int i = 0; i < STREAM_BLOCKS; i++, st[12]++) chacha_block_ref(st, stream_ref + 64 * i);
    bad |= report("chacha20 keystream vs plain C", memcmp(stream, stream_ref, sizeof stream) == 0);
    print_hex("keystream tail", stream + sizeof stream - 16, 16);
    printf("keystream digest %08x\n", h);
    return bad;
}
