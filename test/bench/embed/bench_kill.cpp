// (5) Kill-switch latency: time from KillSwitch::terminate() on another
// thread to run() returning, for a guest spinning in `loop br 0`, and for a
// guest that is inside a host function (busy for 2 ms) when the kill comes.
#include <atomic>
#include <thread>

#include "bench_util.h"

using namespace lucet;

namespace {

const char *kWat = R"WAT(
(module
  (import "env" "started" (func $started))
  (import "env" "busy" (func $busy))
  (func (export "spin") (call $started) (loop $l (br $l)))
  (func (export "busy_then_spin") (call $started) (call $busy) (loop $l (br $l)))
)
)WAT";

std::atomic<int> g_started{0};
std::atomic<double> g_busy_end{0};

void host_started(lucet_vmctx *) { g_started.store(1); }
void host_busy(lucet_vmctx *) {
    double until = bench::now_ns() + 2e6;
    while (bench::now_ns() < until) {
    }
    g_busy_end.store(bench::now_ns());
}

}  // namespace

int main() {
    auto m = bench::compile_wat("kill", kWat);
    auto region = bench::make_region(1);
    auto inst_r = Instance::create(region, m, [](std::string_view, std::string_view f, ExternKind) -> Result<Extern> {
        Extern e;
        e.kind = ExternKind::Func;
        if (f == "started") e.code = reinterpret_cast<void *>(&host_started);
        else if (f == "busy") e.code = reinterpret_cast<void *>(&host_busy);
        else return make_error("no such import");
        return e;
    });
    if (!inst_r) bench::die(inst_r.error().to_string());
    Instance &inst = **inst_r;

    auto measure = [&](const char *name, double delay_ms, bool from_busy_end) {
        std::vector<double> lat;
        for (int i = 0; i < 200; i++) {
            g_started.store(0);
            auto ks = inst.kill_switch();
            std::atomic<double> t_kill{0};
            std::thread killer([&] {
                while (!g_started.load()) std::this_thread::yield();
                double until = bench::now_ns() + delay_ms * 1e6;
                while (bench::now_ns() < until) {
                }
                t_kill.store(bench::now_ns());
                if (!ks->terminate()) bench::die("terminate returned false");
            });
            RunResult r = inst.run(name, {});
            double t_end = bench::now_ns();
            killer.join();
            if (r.kind != RunResult::Kind::Exited || !r.killed) bench::die(std::string(name) + " was not killed");
            lat.push_back((t_end - (from_busy_end ? g_busy_end.load() : t_kill.load())) / 1e3);
        }
        return bench::median(lat);
    };
    double spin = measure("spin", 0.2, false);
    double host_total = measure("busy_then_spin", 0.5, false);
    double after_host = measure("busy_then_spin", 0.5, true);
    bench::report("kill switch: terminate() -> run() returns, loop br 0 guest", spin, "us", 10000);
    std::printf("%-60s median %10.1f us\n", "  killed during a 2 ms host function: terminate() -> return", host_total);
    std::printf("%-60s median %10.1f us\n", "  ... of which after the host function returned", after_host);
    return bench::exit_status();
}
