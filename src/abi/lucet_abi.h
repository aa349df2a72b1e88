/*
 * lucet_abi.h: the contract between code emitted by lucetc and the runtime.
 *
 * Plain C (C99). It is included by the runtime (C++) and pasted verbatim at the
 * top of every C file lucetc emits, so it must stay self-contained: no includes
 * beyond <stdint.h>/<stddef.h>, no host-specific types.
 *
 * Bump LUCET_ABI_VERSION whenever any layout below changes; the loader refuses
 * a module whose descriptor carries another version.
 *
 * Value representation everywhere (globals, trampoline argument arrays,
 * init expressions): one uint64_t slot per value. i32 is zero-extended, f32 is
 * its IEEE bits in the low 32 bits, f64 its bits, funcref a
 * `const lucet_funcref*` (NULL = ref.null), externref an opaque uintptr_t
 * (0 = ref.null).
 *
 * ABI version 4: lucet_module_desc.cpu_features, the CPU features the code
 * needs (LUCET_CPU_*).
 *
 * ABI version 3: lucet_rt_fns.trap carries the trap site (function index and
 * wasm byte offset), lucet_func_desc has `flags`, and generated functions are
 * named lucet_f<index>[_<sanitized name>] and keep frame pointers. A huge
 * function is cut into chunk functions lucet_c<index>_<k>[_<name>] that it
 * calls (a runtime that does not know them only names their frames less
 * exactly).
 *
 * v128 (ABI version 2) is the exception, in three places:
 *  - trampoline argument/result arrays: a v128 takes TWO consecutive slots,
 *    bytes 0..7 (little-endian lane order) in the first, bytes 8..15 in the
 *    second; the slots of the values after it shift by one. A signature
 *    without v128 keeps exactly one slot per value, so the host->guest call
 *    path of such signatures is unchanged;
 *  - globals: a v128 global, defined or imported, keeps its one 8-byte slot
 *    in lucet_vmctx.globals, and that slot holds a pointer to 16 bytes of
 *    storage (16-byte aligned). For a defined global the runtime places the
 *    storage in the instance's vmctx area after the global slots and fills
 *    it from the init expression (again on reset); for an imported one the
 *    pointer is the exporter's storage. Generated code reads
 *    memcpy(&v, (const void *)(uintptr_t)ctx->globals[g], 16);
 *  - init expressions: LUCET_INIT_CONST carries the low half in `value` and
 *    the high half in `value_hi`.
 */
#ifndef LUCET_ABI_H
#define LUCET_ABI_H

#include <stddef.h>
#include <stdint.h>

#define LUCET_ABI_VERSION 4u
/* Name of the exported descriptor symbol in every module .so. */
#define LUCET_MODULE_SYMBOL "lucet_module"
#define LUCET_WASM_PAGE_SIZE 65536u

/* A v128 value in generated code and in the native signatures of functions
 * (generated and host): a 16-byte GCC/clang vector, passed in an SSE register
 * on x86-64, its bytes in wasm's little-endian lane order. */
#ifndef LUCET_V128_DEFINED
#define LUCET_V128_DEFINED
typedef long long lucet_v128 __attribute__((vector_size(16)));
#endif

/* CPU features (x86-64) that a module's code may use, beyond the SSE2 of
 * the base x86-64 ISA: bits of lucet_module_desc.cpu_features (ABI version
 * 4). The descriptor's unit sets them from the C compiler's predefined
 * macros (__AVX2__, ...), so they say exactly what cc was allowed to use
 * for the -march the module was compiled with (lucetc --target-cpu); the
 * loader refuses a module needing one the running CPU lacks. The list
 * covers what a C compiler's code generation can use on its own (no
 * intrinsics are emitted); psABI levels: x86-64-v2 = CX16 LAHF_SAHF POPCNT
 * SSE3 SSE4_1 SSE4_2 SSSE3; v3 adds AVX AVX2 BMI BMI2 F16C FMA LZCNT MOVBE
 * XSAVE; v4 adds AVX512F AVX512BW AVX512CD AVX512DQ AVX512VL. */
