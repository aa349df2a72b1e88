// internal.h: what the runtime's translation units share and nobody else
// sees: the private Impl structs, the signal-safe registries read by the
// fault handler, the per-thread run state and the assembly context switch.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/elf_check.h"
#include "runtime/runtime.h"

// ------------------------------------------------------------ context switch
// (context_x86_64.S). A suspended context is just a stack pointer: the
// callee-saved registers and the resume address sit on that stack.
extern "C" {
// Saves the callee-saved registers on the current stack, stores rsp to
// *save_sp, then resumes the context whose stack pointer is new_sp.
void lucet_context_swap(uintptr_t *save_sp, uintptr_t new_sp);
// Saves the callee-saved registers like lucet_context_swap, then runs
// lucet_context_bootstrap on a fresh guest stack at sp (16-byte aligned) with
// the RunState rs; returns when the guest returns (or is left by
// lucet_context_set(*save_sp)).
void lucet_context_enter(uintptr_t *save_sp, void *rs, uintptr_t sp);
// Resumes the context at sp without saving anything and without touching the
// current stack (safe to jump to from a signal handler after a stack overflow).
[[noreturn]] void lucet_context_set(uintptr_t sp);
// First code a fresh guest stack runs (from lucet_context_enter): calls the
// RunState r12's trampoline, then resumes the host context in r12->host_sp.
void lucet_context_bootstrap();
}

