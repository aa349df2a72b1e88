"""mvfuzz_gen: the module generator of mvfuzz.py (the differential fuzzer of
multi-value control flow; usage and the oracle are described there).

Seeded random *valid* wasm modules (.wat) with typed blocks/loops/ifs
carrying params and multiple results, br/br_if/br_table carrying values,
loop back edges with params (bounded by counter locals), select, locals,
special constants, int/float arithmetic, conversions and loads/stores on a
1-page memory (binaryen's -ttf, which run_fuzz.py uses, has no block params).
Generator features (--features, each on by default and used by a module with
the probability in FEATURES):
  globals  mutable/immutable globals of the four number types, global.get/set
           anywhere (loops, blocks with params, in-place updates); some are
           exported and checked with (get "gN")
  table    a funcref table with overlapping active elem segments, null slots,
           a second type identical to some function types (call_indirect must
           compare structurally; some function heads name it); call_indirect
           that succeeds (to an earlier function: the call graph stays
           acyclic), mismatches ("indirect call type mismatch"), hits a null
           slot ("uninitialized element") or is past the end ("undefined
           element"), with constant or computed indices
  calls    direct calls reuse values on the stack as arguments; self-recursive
           functions (local 0 is a depth 0..3, at most 2 call sites, none in
           a loop, base case without branches)
  grow     (memory P M) with a max (P may be 0), memory.size, memory.grow by 0,
           1..5, past the max, computed; loads/stores at and past every page
           boundary memory may reach, i.e. in bounds only after a grow
  bulk     memory.fill / memory.copy (overlapping, up to and one past a page
           end, computed lengths), memory.init / data.drop of passive segments
After every function the script invokes 'state' (every global and
memory.size) and, with grow or bulk, 'mread' (hashes of the first 8 KiB,
of memory around 32768 and around each page boundary memory may reach), so
state changes are compared too. A rough cost bound
(COST_BUDGET, counting loop trips and callees) keeps every run short.
"""
import random
import struct

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


def const_text(r, t):
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


class Label:
    def __init__(self, name, types, loop_counter=None):
        self.name = name
        self.types = types           # types a branch to it carries
        self.counter = loop_counter  # counter local for loop labels


ACTS = ['push', 'un', 'bin', 'local', 'select', 'block', 'br_if', 'store', 'call',
        'global', 'call_ind', 'mem', 'bulk']
BASE_W = [3, 3, 4, 2, 2, 5, 4, 1, 1, 2, 1.5, 0.7, 0.8]
# features (--features): each can be switched off; a module uses each one it
# is allowed with the probability given here
FEATURES = {'globals': 0.7, 'table': 0.6, 'calls': 0.6, 'grow': 0.5, 'bulk': 0.5}
# ACTS that need a feature
ACT_FEATURE = {'global': 'globals', 'call_ind': 'table', 'mem': 'grow', 'bulk': 'bulk'}
PAGE = 65536
# rough cost (wasm instructions run) allowed per function, counting callees
# and loop trip counts, so that every run stays short in wasm-interp
COST_BUDGET = 60000
REC_MULT = 15     # activations of a self-recursive function (depth <= 3, <= 2 call sites, none in a loop)
# wabt's trap texts -> the spec's (spec_runner knows the latter)
TRAP_TEXT = [('indirect call signature mismatch', 'indirect call type mismatch'),
             ('uninitialized table element', 'uninitialized element'),
             ('undefined table index', 'undefined element')]


