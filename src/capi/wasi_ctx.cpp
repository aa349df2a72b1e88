// wasi_ctx.cpp: WASI contexts (the WASI layer's WasiCtx behind a handle).
#include <cstring>
#include <string>
#include <vector>

#include "capi/capi_internal.h"

extern char **environ;

using namespace lucet;
using namespace lucet::capi;

namespace {
HandleTable<WasiCtx, Kind::WasiCtx>::Pin get_ctx(const void *h, const char *fn, lucet_error &err) {
    auto c = wasi_ctxs().get(h);
    if (!c) err = fail(lucet_error_invalid_argument, std::string(fn) + ": not a live WASI context handle");
    return c;
}
}  // namespace

LUCET_API enum lucet_error lucet_wasi_ctx_create(struct lucet_wasi_ctx **ctx_out) try {
    if (!ctx_out) return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_create: NULL ctx_out");
    *ctx_out = nullptr;
    uint64_t h = wasi_ctxs().insert(std::make_shared<WasiCtx>());
    if (!h) return fail(lucet_error_internal, "lucet_wasi_ctx_create: too many WASI context handles");
    *ctx_out = to_handle<lucet_wasi_ctx>(h);
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_args(struct lucet_wasi_ctx *ctx, size_t argc, const char *const *argv) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_args", err);
    if (!c) return err;
    if (argc > 0 && !argv) return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_args: NULL argv");
    for (size_t i = 0; i < argc; i++)
        if (!argv[i])
            return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_args: argv[" + std::to_string(i) + "] is NULL");
    std::vector<std::string> args = c->args();
    args.insert(args.end(), argv, argv + argc);
    c->set_args(std::move(args));
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_inherit_env(struct lucet_wasi_ctx *ctx) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_inherit_env", err);
    if (!c) return err;
    std::vector<std::string> env = c->env();
    for (char **e = environ; e && *e; e++) env.emplace_back(*e);
    c->set_env(std::move(env));
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_env(struct lucet_wasi_ctx *ctx, const char *name, const char *value) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_env", err);
    if (!c) return err;
    if (!name || !value) return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_env: NULL name or value");
    if (!*name || std::strchr(name, '='))
        return fail(lucet_error_invalid_argument,
                    std::string("lucet_wasi_ctx_env: variable name '") + name + "' is empty or contains '='");
    std::vector<std::string> env = c->env();
    env.push_back(std::string(name) + "=" + value);
    c->set_env(std::move(env));
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_inherit_stdio(struct lucet_wasi_ctx *ctx) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_inherit_stdio", err);
    if (!c) return err;
    if (Status st = c->inherit_stdio(); !st) return fail(lucet_error_internal, st.error().to_string());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_preopen_dir(struct lucet_wasi_ctx *ctx, const char *host_path,
                                                      const char *guest_path) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_preopen_dir", err);
    if (!c) return err;
    if (!host_path || !guest_path)
        return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_preopen_dir: NULL host_path or guest_path");
    if (Status st = c->preopen_dir(guest_path, host_path); !st)
        return fail(lucet_error_internal, st.error().to_string());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_env_from_host(struct lucet_wasi_ctx *ctx, const char *name) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_env_from_host", err);
    if (!c) return err;
    if (!name) return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_env_from_host: NULL name");
    if (!*name || std::strchr(name, '='))
        return fail(lucet_error_invalid_argument,
                    std::string("lucet_wasi_ctx_env_from_host: variable name '") + name + "' is empty or contains '='");
    const char *value = std::getenv(name);
    if (!value)
        return fail(lucet_error_invalid_argument,
                    std::string("lucet_wasi_ctx_env_from_host: ") + name + " is not set in this process's environment");
    std::vector<std::string> env = c->env();
    env.push_back(std::string(name) + "=" + value);
    c->set_env(std::move(env));
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_stdio_fd(struct lucet_wasi_ctx *ctx, int guest_fd, int host_fd) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_stdio_fd", err);
    if (!c) return err;
    if (Status st = c->set_stdio_fd(guest_fd, host_fd); !st)
        return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_stdio_fd: " + st.error().to_string());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_stdio_file(struct lucet_wasi_ctx *ctx, int guest_fd, const char *path) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_stdio_file", err);
    if (!c) return err;
    if (!path) return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_stdio_file: NULL path");
    if (guest_fd < 0 || guest_fd > 2)
        return fail(lucet_error_invalid_argument,
                    "lucet_wasi_ctx_stdio_file: guest fd " + std::to_string(guest_fd) + " is not 0, 1 or 2");
    if (Status st = c->set_stdio_file(guest_fd, path); !st)
        return fail(lucet_error_internal, "lucet_wasi_ctx_stdio_file: " + st.error().to_string());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_preopen_dir_readonly(struct lucet_wasi_ctx *ctx, const char *host_path,
                                                               const char *guest_path) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_preopen_dir_readonly", err);
    if (!c) return err;
    if (!host_path || !guest_path)
        return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_preopen_dir_readonly: NULL host_path or guest_path");
    if (Status st = c->preopen_dir(guest_path, host_path, true); !st)
        return fail(lucet_error_internal, st.error().to_string());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_max_fds(struct lucet_wasi_ctx *ctx, uint32_t max_fds) try {
    lucet_error err;
    auto c = get_ctx(ctx, "lucet_wasi_ctx_max_fds", err);
    if (!c) return err;
    if (max_fds == 0 || max_fds > WasiCtx::kMaxFdsLimit)
        return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_max_fds: " + std::to_string(max_fds) +
                                                      " is not in 1.." + std::to_string(WasiCtx::kMaxFdsLimit));
    c->set_max_fds(max_fds);
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_destroy(struct lucet_wasi_ctx *ctx) try {
    if (!wasi_ctxs().remove(ctx))
        return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_destroy: not a live WASI context handle");
    return ok();
} LUCET_CAPI_CATCH
