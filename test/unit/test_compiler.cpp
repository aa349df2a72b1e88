// test_compiler.cpp: lucetc end to end without the runtime.
//
// (1) Small .wat modules are compiled (wat2wasm at test time) and the .so is
//     dlopen'd; its `lucet_module` descriptor is checked and exports are run
//     through their trampolines on a hand-made vmctx (traps longjmp back here).
// (2) [extreme] valid modules built as bytes: each must compile at -O2 in
//     under 60 s and 2 GB (wall time, and peak RSS of the cc children), and
//     then run with the real runtime: computed results checked against a
//     model on the host, data segments byte for byte (run_checks.h).
#include <catch2/catch.hpp>
#include <dlfcn.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "abi/lucet_abi.h"
#include "cgen/cgen_internal.h"
#include "compiler/compiler.h"
#include "decode/decoder.h"
#include "run_checks.h"
#include "wasm_builder.h"

namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------- helpers

std::string scratch_dir() {
    static std::string dir = [] {
        std::string tmpl = (fs::temp_directory_path() / "lucet-test-compiler-XXXXXX").string();
        std::vector<char> b(tmpl.begin(), tmpl.end());
        b.push_back(0);
        REQUIRE(mkdtemp(b.data()) != nullptr);
        return std::string(b.data());
    }();
    return dir;
}

