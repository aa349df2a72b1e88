// test_traps.cpp: running instances, every trap kind, recovery after traps,
// linking, and the forwarding of faults that are not the guest's.
#include <cstring>
#include <functional>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <thread>
#include <cstring>

#include "compiler/compiler.h"
#include "util/cpu_features.h"
#include "rt_test_modules.h"
#include "run_checks.h"

using namespace lucet;
using rt_test::main_module;
using rt_test::no_imports;

namespace {

using rt_test::compile_wat;

std::shared_ptr<Region> small_region(size_t n = 2) {
    auto r = Region::create(n, RegionLimits{});
    REQUIRE(r.ok());
    return *r;
}

std::shared_ptr<Instance> make_instance(const std::shared_ptr<Region> &region) {
    auto m = main_module();
    REQUIRE(m);
    auto inst = Instance::create(region, m, no_imports());
    if (!inst) FAIL(inst.error().to_string());
    return *inst;
}

using run_checks::expect_trap;
using run_checks::run;
using run_checks::run_i32;

}  // namespace

TEST_CASE("signature ids follow the packed encoding of lucet_abi.h", "[runtime][sigid]") {
    FuncType none;
    CHECK(signature_id(none) == ((1u << 3) | 7));
    FuncType ii_i{{ValType::I32, ValType::I32}, {ValType::I32}};
    CHECK(signature_id(ii_i) == ((((((1u << 3) | 1) << 3 | 1) << 3) | 7) << 3 | 1));
    FuncType refs{{ValType::FuncRef, ValType::F64}, {ValType::ExternRef, ValType::I64, ValType::F32}};
    uint64_t want = 1;
    for (uint64_t c : {5, 4, 7, 6, 2, 3}) want = want << 3 | c;
    CHECK(signature_id(refs) == want);
    // 19 types still pack; 20 go to the registry (bit 63), stable and distinct.
    FuncType p19, p20, p20b;
    p19.params.assign(19, ValType::F64);
    p20.params.assign(20, ValType::I32);
    p20b.params.assign(19, ValType::I32);
    p20b.results.push_back(ValType::I64);
    CHECK((signature_id(p19) >> 63) == 0);
    CHECK((signature_id(p19) >> 60) != 0);  // the sentinel sits at bit 60
    uint64_t a = signature_id(p20), b = signature_id(p20b);
    CHECK((a >> 63) == 1);
    CHECK((b >> 63) == 1);
    CHECK(a != b);
    CHECK(signature_id(p20) == a);
}

TEST_CASE("module loading errors are values", "[runtime][module]") {
    auto missing = DlModule::load("/nonexistent/dir/x.so");
    REQUIRE_FALSE(missing.ok());
    CHECK_THAT(missing.error().message, Catch::Contains("cannot load module /nonexistent/dir/x.so"));

    std::string junk = rt_test::temp_dir() + "/junk.so";
    {
        std::ofstream(junk) << "this is not an ELF file";
    }
    auto j = DlModule::load(junk);
    REQUIRE_FALSE(j.ok());
    CHECK_THAT(j.error().message, Catch::Contains("junk.so: refusing to load: not an ELF file"));

    std::string plain = rt_test::build_so("plain", "int not_a_module(void) { return 1; }\n");
    REQUIRE(!plain.empty());
    auto p = DlModule::load(plain);
    REQUIRE_FALSE(p.ok());
    CHECK_THAT(p.error().message, Catch::Contains("plain.so: refusing to load: exports symbol 'not_a_module'"));

    std::string old = rt_test::build_so("oldabi", rt_test::main_module_source({.abi = "99u"}));
    REQUIRE(!old.empty());
    auto o = DlModule::load(old);
    REQUIRE_FALSE(o.ok());
    CHECK_THAT(o.error().message, Catch::Contains("module was compiled for ABI version 99, this runtime supports 4"));

    // A module of the previous ABI (before v128: 16-byte init expressions,
    // one slot per trampoline value) is refused before anything else is read.
    std::string v1 = rt_test::build_so("abi1", rt_test::main_module_source({.abi = "1u"}));
    REQUIRE(!v1.empty());
    auto o1 = DlModule::load(v1);
    REQUIRE_FALSE(o1.ok());
    CHECK(o1.error().kind == ErrorKind::Module);
    CHECK_THAT(o1.error().message, Catch::Contains("module was compiled for ABI version 1, this runtime supports 4 "
                                                   "(recompile it with this version's lucetc)"));
}

TEST_CASE("loader refuses a module needing CPU features this CPU lacks", "[runtime][module][cpu]") {
    // A forged descriptor: the module's code is plain x86-64, but it claims
    // to need features. The loader must go by the claim (it cannot know what
    // instructions cc chose), before any of the module's code runs.
    const uint64_t host = lucet::cpu::host_features();
    // A feature this host lacks, if there is one it knows (AMD-only ones on
    // Intel and the other way round; AVX-512 on most desktops).
    uint64_t lacking = lucet::cpu::known_mask() & ~host;
    lacking &= ~(lacking - 1);  // its lowest bit
    if (lacking) {
        std::string so = rt_test::build_so("needs_missing",
                                           rt_test::main_module_source({.cpu_features = std::to_string(lacking) + "ull"}));
        REQUIRE(!so.empty());
        auto m = DlModule::load(so);
        REQUIRE_FALSE(m.ok());
        CHECK(m.error().kind == ErrorKind::Module);
        CHECK_THAT(m.error().message, Catch::Contains("needs_missing.so: refusing to load: the module was compiled "
                                                      "for a CPU with features this one lacks: " +
                                                      lucet::cpu::names(lacking)));
    }
    // A bit no runtime of this version knows (a later compiler's feature):
    // refused too, never assumed present.
    std::string future = rt_test::build_so("needs_future", rt_test::main_module_source({.cpu_features = "(1ull << 63) | 1ull"}));
    REQUIRE(!future.empty());
    auto f = DlModule::load(future);
    REQUIRE_FALSE(f.ok());
    CHECK_THAT(f.error().message, Catch::Contains("features this runtime does not know: "));
    CHECK_THAT(f.error().message, Catch::Contains("bit 63"));
    CHECK_THAT(f.error().message, Catch::Contains("recompile it with lucetc --target-cpu native"));
    // Needing exactly what this CPU has is fine: the module loads and runs.
    std::string fits = rt_test::build_so("needs_host", rt_test::main_module_source({.cpu_features = std::to_string(host) + "ull"}));
    REQUIRE(!fits.empty());
    auto ok = DlModule::load(fits);
    REQUIRE(ok.ok());
    CHECK(ok.value()->desc().cpu_features == host);
}

