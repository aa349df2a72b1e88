#!/bin/bash
# Launcher checks that need no guest output: option errors exit 2 with a
# one-line error and the usage line; --help / --version exit 0; a .wasm is
# compiled once into $XDG_CACHE_HOME/lucet and reused.
#
#   run_cli.sh LUCET_WASI HELLO_WASM WAT2WASM
set -u
lw=$1 hello=$2 wat2wasm=$3
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lucet-wasi-cli.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
export XDG_CACHE_HOME=$scratch/cache
fail=0

# expect STATUS STDERR_SUBSTRING ARGS...
expect() {
    local want=$1 msg=$2
    shift 2
    "$lw" "$@" > "$scratch/out" 2> "$scratch/err" < /dev/null
    local st=$?
    if [ "$st" != "$want" ]; then
        echo "FAIL: lucet-wasi $* exited $st, expected $want"; cat "$scratch/err"; fail=1; return
    fi
    if [ -n "$msg" ] && ! grep -qF -- "$msg" "$scratch/err" "$scratch/out"; then
        echo "FAIL: lucet-wasi $*: output lacks '$msg'"; cat "$scratch/err" "$scratch/out"; fail=1
    fi
    if [ "$want" = 2 ] && ! grep -q '^Usage: lucet-wasi \[OPTIONS\] <lucet_module> \[--\] \[guest_args\]\.\.\.$' "$scratch/err"; then
        echo "FAIL: lucet-wasi $*: no usage line on stderr"; cat "$scratch/err"; fail=1
    fi
}

expect 0 "Usage: lucet-wasi [OPTIONS] <lucet_module> [--] [guest_args]..." --help
expect 0 "--max-heap-size" -h
expect 0 "lucet-wasi " --version
expect 2 "" # no module
expect 2 "cannot read module" "$scratch/no-such-module.so"
expect 2 "invalid size 'lots'" --max-heap-size lots "$hello"
expect 2 "must be a non-zero multiple of 4 KiB" --max-heap-size 5000 "$hello"
expect 2 "must be a non-zero multiple of 4 KiB" --stack-size 1000 "$hello"
expect 2 "must be a non-zero multiple of 4 KiB" --heap-address-space 0 "$hello"
expect 2 "must be >= max heap size" --heap-address-space 1GiB --max-heap-size 2GiB "$hello"
expect 2 "expected NAME=VALUE" --env NOEQUALS "$hello"
expect 2 "cannot preopen directory" --dir "x:$scratch/missing-dir" "$hello"
expect 2 "" --no-such-option "$hello"

# Compile cache: the first run compiles into $XDG_CACHE_HOME/lucet, the second reuses it.
expect 0 "" "$hello"
n=$(ls "$scratch/cache/lucet"/*.so 2>/dev/null | wc -l)
if [ "$n" != 1 ]; then echo "FAIL: expected one cached .so, found $n"; ls -la "$scratch/cache/lucet"; fail=1; fi
so=$(ls "$scratch/cache/lucet"/*.so 2>/dev/null | head -1)
if [ -n "$so" ]; then
    touch -d '2001-01-01' "$so"
    expect 0 "" "$hello" guest-arg
    if [ "$(stat -c %Y "$so")" != "$(date -d 2001-01-01 +%s)" ]; then echo "FAIL: the cached module was rebuilt"; fail=1; fi
    grep -q "Hello, world!" "$scratch/out" || { echo "FAIL: second run printed no greeting"; fail=1; }
fi
# Load/link errors: exit 1 with a message naming the problem.
printf '(module (import "wasi_unstable" "sock_accept" (func (param i32 i32 i32) (result i32)))\n (memory (export "memory") 1) (func (export "_start")))' > "$scratch/poll.wat"
printf '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32) (result i32)))\n (memory (export "memory") 1) (func (export "_start")))' > "$scratch/badtype.wat"
"$wat2wasm" "$scratch/poll.wat" -o "$scratch/poll.wasm" && "$wat2wasm" "$scratch/badtype.wat" -o "$scratch/badtype.wasm" || fail=1
expect 1 "wasi_unstable.sock_accept" "$scratch/poll.wasm"  # preview1 only
expect 1 "incompatible import type for wasi_snapshot_preview1.fd_write" "$scratch/badtype.wasm"
expect 1 "nope" --entrypoint nope "$hello"
# --timeout: an endless loop (no calls) is stopped from another thread, exit 124.
printf '(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))' > "$scratch/spin.wat"
"$wat2wasm" "$scratch/spin.wat" -o "$scratch/spin.wasm" || fail=1
start=$(date +%s%N)
expect 124 "timed out after 300ms" --timeout 300ms "$scratch/spin.wasm"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
# generous bound: includes compiling the module into the cache
if [ "$elapsed_ms" -gt 30000 ]; then echo "FAIL: --timeout 300ms took ${elapsed_ms} ms"; fail=1; fi
expect 0 "" --timeout 60s "$hello"
expect 2 "--timeout: expected a positive duration" --timeout soon "$hello"
expect 2 "--timeout: expected a positive duration" --timeout 0 "$hello"
printf 'not a module' > "$scratch/garbage.so"
expect 1 "garbage.so" "$scratch/garbage.so"

exit $fail
