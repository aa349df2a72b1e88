// wasi_ctx.cpp: WASI contexts (the WASI layer's WasiCtx behind a handle).
#include <cstring>
#include <string>
#include <vector>

#include "capi/capi_internal.h"

extern char **environ;

using namespace lucet;
using namespace lucet::capi;

namespace {
// Runs `f(WasiCtx &)` under the context's lock (capi_internal.h,
// WasiCtxBox): an error for a handle that is not a live context, or whose
// context an instance has taken meanwhile.
template <typename F>
lucet_error configure(const void *h, const char *fn, F &&f) {
    auto b = wasi_ctxs().get(h);
    if (!b) return fail(lucet_error_invalid_argument, std::string(fn) + ": not a live WASI context handle");
    std::lock_guard lock(b->mu);
    if (!b->ctx)
        return fail(lucet_error_invalid_argument, std::string(fn) + ": the WASI context was given to an instance");
    return f(*b->ctx);
}
}  // namespace

LUCET_API enum lucet_error lucet_wasi_ctx_create(struct lucet_wasi_ctx **ctx_out) try {
    if (!ctx_out) return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_create: NULL ctx_out");
    *ctx_out = nullptr;
    auto b = std::make_shared<WasiCtxBox>();
    b->ctx = std::make_shared<WasiCtx>();
    uint64_t h = wasi_ctxs().insert(std::move(b));
    if (!h) return fail(lucet_error_internal, "lucet_wasi_ctx_create: too many WASI context handles");
    *ctx_out = to_handle<lucet_wasi_ctx>(h);
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_args(struct lucet_wasi_ctx *ctx, size_t argc, const char *const *argv) try {
    static constexpr const char *fn = "lucet_wasi_ctx_args";
    if (argc > 0 && !argv) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL argv");
    for (size_t i = 0; i < argc; i++)
        if (!argv[i])
            return fail(lucet_error_invalid_argument, std::string(fn) + ": argv[" + std::to_string(i) + "] is NULL");
    return configure(ctx, fn, [&](WasiCtx &c) {
        c.add_args(argv, argv + argc);
        return ok();
    });
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_inherit_env(struct lucet_wasi_ctx *ctx) try {
    return configure(ctx, "lucet_wasi_ctx_inherit_env", [&](WasiCtx &c) {
        for (char **e = environ; e && *e; e++) c.add_env(*e);
        return ok();
    });
} LUCET_CAPI_CATCH

namespace {
// Adds NAME=VALUE for lucet_wasi_ctx_env and _env_from_host (`value` NULL:
// this process's value, which must be set).
lucet_error add_env(lucet_wasi_ctx *ctx, const char *fn, const char *name, const char *value, bool from_host) {
    if (!name || (!from_host && !value))
        return fail(lucet_error_invalid_argument, std::string(fn) + (from_host ? ": NULL name" : ": NULL name or value"));
    if (!*name || std::strchr(name, '='))
        return fail(lucet_error_invalid_argument,
                    std::string(fn) + ": variable name '" + name + "' is empty or contains '='");
    if (from_host && !(value = std::getenv(name)))
        return fail(lucet_error_invalid_argument,
                    std::string(fn) + ": " + name + " is not set in this process's environment");
    std::string var = std::string(name) + "=" + value;
    return configure(ctx, fn, [&](WasiCtx &c) {
        c.add_env(std::move(var));
        return ok();
    });
}
}  // namespace

LUCET_API enum lucet_error lucet_wasi_ctx_env(struct lucet_wasi_ctx *ctx, const char *name, const char *value) try {
    return add_env(ctx, "lucet_wasi_ctx_env", name, value, false);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_env_from_host(struct lucet_wasi_ctx *ctx, const char *name) try {
    return add_env(ctx, "lucet_wasi_ctx_env_from_host", name, nullptr, true);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_inherit_stdio(struct lucet_wasi_ctx *ctx) try {
    return configure(ctx, "lucet_wasi_ctx_inherit_stdio", [&](WasiCtx &c) {
        if (Status st = c.inherit_stdio(); !st) return fail(lucet_error_internal, st.error().to_string());
        return ok();
    });
} LUCET_CAPI_CATCH

namespace {
lucet_error preopen(lucet_wasi_ctx *ctx, const char *fn, const char *host_path, const char *guest_path, bool read_only) {
    if (!host_path || !guest_path)
        return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL host_path or guest_path");
    return configure(ctx, fn, [&](WasiCtx &c) {
        if (Status st = c.preopen_dir(guest_path, host_path, read_only); !st)
            return fail(lucet_error_internal, st.error().to_string());
        return ok();
    });
}
}  // namespace

LUCET_API enum lucet_error lucet_wasi_ctx_preopen_dir(struct lucet_wasi_ctx *ctx, const char *host_path,
                                                      const char *guest_path) try {
    return preopen(ctx, "lucet_wasi_ctx_preopen_dir", host_path, guest_path, false);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_preopen_dir_readonly(struct lucet_wasi_ctx *ctx, const char *host_path,
                                                               const char *guest_path) try {
    return preopen(ctx, "lucet_wasi_ctx_preopen_dir_readonly", host_path, guest_path, true);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_stdio_fd(struct lucet_wasi_ctx *ctx, int guest_fd, int host_fd) try {
    return configure(ctx, "lucet_wasi_ctx_stdio_fd", [&](WasiCtx &c) {
        if (Status st = c.set_stdio_fd(guest_fd, host_fd); !st)
            return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_stdio_fd: " + st.error().to_string());
        return ok();
    });
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_stdio_file(struct lucet_wasi_ctx *ctx, int guest_fd, const char *path) try {
    static constexpr const char *fn = "lucet_wasi_ctx_stdio_file";
    if (!path) return fail(lucet_error_invalid_argument, std::string(fn) + ": NULL path");
    if (guest_fd < 0 || guest_fd > 2)
        return fail(lucet_error_invalid_argument,
                    std::string(fn) + ": guest fd " + std::to_string(guest_fd) + " is not 0, 1 or 2");
    return configure(ctx, fn, [&](WasiCtx &c) {
        if (Status st = c.set_stdio_file(guest_fd, path); !st)
            return fail(lucet_error_internal, std::string(fn) + ": " + st.error().to_string());
        return ok();
    });
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_max_fds(struct lucet_wasi_ctx *ctx, uint32_t max_fds) try {
    if (max_fds == 0 || max_fds > WasiCtx::kMaxFdsLimit)
        return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_max_fds: " + std::to_string(max_fds) +
                                                      " is not in 1.." + std::to_string(WasiCtx::kMaxFdsLimit));
    return configure(ctx, "lucet_wasi_ctx_max_fds", [&](WasiCtx &c) {
        c.set_max_fds(max_fds);
        return ok();
    });
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_wasi_ctx_destroy(struct lucet_wasi_ctx *ctx) try {
    if (!wasi_ctxs().remove(ctx))
        return fail(lucet_error_invalid_argument, "lucet_wasi_ctx_destroy: not a live WASI context handle");
    return ok();
} LUCET_CAPI_CATCH
