// runtime.h: the runtime core's C++ interface: modules (.so produced by
// lucetc), regions of pre-reserved instance slots, instances, linking, traps.
// The C API (src/capi) and the launcher are shims over this.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "abi/lucet_abi.h"
#include "abi/types.h"  // ValType, FuncType, ExternKind
#include "util/result.h"
#include "util/unique_fd.h"

namespace lucet {

namespace rt {
class VerifiedModuleFile;
}

// ---------------------------------------------------------------- modules

// How DlModule::load checks a module file before dlopen.
struct ModuleLoadOptions {
    // When set, the file must carry a valid Ed25519 signature by this public
    // key (util/module_signature.h), or it is refused. Unset: a signature,
    // if any, is not checked (the .so is trusted native code).
    std::optional<std::array<uint8_t, 32>> signature_public_key;
};

// A loaded module .so. Shared by every instance made from it.
class DlModule {
public:
    // Reads `path` once, verifies its signature (if options require one),
    // refuses a file that is not an ELF shared object as lucetc links it
    // (runtime/elf_check.h: no initialisers, needed libraries, undefined
    // symbols, executable stack...), then dlopen()s exactly the checked bytes
    // (RTLD_NOW | RTLD_LOCAL, through a memfd), finds LUCET_MODULE_SYMBOL,
    // checks the ABI version ("module was compiled for ABI version N, this
    // runtime supports M"), fills the module's rt functions and type_ids,
    // records its code range for the signal handler. Unload happens when the
    // last shared_ptr goes away.
    static Result<std::shared_ptr<DlModule>> load(const std::string &path, const ModuleLoadOptions &options = {});
    // The same for the file open as `file` (`path` names it in messages and
    // path()): the file itself is loaded, whatever its path names by now.
    static Result<std::shared_ptr<DlModule>> load(UniqueFd file, const std::string &path,
                                                  const ModuleLoadOptions &options = {});
    ~DlModule();

    const lucet_module_desc &desc() const { return *desc_; }
    const std::string &path() const { return path_; }
    FuncType sig(uint32_t sig_index) const;
    FuncType func_type(uint32_t func_index) const;  // imports included
    // Name of the function containing code address pc ("func[12] <name>"), for trap messages.
    std::string function_name_at(uintptr_t pc) const;
    // Index of the function containing pc. Exact (split-off .cold parts
    // included) when the .so has its symbol table; otherwise the nearest
    // function start below pc.
    // in_chunk: set when pc is in a chunk of a split function (lucetc cuts
    // huge functions into chunks run by the function itself).
    std::optional<uint32_t> function_index_at(uintptr_t pc, bool *in_chunk = nullptr) const;
    std::string function_name(uint32_t func_index) const;  // "func[12] <name>" or "func[12]"

    // Introspection (module_info.cpp): the module's imports and exports in
    // declaration order. Views stay valid while the DlModule lives.
    struct ExternInfo {
        ExternKind kind = ExternKind::Func;
        std::string_view module;  // imports only
        std::string_view name;
        uint32_t index = 0;                  // in the kind's index space, imports first
        const FuncType *func_type = nullptr;  // Func
        GlobalType global_type;               // Global
        ValType elem_type = ValType::FuncRef; // Table
        Limits limits;                        // Table (elements), Memory (pages)
    };
    size_t num_exports() const;
    size_t num_imports() const;
    ExternInfo export_info(size_t i) const;  // i < num_exports()
    ExternInfo import_info(size_t i) const;  // i < num_imports()

    // perf's map of JIT code (perf_map.cpp): one "START SIZE NAME" line (hex
    // address and size) per code range of a defined function, NAME as
    // function_name with control characters replaced by '?'. The module is
    // dlopen()ed from a memfd, which perf cannot read symbols from.
    std::string perf_map_text() const;
    // Appends perf_map_text() to `path` (created 0644 if missing), in one write.
    // It first moves the module's code to anonymous memory (same addresses,
    // same bytes; once per module), the only memory perf looks up in a map.
    Status append_perf_map(const std::string &path) const;

