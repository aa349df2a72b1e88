//! Values and the traits that type calls and host functions.
use lucet_wasi_sys as sys;

/// A WebAssembly value type. FuncRef appears only in introspection
/// (Module::exports); a value of it is Val::Other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    ExternRef,
    V128,
    FuncRef,
}

impl std::fmt::Display for ValType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::ExternRef => "externref",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
        })
    }
}

impl ValType {
    pub(crate) fn to_c(self) -> sys::lucet_val_type {
        match self {
            ValType::I32 => sys::I32,
            ValType::I64 => sys::I64,
            ValType::F32 => sys::F32,
            ValType::F64 => sys::F64,
            ValType::ExternRef => sys::EXTERNREF,
            ValType::V128 => sys::V128,
            ValType::FuncRef => sys::FUNCREF,
        }
    }

    pub(crate) fn from_c(t: sys::lucet_val_type) -> Option<ValType> {
        Some(match t {
            sys::I32 => ValType::I32,
            sys::I64 => ValType::I64,
            sys::F32 => ValType::F32,
            sys::F64 => ValType::F64,
            sys::EXTERNREF => ValType::ExternRef,
            sys::V128 => ValType::V128,
            sys::FUNCREF => ValType::FuncRef,
            _ => return None,
        })
    }
}

/// A dynamically typed value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    ExternRef(u64),
    /// A v128: its 16 bytes in WebAssembly's order read as a little-endian
    /// u128 (i32 lane k is bits 32k..32k+31; `u128::from_le_bytes` of what
    /// v128.store writes).
    V128(u128),
    /// A type this crate does not represent (funcref): its C type code.
    Other(u32),
}

impl Val {
    pub(crate) fn to_c(self) -> sys::lucet_val {
        let mut v: sys::lucet_val = unsafe { std::mem::zeroed() };
        match self {
            Val::I32(x) => {
                v.ty = sys::I32;
                v.inner_val.as_i32 = x as u32;
            }
            Val::I64(x) => {
                v.ty = sys::I64;
                v.inner_val.as_i64 = x as u64;
            }
            Val::F32(x) => {
                v.ty = sys::F32;
                v.inner_val.as_f32 = x;
            }
            Val::F64(x) => {
                v.ty = sys::F64;
                v.inner_val.as_f64 = x;
            }
            Val::ExternRef(x) => {
                v.ty = sys::EXTERNREF;
                v.inner_val.as_externref = x;
            }
            Val::V128(x) => {
                v.ty = sys::V128;
                v.inner_val.as_v128 = x.to_le_bytes();
            }
            Val::Other(t) => v.ty = t,
        }
        v
    }

    /// The value's type (None for Val::Other of an unknown type code).
    pub fn ty(&self) -> Option<ValType> {
        Some(match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::ExternRef(_) => ValType::ExternRef,
            Val::V128(_) => ValType::V128,
            Val::Other(t) => return ValType::from_c(*t),
        })
    }

    pub(crate) fn from_c(v: &sys::lucet_val) -> Val {
        unsafe {
            match v.ty {
                sys::I32 => Val::I32(v.inner_val.as_i32 as i32),
                sys::I64 => Val::I64(v.inner_val.as_i64 as i64),
                sys::F32 => Val::F32(v.inner_val.as_f32),
                sys::F64 => Val::F64(v.inner_val.as_f64),
                sys::EXTERNREF => Val::ExternRef(v.inner_val.as_externref),
                sys::V128 => Val::V128(u128::from_le_bytes(v.inner_val.as_v128)),
                t => Val::Other(t),
            }
        }
    }
}

/// A Rust type that is a wasm value: i32/u32 (i32), i64/u64 (i64), f32, f64,
/// V128 (v128).
pub trait WasmTy: Copy + 'static {
    /// The C ABI type a host function takes it as.
    type Abi: Copy;
    const TYPE: ValType;
    fn to_val(self) -> Val;
    fn from_val(v: Val) -> Option<Self>;
    fn to_abi(self) -> Self::Abi;
    fn from_abi(a: Self::Abi) -> Self;
}

macro_rules! wasm_ty {
    ($t:ty, $abi:ty, $vt:ident, $variant:ident, $inner:ty) => {
        impl WasmTy for $t {
            type Abi = $abi;
            const TYPE: ValType = ValType::$vt;
            fn to_val(self) -> Val {
                Val::$variant(self as $inner)
            }
            fn from_val(v: Val) -> Option<Self> {
                match v {
                    Val::$variant(x) => Some(x as $t),
                    _ => None,
                }
            }
            fn to_abi(self) -> $abi {
                self as $abi
            }
            fn from_abi(a: $abi) -> Self {
                a as $t
            }
        }
    };
}
wasm_ty!(i32, u32, I32, I32, i32);
wasm_ty!(u32, u32, I32, I32, i32);
wasm_ty!(i64, u64, I64, I64, i64);
wasm_ty!(u64, u64, I64, I64, i64);
wasm_ty!(f32, f32, F32, F32, f32);
wasm_ty!(f64, f64, F64, F64, f64);

