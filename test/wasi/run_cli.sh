#!/bin/bash
# Launcher checks that need no guest output: option errors exit 2 with a
# one-line error and the usage line; --help / --version exit 0; a .wasm is
# compiled once into $XDG_CACHE_HOME/lucet and reused.
#
#   run_cli.sh LUCET_WASI HELLO_WASM WAT2WASM
. "$(dirname "$0")/../lib.sh"
lw=$1 hello=$2 wat2wasm=$3
make_scratch wasi-cli
export XDG_CACHE_HOME=$scratch/cache

. "$(dirname "$0")/launcher_expect.sh"  # expect STATUS STDERR_SUBSTRING ARGS...

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
expect 2 "expected NAME=VALUE or NAME" --env =x "$hello"
expect 2 "expected NAME=VALUE or NAME" --env "" "$hello"
expect 2 "expected GUEST:HOST, HOST::GUEST or PATH" --dir "x:" "$hello"
expect 2 "expected GUEST:HOST, HOST::GUEST or PATH" --dir "::x" "$hello"
expect 2 "cannot preopen directory" --dir "$scratch/missing-dir::x" "$hello"
expect 0 "HOST::GUEST" --help
expect 2 "cannot preopen directory" --dir "x:$scratch/missing-dir" "$hello"
expect 2 "" --no-such-option "$hello"

