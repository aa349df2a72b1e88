# launcher_expect.sh: sourced by the launcher's script tests (run_cli.sh,
# run_cache.sh); they set $lw (lucet-wasi), $scratch and fail=0 first.
# expect STATUS STDERR_SUBSTRING ARGS...: runs lucet-wasi ARGS (stdout and
# stderr to $scratch/out and $scratch/err), checks its exit status, that the
# message is in its output, and that a usage error (2) prints the usage line.
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
