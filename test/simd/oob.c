/* oob.c: SIMD accesses at the end of linear memory (wasm only).
 *
 * The program grows memory by one page of its own (malloc never uses it),
 * fills the last 16 bytes, and first does every SIMD access kind that ends
 * exactly at the end of memory: these must not trap. Then, by argv[1], one
 * access that straddles the end, which must trap:
 *   load          v128.load of 16 bytes at end - 8
 *   load64_lane   v128.load64_lane at end - 4
 *   load32_zero   v128.load32_zero at end - 2
 *   load64_zero   v128.load64_zero at end - 4
 *   load8x8       v128.load8x8_u at end - 4
 *   load_splat    v128.load32_splat at end - 3
 *   store         v128.store at end - 15
 *   store64_lane  v128.store64_lane at end - 1
 *   top           v128.load at 0xfffffff8 (the 4 GiB address space ends inside it)
 * Output: one line per in-bounds access, "straddling: MODE", then nothing
 * more: the trap ends the program (lucet-wasi exits with 134). */
#include <stdlib.h>
#include <string.h>

#include "simd_compat.h"

#if !defined(__wasm__)
#error "oob.c tests wasm linear memory: build it for wasm32 only"
#endif

static volatile v128_t opaque_zero;

static void show(const char *what, v128_t v) {
    uint8_t b[16];
    wasm_v128_store(b, v);
    print_hex(what, b, 16);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: oob MODE\n");
        return 2;
    }
    const char *mode = argv[1];
    size_t old_pages = __builtin_wasm_memory_grow(0, 1);
    if (old_pages == (size_t)-1) {
        fprintf(stderr, "memory.grow failed\n");
        return 1;
    }
    uint8_t *end = (uint8_t *)((old_pages + 1) * 65536);
    for (int i = 1; i <= 16; i++) end[-i] = (uint8_t)(0xf0 + i); /* end[-1] = f1 ... end[-16] = 00 */
    /* not constants to clang, so that lane accesses stay lane accesses */
    v128_t z = opaque_zero, k55 = wasm_i8x16_splat(0x55), k66 = wasm_i8x16_splat(0x66);
    __asm__ volatile("" : "+m"(k55), "+m"(k66));

    show("load at end-16", wasm_v128_load(end - 16));
    show("load64_lane at end-8", wasm_v128_load64_lane(end - 8, z, 1));
    show("load32_zero at end-4", wasm_v128_load32_zero(end - 4));
    show("load64_zero at end-8", wasm_v128_load64_zero(end - 8));
    show("load8x8 at end-8", wasm_u16x8_load8x8(end - 8));
    show("load_splat at end-4", wasm_v128_load32_splat(end - 4));
    wasm_v128_store(end - 16, k55);
    wasm_v128_store64_lane(end - 8, k66, 1);
    show("after stores", wasm_v128_load(end - 16));

    printf("straddling: %s\n", mode);
    fflush(stdout);
    v128_t v;
    if (strcmp(mode, "load") == 0)
        v = wasm_v128_load(end - 8);
    else if (strcmp(mode, "load64_lane") == 0)
        v = wasm_v128_load64_lane(end - 4, z, 0);
    else if (strcmp(mode, "load32_zero") == 0)
        v = wasm_v128_load32_zero(end - 2);
    else if (strcmp(mode, "load64_zero") == 0)
        v = wasm_v128_load64_zero(end - 4);
    else if (strcmp(mode, "load8x8") == 0)
        v = wasm_u16x8_load8x8(end - 4);
    else if (strcmp(mode, "load_splat") == 0)
        v = wasm_v128_load32_splat(end - 3);
    else if (strcmp(mode, "store") == 0) {
        wasm_v128_store(end - 15, z);
        v = wasm_v128_load(end - 16);
    } else if (strcmp(mode, "store64_lane") == 0) {
        wasm_v128_store64_lane(end - 1, z, 1);
        v = wasm_v128_load(end - 16);
    } else if (strcmp(mode, "top") == 0) {
        v = wasm_v128_load((const void *)(uintptr_t)0xfffffff8u);
    } else {
        fprintf(stderr, "oob: unknown mode %s\n", mode);
        return 2;
    }
    show("NOT TRAPPED", v);
    return 1;
}
