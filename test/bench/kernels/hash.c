/* hash.c: integer kernel. Fills a buffer from a xorshift generator, then runs
 * table-driven CRC-32, FNV-1a and a 64-bit multiply/rotate mixer over it
 * several times. Byte loads, shifts, table lookups, 64-bit multiplies. */
#include <stdint.h>
#include <stdio.h>

#define BUF_SIZE (1u << 20)
#define ROUNDS 112

static uint8_t buf[BUF_SIZE];
static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(const uint8_t *p, uint32_t n, uint32_t crc) {
    crc = ~crc;
    for (uint32_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

static uint32_t fnv1a(const uint8_t *p, uint32_t n, uint32_t h) {
    for (uint32_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

static inline uint64_t rotl64(uint64_t x, unsigned r) { return (x << r) | (x >> (64 - r)); }

/* Reads 8 bytes at a time (unaligned-safe via byte assembly, which both gcc
 * and clang turn into a single load). */
static uint64_t mix64(const uint8_t *p, uint32_t n, uint64_t h) {
    for (uint32_t i = 0; i + 8 <= n; i += 8) {
        uint64_t v = 0;
        for (int b = 7; b >= 0; b--) v = (v << 8) | p[i + b];
        h ^= rotl64(v * 0x87C37B91114253D5ull, 31) * 0x4CF5AD432745937Full;
        h = rotl64(h, 27) * 5 + 0x52DCE729u;
    }
    return h ^ (h >> 33);
}

int main(void) {
    uint32_t x = 2463534242u;
    for (uint32_t i = 0; i < BUF_SIZE; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        buf[i] = (uint8_t)(x >> 11);
    }
    crc_init();
    uint32_t crc = 0, fnv = 2166136261u;
    uint64_t mix = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        crc = crc32(buf, BUF_SIZE, crc);
        fnv = fnv1a(buf, BUF_SIZE, fnv);
        mix = mix64(buf, BUF_SIZE, mix + r);
        buf[r * 7919u % BUF_SIZE] ^= (uint8_t)crc; /* make each round differ */
    }
    printf("crc=%08x fnv=%08x mix=%016llx\n", crc, fnv, (unsigned long long)mix);
    return 0;
}