#define LUCET_CPU_SSE3             (1ull << 0)
#define LUCET_CPU_SSSE3            (1ull << 1)
#define LUCET_CPU_SSE4_1           (1ull << 2)
#define LUCET_CPU_SSE4_2           (1ull << 3)
#define LUCET_CPU_POPCNT           (1ull << 4)
#define LUCET_CPU_CX16             (1ull << 5)
#define LUCET_CPU_LAHF_SAHF        (1ull << 6)
#define LUCET_CPU_AVX              (1ull << 7)
#define LUCET_CPU_AVX2             (1ull << 8)
#define LUCET_CPU_BMI              (1ull << 9)
#define LUCET_CPU_BMI2             (1ull << 10)
#define LUCET_CPU_F16C             (1ull << 11)
#define LUCET_CPU_FMA              (1ull << 12)
#define LUCET_CPU_LZCNT            (1ull << 13)
#define LUCET_CPU_MOVBE            (1ull << 14)
#define LUCET_CPU_XSAVE            (1ull << 15)
#define LUCET_CPU_AVX512F          (1ull << 16)
#define LUCET_CPU_AVX512BW         (1ull << 17)
#define LUCET_CPU_AVX512CD         (1ull << 18)
#define LUCET_CPU_AVX512DQ         (1ull << 19)
#define LUCET_CPU_AVX512VL         (1ull << 20)
#define LUCET_CPU_AVX512IFMA       (1ull << 21)
#define LUCET_CPU_AVX512VBMI       (1ull << 22)
#define LUCET_CPU_AVX512VBMI2      (1ull << 23)
#define LUCET_CPU_AVX512VNNI       (1ull << 24)
#define LUCET_CPU_AVX512BITALG     (1ull << 25)
#define LUCET_CPU_AVX512VPOPCNTDQ  (1ull << 26)
#define LUCET_CPU_AVX512BF16       (1ull << 27)
#define LUCET_CPU_AVX512FP16       (1ull << 28)
#define LUCET_CPU_AVX512ER         (1ull << 29)
#define LUCET_CPU_AVX512PF         (1ull << 30)
#define LUCET_CPU_AVXVNNI          (1ull << 31)
#define LUCET_CPU_ADX              (1ull << 32)
#define LUCET_CPU_AES              (1ull << 33)
#define LUCET_CPU_PCLMUL           (1ull << 34)
#define LUCET_CPU_VPCLMULQDQ       (1ull << 35)
#define LUCET_CPU_VAES             (1ull << 36)
#define LUCET_CPU_GFNI             (1ull << 37)
#define LUCET_CPU_SHA              (1ull << 38)
#define LUCET_CPU_RDRND            (1ull << 39)
#define LUCET_CPU_RDSEED           (1ull << 40)
#define LUCET_CPU_PRFCHW           (1ull << 41)
#define LUCET_CPU_SSE4A            (1ull << 42)
#define LUCET_CPU_FMA4             (1ull << 43)
#define LUCET_CPU_XOP              (1ull << 44)
#define LUCET_CPU_TBM              (1ull << 45)
#define LUCET_CPU_KNOWN_MASK ((1ull << 46) - 1)

/* Value types, with their wasm binary encodings. */
enum lucet_valtype {
    LUCET_VT_I32 = 0x7f,
    LUCET_VT_I64 = 0x7e,
    LUCET_VT_F32 = 0x7d,
    LUCET_VT_F64 = 0x7c,
    LUCET_VT_V128 = 0x7b,
    LUCET_VT_FUNCREF = 0x70,
    LUCET_VT_EXTERNREF = 0x6f
};

/* Trap codes. Generated code raises them through lucet_rt_fns.trap; the
 * signal handler produces HEAP_OOB and STACK_OVERFLOW from faults. */
enum lucet_trapcode {
    LUCET_TRAP_NONE = 0,
    LUCET_TRAP_HEAP_OOB = 1,           /* out of bounds memory access */
    LUCET_TRAP_STACK_OVERFLOW = 2,     /* call stack exhausted */
    LUCET_TRAP_INT_DIV_BY_ZERO = 3,    /* integer divide by zero */
    LUCET_TRAP_INT_OVERFLOW = 4,       /* integer overflow */
    LUCET_TRAP_BAD_CONVERSION = 5,     /* invalid conversion to integer */
    LUCET_TRAP_UNREACHABLE = 6,        /* unreachable */
    LUCET_TRAP_INDIRECT_CALL_NULL = 7, /* uninitialized element */
    LUCET_TRAP_BAD_SIGNATURE = 8,      /* indirect call type mismatch */
    LUCET_TRAP_TABLE_OOB = 9,          /* undefined element / out of bounds table access */
    LUCET_TRAP_INTERRUPTED = 10,       /* stopped by the kill switch */
    LUCET_TRAP_COUNT
};

/* Where an explicit trap was raised: the wasm function index (imports
 * included) in the high half, the instruction's byte offset in the module
 * file in the low half (LUCET_TRAP_OFFSET_UNKNOWN if it does not fit). The
 * emitter knows both for every trap it writes, even when cc later inlines
 * the function into another, so they name the right function at any -O. */
