/* lz.c: compression kernel. An LZ77 compressor with a hash table of recent
 * positions, 8-byte-at-a-time match extension (64-bit loads, xor, count
 * trailing zeros), literals and matches written through a 64-bit bit buffer
 * (variable-length codes), then the decoder reading the bits back and copying
 * matches byte by byte, and an Adler-style checksum of the result. The input
 * is semi-repetitive text-like bytes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define IN_SIZE (1u << 18)
#define ROUNDS 240
#define HASH_BITS 14
#define MIN_MATCH 4
#define MAX_MATCH 258
#define WINDOW (1u << 16)

static uint8_t in[IN_SIZE];
static uint8_t out[IN_SIZE * 2];
static uint8_t dec[IN_SIZE + 16];
static uint32_t head[1u << HASH_BITS];

static inline uint64_t load64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t load32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint32_t hash4(uint32_t v) { return (v * 2654435761u) >> (32 - HASH_BITS); }

typedef struct { uint8_t *p; uint64_t buf; unsigned n; } bitw;
static inline void put_bits(bitw *w, uint64_t v, unsigned k) {
    w->buf |= v << w->n;
    w->n += k;
    if (w->n >= 32) { memcpy(w->p, &w->buf, 4); w->p += 4; w->buf >>= 32; w->n -= 32; }
}
typedef struct { const uint8_t *p; uint64_t buf; unsigned n; } bitr;
static inline uint32_t get_bits(bitr *r, unsigned k) {
    if (r->n < k) { r->buf |= (uint64_t)load32(r->p) << r->n; r->p += 4; r->n += 32; }
    uint32_t v = (uint32_t)(r->buf & ((1ull << k) - 1));
    r->buf >>= k; r->n -= k;
    return v;
}
/* Elias-gamma-like length code: bit count in unary-ish 4 bits, then the value. */
static inline void put_num(bitw *w, uint32_t v) {
    unsigned b = 32 - (unsigned)__builtin_clz(v | 1);
    put_bits(w, b, 5);
    put_bits(w, v, b);
}
static inline uint32_t get_num(bitr *r) {
    unsigned b = get_bits(r, 5);
    return get_bits(r, b);
}

static size_t compress(const uint8_t *src, uint32_t n, uint8_t *dst) {
    bitw w = {dst, 0, 0};
    memset(head, 0xff, sizeof head);
    uint32_t i = 0, lit_start = 0;
    while (i + 8 + MAX_MATCH < n) {
        uint32_t h = hash4(load32(src + i));
        uint32_t cand = head[h];
        head[h] = i;
        if (cand != 0xffffffffu && i - cand < WINDOW && load32(src + cand) == load32(src + i)) {
            uint32_t len = 4;
            while (len < MAX_MATCH) {
                uint64_t x = load64(src + i + len) ^ load64(src + cand + len);
                if (x) { len += (uint32_t)__builtin_ctzll(x) >> 3; break; }
                len += 8;
            }
            if (len > MAX_MATCH) len = MAX_MATCH;
            put_num(&w, i - lit_start);
            for (uint32_t k = lit_start; k < i; k++) put_bits(&w, src[k], 8);
            put_num(&w, len - MIN_MATCH + 1);
            put_num(&w, i - cand);
            for (uint32_t k = i + 1; k < i + len; k += 3) head[hash4(load32(src + k))] = k;
            i += len;
            lit_start = i;
        } else {
            i++;
        }
    }
    put_num(&w, n - lit_start);
    for (uint32_t k = lit_start; k < n; k++) put_bits(&w, src[k], 8);
    put_num(&w, 0);
    put_bits(&w, 0, 32);
    return (size_t)(w.p - dst);
}

static uint32_t decompress(const uint8_t *src, uint8_t *dst, uint32_t cap) {
    bitr r = {src, 0, 0};
    uint32_t o = 0;
    for (;;) {
        uint32_t lits = get_num(&r);
        for (uint32_t k = 0; k < lits && o < cap; k++) dst[o++] = (uint8_t)get_bits(&r, 8);
        uint32_t len = get_num(&r);
        if (len == 0 || o >= cap) break;
        len += MIN_MATCH - 1;
        uint32_t dist = get_num(&r);
        if (dist == 0 || dist > o || o + len > cap) break;
        for (uint32_t k = 0; k < len; k++, o++) dst[o] = dst[o - dist];
    }
    return o;
}

static uint64_t checksum(const uint8_t *p, uint32_t n) {
    uint64_t a = 1, b = 0;
    for (uint32_t i = 0; i < n; i++) { a += p[i]; b += a; }
    return (b << 32) ^ a ^ (b % 65521);
}

int main(void) {
    static const char *words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ",
                                  "compression ", "window ", "match ", "literal ", "\n", "0123", "zz", ", "};
    uint32_t x = 2463534242u, n = 0;
    while (n < IN_SIZE) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        if ((x & 7) == 0 && n < IN_SIZE) { in[n++] = (uint8_t)(x >> 8); continue; }
        const char *wd = words[(x >> 4) & 15];
        while (*wd && n < IN_SIZE) in[n++] = (uint8_t)*wd++;
    }
    uint64_t sum = 0;
    size_t clen = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        in[(r * 7919u) % IN_SIZE] ^= (uint8_t)(r + 1);
        clen = compress(in, IN_SIZE, out);
        uint32_t dlen = decompress(out, dec, IN_SIZE);
        if (dlen != IN_SIZE || memcmp(dec, in, IN_SIZE) != 0) { printf("round %u: mismatch\n", r); return 1; }
        sum ^= checksum(dec, dlen) + clen;
    }
    printf("clen=%zu sum=%016llx\n", clen, (unsigned long long)sum);
    return 0;
}
