#!/usr/bin/env python3
"""Differential execution fuzzing of lucetc + the runtime against binaryen's interpreter.

For each seed: deterministic random bytes -> `wasm-opt -ttf` (a random valid module) ->
`wasm-opt --fuzz-exec-before` (binaryen's interpreter runs every export) and
`lucetc --opt-level N` + fuzz_exec (our compiler and runtime run them the same way),
then the two traces are normalized and compared. A mismatch, a crash, a hang or a
compile error keeps the seed's files in --keep-dir and prints the seed and a short diff.

Binaryen 108 facts this relies on (src/tools/execution-results.h):
- all exports of one instance in export order, zero arguments, hangLimitInitializer
  called before each export; "[fuzz-exec] calling NAME" per export;
- "[LoggingExternalInterface logging V...]" per log-* import call, an i64 as two i32s;
- "[fuzz-exec] note result: NAME => V" (or "(V, V)" for several values, or just the
  type name for a reference result) when the call returned values;
- "[trap MSG]" when it trapped (no result line then); "[host limit MSG]" when the
  interpreter gave up (the rest of that module is not compared: binaryen says
  optimizations may change it, and our runtime has other limits).
Floats are printed as the shortest text that reads back as the same double, "nan",
"-nan:0x<payload>", "inf", "-0". NaNs compare loosely: a NaN's sign and payload are
nondeterministic in wasm, so any NaN equals any NaN. Text that does not parse is a
mismatch (never "equal"). A reference result is compared by type (binaryen prints
a lone reference result as its type, "funcref" or "anyref" for externref) and, in a
tuple, by null-ness too ("funcref(null)", "funcref(3)", "anyref(null)"). A v128 (with --simd: -ttf then also imports "log-v128") is
printed as "i32x4 0x<lane0> 0x<lane1> 0x<lane2> 0x<lane3>" and compared lane by lane,
exactly except that NaNs compare loosely as above: a 32-bit lane that is a NaN as an
f32 on both sides, or a 64-bit half that is a NaN as an f64 on both sides, matches
(the lanes' types are unknown). binaryen 108's --denan leaves v128 values alone.

Trap messages map to trap kinds through two exact tables (ours, binaryen's); a
message missing from its table matches no trap, so a new trap text fails the seed
until it is added. A run must compare at least --min-compared of its seeds
(default 0.75): skips (generation failures, invalid modules, NaN-only
differences) cannot make the test pass while comparing nothing.

Modules made with reference types enabled are often invalid in standard wasm
(binaryen 108 emits typed function references and subtyping); those are checked
with wabt's wasm-validate first and then only lucetc's rejection is checked.
"""

import argparse
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

BASE_FEATURES = ['-mvp', '--enable-sign-ext', '--enable-mutable-globals', '--enable-nontrapping-float-to-int',
                 '--enable-bulk-memory', '--enable-multivalue']
REFTYPES_EVERY = 8  # every Nth seed also enables reference types


def features_for(seed, simd=False):
    feats = list(BASE_FEATURES) + (['--enable-simd'] if simd else [])
    if seed % REFTYPES_EVERY == 0:
        feats.append('--enable-reference-types')
    return feats


# Extra wasm-opt arguments for the module of a seed, by seed % len: plain -ttf output,
# the same optimized (different code shapes: tuples, selects, br_if values...),
# random passes picked from the input, and no deliberately out-of-bounds
# accesses (more of each function runs before a trap).
TTF_VARIANTS = [[], ['-O3'], ['--fuzz-passes'], ['--no-fuzz-oob'], ['-Oz']]


def ttf_variant(seed):
    return TTF_VARIANTS[seed % len(TTF_VARIANTS)]


def random_bytes(seed):
    rng = random.Random(seed)
    size = rng.randint(500, 12000) if rng.random() < 0.8 else rng.randint(12000, 60000)
    return rng.randbytes(size)


def run(cmd, timeout, cwd=None):
    """(returncode, 'timeout' or 'oserror', stdout, stderr)."""
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=cwd)
        return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode('utf-8', 'replace') if e.stdout else ''
        return 'timeout', out, ''
    except OSError as e:
        return 'oserror', '', f'cannot run {cmd[0]}: {e}'


# ---------------------------------------------------------------- parsing