#define LUCET_TRAP_SITE(func, offset) (((uint64_t)(func) << 32) | (uint64_t)(uint32_t)(offset))
#define LUCET_TRAP_OFFSET_UNKNOWN 0xffffffffu

/* A function reference. Every instance owns one canonical lucet_funcref per
 * function index (imports included, see lucet_vmctx.funcs); a funcref value is
 * a pointer to one of those. Calling it: ((R(*)(lucet_vmctx*, P...))func)(vmctx, ...).
 * For a host function, vmctx is the *calling* instance's vmctx (filled in at
 * link time), so the host function can reach the caller's heap. */
typedef struct lucet_vmctx lucet_vmctx;
typedef struct lucet_funcref {
    uint64_t sig;       /* canonical signature id, see "Signature ids" */
    void *func;         /* native code pointer */
    lucet_vmctx *vmctx; /* first argument to pass */
} lucet_funcref;

/* A table slot, stored by value so call_indirect is: index -> slot -> call.
 * A null slot is all zeroes (sig 0 matches no signature). For externref
 * tables only `ref` is used and holds the externref value. */
typedef struct lucet_table_elem {
    uint64_t sig;
    void *func;
    lucet_vmctx *vmctx;
    const void *ref; /* funcref tables: the canonical const lucet_funcref*; externref: the value */
} lucet_table_elem;

/* A table instance. `elems` never moves for the table's lifetime: the runtime
 * reserves `capacity` slots up front and table.grow beyond it fails (-1). */
typedef struct lucet_table {
    lucet_table_elem *elems;
    uint32_t size;     /* current number of elements */
    uint32_t max;      /* declared maximum (0xffffffff if none) */
    uint32_t capacity; /* reserved slots */
    uint32_t elem_type; /* LUCET_VT_FUNCREF or LUCET_VT_EXTERNREF */
} lucet_table;

/* A linear memory instance. `base` never moves: the whole heap address space
 * is reserved when the instance is created, memory.grow only changes
 * protections. Shared by pointer between instances that import it. */
typedef struct lucet_memory {
    uint8_t *base;
    uint64_t size;      /* current size in bytes (pages * 65536) */
    uint64_t max_pages; /* effective maximum: min(module max, runtime limit, reservation) */
    uint64_t reserved;  /* bytes of address space reserved at base (accessible + guard) */
} lucet_memory;

/* The per-instance context every generated function takes as its first
 * argument. It lives in the instance's region slot. Offsets are fixed: the
 * emitter relies on them. Globals are stored inline after the header, one
 * 8-byte slot each, indexed by global index (imports first). An imported
 * global's slot holds a pointer (uint64_t*) to the exporter's slot. A v128
 * global's slot (defined or imported) holds a pointer to its 16 bytes (see
 * the top of this file). */
struct lucet_vmctx {
    uint8_t *heap;               /*  0: memory 0 base (== mem->base), NULL if no memory */
    lucet_memory *mem;           /*  8: memory 0 */
    uintptr_t stack_limit;       /* 16: lowest stack address a guest frame may use; below it: trap */
    void *instance;              /* 24: runtime-private back pointer */
    lucet_table **tables;        /* 32: table index -> table */
    const lucet_funcref *funcs;  /* 40: function index -> canonical funcref (imports resolved) */
    volatile uint32_t interrupt; /* 48: set to 1 by a kill switch that finds the run in host code; polled after import calls */
    uint32_t pad0;               /* 52 */
    uint64_t reserved0;          /* 56 */
    uint64_t globals[];          /* 64: global slots */
};
#define LUCET_VMCTX_GLOBALS_OFFSET 64u

/* Runtime entry points generated code may call. The loader fills the module's
 * copy (lucet_module_desc.rt) before any instance runs; generated code calls
 * through it, so a module needs no symbol from the runtime library (which may
 * have been dlopen'd RTLD_LOCAL, as Python's ctypes does). */
