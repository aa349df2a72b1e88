// rt_test_modules.h: hand-written module .so files for the runtime tests.
//
// They follow lucet_abi.h and the calling convention exactly as lucetc's
// output does, so the runtime can be tested without the compiler (and the
// tests pin the contract down from the runtime's side).
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "compiler/compiler.h"
#include "runtime/runtime.h"

namespace rt_test {

inline std::string temp_dir() {
    static std::string dir = [] {
        char tmpl[] = "/tmp/lucet-rt-test-XXXXXX";
        const char *d = mkdtemp(tmpl);
        return std::string(d ? d : "/tmp");
    }();
    return dir;
}

// A .wat module through wat2wasm and the real compiler into a loaded module.
inline std::shared_ptr<lucet::DlModule> compile_wat(const std::string &name, const std::string &wat,
                                                     lucet::CompileOptions opts = {}) {
    std::string dir = temp_dir();
    std::string wat_path = dir + "/" + name + ".wat", wasm = dir + "/" + name + ".wasm", so = dir + "/" + name + ".so";
    std::ofstream(wat_path) << wat;
    const char *w2w = getenv("LUCET_TEST_WAT2WASM");
    std::string cmd = std::string(w2w ? w2w : "wat2wasm") + " " + wat_path + " -o " + wasm;
    REQUIRE(std::system(cmd.c_str()) == 0);
    opts.jobs = 1;
    lucet::Status st = lucet::compile_file(wasm, so, opts);
    if (!st) FAIL("compile_file: " << st.error().to_string());
    auto m = lucet::DlModule::load(so);
    if (!m) FAIL("load: " << m.error().to_string());
    return *m;
}

// The C compilers a codegen test runs under: the system cc, and clang
// when it is installed (checked once).
inline const std::vector<std::string> &c_compilers() {
    static const std::vector<std::string> all = [] {
        std::vector<std::string> c = {"cc"};
        if (std::system("clang --version >/dev/null 2>&1") == 0) c.push_back("clang");
        return c;
    }();
    return all;
}

// Compiles C source into a .so the way lucetc drives cc; returns its path or
// "" (and prints the compiler's output) on failure.
inline std::string build_so(const std::string &name, const std::string &source) {
    std::string dir = temp_dir();
    std::string c = dir + "/" + name + ".c", so = dir + "/" + name + ".so";
    {
        std::ofstream out(c);
        out << source;
    }
    // Linked like lucetc's modules (no libc, no start files): the loader's
    // ELF check refuses anything with initialisers or needed libraries.
    std::string cmd = "cc -std=gnu11 -O2 -fPIC -shared -nostdlib -Wl,-z,noexecstack -fstack-clash-protection "
                      "-fno-strict-aliasing -I" LUCET_TEST_SRC_DIR "/src -o " + so + " " + c + " 2>&1";
    int rc = std::system(cmd.c_str());
    return rc == 0 ? so : std::string();
}

// Shared prelude: the per-module runtime table, the stack check and the
// forced load, as the emitter writes them.
inline const char *kPrelude = R"C(
#include "abi/lucet_abi.h"
#include <string.h>
#define HID __attribute__((visibility("hidden")))
static lucet_rt_fns lucet_rt;
/* Called as noreturn so cc emits a call, not a tail jump: the return address
 * then names the trapping function. */
typedef void (*lucet_trap_fn)(lucet_vmctx *, uint32_t, uint64_t) __attribute__((noreturn));
#define TRAP(ctx, code) ((lucet_trap_fn)lucet_rt.trap)((ctx), (code), ~0ull)
#define STACK_CHECK(ctx) do { uintptr_t sp_; __asm__("mov %%rsp, %0" : "=r"(sp_)); \
    if (__builtin_expect(sp_ < (ctx)->stack_limit, 0)) TRAP((ctx), LUCET_TRAP_STACK_OVERFLOW); } while (0)
#define FORCE_READ(v) __asm__ volatile("" :: "r"(v))
)C";

