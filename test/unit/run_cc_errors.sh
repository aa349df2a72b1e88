#!/bin/bash
# When the C compiler or the linker fails, lucetc and lucet-wasi show its
# own output but not its (long) command line, unless -v asks for it.
#
#   run_cc_errors.sh LUCETC LUCET_WASI WAT2WASM
. "$(dirname "$0")/../lib.sh"
lucetc=$1 lw=$2 wat2wasm=$3
make_scratch cc-errors
export XDG_CACHE_HOME=$scratch/cache

# A cc that fails compiling, and one that compiles (with the real cc) but fails linking.
cat > "$scratch/badcc" <<'SH'
#!/bin/sh
case " $* " in *" --version "*) echo "badcc 1.0"; exit 0;; esac
echo "badcc: error: simulated compile failure" >&2
exit 1
SH
cat > "$scratch/badld" <<'SH'
#!/bin/sh
case " $* " in
  *" --version "*) echo "badld 1.0"; exit 0;;
  *" -shared "*) echo "badld: undefined reference to 'simulated'" >&2; exit 1;;
esac
exec cc "$@"
SH
chmod +x "$scratch/badcc" "$scratch/badld"
printf '(module (func (export "f") (result i32) (i32.const 1)))' > "$scratch/m.wat"
"$wat2wasm" "$scratch/m.wat" -o "$scratch/m.wasm" || exit 1

# check TOOL_OUTPUT_FILE WANT... / NOT...
has() { grep -qF -- "$2" "$1" || { echo "FAIL: $3: output lacks '$2':"; cat "$1"; fail=1; }; }
lacks() { ! grep -qF -- "$2" "$1" || { echo "FAIL: $3: output has '$2':"; cat "$1"; fail=1; }; }

for cc in badcc badld; do
    [ $cc = badcc ] && own="simulated compile failure" || own="undefined reference to 'simulated'"
    [ $cc = badcc ] && flag="-fno-tree-dse" || flag="-nostdlib"
    CC=$scratch/$cc "$lucetc" "$scratch/m.wasm" -o "$scratch/m.so" 2> "$scratch/err"
    [ $? = 1 ] || { echo "FAIL: lucetc with $cc did not exit 1"; fail=1; }
    has "$scratch/err" "C compiler failed on" "lucetc $cc"
    has "$scratch/err" "-v shows the command" "lucetc $cc"
    has "$scratch/err" "$own" "lucetc $cc"
    lacks "$scratch/err" "$flag" "lucetc $cc"
    CC=$scratch/$cc "$lucetc" -v "$scratch/m.wasm" -o "$scratch/m.so" 2> "$scratch/err"
    has "$scratch/err" "$flag" "lucetc -v $cc"
    has "$scratch/err" "$own" "lucetc -v $cc"
    CC=$scratch/$cc "$lw" "$scratch/m.wasm" 2> "$scratch/err"
    [ $? = 1 ] || { echo "FAIL: lucet-wasi with $cc did not exit 1"; fail=1; }
    has "$scratch/err" "$own" "lucet-wasi $cc"
    lacks "$scratch/err" "$flag" "lucet-wasi $cc"
    CC=$scratch/$cc "$lw" -v "$scratch/m.wasm" 2> "$scratch/err"
    has "$scratch/err" "$flag" "lucet-wasi -v $cc"
done
exit $fail
