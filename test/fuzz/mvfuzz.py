#!/usr/bin/env python3
"""mvfuzz: differential fuzzer for lucetc focused on multi-value control flow.

Generates seeded random *valid* wasm modules (.wat) with typed blocks/loops/ifs
carrying params and multiple results, br/br_if/br_table carrying values,
loop back edges with params (bounded by counter locals), select, locals,
special constants, int/float arithmetic, conversions and loads/stores on a
1-page memory (binaryen's -ttf, which run_fuzz.py uses, has no block params).
The oracle is wabt's wasm-interp, run on a twin of the module whose exports
return floats as bits; its results become a .wast script of
assert_return/assert_trap commands run through lucet's spec_runner (a quiet
NaN result is expected as nan:arithmetic, any other value exactly).

Usage:
  mvfuzz.py gen SEED [--out DIR]            write DIR/mvN.wat and DIR/mvN.wast
  mvfuzz.py run --seeds 1-200 --spec-runner PATH [--configs gcc:0,gcc:2,clang:0,clang:2]
                [--extra-every N] [--keep-dir DIR]
                                            failing cases (.wat, .wast, runner output) go to DIR
  mvfuzz.py check FILE.wast --spec-runner PATH [--configs ...]
A configuration is cc:level[:split][:regvars] (split: --split-chunk-bytes 64,
regvars: --register-vars). Exit status 1 when any case fails. Standard library only.

Memory after a trap is guaranteed exact only at -O0 (README, "Traps and
memory"): a case that fails only at -O1/-O2, where a later function reads
memory that a trapped call should have written first, may be that documented
freedom rather than a miscompile; report it all the same. Seed 2227 was one
(gcc -O2: a store, then an out-of-bounds load scheduled above it); it passes
since lucetc gives gcc -fno-schedule-insns2 (test fuzz-multivalue-2227).
"""
import argparse
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile

I32, I64, F32, F64 = 'i32', 'i64', 'f32', 'f64'
TYPES = [I32, I64, F32, F64]
FLOATS = (F32, F64)
MEM_BYTES = 65536

I32_SPECIAL = [0, 1, -1, 2, -2, 0x7fffffff, -0x80000000, 31, 32, 33, 63, 64, 0xff, 0x100, 0xffff, 0x10000,
               7, -7, 3, 0x55555555, -0x55555556, 0x7fffff]
I64_SPECIAL = [0, 1, -1, 2, -2, 0x7fffffffffffffff, -0x8000000000000000, 31, 32, 63, 64, 65, 0xffffffff,
               0x100000000, -0x100000000, 0x7fffffff, -0x80000000, 0x8000000000000001 - (1 << 64), 5, -5,
               0x1fffffffffffff, 0x20000000000001]
F32_SPECIAL = ['0', '-0', '1', '-1', '0.5', '-0.5', '1.5', '2.5', '-2.5', 'inf', '-inf', 'nan', '-nan',
               'nan:0x200000', '-nan:0x200000', 'nan:0x1', 'nan:0x400001', '-nan:0x7fffff', 'nan:0x3fffff',
               '0x1p-149', '-0x1p-149', '0x1.fffffep+127', '-0x1.fffffep+127', '0x1p-126', '2147483648',
               '-2147483648', '-2147483904', '4294967296', '9223372036854775808', '-9223372036854775808',
               '0x1.fffffep+30', '16777217', '0.1', '-3.75', '1e10', '-1e-10', '0x1.fffffep+22']
F64_SPECIAL = ['0', '-0', '1', '-1', '0.5', '-0.5', '1.5', '2.5', '-2.5', 'inf', '-inf', 'nan', '-nan',
               'nan:0x4000000000000', '-nan:0x4000000000000', 'nan:0x1', 'nan:0x8000000000001',
               '-nan:0xfffffffffffff', 'nan:0x7ffffffffffff', '0x0.0000000000001p-1022', '-0x0.0000000000001p-1022',
               '0x1.fffffffffffffp+1023', '0x1p-1022', '2147483647.5', '-2147483648.5', '-2147483649',
               '4294967295.9', '4294967296', '9223372036854775808', '-9223372036854775808',
               '18446744073709551616', '0x1.fffffffffffffp+52', '9007199254740993', '0.1', '-3.75', '1e300',
               '-1e-300', '0x1p+63']