// The main test module:
//  sig 0 (i32,i32)->i32   sig 1 (i32)->i32   sig 2 ()->()   sig 3 ()->i32   sig 4 (i64,f64)->(f64,i64)
//  f0 div(a,b)            f1 load(addr): u32 at addr, no bounds check (guard page)
//  f2 recurse(n): infinite recursion with the prologue check
//  f3 recurse_big(n): big frames, no prologue check: hits the guard page
//  f4 unreachable         f5 call_ind(i): call_indirect (sig 3) through table 0
//  f6 answer: 42          f7 inc(x): x+1           f8 grow(d): memory.grow
//  f9 fill(n): memory.fill [0,n) with 1, returns n   f10 size: memory.size
//  f11 empty              f12 swap(i64,f64): multi-value   f13 get_g: global 0
//  f14 init_start: start function, sets global 1 to 99
//  table 0: 4 funcref {f6, f7, null, null} (active elem segment at 0)
//  memory 0: min 1 max 4; data "hello" at 16; global 0: mut i32 = 7; global 1: i32 = 0
struct MainOpts {
    uint64_t reserved = 4ull << 30, guard = 4ull << 30;
    uint64_t mem_min = 1;
    std::string abi = "LUCET_ABI_VERSION";
    uint64_t data_offset = 16;  // of "hello"
    uint32_t elem_offset = 0;   // of the 3-item element segment in the 4-element table
    uint32_t start_func = 14;   // 4: a start function that traps
    uint32_t num_globals = 2;   // more than 2: extra i32 globals initialised to 0
    std::string cpu_features = "0"; // the descriptor's cpu_features (LUCET_CPU_* the code claims to need)
};

