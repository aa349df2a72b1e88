// cpu_features.cpp: see cpu_features.h.
#include "util/cpu_features.h"

#include <cpuid.h>
#if defined(__GLIBC__) && __has_include(<sys/platform/x86.h>)
// glibc >= 2.33: the cpuid words its loader read. The header's inline
// helpers return C's _Bool, which clang++ (the fuzz build) does not know.
#define _Bool bool
#include <sys/platform/x86.h>
#undef _Bool
#define LUCET_GLIBC_CPUID 1
#endif

#include <cstdio>

#include "abi/lucet_abi.h"

namespace lucet::cpu {

namespace {

enum Reg { EAX, EBX, ECX, EDX };
// Register state the OS must have enabled (XCR0) for a feature to be usable.
enum State { kNone = 0, kAvx = 0x6, kAvx512 = 0xe6 };

struct Location {
    uint32_t leaf, subleaf;
    Reg reg;
    unsigned bit;
    unsigned state;
};

struct Entry {
    Feature f;
    Location at;
};

constexpr uint32_t kExt = 0x80000001;

#define F(NAME, name, macro, leaf, sub, reg, bit, state) {{LUCET_CPU_##NAME, name, macro}, {leaf, sub, reg, bit, state}}
const Entry kTable[] = {
    F(SSE3, "sse3", "__SSE3__", 1, 0, ECX, 0, kNone),
    F(SSSE3, "ssse3", "__SSSE3__", 1, 0, ECX, 9, kNone),
    F(SSE4_1, "sse4.1", "__SSE4_1__", 1, 0, ECX, 19, kNone),
    F(SSE4_2, "sse4.2", "__SSE4_2__", 1, 0, ECX, 20, kNone),
    F(POPCNT, "popcnt", "__POPCNT__", 1, 0, ECX, 23, kNone),
    F(CX16, "cx16", "__GCC_HAVE_SYNC_COMPARE_AND_SWAP_16", 1, 0, ECX, 13, kNone),
    F(LAHF_SAHF, "sahf", "__LAHF_SAHF__", kExt, 0, ECX, 0, kNone),
    F(AVX, "avx", "__AVX__", 1, 0, ECX, 28, kAvx),
    F(AVX2, "avx2", "__AVX2__", 7, 0, EBX, 5, kAvx),
    F(BMI, "bmi", "__BMI__", 7, 0, EBX, 3, kNone),
    F(BMI2, "bmi2", "__BMI2__", 7, 0, EBX, 8, kNone),
    F(F16C, "f16c", "__F16C__", 1, 0, ECX, 29, kAvx),
    F(FMA, "fma", "__FMA__", 1, 0, ECX, 12, kAvx),
    F(LZCNT, "lzcnt", "__LZCNT__", kExt, 0, ECX, 5, kNone),
    F(MOVBE, "movbe", "__MOVBE__", 1, 0, ECX, 22, kNone),
    F(XSAVE, "xsave", "__XSAVE__", 1, 0, ECX, 26, kNone),
    F(AVX512F, "avx512f", "__AVX512F__", 7, 0, EBX, 16, kAvx512),
    F(AVX512BW, "avx512bw", "__AVX512BW__", 7, 0, EBX, 30, kAvx512),
    F(AVX512CD, "avx512cd", "__AVX512CD__", 7, 0, EBX, 28, kAvx512),
    F(AVX512DQ, "avx512dq", "__AVX512DQ__", 7, 0, EBX, 17, kAvx512),
    F(AVX512VL, "avx512vl", "__AVX512VL__", 7, 0, EBX, 31, kAvx512),
    F(AVX512IFMA, "avx512ifma", "__AVX512IFMA__", 7, 0, EBX, 21, kAvx512),
    F(AVX512VBMI, "avx512vbmi", "__AVX512VBMI__", 7, 0, ECX, 1, kAvx512),
    F(AVX512VBMI2, "avx512vbmi2", "__AVX512VBMI2__", 7, 0, ECX, 6, kAvx512),
    F(AVX512VNNI, "avx512vnni", "__AVX512VNNI__", 7, 0, ECX, 11, kAvx512),
    F(AVX512BITALG, "avx512bitalg", "__AVX512BITALG__", 7, 0, ECX, 12, kAvx512),
    F(AVX512VPOPCNTDQ, "avx512vpopcntdq", "__AVX512VPOPCNTDQ__", 7, 0, ECX, 14, kAvx512),
    F(AVX512BF16, "avx512bf16", "__AVX512BF16__", 7, 1, EAX, 5, kAvx512),
    F(AVX512FP16, "avx512fp16", "__AVX512FP16__", 7, 0, EDX, 23, kAvx512),
    F(AVX512ER, "avx512er", "__AVX512ER__", 7, 0, EBX, 27, kAvx512),
    F(AVX512PF, "avx512pf", "__AVX512PF__", 7, 0, EBX, 26, kAvx512),
    F(AVXVNNI, "avxvnni", "__AVXVNNI__", 7, 1, EAX, 4, kAvx),
    F(ADX, "adx", "__ADX__", 7, 0, EBX, 19, kNone),
    F(AES, "aes", "__AES__", 1, 0, ECX, 25, kNone),
    F(PCLMUL, "pclmul", "__PCLMUL__", 1, 0, ECX, 1, kNone),
    F(VPCLMULQDQ, "vpclmulqdq", "__VPCLMULQDQ__", 7, 0, ECX, 10, kAvx),
    F(VAES, "vaes", "__VAES__", 7, 0, ECX, 9, kAvx),
    F(GFNI, "gfni", "__GFNI__", 7, 0, ECX, 8, kNone),
    F(SHA, "sha", "__SHA__", 7, 0, EBX, 29, kNone),
    F(RDRND, "rdrnd", "__RDRND__", 1, 0, ECX, 30, kNone),
    F(RDSEED, "rdseed", "__RDSEED__", 7, 0, EBX, 18, kNone),
    F(PRFCHW, "prfchw", "__PRFCHW__", kExt, 0, ECX, 8, kNone),
    F(SSE4A, "sse4a", "__SSE4A__", kExt, 0, ECX, 6, kNone),
    F(FMA4, "fma4", "__FMA4__", kExt, 0, ECX, 16, kAvx),
    F(XOP, "xop", "__XOP__", kExt, 0, ECX, 11, kAvx),
    F(TBM, "tbm", "__TBM__", kExt, 0, ECX, 21, kNone),
};
#undef F
constexpr size_t kCount = sizeof kTable / sizeof kTable[0];
static_assert(kCount == 46 && LUCET_CPU_KNOWN_MASK == (1ull << kCount) - 1, "one table entry per LUCET_CPU_ bit");

struct Regs {
    uint32_t r[4] = {0, 0, 0, 0};
};

// cpuid(leaf, subleaf), all zero when the leaf is beyond the CPU's maximum.
Regs query(uint32_t leaf, uint32_t subleaf) {
    Regs q;
    uint32_t max = __get_cpuid_max(leaf & 0x80000000u, nullptr);
    if (max < leaf) return q;
    __cpuid_count(leaf, subleaf, q.r[EAX], q.r[EBX], q.r[ECX], q.r[EDX]);
    return q;
}

uint64_t xcr0(const Regs &l1) {
    if (!(l1.r[ECX] & (1u << 27))) return 0;  // no OSXSAVE: no xgetbv, no AVX state
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t(hi) << 32) | lo;
}

// The four cpuid leaves the table reads. In a virtual machine every cpuid
// traps to the hypervisor (about 6 us on the Xeon VM of the start-up
// benchmark; one query per table entry, 92 of them, was a quarter of
// `lucet-wasi hello.so`'s start-up), so they are taken from glibc, whose
// dynamic loader read them at start-up and keeps the raw words, and queried
// once each where glibc does not offer them.
struct Leaves {
    Regs l1, l7, l71, ext1;
    const Regs &at(const Location &loc) const {
        if (loc.leaf == kExt) return ext1;
        if (loc.leaf == 7) return loc.subleaf ? l71 : l7;
        return l1;
    }
};

Leaves read_leaves() {
    Leaves l;
#ifdef LUCET_GLIBC_CPUID
    auto get = [](unsigned index, Regs &q) {
        const cpuid_feature *f = __x86_get_cpuid_feature_leaf(index);
        for (int i = 0; i < 4; i++) q.r[i] = f->cpuid_array[i];  // eax, ebx, ecx, edx
    };
    get(CPUID_INDEX_1, l.l1);
    get(CPUID_INDEX_7, l.l7);
    get(CPUID_INDEX_7_ECX_1, l.l71);
    get(CPUID_INDEX_80000001, l.ext1);
#else
    uint32_t max = __get_cpuid_max(0, nullptr), max_ext = __get_cpuid_max(0x80000000u, nullptr);
    auto get = [](uint32_t leaf, uint32_t sub, Regs &q) {
        __cpuid_count(leaf, sub, q.r[EAX], q.r[EBX], q.r[ECX], q.r[EDX]);
    };
    if (max >= 1) get(1, 0, l.l1);
    if (max >= 7) {
        get(7, 0, l.l7);
        if (l.l7.r[EAX] >= 1) get(7, 1, l.l71);  // EAX of leaf 7.0: the highest subleaf
    }
    if (max_ext >= kExt) get(kExt, 0, l.ext1);
#endif
    return l;
}

uint64_t detect() {
    Leaves l = read_leaves();
    uint64_t xcr = xcr0(l.l1), have = 0;
    for (const Entry &e : kTable) {
        bool cpu = (l.at(e.at).r[e.at.reg] >> e.at.bit) & 1;
        bool os = (xcr & e.at.state) == e.at.state;
        if (cpu && os) have |= e.f.bit;
    }
    return have;
}

std::string identify() {
    Regs v = query(0, 0);
    char vendor[13] = {};
    __builtin_memcpy(vendor, &v.r[EBX], 4);
    __builtin_memcpy(vendor + 4, &v.r[EDX], 4);
    __builtin_memcpy(vendor + 8, &v.r[ECX], 4);
    Leaves l = read_leaves();
    const Regs &l1 = l.l1, &l7 = l.l7, &l71 = l.l71, &e1 = l.ext1;
    char buf[256];
    // Leaf 1 EBX (APIC id, differs per core) is left out.
    std::snprintf(buf, sizeof buf,
                  "%s sig=%08x l1=%08x:%08x l7=%08x:%08x:%08x l7.1=%08x ext1=%08x:%08x xcr0=%llx features=%llx", vendor,
                  l1.r[EAX], l1.r[ECX], l1.r[EDX], l7.r[EBX], l7.r[ECX], l7.r[EDX], l71.r[EAX], e1.r[ECX], e1.r[EDX],
                  static_cast<unsigned long long>(xcr0(l1)), static_cast<unsigned long long>(host_features()));
    return buf;
}

constexpr uint64_t kV2 = LUCET_CPU_CX16 | LUCET_CPU_LAHF_SAHF | LUCET_CPU_POPCNT | LUCET_CPU_SSE3 | LUCET_CPU_SSE4_1 |
                         LUCET_CPU_SSE4_2 | LUCET_CPU_SSSE3;
constexpr uint64_t kV3 = kV2 | LUCET_CPU_AVX | LUCET_CPU_AVX2 | LUCET_CPU_BMI | LUCET_CPU_BMI2 | LUCET_CPU_F16C |
                         LUCET_CPU_FMA | LUCET_CPU_LZCNT | LUCET_CPU_MOVBE | LUCET_CPU_XSAVE;
constexpr uint64_t kV4 = kV3 | LUCET_CPU_AVX512F | LUCET_CPU_AVX512BW | LUCET_CPU_AVX512CD | LUCET_CPU_AVX512DQ |
                         LUCET_CPU_AVX512VL;

struct TargetName {
    Target t;
    const char *name;
};
const TargetName kTargets[] = {{Target::Native, "native"},
                               {Target::X86_64, "x86-64"},
                               {Target::V2, "x86-64-v2"},
                               {Target::V3, "x86-64-v3"},
                               {Target::V4, "x86-64-v4"}};

}  // namespace

