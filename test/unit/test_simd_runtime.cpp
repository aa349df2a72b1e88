// test_simd_runtime.cpp: v128 values through the runtime: exports called
// with v128 arguments and results (the trampoline slot layout of
// lucet_abi.h), v128 globals (per-instance storage, reset, export/import
// between instances), host functions with v128 in their native signature,
// and v128 yield/resume values. Modules are real: wat2wasm + lucetc.
#include <catch2/catch.hpp>

#include <cstring>

#include "compiler/compiler.h"
#include "rt_test_modules.h"

using namespace lucet;

namespace {

using rt_test::compile_wat;

const char *kExporterWat = R"WAT(
(module
  (import "env" "host_mix" (func $mix (param v128 i32 v128) (result v128)))
  (import "env" "yield_v128" (func $yield (param v128) (result v128)))
  (global $gv (export "gv") (mut v128) (v128.const i32x4 1 2 3 4))
  (global $gc (export "gc") v128 (v128.const i64x2 0x0123456789abcdef 0x7fedcba987654321))
  (global $gi (export "gi") (mut i64) (i64.const 77))
  (func (export "add") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1)))
  ;; v128 between scalars, in and out: every slot after a v128 shifts by one
  (func (export "mixed") (param i32 v128 f64 v128) (result f64 v128 i32 v128)
    (local.get 2) (local.get 3) (local.get 0) (local.get 1))
  ;; 9 v128 and one i32 parameter: 19 argument slots, beyond the inline 16
  (func (export "sum9") (param v128 v128 v128 v128 v128 v128 v128 v128 v128 i32) (result v128)
    local.get 0 local.get 1 i32x4.add local.get 2 i32x4.add local.get 3 i32x4.add local.get 4 i32x4.add
    local.get 5 i32x4.add local.get 6 i32x4.add local.get 7 i32x4.add local.get 8 i32x4.add
    local.get 9 i32x4.splat i32x4.add)
  (func (export "set_gv") (param v128) (global.set $gv (local.get 0)))
  (func (export "get_gv") (result v128) (global.get $gv))
  (func (export "call_mix") (param v128 v128) (result v128) (call $mix (local.get 0) (i32.const 3) (local.get 1)))
  (func (export "yield_twice") (param v128) (result v128)
    (i32x4.add (call $yield (local.get 0)) (call $yield (v128.const i32x4 10 20 30 40))))
)
)WAT";

// Imports the exporter's v128 globals: reads and writes the mutable one,
// and initialises its own from the immutable one.
const char *kImporterWat = R"WAT(
(module
  (import "m" "gv" (global $gv (mut v128)))
  (import "m" "gc" (global $gc v128))
  (global $copy (export "copy") v128 (global.get $gc))
  (global $own (export "own") (mut v128) (v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16))
  (func (export "get_gv") (result v128) (global.get $gv))
  (func (export "set_gv") (param v128) (global.set $gv (local.get 0)))
  (func (export "set_own") (param v128) (global.set $own (local.get 0)))
)
)WAT";

Val v32x4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    return Val::v128(uint64_t(b) << 32 | a, uint64_t(d) << 32 | c);
}

lucet_v128 to_vec(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    uint32_t l[4] = {a, b, c, d};
    lucet_v128 v;
    std::memcpy(&v, l, 16);
    return v;
}

uint32_t lane32(const lucet_v128 &v, int i) {
    uint32_t l[4];
    std::memcpy(l, &v, 16);
    return l[i];
}

// a * k + b, lane by lane (i32x4), with k in a general register between two
// vectors in SSE registers.
extern "C" lucet_v128 host_mix(lucet_vmctx *, lucet_v128 a, uint32_t k, lucet_v128 b) {
    return to_vec(lane32(a, 0) * k + lane32(b, 0), lane32(a, 1) * k + lane32(b, 1), lane32(a, 2) * k + lane32(b, 2),
                  lane32(a, 3) * k + lane32(b, 3));
}

Val from_vec(const lucet_v128 &v) {
    Val r = Val::v128(0, 0);
    std::memcpy(&r.bits, &v, 8);
    std::memcpy(&r.hi, reinterpret_cast<const char *>(&v) + 8, 8);
    return r;
}

lucet_v128 to_vec(const Val &v) {
    lucet_v128 out;
    std::memcpy(&out, &v.bits, 8);
    std::memcpy(reinterpret_cast<char *>(&out) + 8, &v.hi, 8);
    return out;
}

