// bench_path_resolve: path resolution stays linear in the path's length.
// Resolves "a/../" x k (k = 25 ... 800, the longest within the 4095-byte
// limit) beneath a scratch directory and prints the median time per
// component for each k; fails when the longest costs more than 3x per
// component what the shortest does (quadratic work would be ~30x). Also
// times the refusal of a 64 MiB path (nametoolong before any work).
// Run with `meson test -C build --benchmark --suite wasi -v`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "wasi/path_resolve.h"

using namespace lucet::wasi;
using Clock = std::chrono::steady_clock;

namespace {

double median_ns(int base, const std::string &path, int runs) {
    std::vector<double> t;
    for (int r = 0; r < runs; r++) {
        auto start = Clock::now();
        ResolvedPath rp;
        Errno e = resolve_path(base, path, FinalLink::NoFollow, rp);
        t.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count());
        if (e != Errno::SUCCESS && e != Errno::NAMETOOLONG) {
            std::fprintf(stderr, "resolve_path failed with errno %d\n", int(e));
            std::exit(1);
        }
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

std::string repeat(const std::string &unit, size_t k) {
    std::string s;
    s.reserve(unit.size() * k);
    for (size_t i = 0; i < k; i++) s += unit;
    return s;
}

}  // namespace

int main() {
    char tmpl[] = "/tmp/lucet-bench-resolve.XXXXXX";
    if (!mkdtemp(tmpl)) return 1;
    std::string dir = tmpl;
    mkdir((dir + "/a").c_str(), 0755);
    int base = open(tmpl, O_RDONLY | O_DIRECTORY);
    if (base < 0) return 1;

    double first = 0, last = 0;
    for (size_t k : {25, 50, 100, 200, 400, 800}) {
        std::string p = repeat("a/../", k);
        double ns = median_ns(base, p, 21);
        double per = ns / double(2 * k);
        std::printf("\"a/../\" x %4zu (%4zu bytes): median %9.0f ns, %6.0f ns per component\n", k, p.size(), ns, per);
        if (first == 0) first = per;
        last = per;
    }
    std::string huge = repeat("a/../", (64u << 20) / 5);
    double refuse = median_ns(base, huge, 21);
    std::printf("64 MiB path: nametoolong in %.0f ns (median)\n", refuse);
    double ratio = last / first;
    std::printf("per-component cost, longest / shortest: %.2f (target < 3)\n", ratio);

    close(base);
    rmdir((dir + "/a").c_str());
    rmdir(tmpl);
    return ratio < 3 && refuse < 1e6 ? 0 : 1;
}