def merge_v128(tokens):
    """binaryen's whitespace-separated log values with each v128's five tokens joined into one."""
    out = []
    for t in tokens:
        if out and out[-1].startswith('i32x4') and len(out[-1].split()) < 5:
            out[-1] += ' ' + t
        else:
            out.append(t)
    return out


def parse_binaryen(text):
    """List of calls: (name, [events]); events ('log', [tokens]), ('result', [tokens]), ('trap', msg),
    ('hostlimit', msg). A leading ('instantiate-trap', msg) call when instantiation trapped."""
    calls = []
    for line in text.splitlines():
        if line.startswith('[fuzz-exec] calling '):
            calls.append((line[len('[fuzz-exec] calling '):].strip(), []))
        elif line.startswith('[LoggingExternalInterface logging'):
            toks = merge_v128(line[len('[LoggingExternalInterface logging'):].rstrip(']').split())
            if calls:
                calls[-1][1].append(('log', toks))
        elif line.startswith('[fuzz-exec] note result: '):
            rhs = line.split(' => ', 1)[1].strip() if ' => ' in line else ''
            if rhs.startswith('(') and rhs.endswith(')'):
                toks = [t.strip() for t in rhs[1:-1].split(',')]
            else:
                toks = [rhs]
            if calls:
                calls[-1][1].append(('result', toks))
        elif line.startswith('[trap '):
            if not calls:
                calls.append(('<instantiate>', [('trap', line)]))
            else:
                calls[-1][1].append(('trap', line))
        elif line.startswith('[host limit'):
            if calls:
                calls[-1][1].append(('hostlimit', line))
            else:
                calls.append(('<instantiate>', [('hostlimit', line)]))
    return calls


def parse_harness(text):
    calls = []
    for line in text.splitlines():
        if line.startswith('call '):
            calls.append((line[5:], []))
        elif line.startswith('instantiate-error '):
            calls.append(('<instantiate>', [('trap', line)]))
        elif not calls:
            pass  # output before the first call (binaryen's is dropped too)
        elif line.startswith('log '):
            calls[-1][1].append(('log', line.split()[1:]))
        elif line.startswith('result '):
            calls[-1][1].append(('result', line.split()[1:]))
        elif line.startswith('trap '):
            calls[-1][1].append(('trap', line[5:]))
        else:
            calls.append(('<unexpected>', [('other', line)]))
    return calls


def parse_float_text(t):
    """binaryen float text -> ('nan',) | float | None (unparseable)."""
    t = t.strip()
    if 'nan' in t:
        return 'nan'
    if t in ('inf', '+inf'):
        return math.inf
    if t == '-inf':
        return -math.inf
    try:
        if t.lstrip('-').startswith('0x'):
            return float(int(t, 16))
        return float(t)
    except ValueError:
        return None


def f32_is_nan(bits):
    return (bits & 0x7f800000) == 0x7f800000 and (bits & 0x007fffff) != 0


def f64_is_nan(bits):
    return (bits & 0x7ff0000000000000) == 0x7ff0000000000000 and (bits & 0x000fffffffffffff) != 0


def v128_matches(ours, theirs):
    """ours: 'v128:L0:L1:L2:L3' (hex 32-bit lanes); theirs: 'i32x4 0xL0 0xL1 0xL2 0xL3'."""
    parts = theirs.split()
    if len(parts) != 5 or parts[0] != 'i32x4':
        return False
    try:
        t = [int(p, 16) for p in parts[1:]]
    except ValueError:
        return False
    o = [int(x, 16) for x in ours.split(':')[1:]]
    if len(o) != 4:
        return False
    for half in (0, 2):
        o64, t64 = o[half] | o[half + 1] << 32, t[half] | t[half + 1] << 32
        if o64 == t64 or (f64_is_nan(o64) and f64_is_nan(t64)):
            continue
        for lane in (half, half + 1):
            if o[lane] != t[lane] and not (f32_is_nan(o[lane]) and f32_is_nan(t[lane])):
                return False
    return True


# binaryen 108's text for a reference type (externref is its anyref).
REF_TYPE_NAMES = {'func': 'funcref', 'extern': 'anyref'}