INT_UN = ['clz', 'ctz', 'popcnt']
INT_BIN_SAFE = ['add', 'sub', 'mul', 'and', 'or', 'xor', 'shl', 'shr_s', 'shr_u', 'rotl', 'rotr']
INT_DIV = ['div_s', 'div_u', 'rem_s', 'rem_u']
INT_CMP = ['eq', 'ne', 'lt_s', 'lt_u', 'gt_s', 'gt_u', 'le_s', 'le_u', 'ge_s', 'ge_u']
FL_UN = ['abs', 'neg', 'ceil', 'floor', 'trunc', 'nearest', 'sqrt']
FL_BIN = ['add', 'sub', 'mul', 'div', 'min', 'max', 'copysign']
FL_CMP = ['eq', 'ne', 'lt', 'gt', 'le', 'ge']
SIZE = {I32: 4, I64: 8, F32: 4, F64: 8}
INT_OF = {F32: I32, F64: I64, I32: F32, I64: F64}


class Label:
    def __init__(self, name, types, loop_counter=None):
        self.name = name
        self.types = types           # types a branch to it carries
        self.counter = loop_counter  # counter local for loop labels


ACTS = ['push', 'un', 'bin', 'local', 'select', 'block', 'br_if', 'store', 'call']
BASE_W = [3, 3, 4, 2, 2, 5, 4, 1, 1]


class Module:
    def __init__(self, rng):
        self.rng = rng
        # per-module profile: each action's weight scaled by 0..3 (half the modules keep the base mix)
        if rng.random() < 0.5:
            self.weights = list(BASE_W)
        else:
            self.weights = [w * rng.choice([0.2, 0.5, 1, 2, 3]) for w in BASE_W]
        self.nlocals = rng.choice([1, 1, 2, 3])
        self.types = {}   # (params, results) -> name
        self.funcs = []   # (name, params, results)

    def blocktype(self, params, results):
        r = self.rng.random()
        if not params and len(results) <= 1 and r < 0.5:
            return ''.join(' (result %s)' % t for t in results)
        if r < 0.3:
            return ''.join(' (param %s)' % t for t in params) + ''.join(' (result %s)' % t for t in results)
        key = (tuple(params), tuple(results))
        if key not in self.types:
            self.types[key] = '$t%d' % len(self.types)
        return ' (type %s)' % self.types[key]


