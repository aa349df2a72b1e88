// test_host_call.cpp: the WASI host-call wrapper (src/wasi/host_call.h) lets
// no C++ exception unwind into generated code: a hostcall that throws
// std::bad_alloc gives the guest `nomem`, one that throws anything else
// stops the guest with a trap, and the instance stays usable.
#include <new>
#include <string>

#include "rt_test_modules.h"
#include "wasi/host_call.h"
#include "wasi/wasi.h"

using namespace lucet;
using wasi::Abi;
using wasi::Call;
using wasi::Errno;

namespace {

// A hostcall whose allocation the allocator refuses (1 PiB): std::bad_alloc.
Errno alloc_huge(Call &, uint32_t) {
    std::string s;
    s.reserve(size_t(1) << 50);
    return Errno::SUCCESS;
}

// A hostcall with a bug: std::out_of_range from a checked access.
Errno index_past_end(Call &, uint32_t i) {
    std::string s = "abc";
    return s.at(i) == 'a' ? Errno::SUCCESS : Errno::INVAL;
}

ImportResolver resolver() {
    return [](std::string_view module, std::string_view field, ExternKind) -> Result<Extern> {
        using Alloc = wasi::Host<&alloc_huge, Abi::Preview1>;
        using Index = wasi::Host<&index_past_end, Abi::Preview1>;
        Extern e;
        e.func_type = Alloc::type();
        if (module == "env" && field == "alloc_huge") e.code = reinterpret_cast<void *>(&Alloc::call);
        else if (module == "env" && field == "index") e.code = reinterpret_cast<void *>(&Index::call);
        else return make_error("no " + std::string(field));
        return e;
    };
}

}  // namespace

TEST_CASE("an exception in a WASI host call never unwinds into the guest", "[runtime][wasi]") {
    auto m = rt_test::compile_wat("host_exc", R"(
(module
  (import "env" "alloc_huge" (func $alloc (param i32) (result i32)))
  (import "env" "index" (func $index (param i32) (result i32)))
  (memory 1)
  (func (export "alloc") (result i32) (call $alloc (i32.const 0)))
  (func (export "index") (param i32) (result i32) (call $index (local.get 0))))
)");
    auto region = Region::create(1, RegionLimits{});
    REQUIRE(region);
    WasiCtx ctx;
    InstanceOptions opts;
    opts.wasi_ctx = &ctx;
    auto inst = Instance::create(*region, m, resolver(), opts);
    REQUIRE(inst);
    Instance &in = **inst;

    RunResult r = in.run("alloc", {});
    REQUIRE(r.kind == RunResult::Kind::Returned);
    CHECK(r.values.at(0).bits == uint64_t(Errno::NOMEM));

    r = in.run("index", std::vector<Val>{Val::i32(7)});
    REQUIRE(r.kind == RunResult::Kind::Trapped);
    CHECK(std::string(r.trap.message()) == "WASI host call failed: C++ exception");
    CHECK(r.trap.function == "func[3]");  // the guest function that made the call

    // The instance is fine afterwards, and the call works when it works.
    r = in.run("index", std::vector<Val>{Val::i32(0)});
    REQUIRE(r.kind == RunResult::Kind::Returned);
    CHECK(r.values.at(0).bits == 0);
}