std::vector<uint8_t> wat_to_wasm(const std::string &name, const std::string &wat) {
    const char *tool = std::getenv("LUCET_TEST_WAT2WASM");
    std::string w2w = tool && *tool ? tool : "wat2wasm";
    std::string wat_path = scratch_dir() + "/" + name + ".wat";
    std::string wasm_path = scratch_dir() + "/" + name + ".wasm";
    std::ofstream(wat_path) << wat;
    std::string cmd = w2w + " --enable-all --disable-simd '" + wat_path + "' -o '" + wasm_path + "'";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream in(wasm_path, std::ios::binary);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A loaded module .so and a minimal stand-in for the runtime: one memory,
// one table, the funcs array and globals initialised from the descriptor.
thread_local std::jmp_buf *g_trap_jmp;
thread_local uint32_t g_trap_code;

void fake_trap(lucet_vmctx *, uint32_t code, uint64_t) {
    g_trap_code = code;
    std::longjmp(*g_trap_jmp, 1);
}
uint32_t fake_memory_grow(lucet_vmctx *ctx, uint32_t delta) {
    uint64_t pages = ctx->mem->size / LUCET_WASM_PAGE_SIZE;
    if (pages + delta > ctx->mem->max_pages) return 0xffffffffu;
    ctx->mem->size = (pages + delta) * LUCET_WASM_PAGE_SIZE;
    return static_cast<uint32_t>(pages);
}
uint32_t host_double(lucet_vmctx *, uint32_t x) { return 2 * x; }

struct Loaded {
    void *so = nullptr;
    const lucet_module_desc *desc = nullptr;
    std::vector<uint8_t> heap;
    lucet_memory mem{};
    std::vector<lucet_table_elem> elems;
    lucet_table table{};
    lucet_table *tables[1] = {&table};
    std::vector<lucet_funcref> funcs;
    std::vector<uint64_t> ctx_storage;
    lucet_vmctx *ctx = nullptr;

    ~Loaded() {
        if (so) dlclose(so);
    }

    void load(const std::string &path, const lucet::Module &m) {
        so = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        INFO(dlerror());
        REQUIRE(so != nullptr);
        desc = static_cast<const lucet_module_desc *>(dlsym(so, LUCET_MODULE_SYMBOL));
        REQUIRE(desc != nullptr);
        REQUIRE(desc->abi_version == LUCET_ABI_VERSION);
        desc->rt->trap = fake_trap;
        desc->rt->memory_grow = fake_memory_grow;
        for (uint32_t k = 0; k < desc->num_sigs; k++) {
            uint64_t id = lucet::packed_signature_id(m.types[k]);
            desc->type_ids[k] = id ? id : (LUCET_SIG_REGISTRY_BIT | k);
        }
        uint32_t nglobals = desc->num_imported_globals + desc->num_globals;
        ctx_storage.assign(LUCET_VMCTX_GLOBALS_OFFSET / 8 + nglobals + 1, 0);
        ctx = reinterpret_cast<lucet_vmctx *>(ctx_storage.data());
        for (uint32_t g = 0; g < desc->num_globals; g++)
            if (desc->globals[g].init.kind == LUCET_INIT_CONST) ctx->globals[g] = desc->globals[g].init.value;
        if (desc->num_memories) {
            heap.assign(desc->memories[0].min * LUCET_WASM_PAGE_SIZE + 16, 0);
            mem.base = heap.data();
            mem.size = desc->memories[0].min * LUCET_WASM_PAGE_SIZE;
            mem.max_pages = desc->memories[0].min;  // the vector cannot grow in place
            ctx->heap = heap.data();
            ctx->mem = &mem;
            for (uint32_t d = 0; d < desc->num_data; d++) {
                const lucet_data_desc &dd = desc->data[d];
                if (dd.mode == LUCET_SEG_ACTIVE) std::memcpy(heap.data() + dd.offset.value, dd.data, dd.len);
            }
        }
        uint32_t nfuncs = desc->num_imported_funcs + desc->num_funcs;
        funcs.resize(nfuncs);
        for (uint32_t i = 0; i < nfuncs; i++) {
            uint32_t sig = i < desc->num_imported_funcs ? desc->imports[i].type : desc->funcs[i - desc->num_imported_funcs].sig;
            funcs[i].sig = desc->type_ids[sig];
            funcs[i].func = i < desc->num_imported_funcs ? reinterpret_cast<void *>(host_double)
                                                          : desc->funcs[i - desc->num_imported_funcs].code;
            funcs[i].vmctx = ctx;
        }
        ctx->funcs = funcs.data();
        if (desc->num_tables) {
            elems.assign(desc->tables[0].limits.min, lucet_table_elem{});
            table.elems = elems.data();
            table.size = static_cast<uint32_t>(elems.size());
            ctx->tables = tables;
            for (uint32_t e = 0; e < desc->num_elems; e++) {
                const lucet_elem_desc &ed = desc->elems[e];
                if (ed.mode != LUCET_SEG_ACTIVE) continue;
                for (uint32_t i = 0; i < ed.count; i++) {
                    const lucet_funcref &f = funcs[ed.items[i].value];
                    elems[ed.offset.value + i] = {f.sig, f.func, f.vmctx, &f};
                }
            }
        }
        ctx->stack_limit = 0;
    }

    // Calls export `name`; returns the trap code (LUCET_TRAP_NONE on success).
    uint32_t call(const std::string &name, std::vector<uint64_t> args, std::vector<uint64_t> &results) {
        for (uint32_t e = 0; e < desc->num_exports; e++) {
            const lucet_export_desc &ex = desc->exports[e];
            if (ex.kind != LUCET_EXTERN_FUNC || std::string(ex.name, ex.name_len) != name) continue;
            const lucet_func_desc &fd = desc->funcs[ex.index - desc->num_imported_funcs];
            const lucet_sig_desc &sd = desc->sigs[fd.sig];
            REQUIRE(args.size() == sd.nparams);
            results.assign(sd.nresults, 0);
            std::jmp_buf jb;
            g_trap_jmp = &jb;
            g_trap_code = LUCET_TRAP_NONE;
            if (setjmp(jb) == 0) sd.trampoline(fd.code, ctx, args.data(), results.data());
            return g_trap_code;
        }
        FAIL("no export " << name);
        return 0;
    }
    uint64_t call1(const std::string &name, std::vector<uint64_t> args) {
        std::vector<uint64_t> r;
        REQUIRE(call(name, std::move(args), r) == LUCET_TRAP_NONE);
        REQUIRE(r.size() == 1);
        return r[0];
    }
    uint32_t trap_of(const std::string &name, std::vector<uint64_t> args) {
        std::vector<uint64_t> r;
        return call(name, std::move(args), r);
    }
};

std::string compile_wat(const std::string &name, const std::string &wat, lucet::Module *decoded,
                        lucet::CompileOptions opts = {}) {
    auto wasm = wat_to_wasm(name, wat);
    auto m = lucet::decode_module(wasm);
    REQUIRE(m.ok());
    if (decoded) *decoded = std::move(m).value();
    std::string out = scratch_dir() + "/" + name + ".so";
    lucet::Status st = lucet::compile_bytes(wasm, out, opts);
    INFO((st.ok() ? "" : st.error().to_string()));
    REQUIRE(st.ok());
    return out;
}

uint64_t f32b(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
uint64_t f64b(double f) { uint64_t u; std::memcpy(&u, &f, 8); return u; }

}  // namespace

// ---------------------------------------------------------------- small modules

static const char *kBasicWat = R"((module
  (import "env" "double" (func $double (param i32) (result i32)))
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 42))
  (global $gf (mut f64) (f64.const 2.5))
  (type $bin (func (param i32 i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $add $sub $fac)
  (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func $sub (param i32 i32) (result i32) local.get 0 local.get 1 i32.sub)
  (func $fac (export "fac") (param i64) (result i64)
    local.get 0 i64.eqz
    if (result i64) i64.const 1
    else local.get 0 local.get 0 i64.const 1 i64.sub call $fac i64.mul end)
  (func (export "ci") (param i32 i32 i32) (result i32)
    local.get 0 local.get 1 local.get 2 call_indirect (type $bin))
  (func (export "imp") (param i32) (result i32) local.get 0 call $double)
  (func (export "mv") (param i32) (result i32 i64 f32)
    (block $b (result i32 i64 f32)
      i32.const 1 i64.const 2 f32.const 1.5
      local.get 0 br_if $b
      drop drop drop
      i32.const 7 i64.const 8 f32.const 9 br 0))
  (func (export "sum") (param i32) (result i32) (local i32)
    (loop $l
      local.get 1 local.get 0 i32.add local.set 1
      local.get 0 i32.const 1 i32.sub local.tee 0
      br_if $l)
    local.get 1)
  (func (export "sel") (param i32) (result i32)
    (block $d (block $c (block $b (block $a
      local.get 0 br_table $a $b $c $d)
      i32.const 10 return) i32.const 11 return) i32.const 12 return) i32.const 13)
  (func (export "ifp") (param i32) (result i32)
    i32.const 5
    local.get 0
    if (param i32) (result i32) drop i32.const 100 else i32.const 1 i32.add end)
  (func (export "div_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "rem_s") (param i32 i32) (result i32) local.get 0 local.get 1 i32.rem_s)
  (func (export "trunc") (param f64) (result i32) local.get 0 i32.trunc_f64_s)
  (func (export "trunc_u") (param f32) (result i64) local.get 0 i64.trunc_f32_u)
  (func (export "sat") (param f64) (result i32) local.get 0 i32.trunc_sat_f64_s)
  (func (export "fmin") (param f32 f32) (result f32) local.get 0 local.get 1 f32.min)
  (func (export "fmax") (param f64 f64) (result f64) local.get 0 local.get 1 f64.max)
  (func (export "nearest") (param f64) (result f64) local.get 0 f64.nearest)
  (func (export "neg") (param f32) (result f32) local.get 0 f32.neg)
  (func (export "fma") (param f64 f64 f64) (result f64) local.get 0 local.get 1 f64.mul local.get 2 f64.add)
  (func (export "rotl") (param i64 i64) (result i64) local.get 0 local.get 1 i64.rotl)
  (func (export "shr") (param i32 i32) (result i32) local.get 0 local.get 1 i32.shr_s)
  (func (export "clz") (param i32) (result i32) local.get 0 i32.clz)
  (func (export "load") (param i32) (result i32) local.get 0 i32.load offset=1)
  (func (export "load8") (param i32) (result i32) local.get 0 i32.load8_s)
  (func (export "store") (param i32 i64) local.get 0 local.get 1 i64.store)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
  (func (export "size") (result i32) memory.size)
  (func (export "glob") (param i32) (result i32)
    global.get $g local.get 0 i32.add global.set $g global.get $g)
  (func (export "globf") (result f64) global.get $gf f64.const 2 f64.mul global.set $gf global.get $gf)
  (func (export "fill") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.fill)
  (func (export "copy") (param i32 i32 i32) local.get 0 local.get 1 local.get 2 memory.copy)
  (func (export "unreach") unreachable i32.const 1 drop)
  (func (export "dead") (param i32) (result i32)
    (block (result i32) i32.const 3 br 0 i32.const 4 i32.add block i32.const 5 drop end drop unreachable))
  (data (i32.const 16) "hello\00world\ff\fe")
))";

TEST_CASE("compiled module carries a correct descriptor", "[compiler]") {
    lucet::Module m;
    std::string so = compile_wat("basic", kBasicWat, &m);
    Loaded l;
    l.load(so, m);
    const lucet_module_desc *d = l.desc;
    CHECK(d->num_imported_funcs == 1);
    CHECK(d->num_funcs == m.code.size());
    CHECK(d->num_imports == 1);
    CHECK(std::string(d->imports[0].module, d->imports[0].module_len) == "env");
    CHECK(std::string(d->imports[0].field, d->imports[0].field_len) == "double");
    CHECK(d->num_memories == 1);
    CHECK(d->memories[0].min == 1);
    CHECK(d->num_tables == 1);
    CHECK(d->tables[0].limits.min == 4);
    CHECK(d->num_globals == 2);
    CHECK(d->globals[0].init.value == 42);
    CHECK(d->num_data == 1);
    CHECK(d->data[0].len == 13);
    CHECK(std::memcmp(d->data[0].data, "hello\0world\xff\xfe", 13) == 0);
    CHECK(d->num_elems == 1);
    CHECK(d->elems[0].count == 3);
    CHECK(d->reserved_size == (4ull << 30));
    CHECK(d->guard_size == (4ull << 30));
    CHECK((d->flags & LUCET_MODULE_BOUNDS_CHECKED) == 0);
    CHECK(std::string(d->compiler_version) == lucet::compiler_version());
    // Packed signature id of (i32, i32) -> i32: 1,1,1,7,1.
    CHECK(lucet::packed_signature_id(m.types[0]) == 0b001001001111001ull);
}

TEST_CASE("compiled code computes what the spec says", "[compiler]") {
    lucet::Module m;
    lucet::CompileOptions opts;
    opts.reserved_size = 64 << 10;  // small: explicit bounds checks, so OOB traps without guard pages
    opts.guard_size = 0;
    std::string so = compile_wat("semantics", kBasicWat, &m, opts);
    Loaded l;
    l.load(so, m);
    CHECK((l.desc->flags & LUCET_MODULE_BOUNDS_CHECKED) != 0);

    CHECK(l.call1("add", {0xffffffff, 2}) == 1);
    CHECK(l.call1("fac", {20}) == 2432902008176640000ull);
    CHECK(l.call1("ci", {7, 3, 0}) == 10);
    CHECK(l.call1("ci", {7, 3, 1}) == 4);
    CHECK(l.trap_of("ci", {7, 3, 2}) == LUCET_TRAP_BAD_SIGNATURE);
    CHECK(l.trap_of("ci", {7, 3, 3}) == LUCET_TRAP_INDIRECT_CALL_NULL);
    CHECK(l.trap_of("ci", {7, 3, 4}) == LUCET_TRAP_TABLE_OOB);
    CHECK(l.call1("imp", {21}) == 42);
    std::vector<uint64_t> r;
    REQUIRE(l.call("mv", {1}, r) == LUCET_TRAP_NONE);
    CHECK(r == std::vector<uint64_t>{1, 2, f32b(1.5f)});
    REQUIRE(l.call("mv", {0}, r) == LUCET_TRAP_NONE);
    CHECK(r == std::vector<uint64_t>{7, 8, f32b(9.0f)});
    CHECK(l.call1("sum", {100}) == 5050);
    CHECK(l.call1("sel", {0}) == 10);
    CHECK(l.call1("sel", {2}) == 12);
    CHECK(l.call1("sel", {99}) == 13);
    CHECK(l.call1("ifp", {1}) == 100);
    CHECK(l.call1("ifp", {0}) == 6);
    CHECK(l.call1("div_s", {0xfffffff9u, 2}) == 0xfffffffdu);
    CHECK(l.trap_of("div_s", {1, 0}) == LUCET_TRAP_INT_DIV_BY_ZERO);
    CHECK(l.trap_of("div_s", {0x80000000u, 0xffffffffu}) == LUCET_TRAP_INT_OVERFLOW);
    CHECK(l.call1("rem_s", {0x80000000u, 0xffffffffu}) == 0);
    CHECK(l.call1("trunc", {f64b(-2147483648.9)}) == 0x80000000u);
    CHECK(l.trap_of("trunc", {f64b(-2147483649.0)}) == LUCET_TRAP_INT_OVERFLOW);
    CHECK(l.trap_of("trunc", {f64b(2147483648.0)}) == LUCET_TRAP_INT_OVERFLOW);
    CHECK(l.trap_of("trunc", {f64b(NAN)}) == LUCET_TRAP_BAD_CONVERSION);
    CHECK(l.call1("trunc_u", {f32b(-0.9f)}) == 0);
    CHECK(l.trap_of("trunc_u", {f32b(18446744073709551616.0f)}) == LUCET_TRAP_INT_OVERFLOW);
    CHECK(l.call1("trunc_u", {f32b(18446742974197923840.0f)}) == 18446742974197923840ull);
    CHECK(l.call1("sat", {f64b(1e300)}) == 0x7fffffffu);
    CHECK(l.call1("sat", {f64b(-1e300)}) == 0x80000000u);
    CHECK(l.call1("sat", {f64b(NAN)}) == 0);
    CHECK(l.call1("fmin", {f32b(0.0f), f32b(-0.0f)}) == f32b(-0.0f));
    CHECK(l.call1("fmin", {f32b(-0.0f), f32b(0.0f)}) == f32b(-0.0f));
    uint32_t nan_bits = static_cast<uint32_t>(l.call1("fmin", {f32b(1.0f), f32b(NAN)}));
    CHECK((nan_bits & 0x7fc00000u) == 0x7fc00000u);
    CHECK(l.call1("fmax", {f64b(0.0), f64b(-0.0)}) == f64b(0.0));
    CHECK(l.call1("fmax", {f64b(-3.0), f64b(2.0)}) == f64b(2.0));
    CHECK(l.call1("nearest", {f64b(2.5)}) == f64b(2.0));
    CHECK(l.call1("nearest", {f64b(-3.5)}) == f64b(-4.0));
    CHECK(l.call1("neg", {0x7fa00001u}) == 0xffa00001u);  // signalling NaN bits kept
    // No contraction into fma: 0.1*10 - 1 rounds the product first.
    CHECK(l.call1("fma", {f64b(0.1), f64b(10.0), f64b(-1.0)}) == f64b(0.1 * 10.0 - 1.0));
    CHECK(l.call1("rotl", {0x8000000000000001ull, 65}) == 3);
    CHECK(l.call1("shr", {0x80000000u, 33}) == 0xc0000000u);
    CHECK(l.call1("clz", {0}) == 32);
    CHECK(l.call1("load", {15}) == 0x6c6c6568u);  // "hell" at 16
    CHECK(l.call1("load8", {27}) == 0xffffffffu);
    CHECK(l.trap_of("load", {65532}) == LUCET_TRAP_HEAP_OOB);
    CHECK(l.trap_of("load", {0xffffffffu}) == LUCET_TRAP_HEAP_OOB);
    CHECK(l.trap_of("store", {65529, 1}) == LUCET_TRAP_HEAP_OOB);
    CHECK(l.trap_of("store", {65528, 0x0102030405060708ull}) == LUCET_TRAP_NONE);
    CHECK(l.heap[65528] == 8);
    CHECK(l.call1("size", {}) == 1);
    CHECK(l.call1("grow", {1}) == 0xffffffffu);
    CHECK(l.call1("glob", {8}) == 50);
    CHECK(l.call1("glob", {1}) == 51);
    CHECK(l.call1("globf", {}) == f64b(5.0));
    CHECK(l.trap_of("fill", {100, 0xab, 3}) == LUCET_TRAP_NONE);
    CHECK(l.heap[102] == 0xab);
    CHECK(l.trap_of("fill", {65535, 1, 2}) == LUCET_TRAP_HEAP_OOB);
    CHECK(l.trap_of("copy", {200, 16, 5}) == LUCET_TRAP_NONE);
    CHECK(std::memcmp(&l.heap[200], "hello", 5) == 0);
    CHECK(l.trap_of("copy", {0, 65535, 2}) == LUCET_TRAP_HEAP_OOB);
    CHECK(l.trap_of("unreach", {}) == LUCET_TRAP_UNREACHABLE);
    CHECK(l.call1("dead", {0}) == 3);
}

TEST_CASE("emit c and obj outputs, and errors", "[compiler]") {
    auto wasm = wat_to_wasm("emitc", "(module (func (export \"f\") (result i32) i32.const 1))");
    lucet::CompileOptions opts;
    opts.emit = lucet::EmitKind::C;
    std::string c_out = scratch_dir() + "/emitc.c";
    REQUIRE(lucet::compile_bytes(wasm, c_out, opts).ok());
    std::string cmd = "cc -fsyntax-only -w '" + c_out + "'";
    CHECK(std::system(cmd.c_str()) == 0);  // concatenated units form one valid C file
    opts.emit = lucet::EmitKind::Object;
    std::string o_out = scratch_dir() + "/emitc.o";
    REQUIRE(lucet::compile_bytes(wasm, o_out, opts).ok());
    CHECK(fs::file_size(o_out) > 0);
    // A .so comes out read-only (no write bit: the loader maps its data
    // image from such a file instead of copying it), and a second compile
    // replaces it; C and object files keep the usual mode.
    std::string so_out = scratch_dir() + "/emitc.so";
    for (int round = 0; round < 2; round++) {
        REQUIRE(lucet::compile_bytes(wasm, so_out, {}).ok());
        auto perms = fs::status(so_out).permissions();
        CHECK((perms & (fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write)) == fs::perms::none);
        CHECK((perms & fs::perms::owner_read) != fs::perms::none);
    }
    CHECK((fs::status(c_out).permissions() & fs::perms::owner_write) != fs::perms::none);

    // Bad module: one line with the offset.
    std::vector<uint8_t> bad = {0, 'a', 's', 'm', 1, 0, 0, 0, 0x01, 0x05, 0x01, 0x60};
    auto st = lucet::compile_bytes(bad, scratch_dir() + "/bad.so", {});
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().to_string().find("at offset 0x") == 0);
    CHECK_FALSE(fs::exists(scratch_dir() + "/bad.so"));

    // A broken C compiler surfaces with its output and leaves no output file.
    lucet::CompileOptions broken;
    broken.cc = "sh -c 'echo cc exploded >&2; exit 3' --";
    auto st2 = lucet::compile_bytes(wasm, scratch_dir() + "/broken.so", broken);
    REQUIRE_FALSE(st2.ok());
    CHECK(st2.error().message.find("cc exploded") != std::string::npos);
    CHECK_FALSE(fs::exists(scratch_dir() + "/broken.so"));
}

// ---------------------------------------------------------------- extreme modules

namespace {

using namespace wasm_builder;

// The C lucetc emits for `wasm` (--emit c), read back.
std::string emitted_c(const std::vector<uint8_t> &wasm, const std::string &name) {
    lucet::CompileOptions co;
    co.emit = lucet::EmitKind::C;
    std::string c_path = scratch_dir() + "/" + name + ".c";
    lucet::Status st = lucet::compile_bytes(wasm, c_path, co);
    INFO(name << ": " << (st.ok() ? "" : st.error().to_string()));
    REQUIRE(st.ok());
    std::ifstream in(c_path);
    std::string c((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fs::remove(c_path);
    return c;
}

// Compiles, checks the figures, and instantiates the module with the runtime.
std::shared_ptr<lucet::Instance> compile_extreme(const std::string &name, const std::vector<uint8_t> &wasm) {
    std::string out = scratch_dir() + "/" + name + ".so";
    if (const char *keep = std::getenv("LUCET_TEST_KEEP_WASM")) {  // for investigating a slow case by hand
        std::ofstream(std::string(keep) + "/" + name + ".wasm", std::ios::binary)
            .write(reinterpret_cast<const char *>(wasm.data()), static_cast<std::streamsize>(wasm.size()));
    }
    rusage before{};
    getrusage(RUSAGE_CHILDREN, &before);
    auto t0 = std::chrono::steady_clock::now();
    lucet::Status st = lucet::compile_bytes(wasm, out, {});
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(name << ": " << (st.ok() ? "" : st.error().to_string()));
    REQUIRE(st.ok());
    rusage children{}, self{};
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_SELF, &self);
    auto cpu = [](const rusage &r) {
        return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
    };
    // Peak RSS of any cc child so far (getrusage cannot reset it per test);
    // cc CPU seconds are this compile's own (the counter is cumulative).
    std::printf("[extreme] %-22s wasm %8zu bytes  wall %6.2f s  cc cpu %6.2f s  peak cc RSS %5ld MiB  "
                "lucetc RSS %5ld MiB\n",
                name.c_str(), wasm.size(), secs, cpu(children) - cpu(before), children.ru_maxrss / 1024,
                self.ru_maxrss / 1024);
    std::fflush(stdout);
    // Wall time is reported, not checked: the `compile` benchmark (suite
    // compile) holds the time targets; a shared machine makes wall time noise.
    CHECK(children.ru_maxrss < 2L * 1024 * 1024);  // KiB
    CHECK(self.ru_maxrss < 2L * 1024 * 1024);
    void *so = dlopen(out.c_str(), RTLD_NOW | RTLD_LOCAL);
    REQUIRE(so != nullptr);
    auto *desc = static_cast<const lucet_module_desc *>(dlsym(so, LUCET_MODULE_SYMBOL));
    REQUIRE(desc != nullptr);
    CHECK(desc->abi_version == LUCET_ABI_VERSION);
    dlclose(so);
    auto inst = run_checks::instantiate(out);
    fs::remove(out);
    return inst;
}

}  // namespace

TEST_CASE("extreme: 20,000 functions", "[extreme]") {
    // f_i(x) = x + i, and every 7th one then calls f_{i+1} with that.
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    constexpr uint32_t kFuncs = 20000;
    auto calls_next = [](uint32_t i) { return i + 1 < kFuncs && i % 7 == 0; };
    for (uint32_t i = 0; i < kFuncs; i++) {
        Bytes c;
        c.u8(0x20).uleb(0).u8(0x41).sleb(i).u8(0x6a);  // local.get 0; i32.const i; i32.add
        if (calls_next(i)) c.u8(0x10).uleb(i + 1);       // call the next one
        mb.func(t, body({0}, c));
    }
    const uint32_t exported[] = {0, 1, 6, 7, 13999, 19992, 19999};
    for (uint32_t i : exported) mb.export_func("f" + std::to_string(i), i);
    auto inst = compile_extreme("20000-functions", mb.build());
    for (uint32_t i : exported) {
        for (uint32_t x : {0u, 5u, 0xfffffff0u}) {
            uint32_t want = x + i;
            if (calls_next(i)) want += i + 1;
            CHECK(run_checks::run_i32(*inst, ("f" + std::to_string(i)).c_str(), {x}) == want);
        }
    }
}

TEST_CASE("units of tiny functions: -O0 with register variables, none where an address is taken", "[extreme]") {
    // 400 tiny functions f_i(x) = x + i (every 7th also calls f_{i+1}): one
    // unit of only tiny functions (cost_model.h, is_tiny). f_9 copies a v128
    // global to another (`__builtin_memcpy(&slot, ...)`): its variables stay
    // plain (C forbids the address of a register variable).
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    constexpr uint32_t kFuncs = 400, kV128Func = 9;
    for (int g = 0; g < 2; g++) {
        Bytes gl;
        gl.u8(0x7b).u8(0x01).u8(0xfd).uleb(12);  // mutable v128 = v128.const 1..16
        for (uint8_t b = 1; b <= 16; b++) gl.u8(b);
        gl.u8(0x0b);
        mb.globals.insert(mb.globals.end(), gl.b.begin(), gl.b.end());
        mb.nglobals++;
    }
    auto calls_next = [](uint32_t i) { return i + 1 < kFuncs && i % 7 == 0; };
    for (uint32_t i = 0; i < kFuncs; i++) {
        Bytes c;
        if (i == kV128Func) c.u8(0x23).uleb(0).u8(0x24).uleb(1);  // global.get 0; global.set 1
        c.u8(0x20).uleb(0).u8(0x41).sleb(i).u8(0x6a);  // local.get 0; i32.const i; i32.add
        if (calls_next(i)) c.u8(0x10).uleb(i + 1);
        mb.func(t, body({0}, c));
    }
    for (uint32_t i : {0u, 1u, kV128Func, 399u}) mb.export_func("f" + std::to_string(i), i);
    std::vector<uint8_t> wasm = mb.build();
    const std::string c = emitted_c(wasm, "tiny-units");
    CHECK(c.find("uint32_t lucet_f0(register lucet_vmctx *ctx, register uint32_t l0) {\nregister uint32_t si0") !=
          std::string::npos);
    CHECK(c.find("uint32_t lucet_f9(lucet_vmctx *ctx, uint32_t l0) {\n") != std::string::npos);
    CHECK(c.find("__builtin_memcpy(&sv0") != std::string::npos);
    auto inst = compile_extreme("tiny-units", wasm);
    for (uint32_t i : {0u, 1u, kV128Func, 399u})
        for (uint32_t x : {0u, 5u, 0xfffffff0u}) {
            uint32_t want = x + i;
            if (calls_next(i)) want += i + 1;
            CHECK(run_checks::run_i32(*inst, ("f" + std::to_string(i)).c_str(), {x}) == want);
        }
}

TEST_CASE("extreme: one function of 300,000 instructions", "[extreme]") {
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    mb.memory = {0x00, 0x01};
    std::vector<uint8_t> mem = pseudo_random_bytes(65536, 777);  // what the loads read
    mb.data(0, mem);
    Bytes c;
    std::vector<uint32_t> iters;  // the model: per xor step, i
    size_t n = 0;
    for (uint32_t i = 0; n < 300000; i++) {
        // local.get 0; i32.const k; i32.mul; i32.load offset; local.get 1; i32.xor; local.set 1; ...
        c.u8(0x20).uleb(0).u8(0x41).sleb(i * 2654435761u % 1000).u8(0x6a);
        c.u8(0x28).uleb(2).uleb(i % 4096);
        c.u8(0x20).uleb(1).u8(0x73).u8(0x21).uleb(1);
        n += 7;
        if (i % 50 == 0) {  // some control flow
            c.u8(0x20).uleb(1).u8(0x04).u8(0x40).u8(0x20).uleb(0).u8(0x41).sleb(1).u8(0x6a).u8(0x21).uleb(0).u8(0x0b);
            n += 7;
        }
        iters.push_back(i);
    }
    c.u8(0x20).uleb(1);
    mb.func(t, body({1, 1, I32}, c));
    mb.export_func("big", 0);
    std::vector<uint8_t> wasm = mb.build();
    {
        // Huge: cut into chunk functions of units of their own (cgen/func_split.cpp).
        const std::string c = emitted_c(wasm, "300000-instructions");
        CHECK(c.find("struct lucet_s0 {") != std::string::npos);
        CHECK(c.find("uint64_t lucet_c0_3(lucet_vmctx *ctx, struct lucet_s0 *F, uint32_t at) {") != std::string::npos);
    }
    auto inst = compile_extreme("300000-instructions", wasm);
    for (uint32_t x0 : {0u, 1000u, 12345u}) {
        uint32_t x = x0, acc = 0;
        for (uint32_t i : iters) {
            uint32_t ea = x + i * 2654435761u % 1000 + i % 4096, v;
            std::memcpy(&v, mem.data() + ea, 4);
            acc ^= v;
            if (i % 50 == 0 && acc) x++;
        }
        CHECK(run_checks::run_i32(*inst, "big", {x0}) == acc);
    }
}

TEST_CASE("extreme: a function with 20,000 locals", "[extreme]") {
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    Bytes c;
    for (uint32_t i = 1; i <= 20000; i++) c.u8(0x20).uleb(i - 1).u8(0x41).sleb(i).u8(0x6a).u8(0x21).uleb(i);
    c.u8(0x20).uleb(20000);
    Bytes locals;
    locals.uleb(1).uleb(20000).u8(I32);
    mb.func(t, body(locals.b, c));
    mb.export_func("f", 0);
    auto inst = compile_extreme("20000-locals", mb.build());
    for (uint32_t x : {0u, 7u, 0xffffffffu}) CHECK(run_checks::run_i32(*inst, "f", {x}) == x + 200010000u);
}

TEST_CASE("extreme: 3,002 live locals of four types in frame arrays", "[extreme]") {
    // Above the cost model's threshold, locals live in per-type frame arrays
    // (cgen/cost_model.h). 1,000 each of i64, f64 and i32, all set before
    // any is read, then folded into an i64 and an f64 accumulator.
    constexpr uint8_t I64 = 0x7e, F64 = 0x7c;
    constexpr uint32_t kN = 1000, kAcc = 3 * kN + 1, kFacc = kAcc + 1;
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I64});
    Bytes c;
    auto f64_const = [&](double d) {
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        c.u8(0x44);
        for (int b = 0; b < 8; b++) c.u8(static_cast<uint8_t>(bits >> (8 * b)));
    };
    for (uint32_t k = 0; k < kN; k++) {
        c.u8(0x20).uleb(0).u8(0xad).u8(0x42).sleb(k).u8(0x7c).u8(0x21).uleb(1 + k);  // x + k (i64)
        c.u8(0x20).uleb(0).u8(0xb8);                                                // f64(x) + k
        f64_const(k);
        c.u8(0xa0).u8(0x21).uleb(1 + kN + k);
        c.u8(0x20).uleb(0).u8(0x41).sleb(k).u8(0x73).u8(0x21).uleb(1 + 2 * kN + k);  // x ^ k
    }
    for (uint32_t k = 0; k < kN; k++) {
        // acc += l64_k * (2k + 1) + l32_k; facc += lf64_k
        c.u8(0x20).uleb(kAcc).u8(0x20).uleb(1 + k).u8(0x42).sleb(2 * k + 1).u8(0x7e).u8(0x7c);
        c.u8(0x20).uleb(1 + 2 * kN + k).u8(0xad).u8(0x7c).u8(0x21).uleb(kAcc);
        c.u8(0x20).uleb(kFacc).u8(0x20).uleb(1 + kN + k).u8(0xa0).u8(0x21).uleb(kFacc);
    }
    c.u8(0x20).uleb(kAcc).u8(0x20).uleb(kFacc).u8(0xb1).u8(0x7c);  // acc + i64.trunc_f64_u(facc)
    Bytes locals;
    locals.uleb(5).uleb(kN).u8(I64).uleb(kN).u8(F64).uleb(kN).u8(I32).uleb(1).u8(I64).uleb(1).u8(F64);
    mb.export_func("f", mb.func(t, body(locals.b, c)));
    auto inst = compile_extreme("3002-mixed-locals", mb.build());
    for (uint32_t x : {0u, 3u, 0x12345u, 0xfffffff0u}) {
        uint64_t acc = 0;
        double facc = 0;
        for (uint32_t k = 0; k < kN; k++) {
            acc += (uint64_t{x} + k) * (2 * k + 1) + (x ^ k);
            facc += static_cast<double>(x) + k;
        }
        acc += static_cast<uint64_t>(facc);
        lucet::RunResult r = run_checks::run(*inst, "f", {x});
        REQUIRE(r.values.size() == 1);
        CHECK(r.values[0].bits == acc);
    }
}

