"""lucet_wasi: Python bindings for liblucet_wasi (the lucet-wasi WebAssembly
runtime), pure Python over ctypes.

    import lucet_wasi as lw
    module = lw.Module.from_wasm("guest.wasm")        # compiled once, then cached
    with lw.Region(capacity=4) as region:
        inst = region.instance(module, imports={
            ("env", "scale"): lw.HostFunc(lambda x: 3 * x, [lw.I64], [lw.I64]),
            # any number of results, v128 as 16 bytes: a tuple of the values
            ("env", "divmod"): lw.HostFunc(lambda a, b: (a // b, a % b, float(b)), [lw.I64, lw.I64],
                                           [lw.I64, lw.I64, lw.F64])})
        inst.run("add", 40, 2)                          # 42: arguments typed by the export's signature
        inst.run("pair", 7)                             # (7, 7): any number of results, as a tuple
        # a trap raises lw.Trap; the instance stays usable
        # a host function that raises, or returns a wrong count or type of values,
        # stops the guest: lw.HostFuncError, the exception in .exception

The library is found through $LUCET_WASI_LIB (a path), else pkg-config
(lucet_wasi.pc), else the dynamic loader's path (liblucet_wasi.so.0).

Preopened directories are given HOST then GUEST, like the C API and
`lucet-wasi --dir HOST::GUEST`: WasiCtx(preopens={"/srv/data": "/data"}).
"""
from __future__ import annotations

import ctypes
import itertools
import os
import threading
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _ffi
from ._wasmtypes import ExternType, FuncType, Limits

__all__ = ["I32", "I64", "F32", "F64", "V128", "EXTERNREF", "FUNCREF", "FuncType", "ExternType", "Limits", "Val", "i32", "i64", "f32", "f64", "v128",
           "externref", "Error", "Trap", "Terminated", "HostFuncError", "Module", "Region", "WasiCtx", "HostFunc",
           "Instance", "KillSwitch", "version", "type_name"]

I32, I64, F32, F64, V128, EXTERNREF, FUNCREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x6F, 0x70
_TYPE_NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128", EXTERNREF: "externref",
               FUNCREF: "funcref"}
_KIND_NAMES = {0: "func", 1: "table", 2: "memory", 3: "global"}
_ERR_OK, _ERR_RUNTIME_FAULT, _ERR_RUNTIME_TERMINATED = 0, 8, 9
_ERR_EXPORT_NOT_FOUND, _ERR_BUFFER_TOO_SMALL = 18, 19
_TAG_FAULTED, _TAG_TERMINATED = 1, 2

PyValue = Union[int, float, bytes]


def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH"."""
    return str(_ffi.version().decode())


def type_name(ty: int) -> str:
    """"i32", "i64", ... for a value type."""
    return _TYPE_NAMES.get(ty, f"type 0x{ty:x}")


class Error(Exception):
    """A failing C API call: .code (the lucet_error number), .name and the library's message."""

    def __init__(self, code: int, what: str, message: Optional[str] = None) -> None:
        self.code = code
        self.name = str(_ffi.error_name(code).decode())
        msg = _ffi.error_message().decode() if message is None else message
        super().__init__(f"{what}: {self.name}: {msg}")


class Trap(Error):
    """The guest trapped: .trap_code (a number), .trap_name (the spec's text). The instance stays usable."""

    def __init__(self, code: int, what: str, trap_code: int, message: Optional[str] = None) -> None:
        super().__init__(code, what, message)
        self.trap_code = trap_code
        self.trap_name = str(_ffi.trap_code_name(trap_code).decode())


class Terminated(Error):
    """The guest exited (WASI proc_exit) or a kill switch stopped it (.killed)."""

    def __init__(self, code: int, what: str, exit_code: int, killed: bool = False) -> None:
        super().__init__(code, what)
        self.exit_code = exit_code
        self.killed = killed


class HostFuncError(Trap):
    """A host function raised: the guest was stopped, .exception (also
    __cause__) is what the host function raised, .import_name its import
    ("env.f"). trap_code is 0: the C API has no trap code for it yet."""

    def __init__(self, what: str, import_name: str, exception: BaseException) -> None:
        self.exception = exception
        self.import_name = import_name
        super().__init__(_ERR_RUNTIME_FAULT, what, 0,
                         f"host function {import_name} raised {type(exception).__name__}: {exception}")


