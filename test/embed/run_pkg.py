#!/usr/bin/env python3
"""run_pkg.py: runs one language package's own test runner (bindings/*)
against the build tree's liblucet_wasi, offline, in WORK_DIR.

usage: run_pkg.py LANG SOURCE_ROOT BUILD_ROOT WASI_SO WORK_DIR CACHE_DIR

  python: a venv (system site packages: Debian's pytest and setuptools),
          `pip install --no-index --no-build-isolation` of a copy of
          bindings/python, then pytest on its tests from outside the source.
  go:     `go test` in bindings/go (GOFLAGS=-mod=mod, GOPROXY=off,
          GOCACHE in CACHE_DIR, kept between runs).
  rust:   `cargo test --offline` of bindings/rust (target dir in CACHE_DIR).

The library is found through pkg-config (PKG_CONFIG_PATH = the build's
meson-uninstalled directory) as an embedder's build would; LD_LIBRARY_PATH
for the uninstalled library. WAT2WASM names wabt's wat2wasm.
"""
import os
import shutil
import subprocess
import sys
import time


def run(cmd, env, cwd=None, timeout=600):
    print("$ " + " ".join(cmd), flush=True)
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    print(p.stdout, flush=True)
    print(f"  ({time.monotonic() - t0:.1f} s, exit {p.returncode})", flush=True)
    return p.returncode


def main():
    lang, src, build, wasi_so, work, cache = sys.argv[1:7]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(cache, exist_ok=True)
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = os.path.join(build, "meson-uninstalled")
    libdir = os.path.join(build, "src", "capi")
    env["LD_LIBRARY_PATH"] = libdir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    env["LUCET_TEST_WASI_SO"] = wasi_so
    env["XDG_CACHE_HOME"] = os.path.join(work, "xdg-cache")  # the compile cache of Module.from_wasm & co.
    pkg = os.path.join(src, "bindings", lang)
    if lang == "python":
        # A copy: setuptools writes build/ and *.egg-info next to the sources.
        copy = os.path.join(work, "src")
        shutil.copytree(pkg, copy, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        venv = os.path.join(work, "venv")
        # Without pip of its own: Debian's pip (python3-pip) from the system site packages installs into it.
        if run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], env):
            return 1
        py = os.path.join(venv, "bin", "python")
        env["PIP_NO_INDEX"] = "1"
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        if run([py, "-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation", copy], env):
            return 1
        # From outside the sources: the installed package is what is tested.
        return run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", os.path.join(copy, "tests")], env,
                   cwd=work)
    if lang == "go":
        env.update(GOPATH=os.path.join(cache, "gopath"), GOCACHE=os.path.join(cache, "gocache"), GOFLAGS="-mod=mod",
                   GOPROXY="off", GO111MODULE="on", CGO_ENABLED="1", GOTOOLCHAIN="local")
        return run(["go", "test", "-count=1", "./..."], env, cwd=pkg)
    if lang == "rust":
        env.update(CARGO_HOME=os.path.join(cache, "cargo-home"), CARGO_TARGET_DIR=os.path.join(cache, "target"))
        return run(["cargo", "test", "--offline", "--manifest-path", os.path.join(pkg, "Cargo.toml")], env)
    print("unknown language " + lang)
    return 1


if __name__ == "__main__":
    # Any failure exits 1 (77 would be "skipped" to Meson).
    sys.exit(0 if main() == 0 else 1)
