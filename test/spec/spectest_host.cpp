// spectest_host.cpp: see spectest_host.h.
#include "spectest_host.h"

#include <atomic>
#include <fstream>

#include "subprocess.h"

namespace lucet::spec {

namespace {

// The spec interpreter's spectest prints its arguments; the runner keeps the
// output quiet and only counts the calls (a script's result must not depend
// on them).
std::atomic<uint64_t> g_print_calls{0};

extern "C" {
void spectest_print(lucet_vmctx *) { ++g_print_calls; }
void spectest_print_i32(lucet_vmctx *, uint32_t) { ++g_print_calls; }
void spectest_print_i64(lucet_vmctx *, uint64_t) { ++g_print_calls; }
void spectest_print_f32(lucet_vmctx *, float) { ++g_print_calls; }
void spectest_print_f64(lucet_vmctx *, double) { ++g_print_calls; }
void spectest_print_i32_f32(lucet_vmctx *, uint32_t, float) { ++g_print_calls; }
void spectest_print_f64_f64(lucet_vmctx *, double, double) { ++g_print_calls; }
}

struct HostFunc {
    const char *name;
    FuncType type;
    void *code;
};

const std::vector<HostFunc> &host_funcs() {
    using V = ValType;
    static const std::vector<HostFunc> funcs = {
        {"print", {{}, {}}, reinterpret_cast<void *>(&spectest_print)},
        {"print_i32", {{V::I32}, {}}, reinterpret_cast<void *>(&spectest_print_i32)},
        {"print_i64", {{V::I64}, {}}, reinterpret_cast<void *>(&spectest_print_i64)},
        {"print_f32", {{V::F32}, {}}, reinterpret_cast<void *>(&spectest_print_f32)},
        {"print_f64", {{V::F64}, {}}, reinterpret_cast<void *>(&spectest_print_f64)},
        {"print_i32_f32", {{V::I32, V::F32}, {}}, reinterpret_cast<void *>(&spectest_print_i32_f32)},
        {"print_f64_f64", {{V::F64, V::F64}, {}}, reinterpret_cast<void *>(&spectest_print_f64_f64)},
    };
    return funcs;
}

// The non-function part of spectest, as the spec interpreter defines it
// (interpreter/host/spectest.ml).
constexpr const char *kHelperWat = R"((module
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2)
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))
)
)";

}  // namespace

uint64_t SpectestHost::print_calls() { return g_print_calls.load(); }

Result<std::string> SpectestHost::build_helper(const std::string &wat2wasm, const std::string &dir,
                                               const CompileOptions &opts) {
    std::string wat = dir + "/spectest.wat", wasm = dir + "/spectest.wasm", so = dir + "/spectest.so";
    {
        std::ofstream out(wat);
        out << kHelperWat;
        if (!out) return make_error("cannot write " + wat);
    }
    LUCET_TRY(run_tool({wat2wasm, wat, "-o", wasm}));
    Status st = compile_file(wasm, so, opts);
    if (!st) return make_error("compiling the spectest helper module " + wasm + ": " + st.error().to_string());
    return so;
}

Result<std::unique_ptr<SpectestHost>> SpectestHost::create(const std::shared_ptr<Region> &region,
                                                           const std::string &helper_so) {
    auto mod = DlModule::load(helper_so);
    if (!mod) return make_error("loading the spectest helper " + helper_so + ": " + mod.error().to_string());
    ImportResolver none = [](std::string_view m, std::string_view f, ExternKind) -> Result<Extern> {
        return make_error("the spectest helper imports nothing, yet asked for " + std::string(m) + "." +
                          std::string(f));
    };
    auto inst = Instance::create(region, *mod, none);
    if (!inst) return make_error("instantiating the spectest helper: " + inst.error().to_string());
    auto host = std::make_unique<SpectestHost>();
    host->helper_ = std::move(*inst);
    return host;
}

Result<Extern> export_any_kind(Instance &inst, std::string_view field, ExternKind kind) {
    auto e = inst.get_export(field, kind);
    if (e) return e;
    for (ExternKind k : {ExternKind::Func, ExternKind::Table, ExternKind::Memory, ExternKind::Global}) {
        if (k == kind) continue;
        auto other = inst.get_export(field, k);
        if (other) return other;
    }
    return e.error();
}

Result<Extern> SpectestHost::resolve(std::string_view field, ExternKind kind) const {
    for (const HostFunc &f : host_funcs()) {
        if (field != f.name) continue;
        Extern e;
        e.kind = ExternKind::Func;
        e.func_type = f.type;
        e.code = f.code;
        e.func_vmctx = nullptr;  // host function: called with the caller's vmctx
        return e;
    }
    auto e = export_any_kind(*helper_, field, kind);
    if (!e) return make_error("unknown import spectest." + std::string(field));
    return e;
}

}  // namespace lucet::spec