class Module:
    def __init__(self, rng, features=None):
        self.rng = rng
        feats = FEATURES if features is None else features
        self.feat = {f: (f in feats and rng.random() < FEATURES[f]) for f in FEATURES}
        # per-module profile: each action's weight scaled by 0..3 (half the modules keep the base mix)
        if rng.random() < 0.5:
            self.weights = list(BASE_W)
        else:
            self.weights = [w * rng.choice([0.2, 0.5, 1, 2, 3]) for w in BASE_W]
        for i, a in enumerate(ACTS):
            if a in ACT_FEATURE and not self.feat[ACT_FEATURE[a]]:
                self.weights[i] = 0
        self.nlocals = rng.choice([1, 1, 2, 3])
        self.types = {}   # (params, results) -> name
        self.dup_types = {}  # (params, results) -> name of a second, identical type
        self.funcs = []   # (name, params, results) of the functions generated so far
        self.sigs = []    # (params, results, recursive) of every function
        self.func_type = {}  # function index -> type name its head names, if any
        self.cost = []    # cost estimate of each generated function
        # memory: pages, max pages (always declared, so that growth is bounded)
        if self.feat['grow']:
            self.pages = rng.choice([1] * 8 + [2, 2, 0])
            self.max_pages = self.pages + rng.choice([1, 2, 3, 3])
        else:
            self.pages = 1
            self.max_pages = rng.choice([None, None, 1, 2])
        self.mem_bytes = self.pages * PAGE
        # globals: (name, type, mutable, init text, exported)
        self.globals = []
        if self.feat['globals']:
            for k in range(rng.randint(1, 8)):
                t = rng.choice(TYPES)
                self.globals.append(('$g%d' % k, t, rng.random() < 0.75, const_text(rng, t),
                                     rng.random() < 0.3))
        self.table = []   # slot -> function index or None
        self.elems = []   # (offset, [function indices])
        self.passive = []  # passive data segments (bytes)

    def typeref(self, params, results, dup_ok=True):
        key = (tuple(params), tuple(results))
        if dup_ok and key in self.dup_types and self.rng.random() < 0.5:
            return self.dup_types[key]
        if key not in self.types:
            self.types[key] = '$t%d' % len(self.types)
        return self.types[key]

    def setup_table(self):
        rng = self.rng
        n = rng.randint(2, 12)
        self.table = [None] * n
        for _ in range(rng.randint(1, 3)):
            off = rng.randint(0, n - 1)
            ln = rng.randint(1, n - off)
            fs = [rng.randrange(len(self.sigs)) for _ in range(ln)]
            self.elems.append((off, fs))
            for k, f in enumerate(fs):
                self.table[off + k] = f
        # a second type identical to some function's type: call_indirect and
        # function heads naming either must match (types compare structurally)
        for i, (params, results, rec) in enumerate(self.sigs):
            key = (tuple(params), tuple(results))
            if rng.random() < 0.3:
                self.typeref(params, results, dup_ok=False)
                if key not in self.dup_types:
                    self.dup_types[key] = '$d%d' % len(self.dup_types)
            if rng.random() < 0.3:
                self.func_type[i] = self.typeref(params, results)

    def boundaries(self):
        """Page boundaries memory may have (bytes)."""
        top = self.max_pages if self.feat['grow'] else self.pages
        return [k * PAGE for k in range(1, max(top, 1) + 1)]

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
    def __init__(self, mod, name, params, results, fuel, idx=None, recursive=False):
        self.mod, self.rng = mod, mod.rng
        self.params, self.results = params, results
        self.idx = idx
        self.recursive = recursive
        self.selfcalls = 0
        self.in_base = False     # in a recursive function's base case: no self-calls
        self.mult_max = 1
        self.call_cost = 0       # cost of the calls made (times loop trips)
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
        return const_text(self.rng, t)

    # ---- expressions: push exactly one value of type t onto the stack, return nd flag
    def expr(self, t, depth):
        if depth >= 4 or self.fuel <= 0 or self.rng.random() < 0.3:
            return self.leaf(t, depth + 1)
        S = []
        self.walk(S, [t], depth + 1, steps=self.rng.randint(1, 3), allow_term=False)
        return S[0][1]

    def leaf(self, t, depth):
        r = self.rng.random()
        mod = self.mod
        if mod.globals and self.chance(0.12):
            gs = [g for g in mod.globals if g[1] == t]
            if gs:
                self.emit('global.get %s' % self.rng.choice(gs)[0])
                return t in FLOATS
        if t == I32 and mod.feat['grow'] and self.chance(0.08):
            if self.chance(0.5) or depth > 5:
                self.emit('memory.size')
            else:
                self.grow(depth)
            return False
        if r < 0.45 or depth > 5:
            self.emit(self.const(t))
            return False
        if r < 0.8:
            self.emit('local.get %d' % self.rng.choice(self.locals_of(t)))
            return t in FLOATS
        self.load(t, depth)
        return False

    def grow(self, depth):
        """memory.grow by 0, a little, past the max or a computed amount; pushes the i32 result."""
        r = self.rng.random()
        if r < 0.8:
            self.emit('i32.const %d' % self.rng.choice([0, 0, 1, 1, 1, 2, 3, 4, 5, 0x10000, -1, 0x7fffffff]))
        else:
            self.expr(I32, depth + 1)
            self.emit('i32.const %d' % self.rng.choice([1, 3]))
            self.emit('i32.and')
        self.emit('memory.grow')

    def address(self, size, depth):
        """Emit an i32 address; return (offset immediate text)."""
        r = self.rng.random()
        off = 0
        mod = self.mod
        if mod.feat['grow'] and r < 0.06:
            # in a page memory only has after a grow (or at a boundary)
            b = self.rng.choice(mod.boundaries())
            a = b + self.rng.choice([-size, -size + 1, 0, 0, 4, 100, 1000, self.rng.randint(0, PAGE - 64),
                                     PAGE - size, PAGE - size + 1])
            a = max(0, a)
            if self.chance(0.3):
                off = self.rng.randint(0, min(a, 40))
            self.emit('i32.const %d' % (a - off))
            return ' offset=%d' % off if off else ''
        if r < 0.025 or (mod.feat['grow'] and r < 0.08):   # at the very end: in bounds exactly or trapping
            end = self.rng.choice(mod.boundaries()) - size + self.rng.randint(0, size)
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
            if a in ('block', 'br_if', 'store', 'call', 'global', 'call_ind', 'mem', 'bulk') and S == []:
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
        elif a == 'global':
            self.global_op(S, depth)
        elif a == 'call_ind':
            self.call_indirect(S, depth)
        elif a == 'mem':
            self.mem_op(S, depth)
        elif a == 'bulk':
            self.bulk_op(S, depth)

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
            self.mult_max = max(self.mult_max, self.mult() * 5)
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

    def mult(self):
        """Bound on how often code at this point runs per call of the function."""
        return 5 ** sum(1 for l in self.labels if l.counter is not None)

    def in_loop(self):
        return any(l.counter is not None for l in self.labels)

    def affordable(self, j):
        return self.call_cost + self.mult() * self.mod.cost[j] <= COST_BUDGET

    def call(self, S, depth):
        mod = self.mod
        if (self.recursive and self.selfcalls < 2 and not self.in_loop() and not self.in_base
                and mod.feat['calls'] and self.chance(0.5)):
            # bounded self-recursion: the depth parameter (local 0, in 0..3) decreases
            self.selfcalls += 1
            self.emit('local.get 0')
            self.emit('i32.const 1')
            self.emit('i32.sub')
            for t in self.params[1:]:
                self.expr(t, depth)
            self.emit('call %s' % self.name)
            for t in self.results:
                S.append((t, t in FLOATS))
            return
        cands = [k for k in range(len(mod.funcs)) if self.affordable(k)]
        if not cands:
            return
        k = self.rng.choice(cands)
        name, params, results = mod.funcs[k]
        self.call_cost += self.mult() * mod.cost[k]
        if mod.feat['calls']:
            self.push_types(S, list(params), depth)
        else:
            for t in params:
                S.append((t, self.expr(t, depth)))
        del S[len(S) - len(params):]
        self.emit('call %s' % name)
        for t in results:
            S.append((t, t in FLOATS))

    def other_sig(self, params, results):
        """A signature that differs from (params, results), often only slightly."""
        rng = self.rng
        while True:
            p, r = list(params), list(results)
            k = rng.random()
            lst = p if (rng.random() < 0.5 and p) or not r else r
            if k < 0.4 and lst:
                i = rng.randrange(len(lst))
                lst[i] = rng.choice([t for t in TYPES if t != lst[i]])
            elif k < 0.6 and lst:
                lst.pop(rng.randrange(len(lst)))
            elif k < 0.8:
                lst.insert(rng.randint(0, len(lst)), rng.choice(TYPES))
            else:
                p, r = self.rand_types(0, 3), self.rand_types(0, 3)
            if (p, r) != (list(params), list(results)):
                return p, r

    def call_indirect(self, S, depth):
        mod, rng = self.mod, self.rng
        n = len(mod.table)
        if not n:
            return
        sig = lambda j: (list(mod.sigs[j][0]), list(mod.sigs[j][1]))
        okslots = [s for s in range(n) if mod.table[s] is not None and mod.table[s] < self.idx
                   and self.affordable(mod.table[s])]
        kind = rng.choices(['ok', 'mismatch', 'null', 'oob', 'dyn'], [10, 0.7, 0.5, 0.5, 2])[0]
        if kind == 'ok' and not okslots:
            kind = 'dyn'
        if kind == 'null' and None not in mod.table:
            kind = 'oob'
        if kind == 'ok' or (kind == 'dyn' and okslots and rng.random() < 0.85):
            params, results = sig(mod.table[rng.choice(okslots)])
        elif kind == 'mismatch':
            slot = rng.choice([s for s in range(n) if mod.table[s] is not None] or [0])
            if mod.table[slot] is None:
                kind = 'null'
                params, results = self.rand_types(0, 3), self.rand_types(0, 3)
            else:
                params, results = self.other_sig(*sig(mod.table[slot]))
        elif rng.random() < 0.5 and mod.sigs:
            params, results = sig(rng.randrange(len(mod.sigs)))
        else:
            params, results = self.rand_types(0, 3), self.rand_types(0, 3)
        # slots this call may reach at run time: a call that passes the type
        # check must go to an earlier function (the call graph stays acyclic)
        def safe(s):
            if s >= n or mod.table[s] is None:
                return True
            j = mod.table[s]
            return sig(j) != (params, results) or (j < self.idx and self.affordable(j))
        safes = [s for s in range(n + 2) if safe(s)]
        cost = 0
        self.push_types(S, list(params), depth)
        del S[len(S) - len(params):]
        if kind == 'ok':
            s = rng.choice([s for s in okslots if sig(mod.table[s]) == (params, results)])
            self.emit('i32.const %d' % s)
            reach = [s]
        elif kind == 'mismatch':
            self.emit('i32.const %d' % slot)
            reach = []
        elif kind == 'null':
            self.emit('i32.const %d' % rng.choice([s for s in range(n) if mod.table[s] is None]))
            reach = []
        elif kind == 'oob':
            self.emit('i32.const %d' % rng.choice([n, n, n + 1, 0x7fffffff, -1, 0x10000]))
            reach = []
        else:
            if len(safes) == n + 2 and rng.random() < 0.6:
                self.expr(I32, depth + 1)
                self.emit('i32.const %d' % (n + 2 if rng.random() < 0.7 else n))
                self.emit('i32.rem_u')
                reach = list(range(n))
            else:
                # mostly slots whose call succeeds
                good = [s for s in safes if s < n and mod.table[s] is not None
                        and sig(mod.table[s]) == (params, results)]
                a = rng.choice(good if good and rng.random() < 0.7 else safes)
                b = rng.choice(good if good and rng.random() < 0.5 else safes)
                self.emit('i32.const %d' % a)
                self.emit('i32.const %d' % b)
                self.boolish(depth + 1)
                self.emit('select')
                reach = [a, b]
        for s in reach:
            if s < n and mod.table[s] is not None and sig(mod.table[s]) == (params, results):
                cost = max(cost, mod.cost[mod.table[s]])
        self.call_cost += self.mult() * cost
        self.emit('call_indirect (type %s)' % mod.typeref(params, results))
        for t in results:
            S.append((t, t in FLOATS))

    def global_op(self, S, depth):
        mod, rng = self.mod, self.rng
        if not mod.globals:
            return
        muts = [g for g in mod.globals if g[2]]
        r = rng.random()
        if S and r < 0.45:
            t = S[-1][0]
            gs = [g for g in muts if g[1] == t]
            if gs:
                g = rng.choice(gs)
                self.emit('global.set %s' % g[0])
                S.pop()
                if rng.random() < 0.3:   # read it back at once
                    self.emit('global.get %s' % g[0])
                    S.append((t, t in FLOATS))
                return
        if r < 0.7 and muts:
            # update in place, no stack effect: g = g op expr
            g = rng.choice(muts)
            t = g[1]
            self.emit('global.get %s' % g[0])
            S2 = [(t, t in FLOATS), (t, self.expr(t, depth))]
            self.binop(S2)
            t2, nd = S2.pop()
            self.conv_top(t2, t, nd)
            self.emit('global.set %s' % g[0])
            return
        g = rng.choice(mod.globals)
        self.emit('global.get %s' % g[0])
        S.append((g[1], g[1] in FLOATS))

    def mem_op(self, S, depth):
        if self.chance(0.3):
            self.emit('memory.size')
        else:
            self.grow(depth)
        if self.chance(0.4):
            self.emit('drop')
        else:
            S.append((I32, False))

    def bulk_addr(self, depth):
        """An i32 address for a bulk operation; returns its value if known."""
        r = self.rng.random()
        if r < 0.45:
            a = self.rng.choice([0, 1, 3, 8, 16, 64, 100, 255, 1000, 4096, self.rng.randint(0, 600)])
        elif r < 0.8:
            a = self.rng.choice(self.mod.boundaries()) - self.rng.choice([0, 1, 2, 8, 16, 64, 100, 300, 1000])
            a = max(a, 0)
            if self.chance(0.1):
                a += self.rng.choice([1, 8, 1000])
        else:
            self.expr(I32, depth + 1)
            self.emit('i32.const %d' % self.rng.choice([0x3ff, 0xff, 0x1f]))
            self.emit('i32.and')
            return None
        self.emit('i32.const %d' % a)
        return a

    def bulk_len(self, dest, depth):
        r = self.rng.random()
        if r < 0.25 and dest is not None:
            # up to a page boundary, one over, or one short
            b = min([x for x in self.mod.boundaries() if x >= dest] or [dest])
            n = max(0, b - dest + self.rng.choice([0, 0, 1, -1]))
            self.emit('i32.const %d' % n)
        elif r < 0.85:
            self.emit('i32.const %d' % self.rng.choice([0, 0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64,
                                                       100, 255, 256, 1000, 4096, -1]))
        else:
            self.expr(I32, depth + 1)
            self.emit('i32.const 0x7f')
            self.emit('i32.and')

    def bulk_op(self, S, depth):
        rng = self.rng
        r = rng.random()
        if r < 0.4:
            dest = self.bulk_addr(depth)
            self.expr(I32, depth + 1)
            self.bulk_len(dest, depth)
            self.emit('memory.fill')
        elif r < 0.85 or not self.mod.passive:
            dest = self.bulk_addr(depth)
            if dest is not None and rng.random() < 0.6:
                # overlapping copy, either direction
                src = max(0, dest + rng.choice([-17, -8, -3, -1, 1, 2, 4, 7, 16, 33, 0]))
                self.emit('i32.const %d' % src)
            else:
                self.bulk_addr(depth)
            self.bulk_len(dest, depth)
            self.emit('memory.copy')
        else:
            k = rng.randrange(len(self.mod.passive))
            if rng.random() < 0.15:
                self.emit('data.drop %d' % (k + self.mod.nactive))
                return
            ln = len(self.mod.passive[k])
            dest = self.bulk_addr(depth)
            off = rng.choice([0, 0, 1, ln // 2, ln, ln + 1])
            self.emit('i32.const %d' % off)
            self.emit('i32.const %d' % max(0, rng.choice([ln - off, ln - off, 1, 0, ln - off + 1, 2])))
            self.emit('memory.init %d' % (k + self.mod.nactive))

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
        if self.recursive:
            # local 0 is the recursion depth: 0..3 on entry, never written later
            self.reserved.add(0)
            # (d <u 4 ? d : 0): a self-call from depth 0 passes -1, which becomes 0
            self.emit('local.get 0')
            self.emit('i32.const 0')
            self.emit('local.get 0')
            self.emit('i32.const 4')
            self.emit('i32.lt_u')
            self.emit('select')
            self.emit('local.set 0')
            self.emit('local.get 0')
            self.emit('i32.eqz')
            self.emit('if $base')
            self.indent += 1
            self.labels.append(Label('$base', []))
            # leaves only (no fuel): a branch out of this if would run the recursive part
            self.in_base = True
            fuel, self.fuel = self.fuel, 0
            for t in self.results:
                self.expr(t, 3)
            self.fuel = fuel
            self.in_base = False
            self.emit('return')
            self.labels.pop()
            self.indent -= 1
            self.emit('end')
        self.walk(S, self.results, 0, steps=self.rng.randint(3, 10))
        return self.lines

    def total_cost(self):
        c = len(self.lines) * self.mult_max + self.call_cost
        return c * REC_MULT if self.recursive else c


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


def gen_module(seed, features=None):
    rng = random.Random(seed)
    mod = Module(rng, features)
    nf = rng.randint(4, 8)
    # signatures first: the table (and call_indirect) refer to any function
    for i in range(nf):
        params = mod_rand_types(rng, 0, 3)
        results = mod_rand_types(rng, 1, 4)
        rec = mod.feat['calls'] and rng.random() < 0.25
        if rec:
            params = [I32] + params[:2]
        mod.sigs.append((params, results, rec))
    if mod.feat['table']:
        mod.setup_table()
    data = []
    if mod.pages:
        for _ in range(rng.randint(0, 3)):
            off = rng.choice([0, 16, 100, 1000, mod.mem_bytes - 16, rng.randint(0, mod.mem_bytes - 32)])
            n = rng.randint(1, 16)
            data.append((off, bytes(rng.getrandbits(8) for _ in range(n))))
    mod.nactive = len(data)
    if mod.feat['bulk']:
        for _ in range(rng.randint(0, 2)):
            mod.passive.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 20))))
    funcs = []
    for i in range(nf):
        params, results, rec = mod.sigs[i]
        fg = FuncGen(mod, '$f%d' % i, params, results, fuel=rng.randint(10, 45), idx=i, recursive=rec)
        body = fg.gen()
        mod.cost.append(fg.total_cost())
        args = []
        for t in params:
            args.append(arg_const(rng, t))
        funcs.append(('$f%d' % i, 'f%d' % i, params, results, fg.locals[len(params):], body, args))
        mod.funcs.append(('$f%d' % i, params, results))
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


