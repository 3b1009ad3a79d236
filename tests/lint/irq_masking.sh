#!/bin/sh
# No bare interrupt masking in the core outside the places where it is the
# point (docs/locks.md): everything else takes a named lock (spin_lock,
# qlock), which says what it protects and which the lock-order checker
# sees.  Counts arch_irq_save outside the allowed files and fails, listing
# each, if any is found.
#
# usage: tests/lint/irq_masking.sh [SOURCE_DIR]
set -eu
top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top"

# The allowed files, each with its reason (docs/locks.md says more):
allowed='
core/kern/lock.c		the lock implementation
core/kern/lockdep.c		the lock-order checker, part of the lock implementation
core/kern/proc.c		the scheduler: masked state is carried across a switch
core/kern/print.c		panic: masks for good, and may not take a lock
core/test/scenario/net.c	the simulated arch: interrupt entry of connection upcalls
core/test/scenario/net_bridge.c	the simulated arch: the bridge that delivers upcalls
core/test/scenario/blkdev.c	the simulated arch: a disk that delivers lux_blk_done
'
pattern=$(printf '%s\n' "$allowed" | awk 'NF { printf "%s^%s:", sep, $1; sep = "|" }')
found=$(grep -rn --include='*.c' 'arch_irq_save' core | grep -Ev "$pattern" || true)
if [ -n "$found" ]; then
	printf '%s\n' "$found"
	printf 'irq-masking: %d bare arch_irq_save outside the lock implementation, the scheduler and upcall entry: take a named lock (docs/locks.md)\n' \
		"$(printf '%s\n' "$found" | wc -l)" >&2
	exit 1
fi
echo "irq-masking: no bare arch_irq_save in core outside the allowed files"
