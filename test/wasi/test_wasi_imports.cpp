// The resolver: every implemented function carries the wasm type the witx
// (wasi_snapshot_preview1.witx) lowers to, unknown names are errors naming
// them, nothing else is claimed.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "wasi/wasi.h"

using lucet::ExternKind;
using lucet::FuncType;
using lucet::ValType;

namespace {
constexpr ValType I = ValType::I32, L = ValType::I64;

// Written out by hand from the witx (pointers, sizes, fds, flags <= 32 bits:
// i32; u64, filesize, timestamp, dircookie, rights: i64; result: errno i32).
const std::map<std::string, FuncType> &expected() {
    static const std::map<std::string, FuncType> m = {
        {"args_get", {{I, I}, {I}}},
        {"args_sizes_get", {{I, I}, {I}}},
        {"environ_get", {{I, I}, {I}}},
        {"environ_sizes_get", {{I, I}, {I}}},
        {"clock_res_get", {{I, I}, {I}}},
        {"clock_time_get", {{I, L, I}, {I}}},
        {"random_get", {{I, I}, {I}}},
        {"sched_yield", {{}, {I}}},
        {"proc_exit", {{I}, {}}},
        {"fd_write", {{I, I, I, I}, {I}}},
        {"fd_read", {{I, I, I, I}, {I}}},
        {"fd_pwrite", {{I, I, I, L, I}, {I}}},
        {"fd_pread", {{I, I, I, L, I}, {I}}},
        {"fd_seek", {{I, L, I, I}, {I}}},
        {"fd_tell", {{I, I}, {I}}},
        {"fd_close", {{I}, {I}}},
        {"fd_fdstat_get", {{I, I}, {I}}},
        {"fd_fdstat_set_flags", {{I, I}, {I}}},
        {"fd_filestat_get", {{I, I}, {I}}},
        {"fd_prestat_get", {{I, I}, {I}}},
        {"fd_prestat_dir_name", {{I, I, I}, {I}}},
        {"fd_sync", {{I}, {I}}},
        {"fd_datasync", {{I}, {I}}},
        {"fd_readdir", {{I, I, I, L, I}, {I}}},
        {"path_open", {{I, I, I, I, I, L, L, I, I}, {I}}},
        {"path_filestat_get", {{I, I, I, I, I}, {I}}},
        {"path_create_directory", {{I, I, I}, {I}}},
        {"path_unlink_file", {{I, I, I}, {I}}},
        {"path_remove_directory", {{I, I, I}, {I}}},
        {"sock_shutdown", {{I, I}, {I}}},
        {"sock_accept", {{I, I, I}, {I}}},
        {"sock_recv", {{I, I, I, I, I, I}, {I}}},
        {"sock_send", {{I, I, I, I, I}, {I}}},
        {"proc_raise", {{I}, {I}}},
        {"fd_advise", {{I, L, L, I}, {I}}},
        {"fd_allocate", {{I, L, L}, {I}}},
        {"fd_fdstat_set_rights", {{I, L, L}, {I}}},
        {"fd_filestat_set_size", {{I, L}, {I}}},
        {"fd_filestat_set_times", {{I, L, L, I}, {I}}},
        {"fd_renumber", {{I, I}, {I}}},
        {"poll_oneoff", {{I, I, I, I}, {I}}},
        {"path_filestat_set_times", {{I, I, I, I, L, L, I}, {I}}},
        {"path_rename", {{I, I, I, I, I, I}, {I}}},
        {"path_link", {{I, I, I, I, I, I, I}, {I}}},
        {"path_symlink", {{I, I, I, I, I}, {I}}},
        {"path_readlink", {{I, I, I, I, I, I}, {I}}},
    };
    return m;
}
}  // namespace

TEST_CASE("implemented WASI functions have their witx types", "[wasi]") {
    const auto &fns = lucet::wasi_functions();
    CHECK(fns.size() == expected().size());
    for (const auto &f : fns) {
        INFO(f.name);
        auto it = expected().find(f.name);
        REQUIRE(it != expected().end());
        CHECK(f.type == it->second);
        CHECK(f.code != nullptr);
    }
    auto resolve = lucet::wasi_resolver();
    for (const auto &[name, type] : expected()) {
        INFO(name);
        auto r = resolve("wasi_snapshot_preview1", name, ExternKind::Func);
        REQUIRE(r.ok());
        CHECK(r->kind == ExternKind::Func);
        CHECK(r->func_type == type);
        CHECK(r->code != nullptr);
        CHECK(r->func_vmctx == nullptr);
    }
}

TEST_CASE("wasi_unstable provides every preview1 function but sock_accept, with the same types", "[wasi]") {
    const auto &fns = lucet::wasi_unstable_functions();
    CHECK(fns.size() == expected().size() - 1);
    auto resolve = lucet::wasi_resolver();
    for (const auto &[name, type] : expected()) {
        INFO(name);
        auto r = resolve("wasi_unstable", name, ExternKind::Func);
        if (name == "sock_accept") {
            CHECK_FALSE(r.ok());
            continue;
        }
        REQUIRE(r.ok());
        CHECK(r->func_type == type);
        auto r1 = resolve("wasi_snapshot_preview1", name, ExternKind::Func);
        REQUIRE(r1.ok());
        // Functions whose encoding differs get their own preview0 host code.
        bool differs = name == "fd_seek" || name == "fd_filestat_get" || name == "path_filestat_get" ||
                       name == "poll_oneoff" || name == "fd_fdstat_get";
        if (differs) CHECK(r->code != r1->code);
    }
}

TEST_CASE("the resolver refuses what it does not implement", "[wasi]") {
    auto resolve = lucet::wasi_resolver();
    // sock_accept is preview1 only.
    auto r = resolve("wasi_unstable", "sock_accept", ExternKind::Func);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("wasi_unstable.sock_accept") != std::string::npos);
    r = resolve("wasi_snapshot_preview1", "no_such_function", ExternKind::Func);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("no_such_function") != std::string::npos);
    r = resolve("wasi_snapshot_preview1", "fd_write", ExternKind::Memory);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("memory") != std::string::npos);
    r = resolve("wasi_unstable", "fd_write", ExternKind::Memory);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("wasi_unstable.fd_write") != std::string::npos);
    r = resolve("env", "f", ExternKind::Func);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("env.f") != std::string::npos);

    // Other modules go to the fallback.
    int calls = 0;
    auto chained = lucet::wasi_resolver([&](std::string_view m, std::string_view f, ExternKind) -> lucet::Result<lucet::Extern> {
        calls++;
        CHECK(m == "env");
        CHECK(f == "g");
        return lucet::make_error("fallback says no");
    });
    r = chained("env", "g", ExternKind::Func);
    CHECK(calls == 1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message == "fallback says no");
    CHECK(chained("wasi_snapshot_preview1", "fd_write", ExternKind::Func).ok());
    CHECK(calls == 1);
}