namespace lucet::rt {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kWasmPage = LUCET_WASM_PAGE_SIZE;
// Beyond heap_address_space every slot keeps one more wasm page of guard so
// that base + u32 addr + u32 offset + 8 never leaves the reservation even when
// the module's own reserved+guard is exactly 8 GiB.
constexpr uint64_t kExtraHeapGuard = kWasmPage;
// Table capacity when the table declares no (or a huge) maximum. Reserved
// with MAP_NORESERVE: only touched pages cost memory.
constexpr uint64_t kMaxTableCapacity = 10'000'000;

inline uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// ------------------------------------------------------------ fault registries
// Fixed-size arrays read by the signal handler without locks. An entry is
// published by storing `end` last (release) and retired by zeroing `end`
// first; the handler loads `end` (acquire) before the other fields.

// Executable ranges of loaded module .so files.
struct CodeRange {
    std::atomic<uintptr_t> start{0};
    std::atomic<uintptr_t> end{0};
    std::atomic<const DlModule *> module{nullptr};
};
int register_code_range(uintptr_t start, uintptr_t end, const DlModule *m);  // -1 if full
void unregister_code_range(int index);
// The module whose code contains pc, or nullptr. Signal-safe.
const DlModule *module_at_pc(uintptr_t pc);

// Address-space areas laid out as `count` slots of `slot_size` bytes from
// `base`; inside each slot, [heap_lo, heap_hi) is linear-memory reservation
// and [guard_lo, guard_hi) is the guest stack guard. Host memories register
// as one slot without a stack guard.
struct FaultArea {
    std::atomic<uintptr_t> base{0};
    std::atomic<uintptr_t> end{0};
    uint64_t slot_size = 0;
    uint64_t heap_lo = 0, heap_hi = 0;
    uint64_t guard_lo = 0, guard_hi = 0;
};
int register_fault_area(uintptr_t base, uint64_t slot_size, uint64_t count, uint64_t heap_lo, uint64_t heap_hi,
                        uint64_t guard_lo, uint64_t guard_hi);  // -1 if full
void unregister_fault_area(int index);
enum class FaultKind { Unknown, Heap, StackGuard };
// Signal-safe. For Heap, *heap_base is the start of that heap reservation.
FaultKind classify_fault(uintptr_t addr, uintptr_t *heap_base);

// ------------------------------------------------------------ run state
// One per Instance::run in progress on a thread; they nest when a host
// function runs another instance. Lives in the Instance::Impl (a yielded run
// outlives the run() call that started it).
struct RunState {
    Instance::Impl *inst = nullptr;  // the instance whose stack the guest runs on
    uintptr_t host_sp = 0;            // host context to return to
    RunState *prev = nullptr;         // enclosing run on this thread
    // Outcome, written by the guest side (trap/terminate/handler) before
    // switching back.
    RunResult::Kind kind = RunResult::Kind::Returned;
    lucet_trapcode trap = LUCET_TRAP_NONE;
    const char *trap_text = nullptr;  // overrides trapcode_name (see TrapInfo::text)
    uintptr_t trap_pc = 0, fault_addr = 0, fault_heap_base = 0;
    // Where the backtrace walk starts (backtrace.cpp): the frame record
    // (saved rbp, return address) of the code trap_pc is in, and the stack
    // pointer at a fault; 0 if unknown. trap_site: LUCET_TRAP_SITE of an
    // explicit trap raised by generated code, else kNoSite.
    uintptr_t trap_fp = 0, trap_sp = 0;
    static constexpr uint64_t kNoSite = ~0ull;
    uint64_t trap_site = kNoSite;
    bool pc_is_return = false;  // trap_pc is a return address (helper traps), not a faulting instruction
    bool killed = false;        // Exited by the kill switch
    uint32_t exit_code = 0;
    // The outcome of terminate (by_kill false) or of the kill switch (exit
    // code 0, by_kill true). Signal-safe: the kill handler uses it.
    void set_exited(uint32_t code, bool by_kill) {
        kind = RunResult::Kind::Exited;
        exit_code = code;
        killed = by_kill;
    }
    Val yielded;                // Yielded: the value given to Instance::yield
    uintptr_t guest_sp = 0;     // Yielded: the suspended guest context
    // The call to make on the guest stack.
    lucet_trampoline tramp = nullptr;
    void *fn = nullptr;
    lucet_vmctx *fn_ctx = nullptr;
    const uint64_t *args = nullptr;
    uint64_t *results = nullptr;
};
// The innermost run on this thread (initial-exec TLS: no allocation when the
// signal handler reads it, even from a dlopen'd runtime).
extern constinit thread_local RunState *tls_run __attribute__((tls_model("initial-exec")));

// Ensures this thread has an adequate alternate signal stack (once per thread).
// Inline fast path (every run calls it): one initial-exec TLS load, no call,
// no __tls_get_addr even in the shared library.
extern constinit thread_local bool t_altstack_checked __attribute__((tls_model("initial-exec")));
// false (errno set) when the thread has no adequate alternate signal stack
// and none could be installed: a guard-page fault would then kill the
// process, so the run is refused.
bool install_altstack(uint64_t size);
inline bool ensure_altstack(uint64_t size) {
    return __builtin_expect(t_altstack_checked, 1) || install_altstack(size);
}

// Leaves the guest of the innermost run on this thread with a trap (the
// lucet_rt_fns helpers). Aborts if no run is in progress: a trap with no
// host context to return to cannot be recovered.
// fp: the frame record of the code pc is in (0: unknown); site: see RunState.
[[noreturn]] void trap_to_host(lucet_trapcode code, uintptr_t pc, const char *text = nullptr, uintptr_t fp = 0,
                               uint64_t site = RunState::kNoSite);

// Fills info.function and info.backtrace from a trapped run's RunState (the
// guest stack is intact until the next run). backtrace.cpp.
void fill_backtrace(const RunState &rs, TrapInfo &info);

// The lucet_rt_fns filled into every module (helpers.cpp).
extern const lucet_rt_fns g_rt_fns;

// The signal the kill switch sends (see KillSwitch in runtime.h), and the
// marker in its si_value that tells it from anyone else's.
constexpr int kKillSignal = SIGALRM;
extern const int g_kill_marker;
// Sends the kill signal to thread `tid` of this process. Signal-safe.
void send_kill_signal(pid_t tid);
// This thread's kernel thread id, cached (inline fast path, as ensure_altstack).
extern constinit thread_local pid_t t_tid __attribute__((tls_model("initial-exec")));
pid_t fetch_tid();
inline pid_t current_tid() {
    pid_t t = t_tid;
    return __builtin_expect(t != 0, 1) ? t : fetch_tid();
}
// Kill-signal handling (lifecycle.cpp), called by the signal handler for a
// signal carrying g_kill_marker. Returns true if it redirected the context.
bool handle_kill_signal(void *uc);
// The kill switch watchdog's entries (runs with a pending kill being watched);
// for tests: at most one per run, however often it is terminated.
size_t watchdog_entries();

// Where a module's data segments lie in its .so file (heap_image.cpp).
struct HeapImage {
    int fd = -1;                    // the .so the loader mapped; -1: copy every segment
    std::vector<int64_t> file_off;  // per data segment: file offset of its bytes, -1: copy it
};
// Finds it the first time (thread-safe); returns it or a copy-everything image.
const HeapImage &heap_image(const DlModule &m, DlModule::Impl &im);
// Writes the active data segments, in order, into one heap: their whole
// pages mapped copy-on-write from the file when possible (mapped_end != null,
// the memory is the instance's own, and the offsets agree), adjacent ones in
// one mmap, the rest copied. *mapped_end: end of what was mapped.
struct DataWriter {
    const HeapImage &img;
    uint8_t *heap;
    uint64_t *mapped_end;
    static constexpr uint64_t kMinMapped = 64 << 10;  // smaller runs of whole pages are copied
    static constexpr unsigned kMaxMapped = 8;          // mappings per instance, at most
    uint64_t run_lo = 0, run_hi = 0, file_lo = 0;     // pages to map, not yet mapped
    const uint8_t *run_src = nullptr;                 // their bytes in the loader's mapping
    unsigned runs = 0;
    // Segment s at heap + off (in bounds, checked by the caller).
    Status write(uint32_t s, const lucet_data_desc &ds, uint64_t off);
    Status flush();  // after the last segment
};
// Returns [heap, heap + touched) to PROT_NONE and fresh zero pages, undoing
// file mappings of data (write_data_segment) up to image_len.
void reset_heap(uint8_t *heap, uint64_t touched, uint64_t image_len);

// ucontext access (sysdeps_linux.cpp).
uintptr_t uc_pc(void *uc);
uintptr_t uc_fp(void *uc);  // rbp
uintptr_t uc_sp(void *uc);
// Makes the interrupted thread resume in lucet_context_set(sp) on sigreturn.
void uc_redirect_to_context_set(void *uc, uintptr_t sp);

// A table slot holding value v (funcref pointer bits / externref bits).
lucet_table_elem make_elem(uint32_t elem_type, uint64_t v);

std::string describe_functype(const FuncType &t);  // "(i32, i64) -> (f32)"

}  // namespace lucet::rt

