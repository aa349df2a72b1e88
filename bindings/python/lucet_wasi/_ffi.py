"""The C API (include/lucet_wasi.h) through ctypes: library loading, struct
layouts (LUCET_WASI_API_VERSION 2) and function prototypes."""
from __future__ import annotations

import ctypes
import os
import subprocess
from typing import Any, List

API_VERSION = 2
MAX_RESULTS = 8


def find_library() -> str:
    """$LUCET_WASI_LIB (a path to liblucet_wasi.so), else the directories
    `pkg-config lucet_wasi` names (-L first: for an uninstalled build tree's
    lucet_wasi-uninstalled.pc that is where the library is, then libdir),
    else the dynamic loader's search path."""
    path = os.environ.get("LUCET_WASI_LIB")
    if path:
        return path
    dirs: List[str] = []
    for args in (["--libs-only-L"], ["--variable=libdir"]):
        try:
            out = subprocess.run(["pkg-config", *args, "lucet_wasi"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, check=True).stdout.split()
        except (OSError, subprocess.CalledProcessError):
            continue
        dirs += [d[2:] if d.startswith("-L") else d for d in out]
    for d in dirs:
        for name in ("liblucet_wasi.so.0", "liblucet_wasi.so"):
            candidate = os.path.join(d, name)
            if os.path.exists(candidate):
                return candidate
    return "liblucet_wasi.so.0"


lib = ctypes.CDLL(find_library())
lib.lucet_api_version.restype = ctypes.c_int
if lib.lucet_api_version() != API_VERSION:
    raise ImportError(f"liblucet_wasi has C API version {lib.lucet_api_version()}, "
                      f"the lucet_wasi package mirrors version {API_VERSION}")


class ValInner(ctypes.Union):
    _fields_ = [("as_i32", ctypes.c_uint32), ("as_i64", ctypes.c_uint64), ("as_f32", ctypes.c_float),
                ("as_f64", ctypes.c_double), ("as_externref", ctypes.c_uint64), ("as_v128", ctypes.c_uint8 * 16)]


class Val(ctypes.Structure):
    _fields_ = [("ty", ctypes.c_int), ("inner_val", ValInner)]


class Returned(ctypes.Structure):
    _fields_ = [("nvalues", ctypes.c_uint32), ("values", Val * MAX_RESULTS)]


class Faulted(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("fault_addr", ctypes.c_size_t), ("pc", ctypes.c_size_t)]


class Terminated(ctypes.Structure):
    _fields_ = [("exit_code", ctypes.c_uint32), ("killed", ctypes.c_uint32)]


class Yielded(ctypes.Structure):
    _fields_ = [("value", Val)]


class ResultVal(ctypes.Union):
    _fields_ = [("returned", Returned), ("faulted", Faulted), ("terminated", Terminated), ("yielded", Yielded)]


class Result(ctypes.Structure):
    _fields_ = [("tag", ctypes.c_int), ("val", ResultVal)]


class Limits(ctypes.Structure):
    _fields_ = [("min", ctypes.c_uint64), ("max", ctypes.c_uint64), ("has_max", ctypes.c_uint32),
                ("pad", ctypes.c_uint32)]


class ExternType(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int), ("index", ctypes.c_uint32),
                ("module", ctypes.c_void_p), ("module_len", ctypes.c_size_t),
                ("name", ctypes.c_void_p), ("name_len", ctypes.c_size_t),
                ("nparams", ctypes.c_uint32), ("nresults", ctypes.c_uint32),
                ("params", ctypes.POINTER(ctypes.c_uint8)), ("results", ctypes.POINTER(ctypes.c_uint8)),
                ("global_type", ctypes.c_int), ("global_mutable", ctypes.c_uint32),
                ("table_elem_type", ctypes.c_int), ("limits", Limits)]


class HostFunc(ctypes.Structure):
    _fields_ = [("module_name", ctypes.c_char_p), ("field_name", ctypes.c_char_p), ("func", ctypes.c_void_p),
                ("params", ctypes.POINTER(ctypes.c_int)), ("nparams", ctypes.c_uint32),
                ("nresults", ctypes.c_uint32), ("results", ctypes.POINTER(ctypes.c_int))]


vp, err = ctypes.c_void_p, ctypes.c_int


