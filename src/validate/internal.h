// internal.h (validator only): what the module-level checks hand to the
// function-body checker.
#pragma once

#include <cstdint>
#include <vector>

#include "decode/module.h"
#include "util/result.h"

namespace lucet::validate_detail {

struct ModuleContext {
    const Module &m;
    // C.refs: functions that may be named by ref.func inside bodies (those
    // referenced from elem segments, global initialisers and exports).
    std::vector<bool> declared_refs;
};

// Validates the bodies of all defined functions (m.code), in order, stopping
// at the first error. Non-recursive; linear in the code size.
Status validate_functions(const ModuleContext &ctx);

}  // namespace lucet::validate_detail
