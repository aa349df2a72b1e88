#!/bin/bash
# Runs one WASI guest through lucet-wasi and checks its exit status, its
# stdout (exactly) and optionally its stderr (a substring).
#
#   run_guest.sh LUCET_WASI EXPECTED_STATUS EXPECTED_STDOUT [lucet-wasi arguments...]
#
# EXPECTED_STDOUT takes printf %b escapes (\n). In the arguments, @SCRATCH@ is
# replaced by a fresh scratch directory holding:
#   pre/                  empty (for programs that create files)
#   sandbox/file          "inside"
#   sandbox/sub/          empty directory
#   sandbox/inside  -> file
#   sandbox/escape  -> ../secret
#   sandbox/abs     -> /etc/passwd
#   secret                outside every preopen
# Environment: EXPECT_STDERR (substring stderr must contain), XDG_CACHE_HOME
# (where lucet-wasi caches compiled .wasm; the scratch dir when unset).
. "$(dirname "$0")/../lib.sh"
lucet_wasi=$1 want_status=$2 want_stdout=$3
shift 3
make_scratch wasi-test
mkdir -p "$scratch/pre" "$scratch/sandbox/sub"
printf inside > "$scratch/sandbox/file"
printf secret > "$scratch/secret"
ln -s file "$scratch/sandbox/inside"
ln -s ../secret "$scratch/sandbox/escape"
ln -s /etc/passwd "$scratch/sandbox/abs"
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-$scratch/cache}

args=()
for a in "$@"; do args+=("${a//@SCRATCH@/$scratch}"); done

"$lucet_wasi" "${args[@]}" > "$scratch/stdout" 2> "$scratch/stderr" < /dev/null
status=$?
if [ "$status" != "$want_status" ]; then
    echo "FAIL: exit status $status, expected $want_status"
    fail=1
fi
printf '%b' "$want_stdout" > "$scratch/want_stdout"
if ! cmp -s "$scratch/stdout" "$scratch/want_stdout"; then
    echo "FAIL: stdout differs (expected, then got):"
    cat "$scratch/want_stdout"
    echo "----"
    cat "$scratch/stdout"
    fail=1
fi
if [ -n "${EXPECT_STDERR:-}" ] && ! grep -qF -- "$EXPECT_STDERR" "$scratch/stderr"; then
    echo "FAIL: stderr does not contain: $EXPECT_STDERR"
    fail=1
fi
if [ $fail != 0 ]; then
    echo "command: $lucet_wasi ${args[*]}"
    echo "stderr:"
    cat "$scratch/stderr"
fi
# Nothing may have been created outside the sandbox.
if [ -e "$scratch/newdir" ] || [ -e "$scratch/x" ]; then
    echo "FAIL: the guest created something outside its preopen"
    fail=1
fi
exit $fail