TEST_CASE("extreme: 50,000 values on the operand stack", "[extreme]") {
    // The validator's cap. Float loads on top of the deep stack, then drops:
    // every drop forces pending loads, which once scanned the whole stack.
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    mb.memory = {0x00, 0x01};
    Bytes c;
    for (uint32_t i = 0; i < 49998; i++) c.u8(0x41).sleb(i == 0 ? 0x2468ace : i);  // the bottom one is returned
    c.u8(0x20).uleb(0).u8(0x2a).uleb(2).uleb(0);  // local.get 0; f32.load
    c.u8(0x1a);                                   // drop
    for (uint32_t i = 0; i < 49997; i++) c.u8(0x1a);
    mb.func(t, body({0}, c));
    mb.export_func("f", 0);
    auto inst = compile_extreme("deep-stack", mb.build());
    CHECK(run_checks::run_i32(*inst, "f", {0}) == 0x2468ace);
    CHECK(run_checks::run_i32(*inst, "f", {65532}) == 0x2468ace);
    // The dropped load still happens, and traps out of bounds.
    run_checks::expect_trap(run_checks::run(*inst, "f", {65533}), LUCET_TRAP_HEAP_OOB);
}

TEST_CASE("extreme: 5,000 nested blocks", "[extreme]") {
    // Block i (counted from the innermost) holds `br_if d_i` on x & i, then
    // x += 1; a taken branch skips the increments of blocks i..i+d_i.
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    constexpr uint32_t kDepth = 5000;
    auto depth = [](uint32_t i) { return (i % 97) % (kDepth - i); };
    Bytes c;
    for (uint32_t i = 0; i < kDepth; i++) c.u8(0x02).u8(0x40);
    for (uint32_t i = 0; i < kDepth; i++) {
        // local.get 0; i32.const i; i32.and; br_if d; local.get 0; i32.const 1; i32.add; local.set 0; end
        c.u8(0x20).uleb(0).u8(0x41).sleb(i).u8(0x71).u8(0x0d).uleb(depth(i));
        c.u8(0x20).uleb(0).u8(0x41).sleb(1).u8(0x6a).u8(0x21).uleb(0).u8(0x0b);
    }
    c.u8(0x20).uleb(0);
    mb.func(t, body({0}, c));
    mb.export_func("f", 0);
    auto inst = compile_extreme("5000-nested-blocks", mb.build());
    for (uint32_t x0 : {0u, 1u, 64u, 4096u, 0x12345678u}) {
        uint32_t x = x0;
        for (uint32_t i = 0; i < kDepth;) {
            if (x & i) {
                i += depth(i) + 1;
            } else {
                x++;
                i++;
            }
        }
        CHECK(run_checks::run_i32(*inst, "f", {x0}) == x);
    }
}

