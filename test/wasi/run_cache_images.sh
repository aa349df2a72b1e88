#!/bin/bash
# The launcher's compile cache on file systems of its own. (1) The .wasm
# index (<hash>.wix) names a file by its stat data and by the file system it
# is on: two ext4 images built reproducibly (same size, inode and timestamps
# for m.wasm, different code) mounted one after the other at one place, the
# second must run its own module, not the first one's entry. (2) A cache
# whose file system fills up with its own entries evicts the least recently
# used to make room, and every module still runs. Needs root, loop devices
# and tmpfs mounts: skipped (exit 77) where they are missing.
#
#   run_cache_images.sh LUCET_WASI WAT2WASM
. "$(dirname "$0")/../lib.sh"
lw=$1 wat2wasm=$2
skip() { echo "SKIP: $1"; trap - EXIT; cleanup; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root: cannot mount images"
command -v mke2fs >/dev/null && command -v debugfs >/dev/null || skip "no mke2fs/debugfs (e2fsprogs)"
make_scratch cache-images
mnt=$scratch/mnt
cleanup() { umount "$mnt" 2>/dev/null; umount "$scratch/small" 2>/dev/null; rm -rf "$scratch"; }
mkdir -p "$scratch/img1" "$scratch/img2" "$mnt"
export XDG_CACHE_HOME=$scratch/xdg
unset LUCET_CACHE_MAX_SIZE
for i in 1 2; do
    printf '(module (func (export "id") (result i32) i32.const %s))' "$i$i" > "$scratch/m$i.wat"
    "$wat2wasm" "$scratch/m$i.wat" -o "$scratch/img$i/m.wasm" || exit 1
    mke2fs -q -t ext4 -d "$scratch/img$i" "$scratch/i$i.img" 4M || exit 1
    # Reproducible-build timestamps, as SOURCE_DATE_EPOCH tooling sets them.
    for f in ctime mtime; do
        debugfs -w -R "set_inode_field m.wasm $f 20231114221320" "$scratch/i$i.img" >/dev/null 2>&1 || exit 1
    done
done
mount -o loop,ro "$scratch/i1.img" "$mnt" 2>/dev/null || skip "cannot loop-mount an image here"
id1=$(stat -c '%d %i %s %Y %Z' "$mnt/m.wasm")
# Twice: the second run is an index hit (the file is old enough to be recorded).
for run in 1 2; do
    out=$("$lw" --invoke id "$mnt/m.wasm") || { echo "FAIL: image 1, run $run: exit $?"; fail=1; }
    [ "$out" = 11 ] || { echo "FAIL: image 1, run $run printed '$out', expected 11"; fail=1; }
done
ls "$XDG_CACHE_HOME/lucet/"*.wix >/dev/null 2>&1 || { echo "FAIL: no .wasm index record written"; fail=1; }
umount "$mnt" || exit 1
mount -o loop,ro "$scratch/i2.img" "$mnt" || exit 1
id2=$(stat -c '%d %i %s %Y %Z' "$mnt/m.wasm")
[ "$id1" = "$id2" ] || echo "note: the images' m.wasm differ in stat data ('$id1' / '$id2'): the index is not put to the test"
out=$("$lw" --invoke id "$mnt/m.wasm") || { echo "FAIL: image 2: exit $?"; fail=1; }
[ "$out" = 22 ] || { echo "FAIL: image 2 printed '$out', expected 22 (image 1's module from the index)"; fail=1; }
umount "$mnt"

# (2) A 256 KiB cache file system, entries of ~15 KB, 16 modules (a bound of
# 1 GiB, far more than the room): each runs, the cache keeps what fits.
mkdir -p "$scratch/small"
mount -t tmpfs -o size=256k lucet-test "$scratch/small" || skip "cannot mount a tmpfs here"
for i in $(seq 1 16); do
    printf '(module (func (export "id") (result i32) i32.const %s))' "$i" > "$scratch/n$i.wat"
    "$wat2wasm" "$scratch/n$i.wat" -o "$scratch/n$i.wasm" || exit 1
    out=$(XDG_CACHE_HOME=$scratch/small "$lw" --invoke id "$scratch/n$i.wasm" 2>&1)
    [ "$out" = "$i" ] || { echo "FAIL: module $i on a full cache file system: '$out'"; fail=1; }
done
n=$(ls "$scratch/small/lucet/"*.so 2>/dev/null | wc -l)
[ "$n" -ge 3 ] || { echo "FAIL: only $n entries kept on the small file system"; fail=1; }
# (3) The same with $TMPDIR on that file system too (Debian's layout: the
# C sources and objects need the room the entries take).
mkdir -m 0700 "$scratch/small/tmp"
for i in $(seq 1 12); do
    out=$(TMPDIR=$scratch/small/tmp XDG_CACHE_HOME=$scratch/small "$lw" --invoke id "$scratch/n$i.wasm" 2>&1)
    [ "$out" = "$i" ] || { echo "FAIL: module $i with TMPDIR on the full file system: '$out'"; fail=1; }
done
exit $fail