/// A v128 value for typed calls and `Func::wrap` closures: its 16 bytes in
/// WebAssembly's order read as a little-endian u128, as `Val::V128` (i32 lane
/// k is bits 32k..32k+31). In a host function's native signature it travels
/// in an xmm register, as the generated code passes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct V128(pub u128);

impl From<u128> for V128 {
    fn from(x: u128) -> V128 {
        V128(x)
    }
}

impl From<V128> for u128 {
    fn from(v: V128) -> u128 {
        v.0
    }
}

impl V128 {
    /// The value from its four i32 lanes, lane 0 first.
    pub fn from_i32x4(l: [u32; 4]) -> V128 {
        V128(l.iter().enumerate().fold(0u128, |acc, (k, x)| acc | (*x as u128) << (32 * k)))
    }

    /// Its four i32 lanes, lane 0 first.
    pub fn to_i32x4(self) -> [u32; 4] {
        std::array::from_fn(|k| (self.0 >> (32 * k)) as u32)
    }
}

#[cfg(target_arch = "x86_64")]
impl WasmTy for V128 {
    type Abi = std::arch::x86_64::__m128i;
    const TYPE: ValType = ValType::V128;
    fn to_val(self) -> Val {
        Val::V128(self.0)
    }
    fn from_val(v: Val) -> Option<Self> {
        match v {
            Val::V128(x) => Some(V128(x)),
            _ => None,
        }
    }
    fn to_abi(self) -> Self::Abi {
        // SAFETY: both are 16 plain bytes; x86-64 is little-endian, so byte k
        // of the u128 is byte k of the register, as v128.store writes it.
        unsafe { std::mem::transmute::<u128, Self::Abi>(self.0) }
    }
    fn from_abi(a: Self::Abi) -> Self {
        // SAFETY: as in to_abi.
        V128(unsafe { std::mem::transmute::<Self::Abi, u128>(a) })
    }
}

/// Arguments of a typed call: a tuple of WasmTy (`()`, `(a,)`, `(a, b)`, ...).
pub trait WasmParams {
    fn to_vals(&self) -> Vec<Val>;
    /// The arguments as C values in `out`, without allocating; how many, or
    /// None when `out` is too small. (TypedFunc::call's path.)
    #[doc(hidden)]
    fn write_c(&self, out: &mut [sys::lucet_val]) -> Option<usize> {
        let v = self.to_vals();
        if v.len() > out.len() {
            return None;
        }
        for (o, x) in out.iter_mut().zip(v.iter()) {
            *o = x.to_c();
        }
        Some(v.len())
    }
}

/// Results of a typed call: `()`, one WasmTy, or a tuple of them.
pub trait WasmResults: Sized {
    fn from_vals(v: &[Val]) -> Option<Self>;
}

impl WasmParams for () {
    fn to_vals(&self) -> Vec<Val> {
        Vec::new()
    }
    fn write_c(&self, _out: &mut [sys::lucet_val]) -> Option<usize> {
        Some(0)
    }
}
impl WasmResults for () {
    fn from_vals(v: &[Val]) -> Option<Self> {
        if v.is_empty() {
            Some(())
        } else {
            None
        }
    }
}
impl<T: WasmTy> WasmResults for T {
    fn from_vals(v: &[Val]) -> Option<Self> {
        match v {
            [x] => T::from_val(*x),
            _ => None,
        }
    }
}

macro_rules! tuples {
    ($($n:tt $t:ident),+) => {
        impl<$($t: WasmTy),+> WasmParams for ($($t,)+) {
            fn to_vals(&self) -> Vec<Val> {
                vec![$(self.$n.to_val()),+]
            }
            fn write_c(&self, out: &mut [sys::lucet_val]) -> Option<usize> {
                let n = [$($n),+].len();
                if out.len() < n {
                    return None;
                }
                $(out[$n] = self.$n.to_val().to_c();)+
                Some(n)
            }
        }
        impl<$($t: WasmTy),+> WasmResults for ($($t,)+) {
            fn from_vals(v: &[Val]) -> Option<Self> {
                let n = [$($n),+].len();
                if v.len() != n {
                    return None;
                }
                Some(($($t::from_val(v[$n])?,)+))
            }
        }
    };
}
tuples!(0 A);
tuples!(0 A, 1 B);
tuples!(0 A, 1 B, 2 C);
tuples!(0 A, 1 B, 2 C, 3 D);
tuples!(0 A, 1 B, 2 C, 3 D, 4 E);
tuples!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