TEST_CASE("extreme: a br_table with 100,000 targets", "[extreme]") {
    // Index i < 100,000 branches out of block (i * 7919) % 16, others out of
    // block 15; leaving block k adds k, k + 1, ..., 15 to x.
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    Bytes c;
    for (int i = 0; i < 16; i++) c.u8(0x02).u8(0x40);
    c.u8(0x20).uleb(0).u8(0x0e).uleb(100000);
    for (uint32_t i = 0; i < 100000; i++) c.uleb((i * 7919u) % 16);
    c.uleb(15);
    for (int i = 0; i < 16; i++) c.u8(0x0b).u8(0x41).sleb(i).u8(0x20).uleb(0).u8(0x6a).u8(0x21).uleb(0);
    c.u8(0x20).uleb(0);
    mb.func(t, body({0}, c));
    mb.export_func("bt", 0);
    auto inst = compile_extreme("br_table-100000", mb.build());
    for (uint32_t x : {0u, 1u, 2u, 15u, 16u, 12345u, 50001u, 99998u, 99999u, 100000u, 100001u, 0xffffffffu}) {
        uint32_t k = x < 100000 ? (x * 7919u) % 16 : 15, want = x;
        for (uint32_t j = k; j < 16; j++) want += j;
        CHECK(run_checks::run_i32(*inst, "bt", {x}) == want);
    }
}

