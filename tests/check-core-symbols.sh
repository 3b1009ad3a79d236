#!/bin/sh
# The hosted core is linked into a process that also has libc, libuv,
# libsodium and the sanitizer runtimes: a core symbol with the same name
# as one of theirs silently replaces it for the whole process (that is how
# a core `sched_yield` once broke ASan).  Fail if any global the core
# defines is also defined by those libraries.
# Usage: check-core-symbols.sh CORE_LIB.a
set -u
lib=$1
ours=$(nm -g --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u)
[ -n "$ours" ] || { echo "no symbols read from $lib"; exit 1; }
theirs=$(for so in /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 \
                   /usr/lib/x86_64-linux-gnu/libuv.so.1 /usr/lib/x86_64-linux-gnu/libsodium.so.23 \
                   $(ls /usr/lib/gcc/x86_64-linux-gnu/*/libasan.so /usr/lib/x86_64-linux-gnu/libasan.so.* 2>/dev/null); do
	[ -e "$so" ] && nm -D --defined-only "$so" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//'
done | sort -u)
clash=$(printf '%s\n' "$ours" | comm -12 - "$(printf '%s\n' "$theirs" > /tmp/theirs.$$; echo /tmp/theirs.$$)")
rm -f /tmp/theirs.$$
if [ -n "$clash" ]; then
	echo "core symbols that clash with libc/libuv/libsodium/ASan (rename them):"
	echo "$clash"
	exit 1
fi
echo "core-symbols: $(printf '%s\n' "$ours" | wc -l) core symbols, no clash with the host libraries"
