#!/usr/bin/env python3
"""Integration tests: namespaces from the shell (bind, mount, unmount), the
ctl file /proc/N/ns and the table it prints.

Usage: ns_test.py PATH/TO/luxsim [unittest args]

Each test feeds a fresh luxsim a script on stdin and checks what it
prints; the 9P mount test runs a second luxsim as the server.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metal  # noqa: E402  (LUX_TARGET=x86_64: the same tests on the metal kernel)

LUXSIM = None
TIMEOUT = 60
BOOT = ("bind #ramfs /\nmount -c #cons /dev\nmount -c #proc /proc\nmount -c #adm /adm\n"
        "mount -c #crypto /secure\n")
if metal.on_metal():   # the metal kernel always serves 9P (--listen): its ctl tree too
    BOOT += "mount -c #ninep /9p\n"


def sh(*lines, args=("-q", "--no-listen")):
    """Run the lines; return (status, output).  On the x86_64 target
    (metal.py) in a fresh boot: each test reads the boot's namespace."""
    if metal.on_metal():
        if args != ("-q", "--no-listen"):
            raise unittest.SkipTest("x86_64 target: luxsim's %s cannot be honoured" % " ".join(args))
        return metal.run_script(lines, fresh=True)
    script = "".join(line + "\n" for line in lines)
    p = subprocess.run([LUXSIM, *args], input=script.encode(), capture_output=True,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


SETUP = ("mkdir /tmp/a /tmp/b", "echo A > /tmp/a/x", "echo a > /tmp/a/only_a",
         "echo B > /tmp/b/x", "echo b > /tmp/b/y")


class Shell(unittest.TestCase):
    def test_boot_table(self):
        rc, out = sh("cat /proc/1/ns")
        self.assertEqual((rc, out), (0, BOOT))

    def test_bind_replace_union_and_unmount(self):
        rc, out = sh(*SETUP, "bind -b /tmp/a /tmp/b", "ls /tmp/b", "cat /tmp/b/x",
                     "echo --", "unmount /tmp/b", "bind -a /tmp/a /tmp/b", "ls /tmp/b",
                     "cat /tmp/b/x", "echo --", "unmount /tmp/a /tmp/b", "ls /tmp/b",
                     "echo --", "bind /tmp/a /tmp/b", "ls /tmp/b", "cat /proc/1/ns")
        self.assertEqual(rc, 0, out)
        self.assertEqual(out, "x\nonly_a\ny\nA\n--\nx\ny\nonly_a\nB\n--\nx\ny\n--\nx\nonly_a\n"
                         + BOOT + "bind /tmp/a /tmp/b\n")

    def test_create_needs_c(self):
        rc, out = sh(*SETUP, "bind -b /tmp/a /tmp/b", "echo no > /tmp/b/n",
                     "unmount /tmp/b", "bind -bc /tmp/a /tmp/b", "echo yes > /tmp/b/n",
                     "cat /tmp/a/n", "cat /proc/1/ns")
        self.assertIn("echo: /tmp/b/n: mounted directory forbids creation "
                      "(bind or mount it with -c)\n", out)
        self.assertIn("yes\n" + BOOT + "bind -bc /tmp/a /tmp/b\n", out)

    def test_table_shows_flags_in_replay_order(self):
        rc, out = sh(*SETUP, "mkdir /tmp/c", "bind -a /tmp/a /tmp/b", "bind -b /tmp/c /tmp/b",
                     "bind -b '#cons' /tmp/b", "mount -ac '#proc' /tmp/b", "cat /proc/1/ns",
                     "ls /tmp/b")
        self.assertEqual(rc, 0, out)
        # members [cons, c, b itself, a, proc]: in front of b from the
        # nearest outwards, then behind it
        self.assertIn(BOOT + "bind -b /tmp/c /tmp/b\nbind -b #cons /tmp/b\n"
                      "bind -a /tmp/a /tmp/b\nmount -ac #proc /tmp/b\n", out)
        self.assertIn("cons\nnull\n", out)

    def test_ctl_file(self):
        rc, out = sh(*SETUP, "echo 'bind -b /tmp/a /tmp/b' > /proc/1/ns", "ls /tmp/b",
                     "echo 'mount -a #cons /tmp/b' >> /proc/1/ns", "cat /proc/1/ns",
                     "echo 'bind -q /tmp/a /tmp/b' > /proc/1/ns",
                     "echo 'unmount /tmp/b' > /proc/1/ns", "ls /tmp/b",
                     "echo 'unmount /tmp/b' > /proc/1/ns")
        self.assertIn("x\nonly_a\ny\n", out)
        self.assertIn(BOOT + "bind -b /tmp/a /tmp/b\nmount -a #cons /tmp/b\n", out)
        # the shell's write error carries the ctl file's detail (errstr)
        self.assertIn("write: bind: bad flag -q: syntax error\n", out)
        self.assertIn("\nx\ny\n", out)
        self.assertIn("write: unmount: /tmp/b: not mounted\n", out)

    def test_mount_device_and_errors(self):
        rc, out = sh("mkdir /n", "mount -c '#ramfs' /n", "echo fresh > /n/f", "ls /n",
                     "cat /n/f", "unmount /n", "ls /n", "echo --",
                     "bind", "bind -ab /tmp /n", "mount '#nosuch' /n", "mount /tmp /n",
                     "bind /nowhere /n", "bind /tmp /nowhere", "bind /dev/null /n",
                     "unmount /n", "unmount /tmp /n", "unmount /nowhere",
                     "mount 'tcp!127.0.0.1!1' /n")
        self.assertIn("f\nfresh\n--\n", out)
        for want in ("bind: usage: bind [-abc] new old: syntax error",
                     "bind: bad flag -ab: syntax error",
                     "mount: #nosuch: file does not exist",
                     "mount: /tmp: bad path name",
                     "bind: /nowhere: file does not exist",
                     "bind: /nowhere: file does not exist",
                     "bind: /n: not a directory",
                     "unmount: /n: not mounted",
                     "unmount: /n: not mounted there",
                     "unmount: /nowhere: file does not exist"):
            self.assertIn(want + "\n", out)
        self.assertRegex(out, r"mount: tcp!127.0.0.1!1: .*\n")

    def test_pipe_device(self):
        # The shell runs one command at a time, so the ends take turns:
        # what echo leaves in data waits for data1's reader, which then
        # reads end of file (echo closed data); once cat has closed data1,
        # nobody reads what goes into data.
        rc, out = sh("mkdir /n", "mount '#pipe' /n", "ls /n", "echo hi > /n/data",
                     "cat /n/data1", "echo --", "echo -n late > /n/data",
                     "echo 'bind #pipe /tmp' >> /proc/1/ns", "ls /tmp", "cat /proc/1/ns")
        self.assertEqual(rc, 0, out)
        self.assertEqual(out, "data\ndata1\nhi\n--\nwrite: write to a pipe nobody reads\n"
                         "data\ndata1\n" + BOOT + "mount #pipe /n\nbind #pipe /tmp\n")

    def test_long_table_is_shown_whole(self):
        # the 4 boot mounts (5 serving: /9p) and 28 (27) with long names on
        # both sides: a full table of NS_MAXMOUNT (32), about 7 KiB, more
        # than the 4 KiB other /proc files get
        n = 32 - (len(BOOT.splitlines()) - 1)
        src = "/tmp/" + "d" * 115
        dst = ["/tmp/m%02d%s" % (i, "x" * 100) for i in range(30)]
        binds = ["mkdir " + dst[i] for i in range(n)] + \
                ["bind %s %s" % (src, dst[i]) for i in range(n)]
        rc, out = sh("mkdir " + src, *binds, "cat /proc/1/ns")
        self.assertEqual(rc, 0, out)
        want = BOOT + "".join("bind %s %s\n" % (src, dst[i]) for i in range(n))
        self.assertEqual(out, want)
        self.assertGreater(len(want), 4096)
        rc, out = sh("mkdir " + src, "mkdir " + dst[28], *binds, "bind %s %s" % (src, dst[28]))
        self.assertEqual(out, "bind: %s: no space left\n" % dst[28])    # NS_MAXMOUNT = 32

    def test_help_lists_the_builtins(self):
        rc, out = sh("help")
        for b in ("bind [-abc] new old", "mount [-abc] [-k key] spec old [aname]", "unmount [new] old"):
            self.assertIn(b, out)


@metal.skip_on_metal("a second kernel serves and this one dials it: the metal kernel dials "
                     "nothing (no network: arch_conn_dial is E_NOCONN)")
class Mount9P(unittest.TestCase):
    """mount of a 9P address: a second luxsim serves, this one mounts."""

    def test_mount_unix_address(self):
        d = tempfile.mkdtemp(prefix="ns-")
        sock = os.path.join(d, "s")
        srv = subprocess.Popen([LUXSIM, "-q", "--listen", "unix!" + sock],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        try:
            srv.stdin.write(b"mkdir /tmp/q\necho remote > /tmp/q/f\necho ready\n")
            srv.stdin.flush()
            self.assertEqual(srv.stdout.readline(), b"ready\n")
            rc, out = sh("mkdir /n", "mount -c 'unix!%s' /n" % sock, "cat /n/tmp/q/f",
                         "echo local > /n/tmp/q/g", "cat /proc/1/ns", "unmount /n", "ls /n",
                         "mount 'unix!%s' /n /tmp/q" % sock, "cat /n/f", "cat /proc/1/ns")
            self.assertEqual(rc, 0, out)
            self.assertIn("remote\n" + BOOT + "mount -c unix!%s /n\n" % sock, out)
            self.assertIn(BOOT + "mount unix!%s /n /tmp/q\n" % sock, out)
            srv.stdin.write(b"cat /tmp/q/g\n")
            srv.stdin.flush()
            self.assertEqual(srv.stdout.readline(), b"local\n")
        finally:
            try:
                srv.stdin.write(b"halt\n")
                srv.stdin.flush()
            except BrokenPipeError:
                pass
            try:
                srv.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                srv.kill()
                srv.wait()
            for f in (srv.stdin, srv.stdout, srv.stderr):
                f.close()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: ns_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