extern "C" lucet_v128 host_yield_v128(lucet_vmctx *ctx, lucet_v128 v) {
    return to_vec(Instance::from_vmctx(ctx)->yield(from_vec(v)));
}

Result<Extern> exporter_imports(std::string_view m, std::string_view f, ExternKind) {
    Extern e;
    e.kind = ExternKind::Func;
    if (m == "env" && f == "host_mix") {
        e.func_type = FuncType{{ValType::V128, ValType::I32, ValType::V128}, {ValType::V128}};
        e.code = reinterpret_cast<void *>(&host_mix);
        return e;
    }
    if (m == "env" && f == "yield_v128") {
        e.func_type = FuncType{{ValType::V128}, {ValType::V128}};
        e.code = reinterpret_cast<void *>(&host_yield_v128);
        return e;
    }
    return make_error("no import " + std::string(m) + "." + std::string(f));
}

std::shared_ptr<Region> region() {
    auto r = Region::create(4, RegionLimits{});
    REQUIRE(r);
    return *r;
}

std::shared_ptr<Instance> exporter(const std::shared_ptr<Region> &reg) {
    static auto mod = compile_wat("simd_exporter", kExporterWat);
    auto inst = Instance::create(reg, mod, exporter_imports);
    if (!inst) FAIL(inst.error().to_string());
    return *inst;
}

Val returned_one(const RunResult &r) {
    if (r.kind != RunResult::Kind::Returned) FAIL("run: " << r.error.to_string() << r.trap.to_string());
    REQUIRE(r.values.size() == 1);
    return r.values[0];
}

Val global(Instance &inst, const char *name) {
    auto v = inst.get_global(name);
    if (!v) FAIL(v.error().to_string());
    return *v;
}

void check_v128(const Val &v, const Val &want) {
    CHECK(v.type == ValType::V128);
    CHECK(v.bits == want.bits);
    CHECK(v.hi == want.hi);
}

}  // namespace

TEST_CASE("v128 exports take and return v128 values from the host", "[runtime][simd]") {
    auto reg = region();
    auto inst = exporter(reg);
    check_v128(returned_one(inst->run("add", std::vector<Val>{v32x4(1, 2, 3, 4), v32x4(10, 20, 30, 0xffffffff)})),
               v32x4(11, 22, 33, 3));

    // Scalars around v128s: each value lands in its own place.
    double d = -2.5;
    uint64_t dbits;
    std::memcpy(&dbits, &d, 8);
    RunResult r = inst->run("mixed", std::vector<Val>{Val::i32(7), v32x4(1, 2, 3, 4), Val{ValType::F64, dbits},
                                                      v32x4(5, 6, 7, 8)});
    REQUIRE(r.kind == RunResult::Kind::Returned);
    REQUIRE(r.values.size() == 4);
    CHECK(r.values[0].type == ValType::F64);
    CHECK(r.values[0].bits == dbits);
    check_v128(r.values[1], v32x4(5, 6, 7, 8));
    CHECK(r.values[2].type == ValType::I32);
    CHECK(r.values[2].bits == 7);
    check_v128(r.values[3], v32x4(1, 2, 3, 4));

    // More slots than the instance's inline argument buffer.
    std::vector<Val> args;
    for (uint32_t i = 0; i < 9; i++) args.push_back(v32x4(i, 100 * i, 1, 0));
    args.push_back(Val::i32(1000));
    check_v128(returned_one(inst->run("sum9", args)), v32x4(1036, 4600, 1009, 1000));

    // Argument types are checked: an i64 is not a v128.
    RunResult bad = inst->run("add", std::vector<Val>{v32x4(1, 2, 3, 4), Val::i64(1)});
    CHECK(bad.kind == RunResult::Kind::Error);
    CHECK_THAT(bad.error.message, Catch::Contains("argument 1 must be v128, got i64"));
}

