//! Host functions from Rust closures, two ways:
//! - Func::wrap: for each closure type the compiler instantiates one
//!   generic `extern "C"` trampoline with the import's C signature; the
//!   trampoline finds the closure in the instance's data (the embedder
//!   context) by the closure's TypeId.
//! - Func::new: any signature (any number of results, v128) over the C
//!   API's host thunks (lucet_host_thunk_new): one callback takes and gives
//!   struct lucet_val arrays (dynamic.rs).
use crate::values::{ValType, WasmTy};
use crate::InstanceData;
use lucet_wasi_sys as sys;
use std::any::{Any, TypeId};
use std::fmt;
use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// The exit code a failed host function terminates the guest with (the
/// call returns Error::Host, not this).
pub(crate) const HOST_ERROR_EXIT: u32 = 0x7fff_ff01;

/// A host function's failure: its message (a panic's payload if it panicked).
#[derive(Debug)]
pub struct HostError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl HostError {
    pub fn new(message: impl Into<String>) -> HostError {
        HostError { message: message.into(), source: None }
    }
    pub fn from_error(e: impl std::error::Error + Send + Sync + 'static) -> HostError {
        HostError { message: e.to_string(), source: Some(Box::new(e)) }
    }
    /// The error the host function returned, if it gave one.
    pub fn error(&self) -> Option<&(dyn std::error::Error + Send + Sync + 'static)> {
        self.source.as_deref()
    }
    pub(crate) fn panic(p: Box<dyn Any + Send>) -> HostError {
        let msg = if let Some(s) = p.downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = p.downcast_ref::<String>() {
            s.clone()
        } else {
            "a non-string payload".to_string()
        };
        HostError::new(format!("panicked: {}", msg))
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HostError {}

/// What a host closure may return: `()`, a WasmTy, or `Result` of those
/// with a HostError.
pub trait HostRet: 'static {
    type Abi: Copy;
    fn results() -> Vec<ValType>;
    fn into_abi(self) -> Result<Self::Abi, HostError>;
    fn zero() -> Self::Abi;
}

impl HostRet for () {
    type Abi = ();
    fn results() -> Vec<ValType> {
        Vec::new()
    }
    fn into_abi(self) -> Result<(), HostError> {
        Ok(())
    }
    fn zero() {}
}

impl<T: WasmTy> HostRet for T {
    type Abi = T::Abi;
    fn results() -> Vec<ValType> {
        vec![T::TYPE]
    }
    fn into_abi(self) -> Result<T::Abi, HostError> {
        Ok(self.to_abi())
    }
    fn zero() -> T::Abi {
        // SAFETY: every Abi type (u32, u64, f32, f64, __m128i) is valid all-zero.
        unsafe { std::mem::zeroed() }
    }
}

impl<T: HostRet> HostRet for Result<T, HostError> {
    type Abi = T::Abi;
    fn results() -> Vec<ValType> {
        T::results()
    }
    fn into_abi(self) -> Result<T::Abi, HostError> {
        self.and_then(|t| t.into_abi())
    }
    fn zero() -> T::Abi {
        T::zero()
    }
}

/// A host function: a closure and the native function the guest calls
/// (Func::wrap's trampoline, or Func::new's host thunk).
pub struct Func {
    pub(crate) ptr: *const c_void,
    pub(crate) owner: FuncOwner,
    pub(crate) params: Vec<sys::lucet_val_type>,
    pub(crate) results: Vec<sys::lucet_val_type>,
}

/// What keeps a Func's code valid: Func::wrap's closure (moved into the
/// instance), or Func::new's thunk (shared by the instances using it).
pub(crate) enum FuncOwner {
    Closure(TypeId, Box<dyn Any>),
    Thunk(Arc<crate::dynamic::DynFunc>),
}

impl Func {
    /// The function's type.
    pub fn ty(&self) -> crate::FuncType {
        let conv = |ts: &[sys::lucet_val_type]| ts.iter().filter_map(|t| ValType::from_c(*t)).collect();
        crate::FuncType { params: conv(&self.params), results: conv(&self.results) }
    }

