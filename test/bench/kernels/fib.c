/* fib.c: call-heavy kernel. Naive doubly recursive Fibonacci plus Ackermann:
 * millions of small direct calls whose cost is dominated by prologue/epilogue
 * (and, in the wasm build, the per-function stack-limit check). */
#include <stdint.h>
#include <stdio.h>

/* noinline + a volatile seed keep both compilers from folding the result at
 * compile time or turning the recursion into a loop. */
__attribute__((noinline)) static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static uint32_t ack(uint32_t m, uint32_t n) {
    while (m != 0) {
        if (n == 0) {
            n = 1;
        } else {
            n = ack(m, n - 1);
        }
        m--;
    }
    return n + 1;
}

static volatile uint32_t seed_fib = 41;
static volatile uint32_t seed_ack = 10;

int main(void) {
    uint32_t f = fib(seed_fib);
    uint32_t a = 0;
    for (uint32_t i = 0; i < 6; i++) a += ack(2, seed_ack * 100 + i) + ack(3, seed_ack - 2);
    printf("fib=%u ack=%u\n", f, a);
    return 0;
}