TEST_CASE("a host function with v128 in its native signature is called from wasm", "[runtime][simd]") {
    auto reg = region();
    auto inst = exporter(reg);
    check_v128(returned_one(inst->run("call_mix", std::vector<Val>{v32x4(1, 2, 3, 0x80000000), v32x4(5, 6, 7, 8)})),
               v32x4(8, 12, 16, 0x80000008));

    // An import of another signature is refused at instantiation.
    static auto mod = compile_wat("simd_exporter", kExporterWat);
    auto wrong = Instance::create(reg, mod, [](std::string_view m, std::string_view f, ExternKind k) -> Result<Extern> {
        auto e = exporter_imports(m, f, k);
        if (e && f == "host_mix") e->func_type.params[1] = ValType::I64;
        return e;
    });
    REQUIRE_FALSE(wrong);
    CHECK_THAT(wrong.error().message, Catch::Contains("incompatible import type for env.host_mix"));
}

TEST_CASE("v128 values go through yield and resume", "[runtime][simd]") {
    auto reg = region();
    auto inst = exporter(reg);
    RunResult r = inst->run("yield_twice", std::vector<Val>{v32x4(1, 2, 3, 4)});
    REQUIRE(r.kind == RunResult::Kind::Yielded);
    check_v128(r.yielded, v32x4(1, 2, 3, 4));
    r = inst->resume(v32x4(100, 200, 300, 400));
    REQUIRE(r.kind == RunResult::Kind::Yielded);
    check_v128(r.yielded, v32x4(10, 20, 30, 40));
    r = inst->resume(v32x4(1, 1, 1, 0xffffffff));
    check_v128(returned_one(r), v32x4(101, 201, 301, 399));
}

TEST_CASE("v128 globals: per-instance storage, reset, get_global", "[runtime][simd]") {
    auto reg = region();
    auto a = exporter(reg);
    auto b = exporter(reg);
    auto g = a->get_global("gv");
    REQUIRE(g);
    check_v128(*g, v32x4(1, 2, 3, 4));
    auto c = a->get_global("gc");
    REQUIRE(c);
    check_v128(*c, Val::v128(0x0123456789abcdefull, 0x7fedcba987654321ull));
    auto gi = a->get_global("gi");  // a scalar next to the v128s
    REQUIRE(gi);
    CHECK(gi->type == ValType::I64);
    CHECK(gi->bits == 77);

    // Two instances of one module have their own storage.
    REQUIRE(a->run("set_gv", std::vector<Val>{v32x4(9, 9, 9, 9)}).kind == RunResult::Kind::Returned);
    check_v128(global(*a, "gv"), v32x4(9, 9, 9, 9));
    check_v128(returned_one(a->run("get_gv", {})), v32x4(9, 9, 9, 9));
    check_v128(global(*b, "gv"), v32x4(1, 2, 3, 4));

    // The storage is in the instance's vmctx area, 16-byte aligned.
    auto ex = a->get_export("gv", ExternKind::Global);
    REQUIRE(ex);
    CHECK(ex->global_type.type == ValType::V128);
    auto addr = reinterpret_cast<uintptr_t>(ex->global);
    Instance::SlotLayout l = a->slot_layout();
    CHECK(addr % 16 == 0);
    CHECK(addr >= reinterpret_cast<uintptr_t>(l.vmctx) + LUCET_VMCTX_GLOBALS_OFFSET);
    CHECK(addr + 16 <= reinterpret_cast<uintptr_t>(l.vmctx) + 4096);

    // Reset puts the init value back.
    REQUIRE(a->reset().ok());
    check_v128(global(*a, "gv"), v32x4(1, 2, 3, 4));
    check_v128(returned_one(a->run("get_gv", {})), v32x4(1, 2, 3, 4));
}

