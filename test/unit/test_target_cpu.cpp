// test_target_cpu.cpp: lucetc's --target-cpu end to end (CompileOptions::target_cpu):
// a module compiled for each target records in its descriptor exactly the
// CPU features cc was allowed to use, runs where the CPU has them and is
// refused (never a SIGILL) where it does not; bad targets are errors; the
// cache key tells the targets apart and resolves "native".
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "abi/lucet_abi.h"
#include "compiler/cache_key.h"
#include "compiler/compiler.h"
#include "rt_test_modules.h"
#include "util/cpu_features.h"

using namespace lucet;

namespace {

// A loop gcc vectorizes when the target allows wider vectors, so the code of
// each target differs.
const char *kWat = R"WAT(
(module
  (memory 1)
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.shl (local.get $i) (i32.const 2)) (i32.mul (local.get $i) (i32.const 3)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $i (i32.const 0))
    (block $done2 (loop $l2
      (br_if $done2 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $s (i32.add (local.get $s) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2)))
    (local.get $s))
)
)WAT";

}  // namespace

TEST_CASE("each --target-cpu level: descriptor records its features; runs or is refused", "[cpu]") {
    using cpu::Target;
    const uint64_t host = cpu::host_features();
    for (Target t : {Target::X86_64, Target::V2, Target::V3, Target::V4, Target::Native}) {
        const std::string name = cpu::target_name(t);
        DYNAMIC_SECTION(name) {
            std::string dir = rt_test::temp_dir();
            std::string wat = dir + "/sum.wat", wasm = dir + "/sum.wasm", so = dir + "/sum-" + name + ".so";
            std::ofstream(wat) << kWat;
            const char *w2w = getenv("LUCET_TEST_WAT2WASM");
            REQUIRE(std::system((std::string(w2w ? w2w : "wat2wasm") + " " + wat + " -o " + wasm).c_str()) == 0);
            CompileOptions opts;
            opts.jobs = 1;
            opts.target_cpu = name;
            Status st = compile_file(wasm, so, opts);
            if (!st) FAIL(st.error().to_string());
            const uint64_t level = cpu::level_features(t);
            auto m = DlModule::load(so);
            if ((level & ~host) != 0) {
                // This CPU lacks the level: refused, naming what is missing.
                REQUIRE_FALSE(m.ok());
                CHECK_THAT(m.error().message, Catch::Contains("refusing to load"));
                CHECK_THAT(m.error().message, Catch::Contains(cpu::names(level & ~host)));
                CHECK_THAT(m.error().message, Catch::Contains("(it needs " + name + ")"));
                continue;
            }
            if (!m) FAIL(m.error().to_string());
            const uint64_t recorded = (*m)->desc().cpu_features;
            INFO("recorded: " << cpu::names(recorded));
            if (t == Target::Native) {
                // What cc's -march=native enabled: within what this CPU has,
                // and at least the highest psABI level it has.
                CHECK((recorded & ~host) == 0);
                for (Target lv : {Target::V2, Target::V3, Target::V4})
                    if ((cpu::level_features(lv) & ~host) == 0) CHECK((cpu::level_features(lv) & ~recorded) == 0);
            } else {
                CHECK(recorded == level);
            }
            auto region = Region::create(1, RegionLimits{});
            REQUIRE(region.ok());
            auto inst = Instance::create(*region, *m, nullptr);
            REQUIRE(inst.ok());
            Val n[1] = {Val::i32(1000)};
            RunResult r = (*inst)->run("sum", n);
            REQUIRE(r.kind == RunResult::Kind::Returned);
            CHECK(r.values[0].bits == 3u * (999u * 1000u / 2u));
        }
    }
}

