//! embed-rust: embedding liblucet_wasi from Rust with no crates: extern "C"
//! declarations (ffi.rs) and a build.rs that links the library through
//! pkg-config.
//!
//!     cargo build --offline && target/debug/embed-rust guest.so guest_wasi.so
//!
//! guest.so and guest_wasi.so are examples/embed-c/guest.wat and guest_wasi.c
//! compiled by lucetc. Runs a WASI program, calls exports with arguments,
//! provides a host function and handles traps; exits 0 if all behaved.
mod ffi;

use std::ffi::{CStr, CString};
use std::fmt;
use std::io::Write;
use std::os::raw::{c_char, c_void};
use std::ptr;

#[derive(Debug)]
enum Error {
    Api { name: String, message: String },
    Trap { name: String, api_name: String },
    Exited(u32),
    Killed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Error::Api { name, message } => write!(f, "{name}: {message}"),
            Error::Trap { name, .. } => write!(f, "trap: {name}"),
            Error::Exited(c) => write!(f, "exited with {c}"),
            Error::Killed => write!(f, "stopped by a kill switch"),
        }
    }
}

fn cstr(p: *const c_char) -> String {
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

// The message is per thread: read it right after the failing call.
fn check(e: ffi::lucet_error) -> Result<(), Error> {
    if e == ffi::LUCET_ERROR_OK {
        return Ok(());
    }
    Err(Error::Api {
        name: cstr(unsafe { ffi::lucet_error_name(e) }),
        message: cstr(unsafe { ffi::lucet_error_message() }),
    })
}

struct Region(*mut ffi::lucet_region);
impl Region {
    fn new(capacity: u64) -> Result<Region, Error> {
        let mut h = ptr::null_mut();
        check(unsafe { ffi::lucet_mmap_region_create(capacity, ptr::null(), &mut h) })?;
        Ok(Region(h))
    }
}
impl Drop for Region {
    fn drop(&mut self) {
        unsafe { ffi::lucet_region_release(self.0) };
    }
}

struct Module(*mut ffi::lucet_dl_module);
impl Module {
    fn load(path: &str) -> Result<Module, Error> {
        let p = CString::new(path).unwrap();
        let mut h = ptr::null_mut();
        check(unsafe { ffi::lucet_dl_module_load(p.as_ptr(), &mut h) })?;
        Ok(Module(h))
    }
}
impl Drop for Module {
    fn drop(&mut self) {
        unsafe { ffi::lucet_dl_module_release(self.0) };
    }
}

/// A host function's state; the instance borrows it for its lifetime 'a.
/// (Cell: the guest's calls reach it through a shared reference while the
/// embedder reads it.)
struct Scaler {
    factor: i64,
    calls: std::cell::Cell<u32>,
}

struct Instance<'a> {
    h: *mut ffi::lucet_instance,
    _state: std::marker::PhantomData<&'a Scaler>,
}

#[derive(Clone, Copy)]
enum Val {
    I32(i32),
    I64(i64),
}

impl<'a> Instance<'a> {
    fn new_wasi(
        region: &Region,
        module: &Module,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Instance<'a>, Error> {
        let mut ctx = ptr::null_mut();
        check(unsafe { ffi::lucet_wasi_ctx_create(&mut ctx) })?;
        let configure = || -> Result<(), Error> {
            let cargs: Vec<CString> = args.iter().map(|a| CString::new(*a).unwrap()).collect();
            let argv: Vec<*const c_char> = cargs.iter().map(|a| a.as_ptr()).collect();
            check(unsafe { ffi::lucet_wasi_ctx_args(ctx, argv.len(), argv.as_ptr()) })?;
            for (k, v) in env {
                let (k, v) = (CString::new(*k).unwrap(), CString::new(*v).unwrap());
                check(unsafe { ffi::lucet_wasi_ctx_env(ctx, k.as_ptr(), v.as_ptr()) })?;
            }
            check(unsafe { ffi::lucet_wasi_ctx_inherit_stdio(ctx) })
        };
        if let Err(e) = configure() {
            unsafe { ffi::lucet_wasi_ctx_destroy(ctx) };
            return Err(e);
        }
        let mut h = ptr::null_mut();
        // Consumes ctx.
        check(unsafe {
            ffi::lucet_region_new_instance_with_imports(
                region.0,
                module.0,
                ptr::null(),
                0,
                ptr::null_mut(),
                ctx,
                &mut h,
            )
        })?;
        Ok(Instance {
            h,
            _state: std::marker::PhantomData,
        })
    }

