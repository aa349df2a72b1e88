/* w2c_wasi_main.c: the minimal WASI host needed to run a benchmark kernel
 * translated by wabt's wasm2c (1.0.32 naming), for the optional comparison
 * column of run_bench.sh. Only what the kernels import is provided: a
 * printf-only guest needs fd_write, fd_fdstat_get, fd_seek, fd_close and
 * proc_exit. Build with -DW2C_NAME=<name given to wasm2c -n> and
 * -DW2C_HEADER='"<name>.h"'. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include W2C_HEADER
#include "wasm-rt-impl.h"

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define MOD_T CAT(CAT(Z_, W2C_NAME), _instance_t)
#define MOD_INSTANTIATE CAT(CAT(Z_, W2C_NAME), _instantiate)
#define MOD_INIT CAT(CAT(Z_, W2C_NAME), _init_module)
#define MOD_FREE CAT(CAT(Z_, W2C_NAME), _free)
#define MOD_START CAT(CAT(Z_, W2C_NAME), Z__start)

/* wasm2c passes this opaque pointer to every import; we keep the guest's
 * memory here so host functions can reach it. */
struct Z_wasi_snapshot_preview1_instance_t {
    wasm_rt_memory_t *mem;
};

enum { WASI_ESUCCESS = 0, WASI_EBADF = 8, WASI_EFAULT = 21, WASI_EINVAL = 28, WASI_ESPIPE = 70 };

static int range_ok(wasm_rt_memory_t *m, uint64_t ptr, uint64_t len) {
    return ptr <= m->size && len <= m->size - ptr;
}

static uint32_t load_u32(wasm_rt_memory_t *m, uint32_t p) {
    uint32_t v;
    memcpy(&v, m->data + p, 4);
    return v;
}

u32 Z_wasi_snapshot_preview1Z_fd_write(struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd, u32 iovs,
                                       u32 iovs_len, u32 nwritten) {
    wasm_rt_memory_t *m = w->mem;
    if (fd != 1 && fd != 2) return WASI_EBADF;
    if (!range_ok(m, iovs, (uint64_t)iovs_len * 8) || !range_ok(m, nwritten, 4)) return WASI_EFAULT;
    uint32_t total = 0;
    for (uint32_t i = 0; i < iovs_len; i++) {
        uint32_t buf = load_u32(m, iovs + 8 * i), len = load_u32(m, iovs + 8 * i + 4);
        if (!range_ok(m, buf, len)) return WASI_EFAULT;
        const uint8_t *p = m->data + buf;
        while (len > 0) {
            ssize_t n = write((int)fd, p, len);
            if (n < 0) return WASI_EINVAL;
            p += n;
            len -= (uint32_t)n;
            total += (uint32_t)n;
        }
    }
    memcpy(m->data + nwritten, &total, 4);
    return WASI_ESUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_fdstat_get(struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd, u32 out) {
    wasm_rt_memory_t *m = w->mem;
    if (fd > 2) return WASI_EBADF;
    if (!range_ok(m, out, 24)) return WASI_EFAULT;
    /* filetype 4 = regular file: the guest's stdio then buffers fully, as
     * it would when the harness captures stdout through a pipe. */
    memset(m->data + out, 0, 24);
    m->data[out] = 4;
    uint64_t rights = ~0ull;
    memcpy(m->data + out + 8, &rights, 8);
    memcpy(m->data + out + 16, &rights, 8);
    return WASI_ESUCCESS;
}

u32 Z_wasi_snapshot_preview1Z_fd_seek(struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd, u64 off, u32 whence,
                                      u32 out) {
    (void)w, (void)off, (void)whence, (void)out;
    return fd > 2 ? WASI_EBADF : WASI_ESPIPE;
}

u32 Z_wasi_snapshot_preview1Z_fd_close(struct Z_wasi_snapshot_preview1_instance_t *w, u32 fd) {
    (void)w;
    return fd > 2 ? WASI_EBADF : WASI_ESUCCESS;
}

/* Only kernels that return from main through exit() import proc_exit; the
 * weak definition keeps the others linking without an unused-symbol clash. */
__attribute__((weak)) void Z_wasi_snapshot_preview1Z_proc_exit(struct Z_wasi_snapshot_preview1_instance_t *w,
                                                              u32 code) {
    (void)w;
    exit((int)code);
}

int main(void) {
    wasm_rt_init();
    MOD_INIT();
    static MOD_T inst;
    struct Z_wasi_snapshot_preview1_instance_t wasi = {0};
    MOD_INSTANTIATE(&inst, &wasi);
    wasi.mem = &inst.w2c_memory;
    wasm_rt_trap_t code = (wasm_rt_trap_t)wasm_rt_impl_try();
    if (code != WASM_RT_TRAP_NONE) {
        fprintf(stderr, "wasm2c guest trapped: %s\n", wasm_rt_strerror(code));
        return 2;
    }
    MOD_START(&inst);
    MOD_FREE(&inst);
    wasm_rt_free();
    return 0;
}
