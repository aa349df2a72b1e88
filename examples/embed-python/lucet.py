"""lucet.py: a small Pythonic wrapper over liblucet_wasi's C API (lucet_wasi.h)
with ctypes only: no compiled extension.

The library is found through $LUCET_WASI_LIB (a path to liblucet_wasi.so),
else `pkg-config --variable=libdir lucet_wasi`, else the loader's search path.

    region = lucet.Region(capacity=4)
    module = lucet.Module("guest.so")
    inst = region.instance(module, imports={("env", "host_scale"): lucet.HostFunc(fn, [I64], [I64])})
    inst.run("add", lucet.i32(40), lucet.i32(2))   # -> 42
    # a trap raises lucet.Trap (the instance stays usable)
"""
import ctypes
import os
import subprocess

I32, I64, F32, F64, V128, EXTERNREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x6F
_TYPE_NAMES = {I32: "i32", I64: "i64", F32: "f32", F64: "f64", V128: "v128", EXTERNREF: "externref"}
_CTYPES = {I32: ctypes.c_uint32, I64: ctypes.c_uint64, F32: ctypes.c_float, F64: ctypes.c_double,
           EXTERNREF: ctypes.c_uint64}

ERR_OK, ERR_RUNTIME_FAULT, ERR_RUNTIME_TERMINATED = 0, 8, 9
TAG_RETURNED, TAG_FAULTED, TAG_TERMINATED = 0, 1, 2
MAX_RESULTS = 8


def _find_library():
    path = os.environ.get("LUCET_WASI_LIB")
    if path:
        return path
    # The -L directories first: for an uninstalled build tree
    # (lucet_wasi-uninstalled.pc) they are where the library is.
    dirs = []
    for args in (["--libs-only-L"], ["--variable=libdir"]):
        try:
            out = subprocess.run(["pkg-config", *args, "lucet_wasi"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, check=True).stdout.split()
        except (OSError, subprocess.CalledProcessError):
            continue
        dirs += [d[2:] if d.startswith("-L") else d for d in out]
    for d in dirs:
        candidate = os.path.join(d, "liblucet_wasi.so")
        if os.path.exists(candidate):
            return candidate
    return "liblucet_wasi.so"


_lib = ctypes.CDLL(_find_library())

# The struct layouts below are those of LUCET_WASI_API_VERSION 2 (lucet_wasi.h).
API_VERSION = 2
_lib.lucet_api_version.restype = ctypes.c_int
if _lib.lucet_api_version() != API_VERSION:
    raise ImportError(f"liblucet_wasi has C API version {_lib.lucet_api_version()}, lucet.py mirrors {API_VERSION}")


class _ValInner(ctypes.Union):
    _fields_ = [("as_i32", ctypes.c_uint32), ("as_i64", ctypes.c_uint64), ("as_f32", ctypes.c_float),
                ("as_f64", ctypes.c_double), ("as_externref", ctypes.c_uint64), ("as_v128", ctypes.c_uint8 * 16)]


class _Val(ctypes.Structure):
    _fields_ = [("ty", ctypes.c_int), ("inner_val", _ValInner)]


class _Returned(ctypes.Structure):
    _fields_ = [("nvalues", ctypes.c_uint32), ("values", _Val * MAX_RESULTS)]


class _Faulted(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("fault_addr", ctypes.c_size_t), ("pc", ctypes.c_size_t)]


class _Terminated(ctypes.Structure):
    _fields_ = [("exit_code", ctypes.c_uint32), ("killed", ctypes.c_uint32)]


class _ResultVal(ctypes.Union):
    _fields_ = [("returned", _Returned), ("faulted", _Faulted), ("terminated", _Terminated)]


class _Result(ctypes.Structure):
    _fields_ = [("tag", ctypes.c_int), ("val", _ResultVal)]


class _HostFunc(ctypes.Structure):
    _fields_ = [("module_name", ctypes.c_char_p), ("field_name", ctypes.c_char_p), ("func", ctypes.c_void_p),
                ("params", ctypes.POINTER(ctypes.c_int)), ("nparams", ctypes.c_uint32),
                ("nresults", ctypes.c_uint32), ("results", ctypes.POINTER(ctypes.c_int))]


_vp, _err = ctypes.c_void_p, ctypes.c_int


def _proto(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_error_name = _proto("lucet_error_name", ctypes.c_char_p, _err)
_error_message = _proto("lucet_error_message", ctypes.c_char_p)
_trap_code_name = _proto("lucet_trap_code_name", ctypes.c_char_p, ctypes.c_int)
_version = _proto("lucet_version", ctypes.c_char_p)
_module_load = _proto("lucet_dl_module_load", _err, ctypes.c_char_p, ctypes.POINTER(_vp))
_module_release = _proto("lucet_dl_module_release", _err, _vp)
_region_create = _proto("lucet_mmap_region_create", _err, ctypes.c_uint64, _vp, ctypes.POINTER(_vp))
_region_release = _proto("lucet_region_release", _err, _vp)
_wasi_create = _proto("lucet_wasi_ctx_create", _err, ctypes.POINTER(_vp))
_wasi_args = _proto("lucet_wasi_ctx_args", _err, _vp, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p))
_wasi_env = _proto("lucet_wasi_ctx_env", _err, _vp, ctypes.c_char_p, ctypes.c_char_p)
_wasi_inherit_stdio = _proto("lucet_wasi_ctx_inherit_stdio", _err, _vp)
_wasi_preopen = _proto("lucet_wasi_ctx_preopen_dir", _err, _vp, ctypes.c_char_p, ctypes.c_char_p)
_wasi_destroy = _proto("lucet_wasi_ctx_destroy", _err, _vp)
_new_instance = _proto("lucet_region_new_instance_with_imports", _err, _vp, _vp, ctypes.POINTER(_HostFunc),
                       ctypes.c_size_t, _vp, _vp, ctypes.POINTER(_vp))
_instance_release = _proto("lucet_instance_release", _err, _vp)
_instance_run = _proto("lucet_instance_run", _err, _vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Val),
                       ctypes.POINTER(_Result))
