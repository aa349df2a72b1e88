// lucet-wasi: runs a WASI program compiled by lucetc (a .so), or a .wasm that
// it compiles first into a content-addressed cache.
//
//   lucet-wasi [OPTIONS] <lucet_module> [--] [guest_args]...
//
// Exit status: the guest's proc_exit code (low 8 bits, as for a native
// exit()), 0 when the entrypoint returns; 134 after a trap (with
// "lucet-wasi: trap: ..." on stderr); 2 for a usage error (bad option, bad
// size, missing module); 1 when the module cannot be compiled, loaded or
// instantiated (or --invoke names no exported function); 124 when
// --timeout stopped the guest. With --invoke NAME, the arguments after the
// module are the function's (parsed by its parameter types; a bad one is a
// usage error) and its results are printed one per line.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <new>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <iterator>
#include <string>
#include <vector>

#include "invoke.h"
#include "compiler/compile_cache.h"
#include "compiler/cc_driver.h"
#include "compiler/compiler.h"
#include "compiler/tty_progress.h"
#include "runtime/runtime.h"
#include "util/cpu_features.h"
#include "util/module_signature.h"
#include "util/size.h"
#include "wasi/wasi.h"

extern char **environ;

namespace {

constexpr const char *kUsage = "Usage: lucet-wasi [OPTIONS] <lucet_module> [--] [guest_args]...";
constexpr int kExitUsage = 2;
constexpr int kExitFailure = 1;
constexpr int kExitTrap = 134;  // 128 + SIGABRT, what a native program's abort() gives
constexpr int kExitTimeout = 124;  // what coreutils' timeout(1) gives

// Options that take a value; the pre-scan below must know them to find where
// the module path (and so the guest's arguments) begins.
const char *const kValueOptions[] = {"--entrypoint", "--heap-address-space", "--max-heap-size",
                                     "--dir", "--stack-size", "--env", "--timeout", "--max-fds",
                                     "--signature-pk", "--max-compile-memory", "--max-compile-time",
                                     "--invoke", "--dir-ro", "--stdin", "--stdout", "--stderr", "--target-cpu", "--profile"};

// The guest may hold max_fds fds: make sure the process may hold them and
// a margin for its own (the usual soft RLIMIT_NOFILE, 1024, would not),
// within the hard limit.
void raise_fd_limit(uint32_t max_fds) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    rlim_t want = rlim_t(max_fds) + 256;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want) return;
    rl.rlim_cur = (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) ? rl.rlim_max : want;
    setrlimit(RLIMIT_NOFILE, &rl);
}

// "10s", "1.5s", "500ms", "2m", "1h", "30" (seconds). Returns false if malformed.
bool parse_duration(const std::string &text, std::chrono::nanoseconds &out) {
    size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (...) {
        return false;
    }
    std::string unit = text.substr(used);
    double scale;
    if (unit.empty() || unit == "s") scale = 1e9;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "us") scale = 1e3;
    else if (unit == "m") scale = 60e9;
    else if (unit == "h") scale = 3600e9;
    else return false;
    if (!(v > 0) || v * scale > 1e18) return false;
    out = std::chrono::nanoseconds(static_cast<int64_t>(v * scale));
    return true;
}

// --timeout: stops the guest from another thread once the deadline passes,
// counted from before the start function. A kill switch aims at one run, so
// each run (the start function, _initialize, the entry point) is aimed at
// with target() just before it starts; one started after the deadline is
// stopped at once.
class Watchdog {
public:
    explicit Watchdog(std::chrono::nanoseconds after)
        : thread_([this, deadline = std::chrono::steady_clock::now() + after] {
              std::unique_lock<std::mutex> lock(mu_);
              if (cv_.wait_until(lock, deadline, [this] { return done_; })) return;
              fired_ = true;
              if (target_) target_->terminate();
          }) {}
    ~Watchdog() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            done_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    void target(std::shared_ptr<lucet::KillSwitch> ks) {
        std::lock_guard<std::mutex> lock(mu_);
        target_ = std::move(ks);
        if (fired_) target_->terminate();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false, fired_ = false;
    std::shared_ptr<lucet::KillSwitch> target_;
    std::thread thread_;  // last: started once the members it uses are
};

int usage_error(const std::string &msg) {
    std::fprintf(stderr, "lucet-wasi: error: %s\n%s\nTry 'lucet-wasi --help' for more information.\n",
                 msg.c_str(), kUsage);
    return kExitUsage;
}

class Formatter : public CLI::Formatter {
public:
    std::string make_usage(const CLI::App *, std::string) const override { return std::string(kUsage) + "\n"; }
};

// Everything after the module path belongs to the guest, even when it looks
// like an option (`lucet-wasi prog.so -v` passes -v to prog). Returns the
// index of the module path in argv, or argc if there is none before a `--`.
int find_module_arg(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--") return argc;
        if (a.size() > 1 && a[0] == '-') {
            for (const char *o : kValueOptions)
                if (a == o) {
                    i++;
                    break;
                }
            continue;
        }
        return i;
    }
    return argc;
}

