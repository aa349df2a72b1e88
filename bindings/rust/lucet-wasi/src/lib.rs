//! Safe Rust API over liblucet_wasi (the lucet-wasi WebAssembly runtime).
//!
//! ```no_run
//! use lucet_wasi::{Func, Imports, Module, Region};
//! let module = Module::from_wasm("guest.wasm", 2)?; // the C compiler once, then the compile cache
//! let region = Region::new(4)?;
//! let mut imports = Imports::new();
//! imports.func("env", "host_scale", Func::wrap(|x: i64| x * 3));
//! let mut inst = region.instance(&module, imports, None)?;
//! let sum: i32 = inst.call("add", (40i32, 2i32))?;
//! # Ok::<(), lucet_wasi::Error>(())
//! ```
//!
//! Handles are released on drop. A trap, an exit and a failing host
//! function are [`Error`] values. A host function is any `Fn(args...) -> R`
//! closure over i32/u32/i64/u64/f32/f64/[`V128`] (at most one result; `R` may be a
//! `Result<T, HostError>`): a generic `extern "C"` trampoline is
//! instantiated per closure type, no C per signature. A host function that
//! returns `Err` or panics stops the guest at once: the call returns
//! [`Error::Host`]. [`Func::new`] takes any signature (any number of
//! results, v128 as `Val::V128(u128)`) from a closure over `&[Val]`,
//! through the C API's host thunks.
//!
//! Preopened directories are given HOST then GUEST, like the C API and
//! `lucet-wasi --dir HOST::GUEST`: `Wasi::new().preopen("/srv/data", "/data")`.
use lucet_wasi_sys as sys;
use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::c_void;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

mod dynamic;
mod host;
mod introspect;
mod values;
pub use dynamic::Caller;
pub use host::{Func, HostError, IntoFunc};
pub use introspect::{ExternKind, ExternTy, ExternType, FuncType, Limits};
pub use values::{Val, ValType, WasmParams, WasmResults, WasmTy, V128};

/// What went wrong.
#[derive(Debug)]
pub enum Error {
    /// A failing C API call: the lucet_error number, its name and the library's message.
    Api { code: u32, name: String, message: String },
    /// The guest trapped (the instance stays usable): the trap code and the spec's text.
    Trap { code: u32, name: String },
    /// The guest exited (WASI proc_exit) or a kill switch stopped it.
    Exit { code: u32, killed: bool },
    /// A host function returned an error or panicked; the guest was stopped.
    Host(HostError),
    /// Arguments or results of other types than the export's.
    Type(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api { name, message, .. } => write!(f, "{}: {}", name, message),
            Error::Trap { name, .. } => write!(f, "wasm trap: {}", name),
            Error::Exit { killed: true, .. } => write!(f, "stopped by a kill switch"),
            Error::Exit { code, .. } => write!(f, "guest exited with {}", code),
            Error::Host(e) => write!(f, "host function failed: {}", e),
            Error::Type(m) => write!(f, "{}", m),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The C API's name for the error code behind this error
    /// ("lucet_error_runtime_fault" for a trap, ...); None for Host and
    /// Type errors, which are this crate's.
    pub fn code_name(&self) -> Option<String> {
        let code = match self {
            Error::Api { code, .. } => *code,
            Error::Trap { .. } => sys::LUCET_ERROR_RUNTIME_FAULT,
            Error::Exit { .. } => sys::LUCET_ERROR_RUNTIME_TERMINATED,
            Error::Host(_) | Error::Type(_) => return None,
        };
        Some(cstr(unsafe { sys::lucet_error_name(code) }))
    }
}

pub type Result<T> = std::result::Result<T, Error>;

fn cstr(p: *const std::os::raw::c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

pub(crate) fn api_error(code: sys::lucet_error) -> Error {
    Error::Api {
        code,
        name: cstr(unsafe { sys::lucet_error_name(code) }),
        message: cstr(unsafe { sys::lucet_error_message() }),
    }
}

pub(crate) fn check(code: sys::lucet_error) -> Result<()> {
    if code == sys::LUCET_ERROR_OK {
        Ok(())
    } else {
        Err(api_error(code))
    }
}

pub(crate) fn c_string(s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::Type(format!("{:?} contains a NUL byte", s)))
}

fn c_path(p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| Error::Type(format!("{:?} contains a NUL byte", p)))
}

