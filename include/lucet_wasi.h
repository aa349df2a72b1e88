/*
 * lucet_wasi.h: the stable C API of liblucet_wasi.
 *
 * Plain C99 (compiles with -std=c99 -Wall -Wextra -pedantic). Every fallible
 * call returns an enum lucet_error; no C++ type or exception crosses this
 * boundary. Names follow Lucet's lucet.h / lucet_wasi.h where they fit.
 *
 * Handles. struct lucet_dl_module, lucet_region, lucet_instance and
 * lucet_wasi_ctx are opaque handles, never pointers to memory the caller may
 * touch. Each encodes a kind, a table index and a generation counter, so a
 * handle that was released (or a handle of another kind, or garbage) is
 * detected: the call returns lucet_error_invalid_argument and does nothing.
 * A generation counter is 32 bits per table slot: a stale handle could only
 * alias a live one after 2^32 release/create cycles of the same slot.
 * Looking a handle up takes no lock.
 *
 * Threads. Handles may be used from any thread. An instance runs on one
 * thread at a time (a second concurrent or nested run of the same instance
 * returns lucet_error_invalid_argument); different instances run on
 * different threads at once. A handle released by one thread while another
 * thread runs it stays alive until that run returns. Calls that read or
 * change an instance's state outside a run (grow_heap, the trap calls, the
 * exported globals, memories and tables below) are refused with
 * lucet_error_invalid_argument while another thread runs, resets or grows
 * the instance; from the instance's own host functions they work. A WASI
 * context may be configured from several threads at once (the calls take
 * turns); once an instance has taken it, configuring calls are refused.
 * The library keeps a little state per thread (the error message, a call
 * result, an alternate signal stack for guest faults) and frees it when the
 * thread exits, also after calls made late in the exit, from a pthread key
 * destructor, except in glibc's last destructor round (the fourth, when a
 * destructor re-arms its key three times), where that state is not freed.
 * Pointers the library returned (lucet_error_message) are freed with it, so
 * one destructor cannot hand them to another. The library is never unloaded
 * (linked -z nodelete).
 * Cancelling (pthread_cancel) a thread while it runs a guest takes effect
 * only after the run returns: WASI calls hold cancellation off (unwinding
 * cannot cross the guest's frames), so a guest blocked in a WASI read keeps
 * waiting; stop it with a kill switch first. An embedder's own host
 * functions must not reach a cancellation point with cancellation enabled.
 *
 * Signals. Creating the first region installs process-wide handlers for
 * SIGSEGV, SIGBUS, SIGFPE and SIGILL that turn guest faults into traps (and
 * pass other faults to the handler that was there before), all with
 * SA_ONSTACK, and one for SIGALRM, which kill switches use (a SIGALRM that
 * is not a kill switch's goes to the previous handler too). An embedder that
 * installs its own handlers later must chain to the previous one, and
 * install them with SA_ONSTACK too (a guest stack overflow is taken on the
 * thread's alternate stack; without SA_ONSTACK the kernel cannot deliver it
 * and the process dies). A thread's first run unblocks SIGSEGV, SIGBUS,
 * SIGFPE and SIGILL in it (a blocked fault kills the process); threads that
 * run guests must not block SIGALRM, or kill switches cannot stop them.
 * A signal handler must not start a run (the API is not async-signal-safe).
 *
 * Host functions run on the guest's stack. Runtimes that check their stack
 * pointer (Go's cgo callbacks) must switch to a stack of their own first:
 * bindings/go (the Go package's trampoline) shows how.
 *
 * Errors. Besides its code, a failing call records a one-line message for
 * the calling thread: lucet_error_message().
 */
#ifndef LUCET_WASI_H
#define LUCET_WASI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ errors */

enum lucet_error {
    lucet_error_ok = 0,
    lucet_error_invalid_argument,   /* NULL, released or wrong-kind handle, bad value */
    lucet_error_region_full,        /* every slot of the region is in use */
    lucet_error_module,             /* bad module, or import missing/of the wrong type */
    lucet_error_limits_exceeded,    /* module needs more than the region's limits */
    lucet_error_no_linear_memory,   /* the instance has no memory */
    lucet_error_symbol_not_found,   /* an import no host function or WASI provides */
    lucet_error_func_not_found,     /* no exported function of that name */
    lucet_error_runtime_fault,      /* the guest trapped (see the lucet_result) */
    lucet_error_runtime_terminated, /* the guest exited / was terminated */
    lucet_error_dl,                 /* the .so could not be loaded */
    lucet_error_instance_not_returned,
    lucet_error_instance_not_yielded,
    lucet_error_start_yielded,
    lucet_error_internal,           /* out of memory, system call failure, ... */
    lucet_error_unsupported,        /* a feature this API or runtime lacks */
    lucet_error_compile,            /* the .wasm could not be compiled */
    lucet_error_import_type,        /* an import exists with another signature */
    lucet_error_export_not_found,   /* no export of that name (lucet_instance_global_get, ...) */
    lucet_error_buffer_too_small    /* a caller's buffer is smaller than the values (message: the count needed) */
};

/* "lucet_error_ok", ... ; never NULL ("lucet_error_unknown" for others). */
const char *lucet_error_name(enum lucet_error e);

/* The message of the last failing call on this thread ("" if none). Valid
 * until the next call into this library on the same thread, or until the
 * thread exits (the library frees it with the thread's pthread keys). Never
 * NULL. */
const char *lucet_error_message(void);

/* The library version, "MAJOR.MINOR.PATCH". */
const char *lucet_version(void);

/* The version of this API's binary interface: it changes when a struct's
 * layout or a function's signature changes, so that an embedder (or a
 * binding mirroring these structs, as examples/embed-* do) can check it
 * was written for the library it links.
 *   1: the first version.
 *   2: v128 values: lucet_val_type_v128, lucet_val_inner.as_v128;
 *      struct lucet_val grew from 16 to 24 bytes (alignment 8 unchanged),
 *      and struct lucet_result with it. */
#define LUCET_WASI_API_VERSION 2
/* Additions that keep every existing layout and signature (new functions,
 * new enum values at the end) do not change the version: since 2 came
 * lucet_error_export_not_found, lucet_error_buffer_too_small,
 * lucet_val_type_funcref, lucet_val_inner.as_funcref, the introspection,
 * export access and lucet_instance_call functions, lucet_host_thunk_new and
 * lucet_host_thunk_release, struct lucet_func with lucet_instance_func
 * and lucet_func_call; lucet_instance_run and struct lucet_result are
 * unchanged. struct lucet_compile_options grows
 * through its struct_size instead (old callers keep working, new fields
 * keep their defaults for them): target_cpu came that way. */
