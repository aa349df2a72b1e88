#!/bin/bash
# Modules using a proposal lucetc does not implement are refused with one
# line on stderr that names the proposal, after the spec's own text.
#
#   run_proposals.sh LUCETC LUCET_WASI WAT2WASM
. "$(dirname "$0")/../lib.sh"
lucetc=$1 lw=$2 wat2wasm=$3
make_scratch proposals
export XDG_CACHE_HOME=$scratch/cache

# refused NAME EXPECTED_LINE_SUBSTRING: lucetc and lucet-wasi both exit 1 with
# exactly one line that contains the substring.
refused() {
    local name=$1 want=$2 tool
    for tool in lucetc lucet-wasi; do
        if [ $tool = lucetc ]; then "$lucetc" "$scratch/$name.wasm" -o "$scratch/$name.so" 2> "$scratch/err"
        else "$lw" "$scratch/$name.wasm" 2> "$scratch/err"; fi
        local st=$?
        if [ "$st" != 1 ]; then echo "FAIL: $tool $name: exit $st, expected 1"; fail=1; fi
        if [ "$(wc -l < "$scratch/err")" != 1 ] || ! grep -qF -- "$want" "$scratch/err"; then
            echo "FAIL: $tool $name: expected one line with '$want', got:"; cat "$scratch/err"; fail=1
        fi
    done
}
wat() { printf '%s' "$2" > "$scratch/$1.wat" && "$wat2wasm" --enable-all "$scratch/$1.wat" -o "$scratch/$1.wasm" || fail=1; }
bin() { printf "$2" > "$scratch/$1.wasm"; }

wat shared '(module (memory 1 1 shared))'
refused shared "integer too large: limits flag 0x03 is a shared memory, from the threads proposal, which is not supported"
wat mem64 '(module (memory i64 1))'
refused mem64 "integer too large: limits flag 0x04 is a 64-bit memory or table, from the memory64 proposal"
wat tail '(module (func $f (return_call $f)))'
refused tail "illegal opcode 0x12: return_call, from the tail-call proposal, which is not supported"
wat tail_ind '(module (type $t (func)) (table 1 funcref) (func (return_call_indirect (type $t) (i32.const 0))))'
refused tail_ind "return_call_indirect, from the tail-call proposal"
wat tag '(module (tag $t (param i32)) (func (throw $t (i32.const 1))))'
refused tag "malformed section id 13: section 13 is the tag section, from the exception-handling proposal"
wat try '(module (func (try (do nop) (catch_all nop))))'
refused try "illegal opcode 0x6: try, from the exception-handling proposal"
wat multimem '(module (memory 1) (memory 1))'
refused multimem "multiple memories (2 declared or imported): more than one memory, from the multi-memory proposal"
# GC types (wabt 1.0.32 has no GC text syntax): a struct, an array, a rec group.
bin gc_struct '\0asm\1\0\0\0\1\3\1\x5f\0'
refused gc_struct "malformed function type (expected 0x60): 0x5f is a struct type, from the GC proposal"
bin gc_array '\0asm\1\0\0\0\1\3\1\x5e\x7f\0'
refused gc_array "0x5e is an array type, from the GC proposal"
bin gc_rec '\0asm\1\0\0\0\1\5\1\x4e\1\x60\0\0'
refused gc_rec "0x4e is a recursive type group, from the GC proposal"
# Atomics on an unshared memory: the 0xfe prefix.
bin atomics '\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0\5\3\1\0\1\n\x0b\1\x09\0\x41\0\xfe\x10\2\0\x1a\x0b'
refused atomics "illegal opcode 0xfe: the 0xfe prefix (atomic instructions), from the threads proposal"
# A byte no proposal uses keeps the plain spec text.
bin plain '\0asm\1\0\0\0\1\4\1\x60\0\0\3\2\1\0\n\5\1\3\0\xff\x0b'
refused plain "illegal opcode 0xff"
if grep -q "from the" "$scratch/err"; then echo "FAIL: 0xff named a proposal"; fail=1; fi
exit $fail
