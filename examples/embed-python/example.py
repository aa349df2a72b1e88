#!/usr/bin/env python3
"""example.py: embedding liblucet_wasi in Python with the lucet_wasi package
(bindings/python: pure Python over ctypes; `pip install ./bindings/python`,
or run from the source tree as here).

    python3 example.py guest.so guest_wasi.so

guest.so and guest_wasi.so are examples/embed-c/guest.wat and guest_wasi.c
compiled by lucetc. Runs a WASI program, calls exports with arguments,
provides a host function and handles a trap; exits 0 if all behaved.
"""
import os
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
# The package from the source tree when it is not installed.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bindings", "python"))
import lucet_wasi as lucet  # noqa: E402


def main(guest_path, wasi_path):
    region = lucet.Region(capacity=2)

    # A WASI program writing to this process's stdout.
    wasi_mod = lucet.Module(wasi_path)
    ctx = lucet.WasiCtx(args=["guest_wasi", "from", "Python"], env={"GREETING": "hello from Python"},
                        inherit_stdio=True)
    with region.instance(wasi_mod, wasi=ctx) as inst:
        sys.stdout.flush()  # the guest writes to fd 1 directly
        try:
            inst.run("_start")
            print("wasi: _start returned")
        except lucet.Terminated as t:
            print(f"wasi: exited with {t.exit_code}")

    # A host function: a Python closure with its own state.
    calls = []

    def host_scale(x):
        calls.append(x)
        print(f"host_scale({x}) called", flush=True)
        return x * 3

    guest = lucet.Module(guest_path)
    imports = {("env", "host_scale"): lucet.HostFunc(host_scale, [lucet.I64], [lucet.I64])}
    with region.instance(guest, imports=imports) as inst:
        print(f"add(40, 2) = {inst.run('add', lucet.i32(40), lucet.i32(2))}")
        r = inst.run("scale_plus_one", lucet.i64(14))
        print(f"scale_plus_one(14) = {r} (host calls: {len(calls)})")
        try:
            inst.run("div", 1, 0)
            print("div(1, 0) did not trap", file=sys.stderr)
            return 1
        except lucet.Trap as t:
            print(f"div(1, 0) trapped: {t.trap_name} ({t.name})")
        print(f"after the trap, div(7, 2) = {inst.run('div', 7, 2)}")
        try:
            inst.run("load", 100000)
            print("load(100000) did not trap", file=sys.stderr)
            return 1
        except lucet.Trap as t:
            print(f"load(100000) trapped: {t.trap_name} ({t.name})")
        # An endless guest, stopped by a kill switch from another thread.
        ks = inst.kill_switch()
        timer = threading.Timer(0.02, ks.terminate)
        timer.start()
        try:
            inst.run("spin")
            print("spin() returned", file=sys.stderr)
            return 1
        except lucet.Terminated as t:
            if not t.killed:
                raise
            print("spin() stopped by the kill switch")
        timer.join()
        ks.close()
    print("embed-python: ok")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} guest.so guest_wasi.so")
    sys.exit(main(sys.argv[1], sys.argv[2]))
