// lucetc: compile a WebAssembly module to a Lucet module shared object.
//
//   lucetc INPUT.wasm -o OUTPUT.so [--opt-level 0|1|2] [--reserved-size SIZE]
//          [--guard-size SIZE] [--emit so|c|obj] [-j N] [--keep-temps]
//          [--max-memory SIZE] [--max-time SECONDS] [--target-cpu CPU]
//          [--signature-create --signature-sk SK_FILE]
//   lucetc --signature-keygen --signature-sk SK_FILE --signature-pk PK_FILE
//
// Exit status: 0 success, 1 bad module or compiler failure, 2 bad usage.
#include <CLI/CLI.hpp>

#include <sodium.h>

#include <cstdio>
#include <new>
#include <map>
#include <optional>
#include <string>

#include "compiler/cc_driver.h"
#include "compiler/compiler.h"
#include "compiler/tty_progress.h"
#include "util/cpu_features.h"
#include "util/module_signature.h"
#include "util/size.h"

namespace {

// CLI11 validator for "4 GiB" / "64MiB" / "4096".
struct SizeValidator : public CLI::Validator {
    SizeValidator() {
        name_ = "SIZE";
        func_ = [](std::string &s) -> std::string {
            auto r = lucet::parse_size(s);
            if (!r.ok()) return "invalid size '" + s + "': " + r.error().to_string();
            return {};
        };
    }
};

}  // namespace

int main(int argc, char **argv) try {
    CLI::App app{"lucetc: compile a WebAssembly module to a Lucet module (.so)"};
    app.set_version_flag("-V,--version", std::string(lucet::compiler_version()));

    std::string input, output, reserved = "4 GiB", guard = "4 GiB", emit = "so";
    int opt_level = 2;
    unsigned jobs = 0;
    bool keep_temps = false;
    std::string target_cpu = "x86-64";
    app.add_option("input", input, "WebAssembly module (.wasm)")->check(CLI::ExistingFile);
    app.add_option("-o,--output", output, "output file (.so, or .c / .o with --emit)");
    app.add_option("--opt-level", opt_level, "C compiler optimisation level")
        ->check(CLI::IsMember({0, 1, 2}))
        ->capture_default_str();
    app.add_option("--reserved-size", reserved, "heap address space reserved per instance")
        ->check(SizeValidator())
        ->capture_default_str();
    app.add_option("--guard-size", guard, "guard region after the heap reservation")
        ->check(SizeValidator())
        ->capture_default_str();
    app.add_option("--emit", emit, "output kind")->check(CLI::IsMember({"so", "c", "obj"}))->capture_default_str();
    app.add_option("-j,--jobs", jobs, "parallel C compiler processes (default: number of cores)")
        ->check(CLI::Range(1u, 1024u));
    app.add_flag("--keep-temps", keep_temps, "keep the generated C and object files");
    app.add_option("--target-cpu", target_cpu,
                   "CPU the code may assume: x86-64 (any x86-64 CPU; the default, because a .so may be copied to "
                   "another machine), x86-64-v2, x86-64-v3, x86-64-v4 (psABI levels: SSE4.2, AVX2, AVX-512), or "
                   "native (this machine's CPU). A module needing features a CPU lacks is refused when loaded there")
        ->capture_default_str();
    std::string max_memory = "2 GiB";
    uint64_t max_time = lucet::kDefaultMaxCompileSeconds;
    app.add_option("--max-memory", max_memory,
                   "address space of each C compiler process; a unit over it fails the compile (0: no limit)")
        ->check(SizeValidator())
        ->capture_default_str();
    app.add_option("--max-time", max_time,
                   "seconds the whole compile may take (and CPU seconds per C compiler process; 0: no limit)")
        ->capture_default_str();
    bool verbose = false;
    app.add_flag("-v,--verbose", verbose, "when the C compiler fails, show its command line too (its output is always shown)");
    // Module signatures (Lucet's option names; format in util/module_signature.h).
    bool sig_keygen = false, sig_create = false;
    std::string sig_sk, sig_pk;
    app.add_flag("--signature-keygen", sig_keygen,
                 "create an Ed25519 key pair in the --signature-sk and --signature-pk files, and exit");
    app.add_flag("--signature-create", sig_create, "sign the output .so with the --signature-sk key");
    app.add_option("--signature-sk", sig_sk, "secret key file");
    app.add_option("--signature-pk", sig_pk, "public key file");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }

    auto usage = [](const std::string &msg) {
        std::fprintf(stderr, "lucetc: error: %s\nRun with --help for more information.\n", msg.c_str());
        return 2;
    };
    if (sig_keygen) {
        if (sig_sk.empty() || sig_pk.empty()) return usage("--signature-keygen needs --signature-sk and --signature-pk");
        if (!input.empty() || !output.empty() || sig_create)
            return usage("--signature-keygen only makes a key pair: give no module, -o or --signature-create");
        lucet::Status st = lucet::sig::generate_key_files(sig_sk, sig_pk);
        if (!st.ok()) {
            std::fprintf(stderr, "lucetc: %s\n", st.error().to_string().c_str());
            return 1;
        }
        return 0;
    }
    if (auto t = lucet::cpu::parse_target(target_cpu); !t.ok()) return usage("--target-cpu: " + t.error().to_string());
    if (input.empty()) return usage("input is required");
    if (output.empty()) return usage("--output is required");
    if (sig_create && sig_sk.empty()) return usage("--signature-create needs --signature-sk");
    if (sig_create && emit != "so") return usage("--signature-create signs a .so: it cannot be used with --emit " + emit);
    if (!sig_create && !sig_sk.empty()) return usage("--signature-sk is only used with --signature-create or --signature-keygen");
    if (!sig_pk.empty()) return usage("--signature-pk is only used with --signature-keygen");
    std::optional<lucet::sig::SecretKey> sk;
    if (sig_create) {
        auto k = lucet::sig::read_secret_key(sig_sk);
        if (!k.ok()) {
            std::fprintf(stderr, "lucetc: %s\n", k.error().to_string().c_str());
            return 1;
        }
        sk = *k;
    }

    lucet::CompileOptions opts;
    opts.opt_level = opt_level;
    opts.reserved_size = lucet::parse_size(reserved).value();
    opts.guard_size = lucet::parse_size(guard).value();
    opts.emit = emit == "c" ? lucet::EmitKind::C : emit == "obj" ? lucet::EmitKind::Object : lucet::EmitKind::SharedObject;
    opts.jobs = jobs;
    opts.keep_temps = keep_temps;
    opts.target_cpu = target_cpu;
    opts.max_memory = lucet::parse_size(max_memory).value();
    opts.max_time_seconds = max_time;
    opts.verbose = verbose;

    lucet::Status st;
    {
        lucet::ccdrv::KillJobsOnSignal kill_jobs_on_signal;
        lucet::TtyProgress progress("lucetc: compiling " + input);
        opts.progress = progress.callback();
        st = lucet::compile_file(input, output, opts);
    }
    if (st.ok() && sk) st = lucet::sig::sign_file(output, *sk);
    if (sk) sodium_memzero(sk->data(), sk->size());
    if (!st.ok()) {
        std::fprintf(stderr, "lucetc: %s\n", st.error().to_string().c_str());
        return 1;
    }
    return 0;
} catch (const std::bad_alloc &) {
    // Out of memory (a ulimit, a cgroup) while decoding, validating or
    // generating C: an error, not an abort.
    std::fprintf(stderr, "lucetc: error: out of memory (the module is too large for the memory this process may use)\n");
    return 1;
}
