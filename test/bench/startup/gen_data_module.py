#!/usr/bin/env python3
"""Writes a WASI module with SIZE bytes of (non-zero, patterned) active data
at heap offset 1024 (not page aligned, as clang places .rodata), an exported
memory large enough for it and an empty _start.

usage: gen_data_module.py SIZE OUT.wasm"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from wasm_writer import section, uleb as leb  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    size, out = int(sys.argv[1]), sys.argv[2]
    offset = 1024
    pages = (offset + size + 65535) // 65536 + 1
    data = (bytes((i * 7 + 3) & 0xFF for i in range(251)) * (size // 251 + 1))[:size]
    mod = b"\0asm" + (1).to_bytes(4, "little")
    mod += section(1, leb(1) + b"\x60\x00\x00")                  # type 0: [] -> []
    mod += section(3, leb(1) + leb(0))                           # func 0: type 0
    mod += section(5, leb(1) + b"\x00" + leb(pages))             # memory, min pages
    exports = [(b"memory", 2, 0), (b"_start", 0, 0)]
    mod += section(7, leb(len(exports)) + b"".join(leb(len(n)) + n + bytes([k]) + leb(i) for n, k, i in exports))
    mod += section(10, leb(1) + leb(2) + b"\x00\x0b")            # body: no locals, end
    seg = b"\x00" + b"\x41" + leb(offset) + b"\x0b" + leb(len(data)) + data  # active, i32.const offset
    mod += section(11, leb(1) + seg)
    with open(out, "wb") as f:
        f.write(mod)


main()
