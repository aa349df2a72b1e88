#!/usr/bin/env bash
# run_bench.sh: native vs. lucetc benchmark of the kernels in test/bench/kernels.
#
# For each kernel: build it natively (gcc -O2) and to wasm32-wasi (clang -O2),
# compile the wasm with lucetc into a .so, then run the native binary and the
# module under lucet-wasi interleaved (native, wasm, native, wasm, ...) so that
# a slow phase of this shared machine hits both alike. Every run's stdout must
# equal the native output. Prints per-kernel medians of whole-process wall
# time, the wasm/native ratio, and the geometric mean and maximum of the ratios.
#
# Exit status: 0 if everything built, every output matched and the targets
# (geometric mean <= 1.15, no kernel over 1.6, and any --kernel-target) were
# met; 1 on a build failure or output mismatch; 3 if only the targets were
# missed (unless --no-targets).
set -u -o pipefail

usage() {
    cat <<'EOF'
usage: run_bench.sh --lucetc PATH --lucet-wasi PATH [options]
  --kernels DIR       directory of kernel .c files (default: next to this script); repeatable
  --cflags FLAGS      extra flags for both builds, split at spaces (e.g. '-Idir -DSIMD_REPS=25')
  --wasm-cflags FLAGS extra flags for the wasm build only (e.g. -msimd128)
  --work DIR          scratch directory, kept (env BENCH_WORK; default: a temp dir, removed)
  --runs N            timed runs per variant (default 5; env BENCH_RUNS)
  --only K1,K2        run only these kernels (env BENCH_ONLY)
  --opt-level N       lucetc --opt-level (default 2)
  --cc CC             native compiler (default gcc)
  --wasm-cc CC        wasm compiler (default clang)
  --sysroot DIR       wasi sysroot for the wasm compiler (default /usr)
  --wasm2c            add a wabt wasm2c + gcc -O2 column (env BENCH_WASM2C=1)
  --w2c-main FILE     WASI shim for the wasm2c column (default: w2c_wasi_main.c next to this script)
  --clock cpu|wall    measure child user+sys CPU time (default) or wall time (env BENCH_CLOCK)
  --no-targets        do not fail when the ratio targets are missed
  --geomean-target X  (default 1.15)   --max-target X (default 1.6)
  --kernel-target K=X kernel K's ratio must also be <= X; repeatable
EOF
}

script_dir=$(cd "$(dirname "$0")" && pwd)
lucetc=""
lucet_wasi=""
kernels_dirs=()
extra_cflags=()
wasm_cflags=()
declare -A kernel_target
work=${BENCH_WORK:-}
runs=${BENCH_RUNS:-5}
only=${BENCH_ONLY:-}
opt_level=2
native_cc=gcc
wasm_cc=clang
sysroot=/usr
use_w2c=${BENCH_WASM2C:-0}
w2c_main="$script_dir/w2c_wasi_main.c"
check_targets=1
clock=${BENCH_CLOCK:-cpu}
geomean_target=1.15
max_target=1.6

die_usage() { echo "run_bench.sh: $1" >&2; usage >&2; exit 2; }
need_arg() { [ $# -ge 2 ] || die_usage "option $1 needs a value"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --lucetc) need_arg "$@"; lucetc=$2; shift 2 ;;
        --lucet-wasi) need_arg "$@"; lucet_wasi=$2; shift 2 ;;
        --kernels) need_arg "$@"; kernels_dirs+=("$2"); shift 2 ;;
        --cflags) need_arg "$@"; read -r -a f <<<"$2"; extra_cflags+=("${f[@]}"); shift 2 ;;
        --wasm-cflags) need_arg "$@"; read -r -a f <<<"$2"; wasm_cflags+=("${f[@]}"); shift 2 ;;
        --kernel-target) need_arg "$@"
            [[ "$2" =~ ^[A-Za-z0-9_]+=[0-9.]+$ ]] || die_usage "--kernel-target takes KERNEL=RATIO, got '$2'"
            kernel_target[${2%%=*}]=${2#*=}; shift 2 ;;
        --work) need_arg "$@"; work=$2; shift 2 ;;
        --runs) need_arg "$@"; runs=$2; shift 2 ;;
        --only) need_arg "$@"; only=$2; shift 2 ;;
        --opt-level) need_arg "$@"; opt_level=$2; shift 2 ;;
        --cc) need_arg "$@"; native_cc=$2; shift 2 ;;
        --wasm-cc) need_arg "$@"; wasm_cc=$2; shift 2 ;;
        --sysroot) need_arg "$@"; sysroot=$2; shift 2 ;;
        --wasm2c) use_w2c=1; shift ;;
        --w2c-main) need_arg "$@"; w2c_main=$2; shift 2 ;;
        --no-targets) check_targets=0; shift ;;
        --clock) need_arg "$@"; clock=$2; shift 2 ;;
        --geomean-target) need_arg "$@"; geomean_target=$2; shift 2 ;;
        --max-target) need_arg "$@"; max_target=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) die_usage "unknown option '$1'" ;;
    esac