TEST_CASE("extreme: 20,000 globals", "[extreme]") {
    // g_i = i, each exported; f(x) adds x to every third global, returns g_19998.
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    constexpr uint32_t kGlobals = 20000;
    Bytes g;
    for (uint32_t i = 0; i < kGlobals; i++) g.u8(I32).u8(1).u8(0x41).sleb(i).u8(0x0b);
    mb.globals = g.b;
    mb.nglobals = kGlobals;
    for (uint32_t i = 0; i < kGlobals; i++) mb.export_global("g" + std::to_string(i), i);
    Bytes c;
    for (uint32_t i = 0; i < kGlobals; i += 3) c.u8(0x23).uleb(i).u8(0x20).uleb(0).u8(0x6a).u8(0x24).uleb(i);
    c.u8(0x23).uleb(19998);
    mb.export_func("f", mb.func(t, body({0}, c)));
    auto inst = compile_extreme("20000-globals", mb.build());
    std::vector<uint32_t> model(kGlobals);
    for (uint32_t i = 0; i < kGlobals; i++) model[i] = i;
    auto check_all = [&] {
        uint32_t wrong = 0, first_wrong = kGlobals;
        for (uint32_t i = 0; i < kGlobals; i++) {
            auto v = inst->get_global("g" + std::to_string(i));
            if (!v || static_cast<uint32_t>(v->bits) != model[i]) {
                wrong++;
                first_wrong = std::min(first_wrong, i);
            }
        }
        INFO("first wrong global: " << first_wrong);
        CHECK(wrong == 0);
    };
    check_all();
    for (uint32_t x : {5u, 0x10000u}) {
        for (uint32_t i = 0; i < kGlobals; i += 3) model[i] += x;
        CHECK(run_checks::run_i32(*inst, "f", {x}) == model[19998]);
        check_all();
    }
}

