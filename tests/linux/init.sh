#!/bin/sh
# The test guest's init (tests/linux/guest.py): mount the kernel's file
# systems, load the virtio and 9p modules, run /workload.sh, print its
# status between markers the host looks for, and power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $(cat /lib/modules/order); do
	insmod /lib/modules/$m || echo "init: insmod $m failed"
done
# wait (bounded) until every port the host wired has its device
for p in $(cat /etc/ports); do
	n=0
	while ! grep -qx "$p" /sys/class/virtio-ports/*/name 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
done
cd /root
echo "@@LUXGUEST-BEGIN@@"
sh -c '. /lib/guest.sh; . /workload.sh'
st=$?
echo "@@LUXGUEST-END $st@@"
sync
# -no-reboot on the QEMU side turns this into QEMU's exit
reboot -f