namespace lucet {

struct DlModule::Impl {
    std::vector<FuncType> sigs;
    // Per signature: trampoline array slots (lucet_abi.h: a v128 takes two).
    struct SigSlots {
        uint32_t args = 0, results = 0;
        bool v128 = false;  // some param or result is a v128
    };
    std::vector<SigSlots> sig_slots;
    std::vector<ValType> global_types;  // by global index, imports first
    // The vmctx area an instance uses: header, global slots, then the 16-byte
    // storage of the defined v128 globals from v128_storage_off on.
    uint64_t v128_storage_off = 0;
    uint64_t vmctx_used = 0;
    std::vector<std::pair<uintptr_t, uint32_t>> code_map;  // sorted code address -> func index
    // Exact extents of lucet_f<N>, the chunks of split functions
    // (lucet_c<N>_<k>) and their split-off parts (lucet_f<N>.cold)
    // from the .so's symbol table, sorted by start; empty if stripped.
    struct SymRange {
        uintptr_t start, end;
        uint32_t func;
        bool chunk;  // a chunk of a split function (lucet_c<N>_<k>), not the function itself
    };
    std::vector<SymRange> sym_ranges;
    std::unordered_map<std::string_view, uint32_t> func_exports;  // name -> func index
    int code_range = -1;
    uintptr_t code_lo = 0, code_hi = 0;
    std::once_flag image_once;
    // The code was moved to anonymous memory for perf (perf_map.cpp), once.
    std::once_flag anon_code_once;
    std::string anon_code_error;
    rt::HeapImage image;
    // The memfd dlopen loaded the module from. Kept open while the module is
    // loaded (closed after dlclose, by ~DlModule): dlopen matches objects by
    // name first, so a reused "/proc/self/fd/N" would hand back this module.
    std::unique_ptr<rt::VerifiedModuleFile> file;
};

struct Region::Impl {
    uint8_t *base = nullptr;
    uint64_t map_size = 0;
    uint64_t slot_size = 0;
    size_t capacity = 0;
    // Offsets inside a slot.
    uint64_t heap_off = 0, heap_reserved = 0;
    uint64_t stack_guard_off = 0, stack_off = 0, stack_end_guard_off = 0;
    int fault_area = -1;
    std::mutex mu;
    std::vector<size_t> free;  // free slot indices, popped from the back
    // Slots whose vmctx and stack were made accessible once and stay so
    // (only their owner reads or writes its entry).
    std::vector<uint8_t> prepared;
    // Top of the guest stack kept resident across reuse of a slot.
    static constexpr uint64_t kStackKeep = 32 << 10;
    uint8_t *slot(size_t i) const { return base + i * slot_size; }
    // Lends a free slot (Instance::create) ...
    Result<size_t> lease_slot();
    // ... and takes it back (~Instance). vmctx_used: bytes of the vmctx area
    // the instance used (header + globals).
    void release_slot(size_t i, uint64_t heap_touched, uint64_t image_len, uint64_t vmctx_used);
};

struct OwnedTable {
    lucet_table table{};
    uint64_t map_bytes = 0;
    std::optional<uint64_t> declared_max;
};

// Instances linked by imports (runtime.h, "Linked instances";
// link_group.cpp). Guarded by link_mutex().
struct LinkGroup {
    std::vector<Instance *> members;  // live and retired
    size_t live = 0;                  // members not yet disposed of by their last shared_ptr
    pid_t tid = 0;                    // thread running one of them (depth > 0)
    unsigned depth = 0;               // nested runs of members on that thread
    uintptr_t limit = 0;              // every member's vmctx->stack_limit
};
std::mutex &link_mutex();

struct Instance::Impl {
    Instance *self = nullptr;
    Region::Impl *region = nullptr;
    size_t slot = 0;
    uint8_t *slot_base = nullptr;
    const lucet_module_desc *desc = nullptr;
    std::vector<lucet_funcref> funcs;
    std::vector<uint8_t> func_is_host;
    std::vector<lucet_table *> tables;
    std::vector<std::unique_ptr<OwnedTable>> owned_tables;
    lucet_memory memory{};  // the defined memory, if any
    bool has_own_memory = false;
    std::optional<uint64_t> memory_declared_max;   // defined memory
    std::optional<uint64_t> imported_memory_max;   // imported memory: the exporter's declared max
    std::vector<std::shared_ptr<void>> owners;  // keep imported objects alive
    // Linked to other instances (set once, before the first run): the
    // group, guarded by link_mutex().
    std::atomic<bool> linked{false};
    std::shared_ptr<LinkGroup> group;
    // Links this (new, not yet running) instance with `exporter`.
    Status link_to(Instance &exporter);
    // Around a run of a linked instance: false when another thread runs
    // one of the group. group_exit restores the enclosing run's limit.
    bool group_enter();
    void group_exit();
    uintptr_t saved_group_limit = 0;
    std::vector<uint8_t> data_dropped, elem_dropped;
    std::vector<uint32_t> func_sig;  // function index -> signature index
    // Where the instance is in its life (Lucet's State): Ready to run,
    // Running a run or a resume on some thread, or Yielded (a run suspended
    // in Instance::yield, to be resumed or reset). A trap, an exit or a kill
    // ends a run in Ready (the outcome is in the RunResult and last_trap).
    // Atomic because link_to reads another instance's; written only by the
    // thread that runs the instance. The kill switch's word mirrors it for
    // other threads, with the run generation (KillSwitch::State).
    enum class Phase : uint8_t { Ready, Running, Yielded };
    std::atomic<Phase> phase{Phase::Ready};
    Phase phase_now() const { return phase.load(std::memory_order_relaxed); }
    void set_phase(Phase p) { phase.store(p, std::memory_order_relaxed); }
    uintptr_t stack_limit = 0;  // vmctx->stack_limit while this instance's run owns the stack
    uint64_t image_len = 0;     // end of the heap bytes mapped from the module file

