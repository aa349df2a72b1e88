//! A module's imports and exports with their types (the C API's
//! lucet_dl_module_export_type and friends).
use crate::values::ValType;
use crate::{api_error, c_string, check, Error, Module, Result};
use lucet_wasi_sys as sys;

/// The kind of an import or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternKind {
    Func,
    Table,
    Memory,
    Global,
}

/// Table (elements) or memory (64 KiB pages) limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub min: u64,
    pub max: Option<u64>,
}

/// A function's parameter and result types (any number of each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

impl FuncType {
    /// `FuncType::new([ValType::I64, ValType::F64], [ValType::I64])`
    pub fn new(params: impl IntoIterator<Item = ValType>, results: impl IntoIterator<Item = ValType>) -> FuncType {
        FuncType { params: params.into_iter().collect(), results: results.into_iter().collect() }
    }
}

/// The type of an import or export, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternTy {
    Func(FuncType),
    Global { ty: ValType, mutable: bool },
    Table { elem: ValType, limits: Limits },
    Memory(Limits),
}

/// An import (with its module name) or export, its index in its kind's
/// index space (imports first) and its type. Names that are not UTF-8 are
/// converted lossily.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternType {
    pub module: Option<String>,
    pub name: String,
    pub index: u32,
    pub ty: ExternTy,
}

impl ExternType {
    pub fn kind(&self) -> ExternKind {
        match self.ty {
            ExternTy::Func(_) => ExternKind::Func,
            ExternTy::Global { .. } => ExternKind::Global,
            ExternTy::Table { .. } => ExternKind::Table,
            ExternTy::Memory(_) => ExternKind::Memory,
        }
    }

    /// The function type, for a function.
    pub fn func(&self) -> Option<&FuncType> {
        match &self.ty {
            ExternTy::Func(f) => Some(f),
            _ => None,
        }
    }
}

fn name(p: *const std::os::raw::c_char, len: usize) -> String {
    if p.is_null() || len == 0 {
        return String::new();
    }
    let bytes = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
    String::from_utf8_lossy(bytes).into_owned()
}

fn val_type(t: u32) -> Result<ValType> {
    ValType::from_c(t).ok_or_else(|| Error::Type(format!("unknown value type 0x{:x}", t)))
}

fn types(p: *const u8, n: u32) -> Result<Vec<ValType>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    unsafe { std::slice::from_raw_parts(p, n as usize) }.iter().map(|&b| val_type(b as u32)).collect()
}

fn convert(t: &sys::lucet_extern_type, import: bool) -> Result<ExternType> {
    let limits = Limits { min: t.limits.min, max: if t.limits.has_max != 0 { Some(t.limits.max) } else { None } };
    let ty = match t.kind {
        sys::EXTERN_FUNC => {
            ExternTy::Func(FuncType { params: types(t.params, t.nparams)?, results: types(t.results, t.nresults)? })
        }
        sys::EXTERN_GLOBAL => ExternTy::Global { ty: val_type(t.global_type)?, mutable: t.global_mutable != 0 },
        sys::EXTERN_TABLE => ExternTy::Table { elem: val_type(t.table_elem_type)?, limits },
        sys::EXTERN_MEMORY => ExternTy::Memory(limits),
        k => return Err(Error::Type(format!("unknown extern kind {}", k))),
    };
    Ok(ExternType {
        module: if import { Some(name(t.module, t.module_len)) } else { None },
        name: name(t.name, t.name_len),
        index: t.index,
        ty,
    })
}

impl Module {
    fn list(&self, import: bool) -> Result<Vec<ExternType>> {
        let mut n = 0usize;
        check(unsafe {
            if import {
                sys::lucet_dl_module_import_count(self.0, &mut n)
            } else {
                sys::lucet_dl_module_export_count(self.0, &mut n)
            }
        })?;
        (0..n)
            .map(|i| {
                let mut t: sys::lucet_extern_type = unsafe { std::mem::zeroed() };
                check(unsafe {
                    if import {
                        sys::lucet_dl_module_import_type(self.0, i, &mut t)
                    } else {
                        sys::lucet_dl_module_export_type(self.0, i, &mut t)
                    }
                })?;
                convert(&t, import)
            })
            .collect()
    }

    /// The exports with their types, in declaration order.
    pub fn exports(&self) -> Result<Vec<ExternType>> {
        self.list(false)
    }

    /// The imports (module, name, type), in declaration order.
    pub fn imports(&self) -> Result<Vec<ExternType>> {
        self.list(true)
    }

    /// The export named `name`, None if there is none.
    pub fn export(&self, name: &str) -> Result<Option<ExternType>> {
        let cname = c_string(name)?;
        let mut t: sys::lucet_extern_type = unsafe { std::mem::zeroed() };
        let code = unsafe { sys::lucet_dl_module_find_export(self.0, cname.as_ptr(), &mut t) };
        if code == sys::LUCET_ERROR_EXPORT_NOT_FOUND {
            return Ok(None);
        }
        if code != sys::LUCET_ERROR_OK {
            return Err(api_error(code));
        }
        convert(&t, false).map(Some)
    }
}