TEST_CASE("loader fills rt functions, type ids, and names functions by pc", "[runtime][module]") {
    auto m = main_module();
    REQUIRE(m);
    const lucet_module_desc &d = m->desc();
    REQUIRE(d.rt->trap != nullptr);
    REQUIRE(d.rt->memory_grow != nullptr);
    CHECK(d.type_ids[2] == 0xf);  // ()->()
    CHECK(m->func_type(0) == FuncType{{ValType::I32, ValType::I32}, {ValType::I32}});
    uintptr_t f7 = reinterpret_cast<uintptr_t>(d.funcs[7].code);
    CHECK(m->function_name_at(f7 + 1) == "func[7] <inc>");
    CHECK(m->function_name_at(0x1000) == "");
}

TEST_CASE("exports run and return values; bad calls are errors", "[runtime][run]") {
    auto region = small_region();
    auto inst = make_instance(region);
    CHECK(run_i32(*inst, "answer", {}) == 42);
    CHECK(run_i32(*inst, "div", {7, 2}) == 3);
    CHECK(run_i32(*inst, "inc", {41}) == 42);
    // Start function ran at instantiation.
    auto started = inst->get_global("started");
    REQUIRE(started.ok());
    CHECK(started->bits == 99);
    CHECK(run_i32(*inst, "get_g", {}) == 7);

    // Multi-value: (i64, f64) -> (f64, i64)
    double two = 2.5;
    uint64_t bits;
    std::memcpy(&bits, &two, 8);
    Val args[] = {Val::i64(10), Val{ValType::F64, bits}};
    RunResult r = inst->run("swap", args);
    REQUIRE(r.kind == RunResult::Kind::Returned);
    REQUIRE(r.values.size() == 2);
    double got;
    std::memcpy(&got, &r.values[0].bits, 8);
    CHECK(r.values[0].type == ValType::F64);
    CHECK(got == 5.0);
    CHECK(r.values[1].type == ValType::I64);
    CHECK(r.values[1].bits == 11);

    RunResult e1 = run(*inst, "nope", {});
    REQUIRE(e1.kind == RunResult::Kind::Error);
    CHECK_THAT(e1.error.message, Catch::Contains("unknown export nope"));
    RunResult e2 = run(*inst, "div", {1});
    REQUIRE(e2.kind == RunResult::Kind::Error);
    CHECK_THAT(e2.error.message, Catch::Contains("takes 2 arguments, got 1"));
    Val wrong[] = {Val::i64(1)};
    RunResult e3 = inst->run("inc", wrong);
    REQUIRE(e3.kind == RunResult::Kind::Error);
    CHECK_THAT(e3.error.message, Catch::Contains("argument 0 must be i32, got i64"));

    // Data segment applied.
    REQUIRE(inst->heap_len() == 65536);
    CHECK(std::memcmp(inst->heap() + 16, "hello", 5) == 0);
    CHECK(inst->check_heap(65530, 6));
    CHECK_FALSE(inst->check_heap(65530, 7));
    CHECK_FALSE(inst->check_heap(UINT64_MAX, 2));
}

TEST_CASE("every trap kind is reported and the instance stays usable", "[runtime][traps]") {
    auto region = small_region();
    auto inst = make_instance(region);

    SECTION("integer divide by zero") {
        RunResult r = run(*inst, "div", {1, 0});
        expect_trap(r, LUCET_TRAP_INT_DIV_BY_ZERO);
        CHECK(r.trap.function == "func[0] <div>");
        CHECK(r.trap.to_string() == "integer divide by zero in func[0] <div>");
    }
    SECTION("unreachable") {
        RunResult r = run(*inst, "unreachable", {});
        expect_trap(r, LUCET_TRAP_UNREACHABLE);
        CHECK(r.trap.function == "func[4] <unreachable>");
    }
    SECTION("heap out of bounds through the guard region") {
        CHECK(run_i32(*inst, "load", {16}) == 0x6c6c6568);  // "hell"
        for (uint32_t addr : {65536u, 65533u, 1u << 20, 0x80000000u, 0xfffffffcu, 0xffffffffu}) {
            RunResult r = run(*inst, "load", {addr});
            expect_trap(r, LUCET_TRAP_HEAP_OOB);
            CHECK(r.trap.fault_addr >= reinterpret_cast<uintptr_t>(inst->heap()) + 65536);
            CHECK(r.trap.function == "func[1] <load>");
            CHECK_THAT(r.trap.to_string(), Catch::StartsWith("out of bounds memory access"));
        }
        // memory.grow makes the next page accessible.
        CHECK(run_i32(*inst, "grow", {1}) == 1);
        CHECK(run_i32(*inst, "load", {65536}) == 0);
        expect_trap(run(*inst, "load", {131072}), LUCET_TRAP_HEAP_OOB);
    }
    SECTION("stack overflow through the prologue check") {
        RunResult r = run(*inst, "recurse", {0});
        expect_trap(r, LUCET_TRAP_STACK_OVERFLOW);
        CHECK(r.trap.function == "func[2] <recurse>");
    }
    SECTION("stack overflow through the guard page") {
        RunResult r = run(*inst, "recurse_big", {0});
        expect_trap(r, LUCET_TRAP_STACK_OVERFLOW);
        auto layout = inst->slot_layout();
        CHECK(r.trap.fault_addr >= reinterpret_cast<uintptr_t>(layout.stack_guard));
        CHECK(r.trap.fault_addr < reinterpret_cast<uintptr_t>(layout.stack));
    }
    SECTION("call_indirect: ok, type mismatch, null, out of bounds") {
        CHECK(run_i32(*inst, "call_ind", {0}) == 42);
        expect_trap(run(*inst, "call_ind", {1}), LUCET_TRAP_BAD_SIGNATURE);
        expect_trap(run(*inst, "call_ind", {2}), LUCET_TRAP_INDIRECT_CALL_NULL);
        expect_trap(run(*inst, "call_ind", {3}), LUCET_TRAP_INDIRECT_CALL_NULL);
        RunResult oob = run(*inst, "call_ind", {4});
        expect_trap(oob, LUCET_TRAP_TABLE_OOB);
        CHECK(oob.trap.message() == std::string("undefined element"));
        expect_trap(run(*inst, "call_ind", {0xffffffffu}), LUCET_TRAP_TABLE_OOB);
    }
    SECTION("bulk memory bounds trap before writing") {
        // fill(n) fills [0, n) with 1: n = 65537 is out of bounds and must not write.
        expect_trap(run(*inst, "fill", {65537}), LUCET_TRAP_HEAP_OOB);
        CHECK(inst->heap()[0] == 0);
        CHECK(run_i32(*inst, "fill", {65536}) == 65536);
        CHECK(inst->heap()[65535] == 1);
    }
    // Whatever happened above, the instance still works.
    CHECK(run_i32(*inst, "answer", {}) == 42);
    CHECK(run_i32(*inst, "div", {9, 3}) == 3);
}