/* LUCET_WASI_API_VERSION of the library actually linked. */
int lucet_api_version(void);

/* ------------------------------------------------------------ values */

/* WebAssembly value types (their wasm binary encodings). */
enum lucet_val_type {
    lucet_val_type_i32 = 0x7f,
    lucet_val_type_i64 = 0x7e,
    lucet_val_type_f32 = 0x7d,
    lucet_val_type_f64 = 0x7c,
    lucet_val_type_v128 = 0x7b,     /* 16 bytes, in as_v128 */
    lucet_val_type_externref = 0x6f, /* an opaque 64-bit value, 0 = null */
    /* A function reference: only in introspection, tables and globals (never
     * an argument or result of lucet_instance_run). Its value (as_funcref)
     * is an opaque token of one instance, 0 = null: a non-null one is only
     * accepted by the instance it came from (lucet_instance_func_ref,
     * lucet_instance_table_get, lucet_instance_global_get). */
    lucet_val_type_funcref = 0x70
};

union lucet_val_inner {
    uint32_t as_i32;
    uint64_t as_i64;
    float as_f32;
    double as_f64;
    uint64_t as_externref;
    uint64_t as_funcref;
    /* v128: the 16 bytes in WebAssembly's order (little-endian lanes: i32
     * lane k is bytes 4k..4k+3, low byte first), as v128.store writes them. */
    uint8_t as_v128[16];
};

/* 24 bytes: the type, 4 bytes of padding, the value (16 bytes, 8-aligned;
 * 16 bytes in total before LUCET_WASI_API_VERSION 2). */
struct lucet_val {
    enum lucet_val_type ty;
    union lucet_val_inner inner_val;
};

/* Trap codes (the same numbers as the runtime's). */
enum lucet_trap_code {
    lucet_trap_code_none = 0,
    lucet_trap_code_heap_out_of_bounds = 1,
    lucet_trap_code_stack_overflow = 2,
    lucet_trap_code_integer_div_by_zero = 3,
    lucet_trap_code_integer_overflow = 4,
    lucet_trap_code_bad_conversion_to_integer = 5,
    lucet_trap_code_unreachable = 6,
    lucet_trap_code_indirect_call_to_null = 7,
    lucet_trap_code_bad_signature = 8,
    lucet_trap_code_table_out_of_bounds = 9,
    lucet_trap_code_interrupted = 10
};

/* The WebAssembly spec's text for a trap code ("integer divide by zero",
 * ...); "unknown trap code" for others. Never NULL. */
const char *lucet_trap_code_name(enum lucet_trap_code code);

enum lucet_result_tag {
    lucet_result_tag_returned = 0,
    lucet_result_tag_faulted = 1,
    lucet_result_tag_terminated = 2,
    lucet_result_tag_errored = 3,
    lucet_result_tag_yielded = 4 /* a host function called lucet_vmctx_yield */
};

/* "lucet_result_tag_returned", ...; "lucet_result_tag_unknown" for others. */
const char *lucet_result_tag_name(enum lucet_result_tag tag);

#define LUCET_MAX_RESULTS 8

/* What a run produced. Which member of `val` is meaningful depends on tag;
 * the others are zeroed. */
struct lucet_result {
    enum lucet_result_tag tag;
    union {
        struct {
            uint32_t nvalues; /* 0 .. LUCET_MAX_RESULTS */
            struct lucet_val values[LUCET_MAX_RESULTS];
        } returned;
        struct {
            enum lucet_trap_code code;
            uintptr_t fault_addr; /* faulting data address, or 0 */
            uintptr_t pc;         /* trapping code address, or 0 */
        } faulted;
        struct {
            uint32_t exit_code;   /* lucet_vmctx_terminate's value, WASI proc_exit's code */
            uint32_t killed;      /* 1: stopped by a kill switch (exit_code 0) */
        } terminated;
        struct {
            struct lucet_val value; /* what the host function passed to lucet_vmctx_yield */
        } yielded;
    } val;
};

/* ------------------------------------------------------------ traps
 *
 * After a run, resume or run_start that trapped (lucet_error_runtime_fault),
 * the instance keeps what is known about the trap until its next run ends,
 * it is reset or released. Strings point into the instance and stay valid
 * as long.
 *
 * The backtrace comes from the guest stack's frame pointers, innermost frame
 * first, like wasmtime's "wasm backtrace". cc's inlining merges frames: an
 * explicit trap (unreachable, division, conversion, call_indirect, bounds
 * checks, stack checks) names its function and wasm byte offset exactly
 * (frame 0, `inlined` set when that function was inlined into frame 1's); a
 * fault (heap guard page, stack guard page) names the function whose code
 * faulted, and `may_include_inlined` says when callees may have been inlined
 * into it (their frames are then missing). Frames of host functions are not
 * walked: a trap raised by a host function shows only its wasm caller.
 */
struct lucet_instance;

#define LUCET_WASM_OFFSET_UNKNOWN 0xffffffffu

struct lucet_trap_info {
    enum lucet_trap_code code;
    uint32_t has_func;       /* 1: func_index / func_name name the trapping wasm function */
    uint32_t func_index;     /* wasm function index (imports included) */
    uint32_t wasm_offset;    /* byte offset of the trapping instruction in the .wasm, or LUCET_WASM_OFFSET_UNKNOWN */
    const char *func_name;   /* from the name section ("" if none); NUL-terminated */
    uint64_t heap_offset;    /* out-of-bounds memory access: the wasm address + offset; UINT64_MAX otherwise */
    uint32_t frame_count;    /* frames in the backtrace (at most 256) */
    uint32_t frames_partial; /* 1: the walk stopped early (trap raised by host code) */
    uint64_t frames_omitted; /* frames beyond the 256 kept */
};

struct lucet_trap_frame {
    uint32_t func_index;
    uint32_t wasm_offset;    /* LUCET_WASM_OFFSET_UNKNOWN unless known (frame 0 of an explicit trap) */
    const char *func_name;   /* "" if the name section does not name it; NUL-terminated */
    uintptr_t pc;            /* code address (a return address for outer frames) */
    uint32_t inlined;        /* 1: inlined into the next frame's function; frames between are unknown */
    uint32_t may_include_inlined; /* 1: callees may have been inlined into this function */
};

/* The latest trap's summary. lucet_error_invalid_argument: inst or out is
 * NULL or not a live instance; lucet_error_runtime_fault: no trap recorded
 * (the latest run did not trap). */
