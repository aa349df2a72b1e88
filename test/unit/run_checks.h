// run_checks.h: running compiled modules with the real runtime in unit tests
// (test_traps.cpp, and the [extreme] modules of test_compiler.cpp, which must
// compute the right results and hold every data byte, not only load).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/runtime.h"

namespace run_checks {

inline lucet::RunResult run(lucet::Instance &inst, const char *name, std::initializer_list<uint32_t> args) {
    std::vector<lucet::Val> v;
    for (uint32_t a : args) v.push_back(lucet::Val::i32(a));
    return inst.run(name, v);
}

// Runs an export that must return one i32.
inline uint32_t run_i32(lucet::Instance &inst, const char *name, std::initializer_list<uint32_t> args) {
    lucet::RunResult r = run(inst, name, args);
    if (r.kind != lucet::RunResult::Kind::Returned) {
        FAIL(std::string(name) + " did not return: " +
             (r.kind == lucet::RunResult::Kind::Trapped ? r.trap.to_string() : r.error.to_string()));
    }
    REQUIRE(r.values.size() == 1);
    REQUIRE(r.values[0].type == lucet::ValType::I32);
    return static_cast<uint32_t>(r.values[0].bits);
}

inline void expect_trap(const lucet::RunResult &r, lucet_trapcode code) {
    INFO("kind " << int(r.kind) << ": "
                 << (r.kind == lucet::RunResult::Kind::Trapped ? r.trap.to_string() : r.error.to_string()));
    REQUIRE(r.kind == lucet::RunResult::Kind::Trapped);
    CHECK(r.trap.code == code);
}

// Loads a compiled .so with the runtime and instantiates it without imports
// in a one-slot region of its own (the instance keeps both alive). The file
// may be removed afterwards.
inline std::shared_ptr<lucet::Instance> instantiate(const std::string &so) {
    auto m = lucet::DlModule::load(so);
    if (!m) FAIL("load " << so << ": " << m.error().to_string());
    auto region = lucet::Region::create(1, lucet::RegionLimits{});
    if (!region) FAIL("region: " << region.error().to_string());
    auto no_imports = [](std::string_view mod, std::string_view field,
                         lucet::ExternKind) -> lucet::Result<lucet::Extern> {
        return lucet::make_error("no import " + std::string(mod) + "." + std::string(field));
    };
    auto inst = lucet::Instance::create(*region, *m, no_imports);
    if (!inst) FAIL("instantiate " << so << ": " << inst.error().to_string());
    return *inst;
}

// FNV-1a (32 bits): the host's side of the guest checksums.
inline uint32_t fnv1a(const uint8_t *p, size_t n, uint32_t h = 0x811c9dc5u) {
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

}  // namespace run_checks