    struct Impl;
private:
    DlModule() = default;
    static Result<std::shared_ptr<DlModule>> load_verified(std::unique_ptr<rt::VerifiedModuleFile> file,
                                                           const std::string &path, const ModuleLoadOptions &options);
    std::string path_;
    void *handle_ = nullptr;
    const lucet_module_desc *desc_ = nullptr;
    std::unique_ptr<Impl> impl_;
    friend class Instance;
};

// ---------------------------------------------------------------- regions

struct RegionLimits {
    uint64_t heap_address_space = 8ull << 30;  // reserved per slot for the heap (+ guard)
    uint64_t max_heap_size = 4ull << 30;       // memory.grow never goes beyond this
    uint64_t stack_size = 8ull << 20;          // guest stack, plus a guard page below it
    uint64_t globals_size = 1ull << 20;        // vmctx header + globals area (multiple of 4 KiB)
    uint64_t signal_stack_size = 64ull << 10;  // alternate signal stack
    uint64_t hostcall_reserve = 32ull << 10;   // stack kept free for host functions
    // All sizes must be multiples of 4 KiB and max_heap_size <= heap_address_space.
    Status validate() const;
};

// N slots, each reserving in one mmap(PROT_NONE): the vmctx + globals pages,
// the heap address space, a guard page + the guest stack, a guard page + the
// signal stack. Only touched pages cost memory. Slots are reused: releasing an
// instance returns its slot after resetting its memory (madvise DONTNEED).
class Region : public std::enable_shared_from_this<Region> {
public:
    static Result<std::shared_ptr<Region>> create(size_t capacity, const RegionLimits &limits);
    ~Region();
    const RegionLimits &limits() const { return limits_; }
    size_t capacity() const;
    size_t used() const;