inline std::string main_module_source(const MainOpts &o) {
    std::string s = kPrelude;
    s += R"C(
static uint64_t type_ids[5];
typedef struct { double r0; uint64_t r1; } lucet_mr_dj;
HID uint32_t lucet_f0(lucet_vmctx *ctx, uint32_t a, uint32_t b) {
    STACK_CHECK(ctx);
    if (b == 0) TRAP(ctx, LUCET_TRAP_INT_DIV_BY_ZERO);
    return a / b;
}
HID uint32_t lucet_f1(lucet_vmctx *ctx, uint32_t addr) {
    STACK_CHECK(ctx);
    uint8_t *mem = ctx->heap;
    uint32_t v; memcpy(&v, mem + (uint64_t)addr + 0, 4); FORCE_READ(v);
    return v;
}
HID uint32_t lucet_f2(lucet_vmctx *ctx, uint32_t n) {
    STACK_CHECK(ctx);
    volatile uint32_t keep = n;
    return lucet_f2(ctx, keep + 1) + keep;
}
HID __attribute__((noinline)) uint32_t lucet_f3(lucet_vmctx *ctx, uint32_t n) {
    volatile char big[16384];
    big[0] = (char)n; big[sizeof big - 1] = (char)n;
    return lucet_f3(ctx, n + 1) + big[n % sizeof big];
}
HID void lucet_f4(lucet_vmctx *ctx) {
    STACK_CHECK(ctx);
    TRAP(ctx, LUCET_TRAP_UNREACHABLE);
}
HID uint32_t lucet_f5(lucet_vmctx *ctx, uint32_t idx) {
    STACK_CHECK(ctx);
    lucet_table *T = ctx->tables[0];
    if (idx >= T->size) TRAP(ctx, LUCET_TRAP_TABLE_OOB);
    lucet_table_elem *e = &T->elems[idx];
    if (e->sig != type_ids[3]) TRAP(ctx, e->func ? LUCET_TRAP_BAD_SIGNATURE : LUCET_TRAP_INDIRECT_CALL_NULL);
    return ((uint32_t(*)(lucet_vmctx *))e->func)(e->vmctx);
}
HID uint32_t lucet_f6(lucet_vmctx *ctx) { STACK_CHECK(ctx); return 42; }
HID uint32_t lucet_f7(lucet_vmctx *ctx, uint32_t x) { STACK_CHECK(ctx); return x + 1; }
HID uint32_t lucet_f8(lucet_vmctx *ctx, uint32_t d) { STACK_CHECK(ctx); return lucet_rt.memory_grow(ctx, d); }
HID uint32_t lucet_f9(lucet_vmctx *ctx, uint32_t n) { STACK_CHECK(ctx); lucet_rt.memory_fill(ctx, 0, 1, n); return n; }
HID uint32_t lucet_f10(lucet_vmctx *ctx) { STACK_CHECK(ctx); return (uint32_t)(ctx->mem->size / 65536); }
HID void lucet_f11(lucet_vmctx *ctx) { STACK_CHECK(ctx); }
HID lucet_mr_dj lucet_f12(lucet_vmctx *ctx, uint64_t a, double b) {
    STACK_CHECK(ctx);
    lucet_mr_dj r = { b * 2, a + 1 }; return r;
}
HID uint32_t lucet_f13(lucet_vmctx *ctx) { STACK_CHECK(ctx); uint32_t v; memcpy(&v, &ctx->globals[0], 4); return v; }
HID void lucet_f14(lucet_vmctx *ctx) { STACK_CHECK(ctx); uint32_t v = 99; memcpy(&ctx->globals[1], &v, 4); }

static void lucet_tramp0(void *fn, lucet_vmctx *ctx, const uint64_t *a, uint64_t *r) {
    r[0] = ((uint32_t(*)(lucet_vmctx *, uint32_t, uint32_t))fn)(ctx, (uint32_t)a[0], (uint32_t)a[1]);
}
static void lucet_tramp1(void *fn, lucet_vmctx *ctx, const uint64_t *a, uint64_t *r) {
    r[0] = ((uint32_t(*)(lucet_vmctx *, uint32_t))fn)(ctx, (uint32_t)a[0]);
}
static void lucet_tramp2(void *fn, lucet_vmctx *ctx, const uint64_t *a, uint64_t *r) {
    (void)a; (void)r; ((void(*)(lucet_vmctx *))fn)(ctx);
}
static void lucet_tramp3(void *fn, lucet_vmctx *ctx, const uint64_t *a, uint64_t *r) {
    (void)a; r[0] = ((uint32_t(*)(lucet_vmctx *))fn)(ctx);
}
static void lucet_tramp4(void *fn, lucet_vmctx *ctx, const uint64_t *a, uint64_t *r) {
    double b; memcpy(&b, &a[1], 8);
    lucet_mr_dj x = ((lucet_mr_dj(*)(lucet_vmctx *, uint64_t, double))fn)(ctx, a[0], b);
    memcpy(&r[0], &x.r0, 8); r[1] = x.r1;
}
static const uint8_t sig0_t[] = {LUCET_VT_I32, LUCET_VT_I32, LUCET_VT_I32};
static const uint8_t sig1_t[] = {LUCET_VT_I32, LUCET_VT_I32};
static const uint8_t sig3_t[] = {LUCET_VT_I32};
static const uint8_t sig4_t[] = {LUCET_VT_I64, LUCET_VT_F64, LUCET_VT_F64, LUCET_VT_I64};
static const lucet_sig_desc sigs[] = {
    {2, 1, sig0_t, lucet_tramp0}, {1, 1, sig1_t, lucet_tramp1}, {0, 0, 0, lucet_tramp2},
    {0, 1, sig3_t, lucet_tramp3}, {2, 2, sig4_t, lucet_tramp4},
};
static const lucet_func_desc funcs[] = {
    {(void *)lucet_f0, 0, 3, "div"}, {(void *)lucet_f1, 1, 4, "load"}, {(void *)lucet_f2, 1, 7, "recurse"},
    {(void *)lucet_f3, 1, 11, "recurse_big"}, {(void *)lucet_f4, 2, 11, "unreachable"},
    {(void *)lucet_f5, 1, 8, "call_ind"}, {(void *)lucet_f6, 3, 6, "answer"}, {(void *)lucet_f7, 1, 3, "inc"},
    {(void *)lucet_f8, 1, 4, "grow"}, {(void *)lucet_f9, 1, 4, "fill"}, {(void *)lucet_f10, 3, 4, "size"},
    {(void *)lucet_f11, 2, 5, "empty"}, {(void *)lucet_f12, 4, 4, "swap"}, {(void *)lucet_f13, 3, 5, "get_g"},
    {(void *)lucet_f14, 2, 0, 0},
};
static const lucet_export_desc exports[] = {
    {"div", 3, LUCET_EXTERN_FUNC, 0, 0}, {"load", 4, LUCET_EXTERN_FUNC, 1, 0},
    {"recurse", 7, LUCET_EXTERN_FUNC, 2, 0}, {"recurse_big", 11, LUCET_EXTERN_FUNC, 3, 0},
    {"unreachable", 11, LUCET_EXTERN_FUNC, 4, 0}, {"call_ind", 8, LUCET_EXTERN_FUNC, 5, 0},
    {"answer", 6, LUCET_EXTERN_FUNC, 6, 0}, {"inc", 3, LUCET_EXTERN_FUNC, 7, 0},
    {"grow", 4, LUCET_EXTERN_FUNC, 8, 0}, {"fill", 4, LUCET_EXTERN_FUNC, 9, 0},
    {"size", 4, LUCET_EXTERN_FUNC, 10, 0}, {"empty", 5, LUCET_EXTERN_FUNC, 11, 0},
    {"swap", 4, LUCET_EXTERN_FUNC, 12, 0}, {"get_g", 5, LUCET_EXTERN_FUNC, 13, 0},
    {"g", 1, LUCET_EXTERN_GLOBAL, 0, 0}, {"started", 7, LUCET_EXTERN_GLOBAL, 1, 0},
    {"mem", 3, LUCET_EXTERN_MEMORY, 0, 0}, {"tab", 3, LUCET_EXTERN_TABLE, 0, 0},
};
static const lucet_global_desc globals[NUM_GLOBALS] = {
    {LUCET_VT_I32, 1, {LUCET_INIT_CONST, 0, 7}}, {LUCET_VT_I32, 0, {LUCET_INIT_CONST, 0, 0}},
};
static const lucet_table_desc tables[] = {{LUCET_VT_FUNCREF, 0, {4, 4, 1, 0}}};
static const lucet_limits_desc memories[] = {{MEM_MIN, 4, 1, 0}};
static const lucet_data_desc data[] = {{LUCET_SEG_ACTIVE, 0, {LUCET_INIT_CONST, 0, DATA_OFFSET}, (const uint8_t *)"hello", 5}};
static const lucet_init_expr elem0[] = {{LUCET_INIT_REF_FUNC, 0, 6}, {LUCET_INIT_REF_FUNC, 0, 7}, {LUCET_INIT_REF_NULL, 0, 0}};
static const lucet_elem_desc elems[] = {{LUCET_SEG_ACTIVE, 0, {LUCET_INIT_CONST, 0, ELEM_OFFSET}, LUCET_VT_FUNCREF, 3, elem0}};
__attribute__((visibility("default"))) lucet_module_desc lucet_module = {
    .abi_version = ABI, .flags = 0, .reserved_size = RESERVED, .guard_size = GUARD,
    .compiler_version = "hand-written", .rt = &lucet_rt, .type_ids = type_ids,
    .num_sigs = 5, .num_imports = 0, .sigs = sigs, .imports = 0,
    .num_imported_funcs = 0, .num_funcs = 15, .funcs = funcs,
    .num_imported_tables = 0, .num_tables = 1, .tables = tables,
    .num_imported_memories = 0, .num_memories = 1, .memories = memories,
    .num_imported_globals = 0, .num_globals = NUM_GLOBALS, .globals = globals,
    .num_exports = 18, .num_data = 1, .exports = exports, .data = data,
    .num_elems = 1, .has_start = 1, .elems = elems, .start_func = START_FUNC,
    .cpu_features = CPU_FEATURES,
};
)C";
    auto def = [](const char *n, const std::string &v) { return std::string("#define ") + n + " " + v + "\n"; };
    std::string defs = def("RESERVED", std::to_string(o.reserved) + "ull") + def("GUARD", std::to_string(o.guard) + "ull") +
                       def("MEM_MIN", std::to_string(o.mem_min)) + def("ABI", o.abi) +
                       def("DATA_OFFSET", std::to_string(o.data_offset)) + def("ELEM_OFFSET", std::to_string(o.elem_offset)) +
                       def("START_FUNC", std::to_string(o.start_func)) + def("NUM_GLOBALS", std::to_string(o.num_globals)) +
                       def("CPU_FEATURES", "(" + o.cpu_features + ")");
    return defs + s;
}