done

[ -n "$lucetc" ] || die_usage "--lucetc is required"
[ -n "$lucet_wasi" ] || die_usage "--lucet-wasi is required"
[ -x "$lucetc" ] || die_usage "lucetc '$lucetc' is not an executable file"
[ -x "$lucet_wasi" ] || die_usage "lucet-wasi '$lucet_wasi' is not an executable file"
[ ${#kernels_dirs[@]} -gt 0 ] || kernels_dirs=("$script_dir/kernels")
for d in "${kernels_dirs[@]}"; do
    [ -d "$d" ] || die_usage "kernel directory '$d' does not exist"
done
case "$clock" in cpu|wall) ;; *) die_usage "--clock must be cpu or wall, got '$clock'" ;; esac
case "$runs" in ''|*[!0-9]*|0) die_usage "--runs must be a positive integer, got '$runs'" ;; esac

if [ "$use_w2c" = 1 ]; then
    w2c_rt=""
    for d in /usr/share/wabt/wasm2c /usr/src/wasm2c; do
        [ -f "$d/wasm-rt-impl.c" ] && { w2c_rt=$d; break; }
    done
    if ! command -v wasm2c >/dev/null || [ -z "$w2c_rt" ] || [ ! -f "$w2c_main" ]; then
        echo "run_bench.sh: wasm2c, its runtime (wasm-rt-impl.c) or $w2c_main not found; no wasm2c column" >&2
        use_w2c=0
    fi
fi

if [ -z "$work" ]; then
    work=$(mktemp -d "${TMPDIR:-/tmp}/lucet-bench.XXXXXX") || { echo "run_bench.sh: mktemp failed" >&2; exit 1; }
    trap 'rm -rf "$work"' EXIT
else
    mkdir -p "$work" || { echo "run_bench.sh: cannot create work directory '$work'" >&2; exit 1; }
    # Absolute, so the module path handed to lucet-wasi never depends on a
    # library search path (dlopen treats a bare name as a library to look up).
    work=$(cd "$work" && pwd)
fi

# Keep lucet-wasi's on-the-fly .wasm cache out of $HOME; we pass .so files
# anyway, but a misbehaving launcher must not litter the user's cache.
export XDG_CACHE_HOME="$work/cache"