enum lucet_error lucet_instance_trap_info(const struct lucet_instance *inst, struct lucet_trap_info *out);

/* Frame `index` (0 = innermost) of the latest trap's backtrace. Errors as
 * lucet_instance_trap_info, and lucet_error_invalid_argument for an index
 * >= frame_count. */
enum lucet_error lucet_instance_trap_frame(const struct lucet_instance *inst, uint32_t index,
                                           struct lucet_trap_frame *out);

/* The backtrace as lucet-wasi prints it ("wasm backtrace:\n    0: func[3]
 * <name> @ 0x4a\n..."), NUL-terminated; NULL (and the message set) on the
 * errors of lucet_instance_trap_info. Valid until the next call of this
 * function on the same thread, or until the thread exits. */
const char *lucet_instance_trap_backtrace(const struct lucet_instance *inst);

/* ------------------------------------------------------------ modules */

struct lucet_dl_module;

/* Loads a module .so produced by lucetc. On success *mod_out is a new
 * handle the caller releases with lucet_dl_module_release. The file is
 * checked before dlopen and refused unless it is linked as lucetc links
 * modules (no initialisers, needed libraries, undefined symbols...). A .so
 * is trusted native code: see lucet_dl_module_load_signed.
 * Errors: invalid_argument (NULL path or mod_out), dl (cannot load, refused
 * by the check, not a lucet module, other ABI version). */
enum lucet_error lucet_dl_module_load(const char *path, struct lucet_dl_module **mod_out);

/* Like lucet_dl_module_load, but the file must carry a valid Ed25519
 * signature by `public_key` (32 bytes; a key file from
 * `lucetc --signature-keygen` holds them as 64 hex digits after
 * "lucet-ed25519-public-key: "), made by `lucetc --signature-create`. The
 * signature covers every byte that is loaded. Errors: invalid_argument (NULL
 * argument, public_key_len not 32), dl (no signature, signed by another key,
 * modified after signing, or any lucet_dl_module_load error). */
enum lucet_error lucet_dl_module_load_signed(const char *path, const unsigned char *public_key,
                                             size_t public_key_len, struct lucet_dl_module **mod_out);

/* Releases the handle. Instances made from the module keep it loaded until
 * they are released. Errors: invalid_argument (NULL, released). */
enum lucet_error lucet_dl_module_release(struct lucet_dl_module *module);

/* Compiles the .wasm at wasm_path into the module .so so_path (written under
 * a temporary name and renamed, so a reader never sees half a file), with
 * cc at -O<opt_level> (0..2), the default 4 GiB + 4 GiB heap layout and the
 * default limits of lucet_compile_options_default (2 GiB, 300 s).
 * Runs the system C compiler: can take seconds. Errors: invalid_argument
 * (NULL path, opt_level out of range), compile (bad module, cc failure,
 * cannot write so_path; see lucet_error_message). */
enum lucet_error lucet_compile_wasm_file(const char *wasm_path, const char *so_path, int opt_level);

/* Options of a compile. Get them from lucet_compile_options_default() and
 * change the fields you need: the library reads only the first struct_size
 * bytes, so a program built against this header keeps working with a later
 * library whose struct has grown (new fields then keep their defaults).
 * An untrusted .wasm can make the C compiler use much memory and time; the
 * limits turn that into lucet_error_compile with a one-line message,
 * "compiling f12..f40 (unit3.c): C compiler exceeded the 2 GiB memory limit",
 * and leave no file behind (no output, no cache entry, no temporary file). */
struct lucet_compile_options {
    uint32_t struct_size;      /* sizeof(struct lucet_compile_options) */
    int32_t opt_level;         /* cc's -O level, 0..2; default 2 */
    uint64_t max_memory;       /* bytes of address space of each C compiler process
                                * (cc1, as, ld; one per core at once); 0 = no limit;
                                * default 2 GiB */
    uint64_t max_time_seconds; /* wall-clock bound of the whole compile, and CPU time of
                                * each C compiler process; 0 = no limit; default 300 */
    /* Since the second version (32 bytes): the CPU the code may assume, as
     * lucetc --target-cpu: "native" (this machine's CPU), "x86-64" (any
     * x86-64 CPU), "x86-64-v2", "x86-64-v3", "x86-64-v4" (psABI levels:
     * SSE4.2, AVX2, AVX-512). NULL (the default): "x86-64" for
     * lucet_compile_wasm_file_with_options (the .so may be copied to another
     * machine), "native" for lucet_dl_module_load_wasm_with_options (the
     * cache is this machine's; its key holds what "native" resolves to).
     * Read during the call only. A module needing features the running CPU
     * lacks is refused by lucet_dl_module_load (lucet_error_dl). */
    const char *target_cpu;
};

/* The defaults, struct_size set. */
struct lucet_compile_options lucet_compile_options_default(void);

/* lucet_compile_wasm_file with options (NULL: the defaults).
 * Errors: invalid_argument (NULL path, struct_size smaller than the first
 * version's 24 bytes or larger than this library knows, opt_level out of
 * range, unknown target_cpu), compile (as lucet_compile_wasm_file, or a
 * limit hit). */
enum lucet_error lucet_compile_wasm_file_with_options(const char *wasm_path, const char *so_path,
                                                      const struct lucet_compile_options *options);

/* Loads the module of the .wasm at wasm_path, compiled as by
 * lucet_compile_wasm_file into the on-disk cache that lucet-wasi uses
 * ($XDG_CACHE_HOME/lucet, else $HOME/.cache/lucet, else the home directory
 * of the password database; an error if none is known or it is relative):
 * the first load of a module runs the C compiler (seconds), later loads of
 * the same bytes with the same compiler, C compiler and opt_level reuse the
 * .so (a dlopen).
 * The code is compiled for this machine's CPU (target_cpu "native").
 * Errors: invalid_argument (NULL argument, opt_level out of range), compile
 * (bad module, cc failure, cache directory not writable), dl. */
enum lucet_error lucet_dl_module_load_wasm(const char *wasm_path, int opt_level, struct lucet_dl_module **mod_out);

/* lucet_dl_module_load_wasm with options (NULL: the defaults); the limits
 * apply only when the module is compiled (a cache miss), and a compile that
 * hits one stores nothing in the cache. Errors: as
 * lucet_compile_wasm_file_with_options, and dl. */
enum lucet_error lucet_dl_module_load_wasm_with_options(const char *wasm_path,
                                                        const struct lucet_compile_options *options,
                                                        struct lucet_dl_module **mod_out);