def _check(code: int, what: str) -> None:
    if code != _ERR_OK:
        raise Error(code, what)


class Val:
    """A typed WebAssembly value (for an export whose signature is unknown, or an externref)."""

    __slots__ = ("ty", "value")

    def __init__(self, ty: int, value: PyValue) -> None:
        if ty not in _TYPE_NAMES:
            raise TypeError(f"unknown value type {ty!r}")
        self.ty, self.value = ty, value

    def __repr__(self) -> str:
        return f"{type_name(self.ty)}({self.value!r})"


def i32(v: int) -> Val: return Val(I32, v)
def i64(v: int) -> Val: return Val(I64, v)
def f32(v: float) -> Val: return Val(F32, v)
def f64(v: float) -> Val: return Val(F64, v)
def externref(v: int) -> Val: return Val(EXTERNREF, v)
def v128(b: bytes) -> Val: return Val(V128, bytes(b))  # 16 bytes, wasm's little-endian lane order


def _typed(v: Any, ty: Optional[int], what: str) -> Val:
    """v as a Val: a Val as it is, a plain number by ty (the signature's), else int -> i32, float -> f64."""
    if isinstance(v, Val):
        return v
    if ty is None:
        if isinstance(v, bool) or not isinstance(v, (int, float, bytes, bytearray)):
            raise TypeError(f"{what}: not a wasm value: {v!r}")
        ty = I32 if isinstance(v, int) else V128 if isinstance(v, (bytes, bytearray)) else F64
    if ty in (I32, I64, EXTERNREF) and (isinstance(v, bool) or not isinstance(v, int)):
        raise TypeError(f"{what}: {type_name(ty)} needs an int, got {v!r}")
    if ty in (F32, F64) and (isinstance(v, bool) or not isinstance(v, (int, float))):
        raise TypeError(f"{what}: {type_name(ty)} needs a number, got {v!r}")
    if ty == V128 and not isinstance(v, (bytes, bytearray)):
        raise TypeError(f"{what}: v128 needs 16 bytes, got {v!r}")
    return Val(ty, v)


def _to_c(v: Val, out: _ffi.Val, what: str) -> None:
    out.ty = v.ty
    x: Any = v.value
    if v.ty == I32:
        if not -(1 << 31) <= x < (1 << 32):
            raise OverflowError(f"{what}: {x} does not fit an i32")
        out.inner_val.as_i32 = x & 0xFFFFFFFF
    elif v.ty in (I64, EXTERNREF):
        if not -(1 << 63) <= x < (1 << 64):
            raise OverflowError(f"{what}: {x} does not fit an i64")
        out.inner_val.as_i64 = x & 0xFFFFFFFFFFFFFFFF
    elif v.ty == F32:
        out.inner_val.as_f32 = float(x)
    elif v.ty == F64:
        out.inner_val.as_f64 = float(x)
    else:
        if len(x) != 16:
            raise ValueError(f"{what}: a v128 is 16 bytes, got {len(x)}")
        ctypes.memmove(out.inner_val.as_v128, bytes(x), 16)


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def _from_c(v: _ffi.Val) -> PyValue:
    if v.ty == I32:
        return _signed(v.inner_val.as_i32, 32)
    if v.ty == I64:
        return _signed(v.inner_val.as_i64, 64)
    if v.ty == F32:
        return float(v.inner_val.as_f32)
    if v.ty == F64:
        return float(v.inner_val.as_f64)
    if v.ty == V128:
        return bytes(v.inner_val.as_v128)
    return int(v.inner_val.as_externref)


class _Handle:
    """Owns one C handle; close() (or the context manager, or garbage
    collection) releases it once. A constructor that failed leaves no handle,
    so __del__ has nothing to do and says nothing."""

    _h: Optional[int] = None
    _release: Callable[[Any], int]

    def close(self) -> None:
        h, self._h = self._h, None
        if h:
            type(self)._release(h)

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown: the library may be gone
            pass

    def __enter__(self: Any) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _name(p: Optional[int], n: int) -> str:
    return ctypes.string_at(p, n).decode("utf-8", "surrogateescape") if p and n else ""


