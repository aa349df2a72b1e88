#!/usr/bin/env python3
"""lucet-wasi --profile=perfmap writes /tmp/perf-PID.map for perf: one
"START SIZE NAME" line (hex) per code range of each defined function, named
as in backtraces, every range inside the module's executable code. perf
reads such a map only for anonymous executable memory, so with the option
the module's code (dlopen()ed from a memfd) is moved to anonymous pages at
the same addresses: every range must lie in an anonymous r-xp mapping and
no executable memfd mapping may remain. Checked at -O0 (exactly one line
per function), at -O2, and on a stripped .so (no symbol table: ranges from
the descriptor). A name with a newline stays on its line. perf reads the
map after the process exits, so lucet-wasi leaves it: this test removes it.
Without the option no map is written and the code stays the memfd's.

Where `perf record` works (perf installed, perf_event_open allowed), a real
`perf record` + `perf report` of the spinning guest must name its frames
"func[0] <_start>" and friends, never "memfd:lucet-module".

usage: check_perfmap.py LUCETC LUCET_WASI"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import named_wasm  # noqa: E402

lucetc, lucet_wasi = sys.argv[1:3]
failures = []
NAMES = [b"_start", b"alpha", b"beta", b"two\nlines", None, "\u00e9t\u00e9".encode()]
EXPECT = ["func[0] <_start>", "func[1] <alpha>", "func[2] <beta>", "func[3] <two\\0alines>", "func[4]",
          "func[5] <\u00e9t\u00e9>"]


def expect(cond, what):
    if not cond:
        failures.append(what)


def exec_ranges(pid, anonymous):
    """Executable mappings of the module: the memfd's, or anonymous ones."""
    out = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        f = line.split()
        if "x" not in f[1]:
            continue
        if (len(f) == 5) if anonymous else (len(f) >= 6 and "memfd:lucet-module" in line):
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            out.append((lo, hi))
    return out


def run_with_map(so, label, profile=True):
    """Runs the spinning guest, reads its perf map and mappings, kills it."""
    args = [lucet_wasi] + (["--profile=perfmap"] if profile else []) + ["--timeout", "60s", str(so)]
    p = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    path = Path(f"/tmp/perf-{p.pid}.map")
    try:
        text, ranges = None, []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and p.poll() is None:
            if path.exists() or (not profile and exec_ranges(p.pid, False)):
                # The map is written before the guest runs; give it a moment
                # without the option, to see that none appears.
                time.sleep(0.2)
                text = path.read_text(encoding="utf-8") if path.exists() else None
                ranges = exec_ranges(p.pid, profile)
                left = exec_ranges(p.pid, False)
                expect(not profile or not left, f"{label}: executable memfd mappings left: {left}")
                break
            time.sleep(0.05)
        expect(p.poll() is None, f"{label}: lucet-wasi exited early: {p.stderr.read() if p.poll() is not None else ''}")
        return text, ranges
    finally:
        p.kill()
        p.wait()
        if path.exists():
            path.unlink()


def check(so, label, exact):
    text, ranges = run_with_map(so, label)
    expect(text is not None, f"{label}: no perf map written")
    if text is None:
        return
    lines = text.splitlines()
    seen = {}
    for line in lines:
        m = re.fullmatch(r"([0-9a-f]+) ([0-9a-f]+) (.+)", line)
        expect(m is not None, f"{label}: malformed line {line!r}")
        if not m:
            continue
        start, size, nm = int(m[1], 16), int(m[2], 16), m[3]
        expect(size > 0, f"{label}: empty range {line!r}")
        expect(any(lo <= start and start + size <= hi for lo, hi in ranges),
               f"{label}: {line!r} is outside the module's executable mappings {[(hex(a), hex(b)) for a, b in ranges]}")
        seen[nm] = seen.get(nm, 0) + 1
    for e in EXPECT:
        expect(e in seen, f"{label}: no line for {e!r} in:\n{text}")
    expect(set(seen) <= set(EXPECT), f"{label}: unexpected names {set(seen) - set(EXPECT)}")
    if exact:
        expect(len(lines) == len(EXPECT), f"{label}: {len(lines)} lines for {len(EXPECT)} functions:\n{text}")


