/* host_thunks.c: host functions written once against struct lucet_val
 * (lucet_host_thunk_new) instead of a C function per signature, as a
 * language binding does; on test/capi/wat/exports.wat, whose imports are
 * pair(i32) -> (i32, i64) and many() -> ten i32.
 *   host_thunks MODULE.so */
#include <stdio.h>
#include <string.h>

#include "lucet_wasi.h"

static int check(enum lucet_error e, const char *what) {
    if (e == lucet_error_ok) return 0;
    fprintf(stderr, "%s: %s: %s\n", what, lucet_error_name(e), lucet_error_message());
    return 1;
}

/* One callback for both imports: `data` says which. Results must be set
 * with their declared types; a non-zero return stops the guest. */
static uint32_t callback(struct lucet_vmctx *ctx, void *data, const struct lucet_val *params,
                         struct lucet_val *results) {
    int k;
    (void)ctx;
    if (*(const char *)data == 'p') { /* pair(x) = (x + 1, 2x) */
        results[0].ty = lucet_val_type_i32;
        results[0].inner_val.as_i32 = params[0].inner_val.as_i32 + 1;
        results[1].ty = lucet_val_type_i64;
        results[1].inner_val.as_i64 = 2ull * params[0].inner_val.as_i32;
        return 0;
    }
    for (k = 0; k < 10; k++) { /* many() = 10, 20, ..., 100 */
        results[k].ty = lucet_val_type_i32;
        results[k].inner_val.as_i32 = 10u * (k + 1);
    }
    return 0;
}

static const enum lucet_val_type I32[10] = {lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32,
    lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32, lucet_val_type_i32,
    lucet_val_type_i32, lucet_val_type_i32};
static const enum lucet_val_type PAIR[2] = {lucet_val_type_i32, lucet_val_type_i64};

int main(int argc, char **argv) {
    struct lucet_host_func f[2] = {
        {"env", "pair", NULL, I32, 1, 2, PAIR},
        {"env", "many", NULL, NULL, 0, 10, I32},
    };
    static char pair_tag = 'p', many_tag = 'm';
    struct lucet_host_thunk *thunks[2];
    struct lucet_region *region;
    struct lucet_dl_module *mod;
    struct lucet_instance *inst = NULL;
    struct lucet_val arg, result;
    size_t n;
    if (argc != 2) return 1;
    /* A function pointer of each import's signature, calling `callback`. */
    if (check(lucet_host_thunk_new(I32, 1, PAIR, 2, callback, &pair_tag, &thunks[0], &f[0].func), "thunk pair") ||
        check(lucet_host_thunk_new(NULL, 0, I32, 10, callback, &many_tag, &thunks[1], &f[1].func), "thunk many"))
        return 1;
    if (check(lucet_dl_module_load(argv[1], &mod), "load") || check(lucet_mmap_region_create(1, NULL, &region), "region") ||
        check(lucet_region_new_instance_with_imports(region, mod, f, 2, NULL, NULL, &inst), "instantiate"))
        return 1;
    memset(&arg, 0, sizeof arg);
    arg.ty = lucet_val_type_i32;
    arg.inner_val.as_i32 = 100;
    /* The guest adds pair's two results: 101 + 200. */
    if (check(lucet_instance_call(inst, "use_pair", 1, &arg, &result, 1, &n, NULL), "use_pair")) return 1;
    printf("use_pair(100) = %llu\n", (unsigned long long)result.inner_val.as_i64);
    if (check(lucet_instance_call(inst, "sum_many", 0, NULL, &result, 1, &n, NULL), "sum_many")) return 1;
    printf("sum_many() = %u\n", result.inner_val.as_i32);
    lucet_instance_release(inst);
    /* Thunks are released after the instances that use them. */
    lucet_host_thunk_release(thunks[0]);
    lucet_host_thunk_release(thunks[1]);
    lucet_dl_module_release(mod);
    lucet_region_release(region);
    return 0;
}