/// The library's version, "MAJOR.MINOR.PATCH".
pub fn version() -> String {
    cstr(unsafe { sys::lucet_version() })
}

/// A loaded module (released on drop; instances keep it loaded while they
/// live). Its imports and exports with their types: `exports()`,
/// `imports()`, `export(name)`.
pub struct Module(pub(crate) *mut sys::lucet_dl_module);
unsafe impl Send for Module {}
unsafe impl Sync for Module {}

impl Module {
    /// Loads a .so compiled by lucetc.
    pub fn load(path: impl AsRef<Path>) -> Result<Module> {
        let p = c_path(path.as_ref())?;
        let mut h = ptr::null_mut();
        check(unsafe { sys::lucet_dl_module_load(p.as_ptr(), &mut h) })?;
        Ok(Module(h))
    }

    /// Loads a .wasm through lucet-wasi's compile cache ($XDG_CACHE_HOME/lucet,
    /// else ~/.cache/lucet), compiling it at -O`opt_level` the first time.
    pub fn from_wasm(path: impl AsRef<Path>, opt_level: i32) -> Result<Module> {
        let p = c_path(path.as_ref())?;
        let mut h = ptr::null_mut();
        check(unsafe { sys::lucet_dl_module_load_wasm(p.as_ptr(), opt_level, &mut h) })?;
        Ok(Module(h))
    }
}

impl Drop for Module {
    fn drop(&mut self) {
        unsafe { sys::lucet_dl_module_release(self.0) };
    }
}

/// Address space for a number of instances (released on drop; the memory
/// goes with the last instance).
pub struct Region(*mut sys::lucet_region);
unsafe impl Send for Region {}
unsafe impl Sync for Region {}

impl Region {
    /// Room for `capacity` instances with the default limits.
    pub fn new(capacity: u64) -> Result<Region> {
        let mut h = ptr::null_mut();
        check(unsafe { sys::lucet_mmap_region_create(capacity, ptr::null(), &mut h) })?;
        Ok(Region(h))
    }

    /// (slots in use, capacity).
    pub fn used(&self) -> Result<(u64, u64)> {
        let (mut u, mut c) = (0, 0);
        check(unsafe { sys::lucet_region_used(self.0, &mut u, &mut c) })?;
        Ok((u, c))
    }

    /// A new instance of `module` with these host functions and optionally
    /// WASI; runs the start function.
    pub fn instance(&self, module: &Module, imports: Imports, wasi: Option<Wasi>) -> Result<Instance> {
        Instance::new(self, module, imports, wasi)
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        unsafe { sys::lucet_region_release(self.0) };
    }
}

/// What a WASI guest sees. Stdio (if inherited) is fds 0-2; preopens follow
/// from fd 3 in the order given.
#[derive(Default, Clone)]
pub struct Wasi {
    args: Vec<String>,
    env: Vec<(String, String)>,
    inherit_env: bool,
    inherit_stdio: bool,
    preopens: Vec<(std::path::PathBuf, String)>,
}

impl Wasi {
    pub fn new() -> Wasi {
        Wasi::default()
    }
    pub fn arg(mut self, a: &str) -> Wasi {
        self.args.push(a.to_string());
        self
    }
    pub fn env(mut self, name: &str, value: &str) -> Wasi {
        self.env.push((name.to_string(), value.to_string()));
        self
    }
    pub fn inherit_env(mut self) -> Wasi {
        self.inherit_env = true;
        self
    }
    pub fn inherit_stdio(mut self) -> Wasi {
        self.inherit_stdio = true;
        self
    }
    /// The guest sees host directory `host` as `guest` (HOST then GUEST,
    /// as the C API and `lucet-wasi --dir HOST::GUEST`).
    pub fn preopen(mut self, host: impl AsRef<Path>, guest: &str) -> Wasi {
        self.preopens.push((host.as_ref().to_path_buf(), guest.to_string()));
        self
    }