_kill_switch = _proto("lucet_instance_kill_switch", _err, _vp, ctypes.POINTER(_vp))
_kill_terminate = _proto("lucet_kill_switch_terminate", _err, _vp, ctypes.POINTER(ctypes.c_bool))
_kill_release = _proto("lucet_kill_switch_release", _err, _vp)
_instance_heap = _proto("lucet_instance_heap", ctypes.POINTER(ctypes.c_uint8), _vp)
_instance_heap_len = _proto("lucet_instance_heap_len", ctypes.c_uint64, _vp)


def version():
    return _version().decode()


class Error(Exception):
    """A failing C API call: .code (lucet_error number), .name, the library's message."""

    def __init__(self, code, what):
        self.code = code
        self.name = _error_name(code).decode()
        super().__init__(f"{what}: {self.name}: {_error_message().decode()}")


class Trap(Error):
    """The guest trapped. .trap_code is the number, .trap_name the spec's text."""

    def __init__(self, code, what, trap_code):
        super().__init__(code, what)
        self.trap_code = trap_code
        self.trap_name = _trap_code_name(trap_code).decode()


class Terminated(Error):
    """The guest exited (WASI proc_exit), a host function terminated it, or
    a kill switch stopped it (.killed)."""

    def __init__(self, code, what, exit_code, killed=False):
        super().__init__(code, what)
        self.exit_code = exit_code
        self.killed = killed


def _check(code, what):
    if code != ERR_OK:
        raise Error(code, what)


class Val:
    """A typed WebAssembly value for Instance.run."""

    def __init__(self, ty, value):
        self.ty, self.value = ty, value


def i32(v): return Val(I32, v)
def i64(v): return Val(I64, v)
def f32(v): return Val(F32, v)
def f64(v): return Val(F64, v)
def v128(b): return Val(V128, bytes(b))  # 16 bytes, wasm's little-endian lane order


