/* exports.c: an instance's exported global, memory and table, by name, on
 * test/capi/wat/exports.wat (its "env" imports are provided too).
 *   exports MODULE.so */
#include <stdio.h>
#include <string.h>

#include "lucet_wasi.h"

/* The guest's imports: pair(x) -> (x+1, 2x) and many() -> 1..10. */
struct pair { uint32_t r0; uint64_t r1; };
static struct pair pair(struct lucet_vmctx *ctx, uint32_t x) {
    struct pair p = {x + 1, 2ull * x};
    (void)ctx;
    return p;
}
struct ten { uint32_t r[10]; };
static struct ten many(struct lucet_vmctx *ctx) {
    struct ten t;
    uint32_t k;
    (void)ctx;
    for (k = 0; k < 10; k++) t.r[k] = k + 1;
    return t;
}
static const enum lucet_val_type I32[10] = {lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32,
    lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32,
    lucet_val_type_i32, lucet_val_type_i32};
static const enum lucet_val_type PAIR[2] = {lucet_val_type_i32, lucet_val_type_i64};

static int check(enum lucet_error e, const char *what) {
    if (e == lucet_error_ok) return 0;
    fprintf(stderr, "%s: %s: %s\n", what, lucet_error_name(e), lucet_error_message());
    return 1;
}

/* Shared with multi_value.c. */
struct lucet_instance *exports_example_instance(const char *so, struct lucet_region **region,
                                                struct lucet_dl_module **mod);
struct lucet_instance *exports_example_instance(const char *so, struct lucet_region **region,
                                                struct lucet_dl_module **mod) {
    struct lucet_host_func f[2] = {
        {"env", "pair", (lucet_host_func_ptr)pair, I32, 1, 2, PAIR},
        {"env", "many", (lucet_host_func_ptr)many, NULL, 0, 10, I32},
    };
    struct lucet_instance *inst = NULL;
    if (check(lucet_dl_module_load(so, mod), "load") || check(lucet_mmap_region_create(1, NULL, region), "region") ||
        check(lucet_region_new_instance_with_imports(*region, *mod, f, 2, NULL, NULL, &inst), "instantiate"))
        return NULL;
    return inst;
}

#ifndef EXPORTS_NO_MAIN
int main(int argc, char **argv) {
    struct lucet_region *region;
    struct lucet_dl_module *mod;
    struct lucet_instance *inst;
    struct lucet_val v, f;
    uint8_t *mem;
    uint64_t len;
    uint32_t old;
    if (argc != 2 || !(inst = exports_example_instance(argv[1], &region, &mod))) return 1;

    /* A mutable global: read, write; an immutable one refuses writes. */
    if (check(lucet_instance_global_get(inst, "counter", &v), "global_get")) return 1;
    printf("counter = %u\n", v.inner_val.as_i32);
    v.inner_val.as_i32 = 42;
    if (check(lucet_instance_global_set(inst, "counter", &v), "global_set")) return 1;
    lucet_instance_global_get(inst, "pi", &v);
    printf("set pi: %s\n", lucet_error_name(lucet_instance_global_set(inst, "pi", &v)));

    /* The memory by name: base, length, grow. */
    if (check(lucet_instance_memory(inst, "memory", &mem, &len), "memory")) return 1;
    memcpy(mem, "hi", 2);
    if (check(lucet_instance_memory_grow(inst, "memory", 1, &old), "memory_grow")) return 1;
    lucet_instance_memory(inst, "memory", NULL, &len);
    printf("memory: %u -> %llu pages\n", old, (unsigned long long)(len / 65536));

    /* A funcref table: store this instance's "eight" in slot 1, call it. */
    if (check(lucet_instance_func_ref(inst, "eight", &f), "func_ref") ||
        check(lucet_instance_table_set(inst, "table", 1, &f), "table_set")) return 1;
    {
        struct lucet_val arg;
        struct lucet_result res;
        memset(&arg, 0, sizeof arg);
        arg.ty = lucet_val_type_i32;
        arg.inner_val.as_i32 = 1;
        if (check(lucet_instance_run(inst, "call_slot", 1, &arg, &res), "call_slot")) return 1;
        printf("table[1]() = %u\n", res.val.returned.values[0].inner_val.as_i32);
    }
    lucet_instance_release(inst);
    lucet_dl_module_release(mod);
    lucet_region_release(region);
    return 0;
}
#endif