/* ------------------------------------------------------------ regions */

struct lucet_region;

/* Per-slot limits; every size a non-zero multiple of 4 KiB. */
struct lucet_alloc_limits {
    uint64_t heap_memory_size;        /* memory.grow never goes beyond this */
    uint64_t heap_address_space_size; /* reserved per slot for the heap (>= heap_memory_size) */
    uint64_t stack_size;              /* guest stack (a guard page below it) */
    uint64_t globals_size;            /* vmctx header + globals */
    uint64_t signal_stack_size;       /* alternate signal stack, 16 KiB .. 64 MiB */
};

/* The defaults: 4 GiB heap, 8 GiB heap address space, 8 MiB stack, 1 MiB
 * globals, 64 KiB signal stack. */
struct lucet_alloc_limits lucet_alloc_limits_default(void);

/* Reserves address space for `instance_capacity` instances (limits NULL:
 * the defaults). Only touched pages cost memory. The caller releases
 * *region_out with lucet_region_release.
 * Errors: invalid_argument (NULL region_out, capacity 0, bad limits),
 * limits_exceeded (cannot reserve that much address space). */
enum lucet_error lucet_mmap_region_create(uint64_t instance_capacity, const struct lucet_alloc_limits *limits,
                                          struct lucet_region **region_out);

/* Releases the handle; the memory goes when the last instance in it is
 * released too. Errors: invalid_argument (NULL, released). */
enum lucet_error lucet_region_release(struct lucet_region *region);

/* Slots in use / in total. Errors: invalid_argument. */
enum lucet_error lucet_region_used(const struct lucet_region *region, uint64_t *used_out, uint64_t *capacity_out);

/* ------------------------------------------------------------ WASI contexts */

struct lucet_wasi_ctx;

/* A new WASI context: no args, no env, no stdio, no preopens. The
 * environment starts empty: add this process's (lucet_wasi_ctx_inherit_env),
 * single variables of it by name (lucet_wasi_ctx_env_from_host), or new
 * ones (lucet_wasi_ctx_env). Directory paths are given host first, then the
 * guest's name, everywhere (as wasmtime's wasi_config_preopen_dir and its
 * CLI's --dir HOST::GUEST; lucet-wasi also takes the seed's GUEST:HOST). The caller
 * releases it with lucet_wasi_ctx_destroy, unless it is given to an
 * instance (lucet_region_new_instance_with_wasi_ctx), which consumes it:
 * the configuring calls below return invalid_argument from then on.
 * Errors: invalid_argument (NULL ctx_out). */
enum lucet_error lucet_wasi_ctx_create(struct lucet_wasi_ctx **ctx_out);

/* Appends arguments (argv[0] is conventionally the program name). The
 * strings are copied. Errors: invalid_argument (bad handle, NULL argv with
 * argc > 0, a NULL argv[i]). */
enum lucet_error lucet_wasi_ctx_args(struct lucet_wasi_ctx *ctx, size_t argc, const char *const *argv);

/* Appends every variable of this process's environment. */
enum lucet_error lucet_wasi_ctx_inherit_env(struct lucet_wasi_ctx *ctx);

/* Appends one variable NAME=VALUE (name: non-empty, no '='). */
enum lucet_error lucet_wasi_ctx_env(struct lucet_wasi_ctx *ctx, const char *name, const char *value);

/* Appends NAME with this process's value of NAME (as wasmtime's --env NAME).
 * Errors: invalid_argument (bad handle, NULL, empty or '=' in the name, NAME
 * not set in this process). */
enum lucet_error lucet_wasi_ctx_env_from_host(struct lucet_wasi_ctx *ctx, const char *name);

/* Gives the guest this process's fds 0, 1, 2 (borrowed: the guest closing
 * them does not close the host's). Call before lucet_wasi_ctx_preopen_dir
 * so preopens start at fd 3. Errors: invalid_argument, internal. */
enum lucet_error lucet_wasi_ctx_inherit_stdio(struct lucet_wasi_ctx *ctx);

/* Makes the guest's stdin, stdout or stderr (guest_fd 0, 1 or 2) a
 * duplicate of host_fd, replacing what was there (an inherited fd too). The
 * context owns the duplicate (close-on-exec); the caller may close host_fd
 * at once. The guest's rights follow the fd's access mode: no write rights
 * on a read-only fd, no read rights on a write-only one.
 * Errors: invalid_argument (bad handle, guest_fd not 0-2, host_fd not open). */
enum lucet_error lucet_wasi_ctx_stdio_fd(struct lucet_wasi_ctx *ctx, int guest_fd, int host_fd);

/* Same with a file: stdin (0) opens path for reading (it must exist);
 * stdout and stderr (1, 2) create or truncate it (mode 0666 & ~umask).
 * Errors: invalid_argument (bad handle, NULL path, guest_fd not 0-2),
 * internal (cannot open; the message names the path and the reason). */
enum lucet_error lucet_wasi_ctx_stdio_file(struct lucet_wasi_ctx *ctx, int guest_fd, const char *path);

/* Opens host_path as a directory the guest sees as guest_path (all access
 * is confined below it). Errors: invalid_argument (bad handle, NULL path),
 * internal (cannot open; see lucet_error_message). */
enum lucet_error lucet_wasi_ctx_preopen_dir(struct lucet_wasi_ctx *ctx, const char *host_path,
                                            const char *guest_path);

/* The same, read-only: the guest may open, read, stat and list below it,
 * and nothing else. Opening a file for writing fails with WASI's `perm`;
 * creating, truncating, unlinking, renaming or linking from or into it,
 * changing times or sizes fail with `notcapable`, for the preopen and every
 * descriptor opened below it; fd_fdstat_set_rights cannot add rights back.
 * (A writable preopen of the same host directory, or of a parent, would
 * still give write access: preopen each host path once.) */
enum lucet_error lucet_wasi_ctx_preopen_dir_readonly(struct lucet_wasi_ctx *ctx, const char *host_path,
                                                     const char *guest_path);

/* The most fds the guest may have open at once (stdio and preopens count);
 * beyond it path_open and sock_accept fail with WASI's `nfile`. Default
 * 1024: keep it under this process's RLIMIT_NOFILE, minus what the host
 * needs. Errors: invalid_argument (bad handle, 0 or above 1048576). */
enum lucet_error lucet_wasi_ctx_max_fds(struct lucet_wasi_ctx *ctx, uint32_t max_fds);