TEST_CASE("extreme: a table with 20,000 entries", "[extreme]") {
    // Entry e holds f_{e % 8}(x) = x + e % 8; ci(x) calls entry x with x.
    ModuleBuilder mb;
    uint32_t t = mb.type({I32}, {I32});
    for (int i = 0; i < 8; i++) {
        Bytes c;
        c.u8(0x20).uleb(0).u8(0x41).sleb(i).u8(0x6a);
        mb.func(t, body({0}, c));
    }
    Bytes c;
    c.u8(0x20).uleb(0).u8(0x20).uleb(0).u8(0x11).uleb(t).uleb(0);
    mb.export_func("ci", mb.func(t, body({0}, c)));
    mb.table = {0x70, 0x00, 0xa0, 0x9c, 0x01};  // funcref, min 20000
    Bytes e;
    e.u8(0x00).u8(0x41).sleb(0).u8(0x0b).uleb(20000);
    for (uint32_t i = 0; i < 20000; i++) e.uleb(i % 8);
    mb.elems = e.b;
    mb.nelems = 1;
    auto inst = compile_extreme("table-20000", mb.build());
    for (uint32_t x : {0u, 1u, 7u, 8u, 13u, 9999u, 12345u, 19998u, 19999u})
        CHECK(run_checks::run_i32(*inst, "ci", {x}) == x + x % 8);
    run_checks::expect_trap(run_checks::run(*inst, "ci", {20000}), LUCET_TRAP_TABLE_OOB);
}

