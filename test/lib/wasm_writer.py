"""wasm_writer.py: the pieces of the wasm binary format that the test and
benchmark generators write by hand (modules wat2wasm cannot spell, or too big
to go through text): LEB128 integers, vectors, names, sections.

Imported by test/wasi/named_wasm.py, test/bench/compile/gen_shape.py and
test/bench/startup/gen_data_module.py, each adding this directory to sys.path."""

MAGIC = b"\0asm" + (1).to_bytes(4, "little")  # magic number and version 1


def uleb(n):
    """Unsigned LEB128."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def sleb(n):
    """Signed LEB128."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b if done else b | 0x80)
        if done:
            return bytes(out)


def vec(items):
    """A vector: its length, then the encoded items (bytes)."""
    return uleb(len(items)) + b"".join(items)


def name(b):
    """A name: its byte length, then the bytes."""
    return uleb(len(b)) + b


def section(sid, payload):
    return bytes([sid]) + uleb(len(payload)) + payload
