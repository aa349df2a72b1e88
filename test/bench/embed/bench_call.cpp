// (2) host -> guest call of an empty export, and (3) guest -> host call of a
// no-op host function measured inside the guest.
#include "bench_util.h"

using namespace lucet;

namespace {

const char *kWat = R"WAT(
(module
  (import "env" "nop" (func $nop))
  (func (export "empty"))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "call_nop") (param $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $n)))
      (call $nop)
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l))))
)
)WAT";

void host_nop(lucet_vmctx *) { __asm__ volatile(""); }

}  // namespace

int main() {
    auto m = bench::compile_wat("calls", kWat);
    auto region = bench::make_region(1);
    auto inst_r = Instance::create(region, m, [](std::string_view, std::string_view f, ExternKind) -> Result<Extern> {
        if (f != "nop") return make_error("no such import");
        Extern e;
        e.kind = ExternKind::Func;
        e.code = reinterpret_cast<void *>(&host_nop);
        return e;
    });
    if (!inst_r) bench::die(inst_r.error().to_string());
    Instance &inst = **inst_r;

    // (2) Batches of 10000 calls; median of the per-call time of 200 batches.
    constexpr int kBatch = 10000, kBatches = 200;
    auto per_call = [&](auto &&call) {
        std::vector<double> t;
        for (int b = 0; b < kBatches + 5; b++) {
            double t0 = bench::now_ns();
            for (int i = 0; i < kBatch; i++) call();
            double t1 = bench::now_ns();
            if (b >= 5) t.push_back((t1 - t0) / kBatch);
        }
        return bench::median(t);
    };
    double by_name = per_call([&] {
        RunResult r = inst.run("empty", {});
        if (r.kind != RunResult::Kind::Returned) bench::die("empty did not return");
    });
    auto idx = inst.get_export("empty", ExternKind::Func);
    if (!idx) bench::die(idx.error().to_string());
    uint32_t empty_index = 0;
    for (uint32_t i = 0; i < m->desc().num_exports; i++)
        if (std::string_view(m->desc().exports[i].name, m->desc().exports[i].name_len) == "empty")
            empty_index = m->desc().exports[i].index;
    double by_index = per_call([&] {
        RunResult r = inst.run_func(empty_index, {});
        if (r.kind != RunResult::Kind::Returned) bench::die("empty did not return");
    });
    RunResult reused;
    double into = per_call([&] {
        inst.run("empty", {}, reused);
        if (reused.kind != RunResult::Kind::Returned) bench::die("empty did not return");
    });
    Val args[2] = {Val::i32(1), Val::i32(2)};
    double add = per_call([&] {
        RunResult r = inst.run("add", args);
        if (r.kind != RunResult::Kind::Returned || r.values[0].bits != 3) bench::die("add failed");
    });
    double add_into = per_call([&] {
        inst.run("add", args, reused);
        if (reused.kind != RunResult::Kind::Returned || reused.values[0].bits != 3) bench::die("add failed");
    });
    bench::report("host -> guest call of an empty export (run by name)", by_name, "ns", 20);
    std::printf("%-60s median %10.1f ns\n", "host -> guest call of an empty export (run_func by index)", by_index);
    // The issue-13 target: an empty call within 10 ns, with the RunResult
    // kept by the caller (Instance::run(name, args, out)).
    bench::report("host -> guest call of an empty export (run by name into a kept RunResult)", into, "ns", 10);
    std::printf("%-60s median %10.1f ns\n", "host -> guest call of add(i32,i32)->i32 (by name)", add);
    std::printf("%-60s median %10.1f ns\n", "host -> guest call of add(i32,i32)->i32 (into a kept RunResult)", add_into);

    // (3) One run making 10^7 calls, 15 times. (The loop without the call
    // is not worth measuring: cc deletes it.)
    constexpr uint32_t kCalls = 10'000'000;
    auto per_iter = [&](const char *name) {
        std::vector<double> t;
        Val n[1] = {Val::i32(kCalls)};
        for (int rep = 0; rep < 15; rep++) {
            double t0 = bench::now_ns();
            RunResult r = inst.run(name, n);
            double t1 = bench::now_ns();
            if (r.kind != RunResult::Kind::Returned) bench::die(std::string(name) + " did not return");
            t.push_back((t1 - t0) / kCalls);
        }
        return bench::median(t);
    };
    double with_call = per_iter("call_nop");
    bench::report("guest -> host call of a no-op host function (per loop iteration)", with_call, "ns", 10);
    return bench::exit_status();
}