def _to_c(v, out):
    if isinstance(v, bool) or not isinstance(v, (Val, int, float)):
        raise TypeError(f"not a wasm value: {v!r} (use lucet.i32(), i64(), f32(), f64())")
    if not isinstance(v, Val):
        v = Val(I32 if isinstance(v, int) else F64, v)  # plain int: i32, float: f64
    out.ty = v.ty
    if v.ty == I32:
        out.inner_val.as_i32 = v.value & 0xFFFFFFFF
    elif v.ty in (I64, EXTERNREF):
        out.inner_val.as_i64 = v.value & 0xFFFFFFFFFFFFFFFF
    elif v.ty == F32:
        out.inner_val.as_f32 = v.value
    elif v.ty == F64:
        out.inner_val.as_f64 = v.value
    elif v.ty == V128:
        if len(v.value) != 16:
            raise ValueError(f"a v128 is 16 bytes, got {len(v.value)}")
        ctypes.memmove(out.inner_val.as_v128, v.value, 16)
    else:
        raise TypeError(f"unknown value type {v.ty}")


def _signed(v, bits):
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def _from_c(v):
    if v.ty == I32:
        return _signed(v.inner_val.as_i32, 32)
    if v.ty == I64:
        return _signed(v.inner_val.as_i64, 64)
    if v.ty == F32:
        return v.inner_val.as_f32
    if v.ty == F64:
        return v.inner_val.as_f64
    if v.ty == V128:
        return bytes(v.inner_val.as_v128)
    return v.inner_val.as_externref


class Module:
    """A module .so compiled by lucetc."""

    def __init__(self, path):
        h = _vp()
        _check(_module_load(os.fsencode(path), ctypes.byref(h)), f"loading {path}")
        self._h = h

    def close(self):
        if self._h:
            _module_release(self._h)
            self._h = None

    __del__ = close


class Region:
    """Slots for `capacity` instances with the default limits."""

    def __init__(self, capacity=1):
        h = _vp()
        _check(_region_create(capacity, None, ctypes.byref(h)), "creating a region")
        self._h = h

    def instance(self, module, imports=None, wasi=None):
        """A new instance of module. imports: {(module, field): HostFunc}; wasi: a WasiCtx (consumed)."""
        return Instance(self, module, imports or {}, wasi)

    def close(self):
        if self._h:
            _region_release(self._h)
            self._h = None

    __del__ = close


class WasiCtx:
    """What a WASI guest sees: arguments, environment, stdio, preopened directories.

    preopens maps host paths to guest paths ({host: guest}): host first, as
    the C API's lucet_wasi_ctx_preopen_dir and lucet-wasi's --dir HOST::GUEST.
    """

    def __init__(self, args=(), env=None, inherit_stdio=False, preopens=None):
        h = _vp()
        _check(_wasi_create(ctypes.byref(h)), "creating a WASI context")
        self._h = h
        argv = (ctypes.c_char_p * len(args))(*[a.encode() for a in args])
        _check(_wasi_args(h, len(args), argv), "WASI arguments")
        for k, v in (env or {}).items():
            _check(_wasi_env(h, k.encode(), v.encode()), f"WASI environment variable {k}")
        if inherit_stdio:
            _check(_wasi_inherit_stdio(h), "WASI stdio")
        for host, guest in (preopens or {}).items():
            _check(_wasi_preopen(h, os.fsencode(host), guest.encode()), f"preopening {host}")

    def _consume(self):
        h, self._h = self._h, None
        return h

    def close(self):
        if self._h:
            _wasi_destroy(self._h)
            self._h = None

    __del__ = close