def ref_matches(ours, theirs):
    """ours: 'ref:func' | 'ref:func:null' | 'ref:extern' | 'ref:extern:null'; theirs: 'funcref' (a lone
    result: the type only), 'funcref(null)' or 'funcref(N)' (in a tuple)."""
    parts = ours.split(':')
    if len(parts) not in (2, 3) or parts[1] not in REF_TYPE_NAMES or (len(parts) == 3 and parts[2] != 'null'):
        return False
    name = REF_TYPE_NAMES[parts[1]]
    if theirs == name:
        return True
    if not (theirs.startswith(name + '(') and theirs.endswith(')')):
        return False
    inner = theirs[len(name) + 1:-1]
    if not inner:
        return False
    return (inner == 'null') == (len(parts) == 3)


def value_matches(ours, theirs):
    """ours: 'i32:-5' | 'f32:0x...' | 'f64:0x...' | 'v128:...' | 'ref:...'; theirs: binaryen's text.
    True or False: a value either side writes in a form this script does not parse is a mismatch."""
    if ours.startswith('v128:'):
        return v128_matches(ours, theirs)
    if ours.startswith('ref:'):
        return ref_matches(ours, theirs)
    kind, _, val = ours.partition(':')
    if kind in ('i32', 'i64'):
        try:
            return int(theirs) == int(val)
        except ValueError:
            return False
    if kind not in ('f32', 'f64'):
        return False
    try:
        bits = int(val, 16)
    except ValueError:
        return False
    ours_f = struct.unpack('<f', struct.pack('<I', bits & 0xffffffff))[0] if kind == 'f32' else \
        struct.unpack('<d', struct.pack('<Q', bits & 0xffffffffffffffff))[0]
    theirs_f = parse_float_text(theirs)
    if theirs_f is None:
        return False
    if math.isnan(ours_f) or theirs_f == 'nan':
        return math.isnan(ours_f) and theirs_f == 'nan'
    if ours_f == 0 and theirs_f == 0:
        return math.copysign(1, ours_f) == math.copysign(1, theirs_f)
    return ours_f == theirs_f


# Trap kinds, so that a wrong trap (an overflow reported as a divide by zero)
# is caught. A message neither table knows matches no trap: the seed fails,
# naming the message, until it is added here.
BINARYEN_TRAPS = [('final > memory', 'mem'), ('offset > memory', 'mem'), ('out of bounds memory access', 'mem'),
                  ('out of bounds segment access', 'mem'), (' by 0', 'div0'), ('div_s overflow', 'ovf'),
                  ('Float overflow', 'ovf'), ('Float of nan', 'conv'), ('[trap unreachable]', 'unreachable'),
                  ('callTable overflow', 'indirect'), ('callIndirect', 'indirect'),
                  ('out of bounds table access', 'table')]
OUR_TRAPS = [('out of bounds memory access', 'mem'), ('integer divide by zero', 'div0'), ('integer overflow', 'ovf'),
             ('invalid conversion to integer', 'conv'), ('unreachable', 'unreachable'),
             ('uninitialized element', 'indirect'), ('indirect call type mismatch', 'indirect'),
             ('undefined element', 'indirect'), ('out of bounds table access', 'table')]


def trap_kind(msg, table):
    for needle, kind in table:
        if needle in msg:
            return kind
    return None


def trap_matches(ours, theirs):
    ok, tk = trap_kind(ours, OUR_TRAPS), trap_kind(theirs, BINARYEN_TRAPS)
    return ok is not None and ok == tk


def compare(ours, theirs):
    """Returns a list of difference lines (empty: same) and how many v128 values matched."""
    diffs = []
    v128s = 0
    for i in range(max(len(ours), len(theirs))):
        if i >= len(theirs):
            diffs.append(f'extra call on our side: {ours[i][0]} {ours[i][1]}')
            break
        if i >= len(ours):
            diffs.append(f'missing call on our side: {theirs[i][0]} (binaryen: {theirs[i][1]})')
            break
        (on, oev), (tn, tev) = ours[i], theirs[i]
        if on != tn:
            diffs.append(f'call #{i}: we call {on}, binaryen calls {tn}')
            break
        if any(e[0] == 'hostlimit' for e in tev):
            break  # binaryen gave up here; the rest of the state is not comparable
        for j in range(max(len(oev), len(tev))):
            oe = oev[j] if j < len(oev) else None
            te = tev[j] if j < len(tev) else None
            bad = oe is None or te is None or oe[0] != te[0]
            if not bad and oe[0] == 'trap':
                bad = not trap_matches(oe[1], te[1])
            if not bad and oe[0] in ('log', 'result'):
                if len(oe[1]) != len(te[1]):
                    bad = True
                else:
                    bad = not all(value_matches(o, t) for o, t in zip(oe[1], te[1]))
                    v128s += 0 if bad else sum(o.startswith('v128:') for o in oe[1])
            if bad:
                diffs.append(f'{on}: event #{j}: ours {oe}, binaryen {te}')
                break
        if diffs:
            break
    return diffs, v128s


