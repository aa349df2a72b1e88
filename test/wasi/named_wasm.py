"""named_wasm.py: writes a .wasm whose functions carry chosen names in the
name section (any bytes: names wat2wasm cannot spell). Used by
check_perfmap.py and check_symbol_names.py."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from wasm_writer import MAGIC, name, section, uleb as leb, vec  # noqa: E402


def module(names, spin=False, trap_in=None):
    """Function 0 is the exported _start; it calls functions 1..n-1 in turn
    (forever if spin). names[i] (bytes or None) names function i. Function
    trap_in (if given) traps (unreachable)."""
    n = len(names)
    types = section(1, vec([b"\x60\x00\x00"]))
    funcs = section(3, vec([b"\x00"] * n))
    exports = section(7, vec([name(b"_start") + b"\x00" + leb(0)]))
    calls = b"".join(b"\x10" + leb(i) for i in range(1, n))
    body0 = (b"\x03\x40" + calls + b"\x0c\x00\x0b" if spin else calls) + b"\x0b"
    bodies = [b"\x00" + body0] + [b"\x00\x01\x0b"] * (n - 1)  # others: nop
    if trap_in is not None:
        bodies[trap_in] = b"\x00\x00\x0b"  # unreachable
    code = section(10, vec([leb(len(b)) + b for b in bodies]))
    entries = [leb(i) + name(nm) for i, nm in enumerate(names) if nm is not None]
    sub = vec(entries)
    names_sec = section(0, name(b"name") + b"\x01" + leb(len(sub)) + sub)
    return MAGIC + types + funcs + exports + code + names_sec