/* Destroys a context that was not given to an instance.
 * Errors: invalid_argument (NULL, destroyed, consumed). */
enum lucet_error lucet_wasi_ctx_destroy(struct lucet_wasi_ctx *ctx);

/* ------------------------------------------------------------ host functions */

/* The instance context a host function receives first. */
struct lucet_vmctx;

/* A v128 as host functions take and return it: a 16-byte GCC/clang vector
 * (passed in an SSE register on x86-64, like __m128i), its bytes in
 * WebAssembly's order. The same type as lucetc's generated code uses.
 * Convert with memcpy to and from lucet_val_inner.as_v128. */
#if defined(__GNUC__)
#ifndef LUCET_V128_DEFINED
#define LUCET_V128_DEFINED
typedef long long lucet_v128 __attribute__((vector_size(16)));
#endif
#endif

/*
 * A host function the embedder provides for an import. `func` has the C
 * signature of the guest's import with a leading struct lucet_vmctx*:
 *   (func (param i32 i64) (result f64))  ->
 *   double my_fn(struct lucet_vmctx *ctx, uint32_t a, uint64_t b);
 * i32 -> uint32_t, i64 -> uint64_t, f32 -> float, f64 -> double, externref
 * -> uint64_t, v128 -> lucet_v128 (by value); no result: void. Two or more
 * results (any number): it returns, by value, a struct whose members are
 * the results in order, each of the C type above:
 *   (func (result i32 f64 i64))  ->
 *   struct r3 { uint32_t r0; double r1; uint64_t r2; };
 *   struct r3 my_fn(struct lucet_vmctx *ctx);
 * (the C compiler's own struct-return convention; examples/multi_value.c).
 * It is called directly
 * from generated code, on the guest's stack (keep deep recursion and large
 * locals out of it: 32 KiB is reserved for host calls). It must not
 * longjmp or throw; it leaves early with lucet_vmctx_terminate.
 * `params`/`results` give the signature, checked against the module's
 * import at instantiation (lucet_error_import_type when they differ).
 */
typedef void (*lucet_host_func_ptr)(void);
struct lucet_host_func {
    const char *module_name;
    const char *field_name;
    lucet_host_func_ptr func; /* the function, cast: (lucet_host_func_ptr)my_fn */
    const enum lucet_val_type *params;
    uint32_t nparams;
    uint32_t nresults; /* any number; 2 or more: a struct return (above) */
    const enum lucet_val_type *results;
};

/* The instance's heap base (NULL without memory). */
uint8_t *lucet_vmctx_get_heap(struct lucet_vmctx *ctx);
/* The current heap size in wasm pages (64 KiB). */
uint32_t lucet_vmctx_current_memory(struct lucet_vmctx *ctx);
/* Is [ptr, ptr+len) inside the current heap? ptr is a host address. */
bool lucet_vmctx_check_heap(struct lucet_vmctx *ctx, const void *ptr, uintptr_t len);
/* The embedder context given at instance creation (NULL for none; a WASI
 * context is separate and never returned here). */
void *lucet_vmctx_get_delegate(struct lucet_vmctx *ctx);
/* Stops the guest now: the run returns lucet_error_runtime_terminated with
 * result tag terminated and exit_code. Never returns. Only valid inside a
 * host function of a running instance (aborts the process otherwise: there
 * is nothing to return to), for that instance's innermost run: a host
 * function of an instance run from another instance's host function cannot
 * terminate the outer one through its ctx (aborts: it would stop the inner
 * run instead); return to the outer host function and terminate there. */
void lucet_vmctx_terminate(struct lucet_vmctx *ctx, uint32_t exit_code)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

/* Suspends the guest from inside a host function: the lucet_instance_run
 * (or lucet_instance_resume) in progress returns lucet_error_ok with result
 * tag yielded and `value`. Returns, inside the same host function, when the
 * embedder calls lucet_instance_resume: the value given there (i32 0 if
 * none). Only valid inside a host function of a running instance (aborts
 * the process otherwise). The guest's stack stays as it is meanwhile. */
struct lucet_val lucet_vmctx_yield(struct lucet_vmctx *ctx, struct lucet_val value);

/* ------------------------------------------------------------ host functions over lucet_val */

/* For embedders that cannot write a C function of each import's signature
 * (language bindings: Python's ctypes, Go's cgo): a callback that takes the
 * arguments and gives the results as struct lucet_val arrays, behind a
 * native function pointer of the import's signature (any number and mix of
 * parameters and results, v128 included) to put in a lucet_host_func.
 *
 * The callback gets params[0..nparams) typed as declared and fills
 * results[0..nresults), each with its declared type in .ty (they start with
 * .ty 0). It returns 0, or an exit code to stop the guest with, as
 * lucet_vmctx_terminate(ctx, code) would (the run returns
 * lucet_error_runtime_terminated with that exit_code). A result left unset
 * or of another type stops the guest with LUCET_HOST_THUNK_BAD_RESULT. It
 * runs as a host function does (on the guest's stack, lucet_vmctx_* calls
 * allowed). x86-64 only, as the rest of the runtime. */
typedef uint32_t (*lucet_host_callback)(struct lucet_vmctx *ctx, void *data, const struct lucet_val *params,
                                        struct lucet_val *results);

/* The process has LUCET_HOST_THUNKS function pointers for callbacks. */
#define LUCET_HOST_THUNKS 4096
/* Exit codes of a guest stopped by a thunk: a result was unset or of the
 * wrong type (or its buffer could not be allocated); a call through a stub
 * whose thunk is gone (only possible for a pointer used outside an
 * instance's imports, which keep their thunks alive). */
#define LUCET_HOST_THUNK_BAD_RESULT 0xfffffff0u
#define LUCET_HOST_THUNK_RELEASED 0xfffffff1u

struct lucet_host_thunk;

/* A function pointer (*func_out) of signature (params) -> (results) that
 * calls callback(ctx, data, ...), for lucet_host_func.func with the same
 * params and results (instance creation checks it: an entry whose types
 * differ from its thunk's, or whose thunk was released, is
 * lucet_error_invalid_argument). The caller releases *thunk_out with
 * lucet_host_thunk_release when it creates no more instances with it:
 * instances that import it hold it, so a released thunk still serves them
 * (its callback and data must stay valid until they are released), and its
 * pointer goes to a new thunk only once they are gone. The type arrays are read during
 * the call only. Errors: invalid_argument (NULL callback, thunk_out or
 * func_out, NULL params/results with a non-zero count, an unknown or
 * funcref type), limits_exceeded (all LUCET_HOST_THUNKS in use). */
