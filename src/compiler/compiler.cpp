// compiler.cpp: decode -> validate -> emit C -> cc (parallel) -> link.
#include "compiler/compiler.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <chrono>
#include <fstream>
#include <thread>

#include "cgen/cgen_internal.h"
#include "cgen/emitter.h"
#include "compiler/cc_driver.h"
#include "compiler/module_support.h"
#include "decode/decoder.h"
#include "util/cpu_features.h"
#include "util/file_bytes.h"
#include "util/unique_fd.h"
#include "validate/validator.h"

namespace lucet {

const char *compiler_version() { return cgen::version_string(); }

namespace {

// Flags every unit is compiled with. IEEE semantics are kept (no fast-math);
// -ffp-contract=off forbids fused multiply-add, which would change results.
// -fno-optimize-sibling-calls: wasm has no tail calls, so unbounded recursion
// must exhaust the stack and trap; a sibling-call loop would hang instead.
// -fsignaling-nans: without it gcc folds x-0, x*1, x/1 to x at -O1 and above,
// returning a signalling NaN where wasm requires a quiet one (float_exprs.wast).
// -fno-omit-frame-pointer: the runtime walks the rbp chain of the abandoned
// guest stack for a trap's wasm backtrace (run.cpp; measured cost on the
// kernels benchmark in the README).
constexpr const char *kCFlags =
    "-std=gnu11 -fno-omit-frame-pointer -fPIC -fvisibility=hidden -fno-strict-aliasing -fwrapv -ffp-contract=off -fno-math-errno "
    "-fsignaling-nans "
    "-fstack-clash-protection -fno-optimize-sibling-calls -fno-plt -w";

// Flags for the compiler family (gcc or clang: each rejects the other's), chosen by the
// compiler's name.
// -fno-tree-dse -fno-dse: scalar loads are emitted without a forcing asm (it
// would block vectorization) whenever their value reaches a store; deleting
// that store as dead (overwritten later) would delete the load and lose its
// out-of-bounds trap. Wasm code has had its dead stores removed by the
// producer already, so this costs nothing measurable. With clang the emitted
// C forces such values itself (LUCET_FORCE_STORED_FLOAT).
// -fvect-cost-model=cheap: gcc 12's -O2 "very-cheap" vectorizer cost model
// refuses loops that need a runtime alias check, which is every loop over
// wasm memory (all accesses share one base): "cheap" allows the check and
// vectorizes them (matmul 3x).
// -fno-store-merging -fno-tree-slp-vectorize (clang: -fno-slp-vectorize and
// LLVM's -combiner-store-merging=0): two adjacent wasm stores must not become
// one wider store. When the second is out of bounds the first must still be
// done at the trap (wasm's order); a merged store faults before writing
// either. Cost on the kernels: geometric mean +0.5%, interp +3.7%. Loop
// vectorization is kept (see the README, "Traps and memory").
// -fno-schedule-insns2: gcc's post-register-allocation scheduler (on at -O2
// only) moves a load above an earlier store to another address; when that
// load is out of bounds, the store was not done at the trap (mvfuzz seed
// 2227: a store in a loop, then a load past the end). Without it, every
// store before a trapping load has been done in all the cases known (README,
// "Traps and memory"). Cost on the kernels: within noise (paired runs).
bool is_clang(const std::string &cc) {
    std::string base = cc.substr(0, cc.find(' '));
    size_t slash = base.rfind('/');
    if (slash != std::string::npos) base = base.substr(slash + 1);
    return base.find("clang") != std::string::npos;
}

std::string cc_family_flags(const std::string &cc, int level) {
    // clang has no -fsignaling-nans: without -ffp-exception-behavior=maytrap it
    // folds x*1, x/1, x-0 to x at -O1 and above (a signalling NaN returned
    // unquieted: 24 failures in float_exprs.wast at -O2).
    if (is_clang(cc))
        return level < 1 ? " -ffp-exception-behavior=maytrap"
                         : " -ffp-exception-behavior=maytrap -fno-slp-vectorize -mllvm -combiner-store-merging=0";
    return level < 2 ? " -fno-tree-dse -fno-dse"
                     : " -fno-tree-dse -fno-dse -fvect-cost-model=cheap -fno-store-merging -fno-tree-slp-vectorize"
                       " -fno-schedule-insns2";
}

// The support unit's loops must stay loops: gcc would turn them into calls
// of the very functions they define (clang does not with -fno-builtin).
std::string gcc_support_flags(const std::string &cc) {
    return is_clang(cc) ? "" : " -fno-tree-loop-distribute-patterns";
}

Result<std::vector<uint8_t>> read_file(const std::string &path) {
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) return make_error(std::string("cannot open: ") + std::strerror(errno));
    std::vector<uint8_t> bytes;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxWasmBytes) {
        std::fclose(f);
        return make_error(std::to_string(st.st_size) + " bytes, larger than the limit of " +
                          std::to_string(kMaxWasmBytes) + " bytes for a module");
    }
    uint8_t buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        if (bytes.size() + n > kMaxWasmBytes) {
            std::fclose(f);
            return make_error("larger than the limit of " + std::to_string(kMaxWasmBytes) + " bytes for a module");
        }
        bytes.insert(bytes.end(), buf, buf + n);
    }
    bool err = std::ferror(f);
    std::fclose(f);
    if (err) return make_error("read error");
    return bytes;
}

