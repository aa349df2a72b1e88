// host_funcs.h: the embedder's host functions, copied out of the C array.
#pragma once

#include <string>
#include <vector>

#include "capi/capi_internal.h"

namespace lucet::capi {

struct HostFunc {
    std::string module, field;
    FuncType type;
    void *code = nullptr;
    std::shared_ptr<void> owner;  // a host thunk: kept alive by the instances that import it
};

// Validates and copies; lucet_error_ok or an error already recorded.
lucet_error copy_host_funcs(const lucet_host_func *funcs, size_t nfuncs, std::vector<HostFunc> &out);
// When `code` is a host thunk (lucet_host_thunk_new): "" if it is live and
// of type params -> results, else what is wrong; "" for other code.
// A live thunk is shared through `keep` (the instance holds it).
std::string check_host_thunk(const void *code, const lucet_val_type *params, uint32_t nparams,
                             const lucet_val_type *results, uint32_t nresults, std::shared_ptr<void> &keep);
// Resolves (module, field) against `funcs`; an error names what is missing.
ImportResolver host_func_resolver(std::vector<HostFunc> funcs);

// Is the host range [ptr, ptr+len) inside inst's current heap?
inline bool check_host_range(const Instance &inst, const void *ptr, uintptr_t len) {
    const uint8_t *base = inst.heap();
    const auto *p = static_cast<const uint8_t *>(ptr);
    if (!base || !p || p < base) return false;
    return inst.check_heap(static_cast<uint64_t>(p - base), len);
}

}  // namespace lucet::capi
