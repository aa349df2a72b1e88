#!/bin/bash
# Runs a libFuzzer harness for a fixed time from seed files, in its own
# temporary directory; fails (non-zero) on any crash, leak, sanitizer report
# or timeout of one input. Crash reproducers are kept in ARTIFACT_DIR.
#
#   run_libfuzzer.sh HARNESS SECONDS ARTIFACT_DIR SEED_FILE...
set -u
# Meson reads exit status 77 as "skipped" (and 99 as a harness error): every
# failure, whatever its status, exits 1.
cleanup() { :; }
trap 'st=$?; cleanup; [ "$st" = 0 ] || exit 1' EXIT
harness=$(realpath "$1") seconds=$2 artifacts=$(realpath -m "$3")
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/lucet-libfuzzer.XXXXXX") || exit 1
# fuzz_wasi's sandbox: on tmpfs when there is one (see fuzz_wasi.cpp), and
# removed here even when a crash skipped the harness's own cleanup.
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=$work
export LUCET_FUZZ_SCRATCH
LUCET_FUZZ_SCRATCH=$(mktemp -d "$shm/lucet-libfuzzer-scratch.XXXXXX") || exit 1
cleanup() { rm -rf "$work" "$LUCET_FUZZ_SCRATCH"; }
mkdir -p "$work/corpus" "$work/seeds" "$artifacts"
for f in "$@"; do cp "$f" "$work/seeds/"; done
cd "$work" || exit 1
# -timeout: one input over 10 s is a hang; -rss_limit_mb: a leak or blow-up.
# libFuzzer reports a crash, leak or sanitizer error with exit status 77 by
# default (-error_exitcode), which Meson would read as "skipped".
TMPDIR=$work "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -error_exitcode=1 -timeout_exitcode=1 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work/corpus" "$work/seeds" > "$work/log" 2>&1
st=$?
# The first and last status lines (coverage at the seeds and at the end),
# then the end of the log (the final stats, or the crash report).
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE|pulse|NEW|REDUCE)' "$work/log" | sed -n '1p;$p'
tail -25 "$work/log"
exit "$st"
