#!/bin/bash
# --target-cpu of lucetc and lucet-wasi: each level compiles and runs (or,
# on a CPU without the level, lucet-wasi refuses the .so with the missing
# features named, exit 1, never a SIGILL); a bad value is a usage error
# (exit 2) naming the valid ones; lucet-wasi's .wasm cache keeps one entry
# per target.
#
#   run_target_cpu.sh LUCETC LUCET_WASI WAT2WASM
set -u
lucetc=$1 lw=$2 wat2wasm=$3
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lucet-target-cpu.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
export XDG_CACHE_HOME=$scratch/cache
fail=0
printf '(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))' > "$scratch/m.wat"
"$wat2wasm" "$scratch/m.wat" -o "$scratch/m.wasm" || exit 1
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has_all() { for f in "$@"; do case "$flags" in *" $f "*) ;; *) return 1;; esac; done; }

for t in x86-64 x86-64-v2 x86-64-v3 x86-64-v4 native; do
    case $t in
      x86-64-v2) need="sse4_2 popcnt ssse3";;
      x86-64-v3) need="avx2 bmi2 fma movbe";;
      x86-64-v4) need="avx512f avx512bw avx512vl";;
      *) need="";;
    esac
    "$lucetc" --target-cpu $t "$scratch/m.wasm" -o "$scratch/m-$t.so" || { echo "FAIL: lucetc --target-cpu $t"; fail=1; continue; }
    out=$("$lw" --invoke f "$scratch/m-$t.so" 14 2> "$scratch/err"); rc=$?
    if has_all $need; then
        [ "$rc" = 0 ] && [ "$out" = 42 ] || { echo "FAIL: $t: exit $rc, output '$out'"; cat "$scratch/err"; fail=1; }
    else
        [ "$rc" = 1 ] || { echo "FAIL: $t on a CPU without it: exit $rc, not 1"; fail=1; }
        grep -q "refusing to load: the module was compiled for a CPU with features this one lacks: .*(it needs $t)" "$scratch/err" ||
            { echo "FAIL: $t refusal message:"; cat "$scratch/err"; fail=1; }
    fi
done

for tool in "$lucetc" "$lw"; do
    "$tool" --target-cpu x86-64-v9 "$scratch/m.wasm" -o "$scratch/bad.so" > /dev/null 2> "$scratch/err"
    rc=$?
    [ "$rc" = 2 ] || { echo "FAIL: $(basename "$tool") --target-cpu x86-64-v9: exit $rc, not 2"; fail=1; }
    grep -qF -- "--target-cpu: unknown target CPU 'x86-64-v9': expected one of native, x86-64, x86-64-v2, x86-64-v3, x86-64-v4" \
        "$scratch/err" || { echo "FAIL: $(basename "$tool") bad value message:"; cat "$scratch/err"; fail=1; }
    "$tool" --help | grep -q -- "--target-cpu" || { echo "FAIL: $(basename "$tool") --help lacks --target-cpu"; fail=1; }
done
[ -e "$scratch/bad.so" ] && { echo "FAIL: a bad --target-cpu left an output"; fail=1; }

# lucet-wasi compiles a .wasm for the host by default; another target is
# another cache entry, and the default's entry is reused.
for t in "" "--target-cpu x86-64" "--target-cpu native" ""; do
    out=$("$lw" $t --invoke f "$scratch/m.wasm" 5) || { echo "FAIL: lucet-wasi $t m.wasm"; fail=1; }
    [ "$out" = 15 ] || { echo "FAIL: lucet-wasi $t m.wasm printed '$out'"; fail=1; }
done
n=$(ls "$XDG_CACHE_HOME/lucet" | grep -c '\.so$')
[ "$n" = 2 ] || { echo "FAIL: the cache holds $n modules, expected 2 (native, x86-64)"; ls -l "$XDG_CACHE_HOME/lucet"; fail=1; }
[ $fail = 0 ] && echo "target-cpu: all checks passed"
exit $fail
