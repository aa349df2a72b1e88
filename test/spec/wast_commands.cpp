// wast_commands.cpp: see wast_commands.h.
#include "wast_commands.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <system_error>
#include <thread>
#include <variant>
#include <vector>

#include "compiler/compiler.h"
#include "runtime/runtime.h"
#include "spec_messages.h"
#include "spectest_host.h"
#include "subprocess.h"
#include "values.h"

namespace lucet::spec {

namespace {

struct Compiled {
    std::string wasm;
    std::string so;
    Status status = make_error("not compiled");
};

// The trap codes an assert_trap/assert_exhaustion text stands for. A text the
// runner does not know matches no trap: the command fails, naming the text,
// until it is added here.
std::vector<lucet_trapcode> codes_for_text(const std::string &text) {
    auto starts = [&](const char *p) { return text.rfind(p, 0) == 0; };
    if (starts("out of bounds memory access")) return {LUCET_TRAP_HEAP_OOB};
    if (starts("call stack exhausted")) return {LUCET_TRAP_STACK_OVERFLOW};
    if (starts("integer divide by zero")) return {LUCET_TRAP_INT_DIV_BY_ZERO};
    if (starts("integer overflow")) return {LUCET_TRAP_INT_OVERFLOW};
    if (starts("invalid conversion to integer")) return {LUCET_TRAP_BAD_CONVERSION};
    if (starts("unreachable")) return {LUCET_TRAP_UNREACHABLE};
    if (starts("uninitialized element")) return {LUCET_TRAP_INDIRECT_CALL_NULL};
    if (starts("indirect call type mismatch")) return {LUCET_TRAP_BAD_SIGNATURE};
    // call_indirect past the table's end ("undefined element") and table.get/
    // set/init/copy out of range share one trap code.
    if (starts("undefined element") || starts("out of bounds table access")) return {LUCET_TRAP_TABLE_OOB};
    return {};
}

std::string one_line(std::string s) {
    for (char &c : s)
        if (c == '\n' || c == '\r') c = ' ';
    if (s.size() > 600) s = s.substr(0, 600) + "...";
    return s;
}

std::string describe(const RunResult &r) {
    switch (r.kind) {
    case RunResult::Kind::Returned: {
        std::string s = "returned (";
        for (size_t i = 0; i < r.values.size(); ++i) s += (i ? ", " : "") + format_val(r.values[i]);
        return s + ")";
    }
    case RunResult::Kind::Trapped: return "trapped: " + r.trap.to_string();
    case RunResult::Kind::Exited: return "exited with code " + std::to_string(r.exit_code);
    case RunResult::Kind::Yielded: return "yielded " + format_val(r.yielded) + " (no spectest function yields)";
    case RunResult::Kind::Error: return "error: " + r.error.to_string();
    }
    return "?";
}

RunResult error_result(std::string msg) {
    RunResult r;
    r.kind = RunResult::Kind::Error;
    r.error = make_error(std::move(msg));
    return r;
}

class ScriptRunner {
public:
    ScriptRunner(const ScriptOptions &opts, Reporter &reporter, std::string dir)
        : opts_(opts), reporter_(reporter), dir_(std::move(dir)) {}

    void run(const json &commands) {
        compile_all(commands);
        if (!setup()) return;
        for (const json &c : commands) {
            int line = 0;
            if (const json *l = field(c, "line"); l && l->is_number_integer()) line = l->get<int>();
            dispatch(c, line);
        }
        reporter_.commands_done();
        // Tear down in dependency order (importers before exporters is handled
        // by the Extern owners); the region goes last.
        current_.reset();
        named_.clear();
        registered_.clear();
        host_.reset();
        region_.reset();
    }

private:
    void pass(int line) { reporter_.report(Outcome::Pass, line, {}); }
    void fail(int line, const std::string &msg) { reporter_.report(Outcome::Fail, line, one_line(msg)); }
    void skip(int line, const std::string &msg) { reporter_.report(Outcome::Skip, line, one_line(msg)); }

    // ------------------------------------------------------------ compile phase

    static bool needs_compile(const std::string &type) {
        return type == "module" || type == "assert_unlinkable" || type == "assert_uninstantiable" ||
               type == "assert_trap";
    }

