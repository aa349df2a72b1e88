// cpu_features.h: the x86-64 CPU features a module's code may need, in the
// vocabulary of lucet_module_desc.cpu_features (LUCET_CPU_* in
// abi/lucet_abi.h). The compiler names targets and keys its cache with them,
// the loader compares a module's needs with what the running CPU has.
#pragma once

#include <cstdint>
#include <string>

#include "util/result.h"

namespace lucet::cpu {

// One feature: its descriptor bit, its name as gcc spells it in -m<name> and
// /proc/cpuinfo mostly does ("avx512f", "sse4.2"), and the macro a C compiler
// predefines when it may use it ("__AVX512F__").
struct Feature {
    uint64_t bit;
    const char *name;
    const char *macro;
};

// Every feature the descriptor knows, in bit order; `count` is set.
const Feature *features(size_t &count);
// Every known bit.
uint64_t known_mask();

// The features this CPU has and the OS has enabled (XCR0 for the AVX and
// AVX-512 register state), from cpuid. Computed once per process.
uint64_t host_features();

// What the compiler's -march=native resolves from on this machine: vendor,
// family/model/stepping and the raw cpuid feature words (not the APIC id),
// as text for the compile cache's key. Computed once per process.
const std::string &host_identity();

// "avx512f, avx512bw"; unknown bits as "bit 57".
std::string names(uint64_t mask);

// The targets of --target-cpu.
enum class Target { Native, X86_64, V2, V3, V4 };
// "native", "x86-64", ... or an error naming the valid values.
Result<Target> parse_target(const std::string &name);
const char *target_name(Target t);
// "native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4"
const char *target_list();
// The features a psABI level requires (x86-64: none beyond SSE2; native: the host's).
uint64_t level_features(Target t);
// The lowest psABI level whose features cover `mask`, or "" if none does.
std::string covering_level(uint64_t mask);

}  // namespace lucet::cpu
