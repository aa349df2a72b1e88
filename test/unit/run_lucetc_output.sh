#!/bin/bash
# lucetc's output: a regular file is replaced atomically (a new inode); an
# output that is a symlink or not a regular file (a FIFO, /dev/null,
# /dev/stdout) is written through, never replaced. Renaming over /dev/null as
# root replaced the device with a regular file, which a later failing
# `cc -o /dev/null` deleted; over /dev/stdout, the symlink itself.
#
#   run_lucetc_output.sh LUCETC WAT2WASM
set -u
lucetc=$1 wat2wasm=$2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lucetc-output.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
fail=0
printf '(module (func (export "f") (result i32) (i32.const 7)))' > "$scratch/m.wat"
"$wat2wasm" "$scratch/m.wat" -o "$scratch/m.wasm" || exit 1

# A symlink to a file, for C and for a .so: the link stays, the file gets it.
for kind in c so; do
    echo old > "$scratch/target.$kind"
    ln -sf "target.$kind" "$scratch/link.$kind"
    "$lucetc" --emit $kind "$scratch/m.wasm" -o "$scratch/link.$kind" || { echo "FAIL: lucetc to a symlink ($kind)"; fail=1; }
    [ -L "$scratch/link.$kind" ] || { echo "FAIL: the symlink output.$kind was replaced"; ls -l "$scratch"; fail=1; }
done
grep -q lucet_f0 "$scratch/target.c" || { echo "FAIL: the C did not reach the symlink's target"; fail=1; }
[ "$(head -c 4 "$scratch/target.so" | od -An -c | tr -d ' ')" = '177ELF' ] ||
    { echo "FAIL: the .so did not reach the symlink's target"; fail=1; }
# A FIFO: a reader gets the C, the FIFO stays one.
mkfifo "$scratch/fifo"
timeout 30 cat "$scratch/fifo" > "$scratch/from_fifo" &
reader=$!
"$lucetc" --emit c "$scratch/m.wasm" -o "$scratch/fifo" || { echo "FAIL: lucetc to a FIFO"; fail=1; }
wait $reader
[ -p "$scratch/fifo" ] || { echo "FAIL: the FIFO was replaced"; fail=1; }
cmp -s "$scratch/from_fifo" "$scratch/target.c" || { echo "FAIL: the FIFO's reader did not get the C"; fail=1; }
# (Not tried on /dev/null or /dev/stdout themselves: a regression would
# damage the machine; the symlink and the FIFO above take the same path.)
# A regular file is still replaced atomically (a new inode).
"$lucetc" "$scratch/m.wasm" -o "$scratch/plain.so" && inode=$(stat -c %i "$scratch/plain.so") &&
    "$lucetc" "$scratch/m.wasm" -o "$scratch/plain.so" && [ "$(stat -c %i "$scratch/plain.so")" != "$inode" ] ||
    { echo "FAIL: a regular output was not replaced by rename"; fail=1; }
[ $fail = 0 ] && echo "lucetc output: all checks passed"
exit $fail
