"""Fixtures: the test guest compiled once per session (wat2wasm, then
Module.from_wasm through a compile cache in the session's temp dir)."""
import os
import shutil
import subprocess

import pytest


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("cache")
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(d)
    yield d
    if old is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = old


@pytest.fixture(scope="session")
def guest_wasm(tmp_path_factory):
    wat2wasm = os.environ.get("WAT2WASM") or shutil.which("wat2wasm")
    assert wat2wasm, "wat2wasm (wabt) is needed"
    out = tmp_path_factory.mktemp("guest") / "guest.wasm"
    subprocess.run([wat2wasm, os.path.join(os.path.dirname(__file__), "guest.wat"), "-o", str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def guest(cache_dir, guest_wasm):
    import lucet_wasi
    return lucet_wasi.Module.from_wasm(guest_wasm, opt_level=0)


@pytest.fixture
def region():
    import lucet_wasi
    with lucet_wasi.Region(capacity=2) as r:
        yield r


@pytest.fixture(scope="session")
def host_guest(cache_dir, tmp_path_factory):
    """hostfuncs.wat: imports with 0, 1, 2 and 5 results, v128 included."""
    import lucet_wasi
    wat2wasm = os.environ.get("WAT2WASM") or shutil.which("wat2wasm")
    assert wat2wasm, "wat2wasm (wabt) is needed"
    out = tmp_path_factory.mktemp("hostfuncs") / "hostfuncs.wasm"
    subprocess.run([wat2wasm, os.path.join(os.path.dirname(__file__), "hostfuncs.wat"), "-o", str(out)], check=True)
    return lucet_wasi.Module.from_wasm(out, opt_level=0)