TEST_CASE("1000 traps in a row, then a normal run", "[runtime][traps]") {
    auto region = small_region();
    auto inst = make_instance(region);
    const char *kinds[] = {"div", "unreachable", "load", "recurse", "recurse_big", "call_ind"};
    for (int i = 0; i < 1000; i++) {
        const char *k = kinds[i % 6];
        RunResult r = std::strcmp(k, "div") == 0      ? run(*inst, k, {1, 0})
                      : std::strcmp(k, "load") == 0   ? run(*inst, k, {0x7fffffff})
                      : std::strcmp(k, "call_ind") == 0 ? run(*inst, k, {1})
                      : std::strcmp(k, "unreachable") == 0 ? run(*inst, k, {})
                                                         : run(*inst, k, {0});
        if (r.kind != RunResult::Kind::Trapped) FAIL("run " << i << " (" << k << ") did not trap");
    }
    CHECK(run_i32(*inst, "div", {100, 7}) == 14);
    CHECK(run_i32(*inst, "call_ind", {0}) == 42);
}

TEST_CASE("running an empty export is cheap", "[runtime][perf]") {
    auto region = small_region();
    auto inst = make_instance(region);
    for (int i = 0; i < 1000; i++) (void)inst->run("empty", {});
    const int n = 200000;
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; i++) {
        RunResult r = inst->run("empty", {});
        if (r.kind != RunResult::Kind::Returned) FAIL("empty did not return");
    }
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / n;
    WARN("run(\"empty\") takes " << ns << " ns");
    CHECK(ns < 1000);  // generous: a shared, loaded CI machine
}

// ------------------------------------------------------------ linking

namespace {

// imports: env.host (i32)->(), env.g (global i32), env.mem (memory min 1 max 8), env.tab (table funcref min 2)
// exports: call_host(x), read(addr): u32 from the imported memory, ig(): the imported global, grow(d)
std::string importer_source() {
    std::string s = rt_test::kPrelude;
    s += R"C(
static uint64_t type_ids[3];
HID uint32_t lucet_f1(lucet_vmctx *ctx, uint32_t x) {
    STACK_CHECK(ctx);
    ((void (*)(lucet_vmctx *, uint32_t))ctx->funcs[0].func)(ctx->funcs[0].vmctx, x);
    return x;
}
HID uint32_t lucet_f2(lucet_vmctx *ctx, uint32_t addr) {
    STACK_CHECK(ctx);
    uint8_t *mem = ctx->heap; uint32_t v; memcpy(&v, mem + (uint64_t)addr, 4); FORCE_READ(v); return v;
}
HID uint32_t lucet_f3(lucet_vmctx *ctx, uint32_t unused) {
    STACK_CHECK(ctx); (void)unused; uint32_t v; memcpy(&v, (uint64_t *)(uintptr_t)ctx->globals[0], 4); return v;
}
HID uint32_t lucet_f4(lucet_vmctx *ctx, uint32_t d) { STACK_CHECK(ctx); return lucet_rt.memory_grow(ctx, d); }
static void lucet_tramp0(void *fn, lucet_vmctx *ctx, const uint64_t *a, uint64_t *r) {
    (void)r; ((void(*)(lucet_vmctx *, uint32_t))fn)(ctx, (uint32_t)a[0]);
}
static void lucet_tramp1(void *fn, lucet_vmctx *ctx, const uint64_t *a, uint64_t *r) {
    r[0] = ((uint32_t(*)(lucet_vmctx *, uint32_t))fn)(ctx, (uint32_t)a[0]);
}
static const uint8_t sig0_t[] = {LUCET_VT_I32};
static const uint8_t sig1_t[] = {LUCET_VT_I32, LUCET_VT_I32};
static const lucet_sig_desc sigs[] = {{1, 0, sig0_t, lucet_tramp0}, {1, 1, sig1_t, lucet_tramp1}};
static const lucet_import_desc imports[] = {
    {"env", 3, 4, "host", LUCET_EXTERN_FUNC, 0, 0, 0, {0, 0, 0, 0}},
    {"env", 3, 1, "g", LUCET_EXTERN_GLOBAL, LUCET_VT_I32, 0, 0, {0, 0, 0, 0}},
    {"env", 3, 3, "mem", LUCET_EXTERN_MEMORY, 0, 0, 0, {1, 8, 1, 0}},
    {"env", 3, 3, "tab", LUCET_EXTERN_TABLE, LUCET_VT_FUNCREF, 0, 0, {2, 0, 0, 0}},
};
static const lucet_func_desc funcs[] = {
    {(void *)lucet_f1, 1, 9, "call_host"}, {(void *)lucet_f2, 1, 4, "read"}, {(void *)lucet_f3, 1, 2, "ig"},
    {(void *)lucet_f4, 1, 4, "grow"},
};
static const lucet_export_desc exports[] = {
    {"call_host", 9, LUCET_EXTERN_FUNC, 1, 0}, {"read", 4, LUCET_EXTERN_FUNC, 2, 0},
    {"ig", 2, LUCET_EXTERN_FUNC, 3, 0}, {"grow", 4, LUCET_EXTERN_FUNC, 4, 0},
    {"host_again", 10, LUCET_EXTERN_FUNC, 0, 0},
};
__attribute__((visibility("default"))) lucet_module_desc lucet_module = {
    .abi_version = LUCET_ABI_VERSION, .reserved_size = 4ull << 30, .guard_size = 4ull << 30,
    .compiler_version = "hand-written", .rt = &lucet_rt, .type_ids = type_ids,
    .num_sigs = 2, .num_imports = 4, .sigs = sigs, .imports = imports,
    .num_imported_funcs = 1, .num_funcs = 4, .funcs = funcs,
    .num_imported_tables = 1, .num_imported_memories = 1, .num_imported_globals = 1,
    .num_exports = 5, .exports = exports,
};
)C";
    return s;
}

uint32_t g_host_calls = 0;
lucet_vmctx *g_host_ctx = nullptr;
uintptr_t g_host_limit = 0, g_host_sp = 0;
Instance *g_other = nullptr;
RunResult g_nested;
extern "C" void host_fn(lucet_vmctx *ctx, uint32_t x) {
    g_host_calls++;
    g_host_ctx = ctx;
    g_host_limit = ctx->stack_limit;
    g_host_sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    // Nested runs from inside a host function: another instance (returns,
    // traps), and the calling instance itself (refused).
    if (x == 2000) g_nested = g_other->run("answer", {});
    else if (x == 2001) g_nested = g_other->run("unreachable", {});
    else if (x == 2002) g_nested = Instance::from_vmctx(ctx)->run("ig", std::vector<Val>{Val::i32(0)});
    else if (x >= 1000) Instance::from_vmctx(ctx)->terminate(x - 1000);
}

}  // namespace