def _proto(name: str, restype: Any, *argtypes: Any) -> Any:
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


error_name = _proto("lucet_error_name", ctypes.c_char_p, err)
error_message = _proto("lucet_error_message", ctypes.c_char_p)
trap_code_name = _proto("lucet_trap_code_name", ctypes.c_char_p, ctypes.c_int)
version = _proto("lucet_version", ctypes.c_char_p)
module_load = _proto("lucet_dl_module_load", err, ctypes.c_char_p, ctypes.POINTER(vp))
module_load_wasm = _proto("lucet_dl_module_load_wasm", err, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(vp))
module_release = _proto("lucet_dl_module_release", err, vp)
region_create = _proto("lucet_mmap_region_create", err, ctypes.c_uint64, vp, ctypes.POINTER(vp))
region_release = _proto("lucet_region_release", err, vp)
region_used = _proto("lucet_region_used", err, vp, ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint64))
wasi_create = _proto("lucet_wasi_ctx_create", err, ctypes.POINTER(vp))
wasi_args = _proto("lucet_wasi_ctx_args", err, vp, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p))
wasi_env = _proto("lucet_wasi_ctx_env", err, vp, ctypes.c_char_p, ctypes.c_char_p)
wasi_inherit_env = _proto("lucet_wasi_ctx_inherit_env", err, vp)
wasi_inherit_stdio = _proto("lucet_wasi_ctx_inherit_stdio", err, vp)
wasi_preopen = _proto("lucet_wasi_ctx_preopen_dir", err, vp, ctypes.c_char_p, ctypes.c_char_p)
wasi_destroy = _proto("lucet_wasi_ctx_destroy", err, vp)
new_instance = _proto("lucet_region_new_instance_with_imports", err, vp, vp, ctypes.POINTER(HostFunc),
                      ctypes.c_size_t, vp, vp, ctypes.POINTER(vp))
instance_release = _proto("lucet_instance_release", err, vp)
instance_run = _proto("lucet_instance_run", err, vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(Val),
                      ctypes.POINTER(Result))
instance_reset = _proto("lucet_instance_reset", err, vp)
kill_switch = _proto("lucet_instance_kill_switch", err, vp, ctypes.POINTER(vp))
kill_terminate = _proto("lucet_kill_switch_terminate", err, vp, ctypes.POINTER(ctypes.c_bool))
kill_release = _proto("lucet_kill_switch_release", err, vp)
instance_heap = _proto("lucet_instance_heap", ctypes.POINTER(ctypes.c_uint8), vp)
instance_heap_len = _proto("lucet_instance_heap_len", ctypes.c_uint64, vp)
export_count = _proto("lucet_dl_module_export_count", err, vp, ctypes.POINTER(ctypes.c_size_t))
import_count = _proto("lucet_dl_module_import_count", err, vp, ctypes.POINTER(ctypes.c_size_t))
export_type = _proto("lucet_dl_module_export_type", err, vp, ctypes.c_size_t, ctypes.POINTER(ExternType))
import_type = _proto("lucet_dl_module_import_type", err, vp, ctypes.c_size_t, ctypes.POINTER(ExternType))
find_export = _proto("lucet_dl_module_find_export", err, vp, ctypes.c_char_p, ctypes.POINTER(ExternType))
instance_call = _proto("lucet_instance_call", err, vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(Val),
                       ctypes.POINTER(Val), ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(Result))
# Host functions: a Python callback over lucet_val arrays behind a native
# function pointer of the import's signature (lucet_host_thunk_new).
HostCallback = ctypes.CFUNCTYPE(ctypes.c_uint32, vp, vp, ctypes.POINTER(Val), ctypes.POINTER(Val))
HOST_THUNK_BAD_RESULT = 0xFFFFFFF0
host_thunk_new = _proto("lucet_host_thunk_new", err, ctypes.POINTER(ctypes.c_int), ctypes.c_uint32,
                        ctypes.POINTER(ctypes.c_int), ctypes.c_uint32, HostCallback, vp, ctypes.POINTER(vp),
                        ctypes.POINTER(vp))
host_thunk_release = _proto("lucet_host_thunk_release", err, vp)
vmctx_get_delegate = _proto("lucet_vmctx_get_delegate", vp, vp)