    // The run in progress or suspended, and its argument/result slots.
    rt::RunState rs;
    std::optional<TrapInfo> last_trap;  // the latest run/resume's trap, if it trapped
    const FuncType *run_type = nullptr;  // type of the function the run called
    const DlModule::Impl::SigSlots *run_slots = nullptr;  // its slot counts
    static constexpr size_t kInline = 16;
    uint64_t argbuf[kInline], resbuf[kInline];
    std::vector<uint64_t> argvec, resvec;
    uint64_t *resp = nullptr;
    Val resume_val;
    // export_index's one-entry name cache: the module's own map entry (its
    // name and index live as long as the module), published atomically so
    // that a lookup racing a run on another thread reads either entry whole.
    std::atomic<const std::pair<const std::string_view, uint32_t> *> last_export{nullptr};
    inline uint32_t export_index(std::string_view name);  // run.cpp
    // call_index's one-entry cache: what the last called function's run
    // needs, looked up once (funcs and func_sig never change after create).
    // UINT32_MAX: empty. No function has that index, and call_index treats
    // a call of it as a miss (so the empty entry is never used).
    struct CallSite {
        uint32_t index = UINT32_MAX;
        const FuncType *type = nullptr;
        const DlModule::Impl::SigSlots *slots = nullptr;
        decltype(rt::RunState::tramp) tramp = nullptr;
        decltype(rt::RunState::fn) fn = nullptr;
        decltype(rt::RunState::fn_ctx) fn_ctx = nullptr;
    } last_call;