def readers(mod):
    """State readers invoked after every function: (export, results, body lines).
    'state': every global and memory.size; 'mread': hashes of the regions
    constant addresses and bulk operations reach (-1 for a region not all in
    bounds)."""
    out = []
    if mod.globals or mod.feat['grow']:
        body = ['    global.get %s' % g[0] for g in mod.globals] + ['    memory.size']
        out.append(('state', [g[1] for g in mod.globals] + [I32], body))
    if mod.feat['grow'] or mod.feat['bulk']:
        bs = mod.boundaries()
        # where constant addresses (plus offsets) and bulk operations land
        regions = [(0, 8192), (32768 - 64, 320)] + [(b - 64, 128) for b in bs[:-1]] + [(bs[-1] - 256, 256)]
        body = []
        for p, n in regions:
            body += ['    i32.const %d' % p, '    i32.const %d' % n, '    call $hash']
        out.append(('mread', [I64] * len(regions), body))
    return out


HASH_FUNC = """  (func $hash (param $p i32) (param $n i32) (result i64) (local $h i64)
    local.get $p
    i64.extend_i32_u
    local.get $n
    i64.extend_i32_u
    i64.add
    memory.size
    i64.extend_i32_u
    i64.const 16
    i64.shl
    i64.gt_u
    if
      i64.const -1
      return
    end
    i64.const 0xcbf29ce484222325
    local.set $h
    block
      loop
        local.get $n
        i32.eqz
        br_if 1
        local.get $h
        local.get $p
        i64.load
        i64.xor
        i64.const 0x100000001b3
        i64.mul
        local.get $h
        i64.const 29
        i64.shr_u
        i64.xor
        local.set $h
        local.get $p
        i32.const 8
        i32.add
        local.set $p
        local.get $n
        i32.const 8
        i32.sub
        local.set $n
        br 0
      end
    end
    local.get $h
  )"""