enum lucet_error lucet_host_thunk_new(const enum lucet_val_type *params, uint32_t nparams,
                                      const enum lucet_val_type *results, uint32_t nresults,
                                      lucet_host_callback callback, void *data, struct lucet_host_thunk **thunk_out,
                                      lucet_host_func_ptr *func_out);

/* Errors: invalid_argument (NULL, released). */
enum lucet_error lucet_host_thunk_release(struct lucet_host_thunk *thunk);

/* ------------------------------------------------------------ instances */

struct lucet_instance;

/* Creates an instance of `module` in a free slot of `region`: links imports,
 * initialises memory, tables and globals, and runs the module's start
 * function. The caller releases *inst_out with lucet_instance_release.
 * Errors: invalid_argument (bad handle, NULL inst_out), region_full,
 * symbol_not_found (an import nothing provides), import_type (a provided
 * import of another type), limits_exceeded (module needs a larger heap
 * reservation, more globals space or initial memory than the limits),
 * runtime_fault (a trap in a segment initialiser or the start function),
 * runtime_terminated (the start function exited), start_yielded (the start
 * function yielded; the instance is not created), module (other
 * instantiation failures). */
enum lucet_error lucet_region_new_instance(const struct lucet_region *region, const struct lucet_dl_module *module,
                                           struct lucet_instance **inst_out);

/* Flags of lucet_region_new_instance_with_options. */
#define LUCET_INSTANCE_DEFER_START 1u /* do not run the start function: call lucet_instance_run_start */
/* A start function run during creation runs before any handle exists, so no
 * kill switch can stop it: for modules you do not trust, create with
 * LUCET_INSTANCE_DEFER_START, take the instance's kill switch (a watchdog),
 * then call lucet_instance_run_start, as lucet-wasi --timeout does. */

/* lucet_region_new_instance_with_imports with flags (0 or
 * LUCET_INSTANCE_DEFER_START). Errors: as there, plus invalid_argument for
 * unknown flags; start_yielded when the start function yields (the
 * instance is not created). */
enum lucet_error lucet_region_new_instance_with_options(const struct lucet_region *region,
                                                        const struct lucet_dl_module *module,
                                                        const struct lucet_host_func *funcs, size_t nfuncs,
                                                        void *embed_ctx, struct lucet_wasi_ctx *wasi_ctx,
                                                        uint32_t flags, struct lucet_instance **inst_out);

/* The same, with an embedder context returned by lucet_instance_embed_ctx
 * and lucet_vmctx_get_delegate. The library never touches it. */
enum lucet_error lucet_region_new_instance_with_ctx(const struct lucet_region *region,
                                                    const struct lucet_dl_module *module, void *embed_ctx,
                                                    struct lucet_instance **inst_out);

/* The same, with WASI: imports from wasi_snapshot_preview1 are linked to
 * this library's WASI implementation over `wasi_ctx`. Once instantiation is
 * attempted the call consumes wasi_ctx, whether it succeeds or not (its
 * handle is invalid afterwards; the instance owns it). A call rejected
 * before that (lucet_error_invalid_argument from
 * checking its arguments) consumes nothing. */
enum lucet_error lucet_region_new_instance_with_wasi_ctx(const struct lucet_region *region,
                                                         const struct lucet_dl_module *module,
                                                         struct lucet_wasi_ctx *wasi_ctx,
                                                         struct lucet_instance **inst_out);

/* The general form: the embedder's host functions `funcs[0..nfuncs)` (the
 * array and strings are read during this call only; the functions must stay
 * valid while the instance lives), an embedder context (may be NULL), and
 * optionally a WASI context (NULL: none; consumed as above). WASI imports
 * are looked up first. An instance may have both contexts: the embedder
 * context is what lucet_instance_embed_ctx and lucet_vmctx_get_delegate
 * return, the WASI context is the library's own.
 * Errors: as above, plus invalid_argument for a NULL funcs with nfuncs > 0,
 * an entry with a NULL name or function, an unknown value type, or a host
 * thunk (lucet_host_thunk_new) released or of other types than the entry's. */
enum lucet_error lucet_region_new_instance_with_imports(const struct lucet_region *region,
                                                        const struct lucet_dl_module *module,
                                                        const struct lucet_host_func *funcs, size_t nfuncs,
                                                        void *embed_ctx, struct lucet_wasi_ctx *wasi_ctx,
                                                        struct lucet_instance **inst_out);

/* Releases the instance and returns its slot to the region (after its run,
 * if one is in progress on another thread). The C API never links
 * instances to each other (imports are host functions and WASI only), so
 * nothing of a released instance stays reachable from another one: its
 * funcref tokens are refused by every other instance (invalid_argument).
 * Errors: invalid_argument. */
enum lucet_error lucet_instance_release(struct lucet_instance *inst);

/*
 * Runs the exported function `entrypoint` with argv[0..argc) (types must
 * match the export's exactly). result_out may be NULL.
 *  - returned: lucet_error_ok, tag returned, its values;
 *  - trap: lucet_error_runtime_fault, tag faulted (code, addresses); the
 *    instance stays usable;
 *  - terminated (lucet_vmctx_terminate, WASI proc_exit, a kill switch):
 *    lucet_error_runtime_terminated, tag terminated, exit_code, killed;
 *  - a host function yielded: lucet_error_ok, tag yielded, the value; the
 *    instance is yielded until lucet_instance_resume runs it to the end (a
 *    run meanwhile: lucet_error_instance_not_returned);
 *  - no such export: lucet_error_func_not_found; wrong argument count or
 *    types, already running: lucet_error_invalid_argument; an export with
 *    more than LUCET_MAX_RESULTS results or funcref parameters/results:
 *    lucet_error_unsupported (checked before running). These give tag
 *    errored and the guest does not run.
 */
enum lucet_error lucet_instance_run(struct lucet_instance *inst, const char *entrypoint, size_t argc,
                                    const struct lucet_val *argv, struct lucet_result *result_out);

/* Runs the module's start function (for an instance created with
 * LUCET_INSTANCE_DEFER_START, or again after lucet_instance_reset); a
 * module without one returns lucet_error_ok with no values. Results and
 * errors as lucet_instance_run (a yield: lucet_error_start_yielded, and
 * the instance is yielded). */
enum lucet_error lucet_instance_run_start(struct lucet_instance *inst, struct lucet_result *result_out);