    struct Impl;
private:
    Region() = default;
    RegionLimits limits_;
    std::unique_ptr<Impl> impl_;
    friend class Instance;
};

// ---------------------------------------------------------------- values & externs

struct Val {
    ValType type = ValType::I32;
    uint64_t bits = 0;  // representation of lucet_abi.h; v128: bytes 0..7 (little-endian lane order)
    uint64_t hi = 0;    // v128: bytes 8..15; 0 for every other type
    static Val i32(uint32_t v) { return {ValType::I32, v}; }
    static Val i64(uint64_t v) { return {ValType::I64, v}; }
    static Val v128(uint64_t lo, uint64_t hi) { return {ValType::V128, lo, hi}; }
};

class Instance;

// Something an import can be satisfied with.
struct Extern {
    ExternKind kind = ExternKind::Func;
    // Func: a wasm function of another instance, or a host function.
    FuncType func_type;
    void *code = nullptr;
    lucet_vmctx *func_vmctx = nullptr;  // nullptr: host function, gets the caller's vmctx
    // Table / Memory
    lucet_table *table = nullptr;
    lucet_memory *memory = nullptr;
    // Table / Memory: the declared limits of the provided object (for import
    // matching, the current size counts as its minimum; only `max` is read,
    // and for tables lucet_table.max already says it).
    Limits limits;
    // Global: pointer to the 8-byte slot holding the value (v128: to the
    // 16 bytes of storage, see lucet_abi.h)
    GlobalType global_type;
    uint64_t *global = nullptr;
    // Keeps the owner alive while an importer uses it (may be null for host externs).
    std::shared_ptr<void> owner;
    // Set by Instance::get_export: the instance it comes from. Importing it
    // links the importer and that instance (see "Linked instances" below).
    Instance *instance = nullptr;
};

// Resolves (module, field) to an Extern; return an Error naming what is missing.
using ImportResolver = std::function<Result<Extern>(std::string_view module, std::string_view field, ExternKind kind)>;

// ---------------------------------------------------------------- results

const char *trapcode_name(lucet_trapcode c);  // spec texts: "out of bounds memory access", ...

// One wasm frame of a trap's backtrace, innermost first.
struct TrapFrame {
    uint32_t func = 0;                               // wasm function index (imports included)
    uint32_t offset = LUCET_TRAP_OFFSET_UNKNOWN;     // wasm byte offset in the module file, if known
    std::string name;                                // from the name section, or empty
    uintptr_t pc = 0;                                // code address (a return address for outer frames), or 0
    // This function was inlined by cc into the next frame's function: the
    // frames between them (if any) are not known.
    bool inlined = false;
    // The function may have had callees inlined into it (LUCET_FUNC_MAY_INLINE):
    // a fault PC in it may belong to one of those, and their frames are not shown.
    bool may_include_inlined = false;
    std::string to_string() const;  // "func[3] <name> @ 0x4a"
};

struct TrapInfo {
    lucet_trapcode code = LUCET_TRAP_NONE;
    uintptr_t fault_addr = 0;   // faulting data address (signals), or 0
    int64_t heap_offset = -1;   // HEAP_OOB faults: fault_addr - the memory's base (the wasm address + offset)
    uintptr_t pc = 0;           // faulting or trapping code address, or 0
    std::string function;       // wasm function it happened in, if known ("func[3] <name>")
    // Wasm frames from the trapping one outwards, walked along the frame
    // pointers of the abandoned guest stack (generated code keeps them).
    // Stops at the first frame that is not module code (the entry
    // trampoline's caller, or a host function). At most kMaxFrames; more
    // are counted in frames_omitted.
    static constexpr size_t kMaxFrames = 256;
    std::vector<TrapFrame> backtrace;
    uint64_t frames_omitted = 0;
    // True when the walk could not start (a trap raised by host code, whose
    // frames the runtime cannot walk): only the calling wasm function is shown.
    bool backtrace_partial = false;
    // The spec's wording when it is not trapcode_name(code): table.get/set/
    // fill/copy/init out of bounds give "out of bounds table access" where
    // call_indirect gives "undefined element" (both LUCET_TRAP_TABLE_OOB).
    const char *text = nullptr;
    const char *message() const { return text ? text : trapcode_name(code); }
    std::string to_string() const;  // "out of bounds memory access at wasm address 0x10000 in func[3] <name>"
    // "wasm backtrace:\n    0: func[5] <c> @ 0x4a\n ..." (empty if no frame is known).
    std::string backtrace_string() const;
};

struct RunResult {
    enum class Kind { Returned, Trapped, Exited, Yielded, Error } kind = Kind::Returned;
    std::vector<Val> values;  // Returned
    TrapInfo trap;            // Trapped
    uint32_t exit_code = 0;   // Exited (proc_exit / terminate)
    bool killed = false;      // Exited because of the kill switch (exit_code 0)
    Val yielded;              // Yielded: the value the guest's host function passed to Instance::yield
    Error error;              // Error: no such export, bad argument types, ...
};

struct InstanceOptions {
    bool run_start = true;       // run the start function during create (else call Instance::run_start)
    void *embed_ctx = nullptr;   // Instance::embed_ctx()
    // The system interface's state (a lucet::WasiCtx for the WASI layer),
    // Instance::wasi_ctx(); the runtime never touches it. Separate from
    // embed_ctx so that an instance can have both.
    void *wasi_ctx = nullptr;
};

// Stops a running instance from any thread (Lucet's kill switch). Obtained
// from Instance::kill_switch(); it targets the run in progress when it was
// made, or the next run if none was. Holding one keeps only a small shared
// state alive, never the instance: it is safe to use after the instance is
// gone (terminate() then returns false).
//
// Delivery: while the guest executes module code it is stopped at once by
// a signal (SIGALRM sent with rt_tgsigqueueinfo and a marker value, so that
// other SIGALRMs still reach the embedder's handler; an embedder must not
// replace the runtime's SIGALRM handler). While it is in a host function or
// a runtime helper, the kill is pending and a watchdog thread re-sends the
// signal every millisecond until the guest is back in module code (or the
// run ends otherwise): the guest stops within ~1 ms of the host function
// returning. The runtime helpers of bulk operations (memory.fill/copy/init,
// table.fill/copy/init/grow) look for a pending kill themselves after every
// MiB or so of work and on return, and stop the run there (the operation's
// writes so far stay, as for a kill in a loop of stores). Host functions are
// never cut short. A run has at most one watchdog entry: terminate()
// called again for the same run (from any switch) only returns true. The handler has
// SA_RESTART: a blocking read/write restarts; ppoll/nanosleep fail with
// EINTR, so a host function that waits in ppoll can check
// Instance::kill_pending() and return early (the WASI layer does: a guest
// blocked in a WASI sleep, poll, or read/write/accept on a pipe, terminal or
// socket stops within a few milliseconds). Only the innermost run on a thread is stopped
// by the signal; a kill aimed at an enclosing run (a host function running
// another instance) takes effect once that host function returns.
class KillSwitch {
public:
    // true: the targeted run will stop (or, not started yet, will return
    // killed at once); false: the targeted run already finished, or the
    // instance is gone.
    bool terminate();