// Reads the file, at most max_bytes of it (a .so is only sniffed: reading a
// large one whole would cost more than running it).
// Reads at most max_bytes of `path`; when `magic_first` is given, stops
// after that many bytes unless they are a WebAssembly module's magic number
// (a stream such as /dev/zero is refused at once, not after a GiB).
bool read_file(const std::string &path, std::string &out, size_t magic_first, size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.clear();
    if (magic_first && max_bytes > magic_first) {
        char head[4];
        size_t n = static_cast<size_t>(in.read(head, std::min<size_t>(magic_first, sizeof head)).gcount());
        out.assign(head, n);
        if (in.bad()) return false;
        if (n < 4 || std::memcmp(head, "\0asm", 4) != 0) return true;
    }
    // One allocation for the whole file (a 16 MiB module would otherwise be
    // copied at each doubling of the string).
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
        out.reserve(static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(st.st_size), max_bytes)));
    char buf[1 << 16];
    while (out.size() < max_bytes && in && in.read(buf, std::min(sizeof buf, max_bytes - out.size())).gcount() > 0)
        out.append(buf, static_cast<size_t>(in.gcount()));
    return !in.bad();
}

// Parses a size option and checks it is a positive multiple of 4 KiB.
bool parse_size_opt(const char *opt, const std::string &text, uint64_t &out, std::string &err) {
    auto r = lucet::parse_size(text);
    if (!r.ok()) {
        err = std::string(opt) + ": " + r.error().to_string();
        return false;
    }
    out = r.value();
    if (out == 0 || out % 4096 != 0) {
        err = std::string(opt) + ": " + text + " must be a non-zero multiple of 4 KiB";
        return false;
    }
    return true;
}

// The compile cache's options (a .wasm module is compiled through the cache).
struct CacheOptions {
    bool clear = false;
};

void add_cache_options(CLI::App &app, CacheOptions &co) {
    app.add_flag("--cache-clear", co.clear,
                 "Remove every compiled module from the .wasm compile cache (then run the module, if one is given)");
}

// Handles --cache-clear; false (after a message) when it failed.
bool run_cache_options(const CacheOptions &co) {
    if (!co.clear) return true;
    auto cache_dir = lucet::default_cache_dir();
    if (!cache_dir.ok()) {
        std::fprintf(stderr, "lucet-wasi: error: %s\n", cache_dir.error().to_string().c_str());
        return false;
    }
    const std::string &dir = cache_dir.value();
    auto removed = lucet::cache::clear(dir);
    if (!removed.ok()) {
        std::fprintf(stderr, "lucet-wasi: error: %s\n", removed.error().to_string().c_str());
        return false;
    }
    std::fprintf(stderr, "lucet-wasi: cache cleared: %llu modules (%s) removed from %s\n",
                 static_cast<unsigned long long>(removed.value().entries),
                 lucet::format_size(removed.value().bytes).c_str(), dir.c_str());
    return true;
}

// A --dir argument: "HOST::GUEST" (wasmtime's form, host first as in the
// C API), "GUEST:HOST" (Lucet's form, from the seed), or "PATH" for both.
// "::" is looked for first, so a path with a single ':' needs the
// HOST::GUEST form. false when a side is empty.
bool parse_dir(const std::string &d, std::string &guest, std::string &host) {
    size_t dc = d.find("::");
    size_t colon = d.find(':');
    if (dc != std::string::npos) {
        host = d.substr(0, dc);
        guest = d.substr(dc + 2);
    } else if (colon != std::string::npos) {
        guest = d.substr(0, colon);
        host = d.substr(colon + 1);
    } else {
        guest = host = d;
    }
    return !guest.empty() && !host.empty();
}