TEST_CASE("extreme: 20 MiB of data segments", "[extreme]") {
    // Segments sized to cross the emitter's unit bound (8 MiB) in every way:
    // exactly full (4 + 4 MiB), one byte starting a new unit, one segment
    // larger than a unit, an empty one, and one overlapping its predecessor
    // (the later segment wins). The bytes mix pseudo-random data (every byte
    // value: escapes), zero runs of 31, 32 and 33 bytes at and across
    // 2,048-byte chunk bounds, and long zero runs (`.zero`).
    ModuleBuilder mb;
    uint32_t t = mb.type({}, {I32}), tsum = mb.type({I32, I32}, {I32});
    Bytes c;
    c.u8(0x41).sleb(0).u8(0x28).uleb(2).uleb(0);
    mb.func(t, body({0}, c));
    mb.export_func("fnv1a", mb.func(tsum, fnv1a_body()));
    mb.memory = {0x00, 0x90, 0x03};  // 400 pages = 25 MiB
    std::vector<uint8_t> mem(400u << 16, 0);
    const struct { uint32_t offset, size; } segs[] = {
        {0, 4u << 20}, {4u << 20, 4u << 20}, {8u << 20, 1}, {(8u << 20) + 1, 9u << 20},
        {20u << 20, 0}, {16u << 20, 3u << 20},
    };
    uint32_t seed = 1;
    for (auto s : segs) {
        std::vector<uint8_t> bytes = data_bytes(s.size, seed++);
        mb.data(s.offset, bytes);
        std::copy(bytes.begin(), bytes.end(), mem.begin() + s.offset);
    }
    auto inst = compile_extreme("20MiB-data", mb.build());
    REQUIRE(inst->heap_len() == mem.size());
    // Every byte, as the host sees it...
    auto diff = std::mismatch(mem.begin(), mem.end(), inst->heap());
    CHECK(diff.first - mem.begin() == static_cast<ptrdiff_t>(mem.size()));
    // ...and as the compiled code reads it.
    CHECK(run_checks::run_i32(*inst, "fnv1a", {0, static_cast<uint32_t>(mem.size())}) ==
          run_checks::fnv1a(mem.data(), mem.size()));
}

