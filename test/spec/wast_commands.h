// wast_commands.h: running one .wast script in the current process.
//
// The script is converted with wast2json, every binary module it references is
// compiled up front on a thread pool (each compile drives cc, so this is where
// the time goes), then the commands run in order against one Region. Each
// assertion's outcome goes to a Reporter as it happens, so that a crash part
// way through loses nothing that was already decided.
#pragma once

#include <string>

#include "util/result.h"

namespace lucet::spec {

enum class Outcome { Pass, Fail, Skip };

class Reporter {
public:
    virtual ~Reporter() = default;
    // `line` is the script line of the command; `message` is one line (the
    // reason for a failure or skip, empty for a pass).
    virtual void report(Outcome outcome, int line, const std::string &message) = 0;
    // Every command has run; what follows is tearing down instances and the
    // region (a crash from here on is a teardown bug, not a script failure).
    virtual void commands_done() {}
};

struct ScriptOptions {
    std::string wast2json = "wast2json";
    std::string work_dir;     // scratch directory for this script's JSON, .wasm and .so files
    std::string spectest_so;  // the compiled spectest helper module
    std::string cache_dir;    // compiled modules by content, shared by the run's scripts
    unsigned jobs = 1;        // compile threads
    int opt_level = 0;        // cc -O level of the modules under test
    std::string target_cpu = "x86-64";  // lucetc --target-cpu of the modules under test
    size_t split_chunk_bytes = 0;  // CompileOptions::force_split_chunk_bytes
    bool register_vars = false;    // CompileOptions::force_register_vars
};

// Runs the script. Every assertion is reported; a problem with the script as a
// whole (wast2json failing, unreadable JSON, no region) is reported as one
// failure at line 0 as well.
void run_script(const std::string &wast_path, const ScriptOptions &opts, Reporter &reporter);

}  // namespace lucet::spec
