// fuzz_exec: runs a lucetc-compiled module the way binaryen's
// `wasm-opt --fuzz-exec-before` runs it (binaryen 108, src/tools/execution-results.h),
// and prints what happened in a normalized form that test/fuzz/run_fuzz.py
// compares with binaryen's output.
//
// What binaryen does, and so what this does:
// - one instance for the whole module: state persists from export to export;
// - every exported function, in export-section order; before each call the
//   export "hangLimitInitializer" is called, if present (resets the hang
//   limit global that -ttf decrements in loops and at function entry);
// - arguments are zeros of the parameter types (null for references);
// - the "fuzzing-support" "log-*" imports log their argument; an i64 is
//   logged as its low and high halves as two i32s (log-v128 comes with SIMD);
// - a trap ends that call only; a trap during instantiation ends the run.
//
// Output, one fact per line:
//   call NAME
//   log i32:-5 | log f32:0x7fc00000 | log f64:0x... | log v128:L0:L1:L2:L3
//   result i32:1 i64:-2 f32:0x3f800000 f64:0x... v128:... ref:func:null ref:extern  (nothing for no results)
//   trap MESSAGE
//   instantiate-error MESSAGE
// Integers are signed decimal (as binaryen prints them), floats the exact bits,
// a v128 its four 32-bit lanes in hex, lane 0 first (binaryen prints "i32x4 0x.. ..").
//
// Usage: fuzz_exec MODULE.so
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "runtime/runtime.h"

