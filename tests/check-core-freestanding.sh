#!/bin/sh
# The core is freestanding: it includes only its own headers and the
# compiler's freestanding ones, and never asks which arch it runs on.
# Usage: check-core-freestanding.sh SOURCE_DIR
set -u
top=${1:-.}
fail=0
allowed='stdarg\.h|stdbool\.h|stddef\.h|stdint\.h|stdalign\.h|stdnoreturn\.h|limits\.h|lux/[a-z0-9_]+\.h'
bad=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "$top/core" | grep -vE "<($allowed)>")
if [ -n "$bad" ]; then
	echo "core/ includes headers other than its own and the compiler's freestanding ones:"
	echo "$bad"
	fail=1
fi
bad=$(grep -rnE '#[[:space:]]*(if|ifdef|ifndef|elif).*(__x86_64__|__amd64__|__i386__|__aarch64__|__arm__|__riscv|__linux__|__unix__|_WIN32|__APPLE__|HOSTED|X86_64|EFI)' "$top/core")
if [ -n "$bad" ]; then
	echo "core/ tests an arch or host name in the preprocessor (make it a contract function or a capability):"
	echo "$bad"
	fail=1
fi
n=$(find "$top/core" -name '*.[ch]' | wc -l)
if [ $fail = 0 ]; then
	echo "core-freestanding: $n files checked, no host headers, no arch names"
fi
exit $fail