# Compile cache: the first run compiles into $XDG_CACHE_HOME/lucet, the second reuses it.
expect 0 "" "$hello"
n=$(ls "$scratch/cache/lucet"/*.so 2>/dev/null | wc -l)
if [ "$n" != 1 ]; then echo "FAIL: expected one cached .so, found $n"; ls -la "$scratch/cache/lucet"; fail=1; fi
so=$(ls "$scratch/cache/lucet"/*.so 2>/dev/null | head -1)
if [ -n "$so" ]; then
    inode=$(stat -c %i "$so")
    expect 0 "" "$hello" guest-arg
    # A rebuilt entry is renamed into place: a new inode.
    if [ "$(stat -c %i "$so")" != "$inode" ]; then echo "FAIL: the cached module was rebuilt"; fail=1; fi
    grep -q "Hello, world!" "$scratch/out" || { echo "FAIL: second run printed no greeting"; fail=1; }
fi
# The guest's arguments, with no option before the module (the launcher then
# does not build its option parser at all) and with one: the same argv,
# option-like ones included; only a "--" right after the module is dropped.
expect 2 "lucet_module is required" ""
for pre in "" "--verbose"; do
    expect 0 "" $pre "$hello" -- one --two -v
    printf 'Hello, world!\narg 1: one\narg 2: --two\narg 3: -v\n' | cmp -s - "$scratch/out" ||
        { echo "FAIL: guest arguments after '$pre module --':"; cat "$scratch/out"; fail=1; }
    expect 0 "" $pre "$hello" --help -- x
    printf 'Hello, world!\narg 1: --help\narg 2: --\narg 3: x\n' | cmp -s - "$scratch/out" ||
        { echo "FAIL: guest arguments after '$pre module':"; cat "$scratch/out"; fail=1; }
done
# Load/link errors: exit 1 with a message naming the problem.
printf '(module (import "wasi_unstable" "sock_accept" (func (param i32 i32 i32) (result i32)))\n (memory (export "memory") 1) (func (export "_start")))' > "$scratch/poll.wat"
printf '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32) (result i32)))\n (memory (export "memory") 1) (func (export "_start")))' > "$scratch/badtype.wat"
"$wat2wasm" "$scratch/poll.wat" -o "$scratch/poll.wasm" && "$wat2wasm" "$scratch/badtype.wat" -o "$scratch/badtype.wasm" || fail=1
expect 1 "wasi_unstable.sock_accept" "$scratch/poll.wasm"  # preview1 only
expect 1 "incompatible import type for wasi_snapshot_preview1.fd_write" "$scratch/badtype.wasm"
expect 1 "nope" --entrypoint nope "$hello"
# Messages name the user's file, not the cache entry compiled from it: a
# module without _start, an empty file, a file of neither kind.
printf '(module)' > "$scratch/empty_module.wat"
"$wat2wasm" "$scratch/empty_module.wat" -o "$scratch/empty_module.wasm" || fail=1
expect 1 "lucet-wasi: error: $scratch/empty_module.wasm: the module exports no function named '_start'" "$scratch/empty_module.wasm"
: > "$scratch/zero.wasm"
expect 1 "lucet-wasi: error: $scratch/zero.wasm: not a module: it starts with neither the WebAssembly magic number" "$scratch/zero.wasm"
grep -qF "(the file is empty)" "$scratch/err" || { echo "FAIL: empty module file message"; cat "$scratch/err"; fail=1; }
printf 'plain text, not a module' > "$scratch/text.so"
expect 1 "$scratch/text.so: not a module" "$scratch/text.so"
# --timeout: an endless loop (no calls) is stopped from another thread, exit 124.
printf '(module (memory (export "memory") 1) (func (export "_start") (loop (br 0))))' > "$scratch/spin.wat"
"$wat2wasm" "$scratch/spin.wat" -o "$scratch/spin.wasm" || fail=1
start=$(date +%s%N)
expect 124 "timed out after 300ms" --timeout 300ms "$scratch/spin.wasm"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
# generous bound: includes compiling the module into the cache
if [ "$elapsed_ms" -gt 30000 ]; then echo "FAIL: --timeout 300ms took ${elapsed_ms} ms"; fail=1; fi
# --timeout stops a guest blocked in a WASI call too (the wait gives up when
# the kill is pending): a 60 s poll_oneoff sleep, a read from a pipe that
# never gets data, and a loop that spends nearly all its time in host calls.
cat > "$scratch/sleep.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 1))                 ;; clock: monotonic
    (i64.store (i32.const 24) (i64.const 60000000000))       ;; timeout: 60 s
    (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))
WAT
cat > "$scratch/read.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 16))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))
WAT
cat > "$scratch/hostloop.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $now (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (loop (drop (call $now (i32.const 1) (i64.const 0) (i32.const 0))) (br 0))))
WAT
mkfifo "$scratch/fifo"
for g in sleep read hostloop; do
    "$wat2wasm" "$scratch/$g.wat" -o "$scratch/$g.wasm" || { fail=1; continue; }
    start=$(date +%s%N)
    # stdin: the FIFO opened read-write, so a read blocks instead of seeing EOF.
    "$lw" --timeout 300ms "$scratch/$g.wasm" <> "$scratch/fifo" > "$scratch/out" 2> "$scratch/err"
    st=$?
    elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$st" != 124 ] || ! grep -qF "timed out after 300ms" "$scratch/err"; then
        echo "FAIL: --timeout 300ms $g: exit $st"; cat "$scratch/err"; fail=1
    fi
    # generous bound: includes compiling the module into the cache
    if [ "$elapsed_ms" -gt 30000 ]; then echo "FAIL: --timeout 300ms $g took ${elapsed_ms} ms"; fail=1; fi
done
# The timeout covers every run: an endless start function (run before
# _start), and with --invoke an endless export after a reactor's
# _initialize (a kill switch aims at one run: the watchdog aimed only at the
# first and never stopped either). The loop takes 30 s of the time budget at
# most before being reported as not stopped.
printf '(module (memory (export "memory") 1) (func $s (loop (br 0))) (start $s) (func (export "_start")))' > "$scratch/startspin.wat"
printf '(module (memory (export "memory") 1) (global $g (mut i32) (i32.const 0)) (func (export "_initialize") (global.set $g (i32.const 1)))\n (func (export "spin") (result i32) (loop (br_if 0 (global.get $g))) (i32.const 7)))' > "$scratch/reactorspin.wat"
printf '(module (memory (export "memory") 1) (func $s unreachable) (start $s) (func (export "_start")))' > "$scratch/starttrap.wat"
for g in startspin reactorspin starttrap; do "$wat2wasm" "$scratch/$g.wat" -o "$scratch/$g.wasm" || fail=1; done
for run in "$scratch/startspin.wasm" "--invoke spin $scratch/reactorspin.wasm"; do
    start=$(date +%s%N)
    timeout -s KILL 60 "$lw" --timeout 300ms $run > "$scratch/out" 2> "$scratch/err"
    st=$?
    elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ "$st" != 124 ] || ! grep -qF "timed out after 300ms" "$scratch/err"; then
        echo "FAIL: --timeout 300ms $run: exit $st"; cat "$scratch/err"; fail=1
    fi
    if [ "$elapsed_ms" -gt 30000 ]; then echo "FAIL: --timeout 300ms $run took ${elapsed_ms} ms"; fail=1; fi
done
expect 1 "unreachable" --timeout 60s "$scratch/starttrap.wasm"
grep -qF "(in the start function)" "$scratch/err" || { echo "FAIL: start trap message:"; cat "$scratch/err"; fail=1; }
expect 0 "" --timeout 60s "$hello"
expect 2 "--timeout: expected a positive duration" --timeout soon "$hello"
expect 2 "--timeout: expected a positive duration" --timeout 0 "$hello"
# --stdin/--stdout/--stderr: files instead of lucet-wasi's own stdio.
cat > "$scratch/echo.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 100)) (i32.store (i32.const 4) (i32.const 64))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 4) (i32.load (i32.const 8)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 12)))
    (drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 12)))))
WAT
"$wat2wasm" "$scratch/echo.wat" -o "$scratch/echo.wasm" || fail=1
printf 'given input' > "$scratch/in.txt"
printf 'old contents to be truncated' > "$scratch/o.txt"
expect 0 "" --stdin "$scratch/in.txt" --stdout "$scratch/o.txt" --stderr "$scratch/e.txt" "$scratch/echo.wasm"
for f in o e; do
    [ "$(cat "$scratch/$f.txt")" = "given input" ] || { echo "FAIL: --stdout/--stderr: $f.txt: $(cat "$scratch/$f.txt")"; fail=1; }
done
if [ -s "$scratch/out" ] || [ -s "$scratch/err" ]; then echo "FAIL: --stdout/--stderr: output reached lucet-wasi's own"; fail=1; fi
expect 2 "--stdin: cannot open '$scratch/none.txt' as the guest's stdin" --stdin "$scratch/none.txt" "$scratch/echo.wasm"
expect 2 "--stdout: cannot open '$scratch/no/dir' as the guest's stdout" --stdout "$scratch/no/dir" "$scratch/echo.wasm"
expect 2 "--dir-ro: expected GUEST:HOST, HOST::GUEST or PATH" --dir-ro ":x" "$scratch/echo.wasm"
expect 2 "--dir-ro: cannot preopen directory" --dir-ro "$scratch/missing-dir" "$scratch/echo.wasm"

printf 'not a module' > "$scratch/garbage.so"
expect 1 "garbage.so" "$scratch/garbage.so"

exit $fail