    // Compiles every binary module the script references, before any runs.
    // Identical binaries (a third of the core suite's modules repeat another
    // byte for byte, mostly in const.wast) are compiled once per run: the
    // .so goes to the run's cache directory under the binary's content key,
    // and later scripts (run by later children) find it there.
    void compile_all(const json &commands) {
        struct Job {
            std::string wasm;   // one of the identical binaries
            std::string so;     // cache path
            Status status = make_error("not compiled");
        };
        std::map<std::string, Job> jobs_by_key;
        std::map<std::string, std::string> key_of;  // file -> content key
        for (const json &c : commands) {
            if (!needs_compile(string_field(c, "type"))) continue;
            std::string file = string_field(c, "filename");
            std::string mt = string_field(c, "module_type");
            if (file.empty() || (!mt.empty() && mt != "binary")) continue;
            if (compiled_.count(file)) continue;
            Compiled &m = compiled_[file];
            m.wasm = dir_ + "/" + file;
            auto key = content_key(m.wasm);
            if (!key) {
                m.status = key.error();
                continue;
            }
            key_of[file] = *key;
            Job &job = jobs_by_key[*key];
            if (job.wasm.empty()) {
                job.wasm = m.wasm;
                job.so = opts_.cache_dir + "/" + *key + ".so";
            }
            m.so = job.so;
        }
        std::vector<Job *> work;
        for (auto &[key, job] : jobs_by_key) {
            std::error_code ec;
            if (std::filesystem::exists(job.so, ec))
                job.status = {};  // compiled by an earlier script of this run
            else
                work.push_back(&job);
        }
        run_compiles(work);
        for (auto &[file, key] : key_of) compiled_[file].status = jobs_by_key[key].status;
    }

    // "<size>-<fnv1a64>-<std::hash>" of the file's bytes: 128 bits of two
    // unrelated hashes plus the size, so a collision (which would silently run
    // the wrong module) is not a practical concern.
    static Result<std::string> content_key(const std::string &path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return make_error("cannot read " + path);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        uint64_t fnv = 1469598103934665603ull;
        for (unsigned char b : bytes) fnv = (fnv ^ b) * 1099511628211ull;
        char buf[80];
        std::snprintf(buf, sizeof buf, "%zx-%016llx-%016zx", bytes.size(), static_cast<unsigned long long>(fnv),
                      std::hash<std::string>{}(bytes));
        return std::string(buf);
    }

    template <typename Job>
    void run_compiles(const std::vector<Job *> &work) {
        if (work.empty()) return;
        unsigned jobs = opts_.jobs ? opts_.jobs : 1;
        CompileOptions co;
        co.opt_level = opts_.opt_level;
        co.target_cpu = opts_.target_cpu;
        co.force_split_chunk_bytes = opts_.split_chunk_bytes;
        co.force_register_vars = opts_.register_vars;
        // One module: let the compiler spread it over several cc processes;
        // many modules: one cc each, the pool provides the parallelism.
        co.jobs = work.size() == 1 ? jobs : 1;

        // compile_file writes its output atomically (temp file + rename), so a
        // child killed mid-compile (timeout) leaves no partial .so in the cache.
        auto compile_one = [&](Job &job) { job.status = compile_file(job.wasm, job.so, co); };
        std::atomic<size_t> next{0};
        auto worker = [&] {
            for (size_t i; (i = next.fetch_add(1)) < work.size();) compile_one(*work[i]);
        };
        std::vector<std::thread> threads;
        size_t nthreads = std::min<size_t>(jobs, work.size());
        for (size_t t = 1; t < nthreads; ++t) {
            try {
                threads.emplace_back(worker);
            } catch (const std::system_error &) {
                break;  // fewer threads: the remaining work is still done below
            }
        }
        worker();
        for (auto &t : threads) t.join();
    }

    bool setup() {
        // Instances linked to the spectest helper (imports of spectest.*)
        // keep their slots to the end of the script (runtime.h, "Linked
        // instances"): imports.wast links ~50.
        auto region = Region::create(256, RegionLimits{});
        if (!region) {
            fail(0, "cannot create the region: " + region.error().to_string());
            return false;
        }
        region_ = std::move(*region);
        auto host = SpectestHost::create(region_, opts_.spectest_so);
        if (!host) {
            fail(0, host.error().to_string());
            return false;
        }
        host_ = std::move(*host);
        return true;
    }