    /// Another handle to the same host function, for another import or
    /// instance: Some for a Func::new (its closure is shared), None for a
    /// Func::wrap (its closure belongs to one instance).
    pub fn try_clone(&self) -> Option<Func> {
        match &self.owner {
            FuncOwner::Thunk(d) => Some(Func {
                ptr: self.ptr,
                owner: FuncOwner::Thunk(d.clone()),
                params: self.params.clone(),
                results: self.results.clone(),
            }),
            FuncOwner::Closure(..) => None,
        }
    }

    /// A host function from a closure `Fn(A, B, ...) -> R` (up to 6
    /// parameters of i32/u32/i64/u64/f32/f64/V128; R: `()`, one of those, or a
    /// `Result<_, HostError>`). Err or a panic stops the guest at once.
    pub fn wrap<P, R, F: IntoFunc<P, R>>(f: F) -> Func {
        f.into_func()
    }
}

/// Closures that can be host functions (see Func::wrap).
pub trait IntoFunc<P, R>: Send + 'static {
    fn into_func(self) -> Func;
}

/// Runs the closure; on failure records the error in the instance and
/// stops the guest. Called by the trampolines, with no value that needs
/// dropping alive in their frames when it terminates.
#[inline(always)]
unsafe fn finish<A: Copy>(vmctx: *mut sys::lucet_vmctx, r: Result<A, HostError>) -> A {
    match r {
        Ok(v) => v,
        Err(e) => {
            let data = sys::lucet_vmctx_get_delegate(vmctx) as *const InstanceData;
            if !data.is_null() {
                let mut slot = (*data).error.borrow_mut();
                if slot.is_none() {
                    *slot = Some(e);
                }
            }
            // lucet_vmctx_terminate unwinds nothing: every Rust value of
            // this call was dropped above (e moved into the instance).
            sys::lucet_vmctx_terminate(vmctx, HOST_ERROR_EXIT)
        }
    }
}

fn closure<'a, F: 'static>(vmctx: *mut sys::lucet_vmctx) -> Option<&'a F> {
    let data = unsafe { sys::lucet_vmctx_get_delegate(vmctx) } as *const InstanceData;
    if data.is_null() {
        return None;
    }
    let data = unsafe { &*data };
    data.closures.iter().find(|(t, _)| *t == TypeId::of::<F>()).and_then(|(_, b)| b.downcast_ref::<F>())
}

macro_rules! into_func {
    ($($a:ident $x:ident),*) => {
        impl<F, R, $($a),*> IntoFunc<($($a,)*), R> for F
        where
            F: Fn($($a),*) -> R + Send + 'static,
            R: HostRet,
            $($a: WasmTy,)*
        {
            fn into_func(self) -> Func {
                extern "C" fn trampoline<F, R, $($a),*>(vmctx: *mut sys::lucet_vmctx, $($x: $a::Abi),*) -> R::Abi
                where
                    F: Fn($($a),*) -> R + Send + 'static,
                    R: HostRet,
                    $($a: WasmTy,)*
                {
                    let r = match closure::<F>(vmctx) {
                        None => Err(HostError::new("host function called without its instance data")),
                        Some(f) => match catch_unwind(AssertUnwindSafe(|| f($($a::from_abi($x)),*).into_abi())) {
                            Ok(r) => r,
                            Err(p) => Err(HostError::panic(p)),
                        },
                    };
                    unsafe { finish(vmctx, r) }
                }
                Func {
                    ptr: trampoline::<F, R, $($a),*> as *const c_void,
                    owner: FuncOwner::Closure(TypeId::of::<F>(), Box::new(self)),
                    params: vec![$($a::TYPE.to_c()),*],
                    results: R::results().into_iter().map(|t| t.to_c()).collect(),
                }
            }
        }
    };
}
into_func!();
into_func!(A1 a1);
into_func!(A1 a1, A2 a2);
into_func!(A1 a1, A2 a2, A3 a3);
into_func!(A1 a1, A2 a2, A3 a3, A4 a4);
into_func!(A1 a1, A2 a2, A3 a3, A4 a4, A5 a5);
into_func!(A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6);