class FuncGen:
    def __init__(self, mod, name, params, results, fuel):
        self.mod, self.rng = mod, mod.rng
        self.params, self.results = params, results
        self.locals = list(params)
        for t in TYPES:
            for _ in range(self.rng.randint(1, mod.nlocals)):
                self.locals.append(t)
        self.reserved = set()    # loop counters: never written but by their guards
        self.lines = []
        self.indent = 2
        self.fuel = fuel
        self.nlabel = 0
        self.labels = []
        self.name = name

    # ---- helpers
    def emit(self, s):
        self.lines.append('  ' * self.indent + s)

    def new_local(self, t):
        self.locals.append(t)
        return len(self.locals) - 1

    def locals_of(self, t, write=False):
        return [i for i, lt in enumerate(self.locals) if lt == t and not (write and i in self.reserved)]

    def chance(self, p):
        return self.rng.random() < p

    def const(self, t):
        r = self.rng
        if t == I32:
            v = r.choice(I32_SPECIAL) if r.random() < 0.7 else r.randint(-0x80000000, 0x7fffffff)
            return 'i32.const %d' % v
        if t == I64:
            v = r.choice(I64_SPECIAL) if r.random() < 0.7 else r.randint(-(1 << 63), (1 << 63) - 1)
            return 'i64.const %d' % v
        if t == F32:
            if r.random() < 0.75:
                return 'f32.const %s' % r.choice(F32_SPECIAL)
            return 'f32.const %s' % fmt_float(F32, r.getrandbits(32) if r.random() < 0.3 else
                                             struct.unpack('<I', struct.pack('<f', r.uniform(-100, 100)))[0])
        if r.random() < 0.75:
            return 'f64.const %s' % r.choice(F64_SPECIAL)
        return 'f64.const %s' % fmt_float(F64, r.getrandbits(64) if r.random() < 0.3 else
                                         struct.unpack('<Q', struct.pack('<d', r.uniform(-100, 100)))[0])

    # ---- expressions: push exactly one value of type t onto the stack, return nd flag
    def expr(self, t, depth):
        if depth >= 4 or self.fuel <= 0 or self.rng.random() < 0.3:
            return self.leaf(t, depth + 1)
        S = []
        self.walk(S, [t], depth + 1, steps=self.rng.randint(1, 3), allow_term=False)
        return S[0][1]

    def leaf(self, t, depth):
        r = self.rng.random()
        if r < 0.45 or depth > 5:
            self.emit(self.const(t))
            return False
        if r < 0.8:
            self.emit('local.get %d' % self.rng.choice(self.locals_of(t)))
            return t in FLOATS
        self.load(t, depth)
        return False

    def address(self, size, depth):
        """Emit an i32 address; return (offset immediate text)."""
        r = self.rng.random()
        off = 0
        if r < 0.025:   # at the very end: in bounds exactly or trapping
            end = MEM_BYTES - size + self.rng.randint(0, size)
            if self.chance(0.5):
                off = self.rng.randint(0, min(end, 40))
            self.emit('i32.const %d' % (end - off))
        elif r < 0.55:
            self.emit('i32.const %d' % self.rng.choice([0, 1, 3, 4, 8, 13, 16, 64, 100, 255, 1024, 4093, 32768,
                                                       self.rng.randint(0, 512)]))
            off = self.rng.choice([0, 0, 0, 1, 4, 8, 17, 200])
        else:
            self.expr(I32, depth + 1)
            self.emit('i32.const %d' % self.rng.choice([0xff, 0x1ff, 0x3f, 0xfff]))
            self.emit('i32.and')
            off = self.rng.choice([0, 0, 2, 8, 33])
        if off:
            return ' offset=%d' % off
        return ''

    def align(self, size):
        a = self.rng.choice([None, None, 1, 2, 4, 8])
        if a is None or a > size:
            return ''
        return ' align=%d' % a

    def load(self, t, depth):
        r = self.rng.random()
        if t in (I32, I64) and r < 0.4:
            n = self.rng.choice([8, 16] + ([32] if t == I64 else []))
            op = '%s.load%d_%s' % (t, n, self.rng.choice('su'))
            size = n // 8
        else:
            op = '%s.load' % t
            size = SIZE[t]
        off = self.address(size, depth)
        self.emit(op + off + self.align(size))

    def store(self, S, depth):
        t = self.rng.choice(TYPES)
        if S and self.chance(0.5):
            t, nd = S.pop()
            tmp = self.new_local(t)
            self.emit('local.set %d' % tmp)
            off_txt = None
            narrow = None
            if t in (I32, I64) and self.chance(0.4):
                narrow = self.rng.choice([8, 16] + ([32] if t == I64 else []))
            size = narrow // 8 if narrow else SIZE[t]
            off_txt = self.address(size, depth)
            self.emit('local.get %d' % tmp)
        else:
            narrow = None
            if t in (I32, I64) and self.chance(0.4):
                narrow = self.rng.choice([8, 16] + ([32] if t == I64 else []))
            size = narrow // 8 if narrow else SIZE[t]
            off_txt = self.address(size, depth)
            nd = self.expr(t, depth)
        if t in FLOATS and nd:
            self.canon(t)
        op = '%s.store%s' % (t, narrow or '')
        self.emit(op + off_txt + self.align(size))

    def canon(self, t):
        """Replace a possibly nondeterministic NaN on top of the stack by the canonical NaN."""
        tmp = self.new_local(t)
        self.emit('local.tee %d' % tmp)
        self.emit('%s.const nan' % t)
        self.emit('local.get %d' % tmp)
        self.emit('local.get %d' % tmp)
        self.emit('%s.eq' % t)
        self.emit('select')

    def convert(self, f, t, trapping_ok=False):
        """Emit ops turning a value of type f on top of the stack into type t."""
        r = self.rng
        if f == t:
            return
        if f == I32 and t == I64:
            self.emit(r.choice(['i64.extend_i32_s', 'i64.extend_i32_u']))
        elif f == I64 and t == I32:
            self.emit(r.choice(['i32.wrap_i64', 'i32.wrap_i64', 'i64.eqz']))
        elif f in (I32, I64) and t in FLOATS:
            if INT_OF[f] == t and r.random() < 0.35:
                self.emit('%s.reinterpret_%s' % (t, f))
            else:
                self.emit('%s.convert_%s_%s' % (t, f, r.choice('su')))
        elif f in FLOATS and t in (I32, I64):
            if INT_OF[f] == t and r.random() < 0.35:
                self.emit('%s.reinterpret_%s' % (t, f))
            elif trapping_ok and r.random() < 0.04:
                self.emit('%s.trunc_%s_%s' % (t, f, r.choice('su')))
            else:
                self.emit('%s.trunc_sat_%s_%s' % (t, f, r.choice('su')))
        elif f == F32 and t == F64:
            self.emit('f64.promote_f32')
        elif f == F64 and t == F32:
            self.emit('f32.demote_f64')

    # ---- the stack walk
    def walk(self, S, target, depth, steps=None, allow_term=True):
        """S: list of (type, nd) visible to this walk (mutated). Ends with S == target types
        (or with a terminating branch, after which the code is unreachable: returns True)."""
        rng = self.rng
        if steps is None:
            steps = rng.randint(1, 7) if depth < 4 else rng.randint(0, 2)
        for _ in range(steps):
            if self.fuel <= 0:
                break
            self.fuel -= 1
            self.step(S, depth)
        # terminator?
        if allow_term and rng.random() < 0.25 and self.fuel > 0:
            return self.terminator(S, depth)
        self.finish(S, target, depth)
        return False

    def step(self, S, depth):
        rng = self.rng
        a = rng.choices(ACTS, self.mod.weights)[0]
        if a == 'push' or not S:
            if a in ('block', 'br_if', 'store', 'call') and S == []:
                pass
            else:
                t = rng.choice(TYPES)
                S.append((t, self.leaf(t, depth) if rng.random() < 0.6 else self.expr(t, depth)))
                return
        if a == 'un':
            self.unop(S)
        elif a == 'bin':
            if len(S) >= 2 and S[-1][0] == S[-2][0]:
                self.binop(S)
            else:
                t = S[-1][0]
                S.append((t, self.expr(t, depth)))
                self.binop(S)
        elif a == 'local':
            t, nd = S[-1]
            ls = self.locals_of(t)
            k = rng.random()
            ws = self.locals_of(t, write=True)
            if k < 0.4:
                self.emit('local.tee %d' % rng.choice(ws))
            elif k < 0.7:
                self.emit('local.set %d' % rng.choice(ws))
                S.pop()
            else:
                self.emit('local.get %d' % rng.choice(ls))
                S.append((t, t in FLOATS))
        elif a == 'select':
            if len(S) < 2 or S[-1][0] != S[-2][0]:
                t = S[-1][0]
                S.append((t, self.expr(t, depth)))
            self.expr(I32, depth)
            t = S[-1][0]
            self.emit('select (result %s)' % t if rng.random() < 0.5 else 'select')
            b = S.pop()
            a2 = S.pop()
            S.append((t, a2[1] or b[1]))
        elif a == 'block':
            if depth < 6 and self.fuel > 2:
                self.block(S, depth)
        elif a == 'br_if':
            self.br_if(S, depth)
        elif a == 'store':
            self.store(S, depth)
        elif a == 'call':
            self.call(S, depth)

    def unop(self, S):
        rng = self.rng
        t, nd = S.pop()
        r = rng.random()
        if t in (I32, I64):
            if r < 0.35:
                self.emit('%s.%s' % (t, rng.choice(INT_UN)))
            elif r < 0.5:
                exts = ['extend8_s', 'extend16_s'] + (['extend32_s'] if t == I64 else [])
                self.emit('%s.%s' % (t, rng.choice(exts)))
            elif r < 0.6:
                self.emit('%s.eqz' % t)
                S.append((I32, False))
                return
            else:
                t2 = rng.choice(TYPES)
                self.convert(t, t2, trapping_ok=True)
                S.append((t2, False))
                return
            S.append((t, False))
        else:
            if r < 0.55:
                op = rng.choice(FL_UN)
                self.emit('%s.%s' % (t, op))
                S.append((t, nd or op not in ('abs', 'neg')))
            else:
                t2 = rng.choice(TYPES)
                if t2 in (I32, I64) and INT_OF[t] == t2 and nd:
                    pass  # reinterpret possible: canonicalise first
                if nd and t2 == INT_OF[t]:
                    self.canon(t)
                self.convert(t, t2, trapping_ok=True)
                S.append((t2, t2 in FLOATS and (nd or t2 != t)))

    def binop(self, S):
        rng = self.rng
        b = S.pop()
        a = S.pop()
        t = a[0]
        r = rng.random()
        if t in (I32, I64):
            if r < 0.6:
                self.emit('%s.%s' % (t, rng.choice(INT_BIN_SAFE)))
                S.append((t, False))
            elif r < 0.75:
                op = rng.choice(INT_DIV)
                if rng.random() < 0.93:  # make the divisor safe-ish
                    self.emit('%s.const %d' % (t, rng.choice([1, 3, 0x100])))
                    self.emit('%s.or' % t)
                    if op == 'div_s':
                        op = 'div_u'
                self.emit('%s.%s' % (t, op))
                S.append((t, False))
            else:
                self.emit('%s.%s' % (t, rng.choice(INT_CMP)))
                S.append((I32, False))
        else:
            if r < 0.75:
                op = rng.choice(FL_BIN)
                if op == 'copysign' and b[1]:
                    self.canon(t)
                self.emit('%s.%s' % (t, op))
                S.append((t, a[1] if op == 'copysign' else True))
            else:
                self.emit('%s.%s' % (t, rng.choice(FL_CMP)))
                S.append((I32, False))

    def rand_types(self, lo=0, hi=3):
        return [self.rng.choice(TYPES) for _ in range(self.rng.randint(lo, hi))]

    def block(self, S, depth):
        rng = self.rng
        kind = rng.choice(['block', 'loop', 'loop', 'if'])
        k = rng.randint(0, min(3, len(S)))
        if rng.random() < 0.3:
            k = min(len(S), 1)
        params = [t for t, _ in S[len(S) - k:]]
        pnd = [nd for _, nd in S[len(S) - k:]]
        del S[len(S) - k:]
        results = self.rand_types(0, 3)
        name = '$%s%d' % (kind[0], self.nlabel)
        self.nlabel += 1
        if kind == 'if':
            if rng.random() < 0.2 and self.labels:
                pass
            self.boolish(depth)
            if rng.random() < 0.25:
                results = list(params)  # allow omitting else
        bt = self.mod.blocktype(params, results)
        counter = None
        if kind == 'loop':
            counter = self.new_local(I32)
            self.reserved.add(counter)
            self.emit('i32.const %d' % rng.randint(0, 4))
            self.emit('local.set %d' % counter)
            lab = Label(name, params, counter)
        else:
            lab = Label(name, results)
        self.emit('%s %s%s' % (kind, name, bt))
        self.indent += 1
        self.labels.append(lab)
        inner = [(t, nd or t in FLOATS) for t, nd in zip(params, pnd)]
        if kind == 'loop' and inner and inner[-1][0] in FLOATS and rng.random() < 0.4:
            # A loop param used at once by min/max (the emitter's forms
            # against a constant): a constant on entry, another value on the
            # back edge (loop_params.wast).
            t = inner[-1][0]
            self.expr(t, depth + 1)
            self.emit('%s.%s' % (t, rng.choice(['min', 'max'])))
        self.walk(inner, results, depth + 1)
        if kind == 'if' and (results != params or rng.random() < 0.7):
            self.indent -= 1
            self.emit('else')
            self.indent += 1
            inner = [(t, True) for t in params]
            self.walk(inner, results, depth + 1)
        self.labels.pop()
        self.indent -= 1
        self.emit('end')
        for t in results:
            S.append((t, t in FLOATS))

    def ref(self, lab):
        depth = len(self.labels) - 1 - self.labels.index(lab)
        if lab.name == '$fn' or self.rng.random() < 0.3:
            return str(depth)
        return lab.name

    def loop_guard(self, lab):
        """Emit an i32 that is 0 once the loop counter runs out (decrementing it)."""
        c = lab.counter
        self.emit('local.get %d' % c)
        self.emit('i32.const 1')
        self.emit('i32.sub')
        self.emit('local.tee %d' % c)
        self.emit('i32.const 0')
        self.emit('i32.gt_s')

    def boolish(self, depth):
        """An i32 condition that is true about half the time."""
        r = self.rng.random()
        self.expr(I32, depth)
        if r < 0.35:
            self.emit('i32.const %d' % self.rng.choice([1, 2, 0x80000000, 0x100]))
            self.emit('i32.and')
        elif r < 0.5:
            self.emit('i32.eqz')
        elif r < 0.85:
            t = self.rng.choice(TYPES)
            self.emit('drop')
            self.expr(t, depth)
            self.expr(t, depth)
            self.emit('%s.%s' % (t, self.rng.choice(INT_CMP if t in (I32, I64) else FL_CMP)))
        # else: any i32 (mostly true)

    def cond(self, lab, depth):
        if lab.counter is not None:
            if self.rng.random() < 0.4:
                self.boolish(depth)
                self.loop_guard(lab)
                self.emit('i32.and')
            else:
                self.loop_guard(lab)
        else:
            self.boolish(depth)

    def push_types(self, S, types, depth):
        # reuse the top of S when it matches, else push fresh values
        n = len(types)
        if n and len(S) >= n and [t for t, _ in S[len(S) - n:]] == types and self.rng.random() < 0.6:
            return
        for t in types:
            S.append((t, self.expr(t, depth)))

    def br_if(self, S, depth):
        if not self.labels:
            return
        lab = self.rng.choice(self.labels)
        if self.labels[-1].counter is not None and self.rng.random() < 0.5:
            lab = self.labels[-1]
        self.push_types(S, lab.types, depth)
        self.cond(lab, depth)
        self.emit('br_if %s' % self.ref(lab))

    def call(self, S, depth):
        cands = [f for f in self.mod.funcs]
        if not cands:
            return
        name, params, results = self.rng.choice(cands)
        for t in params:
            S.append((t, self.expr(t, depth)))
        del S[len(S) - len(params):]
        self.emit('call %s' % name)
        for t in results:
            S.append((t, t in FLOATS))

    def terminator(self, S, depth):
        rng = self.rng
        r = rng.random()
        labs = [l for l in self.labels]
        if r < 0.4:
            nonloop = [l for l in labs if l.counter is None]
            lab = rng.choice(nonloop)
            self.finish(S, lab.types, depth)
            self.emit('br %s' % self.ref(lab))
        elif r < 0.8:
            lab = rng.choice(labs)
            same = [l for l in labs if l.types == lab.types]
            safe = [l for l in same if l.counter is None]
            if not safe:
                self.finish(S, lab.types, depth)
                self.cond(lab, depth)
                self.emit('br_if %s' % self.ref(lab))
                self.finish(S, lab.types, depth)  # no-op
                # fall through to a plain br to a non-loop label
                nonloop = [l for l in labs if l.counter is None]
                lab2 = rng.choice(nonloop)
                self.finish(S, lab2.types, depth)
                self.emit('br %s' % self.ref(lab2))
                return True
            n = rng.randint(0, 4)
            targets = [rng.choice(same) for _ in range(n)]
            default = rng.choice(safe)
            self.finish(S, lab.types, depth)
            if any(l.counter is not None for l in targets):
                # index = guard ? rand : n (the default, which is not a loop)
                self.expr(I32, depth)
                self.emit('i32.const %d' % rng.choice([n, n + 1, 0x7fffffff, -1]))
                for l in targets:
                    if l.counter is not None:
                        self.loop_guard(l)
                        break
                self.emit('select')
                # decrement every loop counter of the targets: each taken back edge still
                # lowers the counter checked above, and other loops are guarded the same way
                loops = {l.counter for l in targets if l.counter is not None}
                if len(loops) > 1:
                    # several loops: be safe, require all counters positive
                    first = True
                    for l in targets:
                        if l.counter is not None and l.counter in loops:
                            loops.discard(l.counter)
                            if first:
                                first = False
                                continue
                            self.emit('i32.const %d' % n)
                            self.loop_guard(l)
                            self.emit('select')
            else:
                self.expr(I32, depth)
                if rng.random() < 0.5:
                    self.emit('i32.const %d' % (n + 2))
                    self.emit('i32.rem_u')
            self.emit('br_table %s' % ' '.join([self.ref(l) for l in targets + [default]]))
        elif r < 0.93:
            self.finish(S, self.results, depth)
            self.emit('return')
        else:
            # conditional unreachable: traps rarely
            self.expr(I32, depth)
            self.emit('i32.const 0x7fff1234')
            self.emit('i32.eq')
            self.emit('if')
            self.emit('  unreachable')
            self.emit('end')
            lab = self.labels[-1]
            if lab.counter is None:
                self.finish(S, lab.types, depth)
                self.emit('br %s' % self.ref(lab))
            else:
                self.finish(S, self.results, depth)
                self.emit('return')
            return True
        return True

    def finish(self, S, target, depth):
        """Transform S into exactly the target types, consuming extra values."""
        rng = self.rng
        while True:
            tt = [t for t, _ in S]
            if tt == list(target):
                return
            k = 0
            while k < len(S) and k < len(target) and S[k][0] == target[k]:
                k += 1
            if len(S) > k:
                if len(S) - 1 > k:
                    want = S[-2][0]
                    t, nd = S.pop()
                    self.conv_top(t, want, nd)
                    S.append((want, want in FLOATS))
                    self.binop(S)
                    # binop may produce i32 from a compare; loop continues
                elif k < len(target):
                    t, nd = S.pop()
                    self.conv_top(t, target[k], nd)
                    S.append((target[k], target[k] in FLOATS))
                elif k > 0:
                    want = S[k - 1][0]
                    t, nd = S.pop()
                    self.conv_top(t, want, nd)
                    S.append((want, want in FLOATS))
                    if rng.random() < 0.2:
                        self.emit('drop')
                        S.pop()
                    else:
                        self.binop(S)
                else:
                    self.emit('drop')
                    S.pop()
            else:
                t = target[len(S)]
                S.append((t, self.expr(t, depth)))

    def conv_top(self, t, want, nd):
        if t in FLOATS and nd and want == INT_OF[t]:
            self.canon(t)
        self.convert(t, want)

    def gen(self):
        self.labels = [Label('$fn', self.results)]
        S = []
        self.walk(S, self.results, 0, steps=self.rng.randint(3, 10))
        return self.lines


