#!/bin/sh
# ./lux lint: cppcheck over the kernel's C (core, both arches, drivers) with
# a small set of checks that must find nothing: "warning" (undefined
# behaviour, null dereferences, out-of-bounds indexes, wrong format
# arguments) and "portability".  Style checks are left out on purpose: the
# house style is docs/style.md's, and a linter's taste would only add noise.
# A finding fails with its file, line and check; suppress one only in the
# code, with a comment saying why (// cppcheck-suppress ID).
#
# usage: tests/lint/lint.sh [SOURCE_DIR [PATH...]]   (PATH: what to check instead)
set -eu
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"
[ $# -gt 1 ] && shift && paths=$* || paths="core arch-hosted arch-x86_64 drivers"
command -v cppcheck >/dev/null || { echo "lint: cppcheck is not installed (Debian: cppcheck)" >&2; exit 2; }
out=$(cppcheck --library=tests/lint/lux.cfg --enable=warning,portability --std=c11 --quiet \
	--inline-suppr --suppress=missingIncludeSystem -I core/include -I core \
	--template='{file}:{line}: {severity} ({id}): {message}' \
	$paths 2>&1 | grep -E '^[^ ].*:[0-9]+: ' || true)
if [ -n "$out" ]; then
	printf '%s\n' "$out"
	printf 'lint: %d finding(s) (cppcheck %s)\n' "$(printf '%s\n' "$out" | wc -l)" \
		"$(cppcheck --version | sed 's/Cppcheck //')" >&2
	exit 1
fi
echo "lint: cppcheck found nothing in $paths ($(cppcheck --version))"
