#!/usr/bin/env python3
"""run_embed.py: builds one embedder example against the build tree's
liblucet_wasi, found through pkg-config (PKG_CONFIG_PATH = the build's
meson-uninstalled directory, which holds lucet_wasi-uninstalled.pc), runs it
on the guest modules the build compiled and compares its output line by line.

usage: run_embed.py LANG SOURCE_ROOT BUILD_ROOT GUEST_SO WASI_SO WORK_DIR [MESON]

LANG c-installed: `MESON install --destdir WORK_DIR/dest` first and build
embed-c against the installed lucet_wasi.pc (PKG_CONFIG_SYSROOT_DIR = the
destdir), as an embedder would after `meson install`.
"""
import os
import shutil
import subprocess
import sys
import time


def expected_lines(lang):
    lang = "c" if lang == "c-installed" else lang
    name = {"c": "C", "python": "Python", "go": "Go", "rust": "Rust"}[lang]
    lines = [
        f"wasi guest: argc=3 [guest_wasi] [from] [{name}]",
        f"wasi guest: GREETING=hello from {name}",
        "wasi: _start returned",
        "add(40, 2) = 42",
        "host_scale(14) called",
        "scale_plus_one(14) = 43 (host calls: 1)",
        "div(1, 0) trapped: integer divide by zero (lucet_error_runtime_fault)",
        "after the trap, div(7, 2) = 3",
        "load(100000) trapped: out of bounds memory access (lucet_error_runtime_fault)",
        "spin() stopped by the kill switch",
    ]
    if lang == "go":
        # The runtime's SIGSEGV handler is installed after Go's: a Go nil
        # dereference must still reach Go's handler and become a panic.
        lines.append("go nil dereference recovered: runtime error: invalid memory address or nil pointer dereference")
    lines.append(f"embed-{lang}: ok")
    return lines


def run(cmd, env, cwd=None, timeout=240):
    print("$ " + " ".join(cmd), flush=True)
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    print(f"  ({time.monotonic() - t0:.1f} s, exit {p.returncode})", flush=True)
    if p.stderr:
        print("  stderr:\n" + p.stderr, flush=True)
    return p


def pkg_config(env, *args):
    p = subprocess.run(["pkg-config", *args, "lucet_wasi"], env=env, stdout=subprocess.PIPE, text=True, check=True)
    return p.stdout.split()


def main():
    lang, src, build, guest_so, wasi_so, work = sys.argv[1:7]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = os.path.join(build, "meson-uninstalled")
    if lang == "c-installed":
        dest = os.path.join(work, "dest")
        p = run([sys.argv[7], "install", "-C", build, "--no-rebuild", "--quiet", "--destdir", dest], env)
        if p.returncode != 0:
            return fail("meson install failed:\n" + p.stdout)
        pcs = [os.path.join(d, "lucet_wasi.pc") for d, _, files in os.walk(dest) if "lucet_wasi.pc" in files]
        if len(pcs) != 1:
            return fail(f"expected one installed lucet_wasi.pc under {dest}, found {pcs}")
        env["PKG_CONFIG_PATH"] = os.path.dirname(pcs[0])
        env["PKG_CONFIG_SYSROOT_DIR"] = dest  # the .pc's paths are the prefix's, under dest
        lang = "c-installed"
    # The -L of `pkg-config --libs` (the uninstalled .pc's libdir variable
    # names the would-be install directory, not where the library is).
    libdir = pkg_config(env, "--libs-only-L")[0][2:]
    # The uninstalled library is not on the loader's path.
    env["LD_LIBRARY_PATH"] = libdir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    ex = os.path.join(src, "examples", "embed-c" if lang == "c-installed" else "embed-" + lang)

    if lang in ("c", "c-installed"):
        exe = os.path.join(work, "embed-c")
        cc = env.get("CC", "cc")
        p = run([cc, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", os.path.join(ex, "main.c"), "-o", exe,
                 *pkg_config(env, "--cflags", "--libs")], env)
        if p.returncode != 0:
            return fail("compiling embed-c failed")
        cmd = [exe, guest_so, wasi_so]
    elif lang == "python":
        cmd = [sys.executable, os.path.join(ex, "example.py"), guest_so, wasi_so]
    elif lang == "go":
        exe = os.path.join(work, "embed-go")
        # Offline, no external modules; caches in the build directory.
        env.update(GOPATH=os.path.join(work, "gopath"), GOCACHE=os.path.join(work, "gocache"), GOFLAGS="-mod=mod",
                   GOPROXY="off", GO111MODULE="on", CGO_ENABLED="1", GOTOOLCHAIN="local")
        p = run(["go", "build", "-o", exe, "."], env, cwd=ex)
        if p.returncode != 0:
            return fail("go build failed")
        cmd = [exe, guest_so, wasi_so]
    elif lang == "rust":
        env.update(CARGO_HOME=os.path.join(work, "cargo-home"), CARGO_TARGET_DIR=os.path.join(work, "target"))
        p = run(["cargo", "build", "--offline", "--locked", "--quiet", "--manifest-path",
                 os.path.join(ex, "Cargo.toml")], env)
        if p.returncode != 0:
            return fail("cargo build failed")
        cmd = [os.path.join(work, "target", "debug", "embed-rust"), guest_so, wasi_so]
    else:
        return fail("unknown language " + lang)

    p = run(cmd, env, timeout=60)
    print("  stdout:\n" + p.stdout, flush=True)
    if p.returncode != 0:
        return fail(f"{lang} exited with {p.returncode}")
    got = p.stdout.splitlines()
    want = expected_lines(lang)
    if got != want:
        for i in range(max(len(got), len(want))):
            g = got[i] if i < len(got) else "<missing>"
            w = want[i] if i < len(want) else "<missing>"
            if g != w:
                print(f"line {i + 1}: expected {w!r}, got {g!r}")
        return fail(f"embed-{lang}: unexpected output")
    print(f"embed-{lang}: output as expected")
    return 0


def fail(msg):
    print("FAIL: " + msg, flush=True)
    return 1


if __name__ == "__main__":
    # Any failure exits 1: Meson reads 77 as "skipped" (uncaught exceptions exit 1).
    sys.exit(0 if main() == 0 else 1)