def _extern_type(t: _ffi.ExternType, is_import: bool) -> ExternType:
    kind = _KIND_NAMES.get(t.kind, f"kind {t.kind}")
    out = ExternType(kind, _name(t.module, t.module_len) if is_import else None, _name(t.name, t.name_len), t.index)
    lim = Limits(t.limits.min, t.limits.max if t.limits.has_max else None)
    if kind == "func":
        return out._replace(func=FuncType(tuple(t.params[i] for i in range(t.nparams)),
                                          tuple(t.results[i] for i in range(t.nresults))))
    if kind == "global":
        return out._replace(global_type=t.global_type, global_mutable=t.global_mutable != 0)
    if kind == "table":
        return out._replace(elem_type=t.table_elem_type, limits=lim)
    return out._replace(limits=lim)


class Module(_Handle):
    """A module: a .so compiled by lucetc (Module(path)), or a .wasm compiled
    through lucet-wasi's on-disk cache (Module.from_wasm(path)). Its imports
    and exports with their types come from the library (exports(),
    imports(), export_type())."""

    _release = staticmethod(_ffi.module_release)

    def __init__(self, path: Union[str, os.PathLike], *, export_types: Optional[Mapping[str, FuncType]] = None,
                 _wasm_opt_level: Optional[int] = None) -> None:
        h = _ffi.vp()
        if _wasm_opt_level is None:
            _check(_ffi.module_load(os.fsencode(path), ctypes.byref(h)), f"loading {os.fsdecode(path)}")
        else:
            _check(_ffi.module_load_wasm(os.fsencode(path), _wasm_opt_level, ctypes.byref(h)),
                   f"compiling/loading {os.fsdecode(path)}")
        self._h = h.value
        self._export_types: Optional[Dict[str, FuncType]] = dict(export_types) if export_types is not None else None

    @classmethod
    def from_wasm(cls, path: Union[str, os.PathLike], opt_level: int = 2) -> "Module":
        """Compiles the .wasm with the C compiler at -O<opt_level> into the
        compile cache lucet-wasi uses ($XDG_CACHE_HOME/lucet, else
        ~/.cache/lucet): seconds the first time, a dlopen after. Reads the
        exports' signatures like any module, so run() types plain numbers."""
        return cls(path, _wasm_opt_level=opt_level)

    def _list(self, is_import: bool) -> List[ExternType]:
        n = ctypes.c_size_t()
        count, get = (_ffi.import_count, _ffi.import_type) if is_import else (_ffi.export_count, _ffi.export_type)
        what = "imports" if is_import else "exports"
        _check(count(self._h, ctypes.byref(n)), f"counting the {what}")
        out = []
        for i in range(n.value):
            t = _ffi.ExternType()
            _check(get(self._h, i, ctypes.byref(t)), f"reading the {what}")
            out.append(_extern_type(t, is_import))
        return out

    def exports(self) -> List[ExternType]:
        """The module's exports with their types, in declaration order."""
        return self._list(False)

    def imports(self) -> List[ExternType]:
        """The module's imports (module, name, type), in declaration order."""
        return self._list(True)

    def export(self, name: str) -> Optional[ExternType]:
        """The export named `name`, None if there is none."""
        t = _ffi.ExternType()
        code = _ffi.find_export(self._h, name.encode(), ctypes.byref(t))
        if code == _ERR_EXPORT_NOT_FOUND:
            return None
        _check(code, f"looking up export {name}")
        return _extern_type(t, False)

    def export_type(self, name: str) -> Optional[FuncType]:
        """The signature of the exported function `name` (export_types given
        to the constructor take precedence); None if it is not a function."""
        if self._export_types is not None and name in self._export_types:
            return self._export_types[name]
        e = self.export(name)
        return e.func if e is not None else None


class Region(_Handle):
    """Address space for `capacity` instances with the default limits."""

    _release = staticmethod(_ffi.region_release)

    def __init__(self, capacity: int = 1) -> None:
        h = _ffi.vp()
        _check(_ffi.region_create(capacity, None, ctypes.byref(h)), "creating a region")
        self._h = h.value

    def used(self) -> Tuple[int, int]:
        """(slots in use, capacity)."""
        used, cap = ctypes.c_uint64(), ctypes.c_uint64()
        _check(_ffi.region_used(self._h, ctypes.byref(used), ctypes.byref(cap)), "region_used")
        return used.value, cap.value

    def instance(self, module: Module, imports: Optional[Mapping[Tuple[str, str], "HostFunc"]] = None,
                 wasi: Optional["WasiCtx"] = None) -> "Instance":
        """A new instance of module. imports: {(module, field): HostFunc};
        wasi: a WasiCtx, consumed (its handle belongs to the instance after)."""
        return Instance(self, module, imports or {}, wasi)


