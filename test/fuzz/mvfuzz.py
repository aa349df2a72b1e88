#!/usr/bin/env python3
"""mvfuzz: differential fuzzer for lucetc focused on multi-value control flow.

Generates seeded random *valid* wasm modules (.wat) with typed blocks/loops/ifs
carrying params and multiple results, br/br_if/br_table carrying values,
loop back edges with params (bounded by counter locals), select, locals,
special constants, int/float arithmetic, conversions and loads/stores on a
1-page memory (binaryen's -ttf, which run_fuzz.py uses, has no block params).
Generator features (--features; mvfuzz_gen.py describes each): globals, table,
calls, grow, bulk. After every function the script invokes 'state' (every global and
memory.size) and, with grow or bulk, 'mread' (hashes of the first 8 KiB,
of memory around 32768 and around each page boundary memory may reach), so
state changes are compared too. A rough cost bound
(COST_BUDGET, counting loop trips and callees) keeps every run short.
The oracle is wabt's wasm-interp, run on a twin of the module whose exports
return floats as bits; its results become a .wast script of
assert_return/assert_trap commands run through lucet's spec_runner (a quiet
NaN result is expected as nan:arithmetic, any other value exactly). wabt's trap
texts for call_indirect are mapped to the spec's (TRAP_TEXT).

Usage:
  mvfuzz.py gen SEED [--out DIR] [--features LIST]
                                            write DIR/mvN.wat and DIR/mvN.wast
  mvfuzz.py run --seeds 1-200 --spec-runner PATH [--configs gcc:0,gcc:2,clang:0,clang:2]
                [--extra-every N] [--keep-dir DIR] [--features globals,table,calls,grow,bulk]
                                            failing cases (.wat, .wast, runner output) go to DIR
  mvfuzz.py check FILE.wast --spec-runner PATH [--configs ...]
A configuration is cc:level[:split][:regvars] (split: --split-chunk-bytes 64,
regvars: --register-vars). Exit status 1 when any case fails. Standard library only.

Memory after a trap is exact only at -O0 (README, "Traps and memory"): a case
that fails only at -O1/-O2, where a later function reads memory that a trapped
call should have written first, is that documented freedom (seed 2227 at gcc
-O2: a store followed by an out-of-bounds load), not a miscompile.
The same holds for globals (seed 5045 at clang -O2: global.set, an
out-of-bounds store, global.set again: cc deletes the first, dead, store).
`run` marks a failure at -O1/-O2 whose first failing assertion follows an
assert_trap while -O0 passed; check those against this freedom.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mvfuzz_gen import (F32, F64, FEATURES, FLOATS, I32, I64, INT_OF, TRAP_TEXT,  # noqa: E402
                        commands, fmt_float, gen_module, module_text)


def run_oracle(wat_text, work):
    wat = os.path.join(work, 'oracle.wat')
    wasm = os.path.join(work, 'oracle.wasm')
    with open(wat, 'w') as f:
        f.write(wat_text)
    p = subprocess.run([TOOLS['wat2wasm'], wat, '-o', wasm], capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError('wat2wasm failed on oracle module:\n' + p.stderr)
    p = subprocess.run([TOOLS['wasm-interp'], wasm, '--run-all-exports'], capture_output=True, text=True,
                       timeout=60)
    res = {}
    for line in p.stdout.splitlines():
        m = re.match(r'(\w+)\(\) =>\s*(.*)$', line)
        if not m:
            continue
        name, rest = m.groups()
        if rest.startswith('error: '):
            res[name] = ('trap', rest[len('error: '):])
        else:
            vals = []
            for item in rest.split(', ') if rest else []:
                t, v = item.split(':')
                vals.append((t, int(v)))
            res[name] = ('ok', vals)
    return res, p


def expect_text(t, bits):
    if t == I32:
        return '(i32.const 0x%x)' % bits
    if t == I64:
        return '(i64.const 0x%x)' % bits
    if t == F32:
        if (bits & 0x7f800000) == 0x7f800000 and bits & 0x7fffff:
            if bits & 0x400000:
                return '(f32.const nan:arithmetic)'
        return '(f32.const %s)' % fmt_float(F32, bits)
    if (bits >> 52) & 0x7ff == 0x7ff and bits & ((1 << 52) - 1):
        if bits & (1 << 51):
            return '(f64.const nan:arithmetic)'
    return '(f64.const %s)' % fmt_float(F64, bits)


def spec_trap_text(msg):
    for wabt, spec in TRAP_TEXT:
        if msg.startswith(wabt):
            return spec
    return msg


def make_case(seed, outdir, features=None):
    mod, funcs, data = gen_module(seed, features)
    test_text = module_text(mod, funcs, data, oracle=False)
    oracle_text = module_text(mod, funcs, data, oracle=True)
    work = tempfile.mkdtemp(dir=outdir)
    try:
        res, p = run_oracle(oracle_text, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [test_text]
    n = 0
    traps = 0
    exported = [g for g in mod.globals if g[4]]
    gidx = {g[0]: k for k, g in enumerate(mod.globals)}
    for oexp, wexp, name, args, results in commands(mod, funcs):
        if oexp not in res:
            raise RuntimeError('oracle gave no result for %s:\n%s\n%s' % (oexp, p.stdout[-3000:], p.stderr[-3000:]))
        kind, v = res[oexp]
        inv = '(invoke "%s"%s)' % (wexp, ''.join(' (%s)' % a for a in args))
        if kind == 'trap':
            lines.append('(assert_trap %s "%s")' % (inv, spec_trap_text(v)))
            traps += 1
        else:
            exps = ' '.join(expect_text(t, bits) for t, (_, bits) in zip(results, v))
            lines.append('(assert_return %s %s)' % (inv, exps))
            if wexp == 'state':
                for g in exported:
                    k = gidx[g[0]]
                    lines.append('(assert_return (get "%s") %s)' % (g[0][1:], expect_text(g[1], v[k][1])))
                    n += 1
        n += 1
    path = os.path.join(outdir, 'mv%d.wast' % seed)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(outdir, 'mv%d.wat' % seed), 'w') as f:
        f.write(test_text)
    return path, n, traps


# Tool paths (command-line options; defaults from PATH).
TOOLS = {'spec-runner': None, 'wast2json': 'wast2json', 'wat2wasm': 'wat2wasm', 'wasm-interp': 'wasm-interp'}


def run_spec(path, cc, level, extra=()):
    cc_path = shutil.which(cc)
    if not cc_path:
        return False, 'mvfuzz: no C compiler %s on PATH' % cc, 0
    env = dict(os.environ, CC=cc_path)
    cmd = [TOOLS['spec-runner'], '--wast2json', TOOLS['wast2json'], '--wat2wasm', TOOLS['wat2wasm'],
           '-O', str(level), '-j', '1', '--show-failures', '50', '--timeout', '120'] + list(extra) + [path]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    m = re.search(r'^(\d+) passed, (\d+) failed, (\d+) skipped', p.stdout, re.M)
    ok = p.returncode == 0 and m and m.group(2) == '0' and m.group(3) == '0'
    return ok, p.stdout + p.stderr, (int(m.group(1)) if m else 0)


def after_trap(path, txt):
    """Whether the first failing assertion of a spec_runner output comes after an assert_trap."""
    m = re.search(r'^\s*line (\d+):', txt, re.M)
    if not m:
        return False
    with open(path) as f:
        lines = f.read().split('\n')[:int(m.group(1)) - 1]
    return any(l.startswith('(assert_trap') for l in lines)


def parse_configs(s):
    out = []
    for c in s.split(','):
        parts = c.split(':')
        cc, lvl = parts[0], int(parts[1])
        extra = []
        for x in parts[2:]:
            if x == 'split':
                extra += ['--split-chunk-bytes', '64']
            elif x == 'regvars':
                extra += ['--register-vars']
        out.append((c, cc, lvl, extra))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('cmd', choices=['gen', 'run', 'check'])
    ap.add_argument('arg', nargs='?')
    ap.add_argument('--seeds', default='1-10')
    ap.add_argument('--out', default=None)
    ap.add_argument('--configs', default='gcc:0,gcc:2,clang:0,clang:2')
    ap.add_argument('--extra-configs', default='gcc:2:split,clang:2:regvars,gcc:0:regvars,clang:0:split')
    ap.add_argument('--extra-every', type=int, default=4)
    ap.add_argument('--keep-dir', default=None, help='where failing cases are kept (run)')
    ap.add_argument('--features', default=','.join(FEATURES),
                    help='generator features allowed (comma-separated, default all: %(default)s; "" for none)')
    for tool in TOOLS:
        ap.add_argument('--' + tool, default=TOOLS[tool])
    a = ap.parse_args()
    for tool in TOOLS:
        path = getattr(a, tool.replace('-', '_'))
        TOOLS[tool] = shutil.which(path) if path else None
        if TOOLS[tool] is None and (tool != 'spec-runner' or a.cmd != 'gen'):
            ap.error('--%s: %s not found' % (tool, path))
    feats = set(f for f in a.features.split(',') if f)
    if feats - set(FEATURES):
        ap.error('--features: unknown %s' % ','.join(sorted(feats - set(FEATURES))))
    if a.cmd == 'gen':
        out = a.out or '.'
        os.makedirs(out, exist_ok=True)
        path, n, traps = make_case(int(a.arg), out, feats)
        print(path, n, 'assertions,', traps, 'traps')
        return
    configs = parse_configs(a.configs)
    extra_configs = parse_configs(a.extra_configs) if a.extra_configs else []
    if a.cmd == 'check':
        bad = False
        for name, cc, lvl, extra in configs + extra_configs:
            ok, txt, npass = run_spec(a.arg, cc, lvl, extra)
            print('==', name, 'OK' if ok else 'FAIL')
            if not ok:
                print(txt)
                bad = True
        sys.exit(1 if bad else 0)
    # Each run in a fresh directory of its own; failing cases are copied to
    # --keep-dir (else left in that directory, whose path is printed).
    out = tempfile.mkdtemp(prefix='mvfuzz-')
    keep = a.keep_dir
    lo, hi = map(int, a.seeds.split('-'))
    stats = {}
    fails = []
    for seed in range(lo, hi + 1):
        try:
            path, n, traps = make_case(seed, out, feats)
        except Exception as e:
            print('seed %d: generator/oracle error: %s' % (seed, str(e)[:2000]))
            fails.append((seed, 'gen', str(e)[:200]))
            continue
        cfgs = list(configs)
        if a.extra_every and extra_configs and seed % a.extra_every == 0:
            # one extra configuration per time, in turn
            cfgs.append(extra_configs[(seed // a.extra_every) % len(extra_configs)])
        bad = False
        levels_ok = {}
        for name, cc, lvl, extra in cfgs:
            ok, txt, npass = run_spec(path, cc, lvl, extra)
            levels_ok.setdefault(lvl, []).append(ok)
            st = stats.setdefault(name, [0, 0, 0])
            st[0] += 1
            st[1] += n
            if not ok:
                st[2] += 1
                bad = True
                fails.append((seed, name, ''))
                with open(os.path.join(out, 'mv%d.%s.fail' % (seed, name.replace(':', '_'))), 'w') as f:
                    f.write(txt)
                note = ''
                if lvl > 0 and all(levels_ok.get(0, [False])) and after_trap(path, txt):
                    # README "Traps and memory": state written before a trap
                    # may be missing at -O1/-O2
                    note = ' (after a trap, -O0 passes: check for the documented post-trap freedom)'
                print('seed %d %s FAIL%s\n%s' % (seed, name, note, '\n'.join(txt.splitlines()[:12])))
        if bad and keep:
            os.makedirs(keep, exist_ok=True)
            for fn in os.listdir(out):
                if fn.startswith('mv%d.' % seed):
                    shutil.copy(os.path.join(out, fn), keep)
        if not bad or keep:
            for fn in os.listdir(out):
                if fn.startswith('mv%d.' % seed):
                    os.remove(os.path.join(out, fn))
        print('seed %d: %d assertions (%d traps)%s' % (seed, n, traps, ' FAIL' if bad else ''), flush=True)
    print('stats (config: modules, assertions, failing modules):')
    for k, v in stats.items():
        print('  %s: %d %d %d' % (k, *v))
    if fails:
        print('failures:', fails, '; cases in', keep or out)
        sys.exit(1)
    shutil.rmtree(out, ignore_errors=True)
    print('no failures')


if __name__ == '__main__':
    main()
