// imports.cpp: the host functions and the resolver for "wasi_snapshot_preview1".
//
// Each hostcall in hostcalls.h, `Errno f(Call &, A...)`, becomes the host
// function `uint32_t host(lucet_vmctx *, A...)` of the calling convention in
// runtime.h; its wasm type is derived from A... (uint32_t -> i32, uint64_t ->
// i64) so the declared type cannot drift from the implementation.
#include <type_traits>

#include "wasi/hostcalls.h"
#include "wasi/wasi.h"

namespace lucet {

namespace {

using wasi::Call;
using wasi::Errno;

template <typename T>
constexpr ValType val_type() {
    static_assert(std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>);
    return std::is_same_v<T, uint64_t> ? ValType::I64 : ValType::I32;
}

template <auto F>
struct Host;

template <typename... A, Errno (*F)(Call &, A...)>
struct Host<F> {
    static uint32_t call(lucet_vmctx *vm, A... a) {
        Instance *inst = Instance::from_vmctx(vm);
        auto *ctx = static_cast<WasiCtx *>(inst->embed_ctx());
        // An instance created without a WasiCtx as embed_ctx has no WASI state
        // to act on.
        if (!ctx) return static_cast<uint32_t>(Errno::NOSYS);
        Call c{*ctx, wasi::GuestMem(inst->heap(), inst->heap_len())};
        return static_cast<uint32_t>(F(c, a...));
    }
    static FuncType type() { return FuncType{{val_type<A>()...}, {ValType::I32}}; }
};

// proc_exit does not return: the runtime unwinds the guest (on its own stack)
// and run() reports Kind::Exited with the code.
void host_proc_exit(lucet_vmctx *vm, uint32_t code) { Instance::from_vmctx(vm)->terminate(code); }

template <auto F>
WasiFunction fn(const char *name) {
    return WasiFunction{name, Host<F>::type(), reinterpret_cast<void *>(&Host<F>::call)};
}

std::vector<WasiFunction> make_table() {
    namespace w = wasi;
    std::vector<WasiFunction> t = {
        fn<&w::args_get>("args_get"),
        fn<&w::args_sizes_get>("args_sizes_get"),
        fn<&w::environ_get>("environ_get"),
        fn<&w::environ_sizes_get>("environ_sizes_get"),
        fn<&w::clock_res_get>("clock_res_get"),
        fn<&w::clock_time_get>("clock_time_get"),
        fn<&w::random_get>("random_get"),
        fn<&w::sched_yield>("sched_yield"),
        fn<&w::fd_write>("fd_write"),
        fn<&w::fd_read>("fd_read"),
        fn<&w::fd_pwrite>("fd_pwrite"),
        fn<&w::fd_pread>("fd_pread"),
        fn<&w::fd_seek>("fd_seek"),
        fn<&w::fd_tell>("fd_tell"),
        fn<&w::fd_close>("fd_close"),
        fn<&w::fd_fdstat_get>("fd_fdstat_get"),
        fn<&w::fd_fdstat_set_flags>("fd_fdstat_set_flags"),
        fn<&w::fd_filestat_get>("fd_filestat_get"),
        fn<&w::fd_prestat_get>("fd_prestat_get"),
        fn<&w::fd_prestat_dir_name>("fd_prestat_dir_name"),
        fn<&w::fd_sync>("fd_sync"),
        fn<&w::fd_datasync>("fd_datasync"),
        fn<&w::fd_readdir>("fd_readdir"),
        fn<&w::path_open>("path_open"),
        fn<&w::path_filestat_get>("path_filestat_get"),
        fn<&w::path_create_directory>("path_create_directory"),
        fn<&w::path_unlink_file>("path_unlink_file"),
        fn<&w::path_remove_directory>("path_remove_directory"),
        fn<&w::sock_shutdown>("sock_shutdown"),
        fn<&w::fd_advise>("fd_advise"),
        fn<&w::fd_allocate>("fd_allocate"),
        fn<&w::fd_fdstat_set_rights>("fd_fdstat_set_rights"),
        fn<&w::fd_filestat_set_size>("fd_filestat_set_size"),
        fn<&w::fd_filestat_set_times>("fd_filestat_set_times"),
        fn<&w::fd_renumber>("fd_renumber"),
        fn<&w::poll_oneoff>("poll_oneoff"),
        fn<&w::path_filestat_set_times>("path_filestat_set_times"),
        fn<&w::path_rename>("path_rename"),
        fn<&w::path_link>("path_link"),
        fn<&w::path_symlink>("path_symlink"),
        fn<&w::path_readlink>("path_readlink"),
    };
    t.push_back(WasiFunction{"proc_exit", FuncType{{ValType::I32}, {}}, reinterpret_cast<void *>(&host_proc_exit)});
    return t;
}

const char *kind_name(ExternKind k) {
    switch (k) {
    case ExternKind::Func: return "function";
    case ExternKind::Table: return "table";
    case ExternKind::Memory: return "memory";
    case ExternKind::Global: return "global";
    }
    return "extern";
}

}  // namespace

const std::vector<WasiFunction> &wasi_functions() {
    static const std::vector<WasiFunction> table = make_table();
    return table;
}

ImportResolver wasi_resolver(ImportResolver fallback) {
    return [fallback = std::move(fallback)](std::string_view module, std::string_view field,
                                            ExternKind kind) -> Result<Extern> {
        std::string qual = std::string(module) + "." + std::string(field);
        if (module == kWasiModule) {
            for (const auto &f : wasi_functions()) {
                if (f.name != field) continue;
                if (kind != ExternKind::Func)
                    return make_error("incompatible import type for " + qual + ": imported as a " +
                                      kind_name(kind) + ", but WASI provides a function");
                Extern e;
                e.kind = ExternKind::Func;
                e.func_type = f.type;
                e.code = f.code;
                e.func_vmctx = nullptr;
                return e;
            }
            // The runtime prefixes "unknown import <module>.<field>": say why.
            return make_error(qual + " is not a WASI preview1 function implemented by this runtime");
        }
        if (module == "wasi_unstable")
            return make_error(qual + ": WASI snapshot 0 (wasi_unstable) is not supported, "
                              "rebuild the module for wasi_snapshot_preview1");
        if (fallback) return fallback(module, field, kind);
        return make_error("no host module provides " + qual);
    };
}

}  // namespace lucet
