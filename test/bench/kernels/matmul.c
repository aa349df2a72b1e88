/* matmul.c: vectorizable loop nest. C += A * B on square float matrices in
 * i-k-j order, so the innermost loop is a contiguous axpy that gcc -O2
 * (gcc 12 vectorizes at -O2) turns into SSE code. */
#include <stdint.h>
#include <stdio.h>

#define N 480
#define REPS 40

static float A[N][N], B[N][N], C[N][N];

__attribute__((noinline)) static void matmul(void) {
    for (int i = 0; i < N; i++)
        for (int k = 0; k < N; k++) {
            float a = A[i][k];
            for (int j = 0; j < N; j++) C[i][j] += a * B[k][j];
        }
}

int main(void) {
    uint32_t x = 12345;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            /* Small exact values keep float sums independent of the order of
             * vector lanes: every partial sum is an exactly representable
             * integer/64 well below 2^24. */
            x = x * 1103515245u + 12345u;
            A[i][j] = (float)((x >> 16) % 7) - 3.0f;
            x = x * 1103515245u + 12345u;
            B[i][j] = (float)((x >> 16) % 5) * 0.25f;
        }
    for (int r = 0; r < REPS; r++) matmul();
    double sum = 0;
    uint32_t h = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            sum += C[i][j];
            h = (h ^ (uint32_t)(int32_t)(C[i][j] * 4.0f)) * 16777619u;
        }
    printf("sum=%.3f hash=%08x\n", sum, h);
    return 0;
}
