"""Tests of the lucet_wasi package against the real library, the real C
compiler (Module.from_wasm) and real guest code."""
import gc
import os
import sys
import threading

import pytest

import lucet_wasi as lw


def scale_imports(fn, f=None):
    return {("env", "host_scale"): lw.HostFunc(fn, [lw.I64], [lw.I64]),
            ("env", "host_f"): lw.HostFunc(f or (lambda a, b: a + b), [lw.F32, lw.F64], [lw.F64])}


def test_version():
    assert lw.version().count(".") == 2


def test_export_types_from_wasm(guest):
    assert guest.export_type("add64") == lw.FuncType((lw.I64, lw.I64), (lw.I64,))
    assert guest.export_type("pair") == lw.FuncType((lw.I32,), (lw.I32, lw.I64))
    assert guest.export_type("memory") is None
    assert guest.export_type("missing") is None


def test_introspection(guest):
    exports = {e.name: e for e in guest.exports()}
    assert exports["add64"].kind == "func" and exports["add64"].func == lw.FuncType((lw.I64, lw.I64), (lw.I64,))
    assert len(exports["ten"].func.results) == 10
    assert exports["memory"] == lw.ExternType("memory", None, "memory", 0, limits=lw.Limits(1, None))
    assert exports["limit"].kind == "global" and exports["limit"].global_type == lw.I64
    assert not exports["limit"].global_mutable
    assert exports["tab"].elem_type == lw.FUNCREF and exports["tab"].limits == lw.Limits(2, 8)
    assert [e.name for e in guest.exports()][:3] == ["memory", "add", "add64"]  # declaration order
    imports = guest.imports()
    assert [(i.module, i.name, i.kind) for i in imports] == [("env", "host_scale", "func"), ("env", "host_f", "func")]
    assert imports[1].func == lw.FuncType((lw.F32, lw.F64), (lw.F64,)) and imports[1].index == 1
    assert guest.export("tab").kind == "table" and guest.export("missing") is None


def test_many_results(guest, region):
    with region.instance(guest, imports=scale_imports(lambda x: x)) as inst:
        assert inst.run("ten", 1 << 40) == ((1 << 40), -2, 1.5, -2.25, 4, 5, 6, 7, 8, (1 << 40) + 1)


def test_calls_typed_by_signature(guest, region):
    with region.instance(guest, imports=scale_imports(lambda x: x)) as inst:
        assert inst.run("add", 40, 2) == 42
        # Plain ints become i64 for an i64 export (the example's old wrapper needed lw.i64()).
        assert inst.run("add64", 1 << 40, -1) == (1 << 40) - 1
        assert inst.run("mulf", 1.5, 4) == 6.0
        assert inst.run("pair", -3) == (-3, -3)
        assert inst.run("add", lw.i32(0xFFFFFFFF), 1) == 0  # explicit Val, unsigned bits accepted
        with pytest.raises(TypeError, match="takes 2 arguments"):
            inst.run("add", 1)
        with pytest.raises(TypeError, match="i64 needs an int"):
            inst.run("add64", 1.5, 2)
        with pytest.raises(OverflowError, match="does not fit an i32"):
            inst.run("add", 1 << 32, 0)
        with pytest.raises(lw.Error, match="lucet_error_func_not_found"):
            inst.run("nope")


def test_so_module_typed_by_introspection(guest_wasm, cache_dir, region):
    # A module loaded from a .so knows its signatures too: a plain int for
    # an i64 parameter is an i64 (it used to be "argument 0 must be i64").
    so = os.path.join(str(cache_dir), "explicit.so")
    from lucet_wasi import _ffi
    assert _ffi.lib.lucet_compile_wasm_file(str(guest_wasm).encode(), so.encode(), 0) == 0
    m = lw.Module(so)
    assert m.export_type("add64") == lw.FuncType((lw.I64, lw.I64), (lw.I64,))
    with region.instance(m, imports=scale_imports(lambda x: x)) as inst:
        assert inst.run("add64", 5, 1 << 40) == 5 + (1 << 40)
        assert inst.run("add64", lw.i64(1), lw.i64(2)) == 3
        with pytest.raises(lw.Error, match="invalid_argument"):
            inst.run("add64", lw.i32(1), lw.i32(2))  # an explicit Val of the wrong type is refused
        assert len(inst.run("ten", 0)) == 10
    m.close()


def test_host_function_and_state(guest, region):
    calls = []

    def scale(x):
        calls.append(x)
        return x * 3

    with region.instance(guest, imports=scale_imports(scale, lambda a, b: a * b)) as inst:
        assert inst.run("scale_plus_one", 14) == 43
        assert calls == [14]
        assert inst.run("call_f", 2.5, 4.0) == 10.0


