"""The types the C API's introspection reports (lucet_dl_module_export_type,
..._import_type): a function's signature and an import's or export's kind
and type."""
from __future__ import annotations

from typing import NamedTuple, Optional, Tuple


class FuncType(NamedTuple):
    """A function's parameter and result types (lucet_wasi.I32, ...)."""
    params: Tuple[int, ...]
    results: Tuple[int, ...]


class Limits(NamedTuple):
    """A table's (elements) or memory's (64 KiB pages) limits; max None: unbounded."""
    min: int
    max: Optional[int]


class ExternType(NamedTuple):
    """An import or export: kind "func", "table", "memory" or "global"; module
    (imports only, else None); name; index in the kind's index space
    (imports first); and the kind's type: func (FuncType), global_type +
    global_mutable, elem_type (a table's FUNCREF or EXTERNREF) + limits,
    limits (memory). Names are decoded as UTF-8 with surrogateescape."""
    kind: str
    module: Optional[str]
    name: str
    index: int
    func: Optional[FuncType] = None
    global_type: Optional[int] = None
    global_mutable: bool = False
    elem_type: Optional[int] = None
    limits: Optional[Limits] = None
