//! Raw declarations of liblucet_wasi's C API (include/lucet_wasi.h,
//! LUCET_WASI_API_VERSION 2), by hand: no bindgen. See the header for what
//! each function does; the safe crate is `lucet-wasi`.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_void};

pub type lucet_error = u32;
pub const LUCET_ERROR_OK: lucet_error = 0;
pub const LUCET_ERROR_INVALID_ARGUMENT: lucet_error = 1;
pub const LUCET_ERROR_RUNTIME_FAULT: lucet_error = 8;
pub const LUCET_ERROR_RUNTIME_TERMINATED: lucet_error = 9;
pub const LUCET_ERROR_EXPORT_NOT_FOUND: lucet_error = 18;
pub const LUCET_ERROR_BUFFER_TOO_SMALL: lucet_error = 19;

pub type lucet_val_type = u32;
pub const I32: lucet_val_type = 0x7f;
pub const I64: lucet_val_type = 0x7e;
pub const F32: lucet_val_type = 0x7d;
pub const F64: lucet_val_type = 0x7c;
pub const V128: lucet_val_type = 0x7b;
pub const EXTERNREF: lucet_val_type = 0x6f;
pub const FUNCREF: lucet_val_type = 0x70;

/// The C API version these declarations mirror (LUCET_WASI_API_VERSION).
pub const LUCET_WASI_API_VERSION: i32 = 2;

#[repr(C)]
#[derive(Clone, Copy)]
pub union lucet_val_inner {
    pub as_i32: u32,
    pub as_i64: u64,
    pub as_f32: f32,
    pub as_f64: f64,
    pub as_externref: u64,
    pub as_funcref: u64,
    /// The 16 bytes in WebAssembly's order (i32 lane k is bytes 4k..4k+3,
    /// low byte first).
    pub as_v128: [u8; 16],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct lucet_val {
    pub ty: lucet_val_type,
    pub inner_val: lucet_val_inner,
}

// struct lucet_val of API version 2: 24 bytes, value at offset 8.
const _: () = assert!(std::mem::size_of::<lucet_val>() == 24 && std::mem::align_of::<lucet_val>() == 8);

pub const LUCET_MAX_RESULTS: usize = 8;
pub const TAG_RETURNED: u32 = 0;
pub const TAG_FAULTED: u32 = 1;
pub const TAG_TERMINATED: u32 = 2;
pub const TAG_ERRORED: u32 = 3;
pub const TAG_YIELDED: u32 = 4;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct returned {
    pub nvalues: u32,
    pub values: [lucet_val; LUCET_MAX_RESULTS],
}
#[repr(C)]
#[derive(Clone, Copy)]
pub struct faulted {
    pub code: u32,
    pub fault_addr: usize,
    pub pc: usize,
}
#[repr(C)]
#[derive(Clone, Copy)]
pub struct terminated {
    pub exit_code: u32,
    pub killed: u32,
}
#[repr(C)]
#[derive(Clone, Copy)]
pub struct yielded {
    pub value: lucet_val,
}
#[repr(C)]
#[derive(Clone, Copy)]
pub union result_val {
    pub returned: returned,
    pub faulted: faulted,
    pub terminated: terminated,
    pub yielded: yielded,
}
#[repr(C)]
#[derive(Clone, Copy)]
pub struct lucet_result {
    pub tag: u32,
    pub val: result_val,
}

// Opaque handles.
#[repr(C)]
pub struct lucet_dl_module {
    _p: [u8; 0],
}
#[repr(C)]
pub struct lucet_region {
    _p: [u8; 0],
}
#[repr(C)]
pub struct lucet_instance {
    _p: [u8; 0],
}
#[repr(C)]
pub struct lucet_wasi_ctx {
    _p: [u8; 0],
}
#[repr(C)]
pub struct lucet_kill_switch {
    _p: [u8; 0],
}
#[repr(C)]
pub struct lucet_vmctx {
    _p: [u8; 0],
}

#[repr(C)]
pub struct lucet_host_func {
    pub module_name: *const c_char,
    pub field_name: *const c_char,
    pub func: *const c_void,
    pub params: *const lucet_val_type,
    pub nparams: u32,
    pub nresults: u32,
    pub results: *const lucet_val_type,
}

/// `typedef void (*lucet_host_func_ptr)(void)`: what lucet_host_thunk_new
/// gives; cast it to lucet_host_func.func (`f.map_or(null, |f| f as *const c_void)`).
pub type lucet_host_func_ptr = Option<unsafe extern "C" fn()>;

/// `typedef uint32_t (*lucet_host_callback)(struct lucet_vmctx *ctx, void
/// *data, const struct lucet_val *params, struct lucet_val *results)`:
/// reads params[0..nparams), fills results[0..nresults) (each with its
/// declared `ty`; they start with ty 0) and returns 0, or an exit code to
/// stop the guest with. A result left unset or of another type stops the
/// guest with LUCET_HOST_THUNK_BAD_RESULT. It must not unwind (panic) into
/// the caller. NULL (None) is refused by lucet_host_thunk_new.
pub type lucet_host_callback = Option<
    unsafe extern "C" fn(
        ctx: *mut lucet_vmctx,
        data: *mut c_void,
        params: *const lucet_val,
        results: *mut lucet_val,
    ) -> u32,
>;

/// The process's number of host thunks.
pub const LUCET_HOST_THUNKS: u32 = 4096;
/// Exit code of a guest stopped by a thunk whose callback left a result
/// unset or of the wrong type (or whose buffer could not be allocated).
pub const LUCET_HOST_THUNK_BAD_RESULT: u32 = 0xffff_fff0;
/// Exit code of a guest that called a released thunk.
pub const LUCET_HOST_THUNK_RELEASED: u32 = 0xffff_fff1;

/// A host thunk (lucet_host_thunk_new); opaque.
#[repr(C)]
pub struct lucet_host_thunk {
    _p: [u8; 0],
}

pub type lucet_externkind = u32;
pub const EXTERN_FUNC: lucet_externkind = 0;
pub const EXTERN_TABLE: lucet_externkind = 1;
pub const EXTERN_MEMORY: lucet_externkind = 2;
pub const EXTERN_GLOBAL: lucet_externkind = 3;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct lucet_limits {
    pub min: u64,
    pub max: u64,
    pub has_max: u32,
    pub pad: u32,
}

/// An import or export with its type; the pointers point into the loaded
/// module, names are not NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct lucet_extern_type {
    pub kind: lucet_externkind,
    pub index: u32,
    pub module: *const c_char,
    pub module_len: usize,
    pub name: *const c_char,
    pub name_len: usize,
    pub nparams: u32,
    pub nresults: u32,
    pub params: *const u8,
    pub results: *const u8,
    pub global_type: lucet_val_type,
    pub global_mutable: u32,
    pub table_elem_type: lucet_val_type,
    pub limits: lucet_limits,
}

