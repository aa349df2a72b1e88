// imports.cpp: the host functions and the resolver for "wasi_snapshot_preview1"
// and the legacy "wasi_unstable" (preview 0). Both modules share one
// implementation; the Abi in each Call selects preview0's encodings where
// they differ (see hostcalls.h). The wasm-level signatures are identical.
//
// Each hostcall in hostcalls.h becomes a host function through the wrapper
// of host_call.h (stack reserve check, no exception escapes).
#include "wasi/host_call.h"
#include "util/escape.h"
#include "wasi/hostcalls.h"
#include "wasi/wasi.h"

namespace lucet {

namespace {

using wasi::Abi;
using wasi::Errno;
using wasi::Host;

// proc_exit does not return: the runtime unwinds the guest (on its own stack)
// and run() reports Kind::Exited with the code.
void host_proc_exit(lucet_vmctx *vm, uint32_t code) noexcept { Instance::from_vmctx(vm)->terminate(code); }

// proc_raise never delivers a signal to the host process (that would kill
// every instance in it, or run the host's handlers). A terminating signal
// ends this instance the way a shell reports a signal death, exit status
// 128 + signal number; see wasi::raise_action for the rest.
uint32_t host_proc_raise(lucet_vmctx *vm, uint32_t sig) noexcept {
    int signo = 0;
    switch (wasi::raise_action(sig, signo)) {
    case wasi::RaiseAction::Invalid: return static_cast<uint32_t>(Errno::INVAL);
    case wasi::RaiseAction::Ignore: return static_cast<uint32_t>(Errno::SUCCESS);
    case wasi::RaiseAction::NotSup: return static_cast<uint32_t>(Errno::NOTSUP);
    case wasi::RaiseAction::Terminate: break;
    }
    Instance::from_vmctx(vm)->terminate(128u + static_cast<uint32_t>(signo));  // [[noreturn]]
}

template <auto F, Abi ABI>
WasiFunction fn(const char *name) {
    return WasiFunction{name, Host<F, ABI>::type(), reinterpret_cast<void *>(&Host<F, ABI>::call)};
}

// The functions common to both modules, each bound to its module's Abi.
template <Abi ABI>
std::vector<WasiFunction> make_table() {
    namespace w = wasi;
    std::vector<WasiFunction> t = {
        fn<&w::args_get, ABI>("args_get"),
        fn<&w::args_sizes_get, ABI>("args_sizes_get"),
        fn<&w::environ_get, ABI>("environ_get"),
        fn<&w::environ_sizes_get, ABI>("environ_sizes_get"),
        fn<&w::clock_res_get, ABI>("clock_res_get"),
        fn<&w::clock_time_get, ABI>("clock_time_get"),
        fn<&w::random_get, ABI>("random_get"),
        fn<&w::sched_yield, ABI>("sched_yield"),
        fn<&w::fd_write, ABI>("fd_write"),
        fn<&w::fd_read, ABI>("fd_read"),
        fn<&w::fd_pwrite, ABI>("fd_pwrite"),
        fn<&w::fd_pread, ABI>("fd_pread"),
        fn<&w::fd_seek, ABI>("fd_seek"),
        fn<&w::fd_tell, ABI>("fd_tell"),
        fn<&w::fd_close, ABI>("fd_close"),
        fn<&w::fd_fdstat_get, ABI>("fd_fdstat_get"),
        fn<&w::fd_fdstat_set_flags, ABI>("fd_fdstat_set_flags"),
        fn<&w::fd_filestat_get, ABI>("fd_filestat_get"),
        fn<&w::fd_prestat_get, ABI>("fd_prestat_get"),
        fn<&w::fd_prestat_dir_name, ABI>("fd_prestat_dir_name"),
        fn<&w::fd_sync, ABI>("fd_sync"),
        fn<&w::fd_datasync, ABI>("fd_datasync"),
        fn<&w::fd_readdir, ABI>("fd_readdir"),
        fn<&w::path_open, ABI>("path_open"),
        fn<&w::path_filestat_get, ABI>("path_filestat_get"),
        fn<&w::path_create_directory, ABI>("path_create_directory"),
        fn<&w::path_unlink_file, ABI>("path_unlink_file"),
        fn<&w::path_remove_directory, ABI>("path_remove_directory"),
        fn<&w::sock_shutdown, ABI>("sock_shutdown"),
        fn<&w::sock_recv, ABI>("sock_recv"),
        fn<&w::sock_send, ABI>("sock_send"),
        fn<&w::fd_advise, ABI>("fd_advise"),
        fn<&w::fd_allocate, ABI>("fd_allocate"),
        fn<&w::fd_fdstat_set_rights, ABI>("fd_fdstat_set_rights"),
        fn<&w::fd_filestat_set_size, ABI>("fd_filestat_set_size"),
        fn<&w::fd_filestat_set_times, ABI>("fd_filestat_set_times"),
        fn<&w::fd_renumber, ABI>("fd_renumber"),
        fn<&w::poll_oneoff, ABI>("poll_oneoff"),
        fn<&w::path_filestat_set_times, ABI>("path_filestat_set_times"),
        fn<&w::path_rename, ABI>("path_rename"),
        fn<&w::path_link, ABI>("path_link"),
        fn<&w::path_symlink, ABI>("path_symlink"),
        fn<&w::path_readlink, ABI>("path_readlink"),
    };
    // sock_accept was added in preview1.
    if constexpr (ABI == Abi::Preview1) t.push_back(fn<&w::sock_accept, ABI>("sock_accept"));
    t.push_back(WasiFunction{"proc_exit", FuncType{{ValType::I32}, {}}, reinterpret_cast<void *>(&host_proc_exit)});
    t.push_back(WasiFunction{"proc_raise", FuncType{{ValType::I32}, {ValType::I32}},
                             reinterpret_cast<void *>(&host_proc_raise)});
    return t;
}

}  // namespace

const std::vector<WasiFunction> &wasi_functions() {
    static const std::vector<WasiFunction> table = make_table<Abi::Preview1>();
    return table;
}

const std::vector<WasiFunction> &wasi_unstable_functions() {
    static const std::vector<WasiFunction> table = make_table<Abi::Preview0>();
    return table;
}

ImportResolver wasi_resolver(ImportResolver fallback) {
    return [fallback = std::move(fallback)](std::string_view module, std::string_view field,
                                            ExternKind kind) -> Result<Extern> {
        std::string qual = escaped_name(module) + "." + escaped_name(field);
        const bool p1 = module == kWasiModule, p0 = module == kWasiUnstableModule;
        if (p1 || p0) {
            for (const auto &f : p1 ? wasi_functions() : wasi_unstable_functions()) {
                if (f.name != field) continue;
                if (kind != ExternKind::Func)
                    return make_error("incompatible import type for " + qual + ": imported as a " +
                                      extern_kind_name(kind) + ", but WASI provides a function");
                Extern e;
                e.kind = ExternKind::Func;
                e.func_type = f.type;
                e.code = f.code;
                e.func_vmctx = nullptr;
                return e;
            }
            // The runtime prefixes "unknown import <module>.<field>": say why.
            return make_error(qual + (p1 ? " is not a WASI preview1 function" : " is not a WASI preview0 function"));
        }
        if (fallback) return fallback(module, field, kind);
        return make_error("no host module provides " + qual);
    };
}

}  // namespace lucet
