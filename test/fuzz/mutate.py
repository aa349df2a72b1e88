#!/usr/bin/env python3
"""Mutation fuzzing of lucetc against wabt's validator.

Each mutant is a random valid module (binaryen's `wasm-opt -ttf`, one base
module per --per-base mutants) with 1-4 random byte edits (flip, overwrite with
an interesting value, insert, delete, duplicate a range). For each mutant:

  - `lucetc --emit c` must accept it (exit 0) or reject it with a one-line
    `lucetc: ...` message and exit 1, within --timeout seconds: any other exit
    (a crash, a signal) or a timeout is a failure;
  - `wasm-validate` (wabt) judges it too;
  - a mutant both accept must compile: `lucetc -o x.so` (default -O2) exits 0.

Prints the counts; exits 1 on any failure, or when no mutant was accepted by
both (then the run checked nothing), else 0. Failing mutants are kept in
--keep-dir. Deterministic: mutant k is the same on every run.

usage: mutate.py --lucetc LUCETC [--wasm-opt W] [--wasm-validate V]
                 [--mutants N | --seeds A-B] [--jobs J] [--keep-dir DIR]
"""
import argparse
import concurrent.futures
import os
import random
import shutil
import subprocess
import sys
import tempfile

FEATURES = ['-mvp', '--enable-sign-ext', '--enable-mutable-globals', '--enable-nontrapping-float-to-int',
            '--enable-bulk-memory', '--enable-multivalue']
INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x40, 0x41, 0x0b, 0x20, 0x60, 0x70, 0x6f]


def execute(cmd, timeout):
    """(status, output): status is the exit code, or 'timeout'."""
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
        return p.returncode, (p.stderr + p.stdout).decode('utf-8', 'replace')
    except subprocess.TimeoutExpired:
        return 'timeout', ''


def base_module(base, tools, work):
    """The valid module number `base` (cached in work/)."""
    path = os.path.join(work, f'base{base}.wasm')
    if not os.path.exists(path):
        rng = random.Random(f'base-{base}')
        seed_file = path + '.bytes'
        with open(seed_file, 'wb') as f:
            f.write(rng.randbytes(rng.randint(400, 8000)))
        tmp = path + f'.{os.getpid()}.tmp'
        status, out = execute([tools.wasm_opt] + FEATURES + ['-ttf', seed_file, '-o', tmp], 120)
        if status != 0:
            raise RuntimeError(f'wasm-opt -ttf failed for base {base}: {out.strip()[:300]}')
        os.replace(tmp, path)
    with open(path, 'rb') as f:
        return f.read()


def mutate(data, rng):
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if len(b) < 9:
            break
        i = rng.randrange(8, len(b))  # keep the magic and version
        op = rng.randrange(5)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice(INTERESTING)
        elif op == 2:
            b[i:i] = rng.randbytes(rng.randint(1, 4))
        elif op == 3:
            del b[i:i + rng.randint(1, 8)]
        else:
            j = rng.randrange(8, len(b))
            b[i:i] = b[j:j + rng.randint(1, 16)]
    return bytes(b)


