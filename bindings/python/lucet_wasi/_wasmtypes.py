"""Reads the function types of a .wasm's exports and imports (the type,
import, function and export sections), so that Instance.run can type plain
Python numbers by the export's signature.

The C API cannot list a module's exports yet (issue 10's introspection);
until it can, only modules loaded with Module.from_wasm know their types.
Anything this reader does not understand gives no types (never an error):
the caller can still pass typed values (lucet_wasi.i64(5), ...).
"""
from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional, Tuple


class FuncType(NamedTuple):
    """A function's parameter and result types (lucet_wasi.I32, ...)."""
    params: Tuple[int, ...]
    results: Tuple[int, ...]


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: Optional[int] = None) -> None:
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise ValueError("truncated")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def u32(self) -> int:
        result, shift = 0, 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7
            if shift > 35:
                raise ValueError("bad LEB128")

    def name(self) -> str:
        n = self.u32()
        if self.pos + n > self.end:
            raise ValueError("truncated name")
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s


def _limits(r: _Reader) -> None:
    flags = r.u32()
    r.u32()
    if flags & 1:
        r.u32()


def export_func_types(data: bytes) -> Optional[Dict[str, FuncType]]:
    """{export name: FuncType} for the function exports, or None if the
    bytes are not a module this reader understands."""
    try:
        return _parse(data)
    except (ValueError, UnicodeDecodeError, IndexError):
        return None


def _parse(data: bytes) -> Optional[Dict[str, FuncType]]:
    if data[:8] != b"\0asm\1\0\0\0":
        return None
    r = _Reader(data, 8)
    types: List[FuncType] = []
    funcs: List[int] = []  # type index of each function, imports first
    exports: Dict[str, FuncType] = {}
    while r.pos < r.end:
        sid = r.byte()
        size = r.u32()
        s = _Reader(data, r.pos, r.pos + size)
        r.pos += size
        if sid == 1:
            for _ in range(s.u32()):
                if s.byte() != 0x60:
                    return None  # GC/rec types: not understood
                params = tuple(s.byte() for _ in range(s.u32()))
                results = tuple(s.byte() for _ in range(s.u32()))
                types.append(FuncType(params, results))
        elif sid == 2:
            for _ in range(s.u32()):
                s.name()
                s.name()
                kind = s.byte()
                if kind == 0:
                    funcs.append(s.u32())
                elif kind == 1:
                    s.byte()
                    _limits(s)
                elif kind == 2:
                    _limits(s)
                elif kind == 3:
                    s.byte()
                    s.byte()
                else:
                    return None
        elif sid == 3:
            funcs += [s.u32() for _ in range(s.u32())]
        elif sid == 7:
            for _ in range(s.u32()):
                name = s.name()
                kind = s.byte()
                index = s.u32()
                if kind == 0 and index < len(funcs) and funcs[index] < len(types):
                    exports[name] = types[funcs[index]]
    return exports
