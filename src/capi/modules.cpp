// modules.cpp: loading module .so files and compiling .wasm files.
#include <array>
#include <cstddef>
#include <cstring>
#include <string>

#include "capi/capi_internal.h"
#include "compiler/compile_cache.h"
#include "compiler/compiler.h"
#include "util/cpu_features.h"

using namespace lucet;
using namespace lucet::capi;

namespace {

lucet_error insert_module(const char *fn, Result<std::shared_ptr<DlModule>> m, struct lucet_dl_module **mod_out) {
    if (!m) return fail(lucet_error_dl, m.error().to_string());
    uint64_t h = modules().insert(std::move(m.value()));
    if (!h) return fail(lucet_error_internal, std::string(fn) + ": too many module handles");
    *mod_out = to_handle<lucet_dl_module>(h);
    return ok();
}

lucet_error load_module(const char *fn, const char *path, const ModuleLoadOptions &opts,
                        struct lucet_dl_module **mod_out) {
    return insert_module(fn, DlModule::load(path, opts), mod_out);
}

}  // namespace

LUCET_API enum lucet_error lucet_dl_module_load(const char *path, struct lucet_dl_module **mod_out) try {
    if (!path || !mod_out) return fail(lucet_error_invalid_argument, "lucet_dl_module_load: NULL path or mod_out");
    *mod_out = nullptr;
    return load_module("lucet_dl_module_load", path, {}, mod_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_dl_module_load_signed(const char *path, const unsigned char *public_key,
                                                       size_t public_key_len, struct lucet_dl_module **mod_out) try {
    if (!path || !public_key || !mod_out)
        return fail(lucet_error_invalid_argument, "lucet_dl_module_load_signed: NULL path, public_key or mod_out");
    *mod_out = nullptr;
    ModuleLoadOptions opts;
    std::array<uint8_t, 32> pk;
    if (public_key_len != pk.size())
        return fail(lucet_error_invalid_argument, "lucet_dl_module_load_signed: public_key_len is " +
                                                      std::to_string(public_key_len) + ", an Ed25519 public key has 32 bytes");
    std::memcpy(pk.data(), public_key, pk.size());
    opts.signature_public_key = pk;
    return load_module("lucet_dl_module_load_signed", path, opts, mod_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_dl_module_release(struct lucet_dl_module *module) try {
    if (!modules().remove(module))
        return fail(lucet_error_invalid_argument, "lucet_dl_module_release: not a live module handle");
    return ok();
} LUCET_CAPI_CATCH

namespace {

lucet_error check_opt_level(const char *fn, int opt_level) {
    if (opt_level < 0 || opt_level > 2)
        return fail(lucet_error_invalid_argument,
                    std::string(fn) + ": opt_level " + std::to_string(opt_level) + " is not 0, 1 or 2");
    return ok();
}


// The caller's options (its struct may be older, i.e. shorter, than ours)
// into CompileOptions.
lucet_error compile_options(const char *fn, const struct lucet_compile_options *in, CompileOptions &out) {
    if (!in) return ok();
    constexpr size_t kFirstVersionSize = offsetof(lucet_compile_options, max_time_seconds) + sizeof(uint64_t);
    static_assert(kFirstVersionSize == 24, "the first version of lucet_compile_options has 24 bytes");
    if (in->struct_size < kFirstVersionSize || in->struct_size > sizeof(lucet_compile_options))
        return fail(lucet_error_invalid_argument,
                    std::string(fn) + ": options->struct_size is " + std::to_string(in->struct_size) +
                        ", expected sizeof(struct lucet_compile_options) = " + std::to_string(sizeof(lucet_compile_options)) +
                        " (set it with lucet_compile_options_default)");
    if (lucet_error e = check_opt_level(fn, in->opt_level); e != lucet_error_ok) return e;
    out.opt_level = in->opt_level;
    out.max_memory = in->max_memory;
    out.max_time_seconds = in->max_time_seconds;
    // Fields after the first version's: only if the caller's struct has them.
    if (in->struct_size >= offsetof(lucet_compile_options, target_cpu) + sizeof in->target_cpu && in->target_cpu) {
        auto t = cpu::parse_target(in->target_cpu);
        if (!t) return fail(lucet_error_invalid_argument, std::string(fn) + ": options->target_cpu: " + t.error().to_string());
        out.target_cpu = in->target_cpu;
    }
    return ok();
}

}  // namespace

LUCET_API struct lucet_compile_options lucet_compile_options_default(void) try {
    lucet_compile_options o{};
    o.struct_size = sizeof o;
    o.opt_level = 2;
    o.max_memory = kDefaultMaxCompileMemory;
    o.max_time_seconds = kDefaultMaxCompileSeconds;
    return o;
} LUCET_CAPI_CATCH_RETURN(lucet_compile_options{})

LUCET_API enum lucet_error lucet_compile_wasm_file_with_options(const char *wasm_path, const char *so_path,
                                                                const struct lucet_compile_options *options) try {
    if (!wasm_path || !so_path)
        return fail(lucet_error_invalid_argument, "lucet_compile_wasm_file_with_options: NULL wasm_path or so_path");
    CompileOptions opts;
    if (lucet_error e = compile_options("lucet_compile_wasm_file_with_options", options, opts); e != lucet_error_ok)
        return e;
    Status st = compile_file_atomic(wasm_path, so_path, opts);
    if (!st) return fail(lucet_error_compile, st.error().to_string());
    return ok();
} LUCET_CAPI_CATCH

namespace {

// The cache's entry for `wasm_path`, loaded from the file it verified.
lucet_error load_cached(const char *fn, const char *wasm_path, const CompileOptions &opts,
                        struct lucet_dl_module **mod_out) {
    auto so = compile_cached(wasm_path, opts);
    if (!so) return fail(lucet_error_compile, so.error().to_string());
    return insert_module(fn, DlModule::load(std::move(so.value().file), so.value().path), mod_out);
}

}  // namespace

LUCET_API enum lucet_error lucet_dl_module_load_wasm_with_options(const char *wasm_path,
                                                                  const struct lucet_compile_options *options,
                                                                  struct lucet_dl_module **mod_out) try {
    if (!wasm_path || !mod_out)
        return fail(lucet_error_invalid_argument, "lucet_dl_module_load_wasm_with_options: NULL wasm_path or mod_out");
    *mod_out = nullptr;
    CompileOptions opts;
    opts.target_cpu = "native";  // the cache is this machine's
    if (lucet_error e = compile_options("lucet_dl_module_load_wasm_with_options", options, opts); e != lucet_error_ok)
        return e;
    return load_cached("lucet_dl_module_load_wasm_with_options", wasm_path, opts, mod_out);
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_compile_wasm_file(const char *wasm_path, const char *so_path, int opt_level) try {
    if (!wasm_path || !so_path)
        return fail(lucet_error_invalid_argument, "lucet_compile_wasm_file: NULL wasm_path or so_path");
    if (lucet_error e = check_opt_level("lucet_compile_wasm_file", opt_level); e != lucet_error_ok) return e;
    CompileOptions opts;
    opts.opt_level = opt_level;
    Status st = compile_file_atomic(wasm_path, so_path, opts);
    if (!st) return fail(lucet_error_compile, st.error().to_string());
    return ok();
} LUCET_CAPI_CATCH

LUCET_API enum lucet_error lucet_dl_module_load_wasm(const char *wasm_path, int opt_level,
                                                     struct lucet_dl_module **mod_out) try {
    if (!wasm_path || !mod_out)
        return fail(lucet_error_invalid_argument, "lucet_dl_module_load_wasm: NULL wasm_path or mod_out");
    *mod_out = nullptr;
    if (lucet_error e = check_opt_level("lucet_dl_module_load_wasm", opt_level); e != lucet_error_ok) return e;
    CompileOptions opts;
    opts.opt_level = opt_level;
    opts.target_cpu = "native";  // the cache is this machine's
    return load_cached("lucet_dl_module_load_wasm", wasm_path, opts, mod_out);
} LUCET_CAPI_CATCH