def check_mutant(k, tools, work):
    """(outcome, detail, mutant bytes): outcome is 'both', 'lucetc-only', 'wabt-only', 'neither' or 'fail'."""
    data = mutate(base_module(k // tools.per_base, tools, work), random.Random(f'mutant-{k}'))
    d = tempfile.mkdtemp(prefix=f'm{k}-', dir=work)
    try:
        wasm = os.path.join(d, 'm.wasm')
        with open(wasm, 'wb') as f:
            f.write(data)
        status, out = execute([tools.lucetc, wasm, '-o', os.path.join(d, 'm.c'), '--emit', 'c', '-j', '1'],
                              tools.timeout)
        if status == 'timeout':
            return 'fail', f'mutant {k}: lucetc --emit c hung (> {tools.timeout} s)', data
        lines = out.strip().splitlines()
        if status not in (0, 1) or (status == 1 and (len(lines) != 1 or not lines[0].startswith('lucetc: '))):
            return 'fail', f'mutant {k}: lucetc --emit c exited {status}: {out.strip()[:300]}', data
        ours = status == 0
        vstatus, vout = execute([tools.wasm_validate, wasm], tools.timeout)
        if vstatus not in (0, 1):
            return 'fail', f'mutant {k}: wasm-validate exited {vstatus}: {vout.strip()[:300]}', data
        theirs = vstatus == 0
        if not ours:
            return ('wabt-only' if theirs else 'neither'), lines[0], data
        if not theirs:
            return 'lucetc-only', vout.strip().splitlines()[0] if vout.strip() else '', data
        status, out = execute([tools.lucetc, wasm, '-o', os.path.join(d, 'm.so'), '-j', '1'], tools.timeout)
        if status != 0:
            return 'fail', f'mutant {k}: valid for both, but lucetc -o m.so exited {status}: {out.strip()[:300]}', data
        return 'both', '', data
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--lucetc', required=True)
    ap.add_argument('--wasm-opt', default='wasm-opt')
    ap.add_argument('--wasm-validate', default='wasm-validate')
    ap.add_argument('--mutants', type=int, help='mutants 0..N-1 (default 200)')
    ap.add_argument('--seeds', help='mutant range A-B (inclusive), instead of --mutants')
    ap.add_argument('--per-base', type=int, default=50, help='mutants per base module')
    ap.add_argument('--jobs', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--timeout', type=int, default=60, help='seconds per lucetc or wasm-validate run')
    ap.add_argument('--keep-dir', help='where failing mutants are written')
    tools = ap.parse_args()
    if tools.seeds:
        a, _, b = tools.seeds.partition('-')
        ks = range(int(a), int(b or a) + 1)
    else:
        ks = range(tools.mutants if tools.mutants is not None else 200)
    counts = {'both': 0, 'lucetc-only': 0, 'wabt-only': 0, 'neither': 0, 'fail': 0}
    examples = {}
    with tempfile.TemporaryDirectory(prefix='lucet-mutate.') as work:
        # Base modules first, one per group, so the workers never race on them.
        for base in sorted({k // tools.per_base for k in ks}):
            base_module(base, tools, work)
        with concurrent.futures.ThreadPoolExecutor(max(1, tools.jobs)) as pool:
            for k, (outcome, detail, data) in zip(ks, pool.map(lambda k: check_mutant(k, tools, work), ks)):
                counts[outcome] += 1
                if outcome == 'fail':
                    print('FAIL ' + detail, flush=True)
                    if tools.keep_dir:
                        os.makedirs(tools.keep_dir, exist_ok=True)
                        with open(os.path.join(tools.keep_dir, f'mutant{k}.wasm'), 'wb') as f:
                            f.write(data)
                elif outcome in ('wabt-only', 'lucetc-only'):
                    examples.setdefault(outcome, []).append(f'mutant {k}: {detail}')
    for outcome in ('wabt-only', 'lucetc-only'):
        for e in examples.get(outcome, [])[:5]:
            print(f'{outcome}: {e}')
    print(f'mutate: {len(ks)} mutants: {counts["both"]} valid for both lucetc and wabt and compiled; '
          f'{counts["neither"]} rejected by both; {counts["wabt-only"]} accepted only by wabt; '
          f'{counts["lucetc-only"]} accepted only by lucetc; {counts["fail"]} failures (crash, hang, '
          f'bad message or no compile)')
    if counts['fail']:
        return 1
    if counts['both'] == 0:
        print('mutate: no mutant was valid for both: nothing was compiled')
        return 1
    return 0


if __name__ == '__main__':
    # Any failure exits 1: Meson reads 77 as "skipped".
    sys.exit(0 if main() == 0 else 1)