TEST_CASE("v128 globals are exported to and imported by another instance", "[runtime][simd]") {
    auto reg = region();
    auto exp = exporter(reg);
    auto mod = compile_wat("simd_importer", kImporterWat);
    ImportResolver from_exp = [&](std::string_view m, std::string_view f, ExternKind k) -> Result<Extern> {
        if (m != "m") return make_error("no module " + std::string(m));
        return exp->get_export(f, k);
    };
    auto imp = Instance::create(reg, mod, from_exp);
    if (!imp) FAIL(imp.error().to_string());
    auto &in = *imp;

    // The importer's slot points at the exporter's storage: writes go both ways.
    check_v128(returned_one(in->run("get_gv", {})), v32x4(1, 2, 3, 4));
    REQUIRE(in->run("set_gv", std::vector<Val>{v32x4(5, 6, 7, 8)}).kind == RunResult::Kind::Returned);
    check_v128(global(*exp, "gv"), v32x4(5, 6, 7, 8));
    REQUIRE(exp->run("set_gv", std::vector<Val>{v32x4(0, 0, 0, 1)}).kind == RunResult::Kind::Returned);
    check_v128(returned_one(in->run("get_gv", {})), v32x4(0, 0, 0, 1));

    // A defined global initialised by global.get of an imported v128, and
    // one from a v128.const, next to it.
    check_v128(global(*in, "copy"), Val::v128(0x0123456789abcdefull, 0x7fedcba987654321ull));
    check_v128(global(*in, "own"), Val::v128(0x0807060504030201ull, 0x100f0e0d0c0b0a09ull));
    REQUIRE(in->run("set_own", std::vector<Val>{v32x4(3, 3, 3, 3)}).kind == RunResult::Kind::Returned);
    check_v128(global(*in, "own"), v32x4(3, 3, 3, 3));
    check_v128(global(*exp, "gv"), v32x4(0, 0, 0, 1));  // untouched by the importer's own global

    // Type and mutability must match.
    const char *wrong_mut = R"WAT((module (import "m" "gv" (global v128))))WAT";
    auto bad = Instance::create(reg, compile_wat("simd_wrong_mut", wrong_mut), from_exp);
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message, Catch::Contains("incompatible import type for m.gv: expected v128, got mut v128"));
    const char *wrong_type = R"WAT((module (import "m" "gi" (global (mut v128)))))WAT";
    bad = Instance::create(reg, compile_wat("simd_wrong_type", wrong_type), from_exp);
    REQUIRE_FALSE(bad);
    CHECK_THAT(bad.error().message, Catch::Contains("expected mut v128, got mut i64"));
}

namespace {

// A hand-written descriptor with two globals: a v128 and one initialised
// from `init` (for the loader's checks of v128 global inits).
std::string globals_only_module(const char *second_type, const char *init) {
    return std::string(rt_test::kPrelude) + "static uint64_t type_ids[1];\n" +
           "static const lucet_global_desc globals[] = {\n"
           "  {LUCET_VT_V128, 0, {LUCET_INIT_CONST, 0, 1, 2}},\n"
           "  {" + second_type + ", 0, " + init + "},\n};\n" +
           R"C(
__attribute__((visibility("default"))) lucet_module_desc lucet_module = {
    .abi_version = LUCET_ABI_VERSION, .reserved_size = 4ull << 30, .guard_size = 4ull << 30,
    .compiler_version = "hand-written", .rt = &lucet_rt, .type_ids = type_ids,
    .num_globals = 2, .globals = globals,
};
)C";
}

}  // namespace

TEST_CASE("the loader refuses v128 global inits it cannot evaluate", "[runtime][simd]") {
    // A scalar global copying a v128 global's slot would hand the guest the
    // host address of the v128's storage.
    std::string leak = rt_test::build_so("v128_leak", globals_only_module("LUCET_VT_I64", "{LUCET_INIT_GLOBAL_GET, 0, 0}"));
    REQUIRE(!leak.empty());
    auto m = DlModule::load(leak);
    REQUIRE_FALSE(m);
    CHECK(m.error().kind == ErrorKind::Module);
    CHECK_THAT(m.error().message, Catch::Contains("malformed module descriptor: global 1's init reads a global of another type"));

    std::string ref = rt_test::build_so("v128_ref", globals_only_module("LUCET_VT_V128", "{LUCET_INIT_REF_NULL, 0, 0}"));
    REQUIRE(!ref.empty());
    m = DlModule::load(ref);
    REQUIRE_FALSE(m);
    CHECK_THAT(m.error().message, Catch::Contains("global 1 is a v128 initialised with a reference"));

    std::string later = rt_test::build_so("v128_later", globals_only_module("LUCET_VT_V128", "{LUCET_INIT_GLOBAL_GET, 0, 1}"));
    REQUIRE(!later.empty());
    m = DlModule::load(later);
    REQUIRE_FALSE(m);
    CHECK_THAT(m.error().message, Catch::Contains("global 1's init reads global 1, not an earlier one"));

    // The well-formed version: a v128 copied from the first.
    std::string good = rt_test::build_so("v128_good", globals_only_module("LUCET_VT_V128", "{LUCET_INIT_GLOBAL_GET, 0, 0}"));
    REQUIRE(!good.empty());
    auto ok = DlModule::load(good);
    if (!ok) FAIL(ok.error().to_string());
    auto inst = Instance::create(region(), *ok, exporter_imports);
    REQUIRE(inst);
}
