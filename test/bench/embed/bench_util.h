// bench_util.h: shared helpers of the embedding benchmarks: compiling a
// .wat with the built compiler library, timing, medians.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "compiler/compiler.h"
#include "runtime/runtime.h"

namespace bench {

inline double now_ns() {
    return static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

[[noreturn]] inline void die(const std::string &what) {
    std::fprintf(stderr, "embed bench: %s\n", what.c_str());
    std::exit(1);
}

// Compiles `wat` (wat2wasm from $LUCET_BENCH_WAT2WASM or PATH, then the
// compiler library at -O2) into a temporary directory and loads it.
inline std::shared_ptr<lucet::DlModule> compile_wat(const std::string &name, const std::string &wat) {
    static std::string dir = [] {
        char tmpl[] = "/tmp/lucet-embed-bench-XXXXXX";
        const char *d = mkdtemp(tmpl);
        if (!d) die("mkdtemp failed");
        return std::string(d);
    }();
    std::string wat_path = dir + "/" + name + ".wat", wasm = dir + "/" + name + ".wasm", so = dir + "/" + name + ".so";
    std::ofstream(wat_path) << wat;
    const char *w2w = std::getenv("LUCET_BENCH_WAT2WASM");
    std::string cmd = std::string(w2w ? w2w : "wat2wasm") + " " + wat_path + " -o " + wasm;
    if (std::system(cmd.c_str()) != 0) die("wat2wasm failed: " + cmd);
    lucet::CompileOptions opts;
    opts.jobs = 1;
    lucet::Status st = lucet::compile_file(wasm, so, opts);
    if (!st) die("compile: " + st.error().to_string());
    auto m = lucet::DlModule::load(so);
    if (!m) die("load: " + m.error().to_string());
    return *m;
}

inline std::shared_ptr<lucet::Region> make_region(size_t n) {
    auto r = lucet::Region::create(n, lucet::RegionLimits{});
    if (!r) die(r.error().to_string());
    return *r;
}

inline lucet::ImportResolver no_imports() {
    return [](std::string_view m, std::string_view f, lucet::ExternKind) -> lucet::Result<lucet::Extern> {
        return lucet::make_error("no import " + std::string(m) + "." + std::string(f));
    };
}

// Targets missed so far by report().
inline int g_missed = 0;

inline void report(const char *what, double value, const char *unit, double target) {
    bool met = value < target;
    std::printf("%-60s median %10.1f %s   (target < %g %s: %s)\n", what, value, unit, target, unit,
                met ? "met" : "MISSED");
    if (!met) g_missed++;
}

// main's exit status: 1 when any reported target was missed (so
// `meson test --benchmark` fails), else 0.
inline int exit_status() {
    std::fflush(stdout);
    if (g_missed == 0) return 0;
    std::fprintf(stderr, "embed bench: %d target(s) MISSED\n", g_missed);
    return 1;
}

}  // namespace bench