namespace {

using lucet::ValType;

void print_i32(uint32_t v) { std::printf(" i32:%" PRId32, static_cast<int32_t>(v)); }

void print_v128(uint64_t lo, uint64_t hi) {
    std::printf(" v128:%08" PRIx32 ":%08" PRIx32 ":%08" PRIx32 ":%08" PRIx32, static_cast<uint32_t>(lo),
                static_cast<uint32_t>(lo >> 32), static_cast<uint32_t>(hi), static_cast<uint32_t>(hi >> 32));
}

extern "C" {
// Host functions get the calling instance's vmctx first (lucet_abi.h).
void fuzz_log_i32(lucet_vmctx *, uint32_t v) {
    std::printf("log");
    print_i32(v);
    std::printf("\n");
}
void fuzz_log_i64(lucet_vmctx *, uint64_t v) {
    std::printf("log");
    print_i32(static_cast<uint32_t>(v));
    print_i32(static_cast<uint32_t>(v >> 32));
    std::printf("\n");
}
void fuzz_log_f32(lucet_vmctx *, float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    std::printf("log f32:0x%08" PRIx32 "\n", bits);
}
void fuzz_log_f64(lucet_vmctx *, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    std::printf("log f64:0x%016" PRIx64 "\n", bits);
}
// A v128 argument arrives in an XMM register (lucet_v128, lucet_abi.h).
void fuzz_log_v128(lucet_vmctx *, lucet_v128 v) {
    uint64_t half[2];
    std::memcpy(half, &v, 16);
    std::printf("log");
    print_v128(half[0], half[1]);
    std::printf("\n");
}
}

struct HostFunc {
    const char *name;
    ValType param;
    void *code;
};

const HostFunc kHostFuncs[] = {
    {"log-i32", ValType::I32, reinterpret_cast<void *>(&fuzz_log_i32)},
    {"log-i64", ValType::I64, reinterpret_cast<void *>(&fuzz_log_i64)},
    {"log-f32", ValType::F32, reinterpret_cast<void *>(&fuzz_log_f32)},
    {"log-f64", ValType::F64, reinterpret_cast<void *>(&fuzz_log_f64)},
    {"log-v128", ValType::V128, reinterpret_cast<void *>(&fuzz_log_v128)},
};

lucet::Result<lucet::Extern> resolve(std::string_view module, std::string_view field, lucet::ExternKind kind) {
    if (module == "fuzzing-support" && kind == lucet::ExternKind::Func) {
        for (const HostFunc &f : kHostFuncs) {
            if (field != f.name) continue;
            lucet::Extern e;
            e.kind = lucet::ExternKind::Func;
            e.func_type = lucet::FuncType{{f.param}, {}};
            e.code = f.code;
            return e;
        }
    }
    return lucet::make_error("fuzz_exec provides only fuzzing-support.log-{i32,i64,f32,f64,v128}, not " +
                             std::string(module) + "." + std::string(field));
}

void print_value(const lucet::Val &v) {
    switch (v.type) {
    case ValType::I32: print_i32(static_cast<uint32_t>(v.bits)); break;
    case ValType::I64: std::printf(" i64:%" PRId64, static_cast<int64_t>(v.bits)); break;
    case ValType::F32: std::printf(" f32:0x%08" PRIx32, static_cast<uint32_t>(v.bits)); break;
    case ValType::F64: std::printf(" f64:0x%016" PRIx64, v.bits); break;
    case ValType::V128: print_v128(v.bits, v.hi); break;
    // A reference: its type and whether it is null (bits 0 is ref.null).
    // binaryen prints a lone reference result as its type only, and a
    // reference in a tuple as funcref(null) / funcref(N) / anyref(null).
    case ValType::FuncRef: std::printf(" ref:func%s", v.bits ? "" : ":null"); break;
    case ValType::ExternRef: std::printf(" ref:extern%s", v.bits ? "" : ":null"); break;
    default: std::printf(" unknown-type-0x%02x", static_cast<unsigned>(v.type)); break;
    }
}

void print_run(const lucet::RunResult &r) {
    using K = lucet::RunResult::Kind;
    switch (r.kind) {
    case K::Returned:
        if (r.values.empty()) break;
        std::printf("result");
        for (const lucet::Val &v : r.values) print_value(v);
        std::printf("\n");
        break;
    case K::Trapped: std::printf("trap %s\n", r.trap.to_string().c_str()); break;
    case K::Exited: std::printf("exited %" PRIu32 "\n", r.exit_code); break;
    case K::Yielded: std::printf("yielded\n"); break;
    case K::Error: std::printf("run-error %s\n", r.error.to_string().c_str()); break;
    }
}

// Zero arguments of the function's parameter types, as binaryen passes.
std::vector<lucet::Val> zero_args(const lucet::FuncType &t) {
    std::vector<lucet::Val> args;
    for (ValType p : t.params) args.push_back(lucet::Val{p, 0});
    return args;
}

int run_module(const char *path) {
    auto mod = lucet::DlModule::load(path);
    if (!mod) {
        std::fprintf(stderr, "fuzz_exec: loading %s: %s\n", path, mod.error().to_string().c_str());
        return 2;
    }
    auto region = lucet::Region::create(1, lucet::RegionLimits{});
    if (!region) {
        std::fprintf(stderr, "fuzz_exec: creating a region: %s\n", region.error().to_string().c_str());
        return 2;
    }
    auto inst = lucet::Instance::create(*region, *mod, resolve);
    if (!inst) {
        // A trap in segment initialisation is a fact to compare; anything
        // else (a missing import) is a harness failure.
        bool trapped = inst.error().kind == lucet::ErrorKind::Instantiate;
        std::printf("instantiate-error %s\n", inst.error().to_string().c_str());
        std::fflush(stdout);
        return trapped ? 0 : 2;
    }
    const lucet_module_desc &desc = (*mod)->desc();
    std::optional<uint32_t> hang_init;
    for (uint32_t i = 0; i < desc.num_exports; ++i) {
        const lucet_export_desc &e = desc.exports[i];
        if (e.kind == LUCET_EXTERN_FUNC && std::string_view(e.name, e.name_len) == "hangLimitInitializer")
            hang_init = e.index;
    }
    for (uint32_t i = 0; i < desc.num_exports; ++i) {
        const lucet_export_desc &e = desc.exports[i];
        if (e.kind != LUCET_EXTERN_FUNC) continue;
        std::printf("call %.*s\n", static_cast<int>(e.name_len), e.name);
        std::fflush(stdout);
        if (hang_init) {
            lucet::RunResult h = (*inst)->run_func(*hang_init, {});
            if (h.kind != lucet::RunResult::Kind::Returned) {
                print_run(h);
                continue;
            }
        }
        lucet::RunResult r = (*inst)->run_func(e.index, zero_args((*mod)->func_type(e.index)));
        print_run(r);
        // Flushed per call so that a crash or hang still shows how far it got.
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_exec MODULE.so\n");
        return 2;
    }
    return run_module(argv[1]);
}