TEST_CASE("imports are linked and checked; memory is shared; terminate exits", "[runtime][link]") {
    auto region = small_region(4);
    auto exporter = make_instance(region);
    std::string so = rt_test::build_so("importer", importer_source());
    REQUIRE(!so.empty());
    auto mod = DlModule::load(so);
    REQUIRE(mod.ok());

    uint64_t host_global = 1234;
    Extern host;
    host.kind = ExternKind::Func;
    host.func_type = FuncType{{ValType::I32}, {}};
    host.code = reinterpret_cast<void *>(&host_fn);
    Extern glob;
    glob.kind = ExternKind::Global;
    glob.global_type = {ValType::I32, false};
    glob.global = &host_global;

    auto resolver = [&](std::string_view m, std::string_view f, ExternKind k) -> Result<Extern> {
        if (m != "env") return make_error("no module");
        if (f == "host") return host;
        if (f == "g") return glob;
        if (f == "mem") return exporter->get_export("mem", k);
        if (f == "tab") return exporter->get_export("tab", k);
        return make_error("no field");
    };
    auto imp = Instance::create(region, *mod, resolver);
    if (!imp) FAIL(imp.error().to_string());
    Instance &in = **imp;

    CHECK(run_i32(in, "read", {16}) == 0x6c6c6568);  // the exporter's data segment
    CHECK(run_i32(in, "ig", {0}) == 1234);
    host_global = 77;  // an imported global is read through the exporter's slot
    CHECK(run_i32(in, "ig", {0}) == 77);
    CHECK(run_i32(in, "call_host", {5}) == 5);
    CHECK(g_host_calls == 1);
    CHECK(g_host_ctx == in.vmctx());  // host functions get the caller's vmctx
    // While running, stack_limit = stack bottom + hostcall reserve, and the
    // host function runs on the instance's stack above it.
    auto layout = in.slot_layout();
    CHECK(g_host_limit == reinterpret_cast<uintptr_t>(layout.stack) + RegionLimits{}.hostcall_reserve);
    CHECK(g_host_sp > g_host_limit);
    CHECK(g_host_sp < reinterpret_cast<uintptr_t>(layout.stack_end_guard));
    CHECK(in.vmctx()->stack_limit == 0);

    // Growing through the importer is visible to the exporter (one lucet_memory).
    CHECK(run_i32(in, "grow", {1}) == 1);
    CHECK(exporter->heap_len() == 2 * 65536);
    CHECK(run_i32(*exporter, "size", {}) == 2);
    CHECK(run_i32(in, "grow", {3}) == UINT32_MAX);  // the exporter's max is 4
    expect_trap(run(in, "read", {2 * 65536}), LUCET_TRAP_HEAP_OOB);

    RunResult t = run(in, "call_host", {1003});
    REQUIRE(t.kind == RunResult::Kind::Exited);
    CHECK(t.exit_code == 3);
    CHECK(run_i32(in, "call_host", {1}) == 1);  // still usable

    g_other = exporter.get();
    CHECK(run_i32(in, "call_host", {2000}) == 2000);
    REQUIRE(g_nested.kind == RunResult::Kind::Returned);
    CHECK(g_nested.values.at(0).bits == 42);
    CHECK(run_i32(in, "call_host", {2001}) == 2001);  // the inner trap stays inside
    REQUIRE(g_nested.kind == RunResult::Kind::Trapped);
    CHECK(g_nested.trap.code == LUCET_TRAP_UNREACHABLE);
    CHECK(run_i32(in, "call_host", {2002}) == 2002);
    REQUIRE(g_nested.kind == RunResult::Kind::Error);
    CHECK_THAT(g_nested.error.message, Catch::Contains("already running"));
    CHECK(run_i32(*exporter, "answer", {}) == 42);

    // A re-exported host function stays a host function.
    auto again = in.get_export("host_again", ExternKind::Func);
    REQUIRE(again.ok());
    CHECK(again->func_vmctx == nullptr);
    CHECK(again->code == reinterpret_cast<void *>(&host_fn));

    SECTION("link errors name the import and the mismatch") {
        auto try_with = [&](std::string_view field, Extern replacement) {
            auto r2 = [&](std::string_view m, std::string_view f, ExternKind k) -> Result<Extern> {
                if (f == field) return replacement;
                return resolver(m, f, k);
            };
            auto i2 = Instance::create(region, *mod, r2);
            REQUIRE_FALSE(i2.ok());
            return i2.error().message;
        };
        Extern wrong_sig = host;
        wrong_sig.func_type = FuncType{{}, {}};
        CHECK(try_with("host", wrong_sig) ==
              "incompatible import type for env.host: expected (i32) -> (), got () -> ()");
        Extern mut_glob = glob;
        mut_glob.global_type.mut = true;
        CHECK(try_with("g", mut_glob) == "incompatible import type for env.g: expected i32, got mut i32");
        Extern wrong_kind = glob;
        CHECK_THAT(try_with("host", wrong_kind), Catch::Contains("expected a function, got a global"));

        auto unknown = Instance::create(region, *mod, no_imports());
        REQUIRE_FALSE(unknown.ok());
        CHECK_THAT(unknown.error().message, Catch::StartsWith("unknown import env.host"));

        // Table import: min 2 required; a 1-element table is too small.
        auto small_tab = Instance::create(region, *mod, [&](std::string_view m, std::string_view f, ExternKind k) -> Result<Extern> {
            if (f == "tab") {
                Extern e = exporter->get_export("tab", k).value();
                static lucet_table t1{};
                t1 = *e.table;
                t1.size = 1;
                e.table = &t1;
                return e;
            }
            return resolver(m, f, k);
        });
        REQUIRE_FALSE(small_tab.ok());
        CHECK_THAT(small_tab.error().message, Catch::Contains("incompatible import type for env.tab"));

        // Memory import declares max 8: a memory without a max does not match.
        auto nomax = Instance::create(region, *mod, [&](std::string_view m, std::string_view f, ExternKind k) -> Result<Extern> {
            if (f == "mem") {
                Extern e = exporter->get_export("mem", k).value();
                e.limits.max.reset();
                return e;
            }
            return resolver(m, f, k);
        });
        REQUIRE_FALSE(nomax.ok());
        CHECK(nomax.error().message ==
              "incompatible import type for env.mem: expected memory {min 1, max 8}, got memory {min 2, no max}");
        // The failed instantiations gave their slots back.
        CHECK(region->used() == 2);
    }
}

