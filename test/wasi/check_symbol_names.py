#!/usr/bin/env python3
"""lucetc names generated functions after the name section
(lucet_f<N>_<name>, sanitized): whatever the names, the .so's symbols (nm)
are valid C identifiers, one per function, unique, at most 82 characters
(lucet_f + 10 digits + _ + 64 + 1 for a helper clash), and the module
compiles, loads and runs. Names: ordinary, very long, non-ASCII, C keywords,
C syntax ("*/, newlines, #), names equal after sanitizing, duplicates,
empty, NUL bytes, names of the runtime's helpers (lucet_f32_bits), names
spelling another function's symbol; a section with invalid UTF-8 too.

usage: check_symbol_names.py LUCETC LUCET_WASI"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import named_wasm  # noqa: E402

lucetc, lucet_wasi = sys.argv[1:3]
failures = []
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_LEN = 82


def expect(cond, what):
    if not cond:
        failures.append(what)


names = [b"_start"] + [None] * 69
hostile = {
    1: b"main_loop",
    2: b"x" * 5000,
    3: "\u65e5\u672c\u8a9e".encode(),
    4: "caf\u00e9".encode(),
    5: b"int", 6: b"return", 7: b"while", 8: b"_Bool", 9: b"__attribute__",
    10: b'"*/\n#include <stdio.h>\n/*',
    11: b"a-b", 12: b"a_b", 13: b"a b", 14: b"a.b",
    15: b"dup", 16: b"dup",
    17: b"",
    18: b"a\x00b",
    19: b"2_x",      # lucet_f19_2_x: could it read as function 192?
    20: b"lucet_f1_main_loop",
    21: b"\\", 22: b"??=", 23: b"\t\r\x0b\x0c",
    32: b"bits",     # lucet_f32_bits is a runtime helper
    64: b"ceil",     # lucet_f64_ceil too
    65: b"_" * 100,
}
for k, v in hostile.items():
    names[k] = v
expected = {1: "lucet_f1_main_loop", 2: "lucet_f2_" + "x" * 64, 5: "lucet_f5_int", 17: "lucet_f17",
            20: "lucet_f20_lucet_f1_main_loop", 30: "lucet_f30"}


def symbols(so):
    out = subprocess.run(["nm", "--defined-only", str(so)], capture_output=True, text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split(" ", 2)
        if len(f) == 3 and f[2].startswith("lucet_f") and re.match(r"lucet_f\d", f[2]):
            syms.setdefault(f[2], []).append(f[1])
    return syms


def check(wasm_bytes, label, nfuncs, exact):
    with tempfile.TemporaryDirectory() as d:
        wasm, so = Path(d) / "m.wasm", Path(d) / "m.so"
        wasm.write_bytes(wasm_bytes)
        for opt in ("0", "2"):
            r = subprocess.run([lucetc, "--opt-level", opt, str(wasm), "-o", str(so)], capture_output=True, text=True)
            expect(r.returncode == 0, f"{label} -O{opt}: lucetc failed: {r.stderr}")
            if r.returncode:
                continue
            syms = symbols(so)
            by_func = {}
            for s in syms:
                base = s.split(".")[0]  # cc's split-off parts: .cold, .part.0
                expect(IDENT.fullmatch(base) is not None, f"{label} -O{opt}: {s!r} is not a C identifier")
                expect(len(base) <= MAX_LEN, f"{label} -O{opt}: {s[:90]!r}... is {len(base)} characters")
                m = re.match(r"lucet_f(\d+)", base)
                if base == s:
                    by_func.setdefault(int(m[1]), []).append(s)
            for i in range(nfuncs):
                got = by_func.get(i, [])
                expect(len(got) == 1, f"{label} -O{opt}: function {i} has symbols {got}")
            for i, want in (expected.items() if exact else []):
                expect(by_func.get(i) == [want], f"{label} -O{opt}: function {i} is {[g[:90] for g in by_func.get(i, [])]}, expected {want}")
            r = subprocess.run([lucet_wasi, str(so)], capture_output=True, text=True, timeout=60)
            expect(r.returncode == 0, f"{label} -O{opt}: lucet-wasi exit {r.returncode}: {r.stderr}")


check(named_wasm.module(names), "hostile names", len(names), exact=True)
# Invalid UTF-8: the names may be dropped, but the module must compile and run.
check(named_wasm.module([b"_start", b"\xff\xfe\x80", b"ok"]), "invalid UTF-8", 3, exact=False)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