TEST_CASE("an unknown --target-cpu is an error naming the valid ones", "[cpu]") {
    for (const char *bad : {"", "x86-64-v5", "haswell", "NATIVE", "x86_64"}) {
        CompileOptions opts;
        opts.target_cpu = bad;
        Status st = compile_bytes({0, 'a', 's', 'm', 1, 0, 0, 0}, rt_test::temp_dir() + "/never.so", opts);
        REQUIRE_FALSE(st.ok());
        CHECK(st.error().message == std::string("unknown target CPU '") + bad +
                                        "': expected one of native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4");
        CHECK_FALSE(target_cpu_flags(opts).ok());
    }
    CHECK(cpu::parse_target("x86-64-v3").ok());
}

TEST_CASE("the cache key holds the target, and what native resolves to", "[cpu]") {
    const std::string bytes("\0asm\1\0\0\0", 8);
    CompileOptions opts;
    std::string keys[5];
    int i = 0;
    for (const char *t : {"x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4", "native"}) {
        opts.target_cpu = t;
        auto k = cache::cache_key(bytes, opts);
        REQUIRE(k.ok());
        for (int j = 0; j < i; j++) CHECK(keys[j] != k.value());
        keys[i++] = k.value();
    }
    opts.target_cpu = "native";
    std::string fp = code_fingerprint(opts);
    CHECK_THAT(fp, Catch::Contains("-march=native"));
    // The resolved CPU (vendor, model, cpuid feature words), so a cache shared
    // between machines never hands one machine's native code to another.
    CHECK_THAT(fp, Catch::Contains("host-cpu=" + cpu::host_identity()));
    CHECK_THAT(cpu::host_identity(), Catch::Contains("features="));
    opts.target_cpu = "x86-64-v2";
    CHECK_THAT(code_fingerprint(opts), !Catch::Contains("host-cpu="));
}

// host_features() reads each cpuid leaf once (a cpuid is a trap to the
// hypervisor in a VM): features of every leaf it reads (1, 7.0, 7.1,
// 0x80000001) must agree with the kernel's own reading, /proc/cpuinfo's
// flags (kernel names; the kernel also drops AVX flags without their XSAVE
// state, as host_features does).
TEST_CASE("host_features agrees with /proc/cpuinfo on each cpuid leaf it reads", "[cpu]") {
    std::ifstream in("/proc/cpuinfo");
    std::string line, flags;
    while (std::getline(in, line))
        if (line.rfind("flags", 0) == 0) {
            flags = " " + line.substr(line.find(':') + 1) + " ";
            break;
        }
    REQUIRE_FALSE(flags.empty());
    struct Pair {
        uint64_t bit;
        const char *kernel;
    };
    const Pair pairs[] = {
        {LUCET_CPU_SSE3, "pni"},          {LUCET_CPU_SSE4_2, "sse4_2"},    {LUCET_CPU_POPCNT, "popcnt"},  // leaf 1
        {LUCET_CPU_AVX, "avx"},           {LUCET_CPU_AES, "aes"},          {LUCET_CPU_MOVBE, "movbe"},
        {LUCET_CPU_AVX2, "avx2"},         {LUCET_CPU_BMI2, "bmi2"},        {LUCET_CPU_ADX, "adx"},  // leaf 7.0
        {LUCET_CPU_AVX512F, "avx512f"},   {LUCET_CPU_SHA, "sha_ni"},       {LUCET_CPU_GFNI, "gfni"},
        {LUCET_CPU_AVXVNNI, "avx_vnni"},  {LUCET_CPU_AVX512BF16, "avx512_bf16"},  // leaf 7.1
        {LUCET_CPU_LAHF_SAHF, "lahf_lm"}, {LUCET_CPU_LZCNT, "abm"},       // leaf 0x80000001
    };
    const uint64_t host = cpu::host_features();
    for (const Pair &p : pairs) {
        INFO(cpu::names(p.bit) << " (cpuinfo: " << p.kernel << ")");
        CHECK(bool(host & p.bit) == (flags.find(std::string(" ") + p.kernel + " ") != std::string::npos));
    }
    CHECK(cpu::host_features() == host);  // computed once
}