// ------------------------------------------------------------ foreign faults

namespace {
// The embedder's handler of the "custom" mode: it records what it was given,
// makes the faulting page writable and returns, so the faulting store is
// retried and succeeds. Only a correct forward passes the child's checks: the
// right signal, the original siginfo (code and address), the original context
// to return to (the store lands), and one call per fault.
struct CustomFault {
    volatile sig_atomic_t calls, sig, code;
    void *volatile addr;
    char *page;
};
CustomFault g_custom;

void custom_segv(int sig, siginfo_t *info, void *) {
    g_custom.calls = g_custom.calls + 1;
    g_custom.sig = sig;
    g_custom.code = info ? info->si_code : 0;
    g_custom.addr = info ? info->si_addr : nullptr;
    if (mprotect(g_custom.page, 4096, PROT_READ | PROT_WRITE) != 0) _exit(50);
}

// Exit statuses of the "custom" child, 42 meaning every check passed.
enum CustomExit { kCustomOk = 42, kCustomCalls, kCustomSig, kCustomAddr, kCustomCode, kCustomStore };
}  // namespace

// Run in a fresh child process (see the next test): the custom handler must
// be installed before the runtime's so that the runtime chains to it.
TEST_CASE("child: host fault reaches the earlier handler", "[.child]") {
    const char *mode = getenv("LUCET_RT_CHILD_MODE");
    REQUIRE(mode != nullptr);
    bool custom = std::strcmp(mode, "custom") == 0;
    if (custom) {
        void *page = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(page != MAP_FAILED);
        g_custom.page = static_cast<char *>(page);
        struct sigaction sa {};
        sa.sa_sigaction = custom_segv;
        sa.sa_flags = SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, nullptr);
    }
    auto region = small_region();
    auto inst = make_instance(region);
    REQUIRE(run_i32(*inst, "answer", {}) == 42);
    expect_trap(run(*inst, "load", {0x7fffffff}), LUCET_TRAP_HEAP_OOB);
    // A fault outside any instance, in host code.
    if (custom) {
        volatile int *target = reinterpret_cast<volatile int *>(g_custom.page + 64);
        *target = 1234;  // faults once; the handler makes the page writable
        if (g_custom.calls != 1) _exit(kCustomCalls);
        if (g_custom.sig != SIGSEGV) _exit(kCustomSig);
        if (g_custom.addr != g_custom.page + 64) _exit(kCustomAddr);
        if (g_custom.code != SEGV_ACCERR) _exit(kCustomCode);
        if (*target != 1234) _exit(kCustomStore);
        _exit(kCustomOk);
    }
    static volatile uintptr_t bad_addr = 16;  // volatile: cc cannot see it is invalid
    *reinterpret_cast<volatile int *>(bad_addr) = 1;
    _exit(0);  // not reached
}

TEST_CASE("faults outside guest code reach the previous handler", "[runtime][signals]") {
    auto spawn = [](const char *mode) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            setenv("LUCET_RT_CHILD_MODE", mode, 1);
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 1);
            dup2(devnull, 2);
            execl("/proc/self/exe", "test_runtime", "child: host fault reaches the earlier handler", (char *)nullptr);
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        return status;
    };
    int custom = spawn("custom");
    REQUIRE(WIFEXITED(custom));
    // The embedder's handler ran once with SIGSEGV, the fault's address and
    // code, and returned to the faulting store (43..47: which check failed,
    // see CustomExit).
    CHECK(WEXITSTATUS(custom) == kCustomOk);
    int dfl = spawn("default");
    REQUIRE(WIFSIGNALED(dfl));
    CHECK(WTERMSIG(dfl) == SIGSEGV);  // default action: killed by the real signal
}

TEST_CASE("instances on several threads trap and run independently", "[runtime][threads]") {
    auto region = small_region(4);
    auto m = main_module();
    REQUIRE(m);
    std::atomic<int> failures{0};
    auto worker = [&](int id) {
        auto inst = Instance::create(region, m, no_imports());
        if (!inst) {
            failures++;
            return;
        }
        Instance &in = **inst;
        for (int i = 0; i < 300; i++) {
            Val a[] = {Val::i32(0x7fffffff)};
            if (in.run("load", a).trap.code != LUCET_TRAP_HEAP_OOB) failures++;
            Val b[] = {Val::i32(0)};
            if (in.run("recurse_big", b).trap.code != LUCET_TRAP_STACK_OVERFLOW) failures++;
            Val c[] = {Val::i32(uint32_t(id * 1000 + i)), Val::i32(1)};
            RunResult r = in.run("div", c);
            if (r.kind != RunResult::Kind::Returned || r.values[0].bits != uint64_t(id * 1000 + i)) failures++;
        }
    };
    std::thread t1(worker, 1), t2(worker, 2), t3(worker, 3);
    t1.join();
    t2.join();
    t3.join();
    CHECK(failures == 0);
    CHECK(region->used() == 0);
}

// ------------------------------------------------------------ compiled modules

namespace {

const char *kTrapsWat = R"WAT(
(module
  (type $r_i32 (func (result i32)))
  (memory 1 4)
  (table 4 funcref)
  (elem (i32.const 0) $answer $inc)
  (global $g (mut i32) (i32.const 5))
  (func $answer (type $r_i32) i32.const 42)
  (func $inc (param i32) (result i32) local.get 0 i32.const 1 i32.add)
  (func (export "answer") (result i32) call $answer)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load)
  (func (export "load_off") (param i32) (result i64) local.get 0 i64.load offset=0xfffffff8)
  ;; Two calls, so cc cannot turn the recursion into a loop (it does that to
  ;; `rec(n + 1) + n`: a cgen issue reported separately).
  (func $rec (export "rec") (param i32) (result i32)
    (i32.add (call $rec (i32.add (local.get 0) (i32.const 1))) (call $rec (local.get 0))))
  (func (export "unreachable") unreachable)
  (func (export "ci") (param i32) (result i32) local.get 0 call_indirect (type $r_i32))
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  (func (export "get_g") (result i32) global.get $g)
)
)WAT";

}  // namespace