// The guest's environment: the host's unless inherit is false, then each
// --env: NAME=VALUE sets NAME, a bare NAME takes the host's value (skipped
// when the host has no NAME, as wasmtime does). A later NAME replaces an
// earlier one. false (with err set) on a malformed entry.
bool build_env(bool inherit, const std::vector<std::string> &envs, std::vector<std::string> &env, std::string &err) {
    if (inherit)
        for (char **e = environ; e && *e; e++) env.emplace_back(*e);
    for (const auto &arg : envs) {
        size_t eq = arg.find('=');
        std::string kv = arg;
        if (eq == 0 || arg.empty()) {
            err = "--env: expected NAME=VALUE or NAME, got '" + arg + "'";
            return false;
        }
        if (eq == std::string::npos) {
            const char *v = std::getenv(arg.c_str());
            if (!v) continue;
            kv = arg + "=" + v;
            eq = arg.size();
        }
        std::string prefix = kv.substr(0, eq + 1);
        std::erase_if(env, [&](const std::string &s) { return s.compare(0, prefix.size(), prefix) == 0; });
        env.push_back(kv);
    }
    return true;
}

// --invoke: the function's type, from the module, before instantiating it.
// Prints the error and returns nullopt when there is no such function.
std::optional<std::vector<lucet::Val>> invoke_args(const lucet::DlModule &m, const std::string &name,
                                                   const std::vector<std::string> &args, int &status) {
    auto ft = lucet::cli::find_func_export(m, name);
    if (!ft.ok()) {
        std::fprintf(stderr, "lucet-wasi: error: %s\n", ft.error().to_string().c_str());
        status = kExitFailure;
        return std::nullopt;
    }
    auto vals = lucet::cli::parse_args(name, *ft, args);
    if (!vals.ok()) {
        status = usage_error(vals.error().to_string());
        return std::nullopt;
    }
    return std::move(vals.value());
}

void print_results(const std::vector<lucet::Val> &values) {
    for (const auto &v : values) std::printf("%s\n", lucet::cli::format_result(v).c_str());
    std::fflush(stdout);
}


// The command line's options, with their defaults.
struct Options {
    std::string entrypoint = "_start";
    bool entrypoint_given = false;
    std::string invoke;
    std::string heap_as_text = "8 GiB", max_heap_text = "4 GiB", stack_text = "8 MiB";
    std::vector<std::string> dirs, ro_dirs, envs, guest_args;
    // --dir and --dir-ro values in command-line order (read-only, value): the
    // guest's preopen fds are numbered in that order (3, 4, ...).
    std::vector<std::pair<bool, std::string>> preopen_specs;
    std::string module_path;
    std::string stdio_files[3];
    bool no_inherit_env = false;
    std::string timeout_text;
    bool sig_verify = false;
    std::string sig_pk_path;
    std::string max_fds_text;
    bool max_fds_given = false;
    std::string max_compile_memory_text = "2 GiB";
    uint64_t max_compile_time = lucet::kDefaultMaxCompileSeconds;
    std::string target_cpu = "native";
    std::string profile;
    bool verbose = false;
    CacheOptions cache_opts;
};