const Feature *features(size_t &count) {
    static Feature list[kCount];
    static bool filled = [] {
        for (size_t i = 0; i < kCount; i++) list[i] = kTable[i].f;
        return true;
    }();
    (void)filled;
    count = kCount;
    return list;
}

uint64_t known_mask() { return LUCET_CPU_KNOWN_MASK; }

uint64_t host_features() {
    static const uint64_t have = detect();
    return have;
}

const std::string &host_identity() {
    static const std::string id = identify();
    return id;
}

std::string names(uint64_t mask) {
    std::string out;
    auto add = [&](const std::string &s) { out += (out.empty() ? "" : ", ") + s; };
    for (const Entry &e : kTable)
        if (mask & e.f.bit) add(e.f.name);
    for (unsigned b = 0; b < 64; b++)
        if ((mask >> b & 1) && !((LUCET_CPU_KNOWN_MASK >> b) & 1)) add("bit " + std::to_string(b));
    return out;
}

Result<Target> parse_target(const std::string &name) {
    for (const TargetName &t : kTargets)
        if (name == t.name) return t.t;
    return make_error("unknown target CPU '" + name + "': expected one of " + target_list());
}

const char *target_name(Target t) {
    for (const TargetName &n : kTargets)
        if (n.t == t) return n.name;
    return "?";
}

const char *target_list() { return "native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4"; }

uint64_t level_features(Target t) {
    switch (t) {
    case Target::Native: return host_features();
    case Target::X86_64: return 0;
    case Target::V2: return kV2;
    case Target::V3: return kV3;
    case Target::V4: return kV4;
    }
    return 0;
}

std::string covering_level(uint64_t mask) {
    for (Target t : {Target::X86_64, Target::V2, Target::V3, Target::V4})
        if ((mask & ~level_features(t)) == 0) return target_name(t);
    return "";
}

}  // namespace lucet::cpu