TEST_CASE("large br_table goes through its lookup array", "[compiler]") {
    // 100 targets (> 64): the emitter uses a static index -> target array.
    std::string targets;
    for (int i = 0; i < 100; i++) targets += " " + std::to_string(i % 3);
    std::string wat = "(module (func (export \"bt\") (param i32) (result i32)\n"
                      "  (block (block (block (block\n"
                      "    local.get 0 br_table" + targets + " 3)\n"
                      "  i32.const 10 return) i32.const 11 return) i32.const 12 return) i32.const 13))";
    lucet::Module m;
    std::string so = compile_wat("brtable", wat, &m);
    Loaded l;
    l.load(so, m);
    CHECK(l.call1("bt", {0}) == 10);
    CHECK(l.call1("bt", {4}) == 11);
    CHECK(l.call1("bt", {98}) == 12);
    CHECK(l.call1("bt", {99}) == 10);
    CHECK(l.call1("bt", {100}) == 13);
    CHECK(l.call1("bt", {0xffffffffu}) == 13);
}

TEST_CASE("call_indirect reads a constant slot array only for tables nobody can change", "[compiler]") {
    // (Their behaviour: test/spec/codegen/const_tables.wast.)
    const std::string funcs = R"((type $ii (func (param i32) (result i32)))
        (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
        (func (export "ii") (param i32 i32) (result i32) (call_indirect (type $ii) (local.get 0) (local.get 1))))";
    auto c_of = [&](const std::string &name, const std::string &rest) {
        return emitted_c(wat_to_wasm(name, "(module " + rest + funcs + ")"), name);
    };
    auto calls = [](const std::string &c, const char *helper) {
        size_t n = 0;
        for (size_t at = c.find(helper); at != std::string::npos; at = c.find(helper, at + 1)) n++;
        return n;
    };
    // Constant: the slots are a read-only array with the function in slot 1.
    std::string c = c_of("ct_const", R"((table $t 3 funcref) (elem (i32.const 1) $inc))");
    CHECK(calls(c, "lucet_cci(ctx") == 1);
    CHECK(calls(c, "lucet_ci(ctx") == 0);
    CHECK(c.find("LUCET_HIDDEN const lucet_const_elem lucet_ctab0[3] = {\n{0, 0},\n{1u, (void *)") != std::string::npos);
    // Not constant: each way the slots or the size could change, or name
    // another instance's function, or be out of reach at compile time.
    const std::pair<const char *, const char *> others[] = {
        {"ct_exported", R"((table $t (export "t") 3 funcref) (elem (i32.const 1) $inc))"},
        {"ct_set", R"((table $t 3 funcref) (elem (i32.const 1) $inc)
                      (func (export "s") (table.set $t (i32.const 0) (table.get $t (i32.const 1)))))"},
        {"ct_grow", R"((table $t 3 funcref) (func (export "g") (result i32) (table.grow $t (ref.null func) (i32.const 1))))"},
        {"ct_fill", R"((table $t 3 funcref) (func (export "f") (table.fill $t (i32.const 0) (ref.null func) (i32.const 1))))"},
        {"ct_copy", R"((table $t 3 funcref) (func (export "c") (table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))))"},
        {"ct_init", R"((table $t 3 funcref) (elem $e func $inc)
                       (func (export "i") (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 1))))"},
        {"ct_imported_func", R"((import "m" "f" (func $h (param i32) (result i32)))
                                (table $t 3 funcref) (elem (i32.const 0) $h))"},
        {"ct_global_offset", R"((import "m" "g" (global $g i32)) (table $t 3 funcref) (elem (global.get $g) $inc))"},
        {"ct_empty", R"((table $t 0 funcref))"},
        {"ct_huge", R"((table $t 65537 funcref) (elem (i32.const 1) $inc))"},
        {"ct_imported_table", R"((import "m" "t" (table $t 3 funcref)))"},
    };
    for (const auto &[name, rest] : others) {
        INFO(name);
        std::string oc = c_of(name, rest);
        CHECK(calls(oc, "lucet_cci(ctx") == 0);
        CHECK(calls(oc, "lucet_ci(ctx") == 1);
        CHECK(oc.find("lucet_ctab") == std::string::npos);
    }
    // The largest constant table; two large ones share the budget (65,536
    // slots): the first is constant, the second not.
    CHECK(calls(c_of("ct_max", R"((table $t 65536 funcref) (elem (i32.const 65535) $inc))"), "lucet_cci(ctx") == 1);
    std::string two = c_of("ct_two", R"((table $a 40000 funcref) (table $b 40000 funcref))");
    CHECK(two.find("lucet_ctab0[40000]") != std::string::npos);
    CHECK(two.find("lucet_ctab1") == std::string::npos);
}
