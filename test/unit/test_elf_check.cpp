// test_elf_check.cpp: module files are checked before dlopen (which would
// run their initialisers, IFUNC resolvers and needed libraries). Real .so
// files: one from lucetc (accepted), and gcc-built ones that differ from it
// in one way each (refused with a message naming the reason; the ones that
// would run code at dlopen leave no marker file). Then truncated and
// mutated files: the parser must refuse or accept, never crash (the _asan
// build runs it instrumented).
#include <elf.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "rt_test_modules.h"
#include "runtime/elf_check.h"
#include "runtime/runtime.h"
#include "trust_test_util.h"

using namespace lucet;
using trust_test::dir;

namespace {

constexpr const char *kWat = R"((module
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
  (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))))";

const std::string &lucetc_so() {
    static std::string so = trust_test::compile_wat("elf_good", kWat);
    return so;
}

// A raw system call, so that initialisers can leave a marker without libc.
constexpr const char *kMarkerHelper = R"C(
static long lucet_test_open_marker(void) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(2L), "D"(MARKER), "S"(0101L), "d"(0644L) : "rcx", "r11", "memory");
    return r;
}
)C";

// The hand-written main module (a valid lucet module) plus `extra`, linked with `flags`.
std::string variant(const std::string &name, const std::string &extra, const std::string &flags) {
    std::string marker = dir() + "/" + name + ".marker";
    std::string src = "#define MARKER \"" + marker + "\"\n" + rt_test::main_module_source({}) + kMarkerHelper + extra;
    return trust_test::cc_so(name, src, flags);
}

void expect_refused(const std::string &so, const std::string &reason) {
    auto m = DlModule::load(so);
    INFO(so);
    CHECK_FALSE(trust_test::exists(so.substr(0, so.size() - 3) + ".marker"));  // no code of it ran
    REQUIRE_FALSE(m.ok());
    CHECK_THAT(m.error().message, Catch::Contains(so + ": refusing to load: " + reason));
}

const std::string kPlain = "-nostdlib -Wl,-z,noexecstack";

}  // namespace

TEST_CASE("a module lucetc links is accepted", "[elf]") {
    auto bytes = trust_test::read_file(lucetc_so());
    CHECK(rt::check_module_elf("m.so", bytes).ok());
    auto m = DlModule::load(lucetc_so());
    REQUIRE(m.ok());
    // The support unit (nearest, memory.copy) works inside the module.
    auto region = Region::create(1, RegionLimits{});
    REQUIRE(region.ok());
    auto inst = Instance::create(*region, *m, rt_test::no_imports());
    REQUIRE(inst.ok());
    std::vector<Val> a{{ValType::F64, 0}};
    double x = -2.5, y;
    std::memcpy(&a[0].bits, &x, 8);
    RunResult r = (*inst)->run("nearest", a);
    REQUIRE(r.kind == RunResult::Kind::Returned);
    std::memcpy(&y, &r.values.at(0).bits, 8);
    CHECK(y == -2.0);
    std::vector<Val> c{Val::i32(17), Val::i32(16), Val::i32(5)};
    REQUIRE((*inst)->run("copy", c).kind == RunResult::Kind::Returned);
    CHECK(std::memcmp((*inst)->heap() + 16, "hhello", 6) == 0);
    // The same module linked the plain way of the hand-written test modules loads too.
    CHECK(DlModule::load(variant("plain", "", kPlain)).ok());
}

TEST_CASE("shared objects that would run code at dlopen are refused before it", "[elf]") {
    SECTION("a constructor, linked with libc as gcc does by default") {
        std::string so = variant("ctor_libc",
                                 "__attribute__((constructor)) static void ctor(void) { lucet_test_open_marker(); }\n", "");
        expect_refused(so, "DT_INIT_ARRAY present (constructors would run at dlopen)");
    }
    SECTION("a constructor without libc") {
        std::string so = variant("ctor_plain",
                                 "__attribute__((constructor)) static void ctor(void) { lucet_test_open_marker(); }\n",
                                 kPlain);
        expect_refused(so, "DT_INIT_ARRAY present (constructors would run at dlopen)");
    }
    SECTION("an IFUNC resolver") {
        std::string so = variant("ifunc",
                                 "static int real_f(void) { return 1; }\n"
                                 "static void *resolve_f(void) { lucet_test_open_marker(); return (void *)real_f; }\n"
                                 "HID int f_ifunc(void) __attribute__((ifunc(\"resolve_f\")));\n"
                                 "__attribute__((used)) static int (*volatile keep_f)(void) = f_ifunc;\n",
                                 kPlain);
        expect_refused(so, "R_X86_64_IRELATIVE relocation (an IFUNC resolver would run at dlopen)");
    }
    SECTION("a destructor") {
        std::string so = variant("dtor", "__attribute__((destructor)) static void dtor(void) { lucet_test_open_marker(); }\n",
                                 kPlain);
        expect_refused(so, "DT_FINI_ARRAY present (destructors would run at dlclose)");
    }
}