# ---------------------------------------------------------------- one seed

class Tools:
    def __init__(self, args):
        self.lucetc = args.lucetc
        self.harness = args.harness
        self.wasm_opt = args.wasm_opt
        self.wasm_validate = args.wasm_validate
        self.opt_levels = [int(x) for x in args.opt_levels.split(',')]
        self.timeout = args.timeout
        self.keep_dir = args.keep_dir
        self.simd = args.simd
        self.lock = threading.Lock()
        self.v128_compared = 0  # v128 values matched lane by lane, over all opt levels
        self.v128_seeds = set()


def fuzz_seed(seed, tools, workroot):
    """(status, message); status in ok, skip, fail."""
    d = os.path.join(workroot, f'seed-{seed}')
    os.makedirs(d, exist_ok=True)
    feats = features_for(seed, tools.simd)
    rnd, wasm = os.path.join(d, 'random.bin'), os.path.join(d, 'm.wasm')
    with open(rnd, 'wb') as f:
        f.write(random_bytes(seed))
    rc, _, err = run([tools.wasm_opt] + feats + ['-ttf', rnd] + ttf_variant(seed) + ['-o', wasm], 120)
    if rc != 0:
        shutil.rmtree(d, ignore_errors=True)
        return 'skip', f'seed {seed}: wasm-opt -ttf failed ({rc}): {err.strip()[:200]}'
    status, msg = check_module(seed, d, wasm, feats, tools)
    if status == 'fail':
        keep = os.path.join(tools.keep_dir, f'seed-{seed}')
        shutil.rmtree(keep, ignore_errors=True)
        shutil.copytree(d, keep)
        msg += f'\n  files kept in {keep}'
    shutil.rmtree(d, ignore_errors=True)
    return status, msg


def check_module(seed, d, wasm, feats, tools):
    rc, _, verr = run([tools.wasm_validate, wasm], 60)
    if rc != 0:
        # Not standard wasm (binaryen 108's reference types): lucetc must reject it.
        so = os.path.join(d, 'invalid.so')
        rc, _, err = run([tools.lucetc, wasm, '-o', so, '--opt-level', '0', '-j', '1'], tools.timeout)
        if rc == 0:
            return 'fail', (f'seed {seed}: lucetc accepts a module wasm-validate rejects: '
                            f'{verr.strip().splitlines()[0] if verr.strip() else "?"}')
        if rc != 1:
            return 'fail', f'seed {seed}: lucetc exit status {rc} on an invalid module: {err.strip()[:300]}'
        return 'skip', f'seed {seed}: invalid module, rejected by both: {err.strip()[:150]}'

    status, msg = differential(seed, d, wasm, feats, tools, '')
    if status != 'mismatch':
        return status, msg
    # A NaN's sign and payload are nondeterministic in wasm (binaryen's
    # interpreter canonicalizes NaN results, x86 propagates payloads), and
    # they become visible once stored to memory or reinterpreted. If the
    # difference goes away when binaryen's --denan turns every NaN into 0,
    # it is that nondeterminism, not a bug.
    dwasm = os.path.join(d, 'denan.wasm')
    rc, _, err = run([tools.wasm_opt] + feats + [wasm, '--denan', '-o', dwasm], 120)
    if rc != 0:
        return 'fail', msg + f'\n  (wasm-opt --denan failed: {err.strip()[:200]})'
    dstatus, dmsg = differential(seed, d, dwasm, feats, tools, 'denan.')
    if dstatus == 'ok':
        return 'skip', f'seed {seed}: NaN-dependent difference only (none after --denan): ' + msg.splitlines()[-1]
    return 'fail', msg + '\n  after --denan: ' + dmsg.replace('\n', '\n  ')