    fn new_with_scaler(
        region: &Region,
        module: &Module,
        state: &'a Scaler,
    ) -> Result<Instance<'a>, Error> {
        static I64: [ffi::lucet_val_type; 1] = [ffi::I64];
        let funcs = [ffi::lucet_host_func {
            module_name: b"env\0".as_ptr() as *const c_char,
            field_name: b"host_scale\0".as_ptr() as *const c_char,
            func: host_scale as *const c_void,
            params: I64.as_ptr(),
            nparams: 1,
            nresults: 1,
            results: I64.as_ptr(),
        }];
        let mut h = ptr::null_mut();
        check(unsafe {
            ffi::lucet_region_new_instance_with_imports(
                region.0,
                module.0,
                funcs.as_ptr(),
                funcs.len(),
                state as *const Scaler as *mut c_void,
                ptr::null_mut(),
                &mut h,
            )
        })?;
        Ok(Instance {
            h,
            _state: std::marker::PhantomData,
        })
    }

    fn run(&mut self, name: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
        let argv: Vec<ffi::lucet_val> = args
            .iter()
            .map(|a| match *a {
                Val::I32(v) => ffi::lucet_val {
                    ty: ffi::I32,
                    inner_val: ffi::lucet_val_inner {
                        as_i64: v as u32 as u64,
                    },
                },
                Val::I64(v) => ffi::lucet_val {
                    ty: ffi::I64,
                    inner_val: ffi::lucet_val_inner { as_i64: v as u64 },
                },
            })
            .collect();
        let cname = CString::new(name).unwrap();
        let mut res: ffi::lucet_result = unsafe { std::mem::zeroed() };
        let e = unsafe {
            ffi::lucet_instance_run(self.h, cname.as_ptr(), argv.len(), argv.as_ptr(), &mut res)
        };
        if e == ffi::LUCET_ERROR_RUNTIME_FAULT && res.tag == ffi::TAG_FAULTED {
            return Err(Error::Trap {
                name: cstr(unsafe { ffi::lucet_trap_code_name(res.val.faulted.code) }),
                api_name: cstr(unsafe { ffi::lucet_error_name(e) }),
            });
        }
        if e == ffi::LUCET_ERROR_RUNTIME_TERMINATED
            && res.tag == ffi::TAG_TERMINATED
            && unsafe { res.val.terminated.killed } != 0
        {
            return Err(Error::Killed);
        }
        if e == ffi::LUCET_ERROR_RUNTIME_TERMINATED && res.tag == ffi::TAG_TERMINATED {
            return Err(Error::Exited(unsafe { res.val.terminated.exit_code }));
        }
        check(e)?;
        let r = unsafe { &res.val.returned };
        Ok(r.values[..r.nvalues as usize]
            .iter()
            .map(|v| unsafe {
                if v.ty == ffi::I32 {
                    Val::I32(v.inner_val.as_i32 as i32)
                } else {
                    Val::I64(v.inner_val.as_i64 as i64)
                }
            })
            .collect())
    }
}

/// Stops an instance's run from any thread.
struct KillSwitch(*mut ffi::lucet_kill_switch);
// The C API's kill switches may be used from any thread.
unsafe impl Send for KillSwitch {}
unsafe impl Sync for KillSwitch {}
impl KillSwitch {
    fn terminate(&self) -> bool {
        let mut stopped = false;
        unsafe { ffi::lucet_kill_switch_terminate(self.0, &mut stopped) };
        stopped
    }
}
impl Drop for KillSwitch {
    fn drop(&mut self) {
        unsafe { ffi::lucet_kill_switch_release(self.0) };
    }
}