def fmt_float(t, bits):
    if t == F32:
        sign = bits >> 31
        exp = (bits >> 23) & 0xff
        mant = bits & 0x7fffff
        if exp == 0xff:
            if mant == 0:
                return '-inf' if sign else 'inf'
            return '%snan:0x%x' % ('-' if sign else '', mant)
        v = struct.unpack('<f', struct.pack('<I', bits))[0]
    else:
        sign = bits >> 63
        exp = (bits >> 52) & 0x7ff
        mant = bits & ((1 << 52) - 1)
        if exp == 0x7ff:
            if mant == 0:
                return '-inf' if sign else 'inf'
            return '%snan:0x%x' % ('-' if sign else '', mant)
        v = struct.unpack('<d', struct.pack('<Q', bits))[0]
    if v == 0:
        return '-0x0p+0' if sign else '0x0p+0'
    return v.hex()


def gen_module(seed):
    rng = random.Random(seed)
    mod = Module(rng)
    nf = rng.randint(4, 8)
    funcs = []
    for i in range(nf):
        params = mod_rand_types(rng, 0, 3)
        results = mod_rand_types(rng, 1, 4)
        fg = FuncGen(mod, '$f%d' % i, params, results, fuel=rng.randint(10, 45))
        body = fg.gen()
        args = []
        for t in params:
            args.append(arg_const(rng, t))
        funcs.append(('$f%d' % i, 'f%d' % i, params, results, fg.locals[len(params):], body, args))
        mod.funcs.append(('$f%d' % i, params, results))
    data = []
    for _ in range(rng.randint(0, 3)):
        off = rng.choice([0, 16, 100, 1000, MEM_BYTES - 16, rng.randint(0, MEM_BYTES - 32)])
        n = rng.randint(1, 16)
        data.append((off, bytes(rng.getrandbits(8) for _ in range(n))))
    return mod, funcs, data