const _: () = assert!(std::mem::size_of::<lucet_extern_type>() == 104);

/// An exported function of one instance, looked up once (lucet_instance_func).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct lucet_func {
    pub instance: *mut lucet_instance,
    pub func_index: u32,
    pub reserved: u32,
}

const _: () = assert!(std::mem::size_of::<lucet_func>() == 16);

extern "C" {
    pub fn lucet_api_version() -> i32;
    pub fn lucet_instance_func(i: *mut lucet_instance, name: *const c_char, out: *mut lucet_func) -> lucet_error;
    pub fn lucet_func_call(
        f: *const lucet_func,
        argc: usize,
        argv: *const lucet_val,
        results: *mut lucet_val,
        results_cap: usize,
        nresults_out: *mut usize,
        result_out: *mut lucet_result,
    ) -> lucet_error;
    pub fn lucet_dl_module_export_count(m: *const lucet_dl_module, n: *mut usize) -> lucet_error;
    pub fn lucet_dl_module_import_count(m: *const lucet_dl_module, n: *mut usize) -> lucet_error;
    pub fn lucet_dl_module_export_type(m: *const lucet_dl_module, i: usize, out: *mut lucet_extern_type) -> lucet_error;
    pub fn lucet_dl_module_import_type(m: *const lucet_dl_module, i: usize, out: *mut lucet_extern_type) -> lucet_error;
    pub fn lucet_dl_module_find_export(
        m: *const lucet_dl_module,
        name: *const c_char,
        out: *mut lucet_extern_type,
    ) -> lucet_error;
    pub fn lucet_instance_call(
        i: *mut lucet_instance,
        entrypoint: *const c_char,
        argc: usize,
        argv: *const lucet_val,
        results: *mut lucet_val,
        results_cap: usize,
        nresults_out: *mut usize,
        result_out: *mut lucet_result,
    ) -> lucet_error;
    pub fn lucet_error_name(e: lucet_error) -> *const c_char;
    pub fn lucet_error_message() -> *const c_char;
    pub fn lucet_trap_code_name(code: u32) -> *const c_char;
    pub fn lucet_dl_module_load(path: *const c_char, out: *mut *mut lucet_dl_module)
        -> lucet_error;
    pub fn lucet_dl_module_release(m: *mut lucet_dl_module) -> lucet_error;
    pub fn lucet_mmap_region_create(
        cap: u64,
        limits: *const c_void,
        out: *mut *mut lucet_region,
    ) -> lucet_error;
    pub fn lucet_region_release(r: *mut lucet_region) -> lucet_error;
    pub fn lucet_wasi_ctx_create(out: *mut *mut lucet_wasi_ctx) -> lucet_error;
    pub fn lucet_wasi_ctx_args(
        c: *mut lucet_wasi_ctx,
        argc: usize,
        argv: *const *const c_char,
    ) -> lucet_error;
    pub fn lucet_wasi_ctx_env(
        c: *mut lucet_wasi_ctx,
        name: *const c_char,
        value: *const c_char,
    ) -> lucet_error;
    pub fn lucet_wasi_ctx_inherit_stdio(c: *mut lucet_wasi_ctx) -> lucet_error;
    pub fn lucet_wasi_ctx_destroy(c: *mut lucet_wasi_ctx) -> lucet_error;
    pub fn lucet_region_new_instance_with_imports(
        r: *const lucet_region,
        m: *const lucet_dl_module,
        funcs: *const lucet_host_func,
        nfuncs: usize,
        embed_ctx: *mut c_void,
        wasi: *mut lucet_wasi_ctx,
        out: *mut *mut lucet_instance,
    ) -> lucet_error;
    pub fn lucet_instance_release(i: *mut lucet_instance) -> lucet_error;
    pub fn lucet_instance_run(
        i: *mut lucet_instance,
        name: *const c_char,
        argc: usize,
        argv: *const lucet_val,
        res: *mut lucet_result,
    ) -> lucet_error;
    pub fn lucet_instance_kill_switch(
        i: *mut lucet_instance,
        out: *mut *mut lucet_kill_switch,
    ) -> lucet_error;
    pub fn lucet_kill_switch_terminate(
        ks: *mut lucet_kill_switch,
        stopped: *mut bool,
    ) -> lucet_error;
    pub fn lucet_kill_switch_release(ks: *mut lucet_kill_switch) -> lucet_error;
    pub fn lucet_vmctx_get_delegate(ctx: *mut lucet_vmctx) -> *mut c_void;
    pub fn lucet_vmctx_get_heap(ctx: *mut lucet_vmctx) -> *mut u8;
    pub fn lucet_vmctx_current_memory(ctx: *mut lucet_vmctx) -> u32;
    pub fn lucet_vmctx_terminate(ctx: *mut lucet_vmctx, exit_code: u32) -> !;
    pub fn lucet_version() -> *const c_char;
    pub fn lucet_dl_module_load_wasm(
        path: *const c_char,
        opt_level: i32,
        out: *mut *mut lucet_dl_module,
    ) -> lucet_error;
    pub fn lucet_compile_wasm_file(wasm: *const c_char, so: *const c_char, opt_level: i32) -> lucet_error;
    pub fn lucet_region_used(r: *const lucet_region, used: *mut u64, cap: *mut u64) -> lucet_error;
    pub fn lucet_wasi_ctx_inherit_env(c: *mut lucet_wasi_ctx) -> lucet_error;
    pub fn lucet_wasi_ctx_preopen_dir(
        c: *mut lucet_wasi_ctx,
        host_path: *const c_char,
        guest_path: *const c_char,
    ) -> lucet_error;
    pub fn lucet_instance_reset(i: *mut lucet_instance) -> lucet_error;
    pub fn lucet_instance_heap(i: *const lucet_instance) -> *mut u8;
    pub fn lucet_instance_heap_len(i: *const lucet_instance) -> u64;
    /// A function pointer of signature (params) -> (results) that calls
    /// callback(ctx, data, ...). Release the thunk with
    /// lucet_host_thunk_release only after every instance created with it
    /// (the pointer may be reused by the next thunk).
    pub fn lucet_host_thunk_new(
        params: *const lucet_val_type,
        nparams: u32,
        results: *const lucet_val_type,
        nresults: u32,
        callback: lucet_host_callback,
        data: *mut c_void,
        thunk_out: *mut *mut lucet_host_thunk,
        func_out: *mut lucet_host_func_ptr,
    ) -> lucet_error;
    pub fn lucet_host_thunk_release(thunk: *mut lucet_host_thunk) -> lucet_error;
}
