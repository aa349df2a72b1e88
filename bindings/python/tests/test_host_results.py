"""Host functions with any number of results and v128 values (params and
results of host functions and of calls), against the real library and the
real C compiler. The guest is hostfuncs.wat."""
import struct

import pytest

import lucet_wasi as lw

V = lw.V128


def lanes(*xs):
    return struct.pack("<4I", *xs)


def host_imports(calls, **over):
    def none():
        calls.append("none")

    def many(a, b, c, d, v):
        calls.append(("many", a, b, c, d, v))
        return a + 1, b + 1, c * 2, d * 2, bytes(reversed(v))

    fns = {
        "none": (none, [], []),
        "one": (lambda x: x * (1 << 33), [lw.I32], [lw.I64]),
        "two": (lambda a, b: (a + 1, b * 2), [lw.I64, lw.F64], [lw.I64, lw.F64]),
        "many": (many, [lw.I32, lw.I64, lw.F32, lw.F64, V], [lw.I32, lw.I64, lw.F32, lw.F64, V]),
        "vv": (lambda a, b: bytes(x ^ y for x, y in zip(a, b)), [V, V], [V]),
    }
    fns.update(over)
    return {("h", k): lw.HostFunc(fn, p, r) for k, (fn, p, r) in fns.items()}


def test_zero_one_two_and_five_results(host_guest, region):
    calls = []
    with region.instance(host_guest, imports=host_imports(calls)) as inst:
        assert inst.run("call_none") is None and calls == ["none"]
        assert inst.run("call_one", -3) == -3 * (1 << 33)  # an i32 argument arrives signed, an i64 result
        assert inst.run("call_two", (1 << 62), 1.25) == ((1 << 62) + 1, 2.5)
        assert inst.run("sum_two", -10, 0.25) == -9 + 0.5  # the guest adds the two results
        v = bytes(range(16))
        assert inst.run("call_many", -1, -(1 << 63), 1.5, -1e300, v) == (0, -(1 << 63) + 1, 3.0, -2e300,
                                                                         bytes(range(15, -1, -1)))
        assert calls[-1] == ("many", -1, -(1 << 63), 1.5, -1e300, v)  # v128 params as 16 bytes
        assert inst.run("call_vv", lanes(1, 2, 3, 4), lanes(1, 0, 3, 0xFFFFFFFF)) == lanes(0, 2, 0, 0xFFFFFFFB)


def test_v128_in_calls(host_guest, region):
    with region.instance(host_guest, imports=host_imports([])) as inst:
        out = inst.run("add_lanes", lanes(1, 2, 3, 0xFFFFFFFF), bytearray(lanes(10, 20, 30, 2)))
        assert out == (lanes(11, 22, 33, 1), -1)
        assert inst.run("add_lanes", lw.v128(lanes(0, 0, 0, 7)), lanes(0, 0, 0, 0)) == (lanes(0, 0, 0, 7), 7)
        with pytest.raises(ValueError, match="a v128 is 16 bytes, got 15"):
            inst.run("add_lanes", b"x" * 15, lanes(0, 0, 0, 0))
        with pytest.raises(TypeError, match="v128 needs 16 bytes"):
            inst.run("add_lanes", 5, lanes(0, 0, 0, 0))


@pytest.mark.parametrize("name, fn, args, match", [
    ("two", lambda a, b: (a,), (1, 2.0), r"h\.two must return 2 values \(i64, f64\), got 1"),
    ("two", lambda a, b: (a, b, 3), (1, 2.0), r"h\.two must return 2 values \(i64, f64\), got 3"),
    ("two", lambda a, b: a, (1, 2.0), r"h\.two must return a tuple of 2 values \(i64, f64\), got 1"),
    ("two", lambda a, b: None, (1, 2.0), r"h\.two must return a tuple of 2 values"),
    ("two", lambda a, b: (1.5, b), (1, 2.0), r"h\.two result 0: i64 needs an int, got 1\.5"),
    ("two", lambda a, b: (a, "x"), (1, 2.0), r"h\.two result 1: f64 needs a number, got 'x'"),
    ("two", lambda a, b: (lw.i32(1), b), (1, 2.0), r"h\.two result 0: i64 needed, got i32\(1\)"),
    ("one", lambda x: (x, x), (1,), r"h\.one must return 1 value \(i64\), got a tuple of 2"),
    ("one", lambda x: 1 << 64, (1,), r"h\.one result 0: 18446744073709551616 does not fit an i64"),
    ("none", lambda: 0, (), r"h\.none has no results but returned 0"),
    ("vv", lambda a, b: a + b, (lanes(0, 0, 0, 0), lanes(0, 0, 0, 0)), r"h\.vv result 0: a v128 is 16 bytes, got 32"),
    ("vv", lambda a, b: 7, (lanes(0, 0, 0, 0), lanes(0, 0, 0, 0)), r"h\.vv result 0: v128 needs 16 bytes, got 7"),
])
def test_wrong_result_count_or_type_traps(host_guest, region, name, fn, args, match):
    sig = {"none": ([], []), "one": ([lw.I32], [lw.I64]), "two": ([lw.I64, lw.F64], [lw.I64, lw.F64]),
           "vv": ([V, V], [V])}[name]
    with region.instance(host_guest, imports=host_imports([], **{name: (fn,) + sig})) as inst:
        with pytest.raises(lw.HostFuncError, match=match) as ei:
            inst.run("call_" + name, *args)
        e = ei.value
        assert isinstance(e, lw.Trap) and e.import_name == "h." + name
        assert isinstance(e.exception, (TypeError, ValueError, OverflowError)) and e.__cause__ is e.exception
        # Never a silent 0: the run raised; and the instance stays usable.
        if name == "two":
            assert inst.run("call_one", 2) == 1 << 34
        else:
            assert inst.run("call_two", 1, 1.0) == (2, 2.0)


def test_host_func_types_and_reuse(host_guest):
    with pytest.raises(TypeError, match="cannot take or return funcref"):
        lw.HostFunc(lambda: None, [lw.FUNCREF])
    with pytest.raises(TypeError, match="cannot take or return type 0x12"):
        lw.HostFunc(lambda: None, [], [0x12])
    # One HostFunc serves two instances; closed, it is refused.
    calls = []
    imports = host_imports(calls)
    with lw.Region(capacity=2) as r:
        with r.instance(host_guest, imports=imports) as a, r.instance(host_guest, imports=imports) as b:
            assert a.run("call_two", 1, 1.0) == (2, 2.0) and b.run("call_two", 2, 1.0) == (3, 2.0)
        imports[("h", "two")].close()
        with pytest.raises(lw.Error, match="import h.two: .*the HostFunc is closed"):
            r.instance(host_guest, imports=imports)
