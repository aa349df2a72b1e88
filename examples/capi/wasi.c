/* wasi.c: a WASI context set up by the embedder: stdin from a file, stdout
 * into a pipe, a read-only preopen, environment variables (one passed
 * through from the host by name, one set), no inherited environment.
 * Runs examples/capi/wasi_guest.c.
 *   wasi MODULE.so */
#define _XOPEN_SOURCE 700 /* mkdtemp, setenv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lucet_wasi.h"

static int check(enum lucet_error e, const char *what) {
    if (e == lucet_error_ok) return 0;
    fprintf(stderr, "%s: %s: %s\n", what, lucet_error_name(e), lucet_error_message());
    return 1;
}

static int write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return 1;
    fputs(text, f);
    return fclose(f) != 0;
}

int main(int argc, char **argv) {
    char dir[] = "/tmp/lucet-wasi-example-XXXXXX", data[64], in[80], input[64], out[4096];
    struct lucet_dl_module *mod;
    struct lucet_region *region;
    struct lucet_wasi_ctx *ctx;
    struct lucet_instance *inst;
    struct lucet_result res;
    int pipefd[2], rc = 1;
    ssize_t n;
    if (argc != 2 || !mkdtemp(dir)) return 2;
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(in, sizeof in, "%s/in.txt", data);
    snprintf(input, sizeof input, "%s/input", dir);
    if (mkdir(data, 0755) || write_file(in, "read from the preopen\n") || write_file(input, "hello from a file\n") ||
        pipe(pipefd) != 0)
        return 1;
    setenv("GREETING", "hi from the host", 1);
    if (check(lucet_dl_module_load(argv[1], &mod), "load") || check(lucet_mmap_region_create(1, NULL, &region), "region") ||
        check(lucet_wasi_ctx_create(&ctx), "ctx"))
        return 1;
    /* The environment starts empty: GREETING passes through, FOO is set. */
    if (check(lucet_wasi_ctx_env_from_host(ctx, "GREETING"), "env_from_host") ||
        check(lucet_wasi_ctx_env(ctx, "FOO", "bar"), "env") ||
        check(lucet_wasi_ctx_inherit_stdio(ctx), "inherit_stdio") ||       /* stderr stays ours */
        check(lucet_wasi_ctx_stdio_file(ctx, 0, input), "stdin file") ||   /* stdin reads the file */
        check(lucet_wasi_ctx_stdio_fd(ctx, 1, pipefd[1]), "stdout fd") ||  /* stdout: the pipe (a dup) */
        check(lucet_wasi_ctx_preopen_dir_readonly(ctx, data, "/data"), "preopen"))
        return 1;
    close(pipefd[1]); /* the context holds its own duplicate */
    if (check(lucet_region_new_instance_with_wasi_ctx(region, mod, ctx, &inst), "instantiate")) return 1;
    if (check(lucet_instance_run(inst, "_start", 0, NULL, &res), "run")) goto done;
    lucet_instance_release(inst); /* closes the guest's end of the pipe */
    inst = NULL;
    n = read(pipefd[0], out, sizeof out - 1);
    out[n > 0 ? n : 0] = 0;
    printf("guest stdout:\n%s", out);
    printf("/data/out.txt exists on the host: %s\n", access(strcat(data, "/out.txt"), F_OK) == 0 ? "yes" : "no");
    rc = 0;
done:
    if (inst) lucet_instance_release(inst);
    lucet_region_release(region);
    lucet_dl_module_release(mod);
    unlink(in);
    unlink(input);
    snprintf(data, sizeof data, "%s/data", dir);
    rmdir(data);
    rmdir(dir);
    return rc;
}
