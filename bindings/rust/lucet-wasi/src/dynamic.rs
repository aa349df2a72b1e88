//! Func::new: host functions of any signature (any number of parameters
//! and results, v128 included) from one closure over `&[Val]`, behind a
//! host thunk of the C API (lucet_host_thunk_new): a native function of the
//! import's signature that calls `callback` with struct lucet_val arrays.
//!
//! Ownership (lucet_wasi.h): a thunk may only be released after every
//! instance created with it. A DynFunc is shared (Arc) by its Func handles
//! and by each instance made with one of them (InstanceData::thunks, dropped
//! after lucet_instance_release); the last one releases the thunk.
use crate::host::{Func, FuncOwner, HostError, HOST_ERROR_EXIT};
use crate::values::{Val, ValType};
use crate::{api_error, Error, FuncType, InstanceData, Result};
use lucet_wasi_sys as sys;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;

type DynFn = dyn Fn(&mut Caller<'_>, &[Val]) -> std::result::Result<Vec<Val>, HostError> + Send + Sync;

/// What a host function of Func::new_with_caller sees of the instance
/// calling it, during the call.
pub struct Caller<'a> {
    ctx: *mut sys::lucet_vmctx,
    _call: std::marker::PhantomData<&'a mut ()>,
}

impl Caller<'_> {
    /// The calling guest's linear memory (empty without one).
    pub fn memory(&mut self) -> &mut [u8] {
        let n = unsafe { sys::lucet_vmctx_current_memory(self.ctx) } as usize * 65536;
        let base = unsafe { sys::lucet_vmctx_get_heap(self.ctx) };
        if n == 0 || base.is_null() {
            return &mut [];
        }
        unsafe { std::slice::from_raw_parts_mut(base, n) }
    }
}

pub(crate) struct DynFunc {
    thunk: *mut sys::lucet_host_thunk,
    ty: FuncType,
    f: Box<DynFn>,
}
// The thunk handle is only released (Drop); the closure is Send + Sync.
unsafe impl Send for DynFunc {}
unsafe impl Sync for DynFunc {}

impl Drop for DynFunc {
    fn drop(&mut self) {
        if !self.thunk.is_null() {
            unsafe { sys::lucet_host_thunk_release(self.thunk) };
        }
    }
}

/// "(i64, f64)"
fn type_list(ts: &[ValType]) -> String {
    let names: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
    format!("({})", names.join(", "))
}