TEST_CASE("modules compiled by lucetc trap as the runtime expects", "[runtime][compiled]") {
    auto m = compile_wat("traps", kTrapsWat);
    auto region = small_region();
    auto ci = Instance::create(region, m, no_imports());
    if (!ci) FAIL(ci.error().to_string());
    Instance &in = **ci;
    CHECK(run_i32(in, "answer", {}) == 42);
    CHECK(run_i32(in, "div", {uint32_t(-9), 3}) == uint32_t(-3));
    CHECK(run_i32(in, "get_g", {}) == 5);
    CHECK(run_i32(in, "ci", {0}) == 42);
    RunResult dz = run(in, "div", {1, 0});
    expect_trap(dz, LUCET_TRAP_INT_DIV_BY_ZERO);
    CHECK(dz.trap.function == "func[3]");  // named although raised through lucetc's cold trap wrapper
    RunResult oob = run(in, "load", {70000});
    expect_trap(oob, LUCET_TRAP_HEAP_OOB);
    CHECK(oob.trap.function == "func[4]");  // a fault's PC is in the function itself
    CHECK(oob.trap.fault_addr == reinterpret_cast<uintptr_t>(in.heap()) + 70000);
    CHECK(oob.trap.heap_offset == 70000);
    CHECK(oob.trap.to_string() == "out of bounds memory access at wasm address 0x11170 in func[4]");
    expect_trap(run(in, "div", {0x80000000u, uint32_t(-1)}), LUCET_TRAP_INT_OVERFLOW);
    expect_trap(run(in, "unreachable", {}), LUCET_TRAP_UNREACHABLE);
    expect_trap(run(in, "load", {65533}), LUCET_TRAP_HEAP_OOB);
    expect_trap(run(in, "load", {0xffffffffu}), LUCET_TRAP_HEAP_OOB);
    expect_trap(run(in, "load_off", {0x10}), LUCET_TRAP_HEAP_OOB);
    expect_trap(run(in, "rec", {0}), LUCET_TRAP_STACK_OVERFLOW);
    expect_trap(run(in, "ci", {1}), LUCET_TRAP_BAD_SIGNATURE);
    expect_trap(run(in, "ci", {2}), LUCET_TRAP_INDIRECT_CALL_NULL);
    expect_trap(run(in, "ci", {4}), LUCET_TRAP_TABLE_OOB);
    double big = 3e10;
    uint64_t bits;
    std::memcpy(&bits, &big, 8);
    Val a[] = {Val{ValType::F64, bits}};
    expect_trap(in.run("trunc", a), LUCET_TRAP_INT_OVERFLOW);
    CHECK(run_i32(in, "grow", {1}) == 1);
    CHECK(run_i32(in, "load", {65536}) == 0);
    CHECK(run_i32(in, "grow", {3}) == UINT32_MAX);

    for (int i = 0; i < 1000; i++) {
        RunResult r = i % 3 == 0 ? run(in, "rec", {0}) : i % 3 == 1 ? run(in, "load", {0xfffffff0u}) : run(in, "ci", {3});
        if (r.kind != RunResult::Kind::Trapped) FAIL("compiled run " << i << " did not trap");
    }
    CHECK(run_i32(in, "div", {100, 7}) == 14);
}

// Compiles WAT at -O2 with cc (and clang when there is one); each of FUNCS,
// given one i32 address, must trap out of bounds at 70000 and return at 16.
// EXTRA, when given, runs more checks on each compiler's instance.
static void check_oob_loads_trap(const std::string &name, const char *wat, std::initializer_list<const char *> funcs,
                                 const std::function<void(const std::string &, Instance &)> &extra = nullptr) {
    auto region = small_region();
    for (const std::string &cc : rt_test::c_compilers()) {
        lucet::CompileOptions opts;
        opts.cc = cc;
        opts.opt_level = 2;
        auto m = compile_wat(name + cc, wat, opts);
        auto ci = Instance::create(region, m, no_imports());
        REQUIRE(ci.ok());
        Instance &in = **ci;
        for (const char *f : funcs) {
            INFO(cc << " " << f);
            expect_trap(run(in, f, {70000}), LUCET_TRAP_HEAP_OOB);
            CHECK(run(in, f, {16}).kind == RunResult::Kind::Returned);
        }
        if (extra) extra(cc, in);
    }
}

TEST_CASE("an out-of-bounds float load traps even when cc could prove its value dead", "[runtime][compiled]") {
    // Float loads are emitted without a forcing asm when their value reaches
    // a store; these are the ways cc could still delete such a load.
    const char *wat = R"WAT(
(module
  (memory 1)
  (func (export "overwritten32") (param i32)
    (f32.store (i32.const 0) (f32.add (f32.load (local.get 0)) (f32.const 1)))
    (f32.store (i32.const 0) (f32.const 2)))
  (func (export "overwritten64") (param i32)
    (f64.store offset=8 (i32.const 0) (f64.mul (f64.load (local.get 0)) (f64.const 3)))
    (f64.store offset=8 (i32.const 0) (f64.const 2)))
  (func (export "negneg") (param i32)
    (f32.store (local.get 0) (f32.neg (f32.neg (f32.load (local.get 0))))))
  (func (export "copysign_self") (param i32)
    (f64.store (local.get 0) (f64.copysign (f64.load (local.get 0)) (f64.load (local.get 0)))))
  (func (export "abs_abs") (param i32)
    (f32.store (local.get 0) (f32.abs (f32.abs (f32.load (local.get 0))))))
  ;; Arithmetic that cc folds to the loaded value itself (x * 1, x / 1,
  ;; x - 0 are exact without -fsignaling-nans): stored back, a redundant store.
  (func (export "mul_one") (param i32)
    (f32.store (local.get 0) (f32.mul (f32.load (local.get 0)) (f32.const 1))))
  (func (export "div_one") (param i32)
    (f64.store (local.get 0) (f64.div (f64.load (local.get 0)) (f64.const 1))))
  (func (export "sub_zero") (param i32)
    (f32.store (local.get 0) (f32.sub (f32.load (local.get 0)) (f32.const 0))))
)
)WAT";
    check_oob_loads_trap("dead_float_loads_", wat,
                         {"overwritten32", "overwritten64", "negneg", "copysign_self", "abs_abs", "mul_one", "div_one",
                          "sub_zero"});
}