    fn build(&self) -> Result<WasiCtx> {
        let mut h = ptr::null_mut();
        check(unsafe { sys::lucet_wasi_ctx_create(&mut h) })?;
        let ctx = WasiCtx(h);
        let args = self.args.iter().map(|a| c_string(a)).collect::<Result<Vec<_>>>()?;
        let argv: Vec<_> = args.iter().map(|a| a.as_ptr()).collect();
        check(unsafe { sys::lucet_wasi_ctx_args(ctx.0, argv.len(), argv.as_ptr()) })?;
        if self.inherit_env {
            check(unsafe { sys::lucet_wasi_ctx_inherit_env(ctx.0) })?;
        }
        for (k, v) in &self.env {
            let (k, v) = (c_string(k)?, c_string(v)?);
            check(unsafe { sys::lucet_wasi_ctx_env(ctx.0, k.as_ptr(), v.as_ptr()) })?;
        }
        if self.inherit_stdio {
            check(unsafe { sys::lucet_wasi_ctx_inherit_stdio(ctx.0) })?;
        }
        for (host, guest) in &self.preopens {
            let (g, h) = (c_string(guest)?, c_path(host)?);
            check(unsafe { sys::lucet_wasi_ctx_preopen_dir(ctx.0, h.as_ptr(), g.as_ptr()) }).map_err(|e| match e {
                Error::Api { code, name, message } => Error::Api {
                    code,
                    name,
                    message: format!("preopen {}::{}: {}", host.display(), guest, message),
                },
                e => e,
            })?;
        }
        Ok(ctx)
    }
}

struct WasiCtx(*mut sys::lucet_wasi_ctx);
impl Drop for WasiCtx {
    fn drop(&mut self) {
        if !self.0.is_null() {
            unsafe { sys::lucet_wasi_ctx_destroy(self.0) };
        }
    }
}

/// The host functions an instance imports.
#[derive(Default)]
pub struct Imports {
    funcs: Vec<(String, String, Func)>,
}

impl Imports {
    pub fn new() -> Imports {
        Imports::default()
    }
    /// Provides `func` for the guest's import `module`.`name`.
    pub fn func(&mut self, module: &str, name: &str, func: Func) -> &mut Imports {
        self.funcs.push((module.to_string(), name.to_string(), func));
        self
    }
}

/// Host-side state of an instance, reached from host functions through the
/// embedder context (a pointer to this box).
pub(crate) struct InstanceData {
    pub(crate) closures: Vec<(TypeId, Box<dyn Any>)>,
    pub(crate) error: RefCell<Option<HostError>>,
    /// Func::new's thunks this instance calls, with the import's
    /// "module.name": dropped after the instance is released (Instance's
    /// Drop runs before its fields'), which lucet_host_thunk_release needs.
    pub(crate) thunks: Vec<(std::sync::Arc<dynamic::DynFunc>, String)>,
}

/// An instance (released on drop, which frees its slot).
pub struct Instance {
    h: *mut sys::lucet_instance,
    data: Box<InstanceData>,
}
unsafe impl Send for Instance {}

impl Instance {
    fn new(region: &Region, module: &Module, imports: Imports, wasi: Option<Wasi>) -> Result<Instance> {
        let mut data =
            Box::new(InstanceData { closures: Vec::new(), error: RefCell::new(None), thunks: Vec::new() });
        let mut names = Vec::new();
        let mut cfuncs = Vec::new();
        for (m, n, f) in imports.funcs {
            if let host::FuncOwner::Closure(id, _) = &f.owner {
                if data.closures.iter().any(|(t, _)| t == id) {
                    return Err(Error::Type(format!(
                        "import {}.{}: the same closure type is already an import of this instance (wrap it in a new closure)",
                        m, n
                    )));
                }
            }
            let (cm, cn) = (c_string(&m)?, c_string(&n)?);
            cfuncs.push(sys::lucet_host_func {
                module_name: cm.as_ptr(),
                field_name: cn.as_ptr(),
                func: f.ptr,
                params: f.params.as_ptr(),
                nparams: f.params.len() as u32,
                nresults: f.results.len() as u32,
                results: f.results.as_ptr(),
            });
            names.push((cm, cn, f.params, f.results));
            match f.owner {
                host::FuncOwner::Closure(id, c) => data.closures.push((id, c)),
                host::FuncOwner::Thunk(d) => data.thunks.push((d, format!("{}.{}", m, n))),
            }
        }
        let ctx = match wasi {
            Some(w) => Some(w.build()?),
            None => None,
        };
        let mut h = ptr::null_mut();
        let wasi_h = ctx.as_ref().map_or(ptr::null_mut(), |c| c.0);
        let code = unsafe {
            sys::lucet_region_new_instance_with_imports(
                region.0,
                module.0,
                cfuncs.as_ptr(),
                cfuncs.len(),
                &*data as *const InstanceData as *mut c_void,
                wasi_h,
                &mut h,
            )
        };
        if let Some(mut c) = ctx {
            if code != sys::LUCET_ERROR_INVALID_ARGUMENT || !h.is_null() {
                c.0 = ptr::null_mut(); // consumed by the attempt
            }
        }
        drop(names);
        if let Some(e) = data.error.borrow_mut().take() {
            if !h.is_null() {
                unsafe { sys::lucet_instance_release(h) };
            }
            return Err(Error::Host(e));
        }
        check(code)?;
        Ok(Instance { h, data })
    }