    // Kill switch state shared with KillSwitch objects, and the run
    // generation (owned by the thread running the instance; the state's word
    // mirrors it for other threads).
    std::shared_ptr<KillSwitch::State> kill;
    uint64_t gen = 0;

    // Where global g's value is: its own slot, or for imported and v128
    // globals the storage the slot points to (16 bytes for a v128).
    uint64_t *global_slot(uint32_t g) const;
    uint64_t eval_init(const lucet_init_expr &e) const;
    // A v128 init expression (v128.const, or global.get of a v128 global).
    void eval_init_v128(const lucet_init_expr &e, uint64_t out[2]) const;
    // Instance::create's phases (instance.cpp), after the fit check and
    // the slot lease: set up the slot, link the imports, bind the module's
    // functions, then init_state and the start function.
    Status prepare_slot();
    struct ImportCounts {
        uint32_t funcs = 0, tables = 0, globals = 0;
    };
    Status bind_import(const lucet_import_desc &imp, Extern &ex, ImportCounts &counts);
    Status link_imports(const ImportResolver &resolve);
    void bind_defined_functions();
    Status run_start_function();
    // Memory, tables, globals and segments as instantiation leaves them
    // (imports already linked). Used by create and reset.
    Status init_state();
    // Undoes init_state's memory and tables (for reset).
    void clear_state();
    // Switches to the guest (fresh frame or suspended context) and collects
    // the outcome.
    RunResult enter(bool fresh);
    // run/run_func's shared body and enter's, inlined into them (run.cpp
    // only): the host -> guest call path is one function, without the
    // prologues and epilogues of three nested calls.
    // Both fill r, the caller's return value, in place.
    inline void call_index(uint32_t func_index, std::span<const Val> args, RunResult &r);
    inline void enter_inline(bool fresh, RunResult &r);
    // enter's outcome other than a normal return (trap, exit, yield): off
    // the hot path.
    void finish_other(RunResult &r);
};

// word = generation << 2 | phase. The generation counts finished runs (and
// resets); a kill switch targets one generation.
struct KillSwitch::State {
    enum Phase : uint64_t { Idle = 0, Running = 1, Yielded = 2 };
    std::atomic<uint64_t> word{0};
    std::atomic<uint64_t> kill_gen{UINT64_MAX};  // generation a kill was requested for
    std::atomic<pid_t> tid{0};                   // thread running it (Phase Running)
    std::mutex mu;                               // terminate() vs the instance going away
    bool alive = true;
};

}  // namespace lucet