def test_host_function_raising_stops_the_guest(guest, region):
    calls = []

    def scale(x):
        calls.append(x)
        if x == 3:
            raise ValueError("no threes")
        return x

    with region.instance(guest, imports=scale_imports(scale)) as inst:
        n = 1_000_000
        with pytest.raises(lw.HostFuncError) as ei:
            inst.run("scale_loop", n)
        e = ei.value
        assert isinstance(e, lw.Trap)
        assert isinstance(e.exception, ValueError) and str(e.exception) == "no threes"
        assert e.__cause__ is e.exception
        assert e.import_name == "env.host_scale"
        assert "ValueError: no threes" in str(e)
        # Python saw no call after the raise, and the guest stopped right
        # where the raising call returned: the loop's store after each host
        # call ran for calls 0, 1 and 2 only (generated code polls the kill
        # switch's flag after each import call).
        assert calls == [0, 1, 2, 3]
        done = int.from_bytes(inst.memory()[4:8], "little")
        assert done == 3
        # The instance stays usable and the next run is not affected.
        calls.clear()
        assert inst.run("scale_plus_one", 2) == 3
        assert calls == [2]


def test_host_function_bad_return_type(guest, region):
    with region.instance(guest, imports=scale_imports(lambda x: "three")) as inst:
        with pytest.raises(lw.HostFuncError, match="result 0: i64 needs an int, got .three.") as ei:
            inst.run("scale_plus_one", 1)
        assert isinstance(ei.value.exception, TypeError)


def test_trap_and_instance_stays_usable(guest, region):
    with region.instance(guest, imports=scale_imports(lambda x: x)) as inst:
        with pytest.raises(lw.Trap) as ei:
            inst.run("div", 1, 0)
        assert ei.value.trap_name == "integer divide by zero"
        assert inst.run("div", 7, 2) == 3
        with pytest.raises(lw.Trap, match="out of bounds"):
            inst.run("load", 100000)


def test_memory_and_reset(guest, region):
    with region.instance(guest, imports=scale_imports(lambda x: x)) as inst:
        mem = inst.memory()
        assert len(mem) == 65536
        mem[8:12] = (1234).to_bytes(4, "little")
        assert inst.run("load", 8) == 1234
        inst.reset()
        assert inst.run("load", 8) == 0


def test_kill_switch(guest, region):
    with region.instance(guest, imports=scale_imports(lambda x: x)) as inst:
        ks = inst.kill_switch()
        t = threading.Timer(0.05, ks.terminate)
        t.start()
        with pytest.raises(lw.Terminated) as ei:
            inst.run("spin")
        t.join()
        assert ei.value.killed
        ks.close()


def test_missing_import_and_region_full(guest):
    with lw.Region(capacity=1) as r:
        with pytest.raises(lw.Error, match="symbol_not_found"):
            r.instance(guest)
        a = r.instance(guest, imports=scale_imports(lambda x: x))
        with pytest.raises(lw.Error, match="region_full"):
            r.instance(guest, imports=scale_imports(lambda x: x))
        assert r.used() == (1, 1)
        a.close()
        assert r.used() == (0, 1)


def test_failed_constructors_are_quiet(tmp_path, capfd, monkeypatch):
    # A failed constructor leaves nothing for __del__ to release or report.
    unraisable = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    with pytest.raises(lw.Error, match="lucet_error_dl"):
        lw.Module(tmp_path / "missing.so")
    with pytest.raises(lw.Error, match="lucet_error_compile"):
        (tmp_path / "bad.wasm").write_bytes(b"\0asm\1\0\0\0\x01\x05")
        lw.Module.from_wasm(tmp_path / "bad.wasm")
    with pytest.raises(lw.Error):
        lw.Region(capacity=0)
    gc.collect()
    out, err = capfd.readouterr()
    assert err == "" and out == "" and unraisable == []


def test_wasi_guest(region, tmp_path, capfd):
    so = os.environ.get("LUCET_TEST_WASI_SO")
    if not so:
        pytest.skip("LUCET_TEST_WASI_SO (a compiled examples/embed-c/guest_wasi.c) not set")
    (tmp_path / "in.txt").write_text("from the host\n")
    ctx = lw.WasiCtx(args=["guest_wasi", "a b"], env={"GREETING": "hi", "COPY": "/data/in.txt"},
                     inherit_stdio=True, preopens={tmp_path: "/data"})
    with lw.Module(so) as m, region.instance(m, wasi=ctx) as inst:
        inst.run("_start")
    out, _ = capfd.readouterr()
    assert out == "wasi guest: argc=2 [guest_wasi] [a b]\nwasi guest: GREETING=hi\n"
    # the guest copied the host dir's file, seen under the guest path /data
    assert (tmp_path / "in.txt.copy").read_text() == "from the host\n"
    with pytest.raises(lw.Error, match="already given"):
        region.instance(m, wasi=ctx)


def test_preopen_missing_dir_names_it(tmp_path):
    with pytest.raises(lw.Error, match="missing") as ei:
        lw.WasiCtx(preopens={tmp_path / "missing": "/data"})
    assert "as /data" in str(ei.value)