// Parses the command line into `o`; -1 to go on, else the exit status
// (--help, --version, a usage error).
int parse_command_line(int argc, char **argv, Options &o) {
    // Hand CLI11 only our part of the command line (up to the module path);
    // the rest goes to the guest verbatim.
    int mod_at = find_module_arg(argc, argv);
    std::vector<std::string> extra;
    int cli_argc = argc;
    if (mod_at < argc) {
        cli_argc = mod_at + 1;
        int k = mod_at + 1;
        if (k < argc && std::strcmp(argv[k], "--") == 0) k++;
        for (; k < argc; k++) extra.emplace_back(argv[k]);
    }
    // No option before the module (`lucet-wasi prog.so args...`, the common
    // case): every option keeps its default, and CLI11 is not needed.
    // Building its option table was a quarter of the launcher's start-up
    // instructions.
    if (mod_at == 1 && mod_at < argc) {
        o.module_path = argv[1];
        o.guest_args = std::move(extra);
        return -1;
    }
    CLI::App app{"Runs a WASI program compiled by lucetc (or a .wasm, compiled and cached on first use).",
                 "lucet-wasi"};
    app.formatter(std::make_shared<Formatter>());
    app.set_help_flag("-h,--help", "Prints help information");
    app.set_version_flag("-V,--version", std::string("lucet-wasi ") + LUCET_VERSION, "Prints version information");
    CLI::Option *entry_opt =
        app.add_option("--entrypoint", o.entrypoint, "Entrypoint to run within the WASI module [default: _start]")
            ->option_text("<entrypoint>");
    app.add_option("--invoke", o.invoke,
                   "Call the exported function NAME instead of the entrypoint, with the arguments after the module "
                   "parsed by its parameter types (i32, i64, f32, f64), and print its results one per line")
        ->option_text("<NAME>");
    app.add_option("--heap-address-space", o.heap_as_text,
                   "Maximum heap address space size (must be a multiple of 4 KiB, and >= `max-heap-size`) [default: 8 GiB]")
        ->option_text("<heap_address_space_size>");
    app.add_option("--max-heap-size", o.max_heap_text, "Maximum heap size (must be a multiple of 4 KiB) [default: 4 GiB]")
        ->option_text("<heap_memory_size>");
    CLI::Option *dir_opt = app.add_option("--dir", o.dirs,
                   "A directory to provide to the WASI guest: GUEST:HOST (the guest's path first, Lucet's form), "
                   "HOST::GUEST (the host's path first, wasmtime's form and the C API's order), or PATH for PATH:PATH")
        ->option_text("<preopen_dirs>...")->allow_extra_args(false);
    CLI::Option *dir_ro_opt = app.add_option("--dir-ro", o.ro_dirs,
                   "The same as --dir, read-only: the guest may open, read, stat and list below it, not create, "
                   "write, truncate, remove, rename or link (perm/notcapable)")
        ->option_text("<preopen_dirs>...")->allow_extra_args(false);
    app.add_option("--stdin", o.stdio_files[0], "The guest's stdin reads this file [default: lucet-wasi's stdin]")
        ->option_text("<file>");
    app.add_option("--stdout", o.stdio_files[1],
                   "The guest's stdout creates or truncates this file [default: lucet-wasi's stdout]")
        ->option_text("<file>");
    app.add_option("--stderr", o.stdio_files[2],
                   "The guest's stderr creates or truncates this file [default: lucet-wasi's stderr]")
        ->option_text("<file>");
    app.add_option("--stack-size", o.stack_text, "Maximum stack size (must be a multiple of 4 KiB) [default: 8 MiB]")
        ->option_text("<stack_size>");
    app.add_option("--env", o.envs,
                   "An environment variable for the guest: NAME=VALUE, or NAME for the host's value of NAME "
                   "(added to the inherited ones)")
        ->option_text("<NAME[=VALUE]>...")->allow_extra_args(false);
    app.add_flag("--no-inherit-env", o.no_inherit_env,
                 "Start the guest from an empty environment (only the --env variables) [default: the guest "
                 "inherits lucet-wasi's environment]");
    app.add_option("--timeout", o.timeout_text,
                   "Stop the guest after this long (e.g. 10s, 500ms, 2m; a bare number is seconds); exit status 124")
        ->option_text("<duration>");
    // Module signatures (Lucet's options): require a valid signature by a key.
    app.add_flag("--signature-verify", o.sig_verify,
                 "Refuse a module without a valid signature by the --signature-pk key (a .wasm is refused: it cannot carry one)");
    app.add_option("--signature-pk", o.sig_pk_path, "Public key file for --signature-verify (from lucetc --signature-keygen)")
        ->option_text("<public_key_file>");
    CLI::Option *max_fds_opt = app.add_option("--max-fds", o.max_fds_text,
                   "Most fds the guest may have open at once, stdio and preopens included (then errno nfile) [default: 1024]")
        ->option_text("<n>");
    // Bounds of compiling a .wasm (lucetc's --max-memory and --max-time).
    app.add_option("--max-compile-memory", o.max_compile_memory_text,
                   "Compiling a .wasm: address space of each C compiler process, else exit 1 (0: no limit) [default: 2 GiB]")
        ->option_text("<size>");
    app.add_option("--max-compile-time", o.max_compile_time,
                   "Compiling a .wasm: seconds it may take, else exit 1 (0: no limit) [default: 300]")
        ->option_text("<seconds>");
    app.add_option("--target-cpu", o.target_cpu,
                   "Compiling a .wasm: the CPU the code may assume: native (this machine's; the cached .so stays "
                   "here), x86-64, x86-64-v2, x86-64-v3 or x86-64-v4 [default: native]")
        ->option_text("<cpu>");
    app.add_option("--profile", o.profile,
                   "perfmap: write /tmp/perf-PID.map naming the module's functions for `perf report` (the module is "
                   "loaded from a memfd, whose ELF symbols perf cannot read); the file is left for perf")
        ->option_text("<strategy>")->check(CLI::IsMember({"perfmap"}));
    app.add_flag("-v,--verbose", o.verbose,
                 "When compiling a .wasm fails in the C compiler, show its command line too (its output is always shown)");
    add_cache_options(app, o.cache_opts);
    app.add_option("lucet_module", o.module_path, "Path to the `lucetc`-compiled WASI module");
    app.add_option("guest_args", o.guest_args, "Arguments to the WASI `main` function");

    try {
        app.parse(cli_argc, argv);
    } catch (const CLI::ParseError &e) {
        if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
        return usage_error(e.what());
    }
    // One parse_order entry per occurrence, one value per occurrence.
    size_t next_rw = 0, next_ro = 0;
    for (const CLI::Option *opt : app.parse_order()) {
        if (opt == dir_opt && next_rw < o.dirs.size()) o.preopen_specs.emplace_back(false, o.dirs[next_rw++]);
        if (opt == dir_ro_opt && next_ro < o.ro_dirs.size()) o.preopen_specs.emplace_back(true, o.ro_dirs[next_ro++]);
    }
    if (next_rw != o.dirs.size() || next_ro != o.ro_dirs.size())
        return usage_error("--dir/--dir-ro: the values do not match the options given (one value per option)");
    o.entrypoint_given = entry_opt->count() > 0;
    o.max_fds_given = max_fds_opt->count() > 0;
    o.guest_args.insert(o.guest_args.end(), extra.begin(), extra.end());
    return -1;
}

