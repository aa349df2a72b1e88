#!/bin/bash
# run_race.sh LUCET_WASI GUEST.wasm: the rename-race test. A host process
# swaps sandbox/d between a directory and a symlink to ../outside as fast as
# it can while the guest opens paths through d (see race.c).
. "$(dirname "$0")/../lib.sh"
lucet_wasi=$1 wasm=$2
make_scratch wasi-race
swapper=
cleanup() { [ -n "$swapper" ] && kill "$swapper" 2>/dev/null; wait 2>/dev/null; rm -rf "$scratch"; }
mkdir -p "$scratch/sandbox/d" "$scratch/outside"
printf inside > "$scratch/sandbox/d/target"
printf outside > "$scratch/outside/target"
ln -s ../outside "$scratch/sandbox/evil"
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$scratch/cache}
# Compile first (through the cache) so the race covers the guest's run only.
"$lucet_wasi" --dir /sandbox:"$scratch/pre-compile-none" "$wasm" > /dev/null 2>&1
# renameat2(RENAME_EXCHANGE) swaps the two names atomically, so `d` always
# exists and is, at any instant, either the directory or the escaping link.
python3 - "$scratch/sandbox" <<'PY' &
import ctypes, os, sys
os.chdir(sys.argv[1])
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
open("../ready", "w").close()
while True:
    if libc.renameat2(AT_FDCWD, b"d", AT_FDCWD, b"evil", RENAME_EXCHANGE) != 0:
        sys.exit("renameat2: " + os.strerror(ctypes.get_errno()))
PY
swapper=$!
for _ in $(seq 100); do [ -e "$scratch/ready" ] && break; sleep 0.1; done
"$lucet_wasi" --dir /sandbox:"$scratch/sandbox" "$wasm" > "$scratch/stdout" 2> "$scratch/stderr" < /dev/null
status=$?
cat "$scratch/stderr" >&2
if [ "$status" != 0 ] || [ "$(cat "$scratch/stdout")" != "race ok" ]; then
    echo "FAIL: status $status, stdout: $(cat "$scratch/stdout")"
    exit 1
fi
echo PASS