// Writes `output` atomically: the caller produces a temp path next to it
// (same filesystem), then it is renamed over the target.
std::string temp_output_path(const std::string &output) {
    return output + ".tmp" + std::to_string(getpid());
}

// An existing output that is not a regular file, or a symlink (/dev/null,
// /dev/stdout, a FIFO), is written to, never replaced: renaming over
// /dev/null as root replaced the device with a regular file (which the next
// failing `cc -o /dev/null` deleted, leaving the machine without
// /dev/null), and over /dev/stdout the symlink itself.
bool write_through(const std::string &output) {
    struct stat st;
    return lstat(output.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

Status copy_into(const std::string &tmp, const std::string &output) {
    auto bytes = read_file_bytes(tmp, UINT64_MAX);
    std::remove(tmp.c_str());
    if (!bytes.ok()) return bytes.error();
    UniqueFd fd(open(output.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY));
    int e = fd ? write_all(fd.get(), bytes.value().data(), bytes.value().size()) : errno;
    if (fd && close(fd.release()) != 0 && e == 0) e = errno;
    if (e != 0) return make_error("cannot write " + output + ": " + std::strerror(e));
    return {};
}

Status rename_into_place(const std::string &tmp, const std::string &output) {
    if (write_through(output)) return copy_into(tmp, output);
    if (std::rename(tmp.c_str(), output.c_str()) != 0) {
        int e = errno;
        std::remove(tmp.c_str());
        return make_error("cannot write " + output + ": " + std::strerror(e));
    }
    return {};
}

// A SIMD unit stops with an #error carrying kSimdeMissingMarker when
// <simde/wasm/simd128.h> is not on cc's include path (__has_include: free,
// no extra cc run); that failure becomes this one line.
constexpr const char *kSimdeMissing =
    "SIMD needs the SIMDe headers (Debian package libsimde-dev): simde/wasm/simd128.h not found";
bool simde_missing(const std::string &cc_failure) {
    return cc_failure.find(cgen::kSimdeMissingMarker) != std::string::npos;
}

// "f12..f40 (unit3.c)": the wasm functions a unit defines, for limit
// messages; the unit's name alone for units without functions.
std::string unit_scope(const CUnit &u) {
    if (u.first_func < 0) return u.name;
    std::string range = "f" + std::to_string(u.first_func);
    if (u.last_func != u.first_func) range += "..f" + std::to_string(u.last_func);
    return range + " (" + u.name + ")";
}

// `path` as one word of a GNU response file (gcc's and clang's @file): every
// character but [A-Za-z0-9._/-] backslash-escaped, then a newline.
std::string response_file_word(const std::string &path) {
    std::string w;
    for (char c : path) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '/' && c != '-') w += '\\';
        w += c;
    }
    return w + "\n";
}

