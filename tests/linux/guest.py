#!/usr/bin/env python3
"""Boot Debian's Linux kernel under QEMU and run a shell workload that can
mount 9P servers of the host through virtio-serial ports.

This sandbox's own kernel has no 9p filesystem, so the real Linux v9fs
client runs in a guest: Debian's linux-image-amd64 (vmlinuz from /boot, the
9p and virtio modules from /lib/modules), busybox-static for a userland,
and QEMU under TCG (no KVM here).  Each 9P server is a QEMU socket chardev
wired to a virtio-serial port; QEMU connects as a client, so a luxsim unix
socket sees QEMU's uid (the host owner's: a trusted connection, which may
attach as other users as v9fs access=user does).  In the guest the port is
/dev/vportNpM, found by name in /sys/class/virtio-ports, and v9fs mounts it
with trans=fd.

Used as a module (tests/linux/v9fs_test.py, tests/linux/pjdfstest.py):

    g = Guest(cache_dir)                       # builds or reuses the initramfs
    r = g.run(WORKLOAD, ports=[Port("lux", unix=path)], timeout=60)
    r.status, r.output, r.boot_seconds

The workload is a POSIX sh script run by busybox as root in the guest; it
may call `mount9p PORT MOUNTPOINT OPTIONS` (guest.sh).  Files given as
`files={guest_path: bytes}` (or `file_paths`, host files to copy) go into
the initramfs of that run only.

Run directly, it boots once with an empty workload and prints the boot
time: `tests/linux/guest.py --cache build/full/tests/linux`.
"""
import argparse
import glob
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# What v9fs over a virtio-serial port needs, by module name; their
# dependencies come from modules.dep.
WANTED_MODULES = ["virtio_pci", "virtio_console", "9pnet_fd", "9p"]

BEGIN = "@@LUXGUEST-BEGIN@@"
END_RE = re.compile(r"@@LUXGUEST-END (\d+)@@")


class GuestError(Exception):
    """The guest could not be built or booted, or did not finish."""


class Port:
    """A 9P server for the guest: a unix socket path or a TCP port on
    127.0.0.1.  name is what the workload passes to mount9p."""

    def __init__(self, name, unix=None, tcp=None):
        if (unix is None) == (tcp is None):
            raise ValueError("a port is a unix path or a tcp port")
        if not re.fullmatch(r"[a-z][a-z0-9]{0,15}", name):
            raise ValueError("port name %r: lower-case letters and digits" % name)
        self.name, self.unix, self.tcp = name, unix, tcp

    def chardev(self, n):
        where = "path=%s" % self.unix if self.unix else "host=127.0.0.1,port=%d" % self.tcp
        return "socket,id=c%d,%s" % (n, where)


class Result:
    def __init__(self, status, output, log, boot_seconds, seconds):
        self.status = status              # the workload's exit status
        self.output = output              # its output lines (console), as one string
        self.log = log                    # everything on the serial line
        self.boot_seconds = boot_seconds  # QEMU start to the workload's start
        self.seconds = seconds            # QEMU start to power-off


# ---- the host's kernel and modules ------------------------------------------

def find_kernel():
    """(vmlinuz, modules dir) of the newest Debian kernel whose modules are
    installed, or GuestError saying which package to install."""
    found = []
    for k in glob.glob("/boot/vmlinuz-*"):
        ver = os.path.basename(k)[len("vmlinuz-"):]
        mods = os.path.join("/lib/modules", ver)
        if os.path.isfile(os.path.join(mods, "modules.dep")):
            found.append((ver, k, mods))
    if not found:
        raise GuestError("no /boot/vmlinuz-* with /lib/modules: apt-get install linux-image-amd64")
    found.sort(key=lambda t: [int(x) if x.isdigit() else 0 for x in re.split(r"[.-]", t[0])])
    _, k, mods = found[-1]
    if not os.access(k, os.R_OK):
        raise GuestError("%s is not readable (run as root, or chmod it)" % k)
    return k, mods