// The exit status for the guest's run, after printing --invoke's results or
// what stopped the guest.
int report(const lucet::RunResult &r, bool invoked, const std::string &timeout_text) {
    switch (r.kind) {
    case lucet::RunResult::Kind::Returned:
        if (invoked) print_results(r.values);
        return 0;
    case lucet::RunResult::Kind::Exited:
        if (r.killed) {
            std::fprintf(stderr, "lucet-wasi: timed out after %s: the guest was stopped\n", timeout_text.c_str());
            return kExitTimeout;
        }
        return static_cast<int>(r.exit_code & 0xff);
    case lucet::RunResult::Kind::Yielded:
        std::fprintf(stderr, "lucet-wasi: error: the guest yielded, which a WASI program cannot do\n");
        return kExitFailure;
    case lucet::RunResult::Kind::Trapped:
        std::fprintf(stderr, "lucet-wasi: trap: %s\n%s", r.trap.to_string().c_str(),
                     r.trap.backtrace_string().c_str());
        return kExitTrap;
    case lucet::RunResult::Kind::Error:
        std::fprintf(stderr, "lucet-wasi: error: %s\n", r.error.to_string().c_str());
        return kExitFailure;
    }
    return kExitFailure;
}

}  // namespace

int main(int argc, char **argv) try {
    Options o;
    if (int status = parse_command_line(argc, argv, o); status >= 0) return status;
    const std::string &entrypoint = o.entrypoint, &invoke = o.invoke, &module_path = o.module_path;
    const std::string &heap_as_text = o.heap_as_text, &max_heap_text = o.max_heap_text, &stack_text = o.stack_text;
    const std::vector<std::string> &envs = o.envs, &guest_args = o.guest_args;
    const std::string(&stdio_files)[3] = o.stdio_files;
    const std::string &timeout_text = o.timeout_text, &sig_pk_path = o.sig_pk_path, &max_fds_text = o.max_fds_text;
    const std::string &max_compile_memory_text = o.max_compile_memory_text, &target_cpu = o.target_cpu;
    const std::string &profile = o.profile;
    const bool no_inherit_env = o.no_inherit_env, sig_verify = o.sig_verify, verbose = o.verbose;
    const uint64_t max_compile_time = o.max_compile_time;
    const CacheOptions &cache_opts = o.cache_opts;
    if (!run_cache_options(cache_opts)) return kExitFailure;
    if (module_path.empty()) {
        if (cache_opts.clear) return 0;
        return usage_error("lucet_module is required");
    }

    if (auto t = lucet::cpu::parse_target(target_cpu); !t.ok())
        return usage_error("--target-cpu: " + t.error().to_string());

    // Limits.
    lucet::RegionLimits limits;
    std::string err;
    auto max_compile_mem = lucet::parse_size(max_compile_memory_text);
    if (!max_compile_mem.ok()) return usage_error("--max-compile-memory: " + max_compile_mem.error().to_string());
    const uint64_t max_compile_memory = max_compile_mem.value();
    if (!parse_size_opt("--heap-address-space", heap_as_text, limits.heap_address_space, err) ||
        !parse_size_opt("--max-heap-size", max_heap_text, limits.max_heap_size, err) ||
        !parse_size_opt("--stack-size", stack_text, limits.stack_size, err))
        return usage_error(err);
    if (limits.heap_address_space < limits.max_heap_size)
        return usage_error("heap address space (" + lucet::format_size(limits.heap_address_space) +
                           ") must be >= max heap size (" + lucet::format_size(limits.max_heap_size) + ")");
    if (auto st = limits.validate(); !st.ok()) return usage_error(st.error().to_string());

    lucet::ModuleLoadOptions load_opts;
    if (sig_verify && sig_pk_path.empty()) return usage_error("--signature-verify needs --signature-pk <public_key_file>");
    if (!sig_verify && !sig_pk_path.empty()) return usage_error("--signature-pk is only used with --signature-verify");
    if (sig_verify) {
        auto pk = lucet::sig::read_public_key(sig_pk_path);
        if (!pk.ok()) return usage_error("--signature-pk: " + pk.error().to_string());
        load_opts.signature_public_key = *pk;
    }

    std::chrono::nanoseconds timeout{0};
    if (!timeout_text.empty() && !parse_duration(timeout_text, timeout))
        return usage_error("--timeout: expected a positive duration like 10s, 500ms or 2m, got '" + timeout_text + "'");

    uint32_t max_fds = lucet::WasiCtx::kDefaultMaxFds;
    if (o.max_fds_given) {
        char *end = nullptr;
        errno = 0;
        unsigned long long v = std::strtoull(max_fds_text.c_str(), &end, 10);
        if (max_fds_text.empty() || !std::isdigit(static_cast<unsigned char>(max_fds_text[0])) || errno || *end || v == 0 ||
            v > lucet::WasiCtx::kMaxFdsLimit)
            return usage_error("--max-fds: expected a number from 1 to " +
                               std::to_string(lucet::WasiCtx::kMaxFdsLimit) + ", got '" + max_fds_text + "'");
        max_fds = static_cast<uint32_t>(v);
    }
    raise_fd_limit(max_fds);

    if (!invoke.empty() && o.entrypoint_given)
        return usage_error("--invoke and --entrypoint both name the function to run: give one");

    std::vector<std::string> env;
    if (!build_env(!no_inherit_env, envs, env, err)) return usage_error(err);

    struct Preopen {
        std::string guest, host;
        bool read_only;
    };
    std::vector<Preopen> preopens;
    for (const auto &[ro, d] : o.preopen_specs) {
        std::string guest, host;
        if (!parse_dir(d, guest, host))
            return usage_error(std::string(ro ? "--dir-ro" : "--dir") +
                               ": expected GUEST:HOST, HOST::GUEST or PATH, got '" + d + "'");
        preopens.push_back({guest, host, ro});
    }

    // The module: a .wasm (by its magic number) is compiled through the cache.
    std::string bytes;
    // A pipe or a device (`lucet-wasi <(curl ...)`) can be read only once:
    // read whole (a .wasm at most) and compiled from those bytes.
    struct stat mst;
    const bool stream = stat(module_path.c_str(), &mst) == 0 && !S_ISREG(mst.st_mode) && !S_ISDIR(mst.st_mode);
    if (!read_file(module_path, bytes, 4, stream ? lucet::kMaxWasmBytes + 1 : 4))
        return usage_error("cannot read module '" + module_path + "': " + std::strerror(errno));
    if (stream && bytes.size() > lucet::kMaxWasmBytes) {
        std::fprintf(stderr, "lucet-wasi: error: %s: larger than the limit of %llu bytes for a module\n",
                     module_path.c_str(), static_cast<unsigned long long>(lucet::kMaxWasmBytes));
        return kExitFailure;
    }
    // A file with neither magic number: say so in the user's terms (an empty
    // x.wasm was "refusing to load: not an ELF file (0 bytes)"). (A stream
    // that is no .wasm is refused by the loader: not a regular file.)
    const bool is_wasm = bytes.size() >= 4 && std::memcmp(bytes.data(), "\0asm", 4) == 0;
    if (!is_wasm && !stream && (bytes.size() < 4 || std::memcmp(bytes.data(), "\x7f" "ELF", 4) != 0)) {
        std::fprintf(stderr,
                     "lucet-wasi: error: %s: not a module: it starts with neither the WebAssembly magic number "
                     "(\\0asm) nor ELF's (a .so from lucetc)%s\n",
                     module_path.c_str(), bytes.empty() ? " (the file is empty)" : "");
        return kExitFailure;
    }
    std::string so_path = module_path;
    lucet::UniqueFd cached_so;  // a .wasm's entry in the cache, as the cache verified it
    if (is_wasm) {
        if (load_opts.signature_public_key) {
            std::fprintf(stderr, "lucet-wasi: error: %s: refusing to load: --signature-verify runs only signed .so "
                         "modules, and a .wasm cannot carry a signature (compile it with lucetc --signature-create)\n",
                         module_path.c_str());
            return kExitFailure;
        }
        lucet::CompileOptions opts;
        opts.reserved_size = std::min<uint64_t>(limits.max_heap_size, 4ull << 30);
        opts.guard_size = std::min<uint64_t>(limits.heap_address_space - opts.reserved_size, 4ull << 30);
        opts.max_memory = max_compile_memory;
        opts.max_time_seconds = max_compile_time;
        opts.verbose = verbose;
        opts.target_cpu = target_cpu;
        lucet::Result<lucet::CachedModule> so = lucet::make_error("not compiled");
        {
            lucet::ccdrv::KillJobsOnSignal kill_jobs_on_signal;
            lucet::TtyProgress progress("lucet-wasi: compiling " + module_path);
            opts.progress = progress.callback();
            // Through the cache's .wasm index: an unchanged file is not even read.
            so = stream ? lucet::compile_cached(module_path, bytes, opts) : lucet::compile_cached(module_path, opts);
        }
        if (!so.ok()) {
            std::fprintf(stderr, "lucet-wasi: error: %s\n", so.error().to_string().c_str());
            return kExitFailure;
        }
        so_path = so.value().path;
        cached_so = std::move(so.value().file);
    }
    bytes.clear();
    bytes.shrink_to_fit();

    lucet::WasiCtx ctx;
    std::vector<std::string> args{module_path};
    args.insert(args.end(), guest_args.begin(), guest_args.end());
    ctx.set_args(std::move(args));
    ctx.set_env(std::move(env));
    ctx.set_max_fds(max_fds);
    if (auto st = ctx.inherit_stdio(); !st.ok()) {
        std::fprintf(stderr, "lucet-wasi: error: %s\n", st.error().to_string().c_str());
        return kExitFailure;
    }
    for (int i = 0; i < 3; i++) {
        if (stdio_files[i].empty()) continue;
        if (auto st = ctx.set_stdio_file(i, stdio_files[i]); !st.ok())
            return usage_error(std::string(i == 0 ? "--stdin" : i == 1 ? "--stdout" : "--stderr") + ": " +
                               st.error().to_string());
    }
    for (const auto &p : preopens) {
        if (auto st = ctx.preopen_dir(p.guest, p.host, p.read_only); !st.ok())
            return usage_error(std::string(p.read_only ? "--dir-ro: " : "--dir: ") + st.error().to_string());
    }

    auto module = cached_so ? lucet::DlModule::load(std::move(cached_so), so_path, load_opts)
                            : lucet::DlModule::load(so_path, load_opts);
    if (!module.ok()) {
        std::fprintf(stderr, "lucet-wasi: error: %s\n", module.error().to_string().c_str());
        return kExitFailure;
    }
    if (profile == "perfmap") {
        std::string map = "/tmp/perf-" + std::to_string(getpid()) + ".map";
        if (auto st = module.value()->append_perf_map(map); !st.ok()) {
            std::fprintf(stderr, "lucet-wasi: error: --profile=perfmap: %s\n", st.error().to_string().c_str());
            return kExitFailure;
        }
    }
    auto region = lucet::Region::create(1, limits);
    if (!region.ok()) {
        std::fprintf(stderr, "lucet-wasi: error: %s\n", region.error().to_string().c_str());
        return kExitFailure;
    }
    // Named here, with the user's module path (the runtime's message names
    // the loaded .so, the cache entry for a .wasm).
    if (invoke.empty() && !lucet::cli::find_func_export(*module.value(), entrypoint).ok()) {
        std::fprintf(stderr, "lucet-wasi: error: %s: the module exports no function named '%s'%s\n",
                     module_path.c_str(), entrypoint.c_str(),
                     o.entrypoint_given ? "" : " (a WASI command's entry point; --invoke runs another export)");
        return kExitFailure;
    }
    std::vector<lucet::Val> invoke_vals;
    if (!invoke.empty()) {
        int status = 0;
        auto vals = invoke_args(*module.value(), invoke, guest_args, status);
        if (!vals) return status;
        invoke_vals = std::move(*vals);
    }
    std::optional<Watchdog> watchdog;
    if (timeout.count() > 0) watchdog.emplace(timeout);
    // The start function runs under the timeout too (an endless one was
    // never stopped when create() ran it).
    lucet::InstanceOptions inst_opts;
    inst_opts.wasi_ctx = &ctx;
    inst_opts.run_start = false;
    auto inst = lucet::Instance::create(region.value(), module.value(), lucet::wasi_resolver(), inst_opts);
    lucet::Status started;
    lucet::RunResult r;
    auto run = [&](auto &&how) {
        if (watchdog) watchdog->target(inst.value()->kill_switch());
        r = how(*inst.value());
        return r.kind == lucet::RunResult::Kind::Returned;
    };
    if (inst.ok() && !run([](lucet::Instance &i) { return i.run_start(); }) && !r.killed)
        started = lucet::Instance::start_status(r);
    if (!inst.ok() || !started.ok()) {
        std::fprintf(stderr, "lucet-wasi: error: %s: %s\n", module_path.c_str(),
                     (inst.ok() ? started.error() : inst.error()).to_string().c_str());
        return kExitFailure;
    }
    if (r.kind == lucet::RunResult::Kind::Returned) {
        if (invoke.empty()) {
            run([&](lucet::Instance &i) { return i.run(entrypoint, {}); });
        } else {
            // A WASI reactor is initialised first (its ABI), as wasmtime does.
            if (invoke == "_initialize" || !lucet::cli::find_func_export(*module.value(), "_initialize").ok() ||
                run([](lucet::Instance &i) { return i.run("_initialize", {}); }))
                run([&](lucet::Instance &i) { return i.run(invoke, invoke_vals); });
        }
    }
    watchdog.reset();
    // Exit without destroying the instance, region, module and WASI context:
    // the kernel reclaims all of it with the process, and tearing the region
    // down first (unmapping its reservation, dropping the stack's pages,
    // dlclose, freeing the WASI tables) only spent time. std::exit still
    // flushes stdio and runs atexit handlers.
    std::exit(report(r, !invoke.empty(), timeout_text));
} catch (const std::bad_alloc &) {
    // Out of memory (a ulimit, a cgroup) while decoding, validating or
    // generating C: an error, not an abort.
    std::fprintf(stderr, "lucet-wasi: error: out of memory (the module is too large for the memory this process may use)\n");
    return 1;
}
