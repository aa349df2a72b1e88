// main.cpp: spec_runner, the WebAssembly core spec test runner.
//
//   spec_runner [--jobs N] [--opt-level N] [--shard K/N] [--keep] DIR_OR_WAST...
//
// Each .wast runs in its own forked child, which reports every assertion's
// outcome through a pipe as it happens: a runtime or compiler bug that crashes
// or hangs the child shows up as that script failing (with the line it got
// to), and the other scripts still run.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "compiler/compiler.h"
#include "spectest_host.h"
#include "wast_commands.h"

namespace fs = std::filesystem;

namespace lucet::spec {
namespace {

struct Options {
    std::vector<std::string> inputs;
    unsigned jobs = 0;
    int opt_level = 0;
    size_t split_chunk_bytes = 0;
    bool register_vars = false;
    std::string target_cpu = "x86-64";
    bool keep = false;
    std::string wast2json = "wast2json";
    std::string wat2wasm = "wat2wasm";
    unsigned timeout = 600;     // seconds per script
    unsigned show_failures = 5; // failing assertions printed per script
    std::string expect_totals;  // "P,F,S": exit 0 iff the totals are exactly these (self-tests)
    std::string shard;          // "K/N": only the scripts whose index (in sorted order) is K mod N
};

// SIGINT/SIGTERM/SIGHUP (Ctrl-C, meson's timeout): the parent stops waiting,
// kills the running child's process group and removes the temporary
// directory. Installed without SA_RESTART so that poll/read return EINTR.
volatile sig_atomic_t g_stop_signal = 0;
void on_stop_signal(int sig) { g_stop_signal = sig; }
constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

void install_stop_handlers() {
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : kStopSignals) sigaction(sig, &sa, nullptr);
}

// In a forked child: its own process group (so that a stop or timeout also
// ends the cc processes it waits for) and default signal dispositions.
void become_child() {
    setpgid(0, 0);
    for (int sig : kStopSignals) signal(sig, SIG_DFL);
}

// ------------------------------------------------------------ child side

// Writes one line per outcome: "P <line>", "F <line> <msg>", "S <line> <msg>".
class PipeReporter : public Reporter {
public:
    explicit PipeReporter(int fd) : fd_(fd) {}
    void report(Outcome outcome, int line, const std::string &message) override {
        char tag = outcome == Outcome::Pass ? 'P' : outcome == Outcome::Fail ? 'F' : 'S';
        std::string s = std::string(1, tag) + " " + std::to_string(line);
        if (!message.empty()) s += " " + message;
        s += "\n";
        send(s);
    }
    void commands_done() override { send("D\n"); }

private:
    void send(const std::string &s) {
        const char *p = s.data();
        size_t left = s.size();
        while (left > 0) {
            ssize_t n = write(fd_, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) _exit(3);  // the parent is gone: nobody to report to
            p += n;
            left -= static_cast<size_t>(n);
        }
    }
    int fd_;
};

// ------------------------------------------------------------ parent side

struct FileResult {
    uint64_t passed = 0, failed = 0, skipped = 0;
    int last_line = 0;
    bool done = false;
    std::vector<std::string> failures;  // "line N: reason", all of them
};

void parse_event(const std::string &ev, FileResult &fr) {
    if (ev == "D") {
        fr.done = true;
        return;
    }
    if (ev.size() < 3 || ev[1] != ' ') {
        ++fr.failed;
        fr.failures.push_back("garbled report from the child: " + ev);
        return;
    }
    size_t sp = ev.find(' ', 2);
    std::string line = ev.substr(2, sp == std::string::npos ? std::string::npos : sp - 2);
    std::string msg = sp == std::string::npos ? "" : ev.substr(sp + 1);
    fr.last_line = std::atoi(line.c_str());
    switch (ev[0]) {
    case 'P': ++fr.passed; break;
    case 'S': ++fr.skipped; break;
    case 'F':
        ++fr.failed;
        fr.failures.push_back("line " + line + ": " + msg);
        break;
    default:
        ++fr.failed;
        fr.failures.push_back("garbled report from the child: " + ev);
    }
}

FileResult run_file_in_child(const std::string &wast, const ScriptOptions &sopts, unsigned timeout) {
    FileResult fr;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        fr.failed = 1;
        fr.failures.push_back(std::string("pipe: ") + std::strerror(errno));
        return fr;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        fr.failed = 1;
        fr.failures.push_back(std::string("fork: ") + std::strerror(errno));
        return fr;
    }
    if (pid == 0) {
        close(fds[0]);
        become_child();
        PipeReporter reporter(fds[1]);
        run_script(wast, sopts, reporter);
        std::fflush(stdout);
        _exit(0);
    }
    close(fds[1]);

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    std::string buf;
    bool timed_out = false;
    char chunk[8192];
    for (;;) {
        if (g_stop_signal) break;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd p{fds[0], POLLIN, 0};
        int rc = poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 1000)));
        if (rc < 0 && errno == EINTR) continue;
        if (rc == 0) continue;
        ssize_t n = read(fds[0], chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // EOF: the child finished or died
        buf.append(chunk, static_cast<size_t>(n));
        for (size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
            parse_event(buf.substr(0, nl), fr);
            buf.erase(0, nl + 1);
        }
    }
    close(fds[0]);
    if (timed_out || g_stop_signal) {
        kill(-pid, SIGKILL);  // the child's process group (see become_child)
        kill(pid, SIGKILL);   // in case it had not yet made its group
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::string after = " (last reported line " + std::to_string(fr.last_line) + ")";
    if (g_stop_signal) {
        ++fr.failed;
        fr.failures.push_back(std::string("interrupted by signal ") + std::to_string(g_stop_signal) + after);
    } else if (timed_out) {
        ++fr.failed;
        fr.failures.push_back("timed out after " + std::to_string(timeout) + " s" + after);
    } else if (WIFSIGNALED(status)) {
        ++fr.failed;
        fr.failures.push_back(std::string("runner child killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
                              strsignal(WTERMSIG(status)) + ")" + (fr.done ? " during teardown" : after));
    } else if (WEXITSTATUS(status) != 0) {
        ++fr.failed;
        fr.failures.push_back("runner child exited with status " + std::to_string(WEXITSTATUS(status)) +
                              (fr.done ? " during teardown" : " before finishing" + after));
    } else if (!fr.done && fr.failed == 0) {
        // run_script stops early only after reporting why (wast2json failed,
        // bad JSON, no region); never let an early stop look like success.
        ++fr.failed;
        fr.failures.push_back("runner child stopped before running every command" + after);
    }
    return fr;
}

std::vector<std::string> collect_scripts(const std::vector<std::string> &inputs, bool &ok) {
    std::vector<std::string> scripts;
    ok = true;
    for (const std::string &in : inputs) {
        std::error_code ec;
        if (fs::is_directory(in, ec)) {
            std::vector<std::string> found;
            for (const auto &e : fs::directory_iterator(in, ec)) {
                if (!e.is_regular_file(ec)) continue;  // proposals/ and other subdirectories are out of scope
                std::string name = e.path().filename().string();
                if (!name.ends_with(".wast")) continue;
                found.push_back(e.path().string());
            }
            if (ec) {
                std::fprintf(stderr, "spec_runner: cannot list %s: %s\n", in.c_str(), ec.message().c_str());
                ok = false;
            }
            std::sort(found.begin(), found.end());
            scripts.insert(scripts.end(), found.begin(), found.end());
        } else if (fs::is_regular_file(in, ec)) {
            scripts.push_back(in);
        } else {
            std::fprintf(stderr, "spec_runner: %s: no such file or directory\n", in.c_str());
            ok = false;
        }
    }
    return scripts;
}

// Builds the spectest helper in a forked child too: a compiler crash on it
// must be reported, not take the runner (and its cleanup) down.
Result<std::string> build_helper_in_child(const Options &opt, const std::string &tmp, const CompileOptions &copts) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return make_error(std::string("pipe: ") + std::strerror(errno));
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return make_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        become_child();
        auto r = SpectestHost::build_helper(opt.wat2wasm, tmp, copts);
        std::string msg = r ? *r : r.error().to_string();
        ssize_t ignored = write(fds[1], msg.data(), msg.size());
        (void)ignored;  // a lost message still leaves the exit status
        _exit(r ? 0 : 1);
    }
    close(fds[1]);
    std::string msg;
    char buf[4096];
    for (;;) {
        if (g_stop_signal) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (msg.size() < 65536) msg.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (g_stop_signal) return make_error("interrupted by signal " + std::to_string(g_stop_signal));
    if (WIFSIGNALED(status))
        return make_error("building the spectest helper module crashed: signal " + std::to_string(WTERMSIG(status)) +
                          " (" + strsignal(WTERMSIG(status)) + ")");
    if (WEXITSTATUS(status) != 0) return make_error(msg.empty() ? "building the spectest helper module failed" : msg);
    return msg;  // the helper's .so path
}