/* Continues a yielded instance; `val` (NULL: none) becomes
 * lucet_vmctx_yield's return value. Results as lucet_instance_run (it may
 * yield again). Errors: instance_not_yielded (it is not yielded),
 * invalid_argument. Running a yielded instance with lucet_instance_run is
 * lucet_error_instance_not_returned: resume it to the end or reset it. */
enum lucet_error lucet_instance_resume(struct lucet_instance *inst, const struct lucet_val *val,
                                       struct lucet_result *result_out);

/* Is the instance yielded? false for a bad handle. */
bool lucet_instance_is_yielded(const struct lucet_instance *inst);

/* Puts the instance back in the state right after instantiation (heap,
 * globals, tables; imports stay) in the same slot, without running the start
 * function. Kill switches made before become stale. Errors:
 * invalid_argument (bad handle, running), instance_not_returned (yielded:
 * resume it to the end first). */
enum lucet_error lucet_instance_reset(struct lucet_instance *inst);

/* ------------------------------------------------------------ kill switches */

struct lucet_kill_switch;

/* A kill switch for the instance's run in progress, or for its next run if
 * none is in progress (a run, resume or run_start). The caller releases
 * it with lucet_kill_switch_release; it may outlive the instance.
 * Errors: invalid_argument. */
enum lucet_error lucet_instance_kill_switch(struct lucet_instance *inst, struct lucet_kill_switch **ks_out);

/* Stops the targeted run, from any thread: guest code stops at once (a
 * signal); a host function in progress finishes first and the guest stops
 * as that call returns (generated code checks for a kill after each call of
 * an import; a kill from inside the host function works the same way). The WASI functions give up a blocking
 * wait (poll_oneoff, a sleep, fd_read/fd_write/sock_* on a pipe, terminal
 * or socket, path_open of a FIFO) within about a millisecond of the kill.
 * Bulk table operations and memory.init (runtime helpers) stop within a
 * MiB or so of work, leaving the writes made so far. The run returns
 * lucet_error_runtime_terminated with result tag terminated, killed = 1.
 * Calling it again for the same run costs nothing more (one pending kill
 * per run). *stopped_out (may be NULL): true if the run will stop (or, not started
 * yet, will return at once when it starts); false if that run already
 * finished, the instance was reset or released. Errors: invalid_argument. */
enum lucet_error lucet_kill_switch_terminate(struct lucet_kill_switch *ks, bool *stopped_out);

/* Errors: invalid_argument (NULL, released). */
enum lucet_error lucet_kill_switch_release(struct lucet_kill_switch *ks);

/* Heap access for the host. The heap base never moves (growing only makes
 * more of the reservation accessible), so the pointer stays valid until the
 * instance is released. NULL / 0 for a bad handle or no memory. */
uint8_t *lucet_instance_heap(const struct lucet_instance *inst);
/* Current heap size in bytes (up to 4 GiB, hence 64 bits). */
uint64_t lucet_instance_heap_len(const struct lucet_instance *inst);
/* Is [ptr, ptr+len) inside the current heap? ptr is a host address. false
 * for a bad handle. */
bool lucet_instance_check_heap(const struct lucet_instance *inst, const void *ptr, uintptr_t len);
/* memory.grow from the host: adds `additional_pages` wasm pages.
 * previous_pages_out (may be NULL) gets the old size in pages.
 * Errors: invalid_argument, no_linear_memory, limits_exceeded (beyond the
 * module's maximum, the region's heap_memory_size or the reservation). */
enum lucet_error lucet_instance_grow_heap(struct lucet_instance *inst, uint32_t additional_pages,
                                          uint32_t *previous_pages_out);
/* The embedder context (NULL for none or a bad handle). */
void *lucet_instance_embed_ctx(const struct lucet_instance *inst);

/* ------------------------------------------------------------ calls with any number of results */

/* lucet_instance_run without its limit of LUCET_MAX_RESULTS results: the
 * results go to the caller's buffer results[0..results_cap) and their count
 * to *nresults_out (may be NULL). The buffer is checked against the
 * export's type before the guest runs: a buffer smaller than the export's
 * result count is lucet_error_buffer_too_small (tag errored, the guest does
 * not run, *nresults_out = the count needed, the message names it), so a
 * caller may ask first with results_cap 0 or read the type with
 * lucet_dl_module_export_type. result_out (may be NULL) has the tag and the
 * trap / exit / yield details as for lucet_instance_run; its
 * returned.values hold the first LUCET_MAX_RESULTS results.
 * Errors: those of lucet_instance_run (bad handle, NULL entrypoint,
 * argument count/types, func_not_found, ...), plus buffer_too_small, and
 * invalid_argument for a NULL results with results_cap > 0. */
enum lucet_error lucet_instance_call(struct lucet_instance *inst, const char *entrypoint, size_t argc,
                                     const struct lucet_val *argv, struct lucet_val *results, size_t results_cap,
                                     size_t *nresults_out, struct lucet_result *result_out);

/* ------------------------------------------------------------ pre-resolved calls */

/* An exported function of one instance, looked up once by name
 * (lucet_instance_func) and then called any number of times without a name
 * lookup (lucet_func_call: the fastest way into a guest). A plain value the
 * caller keeps: copy it freely, there is nothing to release. It names its
 * instance by handle: once the instance is released, a call fails with
 * invalid_argument. Fill it only with lucet_instance_func (the fields are
 * the library's; a made-up one is checked like any handle and index). */
struct lucet_func {
    struct lucet_instance *instance;
    uint32_t func_index; /* private: the function's index, imports first */
    uint32_t reserved;   /* private */
};

/* Looks up the exported function `name`. Errors: invalid_argument (bad
 * handle, NULL name or func_out), func_not_found (no export of that name,
 * or not a function), unsupported (funcref parameters or results, which
 * calls do not carry). */
enum lucet_error lucet_instance_func(struct lucet_instance *inst, const char *name, struct lucet_func *func_out);

/* Calls `func` as lucet_instance_call calls an export by name: argv[0..argc)
 * (types must match exactly), results to results[0..results_cap) and their
 * count to *nresults_out (may be NULL), result_out (may be NULL) with the
 * tag and trap / exit / yield details. The same results and errors as
 * lucet_instance_call; a released instance is invalid_argument. */
enum lucet_error lucet_func_call(const struct lucet_func *func, size_t argc, const struct lucet_val *argv,
                                 struct lucet_val *results, size_t results_cap, size_t *nresults_out,
                                 struct lucet_result *result_out);

/* ------------------------------------------------------------ introspection */