def commands(mod, funcs):
    """What runs, in order: (oracle export, wast export, function, args, results)."""
    rd = readers(mod)
    out = []
    for name, exp, params, results, locs, body, args in funcs:
        out.append((exp, exp, name, args, results))
        for rexp, rres, _ in rd:
            out.append(('%s_%s' % (rexp, exp), rexp, '$' + rexp, [], rres))
    return out


def module_text(mod, funcs, data, oracle):
    out = ['(module']
    for (params, results), name in sorted(mod.types.items(), key=lambda kv: int(kv[1][2:])):
        out.append('  (type %s (func%s%s))' % (name, ''.join(' (param %s)' % t for t in params),
                                            ''.join(' (result %s)' % t for t in results)))
    for (params, results), name in sorted(mod.dup_types.items(), key=lambda kv: int(kv[1][2:])):
        out.append('  (type %s (func%s%s))' % (name, ''.join(' (param %s)' % t for t in params),
                                            ''.join(' (result %s)' % t for t in results)))
    if mod.max_pages is None:
        out.append('  (memory %d)' % mod.pages)
    else:
        out.append('  (memory %d %d)' % (mod.pages, mod.max_pages))
    for name, t, mut, init, exported in mod.globals:
        ty = '(mut %s)' % t if mut else t
        exp = ' (export "%s")' % name[1:] if exported and not oracle else ''
        out.append('  (global %s%s %s (%s))' % (name, exp, ty, init))
    if mod.table:
        out.append('  (table %d funcref)' % len(mod.table))
        for off, fs in mod.elems:
            out.append('  (elem (i32.const %d) func %s)' % (off, ' '.join('$f%d' % f for f in fs)))
    for off, b in data:
        out.append('  (data (i32.const %d) "%s")' % (off, ''.join('\\%02x' % x for x in b)))
    for b in mod.passive:
        out.append('  (data "%s")' % ''.join('\\%02x' % x for x in b))
    for i, (name, exp, params, results, locs, body, args) in enumerate(funcs):
        tu = ' (type %s)' % mod.func_type[i] if i in mod.func_type else ''
        head = '  (func %s%s%s%s%s%s' % (name, '' if oracle else ' (export "%s")' % exp, tu,
                                         ''.join(' (param %s)' % t for t in params),
                                         ''.join(' (result %s)' % t for t in results),
                                         ''.join(' (local %s)' % t for t in locs))
        out.append(head)
        out.extend(body)
        out.append('  )')
    rd = readers(mod)
    if any(r[0] == 'mread' for r in rd):
        out.append(HASH_FUNC)
    for rexp, rres, body in rd:
        out.append('  (func $%s%s%s' % (rexp, '' if oracle else ' (export "%s")' % rexp,
                                        ''.join(' (result %s)' % t for t in rres)))
        out.extend(body)
        out.append('  )')
    if oracle:
        for oexp, wexp, name, args, results in commands(mod, funcs):
            ires = [INT_OF[t] if t in FLOATS else t for t in results]
            out.append('  (func (export "%s")%s%s' % (oexp, ''.join(' (result %s)' % t for t in ires),
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
