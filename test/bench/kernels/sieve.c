/* sieve.c: memory-bound kernel. Byte-per-number sieve of Eratosthenes over
 * 32 Mi numbers (a 32 MiB array, far beyond cache), repeated, plus a count of
 * twin primes. Strided stores dominate. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT (32u << 20)
#define REPS 3

int main(void) {
    uint8_t *composite = malloc(LIMIT);
    if (!composite) return 1;
    uint32_t count = 0, twins = 0, last = 0;
    for (uint32_t r = 0; r < REPS; r++) {
        memset(composite, 0, LIMIT);
        composite[0] = composite[1] = 1;
        for (uint32_t p = 2; (uint64_t)p * p < LIMIT; p++)
            if (!composite[p])
                for (uint32_t m = p * p; m < LIMIT; m += p) composite[m] = 1;
        count = twins = 0;
        for (uint32_t i = 2; i < LIMIT; i++)
            if (!composite[i]) {
                count++;
                if (i >= 2 && !composite[i - 2]) twins++;
                last = i;
            }
    }
    free(composite);
    printf("primes=%u twins=%u last=%u\n", count, twins, last);
    return 0;
}