/* The kinds of imports and exports (the wasm binary encodings). */
enum lucet_externkind {
    lucet_externkind_func = 0,
    lucet_externkind_table = 1,
    lucet_externkind_memory = 2,
    lucet_externkind_global = 3
};

/* "func", "table", "memory", "global"; "unknown" for others. */
const char *lucet_externkind_name(enum lucet_externkind kind);

/* Table (elements) or memory (64 KiB pages) limits. */
struct lucet_limits {
    uint64_t min;
    uint64_t max;    /* meaningful when has_max */
    uint32_t has_max;
    uint32_t pad;
};

/* An import or export with its full type. The pointers point into the
 * loaded module: they stay valid while the module handle, or an instance
 * made from it, lives. Names are not NUL-terminated (wasm names may hold
 * NUL bytes): use the lengths. */
struct lucet_extern_type {
    enum lucet_externkind kind;
    uint32_t index;       /* in the kind's index space, imports first */
    const char *module;   /* imports: the module name; exports: NULL */
    size_t module_len;
    const char *name;     /* the field (import) or export name */
    size_t name_len;
    /* func: params[0..nparams), results[0..nresults): enum lucet_val_type
     * values (0x7f i32 ... 0x7b v128, 0x70 funcref, 0x6f externref). */
    uint32_t nparams;
    uint32_t nresults;
    const uint8_t *params;
    const uint8_t *results;
    /* global */
    enum lucet_val_type global_type;
    uint32_t global_mutable; /* 1: mutable */
    /* table: element type (funcref or externref) and limits; memory: limits */
    enum lucet_val_type table_elem_type;
    struct lucet_limits limits;
};

/* How many exports / imports the module has. Errors: invalid_argument (bad
 * handle, NULL count_out). */
enum lucet_error lucet_dl_module_export_count(const struct lucet_dl_module *module, size_t *count_out);
enum lucet_error lucet_dl_module_import_count(const struct lucet_dl_module *module, size_t *count_out);

/* Export / import i (declaration order). Errors: invalid_argument (bad
 * handle, NULL out, i out of range). */
enum lucet_error lucet_dl_module_export_type(const struct lucet_dl_module *module, size_t i,
                                             struct lucet_extern_type *out);
enum lucet_error lucet_dl_module_import_type(const struct lucet_dl_module *module, size_t i,
                                             struct lucet_extern_type *out);

/* The export named `name` (NUL-terminated). Errors: invalid_argument (bad
 * handle, NULL name or out), export_not_found. */
enum lucet_error lucet_dl_module_find_export(const struct lucet_dl_module *module, const char *name,
                                             struct lucet_extern_type *out);

/* Appends the module's perf map to `path` (NULL: /tmp/perf-PID.map of this
 * process, where `perf report` looks): one line "START SIZE NAME" (hex, no
 * 0x) per code range of each defined function, NAME as in backtraces
 * ("func[12] <my_func>", control characters replaced by '?'). perf cannot
 * name the module's frames otherwise: the module is loaded from a memfd, and
 * perf reads the map only for anonymous code. So the first call also moves
 * the module's code to anonymous memory at the same addresses (an identical
 * copy replaces it in one mremap; instances may be running). Call it once per loaded module; the file stays (perf reads it after the
 * process exits: remove it yourself). A symbolic link at `path` is refused.
 * Errors: invalid_argument (bad handle, empty path), internal (cannot open
 * or write the file; the message names it). */
enum lucet_error lucet_dl_module_write_perf_map(const struct lucet_dl_module *module, const char *path);

/* ------------------------------------------------------------ exported globals, memories, tables */

/* These take an export name; none may be called while the instance runs on
 * another thread (a host function of the running instance may call them).
 * Common errors: invalid_argument (bad handle, NULL name or pointer
 * argument, the export is of another kind, a value of the wrong type),
 * export_not_found (no export of that name). */

/* Reads an exported global (of any type; funcref: a token of this
 * instance, see lucet_val_type_funcref). */
enum lucet_error lucet_instance_global_get(struct lucet_instance *inst, const char *name, struct lucet_val *out);

/* Writes an exported global. Errors: invalid_argument also for an immutable
 * global, a value of another type than the global's, or a funcref that is
 * not null nor a token of this instance. */
enum lucet_error lucet_instance_global_set(struct lucet_instance *inst, const char *name,
                                           const struct lucet_val *val);

/* An exported memory: its base (never moves) and current length in bytes
 * (either pointer may be NULL). */
enum lucet_error lucet_instance_memory(struct lucet_instance *inst, const char *name, uint8_t **base_out,
                                       uint64_t *len_out);

/* memory.grow on an exported memory by `delta_pages`; *previous_pages_out
 * (may be NULL) gets the old size. Errors: also limits_exceeded (as
 * lucet_instance_grow_heap). */
enum lucet_error lucet_instance_memory_grow(struct lucet_instance *inst, const char *name, uint32_t delta_pages,
                                            uint32_t *previous_pages_out);

/* A funcref token (ty lucet_val_type_funcref) for the exported function
 * `name`, to store with lucet_instance_table_set / _global_set on this
 * same instance. Errors: as above (export_not_found: no function of that
 * name). */
enum lucet_error lucet_instance_func_ref(struct lucet_instance *inst, const char *name, struct lucet_val *out);

/* An exported table's current size in elements. */
enum lucet_error lucet_instance_table_size(struct lucet_instance *inst, const char *name, uint32_t *size_out);

/* Reads element idx: ty funcref (a token, 0 for null) or externref.
 * Errors: also invalid_argument for idx >= size. */
enum lucet_error lucet_instance_table_get(struct lucet_instance *inst, const char *name, uint32_t idx,
                                          struct lucet_val *out);

/* Writes element idx. The value's type must be the table's element type;
 * a non-null funcref must be a token of this instance (a token of another
 * instance, or a made-up value, is invalid_argument: the guest could
 * otherwise call into any address). Errors: also invalid_argument for idx
 * >= size. */
enum lucet_error lucet_instance_table_set(struct lucet_instance *inst, const char *name, uint32_t idx,
                                          const struct lucet_val *val);

/* table.grow by delta elements set to *init (checked as for table_set);
 * *previous_size_out (may be NULL) gets the old size. Errors: also
 * limits_exceeded (beyond the table's maximum or its reservation). */
enum lucet_error lucet_instance_table_grow(struct lucet_instance *inst, const char *name, uint32_t delta,
                                           const struct lucet_val *init, uint32_t *previous_size_out);

#ifdef __cplusplus
}
#endif

#endif /* LUCET_WASI_H */