    // ------------------------------------------------------------ instances

    Result<Extern> resolve(std::string_view module, std::string_view field_name, ExternKind kind) {
        if (module == "spectest") return host_->resolve(field_name, kind);
        auto it = registered_.find(std::string(module));
        if (it == registered_.end())
            return make_error("unknown import " + std::string(module) + "." + std::string(field_name) +
                              ": no module registered as \"" + std::string(module) + "\"");
        auto e = export_any_kind(*it->second, field_name, kind);
        if (!e)
            return make_error("unknown import " + std::string(module) + "." + std::string(field_name) +
                              ": the module registered as \"" + std::string(module) + "\" has no such export");
        return e;
    }

    enum class Stage { Compile, Load, Instantiate };
    struct InstError {
        Stage stage;
        std::string message;
        ErrorKind kind = ErrorKind::Generic;  // Instantiate stage: the runtime's classification
    };

    // Compiled, loaded and instantiated; on failure says at which stage.
    std::variant<std::shared_ptr<Instance>, InstError> instantiate(const std::string &file) {
        auto it = compiled_.find(file);
        if (it == compiled_.end()) return InstError{Stage::Compile, "module " + file + " was not compiled"};
        if (!it->second.status)
            return InstError{Stage::Compile, "compiling " + file + " failed: " + it->second.status.error().to_string()};
        auto mod = DlModule::load(it->second.so);
        if (!mod) return InstError{Stage::Load, "loading " + file + ".so failed: " + mod.error().to_string()};
        ImportResolver resolver = [this](std::string_view m, std::string_view f, ExternKind k) {
            return resolve(m, f, k);
        };
        auto inst = Instance::create(region_, *mod, resolver);
        if (!inst) return InstError{Stage::Instantiate, inst.error().to_string(), inst.error().kind};
        return std::move(*inst);
    }

    // The instance an action addresses: its "module" ($name) or the current one.
    Result<std::shared_ptr<Instance>> target(const json &action) {
        std::string name = string_field(action, "module");
        if (!name.empty()) {
            auto it = named_.find(name);
            if (it == named_.end() || !it->second) return make_error("no module named " + name);
            return it->second;
        }
        if (!current_) return make_error("no current module (" + current_error_ + ")");
        return current_;
    }

    RunResult perform(const json &action) {
        auto inst = target(action);
        if (!inst) return error_result(inst.error().to_string());
        std::string type = string_field(action, "type");
        std::string name = string_field(action, "field");
        if (type == "invoke") {
            std::vector<Val> args;
            if (const json *a = field(action, "args"); a && a->is_array()) {
                for (const json &j : *a) {
                    auto v = parse_arg(j);
                    if (!v) return error_result("bad argument: " + v.error().to_string());
                    args.push_back(*v);
                }
            }
            return (*inst)->run(name, args);
        }
        if (type == "get") {
            auto v = (*inst)->get_global(name);
            if (!v) return error_result(v.error().to_string());
            RunResult r;
            r.values.push_back(*v);
            return r;
        }
        return error_result("unknown action type \"" + type + "\"");
    }

    static std::string action_name(const json &action) {
        std::string s = string_field(action, "type") + " \"" + string_field(action, "field") + "\"";
        std::string m = string_field(action, "module");
        return m.empty() ? s : s + " on " + m;
    }

    // ------------------------------------------------------------ commands

    void dispatch(const json &c, int line) {
        std::string type = string_field(c, "type");
        if (type == "module") return cmd_module(c, line);
        if (type == "register") return cmd_register(c, line);
        if (type == "action") return cmd_action(c, line);
        if (type == "assert_return") return cmd_assert_return(c, line);
        if (type == "assert_trap" || type == "assert_exhaustion") {
            if (field(c, "action")) return cmd_assert_trap(c, line, type == "assert_exhaustion");
            return cmd_module_fails(c, line, /*link_error=*/false);
        }
        if (type == "assert_invalid" || type == "assert_malformed") return cmd_check_fails(c, line, type);
        if (type == "assert_unlinkable") return cmd_module_fails(c, line, /*link_error=*/true);
        if (type == "assert_uninstantiable") return cmd_module_fails(c, line, /*link_error=*/false);
        fail(line, "unsupported command \"" + type + "\"");
    }