impl Func {
    /// A host function of type `ty` (any number of parameters and results
    /// of i32, i64, f32, f64, v128, externref) from a closure that gets the
    /// arguments as `Val`s and returns one `Val` per result, of the
    /// result's type, in order:
    ///
    /// ```no_run
    /// // The README's example (bindings/rust and the Language packages section).
    /// use lucet_wasi::{Func, FuncType, Imports, Val, ValType::*};
    /// let divmod = Func::new(FuncType::new([I64, I64], [I64, I64, V128]), |a| match a {
    ///     [Val::I64(x), Val::I64(y)] if *y != 0 => Ok(vec![Val::I64(x / y), Val::I64(x % y), Val::V128(0)]),
    ///     _ => Err(lucet_wasi::HostError::new("divide by zero")),
    /// })?;
    /// let mut imports = Imports::new();
    /// imports.func("env", "divmod", divmod);
    /// # Ok::<(), lucet_wasi::Error>(())
    /// ```
    ///
    /// An `Err`, a panic (caught: it never unwinds into the guest), or
    /// results of the wrong count or types stop the guest at once and the
    /// call returns `Error::Host` with the reason (wrong results: the guest
    /// is stopped with the C API's LUCET_HOST_THUNK_BAD_RESULT and the
    /// message names the import, e.g. "h.two: returned 1 value for 2
    /// results (i64, f64)"). One Func may serve several imports and
    /// instances (`try_clone`). It holds one of the process's
    /// LUCET_HOST_THUNKS (4096) host thunks until it and every instance
    /// made with it are dropped. Errors: funcref types (Error::Type), all
    /// thunks in use (Error::Api lucet_error_limits_exceeded).
    pub fn new<F>(ty: FuncType, f: F) -> Result<Func>
    where
        F: Fn(&[Val]) -> std::result::Result<Vec<Val>, HostError> + Send + Sync + 'static,
    {
        Func::new_with_caller(ty, move |_: &mut Caller<'_>, args: &[Val]| f(args))
    }

    /// Func::new whose closure also gets a [`Caller`]: the calling guest's
    /// memory (`caller.memory()`), as wasmtime's `Func::new`.
    pub fn new_with_caller<F>(ty: FuncType, f: F) -> Result<Func>
    where
        F: Fn(&mut Caller<'_>, &[Val]) -> std::result::Result<Vec<Val>, HostError> + Send + Sync + 'static,
    {
        if ty.params.iter().chain(&ty.results).any(|t| *t == ValType::FuncRef) {
            return Err(Error::Type(format!(
                "Func::new: host functions cannot take or return funcref ({} -> {})",
                type_list(&ty.params),
                type_list(&ty.results)
            )));
        }
        let params: Vec<sys::lucet_val_type> = ty.params.iter().map(|t| t.to_c()).collect();
        let results: Vec<sys::lucet_val_type> = ty.results.iter().map(|t| t.to_c()).collect();
        let mut d = Arc::new(DynFunc { thunk: ptr::null_mut(), ty, f: Box::new(f) });
        let data = Arc::as_ptr(&d) as *mut c_void;
        let mut thunk = ptr::null_mut();
        let mut fp: sys::lucet_host_func_ptr = None;
        let code = unsafe {
            sys::lucet_host_thunk_new(
                params.as_ptr(),
                params.len() as u32,
                results.as_ptr(),
                results.len() as u32,
                Some(callback),
                data,
                &mut thunk,
                &mut fp,
            )
        };
        if code != sys::LUCET_ERROR_OK {
            return Err(api_error(code));
        }
        Arc::get_mut(&mut d).expect("a new Arc is unique").thunk = thunk;
        let ptr = fp.map_or(ptr::null(), |f| f as *const c_void);
        Ok(Func { ptr, owner: FuncOwner::Thunk(d), params, results })
    }
}

/// Stores the first failure of a run in the instance (Instance::call_vals
/// returns it as Error::Host), naming the import(s) the thunk serves.
unsafe fn record(ctx: *mut sys::lucet_vmctx, d: *const DynFunc, e: HostError, name_it: bool) {
    let data = sys::lucet_vmctx_get_delegate(ctx) as *const InstanceData;
    if data.is_null() {
        return;
    }
    let data = &*data;
    let e = if name_it {
        let names: Vec<&str> =
            data.thunks.iter().filter(|(t, _)| Arc::as_ptr(t) == d).map(|(_, n)| n.as_str()).collect();
        HostError::new(format!("{}: {}", names.join(" or "), e))
    } else {
        e
    };
    if let Ok(mut slot) = data.error.try_borrow_mut() {
        if slot.is_none() {
            *slot = Some(e);
        }
    }
}

/// The thunks' callback (lucet_host_callback). Nothing unwinds out of it:
/// the closure and the conversions run under catch_unwind. A non-zero
/// return stops the guest with that exit code (the C API's dispatch calls
/// lucet_vmctx_terminate once this function has returned, so no Rust frame
/// is skipped).
unsafe extern "C" fn callback(
    ctx: *mut sys::lucet_vmctx,
    data: *mut c_void,
    params: *const sys::lucet_val,
    results: *mut sys::lucet_val,
) -> u32 {
    let d = data as *const DynFunc;
    let run = catch_unwind(AssertUnwindSafe(|| -> std::result::Result<(), (u32, HostError, bool)> {
        let d = &*d;
        let args: Vec<Val> = (0..d.ty.params.len()).map(|i| Val::from_c(&*params.add(i))).collect();
        let mut caller = Caller { ctx, _call: std::marker::PhantomData };
        let out = (d.f)(&mut caller, &args).map_err(|e| (HOST_ERROR_EXIT, e, false))?;
        let bad = |m: String| Err((sys::LUCET_HOST_THUNK_BAD_RESULT, HostError::new(m), true));
        let want = &d.ty.results;
        if out.len() != want.len() {
            return bad(format!(
                "returned {} value{} for {} result{} {}",
                out.len(),
                if out.len() == 1 { "" } else { "s" },
                want.len(),
                if want.len() == 1 { "" } else { "s" },
                type_list(want)
            ));
        }
        for (i, (v, t)) in out.iter().zip(want).enumerate() {
            if v.ty() != Some(*t) || matches!(v, Val::Other(_)) {
                return bad(format!("result {} is {:?}, must be {} (results {})", i, v, t, type_list(want)));
            }
        }
        for (i, v) in out.iter().enumerate() {
            *results.add(i) = v.to_c();
        }
        Ok(())
    }));
    match run {
        Ok(Ok(())) => 0,
        Ok(Err((code, e, name_it))) => {
            let _ = catch_unwind(AssertUnwindSafe(|| record(ctx, d, e, name_it)));
            code
        }
        Err(p) => {
            let _ = catch_unwind(AssertUnwindSafe(|| record(ctx, d, HostError::panic(p), false)));
            HOST_ERROR_EXIT
        }
    }
}
