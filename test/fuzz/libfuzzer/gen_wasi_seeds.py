#!/usr/bin/env python3
"""Writes the seed inputs of fuzz_wasi (see the input format in fuzz_wasi.cpp).

  gen_wasi_seeds.py OUT_FILE...   (one seed per file, in the order below)

Fds in the harness: 3 = the preopened sandbox, 4 = /dev/null (0-2 stay closed).
"""
import struct
import sys

NAMES = ["a.txt", "sub", "sub/b.txt", "link", "out", "..", ".", "new", "sub/../a.txt", "link/", "/etc", "x/y/z"]
SEL = dict(write=0, args_get=1, args_sizes_get=2, environ_get=3, environ_sizes_get=4, clock_res_get=5,
           clock_time_get=6, random_get=7, sched_yield=8, fd_write=9, fd_read=10, fd_pwrite=11, fd_pread=12,
           fd_seek=13, fd_tell=14, fd_close=15, fd_fdstat_get=16, fd_fdstat_set_flags=17, fd_filestat_get=18,
           fd_prestat_get=19, fd_prestat_dir_name=20, fd_sync=21, fd_datasync=22, fd_readdir=23, fd_advise=24,
           fd_allocate=25, fd_fdstat_set_rights=26, fd_filestat_set_size=27, fd_filestat_set_times=28,
           fd_renumber=29, poll_oneoff=30, proc_raise=31, sock_shutdown=32, sock_accept=33, sock_recv=34,
           sock_send=35, path_open=36, path_filestat_get=37, path_create_directory=38, path_unlink_file=39,
           path_remove_directory=40, path_filestat_set_times=41, path_rename=42, path_link=43, path_symlink=44,
           path_readlink=45, name=46, iovec=47)


def u32(v):
    if v < 256:
        return bytes([0, v])
    if v < 65536:
        return bytes([1]) + struct.pack('<H', v)
    return bytes([0xe0]) + struct.pack('<I', v)


def u64(v):
    return bytes([0]) + struct.pack('<H', v) if v < 65536 else bytes([0xe0]) + struct.pack('<Q', v)


def call(name, *args):
    out = bytes([SEL[name]])
    for kind, v in args:
        out += u32(v) if kind == 'i' else u64(v) if kind == 'l' else bytes([v])
    return out


def i(v): return ('i', v)
def l(v): return ('l', v)
def b(v): return ('b', v)


def put_name(at, name):  # the call writing `name` at `at`, and its length
    return call('name', i(at), b(NAMES.index(name))), len(name)


def seed(calls, preview0=False):
    return bytes([1 if preview0 else 0, 0]) + b''.join(calls)


D, N, F = 3, 4, 5  # the preopened sandbox, /dev/null, the first file opened


def files():
    c, n = put_name(100, "a.txt")
    yield seed([c, call('path_open', i(D), i(1), i(100), i(n), i(0), l(0xffff), l(0xffff), i(0), i(200)),
                call('iovec', i(300), i(400), i(64)),
                call('fd_read', i(F), i(300), i(1), i(208)),
                call('fd_write', i(N), i(300), i(1), i(208)),
                call('fd_seek', i(F), l(3), i(0), i(216)),
                call('fd_pread', i(F), i(300), i(1), l(1), i(208)),
                call('fd_filestat_get', i(F), i(500)),
                call('fd_fdstat_get', i(F), i(600)),
                call('fd_close', i(F))])
    c1, n1 = put_name(100, "new")
    c2, n2 = put_name(140, "sub/b.txt")
    yield seed([c1, c2, call('path_create_directory', i(D), i(100), i(n1)),
                call('path_filestat_get', i(D), i(1), i(100), i(n1), i(500)),
                call('path_rename', i(D), i(140), i(n2), i(D), i(100), i(n1)),
                call('path_remove_directory', i(D), i(100), i(n1)),
                call('fd_readdir', i(D), i(1000), i(512), l(0), i(208)),
                call('fd_prestat_get', i(D), i(210)),
                call('fd_prestat_dir_name', i(D), i(220), i(8))], preview0=True)
    # poll_oneoff: a relative clock subscription and an fd_read one on /dev/null.
    sub = struct.pack('<QB7xIIQQH6x', 1, 0, 1, 0, 1000, 0, 0)
    sub += struct.pack('<QB7xI', 2, 1, N) + bytes(48 - 20)
    yield seed([call('write', i(2048), b(len(sub))) + sub,
                call('poll_oneoff', i(2048), i(4096), i(2), i(208)),
                call('args_sizes_get', i(0), i(4)), call('args_get', i(8), i(64)),
                call('environ_sizes_get', i(0), i(4)), call('environ_get', i(8), i(64)),
                call('clock_time_get', i(1), l(0), i(16)), call('clock_res_get', i(0), i(24)),
                call('random_get', i(32), i(32)), call('sched_yield'), call('proc_raise', i(15))])
    c1, n1 = put_name(100, "sub/b.txt")
    c2, n2 = put_name(140, "new")
    c3, n3 = put_name(180, "link")
    yield seed([c1, c2, c3, call('path_symlink', i(100), i(n1), i(D), i(140), i(n2)),
                call('path_readlink', i(D), i(140), i(n2), i(300), i(64), i(208)),
                call('path_readlink', i(D), i(180), i(n3), i(300), i(64), i(208)),
                call('path_link', i(D), i(0), i(100), i(n1), i(D), i(180), i(n3)),
                call('path_unlink_file', i(D), i(140), i(n2)),
                call('path_filestat_set_times', i(D), i(0), i(100), i(n1), l(1), l(2), i(5)),
                call('fd_renumber', i(N), i(D)),
                call('sock_send', i(D), i(300), i(1), i(0), i(208))])


def main():
    seeds = list(files())
    if len(sys.argv) - 1 != len(seeds):
        sys.exit('gen_wasi_seeds.py: expected %d output files' % len(seeds))
    for path, data in zip(sys.argv[1:], seeds):
        with open(path, 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