std::string make_temp_dir() {
    const char *base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/spec_runner.XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) return {};
    return buf.data();
}

int run(const Options &opt) {
    auto start = std::chrono::steady_clock::now();
    bool inputs_ok = true;
    std::vector<std::string> scripts = collect_scripts(opt.inputs, inputs_ok);
    if (!inputs_ok) return 2;
    if (scripts.empty()) {
        std::fprintf(stderr, "spec_runner: no .wast scripts found\n");
        return 2;
    }
    if (!opt.shard.empty()) {
        unsigned k = 0, n = 0;
        char extra = 0;
        if (std::sscanf(opt.shard.c_str(), "%u/%u%c", &k, &n, &extra) != 2 || n == 0 || k >= n) {
            std::fprintf(stderr, "spec_runner: --shard wants K/N with K < N, got \"%s\"\n", opt.shard.c_str());
            return 2;
        }
        std::vector<std::string> mine;
        for (size_t i = k; i < scripts.size(); i += n) mine.push_back(scripts[i]);
        scripts = std::move(mine);
        if (scripts.empty()) {
            std::fprintf(stderr, "spec_runner: shard %s has no scripts\n", opt.shard.c_str());
            return 2;
        }
    }
    std::string tmp = make_temp_dir();
    if (tmp.empty()) {
        std::fprintf(stderr, "spec_runner: cannot create a temporary directory: %s\n", std::strerror(errno));
        return 2;
    }

    unsigned jobs = opt.jobs ? opt.jobs : std::max(1u, std::thread::hardware_concurrency());
    CompileOptions helper_opts;
    helper_opts.opt_level = opt.opt_level;
    helper_opts.target_cpu = opt.target_cpu;
    helper_opts.jobs = 1;
    auto helper = build_helper_in_child(opt, tmp, helper_opts);
    if (!helper) {
        // Without it every script would fail the same way: say it once.
        std::fprintf(stderr, "spec_runner: %s\n", helper.error().to_string().c_str());
        std::error_code ec;
        if (!opt.keep) fs::remove_all(tmp, ec);
        return 2;
    }

    std::string cache_dir = tmp + "/cache";
    {
        std::error_code ec;
        fs::create_directories(cache_dir, ec);
        if (ec) {
            std::fprintf(stderr, "spec_runner: cannot create %s: %s\n", cache_dir.c_str(), ec.message().c_str());
            fs::remove_all(tmp, ec);
            return 2;
        }
    }

    uint64_t passed = 0, failed = 0, skipped = 0;
    std::vector<std::pair<double, std::string>> timings;  // seconds, script
    for (size_t n = 0; n < scripts.size(); ++n) {
        const std::string &wast = scripts[n];
        // Numbered: explicit paths may name two scripts with the same file name.
        std::string dir = tmp + "/" + std::to_string(n) + "-" + fs::path(wast).stem().string();
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) {
            std::fprintf(stderr, "spec_runner: cannot create %s: %s\n", dir.c_str(), ec.message().c_str());
            return 2;
        }
        ScriptOptions sopts;
        sopts.wast2json = opt.wast2json;
        sopts.work_dir = dir;
        sopts.spectest_so = *helper;
        sopts.cache_dir = cache_dir;
        sopts.jobs = jobs;
        sopts.opt_level = opt.opt_level;
        sopts.target_cpu = opt.target_cpu;
        sopts.split_chunk_bytes = opt.split_chunk_bytes;
        sopts.register_vars = opt.register_vars;
        auto t0 = std::chrono::steady_clock::now();
        FileResult fr = run_file_in_child(wast, sopts, opt.timeout);
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

        std::printf("%s: %llu passed, %llu failed, %llu skipped\n", fs::path(wast).filename().c_str(),
                    (unsigned long long)fr.passed, (unsigned long long)fr.failed, (unsigned long long)fr.skipped);
        timings.emplace_back(secs, fs::path(wast).filename().string());
        for (size_t i = 0; i < fr.failures.size() && i < opt.show_failures; ++i)
            std::printf("    %s\n", fr.failures[i].c_str());
        if (fr.failures.size() > opt.show_failures)
            std::printf("    ... and %zu more failures\n", fr.failures.size() - opt.show_failures);
        std::fflush(stdout);
        passed += fr.passed;
        failed += fr.failed;
        skipped += fr.skipped;
        if (!opt.keep) fs::remove_all(dir, ec);
        if (g_stop_signal) {
            std::fprintf(stderr, "spec_runner: interrupted by signal %d\n", static_cast<int>(g_stop_signal));
            if (!opt.keep) fs::remove_all(tmp, ec);
            return 128 + g_stop_signal;
        }
    }

    if (opt.keep) {
        std::printf("kept temporary files in %s\n", tmp.c_str());
    } else {
        std::error_code ec;
        fs::remove_all(tmp, ec);
    }
    // Where the time goes: the slowest few scripts.
    std::sort(timings.rbegin(), timings.rend());
    if (timings.size() > 1) {
        std::printf("slowest:");
        for (size_t i = 0; i < timings.size() && i < 5; ++i)
            std::printf(" %s %.1f s%s", timings[i].second.c_str(), timings[i].first, i + 1 < std::min<size_t>(5, timings.size()) ? "," : "");
        std::printf("\n");
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%zu scripts in %.1f s (jobs %u, opt level %d)\n", scripts.size(), secs, jobs, opt.opt_level);
    std::printf("%llu passed, %llu failed, %llu skipped\n", (unsigned long long)passed, (unsigned long long)failed,
                (unsigned long long)skipped);
    if (!opt.expect_totals.empty()) {
        unsigned long long ep = 0, ef = 0, es = 0;
        char extra = 0;
        if (std::sscanf(opt.expect_totals.c_str(), "%llu,%llu,%llu%c", &ep, &ef, &es, &extra) != 3) {
            std::fprintf(stderr, "spec_runner: --expect-totals wants P,F,S, got \"%s\"\n", opt.expect_totals.c_str());
            return 2;
        }
        if (ep == passed && ef == failed && es == skipped) return 0;
        std::fprintf(stderr, "spec_runner: expected %llu passed, %llu failed, %llu skipped\n", ep, ef, es);
        return 1;
    }
    return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace lucet::spec

int main(int argc, char **argv) {
    lucet::spec::Options opt;
    CLI::App app{"Runs WebAssembly core spec scripts (.wast) through lucetc and the runtime"};
    app.add_option("inputs", opt.inputs, "Directories (every *.wast in them) or .wast files")
        ->required();
    app.add_option("-j,--jobs", opt.jobs, "Parallel module compilations (default: number of cores)");
    app.add_option("-O,--opt-level", opt.opt_level, "cc optimisation level for the modules under test")
        ->check(CLI::Range(0, 2));
    app.add_option("--target-cpu", opt.target_cpu, "lucetc --target-cpu of the modules under test (default x86-64)");
    app.add_option("--split-chunk-bytes", opt.split_chunk_bytes,
                   "Split every function into chunks of about this many bytes of C, as lucetc splits huge ones");
    app.add_flag("--register-vars", opt.register_vars,
                 "Declare every function's variables register where no address is taken (at -O0: as lucetc's "
                 "units of tiny functions)");
    app.add_flag("--keep", opt.keep, "Keep the temporary directory (JSON, .wasm, .so files)");
    app.add_option("--wast2json", opt.wast2json, "Path of wabt's wast2json");
    app.add_option("--wat2wasm", opt.wat2wasm, "Path of wabt's wat2wasm");
    app.add_option("--timeout", opt.timeout, "Seconds allowed per script")->check(CLI::PositiveNumber);
    app.add_option("--show-failures", opt.show_failures, "Failing assertions printed per script");
    app.add_option("--shard", opt.shard,
                   "K/N: run only every Nth script from the Kth (0-based), to split a run over parallel tests");
    app.add_option("--expect-totals", opt.expect_totals,
                   "P,F,S: succeed only if the totals are exactly these (for the runner's self-tests)");
    CLI11_PARSE(app, argc, argv);
    // A child killed while writing must not kill the parent with SIGPIPE.
    signal(SIGPIPE, SIG_IGN);
    lucet::spec::install_stop_handlers();
    return lucet::spec::run(opt);
}
