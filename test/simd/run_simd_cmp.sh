#!/bin/bash
# Builds one SIMD guest program twice, natively (gcc -O2, SIMDe's wasm_*
# API over SSE) and to wasm32-wasi (clang -O2 -msimd128), runs the native
# binary and the .wasm under lucet-wasi, and checks that both exit 0 and
# print exactly the same stdout, that the program's self-checks all said
# "ok", and that the .wasm really contains SIMD instructions.
#
#   run_simd_cmp.sh LUCET_WASI WASM_CC NATIVE_CC SOURCE.c [guest args...]
#
# lucet-wasi's .wasm compile cache is a fresh scratch directory: the cache
# key does not cover the compiler's own code, so a shared cache could answer
# with a module compiled by an older lucetc. Environment: WASM_OBJDUMP
# (wabt's wasm-objdump, for the SIMD instruction count; default: from PATH).
set -u
if [ $# -lt 4 ]; then
    echo "usage: run_simd_cmp.sh LUCET_WASI WASM_CC NATIVE_CC SOURCE.c [guest args...]" >&2
    exit 2
fi
lucet_wasi=$1 wasm_cc=$2 native_cc=$3 src=$4
shift 4
inc=$(dirname "$src")
name=$(basename "$src" .c)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lucet-simd-test.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
export XDG_CACHE_HOME=$scratch/cache

fail() { echo "FAIL ($name): $*"; exit 1; }

cflags=(-O2 -Wall -Wextra -Werror -I"$inc")
"$native_cc" "${cflags[@]}" "$src" -o "$scratch/native" -lm > "$scratch/native.log" 2>&1 ||
    { cat "$scratch/native.log"; fail "native build failed: $native_cc ${cflags[*]} $src"; }
"$wasm_cc" --target=wasm32-wasi --sysroot=/usr -msimd128 "${cflags[@]}" "$src" -o "$scratch/$name.wasm" \
    > "$scratch/wasm.log" 2>&1 || { cat "$scratch/wasm.log"; fail "wasm build failed: $wasm_cc $src"; }

objdump=${WASM_OBJDUMP:-$(command -v wasm-objdump)}
if [ -n "$objdump" ]; then
    # SIMD instructions are the 0xfd-prefixed ones: their disassembly shows "fd " first.
    nsimd=$("$objdump" -d "$scratch/$name.wasm" | grep -cE '^ [0-9a-f]+: fd ')
    [ "$nsimd" -gt 0 ] || fail "$name.wasm contains no SIMD instruction"
    echo "$name.wasm: $nsimd SIMD instructions"
fi

"$scratch/native" "$@" > "$scratch/native.out" 2> "$scratch/native.err"
st=$?
[ $st = 0 ] || { cat "$scratch/native.out" "$scratch/native.err"; fail "the native build exited with $st"; }
grep -q ': ok$' "$scratch/native.out" || fail "the native build printed no self-check"

"$lucet_wasi" "$scratch/$name.wasm" "$@" > "$scratch/wasm.out" 2> "$scratch/wasm.err" < /dev/null
st=$?
if [ $st != 0 ]; then
    echo "stdout:"; cat "$scratch/wasm.out"; echo "stderr:"; cat "$scratch/wasm.err"
    fail "lucet-wasi $name.wasm exited with $st"
fi
if ! cmp -s "$scratch/native.out" "$scratch/wasm.out"; then
    diff -u --label native "$scratch/native.out" --label lucet-wasi "$scratch/wasm.out"
    fail "stdout under lucet-wasi differs from the native build's"
fi
cat "$scratch/wasm.out"
echo "$name: lucet-wasi output = native output"