def mod_rand_types(rng, lo, hi):
    return [rng.choice(TYPES) for _ in range(rng.randint(lo, hi))]


def arg_const(rng, t):
    if t == I32:
        return 'i32.const %d' % (rng.choice(I32_SPECIAL) if rng.random() < 0.7 else rng.randint(-2**31, 2**31 - 1))
    if t == I64:
        return 'i64.const %d' % (rng.choice(I64_SPECIAL) if rng.random() < 0.7 else rng.randint(-2**63, 2**63 - 1))
    if t == F32:
        return 'f32.const %s' % rng.choice(F32_SPECIAL)
    return 'f64.const %s' % rng.choice(F64_SPECIAL)


def module_text(mod, funcs, data, oracle):
    out = ['(module']
    for (params, results), name in sorted(mod.types.items(), key=lambda kv: int(kv[1][2:])):
        out.append('  (type %s (func%s%s))' % (name, ''.join(' (param %s)' % t for t in params),
                                            ''.join(' (result %s)' % t for t in results)))
    out.append('  (memory 1)')
    for off, b in data:
        out.append('  (data (i32.const %d) "%s")' % (off, ''.join('\\%02x' % x for x in b)))
    for name, exp, params, results, locs, body, args in funcs:
        head = '  (func %s%s%s%s%s' % (name, '' if oracle else ' (export "%s")' % exp,
                                       ''.join(' (param %s)' % t for t in params),
                                       ''.join(' (result %s)' % t for t in results),
                                       ''.join(' (local %s)' % t for t in locs))
        out.append(head)
        out.extend(body)
        out.append('  )')
    if oracle:
        for name, exp, params, results, locs, body, args in funcs:
            ires = [INT_OF[t] if t in FLOATS else t for t in results]
            out.append('  (func (export "%s")%s%s' % (exp, ''.join(' (result %s)' % t for t in ires),
                                                     ''.join(' (local %s)' % t for t in results)))
            for a in args:
                out.append('    %s' % a)
            out.append('    call %s' % name)
            for i in reversed(range(len(results))):
                out.append('    local.set %d' % i)
            for i, t in enumerate(results):
                out.append('    local.get %d' % i)
                if t in FLOATS:
                    out.append('    %s.reinterpret_%s' % (INT_OF[t], t))
            out.append('  )')
    out.append(')')
    return '\n'.join(out) + '\n'


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