def module_order(moddir, wanted):
    """Module files (relative to moddir) in an order insmod accepts:
    each after everything it depends on (modules.dep lists them)."""
    deps, byname = {}, {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            path, _, rest = line.partition(":")
            deps[path] = rest.split()
            byname[re.sub(r"\.ko(\.xz|\.zst|\.gz)?$", "", os.path.basename(path))] = path
    order = []

    def visit(path):
        if path in order:
            return
        for d in deps.get(path, []):
            visit(d)
        order.append(path)

    for name in wanted:
        if name not in byname:
            raise GuestError("module %s is not in %s/modules.dep (is it built in?)" % (name, moddir))
        visit(byname[name])
    return order


def module_bytes(path):
    """A module's ELF bytes: busybox insmod loads only uncompressed ones."""
    if path.endswith(".xz"):
        return subprocess.run(["xz", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
    if path.endswith(".gz"):
        return subprocess.run(["gzip", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
    with open(path, "rb") as f:
        return f.read()


# ---- cpio (newc), written here so no cpio tool is needed ---------------------

class Cpio:
    def __init__(self):
        self.out = bytearray()
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b""):
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join("%08x" % v for v in (
            self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
        self.ino += 1
        self.out += hdr.encode() + name_b
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def dir(self, name):
        name = name.strip("/")
        parts = name.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.dirs:
                self.dirs.add(d)
                self._entry(d, stat.S_IFDIR | 0o755)

    def file(self, name, data, mode=0o644):
        name = name.strip("/")
        if "/" in name:
            self.dir(name.rsplit("/", 1)[0])
        self._entry(name, stat.S_IFREG | mode, data)

    def symlink(self, name, target):
        self._entry(name.strip("/"), stat.S_IFLNK | 0o777, target.encode())

    def tree(self, host_dir, guest_dir):
        """A host directory's files, modes kept (scripts stay executable)."""
        for root, dirs, files in os.walk(host_dir):
            dirs.sort()
            rel = os.path.relpath(root, host_dir)
            gd = guest_dir if rel == "." else guest_dir + "/" + rel
            self.dir(gd)
            for fn in sorted(files):
                p = os.path.join(root, fn)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                with open(p, "rb") as f:
                    self.file(gd + "/" + fn, f.read(), os.stat(p).st_mode & 0o777)

    def finish(self):
        self._entry("TRAILER!!!", 0)
        self.out += b"\0" * (-len(self.out) % 512)
        return bytes(self.out)


# ---- the guest -------------------------------------------------------------

class Guest:
    def __init__(self, cache_dir, qemu="qemu-system-x86_64", memory_mb=512):
        self.cache_dir = os.path.abspath(cache_dir)
        self.qemu = qemu
        self.memory_mb = memory_mb
        if shutil.which(qemu) is None:
            raise GuestError("%s not found: apt-get install qemu-system-x86" % qemu)
        self.kernel, self.moddir = find_kernel()
        self.base = self._base_initramfs()

    def _base_initramfs(self):
        """The cached initramfs: busybox, the modules, init, guest.sh,
        asuser and a passwd file.  Rebuilt when any input changes."""
        busybox = shutil.which("busybox") or "/bin/busybox"
        if not os.path.isfile(busybox):
            raise GuestError("no busybox: apt-get install busybox-static")
        with open(busybox, "rb") as f:
            head = f.read(4096)	# a dynamic binary names its loader in .interp, up front
        if b"/ld-linux" in head:
            raise GuestError("%s is dynamically linked: apt-get install busybox-static" % busybox)
        mods = module_order(self.moddir, WANTED_MODULES)
        inputs = [busybox, os.path.join(HERE, "init.sh"), os.path.join(HERE, "guest.sh"),
                  os.path.join(HERE, "asuser.c"), __file__] + \
            [os.path.join(self.moddir, m) for m in mods]
        h = hashlib.sha256()
        for p in inputs:
            st = os.stat(p)
            h.update(("%s %d %d\n" % (p, st.st_size, st.st_mtime_ns)).encode())
        os.makedirs(self.cache_dir, exist_ok=True)
        out = os.path.join(self.cache_dir, "initramfs-%s.cpio" % h.hexdigest()[:16])
        if os.path.exists(out):
            return out
        asuser = os.path.join(self.cache_dir, "asuser")
        r = subprocess.run(["gcc", "-static", "-O2", "-Wall", "-Wextra", "-Werror", "-o", asuser,
                            os.path.join(HERE, "asuser.c")], stderr=subprocess.PIPE, text=True)
        if r.returncode:
            raise GuestError("building asuser (gcc -static; is libc6-dev installed?): " + r.stderr)
        c = Cpio()
        for d in ("bin", "dev", "proc", "sys", "tmp", "mnt", "etc", "root", "lib/modules"):
            c.dir(d)
        with open(busybox, "rb") as f:
            c.file("bin/busybox", f.read(), 0o755)
        c.symlink("bin/sh", "busybox")	# for #!/bin/sh in /init; init links the rest
        with open(asuser, "rb") as f:
            c.file("bin/asuser", f.read(), 0o755)
        with open(os.path.join(HERE, "init.sh"), "rb") as f:
            c.file("init", f.read(), 0o755)
        with open(os.path.join(HERE, "guest.sh"), "rb") as f:
            c.file("lib/guest.sh", f.read(), 0o644)
        names = []
        for m in mods:
            base = re.sub(r"\.(xz|zst|gz)$", "", os.path.basename(m))
            c.file("lib/modules/" + base, module_bytes(os.path.join(self.moddir, m)))
            names.append(base)
        c.file("lib/modules/order", ("\n".join(names) + "\n").encode())
        # names for the uids the tests use, so ls -l and id can print them
        c.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"
               b"alice:x:1001:1001::/tmp:/bin/sh\nbob:x:1002:1002::/tmp:/bin/sh\n"
               b"nobody:x:65534:65534::/:/bin/sh\n")
        c.file("etc/group", b"root:x:0:\nalice:x:1001:\nbob:x:1002:\nnogroup:x:65534:\n")
        tmp = out + ".tmp"
        with open(tmp, "wb") as f:
            f.write(c.finish())
        os.replace(tmp, out)
        for old in glob.glob(os.path.join(self.cache_dir, "initramfs-*.cpio")):
            if old != out:
                os.unlink(old)
        return out

    def run(self, workload, ports=(), files=None, file_trees=None, timeout=60, log=None,
            append="", on_line=None):
        """Boot, run workload (sh), power off.  Returns a Result; raises
        GuestError when the guest does not reach the end in time.
        on_line(line) sees each serial line as it arrives (progress)."""
        c = Cpio()
        c.file("workload.sh", workload.encode(), 0o755)
        c.file("etc/ports", "".join(p.name + "\n" for p in ports).encode())
        for path, data in (files or {}).items():
            c.file(path, data, 0o755)
        for host_dir, guest_dir in (file_trees or {}).items():
            c.tree(host_dir, guest_dir)
        extra = os.path.join(self.cache_dir, "workload-%d.cpio" % os.getpid())
        initrd = os.path.join(self.cache_dir, "initrd-%d.cpio" % os.getpid())
        with open(extra, "wb") as f:
            f.write(c.finish())
        # the kernel unpacks concatenated archives in order: the
        # workload's files land on top of the cached base
        with open(initrd, "wb") as out, open(self.base, "rb") as a, open(extra, "rb") as b:
            shutil.copyfileobj(a, out)
            shutil.copyfileobj(b, out)
        os.unlink(extra)
        argv = [self.qemu, "-accel", "tcg", "-m", str(self.memory_mb), "-smp", "1",
                "-kernel", self.kernel, "-initrd", initrd,
                # no_timer_check: on a loaded host TCG can miss the IO-APIC
                # timer check, which panics ("IO-APIC + timer doesn't work!")
                "-append", "console=ttyS0 panic=-1 loglevel=4 no_timer_check " + append,
                "-display", "none", "-serial", "stdio", "-monitor", "none",
                "-no-reboot", "-net", "none", "-device", "virtio-serial"]
        for n, p in enumerate(ports):
            argv += ["-chardev", p.chardev(n),
                     "-device", "virtserialport,chardev=c%d,name=%s" % (n, p.name)]
        try:
            return self._boot(argv, timeout, log, on_line)
        finally:
            os.unlink(initrd)

    def _boot(self, argv, timeout, log, on_line):
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        lines, boot, status = [], None, None
        try:
            # readline blocks; the deadline is enforced by killing QEMU
            # from a timer so a hung guest cannot hang the caller
            timer = threading.Timer(timeout, p.kill)
            timer.start()
            try:
                for raw in p.stdout:
                    line = raw.decode(errors="replace").rstrip("\r\n").replace("\r", "")
                    lines.append(line)
                    if on_line:
                        on_line(line)
                    if line.endswith(BEGIN) and boot is None:
                        boot = time.monotonic() - t0
                    m = END_RE.search(line)
                    if m:
                        status = int(m.group(1))
                p.wait()
            finally:
                timer.cancel()
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
        secs = time.monotonic() - t0
        text = "\n".join(lines)
        if log:
            with open(log, "w") as f:
                f.write(text + "\n")
        if status is None:
            why = "timed out after %d s" % timeout if secs >= timeout else \
                "QEMU exited %d before the workload ended" % p.returncode
            raise GuestError("guest: %s; last lines:\n%s" % (why, "\n".join(lines[-25:])))
        out = []
        inside = False
        for line in lines:
            if line.endswith(BEGIN):
                inside = True
                continue
            if END_RE.search(line):
                break
            if inside:
                out.append(line)
        return Result(status, "\n".join(out), text, boot, secs)


def main():
    ap = argparse.ArgumentParser(description="boot the test guest once and time it")
    ap.add_argument("--cache", default=os.path.join(HERE, "..", "..", "build", "full", "tests", "linux"))
    ap.add_argument("--workload", help="a shell script to run (default: uname -a)")
    a = ap.parse_args()
    g = Guest(a.cache)
    work = open(a.workload).read() if a.workload else "uname -a\n"
    r = g.run(work, timeout=120)
    print(r.output)
    print("status %d; boot to workload %.1f s; whole run %.1f s" % (r.status, r.boot_seconds, r.seconds))
    return r.status


if __name__ == "__main__":
    sys.exit(main())