impl Instance<'_> {
    fn kill_switch(&self) -> Result<KillSwitch, Error> {
        let mut h = ptr::null_mut();
        check(unsafe { ffi::lucet_instance_kill_switch(self.h, &mut h) })?;
        Ok(KillSwitch(h))
    }
}

impl Drop for Instance<'_> {
    fn drop(&mut self) {
        unsafe { ffi::lucet_instance_release(self.h) };
    }
}

/// env.host_scale: (i64) -> i64, called from guest code on the guest's
/// stack. A panic here aborts the process (extern "C" never unwinds).
extern "C" fn host_scale(ctx: *mut ffi::lucet_vmctx, x: u64) -> u64 {
    let st = unsafe { &*(ffi::lucet_vmctx_get_delegate(ctx) as *const Scaler) };
    st.calls.set(st.calls.get() + 1);
    println!("host_scale({}) called", x as i64);
    (x as i64).wrapping_mul(st.factor) as u64
}

fn as_i64(v: &[Val]) -> i64 {
    match v.first() {
        Some(Val::I32(x)) => *x as i64,
        Some(Val::I64(x)) => *x,
        None => panic!("no result"),
    }
}

fn run(guest: &str, wasi: &str) -> Result<(), Error> {
    let region = Region::new(2)?;
    {
        let module = Module::load(wasi)?;
        let mut inst = Instance::new_wasi(
            &region,
            &module,
            &["guest_wasi", "from", "Rust"],
            &[("GREETING", "hello from Rust")],
        )?;
        std::io::stdout().flush().unwrap(); // the guest writes to fd 1 directly
        match inst.run("_start", &[]) {
            Ok(_) => println!("wasi: _start returned"),
            Err(Error::Exited(c)) => println!("wasi: exited with {c}"),
            Err(e) => return Err(e),
        }
    }
    let module = Module::load(guest)?;
    let scaler = Scaler {
        factor: 3,
        calls: std::cell::Cell::new(0),
    };
    {
        let mut inst = Instance::new_with_scaler(&region, &module, &scaler)?;
        println!(
            "add(40, 2) = {}",
            as_i64(&inst.run("add", &[Val::I32(40), Val::I32(2)])?)
        );
        let r = as_i64(&inst.run("scale_plus_one", &[Val::I64(14)])?);
        let calls = scaler.calls.get();
        println!("scale_plus_one(14) = {r} (host calls: {calls})");
        match inst.run("div", &[Val::I32(1), Val::I32(0)]) {
            Err(Error::Trap { name, api_name }) => {
                println!("div(1, 0) trapped: {name} ({api_name})")
            }
            other => panic!("div(1, 0) did not trap: {:?}", other.map(|_| ())),
        }
        println!(
            "after the trap, div(7, 2) = {}",
            as_i64(&inst.run("div", &[Val::I32(7), Val::I32(2)])?)
        );
        match inst.run("load", &[Val::I32(100000)]) {
            Err(Error::Trap { name, api_name }) => {
                println!("load(100000) trapped: {name} ({api_name})")
            }
            other => panic!("load(100000) did not trap: {:?}", other.map(|_| ())),
        }
        // An endless guest, stopped by a kill switch from another thread.
        let ks = std::sync::Arc::new(inst.kill_switch()?);
        let ks2 = ks.clone();
        let killer = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            ks2.terminate();
        });
        match inst.run("spin", &[]) {
            Err(Error::Killed) => println!("spin() stopped by the kill switch"),
            other => panic!("spin() was not killed: {:?}", other.map(|_| ())),
        }
        killer.join().unwrap();
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: {} guest.so guest_wasi.so", args[0]);
        std::process::exit(2);
    }
    // ffi.rs mirrors the structs of one C API version.
    let lib_version = unsafe { ffi::lucet_api_version() };
    if lib_version != ffi::LUCET_WASI_API_VERSION {
        eprintln!(
            "embed-rust: liblucet_wasi has C API version {lib_version}, ffi.rs mirrors {}",
            ffi::LUCET_WASI_API_VERSION
        );
        std::process::exit(1);
    }
    if let Err(e) = run(&args[1], &args[2]) {
        eprintln!("embed-rust: {e}");
        std::process::exit(1);
    }
    println!("embed-rust: ok");
}
