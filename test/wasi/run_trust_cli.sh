#!/bin/bash
# The launcher and lucetc on the sandbox's trust rules (README, "Trust model"):
#  - a module compiled for the default heap layout is refused by a region
#    with a small heap address space (it has unchecked accesses);
#  - module signatures: lucetc --signature-keygen / --signature-create,
#    lucet-wasi --signature-verify --signature-pk (signed ok; unsigned,
#    tampered, wrongly signed refused with exit 1; a .wasm refused);
#  - a .so that would run code at dlopen is refused before it.
#
#   run_trust_cli.sh LUCET_WASI LUCETC HELLO_WASM WAT2WASM
set -u
lw=$1 lucetc=$2 hello=$3 wat2wasm=$4
scratch=$(mktemp -d "${TMPDIR:-/tmp}/lucet-trust-cli.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
export XDG_CACHE_HOME=$scratch/cache
fail=0

# expect STATUS STDERR_SUBSTRING COMMAND ARGS...
expect() {
    local want=$1 msg=$2
    shift 2
    "$@" > "$scratch/out" 2> "$scratch/err" < /dev/null
    local st=$?
    if [ "$st" != "$want" ]; then
        echo "FAIL: $* exited $st, expected $want"; cat "$scratch/err"; fail=1; return
    fi
    if [ -n "$msg" ] && ! grep -qF -- "$msg" "$scratch/err"; then
        echo "FAIL: $*: stderr lacks '$msg'"; cat "$scratch/err"; fail=1
    fi
}

# --- heap layout: one explicitly checked access does not make a module safe in a small slot.
cat > "$scratch/esc.wat" <<'WAT'
(module
  (memory (export "memory") 1 1)
  (func (export "never") (result i32) (i32.load offset=0xffffffff (i32.const 0)))
  (func (export "_start") (i32.store (i32.const 0x30000) (i32.const 1))))
WAT
"$wat2wasm" "$scratch/esc.wat" -o "$scratch/esc.wasm" || fail=1
expect 0 "" "$lucetc" "$scratch/esc.wasm" -o "$scratch/esc.so"
expect 1 "module was compiled for 8 GiB of heap address space (reserved 4 GiB + guard 4 GiB), region provides 64 KiB" \
    "$lw" --heap-address-space 64KiB --max-heap-size 64KiB "$scratch/esc.so"
# Compiled for the small layout, every access is checked: the store traps.
expect 0 "" "$lucetc" "$scratch/esc.wasm" -o "$scratch/esc-small.so" --reserved-size 64KiB --guard-size 0
expect 134 "lucet-wasi: trap: out of bounds memory access" \
    "$lw" --heap-address-space 64KiB --max-heap-size 64KiB "$scratch/esc-small.so"
# The .wasm path compiles for the region's layout: also a trap, never a write outside.
expect 134 "lucet-wasi: trap: out of bounds memory access" \
    "$lw" --heap-address-space 64KiB --max-heap-size 64KiB "$scratch/esc.wasm"

# --- signatures
expect 0 "" "$lucetc" --signature-keygen --signature-sk "$scratch/key.sk" --signature-pk "$scratch/key.pk"
expect 0 "" "$lucetc" --signature-keygen --signature-sk "$scratch/other.sk" --signature-pk "$scratch/other.pk"
[ "$(stat -c %a "$scratch/key.sk")" = 600 ] || { echo "FAIL: secret key file is not 0600"; fail=1; }
expect 1 "cannot create" "$lucetc" --signature-keygen --signature-sk "$scratch/key.sk" --signature-pk "$scratch/new.pk"
expect 2 "--signature-keygen needs --signature-sk and --signature-pk" "$lucetc" --signature-keygen --signature-sk "$scratch/x.sk"
expect 2 "--signature-create needs --signature-sk" "$lucetc" "$hello" -o "$scratch/h.so" --signature-create
expect 0 "" "$lucetc" "$hello" -o "$scratch/hello-signed.so" --signature-create --signature-sk "$scratch/key.sk"
expect 0 "" "$lucetc" "$hello" -o "$scratch/hello.so"

expect 0 "" "$lw" --signature-verify --signature-pk "$scratch/key.pk" "$scratch/hello-signed.so" a b
grep -q "Hello, world!" "$scratch/out" || { echo "FAIL: the signed module printed no greeting"; fail=1; }
expect 0 "" "$lw" "$scratch/hello-signed.so"   # no verification asked: runs as any .so
expect 1 "hello.so: refusing to load: no module signature" \
    "$lw" --signature-verify --signature-pk "$scratch/key.pk" "$scratch/hello.so"
expect 1 "hello-signed.so: refusing to load: signed by another key" \
    "$lw" --signature-verify --signature-pk "$scratch/other.pk" "$scratch/hello-signed.so"
size=$(stat -c %s "$scratch/hello-signed.so")
cp "$scratch/hello-signed.so" "$scratch/tampered.so"
printf '\x01' | dd of="$scratch/tampered.so" bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -s "$scratch/hello-signed.so" "$scratch/tampered.so" && { echo "FAIL: the tampered copy is identical"; fail=1; }
expect 1 "tampered.so: refusing to load: invalid module signature" \
    "$lw" --signature-verify --signature-pk "$scratch/key.pk" "$scratch/tampered.so"
expect 1 "a .wasm cannot carry a signature" \
    env XDG_CACHE_HOME="$scratch/cache2" "$lw" --signature-verify --signature-pk "$scratch/key.pk" "$hello"
[ -e "$scratch/cache2/lucet" ] && { echo "FAIL: a refused .wasm was compiled into the cache"; fail=1; }
expect 2 "--signature-verify needs --signature-pk" "$lw" --signature-verify "$scratch/hello-signed.so"
expect 2 "--signature-pk is only used with --signature-verify" "$lw" --signature-pk "$scratch/key.pk" "$scratch/hello-signed.so"
expect 2 "not a lucet public key file" "$lw" --signature-verify --signature-pk "$scratch/key.sk" "$scratch/hello-signed.so"

# --- a .so that runs code at dlopen never gets there
cat > "$scratch/ctor.c" <<EOF2
#include <stdio.h>
__attribute__((constructor)) static void c(void) { FILE *f = fopen("$scratch/marker", "w"); if (f) fclose(f); }
int lucet_module;
EOF2
cc -shared -fPIC -o "$scratch/m.so" "$scratch/ctor.c" || fail=1
expect 1 "lucet-wasi: error: $scratch/m.so: refusing to load: DT_INIT_ARRAY present (constructors would run at dlopen)" \
    "$lw" "$scratch/m.so"
[ -e "$scratch/marker" ] && { echo "FAIL: the constructor ran"; fail=1; }

exit $fail