def perf_works(d):
    if shutil.which("perf") is None:
        return False
    r = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-o", str(Path(d) / "probe.data"), "--", "true"],
                       capture_output=True, text=True)
    return r.returncode == 0


def check_with_perf(so, d):
    """A real perf record/report names the guest's frames from the map."""
    data = Path(d) / "perf.data"
    before = set(Path("/tmp").glob("perf-*.map"))
    try:
        r = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-o", str(data), "--",
                            lucet_wasi, "--profile=perfmap", "--timeout", "1s", str(so)],
                           capture_output=True, text=True)
        expect(r.returncode == 124, f"perf record: lucet-wasi status {r.returncode}: {r.stderr}")
        rep = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--sort", "dso,sym"],
                             capture_output=True, text=True)
        expect(rep.returncode == 0, f"perf report failed: {rep.stderr}")
        body = [ln for ln in rep.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
        expect(any("func[0] <_start>" in ln for ln in body),
               "perf report does not name func[0] <_start>:\n" + rep.stdout)
        expect(not any("memfd:lucet-module" in ln for ln in body),
               "perf report still shows samples in the memfd, unnamed:\n" + rep.stdout)
    finally:
        # The map lucet-wasi left for perf (it has the guest's names).
        for f in set(Path("/tmp").glob("perf-*.map")) - before:
            if "func[0] <_start>" in f.read_text(encoding="utf-8", errors="replace"):
                f.unlink()


with tempfile.TemporaryDirectory() as d:
    wasm = Path(d) / "spin.wasm"
    wasm.write_bytes(named_wasm.module(NAMES, spin=True))
    for opt in ("0", "2"):
        so = Path(d) / f"spin{opt}.so"
        subprocess.run([lucetc, "--opt-level", opt, str(wasm), "-o", str(so)], check=True)
        check(so, f"-O{opt}", exact=opt == "0")
    stripped = Path(d) / "stripped.so"
    subprocess.run(["strip", "--strip-all", "-o", str(stripped), str(Path(d) / "spin0.so")], check=True)
    out = subprocess.run(["nm", str(stripped)], capture_output=True, text=True)
    expect("lucet_f" not in out.stdout, "strip left the function symbols")
    check(stripped, "stripped", exact=True)
    text, _ = run_with_map(Path(d) / "spin0.so", "no option", profile=False)
    expect(text is None, "a perf map was written without --profile=perfmap")
    r = subprocess.run([lucet_wasi, "--profile=jitdump", str(Path(d) / "spin0.so")], capture_output=True, text=True)
    expect(r.returncode == 2 and "--profile" in r.stderr, f"--profile=jitdump: status {r.returncode}, {r.stderr!r}")
    # The same names in a trap's message and backtrace: escaped, so a name
    # can neither break the one-line message nor reach the terminal raw
    # (adversarial helper's repro /work/h9/repro/03).
    hostile = [b"_start", b"alpha", b"beta", b"two\nlines\x1b[31m\rback"]
    twasm = Path(d) / "trap.wasm"
    twasm.write_bytes(named_wasm.module(hostile, trap_in=3))
    tso = Path(d) / "trap.so"
    subprocess.run([lucetc, str(twasm), "-o", str(tso)], check=True)
    r = subprocess.run([lucet_wasi, str(tso)], capture_output=True, text=True)
    first = r.stderr.splitlines()[0] if r.stderr else ""
    expect(r.returncode == 134 and first.startswith("lucet-wasi: trap: ") and "<two\\0alines\\1b[31m\\0dback>" in first,
           f"trap in a function named two\\nlines: status {r.returncode}, {r.stderr!r}")
    expect("\x1b" not in r.stderr and "\r" not in r.stderr and "two\nlines" not in r.stderr,
           f"a raw control character reached stderr: {r.stderr!r}")
    if perf_works(d):
        check_with_perf(Path(d) / "spin0.so", d)
    else:
        print("perf record does not work here (not installed or perf_event_open refused): live perf check skipped")

for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