kernels=()
declare -A kernel_src
for d in "${kernels_dirs[@]}"; do
    for f in "$d"/*.c; do
        [ -e "$f" ] || continue
        k=$(basename "$f" .c)
        if [ -n "$only" ] && [[ ",$only," != *",$k,"* ]]; then continue; fi
        [ -z "${kernel_src[$k]:-}" ] || { echo "run_bench.sh: two kernels named $k: ${kernel_src[$k]} and $f" >&2; exit 2; }
        kernel_src[$k]=$f
        kernels+=("$k")
    done
done
[ ${#kernels[@]} -gt 0 ] || { echo "run_bench.sh: no kernels selected in ${kernels_dirs[*]}" >&2; exit 1; }
for k in "${!kernel_target[@]}"; do
    [ -n "${kernel_src[$k]:-}" ] || die_usage "--kernel-target names $k, which is not a selected kernel"
done

failed=0
fail() { echo "FAIL: $*" >&2; failed=1; }

# run_logged LOG CMD...: runs a build step; on failure shows the log's tail.
run_logged() {
    local log=$1; shift
    if ! "$@" >"$log" 2>&1; then
        echo "  command failed: $*" >&2
        tail -n 20 "$log" | sed 's/^/    /' >&2
        return 1
    fi
}

# ---- build ----------------------------------------------------------------
declare -A built
for k in "${kernels[@]}"; do
    src=${kernel_src[$k]}
    echo "building $k" >&2
    ok=1
    run_logged "$work/$k.native.log" "$native_cc" -O2 "${extra_cflags[@]}" -o "$work/$k.native" "$src" -lm || ok=0
    run_logged "$work/$k.wasm.log" "$wasm_cc" --target=wasm32-wasi --sysroot="$sysroot" -O2 "${extra_cflags[@]}" \
        "${wasm_cflags[@]}" -o "$work/$k.wasm" "$src" -lm || ok=0
    if [ $ok = 1 ]; then
        run_logged "$work/$k.lucetc.log" "$lucetc" "$work/$k.wasm" -o "$work/$k.so" \
            --opt-level "$opt_level" || ok=0
        if [ $ok = 1 ] && [ ! -s "$work/$k.so" ]; then
            echo "  $lucetc exited 0 but wrote no $work/$k.so" >&2
            ok=0
        fi
    fi
    if [ $ok = 1 ] && [ "$use_w2c" = 1 ]; then
        # wasm2c derives C identifiers from -n; kernel names are plain words.
        run_logged "$work/$k.w2c.log" wasm2c -n "$k" "$work/$k.wasm" -o "$work/w2c_$k.c" &&
        run_logged "$work/$k.w2cc.log" "$native_cc" -O2 -I"$w2c_rt" -I"$work" -DW2C_NAME="$k" \
            -DW2C_HEADER="\"w2c_$k.h\"" -o "$work/$k.w2c" "$work/w2c_$k.c" "$w2c_main" \
            "$w2c_rt/wasm-rt-impl.c" -lm || ok=0
    fi
    if [ $ok = 1 ]; then built[$k]=1; else fail "$k: build failed"; fi
done

# ---- run ------------------------------------------------------------------
# timed_run OUTFILE CMD...: runs CMD with stdout to OUTFILE; prints seconds.
# With --clock cpu (default) that is the child's user+sys CPU time from the
# `times` builtin: this runs in a $(...) subshell whose child-time counters
# start at zero, so they cover CMD alone, and CPU time is far less disturbed
# than wall time when other jobs share the two cores. With --clock wall it is
# $EPOCHREALTIME (bash >= 5), microsecond resolution without a fork.
timed_run() {
    local out=$1; shift
    local t0=$EPOCHREALTIME
    "$@" >"$out" 2>"$out.err"
    local rc=$?
    local t1=$EPOCHREALTIME
    if [ "$clock" = wall ]; then
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
    else
        # A redirect, not a pipe: a pipeline would run `times` in a fresh
        # subshell whose child counters are zero.
        times >"$out.times"
        awk 'NR == 2 {
            split($1, u, /[ms]/); split($2, s, /[ms]/)
            printf "%.6f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$out.times"
    fi
    return $rc
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

variants=(native wasm)
[ "$use_w2c" = 1 ] && variants+=(w2c)

declare -A med
for k in "${kernels[@]}"; do
    [ -n "${built[$k]:-}" ] || continue
    echo "running $k ($runs runs each: ${variants[*]})" >&2
    expected=""
    ok=1
    for v in "${variants[@]}"; do : >"$work/$k.$v.times"; done
    for ((r = 1; r <= runs && ok; r++)); do
        for v in "${variants[@]}"; do
            case $v in
                native) cmd=("$work/$k.native") ;;
                wasm) cmd=("$lucet_wasi" "$work/$k.so") ;;
                w2c) cmd=("$work/$k.w2c") ;;
            esac
            if ! t=$(timed_run "$work/$k.$v.out" "${cmd[@]}"); then
                fail "$k: $v run $r exited with an error: $(tail -n 3 "$work/$k.$v.out.err" | tr '\n' ' ')"
                ok=0; break
            fi
            if [ -z "$expected" ]; then
                expected=$(cat "$work/$k.$v.out")
                [ -n "$expected" ] || { fail "$k: $v printed nothing"; ok=0; break; }
            elif [ "$(cat "$work/$k.$v.out")" != "$expected" ]; then
                fail "$k: $v output '$(head -c 200 "$work/$k.$v.out")' differs from native '$expected'"
                ok=0; break
            fi
            echo "$t" >>"$work/$k.$v.times"
        done
    done
    [ $ok = 1 ] || continue
    for v in "${variants[@]}"; do med[$k.$v]=$(median <"$work/$k.$v.times"); done
    # A ratio needs a non-zero denominator; a kernel this fast measures nothing.
    if awk -v t="${med[$k.native]}" 'BEGIN { exit !(t < 0.01) }'; then
        fail "$k: native median ${med[$k.native]} s is too short to measure"
        unset "med[$k.native]"
    fi
done

# ---- report ---------------------------------------------------------------
{
    if [ "$use_w2c" = 1 ]; then
        printf '%-10s %10s %10s %8s %10s %8s\n' kernel native_s lucet_s ratio wasm2c_s w2c_rat
    else
        printf '%-10s %10s %10s %8s\n' kernel native_s lucet_s ratio
    fi
    for k in "${kernels[@]}"; do
        [ -n "${med[$k.native]:-}" ] || { printf '%-10s %10s\n' "$k" FAILED; continue; }
        if [ "$use_w2c" = 1 ]; then
            echo "$k ${med[$k.native]} ${med[$k.wasm]} ${med[$k.w2c]}"
        else
            echo "$k ${med[$k.native]} ${med[$k.wasm]}"
        fi
    done | awk -v w2c="$use_w2c" '
        NF >= 3 {
            r = $3 / $2
            if (w2c) printf "%-10s %10.3f %10.3f %8.3f %10.3f %8.3f\n", $1, $2, $3, r, $4, $4 / $2
            else printf "%-10s %10.3f %10.3f %8.3f\n", $1, $2, $3, r
        }
        NF < 3 { print }'
} | tee "$work/report.txt"

summary=$(for k in "${kernels[@]}"; do
    [ -n "${med[$k.native]:-}" ] && echo "$k ${med[$k.native]} ${med[$k.wasm]} ${med[$k.w2c]:-0}"
done | awk -v w2c="$use_w2c" '
    { r = $3 / $2; s += log(r); n++; if (r > mx) { mx = r; mk = $1 }
      if (w2c) { s2 += log($4 / $2) } }
    END {
        if (n == 0) { print "0 0 none"; exit }
        printf "%.4f %.4f %s", exp(s / n), mx, mk
        if (w2c) printf " %.4f", exp(s2 / n)
        printf "\n"
    }')
read -r geomean maxratio maxkernel w2c_geomean <<<"$summary"
measured=0
for k in "${kernels[@]}"; do [ -n "${med[$k.native]:-}" ] && measured=$((measured + 1)); done
echo "kernels measured: $measured of ${#kernels[@]}, $runs runs each, medians of whole-process $clock time"
if [ $measured = 0 ]; then
    echo "run_bench.sh: no kernel could be measured" >&2
    exit 1
fi
printf 'geometric mean of ratios (lucet/native): %s   (target <= %s)\n' "$geomean" "$geomean_target"
printf 'maximum ratio: %s (%s)   (target <= %s)\n' "$maxratio" "$maxkernel" "$max_target"
[ "$use_w2c" = 1 ] && printf 'geometric mean of ratios (wasm2c/native): %s\n' "${w2c_geomean:-n/a}"
kernel_targets_met=1
for k in "${!kernel_target[@]}"; do
    [ -n "${med[$k.native]:-}" ] || continue
    r=$(awk -v a="${med[$k.wasm]}" -v b="${med[$k.native]}" 'BEGIN { printf "%.4f", a / b }')
    printf '%s ratio: %s   (target <= %s)\n' "$k" "$r" "${kernel_target[$k]}"
    awk -v r="$r" -v t="${kernel_target[$k]}" 'BEGIN { exit !(r <= t) }' || kernel_targets_met=0
done

[ $failed = 0 ] || { echo "run_bench.sh: FAILED (see messages above)" >&2; exit 1; }
met=$(awk -v g="$geomean" -v m="$maxratio" -v gt="$geomean_target" -v mt="$max_target" \
    -v kt="$kernel_targets_met" 'BEGIN { print (g <= gt && m <= mt && kt) ? 1 : 0 }')
if [ "$met" = 1 ]; then
    echo "targets met"
else
    echo "targets MISSED"
    [ $check_targets = 1 ] && exit 3
fi
exit 0
