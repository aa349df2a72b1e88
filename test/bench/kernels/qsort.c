/* qsort.c: quicksort of a large int array (our own median-of-three
 * quicksort with an insertion-sort cutoff, not libc's qsort), then a
 * verification pass. Branchy, memory-bound, recursive. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N (1u << 21)
#define REPS 3

static int32_t *data;

static void insertion_sort(int32_t *a, int32_t lo, int32_t hi) {
    for (int32_t i = lo + 1; i <= hi; i++) {
        int32_t v = a[i], j = i - 1;
        while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

static inline void swap(int32_t *a, int32_t i, int32_t j) { int32_t t = a[i]; a[i] = a[j]; a[j] = t; }

/* Recurses into the smaller half and loops on the larger, so the depth stays
 * logarithmic (the wasm guest's shadow stack is small). */
static void quicksort(int32_t *a, int32_t lo, int32_t hi) {
    while (hi - lo > 16) {
        int32_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) swap(a, mid, lo);
        if (a[hi] < a[lo]) swap(a, hi, lo);
        if (a[hi] < a[mid]) swap(a, hi, mid);
        int32_t pivot = a[mid];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) { swap(a, i, j); i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
    insertion_sort(a, lo, hi);
}

int main(void) {
    data = malloc(N * sizeof(int32_t));
    if (!data) return 1;
    uint32_t x = 88172645u, check = 0;
    uint64_t sum = 0;
    for (uint32_t r = 0; r < REPS; r++) {
        for (uint32_t i = 0; i < N; i++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            data[i] = (int32_t)(x % 1000000u) - 500000;
        }
        quicksort(data, 0, (int32_t)N - 1);
        for (uint32_t i = 1; i < N; i++)
            if (data[i - 1] > data[i]) { printf("unsorted at %u\n", i); return 1; }
        for (uint32_t i = 0; i < N; i += 1024) check = check * 31u + (uint32_t)data[i];
        sum += (uint64_t)(int64_t)data[N / 2];
    }
    free(data);
    printf("check=%08x median_sum=%lld\n", check, (long long)sum);
    return 0;
}