Status build(const Module &m, const std::string &output, const CompileOptions &opts,
             const ccdrv::Limits &limits) {
    EmitOptions eo;
    eo.reserved_size = opts.reserved_size;
    eo.guard_size = opts.guard_size;
    eo.opt_level = opts.opt_level;
    eo.force_split_chunk_bytes = opts.force_split_chunk_bytes;
    eo.force_register_vars = opts.force_register_vars;
    eo.deadline = limits.deadline;
    eo.time_limit_seconds = limits.time_limit_seconds;
    auto units = emit_c(m, eo);
    if (!units.ok()) return units.error();

    ccdrv::TempDir dir;
    LUCET_TRY(dir.create());
    if (opts.keep_temps) dir.keep();
    // Next to the output, to be renamed over it; for an output that is not a
    // regular file (/dev/null, a symlink), in the private directory, to be
    // copied to it.
    std::string tmp_out = write_through(output) ? dir.path() + "/output" : temp_output_path(output);
    if (opts.emit == EmitKind::C) {
        // Units are guarded so that they concatenate into one valid C file.
        std::string all;
        for (const CUnit &u : *units) {
            all += "/* ---- " + u.name + " ---- */\n";
            all += u.source;
        }
        LUCET_TRY(ccdrv::write_file(tmp_out, all));
        return rename_into_place(tmp_out, output);
    }

    // cc's own temporary files go into the private directory too: a job
    // killed at a limit cannot leave them behind in $TMPDIR.
    const std::string cc = cc_command(opts);
    const std::string run_cc = "TMPDIR=" + ccdrv::shell_quote(dir.path()) + " " + cc;
    auto march = target_cpu_flags(opts);
    if (!march.ok()) return march.error();
    const std::string cflags = std::string(kCFlags) + " " + march.value();
    std::vector<ccdrv::Job> jobs;
    std::string objects;  // for the link's response file: one per line, GNU-escaped
    for (const CUnit &u : *units) {
        std::string c_path = dir.path() + "/" + u.name;
        std::string o_path = c_path.substr(0, c_path.size() - 2) + ".o";
        LUCET_TRY(ccdrv::write_file(c_path, u.source));
        int level = std::min(opts.opt_level, u.max_opt_level);
        const std::string olevel = std::to_string(level);
        ccdrv::Job job;
        job.what = u.name;
        job.stderr_path = c_path + ".log";
        job.show_command = opts.verbose;
        job.scope = unit_scope(u);
        job.command = run_cc + " -O" + olevel + " " + cflags + cc_family_flags(cc, level) + " -c " +
                      ccdrv::shell_quote(c_path) +
                      " -o " + ccdrv::shell_quote(o_path);
        jobs.push_back(std::move(job));
        objects += response_file_word(o_path);
    }
    if (opts.emit == EmitKind::SharedObject) {
        // libc's few functions that cc calls on its own, inside the module:
        // the .so links without libc (see the link step).
        std::string c_path = dir.path() + "/support.c", o_path = dir.path() + "/support.o";
        LUCET_TRY(ccdrv::write_file(c_path, module_support_source()));
        ccdrv::Job job;
        job.what = "support.c";
        job.stderr_path = c_path + ".log";
        job.show_command = opts.verbose;
        job.command = run_cc + " -O2 " + cflags + " -fno-builtin" + cc_family_flags(cc, 2) + gcc_support_flags(cc) +
                      " -c " + ccdrv::shell_quote(c_path) + " -o " + ccdrv::shell_quote(o_path);
        jobs.push_back(std::move(job));
        objects += response_file_word(o_path);
    }
    // The objects go to cc in a response file: a module of many units (huge
    // functions are split into chunks of units of their own) would
    // otherwise exceed the kernel's limit on a command line's length.
    const std::string rsp = dir.path() + "/objects.rsp";
    LUCET_TRY(ccdrv::write_file(rsp, objects));
    const std::string objects_arg = " " + ccdrv::shell_quote("@" + rsp);
    unsigned parallel = opts.jobs ? opts.jobs : std::max(1u, std::thread::hardware_concurrency());
    const size_t total = jobs.size() + 1;  // and the link
    if (opts.progress) opts.progress(0, total);
    std::function<void(size_t)> on_done;
    if (opts.progress) on_done = [&](size_t done) { opts.progress(done, total); };
    Status compiled = ccdrv::run_jobs(jobs, parallel, limits, on_done);
    if (!compiled.ok()) return simde_missing(compiled.error().message) ? make_error(kSimdeMissing) : compiled;

    ccdrv::Job link;
    link.what = "the link step";
    link.stderr_path = dir.path() + "/link.log";
    link.show_command = opts.verbose;
    link.scope = "the link step";
    if (opts.emit == EmitKind::Object)
        link.command = run_cc + " -r -nostdlib -o " + ccdrv::shell_quote(tmp_out) + objects_arg;
    else
        // No libc, no start files: the module has no initialisers, needs no
        // library (no DT_NEEDED) and has no undefined symbol (-z defs); the
        // runtime's ELF check refuses a .so that has any of them. libgcc is
        // static (cc's helpers such as __popcountdi2).
        link.command = run_cc + " -shared -nostdlib -Wl,-z,noexecstack -Wl,-z,defs -o " + ccdrv::shell_quote(tmp_out) +
                       objects_arg + " -lgcc";
    Status st = ccdrv::run_jobs({link}, 1, limits);
    if (!st.ok()) {
        std::remove(tmp_out.c_str());
        return st;
    }
    if (opts.progress) opts.progress(total, total);
    if (opts.emit == EmitKind::SharedObject) {
        // Read-only (no write bit for anyone), like the cache's entries: the
        // loader then maps the module's data image from the file instead of
        // copying the whole .so (start-up independent of the data's size),
        // and `cp other.so m.so` cannot rewrite a module in place under a
        // running process. Replacing it (lucetc again, mv) still works.
        struct stat st;
        if (stat(tmp_out.c_str(), &st) != 0 || chmod(tmp_out.c_str(), st.st_mode & 0555) != 0) {
            int e = errno;
            std::remove(tmp_out.c_str());
            return make_error("cannot make " + output + " read-only: " + std::strerror(e));
        }
    }
    return rename_into_place(tmp_out, output);
}

