#!/bin/bash
# WASI host hardening through the launcher (the guest is hardening.c):
#   - --timeout stops a guest blocked opening a FIFO with no peer (exit 124,
#     about a second), for reading and for writing; with a peer the blocking
#     opens complete and the data goes through; non-blocking opens behave as
#     open(2) with O_NONBLOCK;
#   - a guest writing to a pipe whose reader is gone gets EPIPE and exits 0
#     (lucet-wasi is not killed by SIGPIPE, exit 141);
#   - --timeout stops a guest blocked in one large write to a pipe nobody
#     reads (the write returns its short count when the kill's signal comes);
#   - a guest setting nonblock on its stdin leaves the shared file description
#     blocking (the parent's own fd to it is checked in /proc);
#   - --max-fds and the default fd limit give nfile.
#
#   run_hardening.sh LUCET_WASI HARDENING_WASM
. "$(dirname "$0")/../lib.sh"
lw=$1 wasm=$2
make_scratch hardening
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$scratch/cache}
mkdir -p "$scratch/pre"
ms_now() { echo $(( $(date +%s%N) / 1000000 )); }

# Compile into the cache first, so the timed runs below time only the run.
"$lw" --dir ".:$scratch/pre" "$wasm" isdir > "$scratch/out" 2> "$scratch/err"
st=$?
if [ $st != 0 ] || ! grep -qx "isdir ok" "$scratch/out"; then
    echo "FAIL: isdir: exit $st"; cat "$scratch/out" "$scratch/err"; fail=1
fi

# --timeout 1s on a blocking FIFO open with no peer. The coreutils timeout
# is only a backstop for a build where the open cannot be interrupted (its
# exit status is 124 as well, but the message below is lucet-wasi's).
mkfifo "$scratch/pre/fifo"
for mode in fifo_read fifo_write; do
    start=$(ms_now)
    timeout -s KILL 30 "$lw" --timeout 1s --dir ".:$scratch/pre" "$wasm" "$mode" fifo \
        > "$scratch/out" 2> "$scratch/err" < /dev/null
    st=$?
    elapsed=$(( $(ms_now) - start ))
    if [ $st != 124 ] || ! grep -qF "timed out after 1s" "$scratch/err"; then
        echo "FAIL: --timeout 1s $mode on a FIFO without a peer: exit $st after ${elapsed} ms"
        cat "$scratch/err"; fail=1
    elif [ $elapsed -gt 10000 ]; then
        echo "FAIL: --timeout 1s $mode took ${elapsed} ms"; fail=1
    else
        echo "ok: --timeout 1s $mode on a FIFO without a peer: exit 124 after ${elapsed} ms"
    fi
done

# With a peer, blocking opens complete: the peer comes 300 ms later.
for mode in fifo_read fifo_write; do
    rm -f "$scratch/got"
    if [ $mode = fifo_read ]; then
        ( sleep 0.3; printf 'fifo data\n' > "$scratch/pre/fifo" ) &
    else
        ( sleep 0.3; cat "$scratch/pre/fifo" > "$scratch/got" ) &
    fi
    timeout -s KILL 30 "$lw" --dir ".:$scratch/pre" "$wasm" $mode fifo > "$scratch/out" 2> "$scratch/err"
    st=$?
    wait
    [ $mode = fifo_read ] && mv "$scratch/out" "$scratch/got"
    if [ $st != 0 ] || [ "$(cat "$scratch/got")" != "fifo data" ]; then
        echo "FAIL: $mode with a late peer: exit $st"; cat "$scratch/got" "$scratch/err"; fail=1
    fi
done
timeout -s KILL 30 "$lw" --dir ".:$scratch/pre" "$wasm" fifo_nonblock fifo > "$scratch/out" 2> "$scratch/err"
st=$?
if [ $st != 0 ] || ! grep -qx "fifo_nonblock ok" "$scratch/out"; then
    echo "FAIL: fifo_nonblock: exit $st"; cat "$scratch/out" "$scratch/err"; fail=1
fi

# A write to a pipe whose reader is gone: EPIPE for the guest, exit 0.
# (`true` exits without reading; the guest writes until a write fails.)
"$lw" "$wasm" epipe 2> "$scratch/err" < /dev/null | true
st=${PIPESTATUS[0]}
if [ "$st" != 0 ] || ! grep -qx "epipe ok" "$scratch/err"; then
    echo "FAIL: epipe: lucet-wasi exit $st (141 = killed by SIGPIPE)"; cat "$scratch/err"; fail=1
fi

# --timeout 1s on a 1 MiB write to a FIFO that this shell holds open (fd 8)
# and never reads: the pipe takes 64 KiB, the write blocks, the kill ends it.
mkfifo "$scratch/full"
exec 8<> "$scratch/full"
start=$(ms_now)
timeout -s KILL 30 "$lw" --timeout 1s "$wasm" bigwrite > "$scratch/full" 2> "$scratch/err" < /dev/null
st=$?
elapsed=$(( $(ms_now) - start ))
exec 8<&-
if [ $st != 124 ] || ! grep -qF "timed out after 1s" "$scratch/err" || [ $elapsed -gt 10000 ]; then
    echo "FAIL: --timeout 1s on a blocked 1 MiB pipe write: exit $st after ${elapsed} ms"; cat "$scratch/err"; fail=1
else
    echo "ok: --timeout 1s on a blocked 1 MiB pipe write: exit 124 after ${elapsed} ms"
fi

# nonblock on stdin: the guest sees EAGAIN on the empty pipe; the host's
# description (which this shell's fd 7 shares) stays blocking.
mkfifo "$scratch/stdin"
exec 7<> "$scratch/stdin"
timeout -s KILL 30 "$lw" "$wasm" nonblock_stdin <&7 > "$scratch/out" 2> "$scratch/err"
st=$?
flags=$(awk '/^flags:/ {print $2}' /proc/$$/fdinfo/7)
exec 7<&-
if [ $st != 0 ] || ! grep -qx "nonblock_stdin ok" "$scratch/out"; then
    echo "FAIL: nonblock_stdin: exit $st"; cat "$scratch/out" "$scratch/err"; fail=1
fi
if [ -z "$flags" ] || (( 8#$flags & 8#4000 )); then
    echo "FAIL: after the guest set nonblock on stdin, the host's description has flags 0$flags (O_NONBLOCK is 04000)"
    fail=1
fi

# fd limits: 3 stdio + 1 preopen count; the default is 1024.
for case in "10 6" "default 1020"; do
    set -- $case
    opt=(); [ "$1" != default ] && opt=(--max-fds "$1")
    rm -f "$scratch/pre/f"
    "$lw" "${opt[@]}" --dir ".:$scratch/pre" "$wasm" openloop "$2" > "$scratch/out" 2> "$scratch/err" < /dev/null
    st=$?
    if [ $st != 0 ] || ! grep -qx "openloop ok" "$scratch/out"; then
        echo "FAIL: openloop with --max-fds $1: exit $st"; cat "$scratch/out" "$scratch/err"; fail=1
    fi
done
for bad in 0 -1 x 1048577 ""; do
    "$lw" --max-fds "$bad" "$wasm" isdir > /dev/null 2> "$scratch/err"
    st=$?
    if [ $st != 2 ] || ! grep -qF -- "--max-fds" "$scratch/err"; then
        echo "FAIL: --max-fds '$bad': exit $st"; cat "$scratch/err"; fail=1
    fi
done
exit $fail
