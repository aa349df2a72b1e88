/* bench_capi_call.c: host -> guest call of an empty export through the C API
 * (lucet_instance_run and lucet_instance_call by name, lucet_func_call of a
 * pre-resolved struct lucet_func), the paths embedders and the
 * Python/Go/Rust packages take; bench_call.cpp measures the C++ runtime API.
 * The module is compiled from a .wat at run time (wat2wasm from
 * $LUCET_BENCH_WAT2WASM, then lucet_dl_module_load_wasm with a private cache). */
#define _POSIX_C_SOURCE 200809L
#include <lucet_wasi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, enum lucet_error e) {
    fprintf(stderr, "bench_capi_call: %s: %s (%s)\n", what, lucet_error_name(e), lucet_error_message());
    exit(1);
}

enum { kBatch = 10000, kBatches = 200 };

int main(void) {
    char dir[] = "/tmp/lucet-capi-bench-XXXXXX";
    if (!mkdtemp(dir)) return perror("mkdtemp"), 1;
    char wat[256], wasm[256], cmd[1024];
    snprintf(wat, sizeof wat, "%s/calls.wat", dir);
    snprintf(wasm, sizeof wasm, "%s/calls.wasm", dir);
    FILE *f = fopen(wat, "w");
    if (!f) return perror(wat), 1;
    fputs("(module (func (export \"empty\")))\n", f);
    fclose(f);
    const char *w2w = getenv("LUCET_BENCH_WAT2WASM");
    snprintf(cmd, sizeof cmd, "%s %s -o %s", w2w ? w2w : "wat2wasm", wat, wasm);
    if (system(cmd) != 0) return fprintf(stderr, "bench_capi_call: %s failed\n", cmd), 1;
    setenv("XDG_CACHE_HOME", dir, 1);

    struct lucet_dl_module *mod;
    struct lucet_region *region;
    struct lucet_instance *inst;
    enum lucet_error e;
    if ((e = lucet_dl_module_load_wasm(wasm, 2, &mod))) die("load", e);
    if ((e = lucet_mmap_region_create(1, NULL, &region))) die("region", e);
    if ((e = lucet_region_new_instance(region, mod, &inst))) die("instance", e);

    struct lucet_func fn;
    if ((e = lucet_instance_func(inst, "empty", &fn))) die("func", e);

    static double t_run[kBatches], t_call[kBatches], t_func[kBatches];
    for (int b = 0; b < kBatches + 5; b++) {
        double t0 = now_ns();
        for (int i = 0; i < kBatch; i++)
            if ((e = lucet_instance_run(inst, "empty", 0, NULL, NULL))) die("run", e);
        double t1 = now_ns();
        for (int i = 0; i < kBatch; i++)
            if ((e = lucet_instance_call(inst, "empty", 0, NULL, NULL, 0, NULL, NULL))) die("call", e);
        double t2 = now_ns();
        for (int i = 0; i < kBatch; i++)
            if ((e = lucet_func_call(&fn, 0, NULL, NULL, 0, NULL, NULL))) die("func_call", e);
        double t3 = now_ns();
        if (b >= 5) {
            t_run[b - 5] = (t1 - t0) / kBatch;
            t_call[b - 5] = (t2 - t1) / kBatch;
            t_func[b - 5] = (t3 - t2) / kBatch;
        }
    }
    qsort(t_run, kBatches, sizeof(double), cmp);
    qsort(t_call, kBatches, sizeof(double), cmp);
    qsort(t_func, kBatches, sizeof(double), cmp);
    printf("%-60s median %10.1f ns\n", "C API: lucet_instance_run of an empty export", t_run[kBatches / 2]);
    printf("%-60s median %10.1f ns\n", "C API: lucet_instance_call of an empty export", t_call[kBatches / 2]);
    double tf = t_func[kBatches / 2];
    printf("%-60s median %10.1f ns   (target <= 10 ns: %s)\n", "C API: lucet_func_call of an empty export", tf,
           tf <= 10.0 ? "met" : "MISSED");

    lucet_instance_release(inst);
    lucet_region_release(region);
    lucet_dl_module_release(mod);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) != 0;
}
