#!/bin/bash
# ./lux coverage: line and branch coverage of the hosted core by the unit,
# integration and simulation tests (the ones that run the kernel's code in
# luxsim or a unit harness; the fuzz smokes, benchmarks and QEMU boots are
# left out: the first two are about speed and finding, the last runs the
# metal image, which gcov cannot see).
#
# Builds build/coverage (gcc --coverage -O0, no metal image; the core the
# unit tests link is built without its sanitizers there: LUX_COVERAGE),
# runs those tests with ctest, and writes
#   build/coverage/report/index.html   an HTML report, line by line
#   build/coverage/report/summary.txt  the table below, for docs/testing.md
# A test that fails is reported and makes the run exit 1 (a report of a
# failing run is still written, and says so).
#
# usage: tests/coverage/coverage.sh [SOURCE_DIR]
set -u
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"
build=build/coverage
say() { printf '==> %s\n' "$*" >&2; }
command -v gcovr >/dev/null || { echo "coverage: gcovr is not installed (Debian: gcovr)" >&2; exit 2; }

if [ ! -f $build/build.ninja ]; then
	say "configuring $build (cmake --preset coverage)"
	cmake --preset coverage >/dev/null || exit 2
fi
say "building $build (gcc --coverage -O0)"
cmake --build --preset coverage || exit 2
find $build -name '*.gcda' -delete	# counts of this run only
say "running the unit, integration and simulation tests under gcov (~8 minutes on 2 cores)"
ctest --test-dir $build -R '^(unit|integration|sim)-' -E 'integration-readme|linux|-asan$' \
	-j2 --timeout 900 --output-on-failure
failed=$?

mkdir -p $build/report
say "writing $build/report (gcovr $(gcovr --version | head -1 | awk '{print $2}'))"
filters=(--filter 'core/' --filter 'arch-hosted/' --filter 'crypto/' --filter 'sim/')
# Left out: the fuzzers' and benchmarks' objects (not what the tests run), and
# cmake's compiler probe.
skip=(--exclude-directories '.*/fuzz/.*' --exclude-directories '.*/tests/bench/.*'
      --exclude-directories '.*/CMakeFiles/[0-9.]+/.*')	# cmake's compiler probe
gcovr -r "$top" --object-directory $build "${filters[@]}" "${skip[@]}" --exclude 'core/test/' \
	--html-details $build/report/index.html --json-summary $build/report/summary.json \
	--gcov-ignore-parse-errors >/dev/null || exit 2
python3 - "$build/report/summary.json" "$failed" >$build/report/summary.txt <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
groups = {}
for f in d["files"]:
    parts = f["filename"].split("/")
    key = "/".join(parts[:2]) if parts[0] == "core" else parts[0]
    g = groups.setdefault(key, [0, 0, 0, 0])
    g[0] += f["line_covered"]; g[1] += f["line_total"]
    g[2] += f["branch_covered"]; g[3] += f["branch_total"]
pct = lambda a, b: "%5.1f%%" % (100.0 * a / b) if b else "    -"
print("%-16s %8s %14s %8s %14s" % ("folder", "lines", "", "branches", ""))
tot = [0, 0, 0, 0]
for k in sorted(groups):
    g = groups[k]
    tot = [x + y for x, y in zip(tot, g)]
    print("%-16s %8s %6d/%-7d %8s %6d/%-7d" % (k, pct(g[0], g[1]), g[0], g[1], pct(g[2], g[3]), g[2], g[3]))
print("%-16s %8s %6d/%-7d %8s %6d/%-7d" % ("all", pct(tot[0], tot[1]), tot[0], tot[1], pct(tot[2], tot[3]), tot[2], tot[3]))
if sys.argv[2] != "0":
    print("(some tests failed in this run: see ctest's output)")
EOF
cat $build/report/summary.txt
say "report: $top/$build/report/index.html"
[ $failed -eq 0 ] || { echo "coverage: some tests failed (ctest's output above)" >&2; exit 1; }
