// subprocess.h: running the wabt tools (wast2json, wat2wasm) from the spec
// runner, with their stderr captured for error messages.
#pragma once

#include <string>
#include <vector>

#include "util/result.h"

namespace lucet::spec {

// Runs argv[0] (looked up in PATH when it has no '/') with stdout discarded
// and stderr captured. Fails with "<tool> exited with status N: <stderr tail>".
Status run_tool(const std::vector<std::string> &argv);

}  // namespace lucet::spec
