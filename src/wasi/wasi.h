// wasi.h: the WASI embedding's public interface.
//
//   lucet::WasiCtx ctx;
//   ctx.set_args({"prog.so", "arg"}); ctx.set_env({"HOME=/"});
//   ctx.inherit_stdio(); ctx.preopen_dir(".", "/some/dir");
//   lucet::InstanceOptions opts;
//   opts.wasi_ctx = &ctx;           // opts.embed_ctx stays the embedder's own
//   auto inst = lucet::Instance::create(region, module, lucet::wasi_resolver(), opts);
//
// The WasiCtx must outlive the instance.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"
#include "wasi/wasi_ctx.h"

namespace lucet {

using WasiCtx = wasi::WasiCtx;

inline constexpr std::string_view kWasiModule = "wasi_snapshot_preview1";
// The legacy snapshot 0, still emitted by older toolchains.
inline constexpr std::string_view kWasiUnstableModule = "wasi_unstable";

// Resolves imports from "wasi_snapshot_preview1" and "wasi_unstable" to the
// host functions of this layer (an unknown function is an error naming it). Other modules go to `fallback`, or are
// an "unknown import" error without one.
ImportResolver wasi_resolver(ImportResolver fallback = {});

// Names of the implemented wasi_snapshot_preview1 functions and their types.
struct WasiFunction {
    std::string name;
    FuncType type;
    void *code;
};
const std::vector<WasiFunction> &wasi_functions();           // wasi_snapshot_preview1
const std::vector<WasiFunction> &wasi_unstable_functions();  // wasi_unstable

}  // namespace lucet