class WasiCtx(_Handle):
    """What a WASI guest sees. preopens: {HOST directory: GUEST path} (the
    order of `lucet-wasi --dir HOST::GUEST`); stdio is preopened first (fds
    0-2) when inherit_stdio, then the preopens from fd 3 in the given order."""

    _release = staticmethod(_ffi.wasi_destroy)

    def __init__(self, args: Sequence[str] = (), env: Optional[Mapping[str, str]] = None, inherit_env: bool = False,
                 inherit_stdio: bool = False, preopens: Optional[Mapping[str, Union[str, os.PathLike]]] = None) -> None:
        h = _ffi.vp()
        _check(_ffi.wasi_create(ctypes.byref(h)), "creating a WASI context")
        self._h = h.value
        argv = (ctypes.c_char_p * max(len(args), 1))(*[os.fsencode(a) for a in args])
        _check(_ffi.wasi_args(self._h, len(args), argv), "WASI arguments")
        if inherit_env:
            _check(_ffi.wasi_inherit_env(self._h), "WASI environment")
        for k, v in (env or {}).items():
            _check(_ffi.wasi_env(self._h, os.fsencode(k), os.fsencode(v)), f"WASI environment variable {k}")
        if inherit_stdio:
            _check(_ffi.wasi_inherit_stdio(self._h), "WASI stdio")
        for host, guest in (preopens or {}).items():
            self.preopen_dir(host, guest)

    def preopen_dir(self, host: Union[str, os.PathLike], guest: str) -> None:
        """The guest sees host directory `host` as `guest` (host first, as the C API and `lucet-wasi --dir HOST::GUEST`)."""
        _check(_ffi.wasi_preopen(self._h, os.fsencode(host), guest.encode()),
               f"preopening {os.fsdecode(host)} as {guest}")

    def _consume(self) -> Optional[int]:
        if not self._h:
            raise Error(1, "WASI context", "already given to an instance or closed")
        h, self._h = self._h, None
        return h


_HOST_TYPES = (I32, I64, F32, F64, V128, EXTERNREF)
# The exit code a guest is stopped with when a Python host function failed
# (the run raises HostFuncError, not Terminated).
_HOST_ERROR = 0x7FFFFF01


class _CallState:
    """Shared by an instance and the host functions it calls: the first
    exception a host function raised during the current run, and the
    import names of its HostFuncs."""

    def __init__(self) -> None:
        self.exc: Optional[BaseException] = None
        self.exc_import = ""
        self.names: Dict[int, str] = {}
        self.lock = threading.Lock()

    def record(self, import_name: str, e: BaseException) -> None:
        with self.lock:
            if self.exc is None:
                self.exc, self.exc_import = e, import_name


# Instances by the key they give the C API as embedder context (what
# lucet_vmctx_get_delegate returns inside a host function).
_STATES: Dict[int, _CallState] = {}
_KEYS = itertools.count(1)


