// capi_internal.h: what the C API's translation units share: handle tables,
// the per-thread error message, and the mapping of runtime errors to codes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lucet_wasi.h"
#include "runtime/runtime.h"
#include "util/result.h"
#include "wasi/wasi.h"

#define LUCET_API extern "C" __attribute__((visibility("default")))

namespace lucet::capi {

// Records `msg` as this thread's last error message and returns `e`.
lucet_error fail(lucet_error e, std::string msg);
const char *message_cstr();
// Clears the message and returns lucet_error_ok.
lucet_error ok();

// No C++ exception crosses the C boundary: every C API body is a
// function-try-block ending in one of the handlers below, e.g.
//   LUCET_API enum lucet_error lucet_x(...) try { ... } LUCET_CAPI_CATCH
// The exception in flight becomes lucet_error_internal (the API has no
// out-of-memory code) with this thread's message naming the function and
// the exception ("lucet_x: out of memory (std::bad_alloc)", "lucet_x:
// internal error: vector::reserve"). Functions without an error code return
// a neutral value (LUCET_CAPI_CATCH_RETURN) with the message set; the
// lucet_vmctx calls that cannot return one (terminate, yield) abort, as they
// do on misuse. test/capi/check_guards.py checks every body has a handler.
lucet_error exception_error(const char *func) noexcept;  // call inside a catch handler only
[[noreturn]] void exception_abort(const char *func) noexcept;
#define LUCET_CAPI_CATCH \
    catch (...) { return ::lucet::capi::exception_error(__func__); }
#define LUCET_CAPI_CATCH_RETURN(value) \
    catch (...) { ::lucet::capi::exception_error(__func__); return value; }
#define LUCET_CAPI_CATCH_ABORT \
    catch (...) { ::lucet::capi::exception_abort(__func__); }

// ------------------------------------------------------------ handles
//
// A handle is not a pointer: it is (kind << 56) | (generation << 24) | index
// into the kind's table. Releasing bumps the slot's generation, so a stale
// handle no longer matches; a wrong-kind handle or a real pointer (top byte 0
// on x86-64 user space) fails the kind check. The table holds a shared_ptr,
// and lookups return a copy: an object released while another thread uses
// it lives until that use ends.
enum class Kind : uint8_t { Module = 0xA1, Region = 0xA2, Instance = 0xA3, WasiCtx = 0xA4, KillSwitch = 0xA5,
                        HostThunk = 0xA6 };

class HandleTableBase {
protected:
    static constexpr uint64_t kIndexBits = 24;
    static constexpr uint64_t kMaxEntries = 1ull << kIndexBits;
    static uint64_t encode(Kind k, uint32_t gen, uint32_t index) {
        return (uint64_t(k) << 56) | (uint64_t(gen) << kIndexBits) | index;
    }
    // The index, or -1 when h is not of kind k.
    static int64_t index_of(Kind k, uint64_t h, uint32_t &gen) {
        if ((h >> 56) != uint64_t(k)) return -1;
        gen = uint32_t(h >> kIndexBits);
        return int64_t(h & (kMaxEntries - 1));
    }
};

template <typename T, Kind K>
class HandleTable : HandleTableBase {
public:
    // 0 when the table is full (2^24 live handles).
    uint64_t insert(std::shared_ptr<T> obj) {
        std::lock_guard<std::mutex> lk(mu_);
        uint32_t i;
        if (!free_.empty()) {
            i = free_.back();
            free_.pop_back();
        } else {
            if (entries_.size() >= kMaxEntries) return 0;
            i = uint32_t(entries_.size());
            entries_.push_back({});
        }
        entries_[i].obj = std::move(obj);
        return encode(K, entries_[i].gen, i);
    }
    std::shared_ptr<T> get(const void *h) {
        std::lock_guard<std::mutex> lk(mu_);
        Entry *e = find(h);
        return e ? e->obj : nullptr;
    }
    // Invalidates the handle and hands back the object (null if invalid).
    std::shared_ptr<T> remove(const void *h) {
        std::shared_ptr<T> out;
        std::lock_guard<std::mutex> lk(mu_);
        Entry *e = find(h);
        if (!e) return nullptr;
        out = std::move(e->obj);
        e->obj.reset();
        e->gen++;
        free_.push_back(uint32_t(e - entries_.data()));
        return out;
    }

private:
    struct Entry {
        uint32_t gen = 1;
        std::shared_ptr<T> obj;
    };
    Entry *find(const void *h) {
        uint32_t gen = 0;
        int64_t i = index_of(K, reinterpret_cast<uintptr_t>(h), gen);
        if (i < 0 || uint64_t(i) >= entries_.size()) return nullptr;
        Entry &e = entries_[size_t(i)];
        return e.obj && e.gen == gen ? &e : nullptr;
    }
    std::mutex mu_;
    std::vector<Entry> entries_;
    std::vector<uint32_t> free_;
};

// What an instance handle owns. The WasiCtx must outlive the Instance (it is
// its embed_ctx), hence the member order: `inst` is destroyed first.
struct InstanceBox {
    std::shared_ptr<WasiCtx> wasi;
    std::shared_ptr<Instance> inst;
    ~InstanceBox();
};

HandleTable<DlModule, Kind::Module> &modules();
HandleTable<Region, Kind::Region> &regions();
HandleTable<InstanceBox, Kind::Instance> &instances();
HandleTable<WasiCtx, Kind::WasiCtx> &wasi_ctxs();
HandleTable<KillSwitch, Kind::KillSwitch> &kill_switches();

template <typename H>
H *to_handle(uint64_t h) {
    return reinterpret_cast<H *>(static_cast<uintptr_t>(h));
}

// Runtime value type <-> C API value type; false for types the C API does
// not carry (funcref).
bool to_valtype(lucet_val_type t, ValType &out);
bool from_valtype(ValType t, lucet_val_type &out);

// lucet_val <-> the runtime's Val (slot representation, v128 in bits + hi).
bool to_val(const lucet_val &v, Val &out);
lucet_val from_val(const Val &v);

// Fills *out (may be NULL) from a run/resume/run_start and returns the C
// API's code for it; `what` names the call for messages ("add", "resume").
lucet_error report_run(RunResult &rr, std::string_view what, lucet_result *out);
// *out = tag errored, all zero (NULL: nothing).
void set_errored(lucet_result *out);
// The C API code for a runtime Error, by its ErrorKind.
lucet_error code_for(const Error &e);

}  // namespace lucet::capi
