// (1) instantiate + run an empty export + release, on a warm region, for a
// module with 1 MiB of data segments (mapped copy-on-write from the module's
// .so) and, for comparison, one with 2 KiB (segments under a page: copied).
#include "bench_util.h"

using namespace lucet;

namespace {

std::string data_module(size_t bytes, size_t segments) {
    std::string wat = "(module (memory " + std::to_string(bytes / 65536 + 2) + ")\n";
    size_t per = bytes / segments;
    for (size_t s = 0; s < segments; s++) {
        std::string chunk(per, static_cast<char>('a' + s % 26));
        wat += "  (data (i32.const " + std::to_string(s * per) + ") \"" + chunk + "\")\n";
    }
    wat += "  (func (export \"empty\")))\n";
    return wat;
}

double measure(const std::shared_ptr<DlModule> &m, int iters) {
    auto region = bench::make_region(4);
    auto imports = bench::no_imports();
    std::vector<double> t;
    t.reserve(iters);
    for (int i = 0; i < iters + 100; i++) {  // the first 100 warm up the slot
        double t0 = bench::now_ns();
        auto inst = Instance::create(region, m, imports);
        if (!inst) bench::die(inst.error().to_string());
        RunResult r = (*inst)->run("empty", {});
        if (r.kind != RunResult::Kind::Returned) bench::die("empty did not return");
        inst = make_error("released");
        double t1 = bench::now_ns();
        if (i >= 100) t.push_back(t1 - t0);
    }
    return bench::median(t);
}

}  // namespace

int main() {
    auto big = bench::compile_wat("data_1m", data_module(1 << 20, 16));
    auto small = bench::compile_wat("data_2k", data_module(2 << 10, 2));
    double us_big = measure(big, 3000) / 1000;
    double us_small = measure(small, 3000) / 1000;
    bench::report("instantiate + run empty + release, 1 MiB data (CoW image)", us_big, "us", 10);
    std::printf("%-60s median %10.1f us\n", "instantiate + run empty + release, 2 KiB data (copied)", us_small);
    return bench::exit_status();
}