    struct State;
    KillSwitch(std::shared_ptr<State> st, uint64_t gen) : st_(std::move(st)), gen_(gen) {}
private:
    std::shared_ptr<State> st_;
    uint64_t gen_;
};

// ---------------------------------------------------------------- instances

// Linked instances. An instance that imports anything from another one
// (Extern::instance, i.e. from get_export) is linked to it, and the two are
// from then on in one link group (like a wasmtime Store): funcrefs flow both
// ways through shared tables and globals (an importer's elem segment,
// table.set/grow/fill or global.set writes its own functions into the
// exporter's storage), so either may call the other's code, on its own
// vmctx. Hence:
//  - Lifetime: dropping the last shared_ptr of a linked instance only
//    retires it; its slot, tables, module and embed/WASI contexts stay in
//    use until every instance of the group has been dropped, then all are
//    released together (Region::used() counts retired slots). A host table
//    or global given as an import (not from get_export) may receive the
//    instance's funcrefs too: the embedder must not let other instances use
//    it after the instance is gone.
//  - Stack: while one instance of a group runs, every instance of the group
//    has its vmctx->stack_limit set to the running stack's limit, so code of
//    the others checks the stack it actually runs on. Instances of a group
//    therefore run one thread at a time: a run of one while another runs on
//    another thread is refused (Kind::Error, "a linked instance is running
//    on another thread"); nested runs on one thread (a host function
//    running a linked instance) are fine. Linking to an instance while it
//    runs unlinked is refused.
class Instance : public std::enable_shared_from_this<Instance> {
public:
    // Takes a slot, resolves and type-checks imports ("unknown import env.f",
    // "incompatible import type for env.f: expected (i32)->(), got ()->()"),
    // initialises globals, tables, memory, applies active element and data
    // segments in order (a trap there: the Error says so and the instance is
    // not returned; effects on imported tables/memories persist, as the spec
    // says), then runs the start function if any (a trap: Error too).
    // Errors: "region is full", module/limits mismatch (compiled for more
    // reserved+guard than the region's heap address space), import errors.
    static Result<std::shared_ptr<Instance>> create(const std::shared_ptr<Region> &region,
                                                    const std::shared_ptr<DlModule> &module,
                                                    const ImportResolver &resolve, void *embed_ctx = nullptr);
    // Same, with options (options.run_start = false: the start function is
    // not run; call run_start()). Errors carry an ErrorKind: RegionFull,
    // ImportMissing, ImportType, Limits, Instantiate (trap in segments/start).
    static Result<std::shared_ptr<Instance>> create(const std::shared_ptr<Region> &region,
                                                    const std::shared_ptr<DlModule> &module,
                                                    const ImportResolver &resolve, const InstanceOptions &options);
    ~Instance();  // returns the slot to its region