TEST_CASE("an out-of-bounds integer load traps even when cc could fold its value away", "[runtime][compiled]") {
    // Integer loads directly inside straight-line loops are emitted without
    // a forcing asm while their value provably reaches a store
    // (func_body.cpp, int_pending_result); these are the ways cc could still
    // fold such a value away, or find the store redundant, and delete the
    // load with its trap. Every body is in a (one-iteration) loop.
    const char *wat = R"WAT(
(module
  (memory 1)
  (func (export "sub_self") (param i32) (loop
    (i32.store (i32.const 0) (i32.sub (i32.load (local.get 0)) (i32.load (local.get 0))))))
  (func (export "xor_self") (param i32) (loop
    (i64.store (i32.const 0) (i64.xor (i64.load (local.get 0)) (i64.load (local.get 0))))))
  (func (export "sub_chain") (param i32) (loop
    (i32.store (i32.const 0) (i32.sub (i32.add (i32.load (local.get 0)) (i32.const 5))
                                      (i32.add (i32.load (local.get 0)) (i32.const 5))))))
  (func (export "add_neg") (param i32) (loop
    (i32.store (i32.const 0) (i32.add (i32.load (local.get 0)) (i32.sub (i32.const 0) (i32.load (local.get 0)))))))
  (func (export "and_zero") (param i32) (loop
    (i32.store (i32.const 0) (i32.and (i32.load (local.get 0)) (i32.const 0)))))
  (func (export "mul_zero") (param i32) (loop
    (i64.store (i32.const 0) (i64.mul (i64.load (local.get 0)) (i64.const 0)))))
  (func (export "mul_256_byte") (param i32) (loop
    (i32.store8 (i32.const 0) (i32.mul (i32.load (local.get 0)) (i32.const 256)))))
  (func (export "weights_256_byte") (param i32) (loop
    (i32.store8 (i32.const 0) (i32.add (i32.mul (i32.load (local.get 0)) (i32.const 128))
                                       (i32.mul (i32.load (local.get 0)) (i32.const 128))))))
  (func (export "shl_byte") (param i32) (loop
    (i32.store8 (i32.const 0) (i32.shl (i32.load8_u (local.get 0)) (i32.const 8)))))
  (func (export "shr_wide") (param i32) (loop
    (i32.store (i32.const 0) (i32.shr_u (i32.load8_u (local.get 0)) (i32.const 8)))))
  (func (export "compare") (param i32) (loop
    (i32.store (i32.const 0) (i32.lt_u (i32.load8_u (local.get 0)) (i32.const 256)))))
  (func (export "load_addr") (param i32) (loop
    (i32.store (i32.const 0) (i32.load (i32.mul (i32.load (local.get 0)) (i32.const 0))))))
  (func (export "overwritten") (param i32) (loop
    (i32.store (i32.const 0) (i32.add (i32.load (local.get 0)) (i32.const 1)))
    (i32.store (i32.const 0) (i32.const 2))))
  ;; Stored back where they were loaded from: redundant stores to cc.
  (func (export "copy_back") (param i32) (loop
    (i64.store (local.get 0) (i64.load (local.get 0)))))
  (func (export "add_zero_back") (param i32) (loop
    (i32.store (local.get 0) (i32.add (i32.load (local.get 0)) (i32.const 0)))))
  (func (export "xor_zero_back") (param i32) (local $z i32) (loop
    (i32.store16 (local.get 0) (i32.xor (i32.load16_u (local.get 0)) (local.get $z)))))
  (func (export "add_sub_back") (param i32) (loop
    (i32.store (local.get 0) (i32.sub (i32.add (i32.load (local.get 0)) (i32.const 7)) (i32.const 7)))))
  (func (export "return_dead") (param i32) (result i32) (loop (result i32)
    (i32.sub (i32.load (local.get 0)) (i32.load (local.get 0)))))
  ;; The load comes first: out of bounds, it traps before the division does.
  (func (export "load_then_div") (param i32 i32) (loop
    (i32.store (i32.const 0) (i32.add (i32.load (local.get 0)) (i32.div_u (i32.const 1) (local.get 1))))))
)
)WAT";
    check_oob_loads_trap("dead_int_loads_", wat,
                         {"sub_self", "xor_self", "sub_chain", "add_neg", "and_zero", "mul_zero", "mul_256_byte",
                          "weights_256_byte", "shl_byte", "shr_wide", "compare", "load_addr", "overwritten",
                          "copy_back", "add_zero_back", "xor_zero_back", "add_sub_back", "return_dead"},
                         [](const std::string &cc, Instance &in) {
                             INFO(cc << " load_then_div");
                             expect_trap(run(in, "load_then_div", {70000, 0}), LUCET_TRAP_HEAP_OOB);
                             expect_trap(run(in, "load_then_div", {16, 0}), LUCET_TRAP_INT_DIV_BY_ZERO);
                         });
}

TEST_CASE("a failed instantiation's writes to imported tables stay callable", "[runtime][compiled][link]") {
    auto exp_mod = compile_wat("tab_exporter", R"WAT(
(module
  (type $t (func (result i32)))
  (table (export "tab") 10 funcref)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $t)))
)WAT");
    auto imp_mod = compile_wat("tab_importer", R"WAT(
(module
  (table (import "Mt" "tab") 10 funcref)
  (func $f (result i32) i32.const 7)
  (elem (i32.const 7) $f)
  (memory 1)
  (data (i32.const 0x10000) "d"))
)WAT");
    auto region = small_region(4);
    auto exp = Instance::create(region, exp_mod, no_imports());
    REQUIRE(exp.ok());
    std::shared_ptr<Instance> exporter = *exp;
    expect_trap(run(*exporter, "call", {7}), LUCET_TRAP_INDIRECT_CALL_NULL);
    auto imp = Instance::create(region, imp_mod, [&](std::string_view, std::string_view f, ExternKind k) -> Result<Extern> {
        if (f == "tab") return exporter->get_export("tab", k);
        return make_error("no such import");
    });
    REQUIRE_FALSE(imp.ok());
    CHECK_THAT(imp.error().message, Catch::StartsWith("out of bounds memory access: data segment 0 at 65536 + 1"));
    // The element written before the failure persists and still works: the
    // failed instance is kept alive (its slot stays in use).
    CHECK(run_i32(*exporter, "call", {7}) == 7);
    CHECK(region->used() == 2);
}