    void cmd_module(const json &c, int line) {
        std::string file = string_field(c, "filename");
        std::string name = string_field(c, "name");
        // Whatever happens, the previous current module is replaced: later
        // commands must not silently run against it.
        current_.reset();
        if (!name.empty()) named_.erase(name);
        auto r = instantiate(file);
        if (auto *err = std::get_if<InstError>(&r)) {
            current_error_ = "module at line " + std::to_string(line) + " failed";
            fail(line, err->message);
            return;
        }
        current_ = std::get<std::shared_ptr<Instance>>(std::move(r));
        if (!name.empty()) named_[name] = current_;
        // An instance that imports a table may have put its own functions in
        // it (element segments, table.set): the runtime keeps it, with its
        // slot, as long as any instance it is linked to (runtime.h, "Linked
        // instances"; here: to the end of most scripts, through spectest).
        pass(line);
    }

    void cmd_register(const json &c, int line) {
        std::string as = string_field(c, "as");
        std::string name = string_field(c, "name");
        std::shared_ptr<Instance> inst;
        if (!name.empty()) {
            auto it = named_.find(name);
            if (it != named_.end()) inst = it->second;
        } else {
            inst = current_;
        }
        if (!inst) {
            registered_.erase(as);
            fail(line, "register \"" + as + "\": no module " + (name.empty() ? "instantiated" : name));
            return;
        }
        registered_[as] = inst;
    }

    void cmd_action(const json &c, int line) {
        const json *action = field(c, "action");
        if (!action) return fail(line, "action command without an action");
        RunResult r = perform(*action);
        if (r.kind != RunResult::Kind::Returned) return fail(line, action_name(*action) + " " + describe(r));
        pass(line);
    }

    void cmd_assert_return(const json &c, int line) {
        const json *action = field(c, "action");
        if (!action) return fail(line, "assert_return without an action");
        std::vector<Expected> expected;
        if (const json *e = field(c, "expected"); e && e->is_array()) {
            for (const json &j : *e) {
                if (field(j, "either")) return skip(line, "\"either\" results are not supported");
                auto x = parse_expected(j);
                if (!x) return fail(line, "bad expected value: " + x.error().to_string());
                expected.push_back(*x);
            }
        }
        RunResult r = perform(*action);
        if (r.kind != RunResult::Kind::Returned) return fail(line, action_name(*action) + " " + describe(r));
        bool ok = r.values.size() == expected.size();
        for (size_t i = 0; ok && i < expected.size(); ++i) ok = matches(expected[i], r.values[i]);
        if (ok) return pass(line);
        // Results shown like the expectation (a v128 in its lane type).
        std::string got = "returned (", want = "(";
        for (size_t i = 0; i < r.values.size(); ++i)
            got += (i ? ", " : "") + format_val_as(r.values[i], i < expected.size() ? expected[i].lane_type : "");
        for (size_t i = 0; i < expected.size(); ++i) want += (i ? ", " : "") + format_expected(expected[i]);
        fail(line, action_name(*action) + " " + got + "), expected " + want + ")");
    }

    void cmd_assert_trap(const json &c, int line, bool exhaustion) {
        const json *action = field(c, "action");
        std::string text = string_field(c, "text");
        RunResult r = perform(*action);
        if (r.kind != RunResult::Kind::Trapped)
            return fail(line, action_name(*action) + " " + describe(r) + ", expected a trap \"" + text + "\"");
        std::vector<lucet_trapcode> codes = codes_for_text(text);
        if (exhaustion && codes != std::vector<lucet_trapcode>{LUCET_TRAP_STACK_OVERFLOW}) codes.clear();
        if (codes.empty())
            return fail(line, action_name(*action) + " " + describe(r) + ": the runner knows no trap for \"" + text +
                                  "\" (add it to codes_for_text)");
        for (lucet_trapcode code : codes)
            if (r.trap.code == code) return pass(line);
        fail(line, action_name(*action) + " " + describe(r) + ", expected trap \"" + text + "\"");
    }