inline std::string opts_key(const MainOpts &o) {
    return std::to_string(o.reserved) + "_" + std::to_string(o.guard) + "_" + std::to_string(o.mem_min) + "_" +
           std::to_string(o.data_offset) + "_" + std::to_string(o.elem_offset) + "_" + std::to_string(o.start_func) +
           "_" + std::to_string(o.num_globals) + (o.abi == "LUCET_ABI_VERSION" ? "" : "_abi" + o.abi) +
           (o.cpu_features == "0" ? "" : "_cpu" + std::to_string(std::hash<std::string>{}(o.cpu_features)));
}

// Builds (once per option set) and loads the main module.
inline std::shared_ptr<lucet::DlModule> main_module(const MainOpts &o = {}) {
    static std::map<std::string, std::shared_ptr<lucet::DlModule>> cache;
    std::string key = opts_key(o);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    std::string so = build_so("main_" + key, main_module_source(o));
    if (so.empty()) return nullptr;
    auto m = lucet::DlModule::load(so);
    if (!m) {
        std::fprintf(stderr, "load failed: %s\n", m.error().to_string().c_str());
        return nullptr;
    }
    cache[key] = *m;
    return *m;
}

// Runs export `name`, which must return one value: that value's low 32 bits.
inline uint32_t run_i32(lucet::Instance &inst, const char *name, std::vector<lucet::Val> args = {}) {
    lucet::RunResult r = inst.run(name, args);
    if (r.kind != lucet::RunResult::Kind::Returned)
        FAIL(std::string(name) + " did not return: kind " << int(r.kind) << " "
                                                          << (r.kind == lucet::RunResult::Kind::Trapped
                                                                  ? r.trap.to_string()
                                                                  : r.error.to_string()));
    REQUIRE(r.values.size() == 1);
    return static_cast<uint32_t>(r.values[0].bits);
}

// Is the file `path` (the module file itself, not the loader's memfd copy)
// mapped into this process?
inline bool file_mapped(const std::string &path) {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line))
        if (line.size() >= path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0) return true;
    return false;
}

inline lucet::ImportResolver no_imports() {
    return [](std::string_view m, std::string_view f, lucet::ExternKind) -> lucet::Result<lucet::Extern> {
        return lucet::make_error("no import " + std::string(m) + "." + std::string(f));
    };
}

// An instance of `m` (no imports) in a fresh one-slot region: how many bytes
// of the three pages at heap offset 4096 (where the data-image tests put
// their data) are `c`.
inline long image_bytes_seen(const std::shared_ptr<lucet::DlModule> &m, char c) {
    auto region = lucet::Region::create(1, lucet::RegionLimits{});
    REQUIRE(region.ok());
    auto inst = lucet::Instance::create(*region, m, no_imports());
    REQUIRE(inst.ok());
    const uint8_t *heap = (*inst)->heap();
    return std::count(heap + 4096, heap + 4 * 4096, c);
}

}  // namespace rt_test
