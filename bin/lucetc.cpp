// lucetc: compile a WebAssembly module to a Lucet module shared object.
//
//   lucetc INPUT.wasm -o OUTPUT.so [--opt-level 0|1|2] [--reserved-size SIZE]
//          [--guard-size SIZE] [--emit so|c|obj] [-j N] [--keep-temps]
//
// Exit status: 0 success, 1 bad module or compiler failure, 2 bad usage.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>
#include <string>

#include "compiler/compiler.h"
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

int main(int argc, char **argv) {
    CLI::App app{"lucetc: compile a WebAssembly module to a Lucet module (.so)"};
    app.set_version_flag("-V,--version", std::string(lucet::compiler_version()));

    std::string input, output, reserved = "4 GiB", guard = "4 GiB", emit = "so";
    int opt_level = 2;
    unsigned jobs = 0;
    bool keep_temps = false;
    app.add_option("input", input, "WebAssembly module (.wasm)")->required()->check(CLI::ExistingFile);
    app.add_option("-o,--output", output, "output file (.so, or .c / .o with --emit)")->required();
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

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }

    lucet::CompileOptions opts;
    opts.opt_level = opt_level;
    opts.reserved_size = lucet::parse_size(reserved).value();
    opts.guard_size = lucet::parse_size(guard).value();
    opts.emit = emit == "c" ? lucet::EmitKind::C : emit == "obj" ? lucet::EmitKind::Object : lucet::EmitKind::SharedObject;
    opts.jobs = jobs;
    opts.keep_temps = keep_temps;

    lucet::Status st = lucet::compile_file(input, output, opts);
    if (!st.ok()) {
        std::fprintf(stderr, "lucetc: %s\n", st.error().to_string().c_str());
        return 1;
    }
    return 0;
}