class HostFunc:
    """A Python function the guest imports: fn(*args) -> value or None."""

    def __init__(self, fn, params, results=()):
        if len(results) > 1:
            raise ValueError("a host function returns at most one value")
        if V128 in params or V128 in results:
            # The C host function takes lucet_v128 in an SSE register, which ctypes cannot express.
            raise TypeError("ctypes cannot pass a v128 to or from a host function (write that one in C)")
        self.fn, self.params, self.results = fn, list(params), list(results)

    def _callback(self):
        restype = _CTYPES[self.results[0]] if self.results else None
        proto = ctypes.CFUNCTYPE(restype, ctypes.c_void_p, *[_CTYPES[t] for t in self.params])
        fn, params, results = self.fn, self.params, self.results

        def trampoline(_vmctx, *args):
            # Called from guest code: an exception must not unwind through it.
            try:
                args = [_signed(a, 32) if t == I32 else _signed(a, 64) if t == I64 else a
                        for a, t in zip(args, params)]
                r = fn(*args)
                if results and results[0] in (I32, I64, EXTERNREF):
                    return r & (0xFFFFFFFF if results[0] == I32 else 0xFFFFFFFFFFFFFFFF)
                return r
            except BaseException as e:  # noqa: BLE001 - report and return a zero value
                import traceback
                traceback.print_exception(e)
                return 0 if results else None

        return proto(trampoline)


class KillSwitch:
    """Stops an instance's run from any thread (ctypes releases the GIL while
    the guest runs, so another Python thread can call terminate())."""

    def __init__(self, h):
        self._h = h

    def terminate(self):
        """True if the targeted run will stop; False if it already finished."""
        stopped = ctypes.c_bool(False)
        _check(_kill_terminate(self._h, ctypes.byref(stopped)), "kill switch")
        return stopped.value

    def close(self):
        if self._h:
            _kill_release(self._h)
            self._h = None

    __del__ = close


class Instance:
    def __init__(self, region, module, imports, wasi):
        self._callbacks = []  # the C function pointers must live as long as the instance
        n = len(imports)
        funcs = (_HostFunc * max(n, 1))()
        keep = []
        for i, ((mod, field), hf) in enumerate(imports.items()):
            cb = hf._callback()
            self._callbacks.append(cb)
            params = (ctypes.c_int * max(len(hf.params), 1))(*hf.params)
            results = (ctypes.c_int * 1)(*hf.results)
            keep += [params, results]
            funcs[i] = _HostFunc(mod.encode(), field.encode(), ctypes.cast(cb, ctypes.c_void_p), params,
                                 len(hf.params), len(hf.results), results)
        h = _vp()
        wasi_h = wasi._consume() if wasi else None
        _check(_new_instance(region._h, module._h, funcs, n, None, wasi_h, ctypes.byref(h)), "creating an instance")
        self._h = h
        self._module, self._region = module, region  # released after the instance

    def run(self, name, *args):
        """Calls export `name`. Returns None, one value, or a tuple. Raises Trap, Terminated, Error."""
        argv = (_Val * max(len(args), 1))()
        for i, a in enumerate(args):
            _to_c(a, argv[i])
        res = _Result()
        code = _instance_run(self._h, name.encode(), len(args), argv, ctypes.byref(res))
        if code == ERR_RUNTIME_FAULT and res.tag == TAG_FAULTED:
            raise Trap(code, f"running {name}", res.val.faulted.code)
        if code == ERR_RUNTIME_TERMINATED and res.tag == TAG_TERMINATED:
            raise Terminated(code, f"running {name}", res.val.terminated.exit_code, res.val.terminated.killed != 0)
        _check(code, f"running {name}")
        vals = [_from_c(res.val.returned.values[i]) for i in range(res.val.returned.nvalues)]
        return None if not vals else vals[0] if len(vals) == 1 else tuple(vals)

    def kill_switch(self):
        """A KillSwitch for the run in progress or the next one."""
        h = _vp()
        _check(_kill_switch(self._h, ctypes.byref(h)), "creating a kill switch")
        return KillSwitch(h)

    def memory(self):
        """The guest's linear memory as a writable memoryview (empty without memory)."""
        n = _instance_heap_len(self._h)
        if n == 0:
            return memoryview(b"")
        return memoryview((ctypes.c_uint8 * n).from_address(ctypes.addressof(_instance_heap(self._h).contents)))

    def close(self):
        if self._h:
            _instance_release(self._h)
            self._h = None

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
