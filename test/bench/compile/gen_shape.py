#!/usr/bin/env python3
"""Writes a valid, extreme-shaped wasm module for the compile benchmark.

usage: gen_shape.py SHAPE SIZE OUT.wasm

shapes (SIZE in brackets):
  funcs    [functions]  small functions x*3 ^ (x + i), each calling the next in
                        chains of 16
  locals   [locals]     one function: every i32 local loaded from memory, then
                        all of them folded into one value (all live at once)
  instrs   [instrs]     one function of straight-line loads/xors with an `if`
                        every 50 groups (about SIZE instructions)
  brtable  [targets]    one br_table of SIZE targets over 64 nested blocks
  globals  [globals]    SIZE mutable globals touched by one function, and a
                        table of 10 x SIZE entries filled by an element segment
  data     [MiB]        SIZE segments of 1 MiB (patterned, with zero runs)"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "lib"))
from wasm_writer import section, sleb, uleb, vec  # noqa: E402

I32 = 0x7F


def functype(params, results):
    return b"\x60" + vec([bytes([p]) for p in params]) + vec([bytes([r]) for r in results])


def body(local_groups, code):
    b = vec([uleb(n) + bytes([t]) for n, t in local_groups]) + bytes(code) + b"\x0b"
    return uleb(len(b)) + b


def export(name, kind, index):
    n = name.encode()
    return uleb(len(n)) + n + bytes([kind]) + uleb(index)


def module(types, funcs, bodies, exports, table=None, memory=None, globals_=None, elems=None, datas=None):
    m = b"\0asm" + (1).to_bytes(4, "little")
    m += section(1, vec(types))
    m += section(3, vec([uleb(t) for t in funcs]))
    if table is not None:
        m += section(4, vec([table]))
    if memory is not None:
        m += section(5, vec([memory]))
    if globals_:
        m += section(6, vec(globals_))
    m += section(7, vec(exports))
    if elems:
        m += section(9, vec(elems))
    m += section(10, vec(bodies))
    if datas:
        m += section(11, vec(datas))
    return m


def gen_funcs(n):
    bodies = []
    for i in range(n):
        c = bytearray()
        c += b"\x20\x00\x41\x03\x6c"                          # local.get 0; i32.const 3; i32.mul
        c += b"\x20\x00\x41" + sleb(i) + b"\x6a\x73"           # local.get 0; i32.const i; i32.add; i32.xor
        if i % 16 != 15 and i + 1 < n:
            c += b"\x10" + uleb(i + 1)                         # call f_{i+1}
        bodies.append(body([], c))
    exports = [export("f%d" % i, 0, i) for i in range(0, n, max(1, n // 8))]
    return module([functype([I32], [I32])], [0] * n, bodies, exports)


def gen_locals(n):
    # n locals with the param (the decoder's limit is 50,000): x, l_1..l_{n-2}, acc
    c = bytearray()
    acc = n - 1
    for i in range(1, acc):   # l_i = load(x + 4i mod 64 KiB) + i
        c += b"\x20\x00\x28\x02" + uleb((4 * i) % 65532) + b"\x41" + sleb(i) + b"\x6a\x21" + uleb(i)
    for i in range(acc - 1, 0, -1):   # acc = (acc ^ l_i) * 33
        c += b"\x20" + uleb(acc) + b"\x20" + uleb(i) + b"\x73\x41\x21\x6c\x21" + uleb(acc)
    c += b"\x20" + uleb(acc)
    return module([functype([I32], [I32])], [0], [body([(n - 1, I32)], c)], [export("f", 0, 0)],
                  memory=b"\x00\x02")


def gen_instrs(n):
    c = bytearray()
    count, i = 0, 0
    while count < n:
        c += b"\x20\x00\x41" + sleb(i * 2654435761 % 1000) + b"\x6a"
        c += b"\x28\x02" + uleb(i % 4096)
        c += b"\x20\x01\x73\x21\x01"
        count += 7
        if i % 50 == 0:
            c += b"\x20\x01\x04\x40\x20\x00\x41\x01\x6a\x21\x00\x0b"
            count += 7
        i += 1
    c += b"\x20\x01"
    return module([functype([I32], [I32])], [0], [body([(1, I32)], c)], [export("big", 0, 0)],
                  memory=b"\x00\x01")


def gen_brtable(n):
    depth = 64
    c = bytearray(b"\x02\x40" * depth)
    c += b"\x20\x00\x0e" + uleb(n)
    for i in range(n):
        c += uleb((i * 7919) % depth)
    c += uleb(depth - 1)
    for i in range(depth):
        c += b"\x0b\x41" + sleb(i) + b"\x20\x00\x6a\x21\x00"
    c += b"\x20\x00"
    return module([functype([I32], [I32])], [0], [body([], c)], [export("bt", 0, 0)])


def gen_globals(n):
    entries = 10 * n
    globals_ = [bytes([I32, 1, 0x41]) + sleb(i) + b"\x0b" for i in range(n)]
    bodies = []
    for k in range(8):  # f_k(x) = x + k: the table's targets
        bodies.append(body([], b"\x20\x00\x41" + sleb(k) + b"\x6a"))
    c = bytearray()
    for i in range(n):  # g_i += x
        c += b"\x23" + uleb(i) + b"\x20\x00\x6a\x24" + uleb(i)
    c += b"\x20\x00\x20\x00\x11\x00\x00"  # call_indirect (type 0) x with x
    bodies.append(body([], c))
    table = b"\x70\x00" + uleb(entries)
    elem = b"\x00\x41\x00\x0b" + uleb(entries) + b"".join(uleb(e % 8) for e in range(entries))
    exports = [export("f", 0, 8)] + [export("g%d" % i, 3, i) for i in range(0, n, max(1, n // 16))]
    return module([functype([I32], [I32])], [0] * 9, bodies, exports, table=table, globals_=globals_,
                  elems=[elem])


def gen_data(mib):
    seg = bytearray((i * 131 + (i >> 8)) & 0xFF for i in range(1 << 20))
    for z in range(0, len(seg), 4096):  # zero runs of 300 bytes
        seg[z:z + 300] = bytes(300)
    seg = bytes(seg)
    datas = [b"\x00\x41" + sleb(k << 20) + b"\x0b" + uleb(len(seg)) + seg for k in range(mib)]
    pages = (mib << 4) + 1
    return module([functype([], [])], [0], [body([], b"")], [export("_start", 0, 0)],
                  memory=b"\x00" + uleb(pages), datas=datas)


SHAPES = {"funcs": gen_funcs, "locals": gen_locals, "instrs": gen_instrs, "brtable": gen_brtable,
          "globals": gen_globals, "data": gen_data}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in SHAPES:
        sys.exit(__doc__)
    with open(sys.argv[3], "wb") as f:
        f.write(SHAPES[sys.argv[1]](int(sys.argv[2])))


if __name__ == "__main__":
    main()