    /// Calls export `name` with typed arguments and results:
    /// `inst.call::<_, i32>("add", (1i32, 2i32))`, `inst.call::<_, ()>("f", ())`,
    /// `inst.call::<_, (i32, i64)>("pair", (3i32,))`.
    pub fn call<P: WasmParams, R: WasmResults>(&mut self, name: &str, params: P) -> Result<R> {
        let vals = self.call_vals(name, &params.to_vals())?;
        R::from_vals(&vals).ok_or_else(|| {
            Error::Type(format!("{}: returned {:?}, not {}", name, vals, std::any::type_name::<R>()))
        })
    }

    /// Calls export `name` with dynamically typed values.
    pub fn call_vals(&mut self, name: &str, args: &[Val]) -> Result<Vec<Val>> {
        let cname = c_string(name)?;
        let argv: Vec<sys::lucet_val> = args.iter().map(|v| v.to_c()).collect();
        let mut res: sys::lucet_result = unsafe { std::mem::zeroed() };
        // Any number of results (lucet_instance_call): a buffer of 8, and
        // when the export has more, the size the library asks for (the
        // guest has not run then).
        let mut buf: Vec<sys::lucet_val> = vec![unsafe { std::mem::zeroed() }; sys::LUCET_MAX_RESULTS];
        let mut n = 0usize;
        let code = loop {
            *self.data.error.borrow_mut() = None;
            let code = unsafe {
                sys::lucet_instance_call(
                    self.h,
                    cname.as_ptr(),
                    argv.len(),
                    argv.as_ptr(),
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut n,
                    &mut res,
                )
            };
            if code == sys::LUCET_ERROR_BUFFER_TOO_SMALL && n > buf.len() {
                buf.resize(n, unsafe { std::mem::zeroed() });
                continue;
            }
            break code;
        };
        self.outcome(code, &res)?;
        Ok(buf[..n.min(buf.len())].iter().map(Val::from_c).collect())
    }

    /// A call's error, if it failed: a host function's, a trap, an exit, or
    /// the C API's.
    fn outcome(&self, code: sys::lucet_error, res: &sys::lucet_result) -> Result<()> {
        if let Some(e) = self.data.error.borrow_mut().take() {
            return Err(Error::Host(e));
        }
        if code == sys::LUCET_ERROR_RUNTIME_FAULT && res.tag == sys::TAG_FAULTED {
            let tc = unsafe { res.val.faulted.code };
            return Err(Error::Trap { code: tc, name: cstr(unsafe { sys::lucet_trap_code_name(tc) }) });
        }
        if code == sys::LUCET_ERROR_RUNTIME_TERMINATED && res.tag == sys::TAG_TERMINATED {
            let t = unsafe { res.val.terminated };
            return Err(Error::Exit { code: t.exit_code, killed: t.killed != 0 });
        }
        check(code)
    }

    /// Looks export `name` up once for repeated typed calls
    /// (`TypedFunc::call`), which skip the name lookup and allocate nothing
    /// for up to 16 arguments and 8 results: `let add =
    /// inst.typed_func::<(i32, i32), i32>("add")?; add.call(&mut inst, (1, 2))?`.
    /// Errors: no function export of that name, funcref parameters or
    /// results (the argument and result types are checked at each call).
    pub fn typed_func<P: WasmParams, R: WasmResults>(&self, name: &str) -> Result<TypedFunc<P, R>> {
        let cname = c_string(name)?;
        let mut f: sys::lucet_func = unsafe { std::mem::zeroed() };
        check(unsafe { sys::lucet_instance_func(self.h, cname.as_ptr(), &mut f) })?;
        Ok(TypedFunc { f, name: name.to_string(), _types: std::marker::PhantomData })
    }

