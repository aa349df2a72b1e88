#!/usr/bin/env python3
"""lucet-wasi prints a wasm backtrace on a trap: a guest (test/capi/wat/traps.wat)
traps three calls deep; at -O0 every frame is named, at -O2 (cc inlines) the
trapping function and its wasm offset are still right, and the outermost
frame is the entry point. A heap fault names the faulting function.

usage: check_trap_backtrace.py LUCETC LUCET_WASI WAT2WASM TRAPS_WAT"""
import subprocess
import sys
import tempfile
from pathlib import Path

lucetc, lucet_wasi, wat2wasm, wat = sys.argv[1:5]
failures = []


def expect(cond, what, text):
    if not cond:
        failures.append(f"{what}\n--- stderr:\n{text}")


with tempfile.TemporaryDirectory() as d:
    wasm = Path(d) / "traps.wasm"
    subprocess.run([wat2wasm, "--debug-names", wat, "-o", str(wasm)], check=True)
    for opt in ("0", "2"):
        so = Path(d) / f"traps{opt}.so"
        subprocess.run([lucetc, "--opt-level", opt, str(wasm), "-o", str(so)], check=True)
        r = subprocess.run([lucet_wasi, str(so)], capture_output=True, text=True)
        err = r.stderr
        expect(r.returncode == 134, f"-O{opt}: exit status {r.returncode}, expected 134", err)
        expect("lucet-wasi: trap: unreachable in func[0] <level3>\nwasm backtrace:\n    0: func[0] <level3> @ 0x47" in err,
               f"-O{opt}: frame 0 is not level3 @ 0x47", err)
        lines = [l for l in err.splitlines() if l.startswith("    ") and ": func[" in l]
        expect(lines and "func[6]" in lines[-1], f"-O{opt}: outermost frame is not _start (func[6])", err)
        if opt == "0":
            expect(len(lines) == 4 and "<level2>" in lines[1] and "<level1>" in lines[2],
                   "-O0: frames are not level3, level2, level1, _start", err)
        for l in lines:  # never a function off the call path
            expect(any(f"func[{k}]" in l for k in (0, 1, 2, 6)), f"-O{opt}: unexpected frame {l!r}", err)
        r = subprocess.run([lucet_wasi, "--entrypoint", "oob", str(so)], capture_output=True, text=True)
        err = r.stderr
        if opt == "0":
            expect("out of bounds memory access at wasm address 0x80000006 in func[3] <load3>\nwasm backtrace:\n"
                   "    0: func[3] <load3>\n    1: func[4] <load2>\n    2: func[5] <load1>\n    3: func[8]" in err,
                   "-O0: heap fault backtrace", err)
        else:
            expect("wasm backtrace:\n    0: func[" in err, "-O2: heap fault without a backtrace", err)

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
