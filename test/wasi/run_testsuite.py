#!/usr/bin/env python3
"""Runs the official WASI test suite (wasi-testsuite) per its SPECIFICATION.md:
every *.wasm of each given directory is compiled with lucetc and run with
lucet-wasi in a scratch copy of its directory (so *.cleanup artifacts never
touch the source tree), with exactly the spec's args, env and root preopen,
and its exit code, stdout and stderr are compared with the spec.

usage: run_testsuite.py LUCETC LUCET_WASI SUITE_DIR...
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def load_spec(wasm):
    spec = {"args": [], "env": {}, "root": None, "exit_code": 0, "stdout": "", "stderr": ""}
    path = wasm[: -len(".wasm")] + ".json"
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
        if "operations" in data:
            if data.get("proposals"):
                return None  # needs sockets/http: not part of preview1 here
            reads = {}
            for op in data["operations"]:
                t = op.get("type")
                if t == "run":
                    spec["args"] = op.get("args", [])
                    spec["env"] = op.get("env", {})
                    spec["root"] = op.get("root")
                elif t == "wait":
                    spec["exit_code"] = op.get("exit_code", 0)
                elif t == "read":
                    reads[op.get("id", "stdout")] = op.get("payload", "")
                else:
                    return None
            spec["stdout"] = reads.get("stdout", "")
            spec["stderr"] = reads.get("stderr", "")
        else:
            spec.update({k: v for k, v in data.items() if v is not None or k == "root"})
    return spec


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        return 2
    # Absolute: the guests run with their test directory as cwd.
    lucetc, lucet_wasi = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    dirs = sys.argv[3:]
    # A missing suite is a failure, never a silent pass or skip.
    missing = [d for d in dirs if not os.path.isdir(d)]
    if missing:
        print("wasi-testsuite: missing folder(s): " + ", ".join(missing) + " (the suite's tests/"
              "{c,assemblyscript}/testsuite folders from github.com/WebAssembly/wasi-testsuite)")
        return 1
    passed, failed, skipped = [], [], []
    with tempfile.TemporaryDirectory(prefix="lucet-wasi-testsuite.") as tmp:
        for d in dirs:
            name = os.path.basename(os.path.normpath(d))
            work = os.path.join(tmp, name)
            shutil.copytree(d, work, symlinks=True)
            for root, _, files in os.walk(work):
                for f in files:
                    if f.endswith(".cleanup"):
                        os.unlink(os.path.join(root, f))
            for wasm in sorted(f for f in os.listdir(work) if f.endswith(".wasm")):
                test = f"{name}/{wasm[:-5]}"
                spec = load_spec(os.path.join(work, wasm))
                if spec is None:
                    skipped.append(test)
                    continue
                so = os.path.join(tmp, name + "-" + wasm[:-5] + ".so")
                c = subprocess.run([lucetc, os.path.join(work, wasm), "-o", so],
                                   capture_output=True, text=True)
                if c.returncode != 0:
                    failed.append((test, "lucetc failed: " + (c.stderr or c.stdout).strip()[-500:]))
                    continue
                cmd = [lucet_wasi]
                if spec["root"] is not None:
                    cmd += ["--dir", "/:" + os.path.join(work, spec["root"])]
                cmd += [so, "--"] + [str(a) for a in spec["args"]]
                env = {str(k): str(v) for k, v in spec["env"].items()}
                try:
                    r = subprocess.run(cmd, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                       capture_output=True, timeout=120)
                except subprocess.TimeoutExpired:
                    failed.append((test, "timed out"))
                    continue
                out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
                problems = []
                if r.returncode != spec["exit_code"]:
                    problems.append(f"exit code {r.returncode}, expected {spec['exit_code']}")
                if out != spec["stdout"]:
                    problems.append(f"stdout {out!r}, expected {spec['stdout']!r}")
                if err != spec["stderr"]:
                    problems.append(f"stderr {err!r}, expected {spec['stderr']!r}")
                if problems:
                    failed.append((test, "; ".join(problems)))
                else:
                    passed.append(test)
    for t in passed:
        print(f"PASS {t}")
    for t in skipped:
        print(f"SKIP {t} (needs a proposal beyond preview1)")
    for t, why in failed:
        print(f"FAIL {t}: {why}")
    print(f"wasi-testsuite: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped")
    if not passed:
        print("wasi-testsuite: no test ran (no *.wasm in " + ", ".join(dirs) + ")")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    # Any failure exits 1: Meson reads 77 as "skipped" (uncaught exceptions exit 1).
    sys.exit(0 if main() == 0 else 1)