    /// The guest's linear memory (empty without one).
    pub fn memory(&mut self) -> &mut [u8] {
        let n = unsafe { sys::lucet_instance_heap_len(self.h) } as usize;
        if n == 0 {
            return &mut [];
        }
        unsafe { std::slice::from_raw_parts_mut(sys::lucet_instance_heap(self.h), n) }
    }

    /// Back to the state right after instantiation.
    pub fn reset(&mut self) -> Result<()> {
        check(unsafe { sys::lucet_instance_reset(self.h) })
    }

    /// A kill switch for the run in progress or the next one (usable from any thread).
    pub fn kill_switch(&self) -> Result<KillSwitch> {
        let mut h = ptr::null_mut();
        check(unsafe { sys::lucet_instance_kill_switch(self.h, &mut h) })?;
        Ok(KillSwitch(h))
    }
}

/// An export of one instance, looked up once (Instance::typed_func). It
/// names its instance by handle: calling it with another instance is a Type
/// error, and after that instance is dropped an Api error.
pub struct TypedFunc<P, R> {
    f: sys::lucet_func,
    name: String,
    _types: std::marker::PhantomData<fn(P) -> R>,
}

impl<P: WasmParams, R: WasmResults> TypedFunc<P, R> {
    /// Calls the function on `inst` (the instance it came from).
    pub fn call(&self, inst: &mut Instance, params: P) -> Result<R> {
        if self.f.instance != inst.h {
            return Err(Error::Type(format!("{}: a function of another instance", self.name)));
        }
        // No zeroing of the buffers: write_c writes the arguments used, the
        // library the results it reports and all of `res`.
        let mut argv = [std::mem::MaybeUninit::<sys::lucet_val>::uninit(); 16];
        // SAFETY: lucet_val is plain data (integers and a union of them);
        // write_c only writes into the slice.
        let argv = unsafe { &mut *(argv.as_mut_ptr() as *mut [sys::lucet_val; 16]) };
        let argc = match params.write_c(argv) {
            Some(n) => n,
            None => return inst.call(&self.name, params), // more than 16 arguments
        };
        let mut buf = std::mem::MaybeUninit::<[sys::lucet_val; sys::LUCET_MAX_RESULTS]>::uninit();
        let mut res = std::mem::MaybeUninit::<sys::lucet_result>::uninit();
        let mut n = 0usize;
        if inst.data.error.borrow().is_some() {
            *inst.data.error.borrow_mut() = None;
        }
        let code = unsafe {
            sys::lucet_func_call(
                &self.f,
                argc,
                argv.as_ptr(),
                buf.as_mut_ptr() as *mut sys::lucet_val,
                sys::LUCET_MAX_RESULTS,
                &mut n,
                res.as_mut_ptr(),
            )
        };
        if code == sys::LUCET_ERROR_BUFFER_TOO_SMALL {
            return inst.call(&self.name, params); // more than 8 results (the guest has not run)
        }
        // SAFETY: lucet_func_call fills *result_out on every path (tag
        // errored first), and results[0..n) when it returns values.
        let res = unsafe { res.assume_init() };
        inst.outcome(code, &res)?;
        let n = n.min(sys::LUCET_MAX_RESULTS);
        let buf = buf.as_ptr() as *const sys::lucet_val;
        let mut vals = [Val::I32(0); sys::LUCET_MAX_RESULTS];
        for (k, v) in vals[..n].iter_mut().enumerate() {
            *v = Val::from_c(unsafe { &*buf.add(k) });
        }
        R::from_vals(&vals[..n]).ok_or_else(|| {
            Error::Type(format!("{}: returned {:?}, not {}", self.name, &vals[..n], std::any::type_name::<R>()))
        })
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        unsafe { sys::lucet_instance_release(self.h) };
    }
}

/// Stops an instance's run from any thread (released on drop).
pub struct KillSwitch(*mut sys::lucet_kill_switch);
unsafe impl Send for KillSwitch {}
unsafe impl Sync for KillSwitch {}

impl KillSwitch {
    /// true if the targeted run will stop; false if it already finished.
    pub fn terminate(&self) -> bool {
        let mut stopped = false;
        unsafe { sys::lucet_kill_switch_terminate(self.0, &mut stopped) };
        stopped
    }
}

impl Drop for KillSwitch {
    fn drop(&mut self) {
        unsafe { sys::lucet_kill_switch_release(self.0) };
    }
}
