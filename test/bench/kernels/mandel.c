/* mandel.c: floating-point kernel. Escape-time Mandelbrot over a grid in
 * double precision; scalar multiply/add chains with a data-dependent exit. */
#include <stdint.h>
#include <stdio.h>

#define W 1600
#define H 1200
#define MAX_ITER 512

int main(void) {
    uint64_t total = 0;
    uint32_t hash = 0;
    for (int y = 0; y < H; y++) {
        double ci = -1.2 + 2.4 * y / H;
        for (int x = 0; x < W; x++) {
            double cr = -2.1 + 3.0 * x / W;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            int it = 0;
            while (it < MAX_ITER && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                it++;
            }
            total += (uint64_t)it;
            hash = (hash ^ (uint32_t)it) * 16777619u;
        }
    }
    printf("iters=%llu hash=%08x\n", (unsigned long long)total, hash);
    return 0;
}