class HostFunc(_Handle):
    """A Python function the guest imports, of type params -> results (value
    types I32, I64, F32, F64, V128, EXTERNREF; any number of each).

    fn(*args) gets i32/i64 as signed ints, f32/f64 as floats, v128 as 16
    bytes (wasm's little-endian lane order, as Instance.run returns a v128),
    externref as an int. It returns None for no result, the value for one
    result, and a tuple (or list) of exactly N values for N >= 2, each by
    its declared type: an int for i32 (-2^31 .. 2^32-1), i64 and externref,
    a number for f32/f64, 16 bytes (bytes or bytearray) for v128, or a Val
    of that type. If fn raises, or returns a wrong count or type, the guest
    stops at once and the run raises HostFuncError with the exception.

    One HostFunc may serve any number of imports and instances. It holds one
    of the process's 4096 host thunks (lucet_host_thunk_new) until it is
    closed (close(), or garbage collection once no instance uses it)."""

    _release = staticmethod(_ffi.host_thunk_release)

    def __init__(self, fn: Callable[..., Any], params: Iterable[int], results: Iterable[int] = ()) -> None:
        self.fn, self.params, self.results = fn, list(params), list(results)
        for t in self.params + self.results:
            if t not in _HOST_TYPES:
                tn = type_name(t) if isinstance(t, int) else repr(t)
                raise TypeError(f"a host function cannot take or return {tn}")
        self._cparams = (ctypes.c_int * max(len(self.params), 1))(*self.params)
        self._cresults = (ctypes.c_int * max(len(self.results), 1))(*self.results)
        self._cb = _ffi.HostCallback(self._call)
        h, fp = _ffi.vp(), _ffi.vp()
        _check(_ffi.host_thunk_new(self._cparams, len(self.params), self._cresults, len(self.results), self._cb, None,
                                   ctypes.byref(h), ctypes.byref(fp)), "creating a host function")
        self._h, self._func = h.value, fp.value

    def _types(self) -> str:
        return ", ".join(type_name(t) for t in self.results)

    def _store(self, r: Any, out: Any, name: str) -> None:
        n = len(self.results)
        if n == 0:
            if r is not None and r != ():
                raise TypeError(f"host function {name} has no results but returned {r!r}")
            return
        if n == 1:
            if isinstance(r, (tuple, list)):
                raise TypeError(f"host function {name} must return 1 value ({self._types()}), got a "
                                f"{type(r).__name__} of {len(r)}")
            vals: Sequence[Any] = (r,)
        elif not isinstance(r, (tuple, list)):
            raise TypeError(f"host function {name} must return a tuple of {n} values ({self._types()}), got {r!r}")
        elif len(r) != n:
            raise TypeError(f"host function {name} must return {n} values ({self._types()}), got {len(r)}")
        else:
            vals = r
        for i, (v, t) in enumerate(zip(vals, self.results)):
            what = f"host function {name} result {i}"
            if isinstance(v, Val) and v.ty != t:
                raise TypeError(f"{what}: {type_name(t)} needed, got {v!r}")
            _to_c(_typed(v, t, what), out[i], what)

    def _call(self, ctx: Optional[int], _data: Optional[int], params: Any, results: Any) -> int:
        # Called from guest code: no exception may unwind through here. A
        # non-zero return stops the guest (lucet_vmctx_terminate).
        state = _STATES.get(_ffi.vmctx_get_delegate(ctx) or 0)
        if state is None:
            return _HOST_ERROR  # not an instance of this package's: nowhere to report to
        name = state.names.get(id(self), "?")
        try:
            self._store(self.fn(*[_from_c(params[i]) for i in range(len(self.params))]), results, name)
            return 0
        except BaseException as e:  # noqa: BLE001 - stops the guest, re-raised by run()
            state.record(name, e)
            return _HOST_ERROR


class KillSwitch(_Handle):
    """Stops an instance's run from any thread (ctypes releases the GIL while
    the guest runs, so another Python thread can call terminate())."""

    _release = staticmethod(_ffi.kill_release)

    def __init__(self, h: int) -> None:
        self._h = h

    def terminate(self) -> bool:
        """True if the targeted run will stop; False if it already finished."""
        stopped = ctypes.c_bool(False)
        _check(_ffi.kill_terminate(self._h, ctypes.byref(stopped)), "kill switch")
        return stopped.value


