#!/usr/bin/env python3
"""The compile limits and the progress line, through the real tools.

lucetc --max-memory / --max-time and lucet-wasi --max-compile-memory /
--max-compile-time on generated modules that make the real C compiler use
hundreds of MB (one function of 56,000 straight-line instructions) or tens of seconds
(20,000 small functions), or lucetc itself seconds to generate the C (3,000,000
straight-line statements): refused with one line, exit 1, no output, no
temporary file, no cache entry, no C compiler left running, and the peak RSS
of the tool and its children (wait4) under the limit. The progress line
appears on a terminal (a pty) and never on a pipe.

Timings are not asserted tightly: only that a limited compile ends long
before an unlimited one would (the machine may be loaded).
"""
import argparse
import os
import pty
import re
import select
import signal
import shutil
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def gen_straight(n):
    """One function of n groups of 7 straight-line instructions (loads and
    xors): about 15 bytes of code each, so 8,000 groups stay under the size
    at which lucetc splits a function into chunks (128 KiB of code, where
    each chunk's cc needs far less) while one cc process needs over 300 MiB
    for it at -O0."""
    out = ['(module (memory 1) (func (export "f") (param i32) (result i32) (local i32)']
    out += [f' local.get 0 i32.const {i % 977} i32.add i32.load offset={i % 4096} local.get 1 i32.xor local.set 1'
            for i in range(n)]
    out.append(' local.get 1))')
    return '\n'.join(out)


def gen_chain(n):
    """n small functions, each calling the previous one."""
    out = ['(module', ' (func (param i32) (result i32) local.get 0 i32.const 7 i32.add)']
    out += [f' (func (param i32) (result i32) local.get 0 local.get 0 call {i - 1} i32.add)' for i in range(1, n)]
    out.append(f' (export "f" (func {n - 1})))')
    return '\n'.join(out)


