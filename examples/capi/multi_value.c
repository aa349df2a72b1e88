/* multi_value.c: a call with more results than struct lucet_result holds,
 * into a caller buffer, host functions with 2 and 10 results (see
 * exports.c), and an export looked up once for repeated calls (struct
 * lucet_func), on test/capi/wat/exports.wat.
 *   multi_value MODULE.so */
#include <stdio.h>
#include <string.h>

#define EXPORTS_NO_MAIN
#include "exports.c"

int main(int argc, char **argv) {
    struct lucet_region *region;
    struct lucet_dl_module *mod;
    struct lucet_instance *inst;
    struct lucet_val arg, results[10];
    size_t n, k;
    if (argc != 2 || !(inst = exports_example_instance(argv[1], &region, &mod))) return 1;
    memset(&arg, 0, sizeof arg);
    arg.ty = lucet_val_type_i32;
    arg.inner_val.as_i32 = 100;
    /* Too small a buffer: nothing runs, n says how many are needed. */
    if (lucet_instance_call(inst, "ten", 1, &arg, results, 2, &n, NULL) == lucet_error_buffer_too_small)
        printf("ten needs %zu results\n", n);
    if (check(lucet_instance_call(inst, "ten", 1, &arg, results, 10, &n, NULL), "ten")) return 1;
    for (k = 0; k < n; k++) printf("%s%u", k ? " " : "ten:", results[k].inner_val.as_i32);
    printf("\n");
    /* The guest calls pair (2 results) and many (10 results). */
    if (check(lucet_instance_call(inst, "use_pair", 1, &arg, results, 1, &n, NULL), "use_pair")) return 1;
    printf("use_pair(100) = %llu\n", (unsigned long long)results[0].inner_val.as_i64);
    if (check(lucet_instance_call(inst, "sum_many", 0, NULL, results, 1, &n, NULL), "sum_many")) return 1;
    printf("sum_many() = %u\n", results[0].inner_val.as_i32);
    /* An export called often: looked up once, then called by index. */
    {
        struct lucet_func ten;
        uint64_t sum = 0;
        if (check(lucet_instance_func(inst, "ten", &ten), "lookup ten")) return 1;
        for (k = 0; k < 1000; k++) {
            arg.inner_val.as_i32 = (uint32_t)k;
            if (check(lucet_func_call(&ten, 1, &arg, results, 10, &n, NULL), "ten")) return 1;
            sum += results[9].inner_val.as_i32;
        }
        printf("ten 1000 times through a lucet_func: sum of the last results %llu\n", (unsigned long long)sum);
    }
    lucet_instance_release(inst);
    lucet_dl_module_release(mod);
    lucet_region_release(region);
    return 0;
}