    // Runs the start function if the module has one (Returned with no
    // values if it has none).
    RunResult run_start();
    // What create() makes of run_start()'s result: ok when it returned, else
    // an Instantiate error naming the trap, exit, kill or yield ("... (in the
    // start function)").
    static Status start_status(const RunResult &r);

    // Inside a host function called by this instance's guest: suspends the
    // guest; the run()/resume() in progress returns Kind::Yielded with v.
    // Returns the value later given to resume() (Val{} if none).
    Val yield(Val v);
    // Continues a yielded guest; Kind::Error if it is not yielded.
    RunResult resume(std::optional<Val> v = std::nullopt);
    bool is_yielded() const;
    // Whether this thread is inside a run of this instance (a host function
    // it called, possibly through runs of other instances).
    bool running_here() const;
    // The trap of the latest run, resume or run_start if it trapped (null
    // otherwise, and once another run has finished). Valid until then.
    const TrapInfo *last_trap() const;

    // Back to the state right after instantiation (heap, globals, tables,
    // dropped segments; imports stay), in the same slot. Does not run the
    // start function (call run_start()). Error while running or yielded.
    Status reset();

    // memory.grow from the host: old size in pages, or 0xffffffff.
    uint32_t grow_memory(uint32_t delta_pages);

    // A kill switch for the run in progress, or for the next run.
    std::shared_ptr<KillSwitch> kill_switch();
    // Inside a host function: has a kill switch been pulled for this run?
    // A host function blocking in a system call sees EINTR about every
    // millisecond while a kill is pending; it can check this and return
    // early (the guest is then stopped as soon as it is back in module code).
    bool kill_pending() const;
    // Inside a host function called by this instance's guest, with no C++
    // object of the host function's still alive (the guest's stack is
    // abandoned): if a kill is pending, stops the guest now and run()
    // returns Kind::Exited with killed set; otherwise returns. The WASI
    // layer calls it after every call, whose blocking waits give up early
    // when a kill is pending.
    void stop_if_killed();

    // First thing in a host function called from guest code: when less than
    // the region's hostcall_reserve is left on the running stack, leaves the
    // guest with a stack-overflow trap (reported at caller_pc, the host
    // function's return address) before any host code runs. Generated code
    // already keeps the reserve free (func_body.cpp; code of a linked
    // instance running on another's stack checks that stack's limit, see
    // "Linked instances"); this guards the WASI calls against modules from
    // older compilers.
    static void check_host_stack(uintptr_t caller_pc);
    // Inside a host function, with no C++ object of it still alive: leaves
    // the guest with a trap whose message is `text` (static storage).
    [[noreturn]] static void trap_from_host(lucet_trapcode code, const char *text, uintptr_t caller_pc);

    // Runs an exported function on the guest stack. Arguments are checked
    // against its type. Traps come back as Kind::Trapped; the process goes on
    // and the instance stays usable (it can be run again).
    RunResult run(std::string_view export_name, std::span<const Val> args);
    RunResult run_func(uint32_t func_index, std::span<const Val> args);
    // The same, into `out`, which is reset first: a caller that calls in a
    // loop keeps one RunResult (its vectors and strings keep their storage),
    // and a call does not construct and destroy one (3.5 ns of the ~12 ns
    // of an empty call).
    void run(std::string_view export_name, std::span<const Val> args, RunResult &out);
    // By function index (imports first) into a kept RunResult: the C API's
    // pre-resolved lucet_func calls take this path (no name to compare).
    void run_func(uint32_t func_index, std::span<const Val> args, RunResult &out);
    // The type of function func_index (imports first), nullptr when there
    // is no such function.
    const FuncType *func_type(uint32_t func_index) const;
    // The function index of the exported function `name`, or UINT32_MAX
    // when there is no function export of that name.
    uint32_t export_func_index(std::string_view name);
    // The type of the exported function `name`, or nullptr when there is no
    // function export of that name (get_export says why). Shares run()'s
    // one-entry name cache: checking a type and then running costs one
    // lookup (the C API's path).
    const FuncType *export_func_type(std::string_view name);

