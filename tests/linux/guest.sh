# Functions for workloads run in the test guest (tests/linux/guest.py).

# port NAME: the /dev/vport device the host wired for the 9P server NAME
port() {
	for f in /sys/class/virtio-ports/*/name; do
		if [ "$(cat "$f")" = "$1" ]; then
			echo "/dev/$(basename "$(dirname "$f")")"
			return 0
		fi
	done
	echo "guest: no port named $1" >&2
	return 1
}

# mount9p NAME MOUNTPOINT OPTIONS: mount the server on port NAME with v9fs
# over trans=fd.  v9fs's fd transport writes with kernel_write, which a
# virtio port does not support ("kernel write not supported for file
# /vport0p1"), so the kernel gets two pipes and two cats copy between them
# and the port (one open of it: a port opens once).  The cat reading the
# port outlives an unmount (it sleeps in read), so mounting the same port
# again first ends the cats of its last mount.  Each mount gets its own fds
# (from 10) and fifos.
_fd=10
mount9p() {
	dev=$(port "$1") || return 1
	mkdir -p "$2"
	fifo=/tmp/.9p-$1-$_fd
	mkfifo "$fifo.in" "$fifo.out" || return 1
	r=$_fd w=$((_fd + 1)) p=$((_fd + 2))
	_fd=$((_fd + 3))
	[ -f "/tmp/.9p-$1.pids" ] && kill $(cat "/tmp/.9p-$1.pids") 2>/dev/null && sleep 0.2
	eval "exec $p<>$dev" || return 1
	# each open of a fifo waits for its other end: the cats' opens
	# finish when the shell opens its ends below
	# from /, so that no mount is busy with a cat's working directory
	eval "(cd / && exec cat) <&$p >$fifo.in &"
	pids=$!
	eval "(cd / && exec cat) <$fifo.out >&$p &"
	echo "$pids $!" >"/tmp/.9p-$1.pids"
	eval "exec $r<$fifo.in $w>$fifo.out" || return 1
	mount -t 9p -o "trans=fd,rfdno=$r,wfdno=$w,$3" "$1" "$2"
	st=$?
	# the kernel holds its own references to the pipes; the cats hold the port
	eval "exec $r<&- $w>&- $p>&-"
	rm -f "$fifo.in" "$fifo.out"
	[ $st = 0 ] || kill $(cat "/tmp/.9p-$1.pids") 2>/dev/null
	return $st
}
