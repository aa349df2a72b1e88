# test/lib.sh: the start every shell test shares. Source it first thing:
#   . "$(dirname "$0")/../lib.sh"
#   make_scratch NAME        # $scratch: a private directory, removed at exit
# It sets `set -u` and an EXIT trap that runs cleanup() (make_scratch
# defines it; a test that needs more redefines it after make_scratch) and
# makes every failure exit 1: Meson reads 77 as "skipped" and 99 as a
# harness error, which a failing command could otherwise return by chance.
set -u
cleanup() { :; }
trap 'st=$?; cleanup; [ "$st" = 0 ] || exit 1' EXIT
fail=0

# make_scratch NAME: $scratch = a new ${TMPDIR:-/tmp}/lucet-NAME.XXXXXX,
# removed (with everything in it) when the test exits.
make_scratch() {
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/lucet-$1.XXXXXX") || exit 1
    cleanup() { rm -rf "$scratch"; }
}