    // assert_unlinkable (link_error) / assert_uninstantiable / assert_trap on a
    // module: the module is valid and compiles, and instantiation must fail
    // at the right stage.
    void cmd_module_fails(const json &c, int line, bool link_error) {
        std::string file = string_field(c, "filename");
        std::string text = string_field(c, "text");
        std::string mt = string_field(c, "module_type");
        if (!mt.empty() && mt != "binary") return skip(line, "text module");
        auto r = instantiate(file);
        auto *err = std::get_if<InstError>(&r);
        if (!err) return fail(line, "module instantiated, expected failure \"" + text + "\"");
        if (err->stage != Stage::Instantiate) return fail(line, err->message);
        // The runtime classifies its errors: import errors are link errors,
        // Instantiate is a trap in segment initialisation or the start function.
        bool link = err->kind == ErrorKind::ImportMissing || err->kind == ErrorKind::ImportType;
        bool trap = err->kind == ErrorKind::Instantiate;
        if (link_error && !link) return fail(line, "expected a link error \"" + text + "\", got: " + err->message);
        if (!link_error && !trap) return fail(line, "expected a trap \"" + text + "\", got: " + err->message);
        // The right kind of failure; also the right reason? The runtime's
        // messages start with the spec's text, as the reference interpreter's do.
        if (!text.empty() && !err->message.starts_with(text))
            return fail(line, "failed for another reason than \"" + text + "\": " + err->message);
        pass(line);
    }

    void cmd_check_fails(const json &c, int line, const std::string &type) {
        std::string mt = string_field(c, "module_type");
        std::string text = string_field(c, "text");
        if (mt == "text") return skip(line, "text module (" + text + ")");
        std::string file = string_field(c, "filename");
        std::ifstream in(dir_ + "/" + file, std::ios::binary);
        if (!in) return fail(line, "cannot read " + file);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        Status st = check_bytes(std::move(bytes));
        if (st) return fail(line, type + ": module " + file + " was accepted, expected \"" + text + "\"");
        // Rejected, and for the reason the script names (spec_messages.h).
        if (!message_matches(text, st.error().message))
            return fail(line, type + ": module " + file + " rejected for another reason than \"" + text +
                                  "\": " + st.error().to_string());
        pass(line);
    }

    const ScriptOptions &opts_;
    Reporter &reporter_;
    std::string dir_;
    std::map<std::string, Compiled> compiled_;  // by .wasm file name
    std::shared_ptr<Region> region_;
    std::unique_ptr<SpectestHost> host_;
    std::shared_ptr<Instance> current_;
    std::string current_error_ = "no module yet";
    std::map<std::string, std::shared_ptr<Instance>> named_;
    std::map<std::string, std::shared_ptr<Instance>> registered_;
};

Result<json> read_json(const std::string &path) {
    std::ifstream in(path);
    if (!in) return make_error("cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string text = ss.str();
    // wabt 1.0.32's wast2json leaves out the commas between the types of an
    // assert_trap on a function with several results ({"type": "i32"}{"type":
    // "f64"}). Outside strings (where a quote is escaped) that sequence only
    // comes from there.
    for (size_t at = 0; (at = text.find("}{\"type\"", at)) != std::string::npos; at += 3) text.insert(at + 1, ", ");
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return make_error(path + ": invalid JSON");
    return j;
}

}  // namespace

void run_script(const std::string &wast_path, const ScriptOptions &opts, Reporter &reporter) {
    std::string stem = wast_path;
    if (auto slash = stem.rfind('/'); slash != std::string::npos) stem = stem.substr(slash + 1);
    if (stem.size() > 5 && stem.ends_with(".wast")) stem.resize(stem.size() - 5);
    std::string json_path = opts.work_dir + "/" + stem + ".json";

    Status st = run_tool({opts.wast2json, wast_path, "-o", json_path});
    if (!st) return reporter.report(Outcome::Fail, 0, one_line(st.error().to_string()));
    auto doc = read_json(json_path);
    if (!doc) return reporter.report(Outcome::Fail, 0, one_line(doc.error().to_string()));
    const json *commands = field(*doc, "commands");
    if (!commands || !commands->is_array())
        return reporter.report(Outcome::Fail, 0, json_path + ": no \"commands\" array");

    ScriptRunner runner(opts, reporter, opts.work_dir);
    runner.run(*commands);
}

}  // namespace lucet::spec