typedef struct lucet_rt_fns {
    /* Never returns: records the trap on the running instance and switches back to the host.
     * `site` is LUCET_TRAP_SITE(function index, wasm byte offset of the trapping instruction). */
    void (*trap)(lucet_vmctx *ctx, uint32_t code, uint64_t site);
    /* memory.grow on memory 0: returns old size in pages or 0xffffffff. */
    uint32_t (*memory_grow)(lucet_vmctx *ctx, uint32_t delta_pages);
    /* Bulk memory; each checks bounds first and traps (heap OOB) before touching anything. */
    void (*memory_init)(lucet_vmctx *ctx, uint32_t seg, uint32_t dst, uint32_t src, uint32_t n);
    void (*data_drop)(lucet_vmctx *ctx, uint32_t seg);
    void (*memory_copy)(lucet_vmctx *ctx, uint32_t dst, uint32_t src, uint32_t n);
    void (*memory_fill)(lucet_vmctx *ctx, uint32_t dst, uint32_t val, uint32_t n);
    /* Tables: values are uint64_t slots (funcref pointer / externref bits). */
    uint64_t (*table_get)(lucet_vmctx *ctx, uint32_t table, uint32_t idx);
    void (*table_set)(lucet_vmctx *ctx, uint32_t table, uint32_t idx, uint64_t val);
    uint32_t (*table_grow)(lucet_vmctx *ctx, uint32_t table, uint64_t init, uint32_t delta);
    void (*table_fill)(lucet_vmctx *ctx, uint32_t table, uint32_t idx, uint64_t val, uint32_t n);
    void (*table_copy)(lucet_vmctx *ctx, uint32_t dst_table, uint32_t src_table, uint32_t dst, uint32_t src, uint32_t n);
    void (*table_init)(lucet_vmctx *ctx, uint32_t table, uint32_t seg, uint32_t dst, uint32_t src, uint32_t n);
    void (*elem_drop)(lucet_vmctx *ctx, uint32_t seg);
    /* Called after an import call when ctx->interrupt is set (kill switch). Does not return if the run is killed. */
    void (*interrupted)(lucet_vmctx *ctx);
} lucet_rt_fns;

/*
 * Signature ids. A signature of at most 19 params+results is packed
 * into 64 bits and is its own canonical id, so generated code compares
 * against an immediate:
 *   id = 1 (sentinel), then for each param: id = id<<3 | code(t),
 *   then id = id<<3 | 7 (separator), then for each result: id = id<<3 | code(t)
 *   code: i32 1, i64 2, f32 3, f64 4, funcref 5, externref 6; v128 has no code:
 *   a signature with a v128 always gets a registry id.
 * The sentinel then sits at bit 1 + 3 * (n + 1) - 1 <= 60, so bit 63 is always 0. Longer signatures get an id from the runtime's
 * process-wide registry, with bit 63 set; generated code reads those from the
 * module's writable `type_ids` array, which the loader fills in.
 * Signature id 0 never occurs (null table slots).
 */
#define LUCET_SIG_MAX_PACKED 19u
#define LUCET_SIG_REGISTRY_BIT (1ull << 63)

/* Per-signature trampoline: calls `fn` (a generated function or an imported
 * funcref's code) with arguments from `args` and stores results to `results`
 * (one uint64_t slot each, two for a v128; representation as above). */
typedef void (*lucet_trampoline)(void *fn, lucet_vmctx *ctx, const uint64_t *args, uint64_t *results);

typedef struct lucet_sig_desc {
    uint32_t nparams;
    uint32_t nresults;
    const uint8_t *types; /* nparams param types then nresults result types (lucet_valtype) */
    lucet_trampoline trampoline;
} lucet_sig_desc;

/* Constant expressions (WebAssembly 2.0: one instruction). */
enum lucet_init_kind {
    LUCET_INIT_CONST = 0,      /* value: the bits (i32/i64/f32/f64; v128: bytes 0..7, value_hi bytes 8..15) */
    LUCET_INIT_GLOBAL_GET = 1, /* value: global index */
    LUCET_INIT_REF_NULL = 2,   /* value: unused */
    LUCET_INIT_REF_FUNC = 3    /* value: function index */
};
typedef struct lucet_init_expr {
    uint32_t kind;
    uint32_t pad;
    uint64_t value;
    uint64_t value_hi; /* LUCET_INIT_CONST of a v128: the high 64 bits; 0 otherwise */
} lucet_init_expr;

enum lucet_extern_kind { LUCET_EXTERN_FUNC = 0, LUCET_EXTERN_TABLE = 1, LUCET_EXTERN_MEMORY = 2, LUCET_EXTERN_GLOBAL = 3 };

typedef struct lucet_limits_desc {
    uint64_t min;
    uint64_t max; /* valid if has_max */
    uint32_t has_max;
    uint32_t pad;
} lucet_limits_desc;

typedef struct lucet_import_desc {
    const char *module; /* not NUL-safe: use the lengths */
    uint32_t module_len;
    uint32_t field_len;
    const char *field;
    uint32_t kind;      /* lucet_extern_kind */
    uint32_t type;      /* func: signature index; table: elem type; global: valtype */
    uint32_t mut;       /* global: 1 if mutable */
    uint32_t pad;
    lucet_limits_desc limits; /* table / memory */
} lucet_import_desc;

