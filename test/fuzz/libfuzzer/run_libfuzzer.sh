#!/bin/bash
# Runs a libFuzzer harness for a fixed time from seed files, in its own
# temporary directory; fails (non-zero) on any crash, leak, sanitizer report
# or timeout of one input. Crash reproducers are kept in ARTIFACT_DIR.
#
#   run_libfuzzer.sh HARNESS SECONDS ARTIFACT_DIR SEED_FILE...
set -u
harness=$(realpath "$1") seconds=$2 artifacts=$(realpath -m "$3")
shift 3
work=$(mktemp -d "${TMPDIR:-/tmp}/lucet-libfuzzer.XXXXXX") || exit 1
# fuzz_wasi's sandbox: on tmpfs when there is one (see fuzz_wasi.cpp), and
# removed here even when a crash skipped the harness's own cleanup.
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=$work
export LUCET_FUZZ_SCRATCH
LUCET_FUZZ_SCRATCH=$(mktemp -d "$shm/lucet-libfuzzer-scratch.XXXXXX") || exit 1
trap 'rm -rf "$work" "$LUCET_FUZZ_SCRATCH"' EXIT
mkdir -p "$work/corpus" "$work/seeds" "$artifacts"
for f in "$@"; do cp "$f" "$work/seeds/"; done
cd "$work" || exit 1
# -timeout: one input over 10 s is a hang; -rss_limit_mb: a leak or blow-up.
TMPDIR=$work "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work/corpus" "$work/seeds" 2>&1 | tail -25
exit "${PIPESTATUS[0]}"
