#!/bin/bash
# The launcher's .wasm compile cache ($XDG_CACHE_HOME/lucet): private modes,
# a miss when $CC's version or the layout changes, refusal of a directory or
# entry others could have written (exit 1, nothing run), recompiling a
# corrupted entry, --cache-clear and the LUCET_CACHE_MAX_SIZE bound.
#
#   run_cache.sh LUCET_WASI HELLO_WASM WAT2WASM
. "$(dirname "$0")/../lib.sh"
lw=$1 hello=$2 wat2wasm=$3
make_scratch wasi-cache
cleanup() { chmod -R u+w "$scratch"; rm -rf "$scratch"; }
export XDG_CACHE_HOME=$scratch/xdg
cache=$XDG_CACHE_HOME/lucet
unset LUCET_CACHE_MAX_SIZE

. "$(dirname "$0")/launcher_expect.sh"  # expect STATUS STDERR_SUBSTRING ARGS...
entries() { ls "$cache"/*.so 2>/dev/null | wc -l; }
expect_entries() {
    local n; n=$(entries)
    if [ "$n" != "$1" ]; then echo "FAIL: $2: expected $1 cached modules, found $n"; ls -la "$cache"; fail=1; fi
}
greeted() { grep -q "Hello, world!" "$scratch/out" || { echo "FAIL: $1: no greeting"; fail=1; }; }

# --cache-clear alone: nothing to clear, exit 0, no module needed.
expect 0 "cache cleared: 0 modules" --cache-clear

# First run: the directory is made 0700, the entry .so and .sum 0400 (read-only: the loader maps data images from such files).
expect 0 "" "$hello"
greeted "first run"
# A .wasm from a pipe (read once: the launcher used to read its magic and the
# cache then the rest, "unexpected end").
"$lw" <(cat "$hello") > "$scratch/out" 2>&1 || { echo "FAIL: a .wasm from a pipe: exit $?"; cat "$scratch/out"; fail=1; }
greeted "a .wasm from a pipe"
# A stream that is not a module is refused at its first bytes, not read to the 1 GiB limit.
expect 1 "cannot load module /dev/zero: not a regular file" /dev/zero
expect_entries 1 "first run"
[ "$(stat -c %a "$cache")" = 700 ] || { echo "FAIL: cache directory mode $(stat -c %a "$cache")"; fail=1; }
for f in "$cache"/*; do
    [ "$(stat -c %a "$f")" = 400 ] || { echo "FAIL: $f has mode $(stat -c %a "$f")"; fail=1; }
done
so=$(ls "$cache"/*.so | head -1)

# A different C compiler version misses: a wrapper around cc whose --version we choose.
printf '#!/bin/sh\nif [ "$1" = --version ]; then echo "fakecc $FAKECC_VERSION"; exit 0; fi\nexec cc "$@"\n' > "$scratch/fakecc"
chmod +x "$scratch/fakecc"
CC=$scratch/fakecc FAKECC_VERSION=1 expect 0 "" "$hello"
expect_entries 2 "CC=fakecc 1"
CC=$scratch/fakecc FAKECC_VERSION=1 expect 0 "" "$hello"
expect_entries 2 "CC=fakecc 1 again (a hit)"
CC=$scratch/fakecc FAKECC_VERSION=2 expect 0 "" "$hello"
expect_entries 3 "CC=fakecc 2"
# A different heap layout (so different bounds checks) misses.
expect 0 "" --max-heap-size 1MiB --heap-address-space 2MiB "$hello"
expect_entries 4 "small heap layout"

# A corrupted (truncated) entry is recompiled, not loaded.
size=$(stat -c %s "$so")
truncate -s 100 "$so"
expect 0 "" "$hello"
greeted "after truncation"
[ "$(stat -c %s "$so")" = "$size" ] || { echo "FAIL: the truncated entry was not recompiled"; fail=1; }

# Untrusted cache: refused (exit 1, the message names it), the guest does not run.
chmod 0770 "$cache"
expect 1 "cache directory '$cache' is group- or world-writable (mode 0770)" "$hello"
grep -q "Hello" "$scratch/out" && { echo "FAIL: the guest ran from a group-writable cache"; fail=1; }
chmod 0700 "$cache"
if [ "$(id -u)" = 0 ]; then
    chown nobody "$so"
    expect 1 "cache entry '$so' is owned by uid $(id -u nobody)" "$hello"
    chown 0 "$so"
fi
expect 0 "" "$hello"

# The size bound: 1 byte keeps only the module just compiled.
printf '(module (memory (export "memory") 1) (func (export "_start")))' > "$scratch/empty.wat"
"$wat2wasm" "$scratch/empty.wat" -o "$scratch/empty.wasm" || fail=1
LUCET_CACHE_MAX_SIZE=1 expect 0 "" "$scratch/empty.wasm"
expect_entries 1 "LUCET_CACHE_MAX_SIZE=1"
LUCET_CACHE_MAX_SIZE=lots expect 1 "LUCET_CACHE_MAX_SIZE: " "$hello"

# --cache-clear, then running a module in the same command compiles afresh.
expect 0 "" "$hello"
expect_entries 2 "before clear"
expect 0 "cache cleared: 2 modules" --cache-clear "$hello"
greeted "--cache-clear with a module"
expect_entries 1 "clear then run"
expect 0 "cache cleared: 1 modules" --cache-clear
expect_entries 0 "after clear"

exit $fail