def make_case(seed, outdir):
    mod, funcs, data = gen_module(seed)
    test_text = module_text(mod, funcs, data, oracle=False)
    oracle_text = module_text(mod, funcs, data, oracle=True)
    work = tempfile.mkdtemp(dir=outdir)
    try:
        res, p = run_oracle(oracle_text, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = [test_text]
    n = 0
    for name, exp, params, results, locs, body, args in funcs:
        if exp not in res:
            raise RuntimeError('oracle gave no result for %s:\n%s\n%s' % (exp, p.stdout, p.stderr))
        kind, v = res[exp]
        inv = '(invoke "%s"%s)' % (exp, ''.join(' (%s)' % a for a in args))
        if kind == 'trap':
            lines.append('(assert_trap %s "%s")' % (inv, v))
        else:
            exps = ' '.join(expect_text(t, bits) for t, (_, bits) in zip(results, v))
            lines.append('(assert_return %s %s)' % (inv, exps))
        n += 1
    path = os.path.join(outdir, 'mv%d.wast' % seed)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    with open(os.path.join(outdir, 'mv%d.wat' % seed), 'w') as f:
        f.write(test_text)
    return path, n, sum(1 for k, _ in res.values() if k == 'trap')


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
    for tool in TOOLS:
        ap.add_argument('--' + tool, default=TOOLS[tool])
    a = ap.parse_args()
    for tool in TOOLS:
        path = getattr(a, tool.replace('-', '_'))
        TOOLS[tool] = shutil.which(path) if path else None
        if TOOLS[tool] is None and (tool != 'spec-runner' or a.cmd != 'gen'):
            ap.error('--%s: %s not found' % (tool, path))
    if a.cmd == 'gen':
        out = a.out or '.'
        os.makedirs(out, exist_ok=True)
        path, n, traps = make_case(int(a.arg), out)
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
            path, n, traps = make_case(seed, out)
        except Exception as e:
            print('seed %d: generator/oracle error: %s' % (seed, str(e)[:2000]))
            fails.append((seed, 'gen', str(e)[:200]))
            continue
        cfgs = list(configs)
        if a.extra_every and extra_configs and seed % a.extra_every == 0:
            # one extra configuration per time, in turn
            cfgs.append(extra_configs[(seed // a.extra_every) % len(extra_configs)])
        bad = False
        for name, cc, lvl, extra in cfgs:
            ok, txt, npass = run_spec(path, cc, lvl, extra)
            st = stats.setdefault(name, [0, 0, 0])
            st[0] += 1
            st[1] += n
            if not ok:
                st[2] += 1
                bad = True
                fails.append((seed, name, ''))
                with open(os.path.join(out, 'mv%d.%s.fail' % (seed, name.replace(':', '_'))), 'w') as f:
                    f.write(txt)
                print('seed %d %s FAIL\n%s' % (seed, name, '\n'.join(txt.splitlines()[:12])))
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