class Instance(_Handle):
    """An instance of a module in a region (Region.instance)."""

    _release = staticmethod(_ffi.instance_release)

    def __init__(self, region: Region, module: Module, imports: Mapping[Tuple[str, str], HostFunc],
                 wasi: Optional[WasiCtx]) -> None:
        self._state = _CallState()
        self._key = next(_KEYS)
        self._funcs: List[HostFunc] = []  # the thunks live as long as the instance
        n = len(imports)
        funcs = (_ffi.HostFunc * max(n, 1))()
        for i, ((mod, field), hf) in enumerate(imports.items()):
            if not isinstance(hf, HostFunc):
                raise TypeError(f"import {mod}.{field}: expected a HostFunc, got {hf!r}")
            if not hf._h:
                raise Error(1, f"import {mod}.{field}", "the HostFunc is closed")
            self._funcs.append(hf)
            old = self._state.names.get(id(hf))
            self._state.names[id(hf)] = f"{old}/{mod}.{field}" if old else f"{mod}.{field}"
            funcs[i] = _ffi.HostFunc(mod.encode(), field.encode(), hf._func, hf._cparams, len(hf.params),
                                     len(hf.results), hf._cresults)
        h = _ffi.vp()
        wasi_h = wasi._consume() if wasi is not None else None
        _STATES[self._key] = self._state
        code = _ffi.new_instance(region._h, module._h, funcs, n, self._key, wasi_h, ctypes.byref(h))
        if code == _ERR_OK:
            self._h = h.value
        self._module, self._region = module, region  # released after the instance
        if self._state.exc is not None:  # a host function raised in the start function
            self.close()
            raise HostFuncError("instantiating", self._state.exc_import, self._state.exc) from self._state.exc
        if code != _ERR_OK:
            self.close()
        _check(code, "creating an instance")

    def close(self) -> None:
        super().close()
        _STATES.pop(getattr(self, "_key", 0), None)

    def export_type(self, name: str) -> Optional[FuncType]:
        """The export's signature if the module knows it (see Module.export_type)."""
        return self._module.export_type(name)

    def run(self, name: str, *args: Any) -> Union[None, PyValue, Tuple[PyValue, ...]]:
        """Calls export `name`: None, one value, or a tuple of any number of
        values. Plain numbers are typed by the export's signature (the
        module's introspection: run("add64", 5) passes an i64); Val (i64(5),
        ...) gives a type explicitly. Raises Trap, HostFuncError, Terminated
        or Error."""
        if not self._h:
            raise Error(1, f"running {name}", "the instance is closed")
        ft = self.export_type(name)
        if ft is not None and len(args) != len(ft.params):
            raise TypeError(f"{name} takes {len(ft.params)} arguments, got {len(args)}")
        argv = (_ffi.Val * max(len(args), 1))()
        for i, a in enumerate(args):
            what = f"{name} argument {i}"
            _to_c(_typed(a, ft.params[i] if ft is not None else None, what), argv[i], what)
        res = _ffi.Result()
        state = self._state
        state.exc = None
        # The results go to a buffer as large as the signature says (no limit
        # of 8); unknown: the library says how many with buffer_too_small.
        cap = len(ft.results) if ft is not None else _ffi.MAX_RESULTS
        results = (_ffi.Val * max(cap, 1))()
        n = ctypes.c_size_t(0)
        code = _ffi.instance_call(self._h, name.encode(), len(args), argv, results, cap, ctypes.byref(n),
                                  ctypes.byref(res))
        if code == _ERR_BUFFER_TOO_SMALL and ft is None:
            cap = n.value
            results = (_ffi.Val * max(cap, 1))()
            code = _ffi.instance_call(self._h, name.encode(), len(args), argv, results, cap, ctypes.byref(n),
                                      ctypes.byref(res))
        if state.exc is not None:
            exc, state.exc = state.exc, None
            raise HostFuncError(f"running {name}", state.exc_import, exc) from exc
        if code == _ERR_RUNTIME_FAULT and res.tag == _TAG_FAULTED:
            raise Trap(code, f"running {name}", res.val.faulted.code)
        if code == _ERR_RUNTIME_TERMINATED and res.tag == _TAG_TERMINATED:
            raise Terminated(code, f"running {name}", res.val.terminated.exit_code, res.val.terminated.killed != 0)
        _check(code, f"running {name}")
        vals = [_from_c(results[i]) for i in range(n.value)]
        return None if not vals else vals[0] if len(vals) == 1 else tuple(vals)

    def reset(self) -> None:
        """Back to the state right after instantiation (the start function does not run again)."""
        _check(_ffi.instance_reset(self._h), "resetting the instance")

    def kill_switch(self) -> KillSwitch:
        """A KillSwitch for the run in progress or the next one."""
        h = _ffi.vp()
        _check(_ffi.kill_switch(self._h, ctypes.byref(h)), "creating a kill switch")
        return KillSwitch(h.value)

    def memory(self) -> memoryview:
        """The guest's linear memory as a writable memoryview (empty without
        memory). Valid while the instance lives and the memory does not grow."""
        n = _ffi.instance_heap_len(self._h)
        if n == 0:
            return memoryview(b"")
        base = ctypes.cast(_ffi.instance_heap(self._h), ctypes.c_void_p).value
        return memoryview((ctypes.c_uint8 * n).from_address(base)).cast("B")

