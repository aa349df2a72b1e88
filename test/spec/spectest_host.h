// spectest_host.h: the `spectest` module every spec script may import from.
//
// Functions are C host functions of this runner (Lucet-style: they receive the
// caller's vmctx). The table, memory and globals need real runtime objects
// (lucet_table / lucet_memory / global slots), so they come from a small helper
// module that exports them, compiled once per run and instantiated once per
// script: that exercises the runtime's own table/memory/global code instead of
// a hand-built imitation.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "compiler/compiler.h"
#include "runtime/runtime.h"
#include "util/result.h"

namespace lucet::spec {

class SpectestHost {
public:
    // Writes spectest.wat into `dir`, converts it with wat2wasm and compiles it
    // to `dir`/spectest.so, whose path is returned.
    static Result<std::string> build_helper(const std::string &wat2wasm, const std::string &dir,
                                            const CompileOptions &opts);

    // Loads the helper .so and instantiates it in `region`.
    static Result<std::unique_ptr<SpectestHost>> create(const std::shared_ptr<Region> &region,
                                                        const std::string &helper_so);

    // spectest.<field>. A field that exists with another kind is returned as
    // what it is, so the runtime reports "incompatible import type" as the spec
    // wants, rather than "unknown import".
    Result<Extern> resolve(std::string_view field, ExternKind kind) const;

    // How many times the print functions were called (in this process).
    static uint64_t print_calls();

private:
    std::shared_ptr<Instance> helper_;
};

// Looks up `field` in `inst`'s exports, preferring `kind`; see resolve() above.
Result<Extern> export_any_kind(Instance &inst, std::string_view field, ExternKind kind);

}  // namespace lucet::spec