def differential(seed, d, wasm, feats, tools, tag):
    """Runs binaryen and our build of `wasm` at each opt level: ('ok'|'skip'|'fail'|'mismatch', message)."""
    rc, bout, berr = run([tools.wasm_opt] + feats + [wasm, '--fuzz-exec-before'], tools.timeout)
    if rc != 0:
        return 'skip', f'seed {seed}: wasm-opt --fuzz-exec-before failed ({rc}): {berr.strip()[:200]}'
    with open(os.path.join(d, tag + 'binaryen.txt'), 'w') as f:
        f.write(bout)
    theirs = parse_binaryen(bout)

    for opt in tools.opt_levels:
        so = os.path.join(d, f'{tag}m.O{opt}.so')
        rc, _, err = run([tools.lucetc, wasm, '-o', so, '--opt-level', str(opt), '-j', '1'], tools.timeout * 4)
        if rc != 0:
            return 'fail', f'seed {seed}: lucetc --opt-level {opt} failed ({rc}): {err.strip()[:600]}'
        rc, hout, herr = run([tools.harness, so], tools.timeout)
        with open(os.path.join(d, f'{tag}ours.O{opt}.txt'), 'w') as f:
            f.write(hout)
        if rc == 'timeout':
            return 'fail', f'seed {seed}: -O{opt}: harness hangs (>{tools.timeout}s); last: {hout.splitlines()[-1:]}'
        if rc != 0:
            return 'fail', (f'seed {seed}: -O{opt}: harness exit status {rc}: {herr.strip()[:300]}; '
                            f'last: {hout.splitlines()[-1:]}')
        diffs, v128s = compare(parse_harness(hout), theirs)
        if diffs:
            return 'mismatch', f'seed {seed}: -O{opt}: mismatch\n  ' + '\n  '.join(diffs[:10])
        if v128s and not tag:  # a --denan rerun's match makes the seed a skip, not a comparison
            with tools.lock:
                tools.v128_compared += v128s
                tools.v128_seeds.add(seed)
    return 'ok', f'seed {seed}: ok'


def parse_seeds(spec):
    a, _, b = spec.partition('-')
    return range(int(a), int(b or a) + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--lucetc', required=True)
    ap.add_argument('--harness', required=True, help='the fuzz_exec executable')
    ap.add_argument('--wasm-opt', default='wasm-opt')
    ap.add_argument('--wasm-validate', default='wasm-validate')
    ap.add_argument('--seeds', default='1-100', help='A-B, inclusive')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--opt-levels', default='0,2')
    ap.add_argument('--timeout', type=int, default=60, help='seconds per interpreter/harness run')
    ap.add_argument('--keep-dir', default='fuzz-failures', help='where failing seeds are kept')
    ap.add_argument('--simd', action='store_true', help='modules with SIMD (wasm-opt --enable-simd)')
    ap.add_argument('--min-compared', type=float, default=0.75,
                    help='fail unless at least this fraction of the seeds was compared (not skipped)')
    ap.add_argument('-v', '--verbose', action='store_true')
    args = ap.parse_args()
    tools = Tools(args)
    os.makedirs(args.keep_dir, exist_ok=True)
    args.keep_dir = os.path.abspath(args.keep_dir)
    tools.keep_dir = args.keep_dir
    counts = {'ok': 0, 'skip': 0, 'fail': 0}
    failed = []
    with tempfile.TemporaryDirectory(prefix='lucet-fuzz-') as work:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            # map() yields in seed order as results arrive: the log is deterministic.
            for seed, (status, msg) in pool.map(lambda s: (s, fuzz_seed(s, tools, work)), parse_seeds(args.seeds)):
                counts[status] += 1
                if status == 'fail':
                    failed.append(seed)
                    print('FAIL ' + msg, flush=True)
                elif args.verbose or status == 'skip':
                    print(msg, flush=True)
    print(f"seeds {args.seeds}: {counts['ok']} ok, {counts['skip']} skipped, {counts['fail']} failed"
          + (f": {' '.join(map(str, failed))}" if failed else ''))
    if args.simd:
        print(f'v128 values compared lane by lane: {tools.v128_compared} '
              f'(in {len(tools.v128_seeds)} of the ok seeds, all opt levels)')
    total = sum(counts.values())
    if total == 0 or counts['ok'] < args.min_compared * total:
        print(f"FAIL only {counts['ok']} of {total} seeds compared, fewer than --min-compared {args.min_compared}")
        return 1
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
