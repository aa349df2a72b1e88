#!/bin/bash
# lucet-wasi --invoke NAME [ARGS...]: arguments parsed by the export's
# parameter types, results printed one per line (as wasmtime run --invoke);
# bad input is refused with one line naming what was wrong.
#
#   run_invoke.sh LUCET_WASI WAT2WASM
. "$(dirname "$0")/../lib.sh"
lw=$1 wat2wasm=$2
make_scratch wasi-invoke
export XDG_CACHE_HOME=$scratch/cache
. "$(dirname "$0")/launcher_expect.sh"  # expect STATUS STDERR_SUBSTRING ARGS...

# expect_out STDOUT ARGS...: exit 0 and exactly this on stdout.
expect_out() {
    local want=$1
    shift
    expect 0 "" "$@"
    if [ "$(cat "$scratch/out")" != "$(printf '%b' "$want")" ]; then
        echo "FAIL: lucet-wasi $*: stdout"; cat "$scratch/out"; echo "--- expected"; printf '%b\n' "$want"; fail=1
    fi
}

cat > "$scratch/m.wat" <<'WAT'
(module
  (memory (export "memory") 1)
  (global (export "counter") (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "mix") (param i64 f32 f64) (result i64 f32 f64) (local.get 0) (local.get 1) (local.get 2))
  (func (export "none") (global.set 0 (i32.const 1)))
  (func (export "vec") (result v128) (v128.const i32x4 1 0 0 1))
  (func (export "takes_vec") (param v128))
  (func (export "takes_ref") (param externref))
  (func (export "nullref") (result funcref) (ref.null func))
  (func (export "boom") (param i32) (result i32) (unreachable)))
WAT
cat > "$scratch/reactor.wat" <<'WAT'
(module
  (memory (export "memory") 1)
  (global $g (mut i32) (i32.const 0))
  (func (export "_initialize") (global.set $g (i32.const 41)))
  (func (export "get") (result i32) (i32.add (global.get $g) (i32.const 1))))
WAT
"$wat2wasm" --enable-all "$scratch/m.wat" -o "$scratch/m.wasm" &&
    "$wat2wasm" "$scratch/reactor.wat" -o "$scratch/reactor.wasm" || exit 1
m=$scratch/m.wasm

expect_out '-3' --invoke add "$m" 2 -5
expect_out '-1' --invoke add "$m" 0xffffffff 0
expect_out '2147483647' --invoke add "$m" 2147483646 +1
expect_out '-9223372036854775808\n1.5\n0.1' --invoke mix "$m" -- -9223372036854775808 1.5 0.1
expect_out '1\nNaN\n-inf' --invoke mix "$m" 1 nan -inf
expect_out '1\ninf\n-0' --invoke mix "$m" 1 3.5e38 -0
expect_out '0\n16777216\n1000000000000000000000' --invoke mix "$m" 0 16777216 1e21
expect_out '0\n0.0000001\n123456.789' --invoke mix "$m" 0 1e-7 123456.789
expect_out '' --invoke none "$m"
expect_out '79228162514264337593543950337' --invoke vec "$m"  # (1 << 96) + 1
expect_out '<null funcref>' --invoke nullref "$m"
expect_out '42' --invoke get "$scratch/reactor.wasm"  # _initialize ran first

# Wrong argument count, unparseable numbers: usage errors (2).
expect 2 "--invoke add: the function (i32, i32) -> (i32) takes 2 arguments, got 1" --invoke add "$m" 1
expect 2 "takes 2 arguments, got 3" --invoke add "$m" 1 2 3
expect 2 "takes 0 arguments, got 1" --invoke none "$m" 7
expect 2 "argument 2 (i32): 'x' is not an i32" --invoke add "$m" 1 x
expect 2 "argument 1 (i32): '2147483648' is not an i32" --invoke add "$m" 2147483648 0
expect 2 "argument 1 (i32): '0x100000000' is not an i32" --invoke add "$m" 0x100000000 0
expect 2 "argument 1 (i32): '' is not an i32" --invoke add "$m" '' 0
expect 2 "argument 1 (i32): ' 1' is not an i32" --invoke add "$m" ' 1' 0
expect 2 "argument 1 (i32): '1.0' is not an i32" --invoke add "$m" 1.0 0
expect 2 "argument 1 (i64): '9223372036854775808' is not an i64" --invoke mix "$m" 9223372036854775808 0 0
expect 2 "argument 2 (f32): '1.5x' is not an f32" --invoke mix "$m" 1 1.5x 0
expect 2 "argument 3 (f64): '0x1p3' is not an f64" --invoke mix "$m" 1 1 0x1p3
expect 2 "argument 1 (v128): a v128 parameter cannot be given on the command line" --invoke takes_vec "$m" 1
expect 2 "argument 1 (externref): an externref parameter cannot be given" --invoke takes_ref "$m" 0
expect 2 "--invoke and --entrypoint both name the function to run" --invoke add --entrypoint add "$m" 1 2
# No such function: exit 1, naming it (before anything runs).
expect 1 "--invoke nope: the module exports no function named 'nope'" --invoke nope "$m"
expect 1 "--invoke memory: the export is a memory, not a function" --invoke memory "$m"
expect 1 "--invoke counter: the export is a global, not a function" --invoke counter "$m"
# A trap: 134 and the trap line, nothing on stdout.
expect 134 "lucet-wasi: trap: unreachable" --invoke boom "$m" 3
if [ -s "$scratch/out" ]; then echo "FAIL: a trapped --invoke printed results"; fail=1; fi

exit $fail
