// modules.cpp: loading module .so files and compiling .wasm files.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <unistd.h>

#include "capi/capi_internal.h"
#include "compiler/compiler.h"

using namespace lucet;
using namespace lucet::capi;

LUCET_API enum lucet_error lucet_dl_module_load(const char *path, struct lucet_dl_module **mod_out) {
    if (!path || !mod_out) return fail(lucet_error_invalid_argument, "lucet_dl_module_load: NULL path or mod_out");
    *mod_out = nullptr;
    auto m = DlModule::load(path);
    if (!m) return fail(lucet_error_dl, m.error().to_string());
    uint64_t h = modules().insert(std::move(m.value()));
    if (!h) return fail(lucet_error_internal, "lucet_dl_module_load: too many module handles");
    *mod_out = to_handle<lucet_dl_module>(h);
    return ok();
}

LUCET_API enum lucet_error lucet_dl_module_release(struct lucet_dl_module *module) {
    if (!modules().remove(module))
        return fail(lucet_error_invalid_argument, "lucet_dl_module_release: not a live module handle");
    return ok();
}

LUCET_API enum lucet_error lucet_compile_wasm_file(const char *wasm_path, const char *so_path, int opt_level) {
    if (!wasm_path || !so_path)
        return fail(lucet_error_invalid_argument, "lucet_compile_wasm_file: NULL wasm_path or so_path");
    if (opt_level < 0 || opt_level > 2)
        return fail(lucet_error_invalid_argument,
                    "lucet_compile_wasm_file: opt_level " + std::to_string(opt_level) + " is not 0, 1 or 2");
    CompileOptions opts;
    opts.opt_level = opt_level;
    // A unique temporary name, renamed into place: a concurrent loader of
    // so_path never sees a partly written file.
    std::string tmp = std::string(so_path) + ".tmp." + std::to_string(getpid()) + "." +
                      std::to_string(reinterpret_cast<uintptr_t>(&opts));
    Status st = compile_file(wasm_path, tmp, opts);
    if (!st) {
        unlink(tmp.c_str());
        return fail(lucet_error_compile, st.error().to_string());
    }
    if (std::rename(tmp.c_str(), so_path) != 0) {
        int e = errno;
        unlink(tmp.c_str());
        return fail(lucet_error_internal,
                    std::string("lucet_compile_wasm_file: cannot write ") + so_path + ": " + std::strerror(e));
    }
    return ok();
}
