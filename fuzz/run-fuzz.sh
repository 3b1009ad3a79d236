#!/usr/bin/env bash
# Build the AFL++ harnesses (preset `afl`: afl-clang-fast, ASan+UBSan) and
# fuzz one target.
#
#   run-fuzz.sh [--time S] [--jobs N] [--smoke] TARGET
#
# TARGET is a folder under fuzz/ (9p_codec, 9p_client, 9p_server, auth).  --jobs N
# runs one main and N-1 secondary instances on the same output directory
# (-M/-S), so a campaign scales across cores; --smoke is what `./lux test`
# runs: one instance, a fresh output directory, and failure on any crash or
# hang.
# Results: build/afl/out/TARGET (crashes in */crashes, hangs in */hangs).
# LUX_AFL_BUILD=DIR builds and fuzzes in DIR instead of build/afl.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
time=60 jobs=1 smoke=0 target=
while [ $# -gt 0 ]; do
	case $1 in
	--time) time=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--smoke) smoke=1; shift ;;
	-h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "run-fuzz: unknown option $1" >&2; exit 2 ;;
	*) target=$1; shift ;;
	esac
done
case $time in ''|*[!0-9]*) echo "run-fuzz: --time wants seconds" >&2; exit 2 ;; esac
case $jobs in ''|*[!0-9]*|0) echo "run-fuzz: --jobs wants a positive number" >&2; exit 2 ;; esac
[ -n "$target" ] || { echo "run-fuzz: which target? (one of: $(cd "$top/fuzz" && ls -d */ | tr -d / | tr '\n' ' '))" >&2; exit 2; }
[ -d "$top/fuzz/$target" ] || { echo "run-fuzz: no fuzz target '$target' under fuzz/" >&2; exit 2; }
exe=fuzz-${target//_/-}
build=${LUX_AFL_BUILD:-$top/build/afl}

echo "run-fuzz: building $exe with afl-clang-fast (ASan+UBSan) in ${build#$top/}"
cd "$top"
[ -f "$build/build.ninja" ] || cmake --preset afl -B "$build" >/dev/null
cmake --build "$build" --target "$exe" "$exe-seeds" >/dev/null

out=$build/out/$target
seeds=$build/seeds/$target
rm -rf "$seeds"; mkdir -p "$seeds"
"$build/fuzz/$target/$exe-seeds" "$seeds" >/dev/null
[ $smoke = 1 ] && rm -rf "$out"
mkdir -p "$out"
input=$seeds
[ -d "$out/main/queue" ] && input=-	# resume a campaign

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0
echo "run-fuzz: fuzzing $target for $time s with $jobs instance(s); output in ${out#$top/}"
pids=()
for i in $(seq 1 "$jobs"); do
	role=-S name=sec$i
	[ "$i" = 1 ] && role=-M name=main
	afl-fuzz -i "$input" -o "$out" $role $name -V "$time" -t 1000 -m none \
		-- "$build/fuzz/$target/$exe" >"$out/$name.log" 2>&1 &
	pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=$?; done

execs=0 eps=0 crashes=0 hangs=0
for s in "$out"/*/fuzzer_stats; do
	[ -f "$s" ] || continue
	execs=$((execs + $(awk '$1=="execs_done"{print $3}' "$s")))
	eps=$(awk -v a="$eps" '$1=="execs_per_sec"{printf "%.0f", a + $3}' "$s")
	crashes=$((crashes + $(awk '$1=="saved_crashes"||$1=="unique_crashes"{print $3; exit}' "$s")))
	hangs=$((hangs + $(awk '$1=="saved_hangs"||$1=="unique_hangs"{print $3; exit}' "$s")))
done
if [ ! -f "$out/main/fuzzer_stats" ]; then
	echo "run-fuzz: afl-fuzz did not start; its log:" >&2
	tail -20 "$out/main.log" >&2
	exit 1
fi
echo "run-fuzz: $target: $execs execs, $eps execs/s, $crashes crashes, $hangs hangs ($jobs instance(s), $time s)"
if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
	echo "run-fuzz: FAILED: inputs are in ${out#$top/}/*/crashes and */hangs;" \
	     "replay one with build/full/fuzz/$target/$exe FILE, then add it to fuzz/$target/regress/" >&2
	exit 1
fi
[ $status = 0 ] || { echo "run-fuzz: afl-fuzz exited with status $status (see ${out#$top/}/*.log)" >&2; exit 1; }