    Result<Extern> get_export(std::string_view name, ExternKind kind);
    Result<Val> get_global(std::string_view export_name);
    // Host access to exports other than functions (exports.cpp). Not while
    // the instance runs on another thread. A funcref Val's bits are a
    // `const lucet_funcref*`: set and grow accept only null or one of this
    // instance's canonical funcrefs (func_ref), so a host cannot store an
    // arbitrary code pointer.
    Status set_global(std::string_view export_name, const Val &v);  // mutable only, same type
    Result<Val> func_ref(std::string_view export_name);             // a funcref to an exported function
    Result<uint32_t> table_size(std::string_view export_name);
    Result<Val> table_get(std::string_view export_name, uint32_t idx);
    Status table_set(std::string_view export_name, uint32_t idx, const Val &v);
    Result<uint32_t> table_grow(std::string_view export_name, uint32_t delta, const Val &init);  // old size
    bool owns_funcref(uint64_t bits) const;  // bits == &this instance's canonical funcref of some function

    lucet_vmctx *vmctx() const { return vmctx_; }
    const std::shared_ptr<DlModule> &module() const { return module_; }
    void *embed_ctx() const { return embed_ctx_; }
    void *wasi_ctx() const { return wasi_ctx_; }
    uint8_t *heap() const;
    uint64_t heap_len() const;
    // Is [ptr, ptr+len) inside the current heap? (for host functions)
    bool check_heap(uint64_t ptr, uint64_t len) const;

    // From the instance's vmctx (inside host functions).
    static Instance *from_vmctx(lucet_vmctx *ctx);

    // Where the parts of this instance's region slot are (tests, diagnostics).
    struct SlotLayout {
        uint8_t *slot = nullptr;
        uint64_t slot_size = 0;
        uint8_t *vmctx = nullptr;        // vmctx header + globals
        uint64_t vmctx_size = 0;         // RegionLimits::globals_size
        uint8_t *heap = nullptr;         // heap reservation (the defined memory's base)
        uint64_t heap_reserved = 0;      // heap_address_space + 64 KiB extra guard
        uint8_t *stack_guard = nullptr;  // one PROT_NONE page below the stack
        uint8_t *stack = nullptr;        // lowest stack address
        uint64_t stack_size = 0;
        uint8_t *stack_end_guard = nullptr;  // one PROT_NONE page above the stack
    };
    SlotLayout slot_layout() const;

    // Inside a host function: stop the guest now; run() returns Kind::Exited.
    [[noreturn]] void terminate(uint32_t exit_code);

    struct Impl;
private:
    Status check_table_value(std::string_view export_name, const lucet_table *t, const Val &v) const;
    // The shared_ptr deleter: deletes an unlinked instance, retires a linked
    // one (link_group.cpp).
    static void dispose(Instance *p);
    Instance() = default;
    std::shared_ptr<Region> region_;
    std::shared_ptr<DlModule> module_;
    lucet_vmctx *vmctx_ = nullptr;
    void *embed_ctx_ = nullptr;
    void *wasi_ctx_ = nullptr;
    std::unique_ptr<Impl> impl_;
};

// Canonical signature id of a function type (lucet_abi.h "Signature ids").
uint64_t signature_id(const FuncType &t);

// Installs the process-wide signal handlers (idempotent; Region::create calls it).
void install_signal_handlers();

}  // namespace lucet