TEST_CASE("shared objects unlike lucetc's output are refused", "[elf]") {
    SECTION("a needed library") {
        expect_refused(variant("needed", "", kPlain + " -Wl,--no-as-needed -lm"),
                       "DT_NEEDED libm.so.6 present (would load another library");
    }
    SECTION("an executable stack") {
        expect_refused(variant("execstack", "", "-nostdlib -Wl,-z,execstack"), "executable stack requested");
    }
    SECTION("an undefined symbol") {
        expect_refused(variant("undef", "extern int puts(const char *); HID int use_puts(void) { return puts(\"x\"); }\n", kPlain),
                       "undefined symbol 'puts'");
    }
    SECTION("another exported symbol") {
        expect_refused(variant("export", "int extra_export(void) { return 1; }\n", kPlain),
                       "exports symbol 'extra_export' (a lucetc module exports only lucet_module)");
    }
    SECTION("no lucet_module") {
        std::string so = trust_test::cc_so("nodesc", "static int x; int *p(void) { return &x; }\n",
                                           kPlain + " -fvisibility=hidden");
        expect_refused(so, "no exported lucet_module");
    }
    SECTION("not ELF, an executable, a 32-bit object") {
        std::string junk = dir() + "/junk.so";
        trust_test::write_file(junk, "this is not an ELF file, just some text of reasonable length................");
        expect_refused(junk, "not an ELF file (bad magic number)");
        std::string empty = dir() + "/empty.so";
        trust_test::write_file(empty, "");
        expect_refused(empty, "not an ELF file (0 bytes)");
        std::string exe = dir() + "/prog";
        trust_test::write_file(exe + ".c", "int main(void) { return 0; }\n");
        REQUIRE(std::system(("cc -no-pie -o " + exe + " " + exe + ".c").c_str()) == 0);
        expect_refused(exe, "not a shared object (ELF type 2)");
    }
}

TEST_CASE("the ELF check survives truncated and mutated files", "[elf][fuzz]") {
    const std::vector<uint8_t> good = trust_test::read_file(lucetc_so());
    REQUIRE(good.size() > 4096);
    // Where the loaded bytes end, and where the dynamic section is.
    Elf64_Ehdr eh;
    std::memcpy(&eh, good.data(), sizeof eh);
    uint64_t loaded_end = 0, dyn_off = 0, dyn_size = 0;
    for (int i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        std::memcpy(&ph, good.data() + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type == PT_LOAD) loaded_end = std::max<uint64_t>(loaded_end, ph.p_offset + ph.p_filesz);
        if (ph.p_type == PT_DYNAMIC) dyn_off = ph.p_offset, dyn_size = ph.p_filesz;
    }
    REQUIRE(dyn_size > 0);

    // Every truncation that cuts into the loaded bytes is refused.
    for (uint64_t n = 0; n < good.size(); n += (n < 8192 ? 1 : 61)) {
        Status st = rt::check_module_elf("t.so", std::span<const uint8_t>(good.data(), n));
        if (n < loaded_end) {
            INFO("truncated to " << n << " bytes");
            CHECK_FALSE(st.ok());
        }
    }

    // Mutants: header, program headers, hash/symbol/string/relocation tables
    // (the first page), the dynamic section, and anywhere. Each must give a
    // verdict; the interesting part is that none crashes or reads out of
    // bounds (test_trust_asan).
    std::mt19937_64 rng(20261204);
    const uint64_t interesting[] = {0, 1, 8, 24, 0x7f, 0xff, 0x1000, good.size(), good.size() - 1, UINT32_MAX,
                                    uint64_t(INT64_MAX), UINT64_MAX, uint64_t(1) << 32, 0x6ffffef5, DT_NEEDED, DT_INIT};
    int refused = 0;
    constexpr int kMutants = 20000;
    for (int k = 0; k < kMutants; k++) {
        std::vector<uint8_t> m = good;
        int edits = 1 + static_cast<int>(rng() % 4);
        for (int e = 0; e < edits; e++) {
            uint64_t where = rng() % 4;
            uint64_t pos = where == 0 ? rng() % 4096
                           : where == 1 ? dyn_off + rng() % dyn_size
                           : where == 2 ? rng() % 512
                                        : rng() % m.size();
            switch (rng() % 3) {
            case 0: m[pos] = static_cast<uint8_t>(rng()); break;
            case 1: m[pos] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
            default: {
                uint64_t v = interesting[rng() % std::size(interesting)];
                size_t width = size_t(1) << (rng() % 4);  // 1, 2, 4, 8 bytes
                if (pos + width <= m.size()) std::memcpy(&m[pos], &v, width);
            }
            }
        }
        if (rng() % 8 == 0) m.resize(rng() % m.size());
        if (!rt::check_module_elf("mutant.so", m).ok()) refused++;
    }
    INFO(refused << " of " << kMutants << " mutants refused");
    CHECK(refused > kMutants / 4);
}