typedef struct lucet_export_desc {
    const char *name;
    uint32_t name_len;
    uint32_t kind;  /* lucet_extern_kind */
    uint32_t index; /* in the kind's index space (imports first) */
    uint32_t pad;
} lucet_export_desc;

enum lucet_func_flags {
    /* The function makes direct calls to functions compiled in the same C
     * unit (itself included) at an optimisation level that inlines: cc may
     * have inlined some of them, so a fault at a PC inside this function's
     * code may belong to one of those callees, and a backtrace through it
     * may lack their frames. */
    LUCET_FUNC_MAY_INLINE = 1u
};

typedef struct lucet_func_desc {
    void *code;      /* defined functions only; index = func index - num imported funcs */
    uint32_t sig;    /* signature index */
    uint32_t name_len;
    const char *name; /* from the name section, or NULL */
    uint32_t flags;   /* lucet_func_flags */
    uint32_t pad;
} lucet_func_desc;

typedef struct lucet_global_desc {
    uint32_t type; /* lucet_valtype */
    uint32_t mut;
    lucet_init_expr init;
} lucet_global_desc;

typedef struct lucet_table_desc {
    uint32_t elem_type;
    uint32_t pad;
    lucet_limits_desc limits;
} lucet_table_desc;

enum lucet_seg_mode { LUCET_SEG_ACTIVE = 0, LUCET_SEG_PASSIVE = 1, LUCET_SEG_DECLARATIVE = 2 };

typedef struct lucet_data_desc {
    uint32_t mode;
    uint32_t memory;
    lucet_init_expr offset; /* active only */
    const uint8_t *data;
    uint64_t len;
} lucet_data_desc;

typedef struct lucet_elem_desc {
    uint32_t mode;
    uint32_t table;
    lucet_init_expr offset; /* active only */
    uint32_t elem_type;
    uint32_t count;
    const lucet_init_expr *items; /* REF_NULL / REF_FUNC / GLOBAL_GET */
} lucet_elem_desc;

enum lucet_module_flags {
    /* Every heap access of the module is checked explicitly against the
     * current memory size, so the module is safe in any heap reservation.
     * Set exactly when the compile-time layout makes every access checked
     * (LUCET_LAYOUT_CHECKS_EVERY_ACCESS); the loader refuses a descriptor
     * that claims it with a larger layout. Without it the runtime requires
     * reserved_size + guard_size of heap address space per instance. */
    LUCET_MODULE_BOUNDS_CHECKED = 1u
};
/* An access at 32-bit address a + offset (size >= 1) is left to the guard
 * region only when reserved + guard >= 2^32 + offset + size; with at most
 * 2^32 of reserved + guard, none is. */
#define LUCET_LAYOUT_CHECKS_EVERY_ACCESS(reserved, guard) \
    ((uint64_t)(reserved) <= 0x100000000ull && (uint64_t)(guard) <= 0x100000000ull - (uint64_t)(reserved))

typedef struct lucet_module_desc {
    uint32_t abi_version; /* LUCET_ABI_VERSION */
    uint32_t flags;       /* lucet_module_flags */
    uint64_t reserved_size; /* heap reservation the code was compiled for */
    uint64_t guard_size;    /* guard after it */
    const char *compiler_version;

    lucet_rt_fns *rt;   /* writable; filled by the loader */
    uint64_t *type_ids; /* writable, num_sigs entries; filled by the loader with canonical ids */

    uint32_t num_sigs;
    uint32_t num_imports;
    const lucet_sig_desc *sigs;
    const lucet_import_desc *imports;

    uint32_t num_imported_funcs;
    uint32_t num_funcs; /* defined */
    const lucet_func_desc *funcs;

    uint32_t num_imported_tables;
    uint32_t num_tables; /* defined */
    const lucet_table_desc *tables;

    uint32_t num_imported_memories;
    uint32_t num_memories; /* defined (0 or 1; multi-memory is not supported) */
    const lucet_limits_desc *memories;

    uint32_t num_imported_globals;
    uint32_t num_globals; /* defined */
    const lucet_global_desc *globals;

    uint32_t num_exports;
    uint32_t num_data;
    const lucet_export_desc *exports;
    const lucet_data_desc *data;

    uint32_t num_elems;
    uint32_t has_start;
    const lucet_elem_desc *elems;
    uint32_t start_func; /* function index, valid if has_start */
    uint32_t pad;
    uint64_t cpu_features; /* LUCET_CPU_* the code may use (ABI version 4) */
} lucet_module_desc;

#endif /* LUCET_ABI_H */