Result<Module> decode_and_validate(std::vector<uint8_t> wasm) {
    auto m = decode_module(std::move(wasm));
    if (!m.ok()) return m.error();
    Status v = validate_module(*m);
    if (!v.ok()) return v.error();
    return std::move(m).value();
}

}  // namespace

std::string cc_command(const CompileOptions &opts) {
    if (!opts.cc.empty()) return opts.cc;
    const char *env = std::getenv("CC");
    if (env && *env) return env;
    return "cc";
}

std::string code_fingerprint(const CompileOptions &opts) {
    const std::string cc = cc_command(opts);
    std::string fp = "opt=" + std::to_string(opts.opt_level) + " reserved=" + std::to_string(opts.reserved_size) +
                     " guard=" + std::to_string(opts.guard_size) +
                     " emit=" + std::to_string(static_cast<int>(opts.emit)) + " cflags=" + kCFlags +
                     " tiny-units=-O0-register split=" + std::to_string(opts.force_split_chunk_bytes) +
                     " register=" + std::to_string(opts.force_register_vars);
    auto march = target_cpu_flags(opts);
    fp += " target=" + (march.ok() ? march.value() : "invalid:" + opts.target_cpu);
    if (opts.target_cpu == "native") fp += " host-cpu=" + cpu::host_identity();
    // Units above a size are compiled at a lower level: every level's flags.
    for (int level = 0; level <= opts.opt_level; level++) fp += " |" + cc_family_flags(cc, level);
    return fp;
}

Result<std::string> target_cpu_flags(const CompileOptions &opts) {
    auto t = cpu::parse_target(opts.target_cpu);
    if (!t.ok()) return t.error();
    // -mtune: what each level's -march implies in gcc 12; said explicitly so
    // that a C compiler configured with another default tunes the same way.
    if (*t == cpu::Target::Native) return std::string("-march=native");
    return std::string("-march=") + cpu::target_name(*t) + " -mtune=generic";
}

Status check_bytes(std::vector<uint8_t> wasm) {
    auto m = decode_and_validate(std::move(wasm));
    if (!m.ok()) return m.error();
    return {};
}

ccdrv::Limits compile_limits(const CompileOptions &opts) {
    ccdrv::Limits limits;
    limits.max_memory = opts.max_memory;
    limits.cpu_seconds = opts.max_time_seconds;
    limits.time_limit_seconds = opts.max_time_seconds;
    if (opts.deadline)
        limits.deadline = opts.deadline;
    else if (opts.max_time_seconds)
        limits.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(std::min<uint64_t>(opts.max_time_seconds, 1ull << 32));
    return limits;
}

Status compile_bytes(std::vector<uint8_t> wasm, const std::string &output, const CompileOptions &opts) {
    if (opts.opt_level < 0 || opts.opt_level > 3)
        return make_error("optimisation level must be 0, 1 or 2, not " + std::to_string(opts.opt_level));
    if (auto t = cpu::parse_target(opts.target_cpu); !t.ok()) return t.error();
    const ccdrv::Limits limits = compile_limits(opts);
    auto m = decode_and_validate(std::move(wasm));
    if (!m.ok()) return m.error();
    return build(*m, output, opts, limits);
}

Status compile_file(const std::string &input, const std::string &output, const CompileOptions &opts) {
    auto bytes = read_file(input);
    if (!bytes.ok()) return make_error(input + ": " + bytes.error().to_string());
    Status st = compile_bytes(std::move(*bytes), output, opts);
    if (!st.ok()) return make_error(input + ": " + st.error().to_string());
    return {};
}

}  // namespace lucet