def uleb(v):
    """v as unsigned LEB128."""
    out = bytearray()
    while True:
        b, v = v & 0x7f, v >> 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def gen_straight_wasm(n):
    """One function (param i32) (result i32) with 11 more i32 locals: n
    straight-line `local.set (i32.add (local.get a) (local.get b))` (7 bytes
    each), as bytes: seconds of lucetc's own C generation for 3,000,000."""
    def sec(i, payload):
        return bytes([i]) + uleb(len(payload)) + payload
    period = b''.join(bytes([0x20, i * 5 % 12, 0x20, (i * 7 + 3) % 12, 0x6a, 0x21, i % 12]) for i in range(12))
    code = b'\x01\x0b\x7f' + period * (n // 12) + b'\x20\x00\x0b'
    return (b'\0asm\1\0\0\0' + sec(1, b'\x01\x60\x01\x7f\x01\x7f') + sec(3, b'\x01\x00') +
            sec(7, b'\x01\x01f\x00\x00') + sec(10, b'\x01' + uleb(len(code)) + code))


def run(cmd, env, stderr_path):
    """Runs cmd; returns (exit status, stderr text, peak RSS in KiB of it and
    its waited-for descendants, wall seconds)."""
    t0 = time.monotonic()
    with open(stderr_path, 'wb') as err:
        p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    with open(stderr_path, 'r', errors='replace') as f:
        text = f.read()
    return p.returncode, text, ru.ru_maxrss, time.monotonic() - t0


def run_pty(cmd, env):
    """Runs cmd with stderr (and stdout) on a pseudo-terminal; returns (exit status, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(cmd[0], cmd, env)
    out = b''
    while True:
        try:
            r, _, _ = select.select([fd], [], [], 120)
            if not r:
                break
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors='replace')


def running_with(path):
    """Processes whose command line mentions path (a C compiler left behind)."""
    found = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open(f'/proc/{d}/cmdline', 'rb') as f:
                if path.encode() in f.read():
                    found.append(int(d))
        except OSError:
            pass
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--lucetc', required=True)
    ap.add_argument('--lucet-wasi', required=True)
    ap.add_argument('--wat2wasm', required=True)
    a = ap.parse_args()

    work = tempfile.mkdtemp(prefix='lucet-limits-')
    try:
        tmp = os.path.join(work, 'tmp')  # lucetc's and cc's temporary files
        cache = os.path.join(work, 'cache')
        os.mkdir(tmp)
        env = dict(os.environ, TMPDIR=tmp, XDG_CACHE_HOME=cache)
        env.pop('CCACHE_DIR', None)
        mods = {}
        for name, text in (('big', gen_straight(8000)), ('chain', gen_chain(20000))):
            wat = os.path.join(work, name + '.wat')
            with open(wat, 'w') as f:
                f.write(text)
            mods[name] = os.path.join(work, name + '.wasm')
            subprocess.run([a.wat2wasm, wat, '-o', mods[name]], check=True)
        err = os.path.join(work, 'stderr')
        out = os.path.join(work, 'out.so')

        def clean(what):
            check(os.listdir(tmp) == [], what + ': no temporary file left (' + ' '.join(os.listdir(tmp)) + ')')
            check(running_with(tmp) == [], what + ': no C compiler left running')
            check(not os.path.exists(out), what + ': no output written')

        # Memory: unlimited, the module needs well over 150 MiB of cc...
        rc, text, rss_kib, secs = run([a.lucetc, mods['big'], '-o', out, '--max-memory', '0'], env, err)
        check(rc == 0, f'big function compiles without a limit ({secs:.1f} s, peak RSS {rss_kib // 1024} MiB)')
        check(rss_kib > 150 * 1024, 'unlimited, a cc process needs more than 150 MiB for it '
                                    f'({rss_kib // 1024} MiB: so the limit below is what bounds it)')
        os.remove(out)
        # ... and under a 150 MiB limit it is refused, the children bounded.
        rc, text, rss_kib, secs = run([a.lucetc, mods['big'], '-o', out, '--max-memory', '150MiB'], env, err)
        print(text, end='')
        check(rc == 1, 'over --max-memory: exit 1')
        check(re.fullmatch(r'lucetc: \S+big\.wasm: compiling f0 \(unit\d+\.c\): C compiler exceeded the 150 MiB '
                           r'memory limit\n', text) is not None, 'over --max-memory: one line naming the function')
        check(rss_kib <= 150 * 1024, f'over --max-memory: peak RSS of lucetc and its children {rss_kib // 1024} MiB <= 150 MiB')
        clean('over --max-memory')

        # Time: the chain takes tens of seconds of cc; --max-time 2 stops it.
        rc, text, _, secs = run([a.lucetc, mods['chain'], '-o', out, '--max-time', '2'], env, err)
        print(text, end='')
        check(rc == 1, 'over --max-time: exit 1')
        # (the unit running at the deadline: usually one of functions, or the
        # descriptor's unit0.c on a slow machine)
        check(re.fullmatch(r'lucetc: \S+chain\.wasm: compiling (f\d+\.\.f\d+ \(unit\d+\.c\)|unit0\.c): C compiler '
                           r'exceeded the 2 s time limit\n', text) is not None, 'over --max-time: one line naming the unit')
        check(secs < 60, f'over --max-time: stopped after {secs:.1f} s')
        clean('over --max-time')

        # lucet-wasi compiling a .wasm: the same, and no cache entry.
        cache_dir = os.path.join(cache, 'lucet')

        def cache_entries():  # (the C compiler's version stamp, <hash>.ccv, is not a module)
            return [e for e in os.listdir(cache_dir) if not e.endswith('.ccv')] if os.path.isdir(cache_dir) else []
        for flag, value, mod, msg in (('--max-compile-memory', '150MiB', 'big', 'the 150 MiB memory limit'),
                                      ('--max-compile-time', '1', 'chain', 'the 1 s time limit')):
            rc, text, rss_kib, secs = run([a.lucet_wasi, flag, value, mods[mod]], env, err)
            print(text, end='')
            check(rc == 1, f'lucet-wasi {flag}: exit 1')
            # (on a heavily loaded machine the time limit may pass while the
            # C is still being generated: that message is right too)
            check(text.count('\n') == 1 and text.startswith('lucet-wasi: error: ') and
                  (text.endswith('C compiler exceeded ' + msg + '\n') or
                   (flag == '--max-compile-time' and re.search(r'generating C for function \d+ exceeded the 1 s '
                                                               r'time limit\n$', text) is not None)),
                  f'lucet-wasi {flag}: one line')
            check(cache_entries() == [], f'lucet-wasi {flag}: nothing in the cache ({cache_entries()})')
            clean(f'lucet-wasi {flag}')
        # Generating C is bounded too: a function that takes seconds to emit
        # (then minutes of cc) is stopped inside at the deadline, and the error
        # says so (it blamed the C compiler once emission was done).
        mods['emit'] = os.path.join(work, 'emit.wasm')
        with open(mods['emit'], 'wb') as f:
            f.write(gen_straight_wasm(3000000))
        for tool, cmd in (('lucetc', [a.lucetc, mods['emit'], '-o', out, '--max-time', '1']),
                          ('lucet-wasi', [a.lucet_wasi, '--max-compile-time', '1', mods['emit']])):
            rc, text, _, secs = run(cmd, env, err)
            print(text, end='')
            check(rc == 1, f'{tool}: over the time limit while generating C: exit 1')
            check(re.fullmatch(tool + r': (error: )?\S+emit\.wasm: generating C for function 0 exceeded the 1 s time '
                               r'limit\n', text) is not None, f'{tool}: over the time limit while generating C: one line')
            check(secs < 30, f'{tool}: over the time limit while generating C: stopped after {secs:.1f} s')
            check(cache_entries() == [], f'{tool} over the time limit while generating C: nothing in the cache')
            clean(f'{tool} over the time limit while generating C')

        # SIGTERM (as ^C's SIGINT, or a hangup) during a compile: the tool dies of
        # it, its C compilers and temporary directories gone with it.
        for what, cmd in (('lucetc', [a.lucetc, mods['chain'], '-o', out]),
                          ('lucet-wasi', [a.lucet_wasi, mods['chain']])):
            with open(err, 'wb') as e:
                p = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=e)
            time.sleep(1.5)
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=60)
            check(rc == -signal.SIGTERM, f'{what} given SIGTERM while compiling: dies of it ({rc})')
            clean(f'{what} given SIGTERM while compiling')
        rc, text, _, _ = run([a.lucet_wasi, '--max-compile-memory', 'lots', mods['big']], env, err)
        check(rc == 2 and '--max-compile-memory' in text, 'lucet-wasi --max-compile-memory lots: usage error')
        rc, text, _, _ = run([a.lucetc, mods['big'], '-o', out, '--max-memory', 'lots'], env, err)
        check(rc == 2, 'lucetc --max-memory lots: usage error')

        # Out of memory in lucetc or lucet-wasi itself (a ulimit on the
        # tool, not on cc): one error line, exit 1, not an abort. A valid
        # 60 MB module of one function of nops, under a 100 MB address space
        # limit (it used to abort with an uncaught std::bad_alloc).
        nops = os.path.join(work, 'nops.wasm')
        body = b'\x00' + b'\x01' * 60_000_000 + b'\x0b'
        code = b'\x01' + uleb(len(body)) + body
        with open(nops, 'wb') as f:
            f.write(b'\0asm\1\0\0\0' + b'\x01\x04\x01\x60\x00\x00' + b'\x03\x02\x01\x00' +
                    b'\x0a' + uleb(len(code)) + code)
        for what, cmd in (('lucetc', [a.lucetc, nops, '-o', out]), ('lucet-wasi', [a.lucet_wasi, nops])):
            rc, text, _, _ = run(['/bin/sh', '-c', 'ulimit -v 100000; exec "$@"', 'sh'] + cmd, env, err)
            check(rc == 1 and text.count('\n') == 1 and 'error: out of memory' in text,
                  f'{what} out of memory: one error line, exit 1 ({rc}: {text[:300]!r})')
        os.remove(nops)
        clean('after the out-of-memory runs')

        # Progress: on a pipe nothing but the error line (above); on a
        # terminal, a line redrawn in place once the compile passes a second.
        tenv = dict(env, TERM='xterm')
        rc, text = run_pty([a.lucetc, mods['chain'], '-o', out, '--max-time', '4'], tenv)
        check(rc == 1, 'lucetc on a tty: exit 1 at the time limit')
        check(re.search(r'\r\x1b\[Klucetc: compiling \S+chain\.wasm: \d+/\d+ C units, \d+\.\d s', text) is not None,
              'lucetc on a tty: progress line')
        check(text.rstrip().endswith('time limit'), 'lucetc on a tty: the error line comes last')
        rc, text = run_pty([a.lucet_wasi, '--max-compile-time', '4', mods['chain']], tenv)
        check(rc == 1 and re.search(r'\r\x1b\[Klucet-wasi: compiling \S+chain\.wasm: \d+/\d+ C units', text) is not None,
              'lucet-wasi on a tty: progress line')
        # A short compile shows nothing, even on a terminal.
        small = os.path.join(work, 'small.wat')
        with open(small, 'w') as f:
            f.write('(module (func (export "f") (result i32) i32.const 1))')
        subprocess.run([a.wat2wasm, small, '-o', small + '.wasm'], check=True)
        rc, text = run_pty([a.lucetc, small + '.wasm', '-o', out], tenv)
        check(rc == 0 and text == '', f'lucetc on a tty, short compile: silent ({text!r})')
        os.remove(out)
        clean('after the tty runs')
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f'{len(FAILURES)} check(s) failed', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