TEST_CASE("call_indirect across instances runs the callee on its own instance", "[runtime][compiled][link]") {
    // Each module reads its own memory and global; a shared table holds one
    // function of each, so every call_indirect of the other's slot must pass
    // the element's vmctx, not the caller's.
    auto a_mod = compile_wat("xinst_a", R"WAT(
(module
  (type $t (func (result i32)))
  (table (export "tab") 2 funcref)
  (memory 1)
  (data (i32.const 8) "\0a")
  (global $g (mut i32) (i32.const 100))
  (func $own (result i32) (i32.add (i32.load8_u (i32.const 8)) (global.get $g)))
  (elem (i32.const 0) $own)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $t)))
)WAT");
    auto b_mod = compile_wat("xinst_b", R"WAT(
(module
  (type $t (func (result i32)))
  (table (import "a" "tab") 2 funcref)
  (memory 1)
  (data (i32.const 8) "\14")
  (global $g (mut i32) (i32.const 200))
  (func $own (result i32) (i32.add (i32.load8_u (i32.const 8)) (global.get $g)))
  (elem (i32.const 1) $own)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $t)))
)WAT");
    auto region = small_region(2);
    auto a = Instance::create(region, a_mod, no_imports());
    REQUIRE(a.ok());
    std::shared_ptr<Instance> ai = *a;
    auto b = Instance::create(region, b_mod, [&](std::string_view, std::string_view f, ExternKind k) {
        return ai->get_export(f, k);
    });
    REQUIRE(b.ok());
    for (int round = 0; round < 3; round++) {  // both branches, taken alternately
        CHECK(run_i32(*ai, "call", {0}) == 110);
        CHECK(run_i32(*ai, "call", {1}) == 220);
        CHECK(run_i32(**b, "call", {0}) == 110);
        CHECK(run_i32(**b, "call", {1}) == 220);
    }
}

TEST_CASE("an existing adequate alternate signal stack is kept", "[runtime][signals]") {
    auto region = small_region();
    auto m = main_module();
    REQUIRE(m);
    bool kept = false, trapped = false;
    std::thread t([&] {
        std::vector<uint8_t> mine(64 << 10);
        stack_t ss{};
        ss.ss_sp = mine.data();
        ss.ss_size = mine.size();
        if (sigaltstack(&ss, nullptr) != 0) return;
        {
            auto inst = Instance::create(region, m, no_imports());
            if (!inst) return;
            Val a[] = {Val::i32(0)};
            trapped = (*inst)->run("recurse_big", a).trap.code == LUCET_TRAP_STACK_OVERFLOW;
        }
        stack_t cur{};
        sigaltstack(nullptr, &cur);
        kept = cur.ss_sp == mine.data();
        stack_t off{};
        off.ss_flags = SS_DISABLE;
        sigaltstack(&off, nullptr);
    });
    t.join();
    CHECK(trapped);
    CHECK(kept);
}

TEST_CASE("run into a kept RunResult: each outcome replaces the previous one", "[runtime][run]") {
    auto m = compile_wat("kept_result", R"((module
      (func (export "div") (param i32) (result i32) (i32.div_u (i32.const 100) (local.get 0)))
      (func (export "two") (result i32 i64) (i32.const 7) (i64.const 8))
      (func (export "none"))))");
    auto region = small_region();
    auto ci = Instance::create(region, m, no_imports());
    if (!ci) FAIL(ci.error().to_string());
    Instance &in = **ci;
    RunResult r;
    Val four[] = {Val::i32(4)}, zero[] = {Val::i32(0)};
    in.run("div", four, r);
    REQUIRE(r.kind == RunResult::Kind::Returned);
    REQUIRE(r.values.size() == 1);
    CHECK(r.values[0].bits == 25);
    in.run("div", zero, r);
    REQUIRE(r.kind == RunResult::Kind::Trapped);
    CHECK(r.trap.code == LUCET_TRAP_INT_DIV_BY_ZERO);
    CHECK(r.values.empty());
    in.run("two", {}, r);  // after a trap: no trace of it
    REQUIRE(r.kind == RunResult::Kind::Returned);
    CHECK(r.trap.code == LUCET_TRAP_NONE);
    CHECK(r.trap.backtrace.empty());
    REQUIRE(r.values.size() == 2);
    CHECK(r.values[0].type == ValType::I32);
    CHECK(r.values[0].bits == 7);
    CHECK(r.values[1].type == ValType::I64);
    CHECK(r.values[1].bits == 8);
    in.run("nosuch", {}, r);
    REQUIRE(r.kind == RunResult::Kind::Error);
    CHECK(r.values.empty());
    CHECK_THAT(r.error.message, Catch::Contains("unknown export nosuch"));
    in.run("none", {}, r);  // after an error: none left
    REQUIRE(r.kind == RunResult::Kind::Returned);
    CHECK(r.values.empty());
    CHECK(r.error.message.empty());
    in.run("div", four, r);
    REQUIRE(r.values.size() == 1);
    CHECK(r.values[0].bits == 25);
}

TEST_CASE("stores before an out-of-bounds store stay done at -O2 (no store merging)", "[runtime][compiled]") {
    // Wasm order: the first store is done, then the second traps. cc merges
    // adjacent constant stores into one wider store (gcc's store merging and
    // SLP vectorizer, LLVM's DAG combiner), which faults before writing
    // either; lucetc turns that off (compiler.cpp, cc_family_flags).
    const char *wat = R"WAT(
(module
  (memory (export "memory") 1)
  (func (export "pair32") (param $a i32)
    (i32.store (local.get $a) (i32.const 0x11111111))
    (i32.store offset=4 (local.get $a) (i32.const 0x22222222)))
  (func (export "quad16") (param $a i32)
    (i32.store16 (local.get $a) (i32.const 0x1111))
    (i32.store16 offset=2 (local.get $a) (i32.const 0x2222))
    (i32.store16 offset=4 (local.get $a) (i32.const 0x3333))
    (i32.store16 offset=6 (local.get $a) (i32.const 0x4444)))
  (func (export "pair64") (param $a i32)
    (i64.store (local.get $a) (i64.const 0x1111111111111111))
    (i64.store offset=8 (local.get $a) (i64.const 0x2222222222222222))))
)WAT";
    auto region = small_region();
    for (const std::string &cc : rt_test::c_compilers()) {
        lucet::CompileOptions opts;
        opts.cc = cc;
        opts.opt_level = 2;
        auto m = compile_wat("store_order_" + cc, wat, opts);
        auto ci = Instance::create(region, m, no_imports());
        REQUIRE(ci.ok());
        Instance &in = **ci;
        struct Case {
            const char *f;
            uint32_t at;       // the first store's address: its last in-bounds byte is 65535
            size_t done;       // bytes the stores before the trapping one wrote
            uint8_t first;     // their byte value
        } cases[] = {{"pair32", 65532, 4, 0x11}, {"quad16", 65530, 6, 0x11}, {"pair64", 65528, 8, 0x11}};
        for (const Case &c : cases) {
            INFO(cc << " " << c.f);
            std::memset(in.heap() + 65520, 0, 16);
            expect_trap(run(in, c.f, {c.at}), LUCET_TRAP_HEAP_OOB);
            const uint8_t *p = in.heap() + c.at;
            CHECK(p[0] == c.first);
            if (std::string(c.f) == "quad16") {
                CHECK(p[2] == 0x22);
                CHECK(p[4] == 0x33);
            }
            CHECK(p[c.done - 1] != 0);
        }
    }
}
