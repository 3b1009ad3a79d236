#!/usr/bin/env python3
"""Integration tests for the 9P client (mnt): luxsim mounting 9P servers.

Usage: mount_test.py PATH/TO/luxsim [unittest args]

A user's view: one luxsim (B) serves its namespace on a unix socket,
another (A) mounts it with the shell's `mount unix!SOCK /n/b` and reads,
writes and lists through it; A mounts a diod export the same way; and when
B is killed and started again on the same socket, A reconnects by itself,
files it had walked to are restored, and one that vanished meanwhile says
"stale handle".  Every process is stopped by the test (halt, then kill),
and every wait is bounded.
"""
import os
import select
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ninep_test import (Client, RLERROR, TCLUNK, TREMOVE, TFLUSH, TGETATTR, TWALK,  # noqa: E402
                        TLOPEN, TLCREATE, TREAD, TWRITE, msg, tflush)


def host_cipher():
    """The record cipher two Lux9 ends on this machine pick: AES-256-GCM
    when the CPU has AES-NI and PCLMUL (libsodium's test), else ChaCha20."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    except OSError:
        flags = []
    return "aes256gcm" if "aes" in flags and "pclmulqdq" in flags else "chacha20poly1305"


LUXSIM = None
TIMEOUT = 30
DIOD = shutil.which("diod") or "/usr/sbin/diod"


class Luxsim:
    """A luxsim whose shell reads stdin; run() sends commands and returns
    what they printed (up to a marker echoed after them)."""

    def __init__(self, args, script=""):
        self.p = subprocess.Popen([LUXSIM, "-q"] + args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.n = 0
        if script:
            self.run(script)

    def run(self, cmds, timeout=TIMEOUT):
        self.n += 1
        marker = "end-of-commands-%d" % self.n
        self.p.stdin.write((cmds + "\necho " + marker + "\n").encode())
        self.p.stdin.flush()
        buf = b""
        deadline = time.monotonic() + timeout
        fd = self.p.stdout.fileno()
        while (marker + "\n").encode() not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError("no marker within %d s; got %r" % (timeout, buf))
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError("luxsim ended; said %r, stderr %r" % (
                    buf, self.p.stderr.read().decode(errors="replace")))
            buf += chunk
        return buf[:buf.index((marker + "\n").encode())].decode(errors="replace")

    def stop(self):
        try:
            self.p.stdin.write(b"halt\n")
            self.p.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass
        try:
            out, err = self.p.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, err = self.p.communicate()
        return self.p.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def kill(self):
        self.p.kill()
        self.p.communicate()


def serve(sock, script):
    """Luxsim B: serves on unix!sock after running script."""
    return Luxsim(["--listen", "unix!" + sock], script)


def free_tcp_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def wait_connectable(family, addr):
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with socket.socket(family, socket.SOCK_STREAM) as so:
            try:
                so.connect(addr)
                return
            except OSError:
                time.sleep(0.05)
    raise AssertionError("nothing accepts on %r" % (addr,))


class MountTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mount-")
        self.sock = os.path.join(self.dir, "b.sock")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.p.poll() is None:
                p.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def lux(self, args, script=""):
        p = Luxsim(args, script)
        self.procs.append(p)
        return p

    def test_mount_luxsim_read_write_list(self):
        b = self.lux(["--listen", "unix!" + self.sock],
                     "mkdir /tmp/d\necho written in b > /tmp/d/f\necho 2 > /tmp/d/g")
        a = self.lux(["--no-listen"])
        out = a.run("mkdir /n\nmkdir /n/b\nmount -c unix!%s /n/b" % self.sock)
        self.assertEqual(out, "")
        self.assertEqual(a.run("cat /n/b/tmp/d/f"), "written in b\n")
        self.assertEqual(a.run("echo written in a > /n/b/tmp/d/h"), "")
        self.assertEqual(b.run("cat /tmp/d/h"), "written in a\n")
        self.assertEqual(a.run("ls /n/b/tmp/d"), "f\ng\nh\n")
        # mode and length as B sees them (the name column says the path asked)
        self.assertEqual(a.run("ls -l /n/b/tmp/d/f").split()[:2], b.run("ls -l /tmp/d/f").split()[:2])
        self.assertEqual(a.run("mkdir /n/b/tmp/e\nrm /n/b/tmp/d/g"), "")
        self.assertEqual(b.run("ls /tmp/d /tmp/e"), "f\nh\n")
        self.assertIn("does not exist", a.run("cat /n/b/tmp/d/nothing"))
        self.assertIn("unix!%s /n/b" % self.sock, a.run("cat /proc/1/ns"))
        rc, out, err = a.stop()
        self.assertEqual(rc, 0, err)

    def test_mount_over_a_remote_directory(self):
        # chans of one mount are one file to the namespace when their qids
        # match, so a directory inside a 9P mount can be mounted on
        self.lux(["--listen", "unix!" + self.sock], "mkdir /tmp/x\necho remote > /tmp/x/r")
        a = self.lux(["--no-listen"])
        a.run("mkdir /n\nmkdir /n/b\nmount unix!%s /n/b" % self.sock)
        self.assertEqual(a.run("mkdir /tmp/y\necho local > /tmp/y/l\nbind -a /tmp/y /n/b/tmp/x"), "")
        self.assertEqual(a.run("ls /n/b/tmp/x"), "r\nl\n")
        self.assertEqual(a.run("mount '#cons' /n/b/tmp/x\ncat /n/b/tmp/x/null"), "")
        self.assertIn("zero", a.run("ls /n/b/tmp/x"))

    def test_two_luxsims_mount_each_other_authenticated(self):
        # B serves on a plain TCP listener (unauthenticated clients are
        # none); A's eve proves a keystore key B's host owner authorized,
        # checks B's host key against A's known hosts, and the stream is
        # sealed.  Without the key, or with B's key unknown, A is refused.
        port = free_tcp_port()
        addr = "tcp!127.0.0.1!%d" % port
        bstate = os.path.join(self.dir, "bstate")
        b = self.lux(["--state-dir", bstate, "--listen", addr],
                     "mkdir /tmp/shared\necho from b > /tmp/shared/f")
        wait_connectable(socket.AF_INET, ("127.0.0.1", port))
        with open(os.path.join(bstate, "host_ed25519.pub")) as f:
            bhost = f.read().strip()
        a = self.lux(["--state-dir", os.path.join(self.dir, "astate"), "--no-listen"],
                     "mkdir /n\nmkdir /n/b")
        a.run("echo gen ed25519 mk > /secure/crypto/keys/ctl")
        apub = [l.split()[1] for l in a.run("cat /secure/crypto/keys/mk").splitlines()
                if l.startswith("public ")][0]
        # the host key is not known yet: refused, saying how to accept it
        out = a.run("mount -k mk %s /n/b" % addr)
        self.assertIn("unknown host key SHA256:", out)
        self.assertIn("echo knownhost %s +%s > /adm/users" % (addr, bhost), out)
        a.run("echo knownhost %s +%s > /adm/users" % (addr, bhost))
        # known host, but B has not authorized A's key: refused
        out = a.run("mount -k mk %s /n/b" % addr)
        self.assertIn("mount", out)
        self.assertEqual(a.run("ls /n/b"), "")
        b.run("echo authkey eve +%s > /adm/users" % apub)
        self.assertEqual(a.run("mount -k mk %s /n/b" % addr), "")
        self.assertEqual(a.run("cat /n/b/tmp/shared/f"), "from b\n")
        self.assertEqual(a.run("echo from a > /n/b/tmp/shared/g"), "")
        self.assertEqual(b.run("cat /tmp/shared/g"), "from a\n")
        # more than one record's worth each way: 80,000 bytes written, read back
        self.assertEqual(a.run("unhex -r 200 %s > /n/b/tmp/shared/big" % ("41" * 400)), "")
        self.assertIn("80000", b.run("ls -l /tmp/shared/big"))
        self.assertEqual(a.run("cat /n/b/tmp/shared/big"), "A" * 80000)
        self.assertIn("mount -k mk %s /n/b" % addr, a.run("cat /proc/1/ns"))
        # the audit trail on B says who proved what, and the record cipher
        # the two kernels agreed on: AES-256-GCM where the CPU runs it
        self.assertRegex(b.run("cat /dev/audit"),
                         r"9p-auth .*eve proved key SHA256:\S+; records %s" % host_cipher())
        # without -k, over plain TCP, A is none on B: attaching as eve is refused
        out = a.run("mkdir /n/c\nmount %s /n/c" % addr)
        self.assertIn("attach to '' refused: permission denied", out)

    def test_mount_own_server_inside_its_tree(self):
        # the kernel's 9P client mounting the same kernel's server.  The
        # connection serves a copy of the namespace taken when it came
        # (rfork(RFNAMEG)), before the mount was made: inside it /n/self
        # is the empty directory, so the server never walks into its own
        # mount and a walk cannot wait on the request it is part of
        a = self.lux(["--listen", "unix!" + self.sock], "mkdir /n\nmkdir /n/self")
        wait_connectable(socket.AF_UNIX, self.sock)
        self.assertEqual(a.run("mount unix!%s /n/self" % self.sock), "")
        self.assertEqual(a.run("echo deep > /tmp/x\ncat /n/self/tmp/x"), "deep\n")
        self.assertIn("cons", a.run("ls /n/self/dev"))
        self.assertEqual(a.run("ls /n/self/n/self"), "")
        self.assertIn("does not exist", a.run("cat /n/self/n/self/tmp/x"))
        self.assertEqual(a.run("echo back > /n/self/tmp/y\ncat /tmp/y"), "back\n")
        self.assertEqual(a.run("unmount /n/self\nls /n/self"), "")
        rc, out, err = a.stop()
        self.assertEqual(rc, 0, err)

    def test_mount_nothing_there(self):
        a = self.lux(["--no-listen"])
        out = a.run("mkdir /n\nmount unix!%s/none /n" % self.dir)
        self.assertIn("connection refused or address unreachable", out)
        out = a.run("mount tcp!nowhere!1 /n")	# HOST must be numeric
        self.assertIn("tcp!nowhere!1: want unix!PATH or tcp!HOST!PORT", out)

    def test_server_that_never_answers(self):
        # a socket that is listened on (the host completes the connection)
        # but never read: the setup gives up after 10 s, saying so
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0))
            so.listen(1)
            a = self.lux(["--no-listen"])
            t0 = time.monotonic()
            out = a.run("mkdir /n\nmount tcp!127.0.0.1!%d /n" % so.getsockname()[1], timeout=40)
            self.assertIn("9p: mount tcp!127.0.0.1!%d: no answer within 10 s while setting up; "
                          "giving up\n" % so.getsockname()[1], out)
            self.assertIn("mount: tcp!127.0.0.1!%d: " % so.getsockname()[1], out)
            self.assertGreater(time.monotonic() - t0, 9)

    def test_seeded_run_cannot_dial(self):
        p = subprocess.run([LUXSIM, "--seed", "7", "-c", "mkdir /n; mount unix!%s /n" % self.sock],
                           capture_output=True, timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"cannot dial: this machine makes no connections (metal, or a --seed run)",
                      p.stdout + p.stderr)

    @unittest.skipUnless(os.access(DIOD, os.X_OK), "diod not installed")
    def test_mount_diod_export(self):
        export = os.path.join(self.dir, "export")
        os.makedirs(os.path.join(export, "sub"))
        with open(os.path.join(export, "file"), "w") as f:
            f.write("from diod\n")
        with socket.socket() as so:
            so.bind(("127.0.0.1", 0))
            port = so.getsockname()[1]
        # unprivileged and in the foreground: no auth (-n), no user
        # database (-N), every attach squashed to the user running it
        user = "root" if os.geteuid() == 0 else os.environ.get("USER", "nobody")
        args = [DIOD, "-f", "-n", "-N", "-S", "-U", user, "-e", export,
                "-l", "127.0.0.1:%d" % port, "-L", "stderr"]
        if os.geteuid() != 0:
            args += ["-u", str(os.geteuid())]
        d = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_connectable(socket.AF_INET, ("127.0.0.1", port))
            a = self.lux(["--no-listen", "-m", "128"])
            out = a.run("mkdir /n\nmkdir /n/d\nmount -c tcp!127.0.0.1!%d /n/d %s" % (port, export))
            self.assertEqual(out, "")
            self.assertEqual(a.run("cat /n/d/file"), "from diod\n")
            self.assertEqual(a.run("ls /n/d"), "file\nsub/\n")
            self.assertEqual(a.run("echo from lux > /n/d/sub/new"), "")
            with open(os.path.join(export, "sub", "new")) as f:
                self.assertEqual(f.read(), "from lux\n")
            # three procs read one mount at once (tags multiplex), then the
            # copies go back through it for the host to compare
            with open(os.path.join(export, "big"), "wb") as f:
                f.write(os.urandom(3 << 20))
            self.assertEqual(a.run("cat /n/d/big > /tmp/c1 &\ncat /n/d/big > /tmp/c2 &\n"
                                   "cat /n/d/big > /tmp/c3"), "")
            deadline = time.monotonic() + TIMEOUT
            while a.run("ls -l /tmp/c1 /tmp/c2").count(" %d " % (3 << 20)) < 2:
                self.assertLess(time.monotonic(), deadline, "the background cats never finished")
                time.sleep(0.05)
            self.assertEqual(a.run("cat /tmp/c1 > /n/d/c1\ncat /tmp/c2 > /n/d/c2\n"
                                   "cat /tmp/c3 > /n/d/c3"), "")
            with open(os.path.join(export, "big"), "rb") as f:
                want = f.read()
            for c in ("c1", "c2", "c3"):
                with open(os.path.join(export, c), "rb") as f:
                    self.assertTrue(f.read() == want, c + " differs from big")
            rc, out, err = a.stop()
            self.assertEqual(rc, 0, err)
        finally:
            d.kill()
            d.communicate()

    def test_reconnect_restores_and_stales(self):
        b = self.lux(["--listen", "unix!" + self.sock],
                     "mkdir /tmp/d\necho one > /tmp/d/keep\necho two > /tmp/d/gone")
        a = self.lux(["--no-listen"])
        self.assertEqual(a.run("mkdir /n\nmkdir /n/b\nmount unix!%s /n/b\n"
                               "echo > /k\necho > /g\n"
                               "bind /n/b/tmp/d/keep /k\nbind /n/b/tmp/d/gone /g" % self.sock), "")
        self.assertEqual(a.run("cat /k /g"), "one\ntwo\n")
        b.kill()
        # the same socket, a new server: keep is back (new contents), gone is not
        b2 = self.lux(["--listen", "unix!" + self.sock],
                      "mkdir /tmp/d\necho one again > /tmp/d/keep")
        out = a.run("cat /k")
        # the reconnect says on the console which fid it could not restore
        self.assertIn("9p: mount unix!%s: /tmp/d/gone is stale: file does not exist\n" % self.sock, out)
        self.assertTrue(out.endswith("one again\n"), "the bound file is re-walked after the reconnect")
        out = a.run("cat /g")
        self.assertIn("cat: /g: stale handle", out)
        self.assertIn("stale handle", a.run("cat /g"), "stale stays stale")
        self.assertEqual(a.run("cat /n/b/tmp/d/keep"), "one again\n")
        self.assertEqual(a.run("echo after > /n/b/tmp/d/new"), "")
        self.assertEqual(b2.run("cat /tmp/d/new"), "after\n")
        rc, out, err = a.stop()
        self.assertEqual(rc, 0, err)

    def test_server_gone_then_back(self):
        b = self.lux(["--listen", "unix!" + self.sock], "echo here > /tmp/f")
        a = self.lux(["--no-listen"])
        a.run("mkdir /n\nmkdir /n/b\nmount unix!%s /n/b" % self.sock)
        self.assertEqual(a.run("cat /n/b/tmp/f"), "here\n")
        b.kill()
        t0 = time.monotonic()
        out = a.run("cat /n/b/tmp/f")
        self.assertIn("connection refused", out)
        self.assertLess(time.monotonic() - t0, 20, "redial attempts are bounded")
        self.lux(["--listen", "unix!" + self.sock], "echo back > /tmp/f")
        self.assertEqual(a.run("cat /n/b/tmp/f"), "back\n")


class FakeServer:
    """A scripted 9P2000.L server on a unix socket, for the kernel's client
    to mount: it answers Tversion and Tattach, and every other request as
    `policy` says -- policy(type, tag, body) returns the reply body (the
    type is the request's + 1), None to never answer, or a number of
    seconds to wait before an empty-bodied reply.  Requests on one
    connection are handled in the order they come, one at a time; every
    message received is logged as (type, tag)."""

    QID = struct.pack("<BIQ", 0x80, 0, 1)

    def __init__(self, path, policy):
        self.path, self.policy = path, policy
        self.log = []
        self.conns = []
        self.ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.ls.bind(path)
        self.ls.listen(8)
        self.stopping = False
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while not self.stopping:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def recv_exact(self, c, n):
        buf = b""
        while len(buf) < n:
            chunk = c.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def serve(self, c):
        try:
            while True:
                size, t, tag = struct.unpack("<IBH", self.recv_exact(c, 7))
                body = self.recv_exact(c, size - 7)
                self.log.append((t, tag))
                if t == 100:	# Tversion: the msize asked, 9P2000.L
                    c.sendall(msg(101, tag, body[:4] + struct.pack("<H", 8) + b"9P2000.L"))
                    continue
                if t == 104:
                    c.sendall(msg(105, tag, self.QID))
                    continue
                r = self.policy(t, tag, body)
                if r is None:
                    continue
                if not isinstance(r, bytes):
                    time.sleep(r)
                    r = b""
                c.sendall(msg(t + 1, tag, r))
        except (EOFError, OSError):
            pass
        finally:
            c.close()

    def stop(self):
        self.stopping = True
        self.ls.close()
        for c in self.conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def walk_all(t, tag, body):
    """Twalk answered with a directory qid per name."""
    n, = struct.unpack("<H", body[8:10])
    return struct.pack("<H", n) + FakeServer.QID * n


def getattr_dir(t, tag, body):
    """Rgetattr of a directory (mode 040755), all else 0."""
    return (struct.pack("<Q", 0x7FF) + FakeServer.QID + struct.pack("<III", 0o40755, 0, 0)
            + struct.pack("<5Q", 1, 0, 0, 4096, 0) + bytes(8 * 8 + 16))


class FlushIntoMount(unittest.TestCase):
    """flush(5) for requests of a 9P client of luxsim A whose work goes on
    inside A's own 9P client: A mounts a FakeServer at /n/f, and a raw 9P
    client of A walks into it."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="flushmnt-")
        self.sock = os.path.join(self.dir, "a.sock")
        self.fake = None
        self.a = None

    def tearDown(self):
        if self.a and self.a.p.poll() is None:
            self.a.stop()
        if self.fake:
            self.fake.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, policy):
        self.fake = FakeServer(os.path.join(self.dir, "f.sock"), policy)
        self.a = Luxsim(["--listen", "unix!" + self.sock])
        out = self.a.run("mkdir /n\nmkdir /n/f\nmount unix!%s /n/f" % self.fake.path)
        self.assertEqual(out, "")
        wait_connectable(socket.AF_UNIX, self.sock)
        c = Client(self.sock)
        c.attach(1)
        return c

    def conns(self):
        """Connections A serves now, from its shell's `ninep`."""
        out = self.a.run("ninep")
        return int(out.split("total conns ")[1].split()[0])

    def test_clunk_whose_release_waits_is_answered_before_its_flush(self):
        # the Tclunk of a fid in the mount makes A's client clunk its
        # server fid, which the fake answers after 1 s; a Tflush of it
        # meanwhile must come after the Rclunk (a clunk cannot be undone)
        def policy(t, tag, body):
            if t == TWALK:
                return walk_all(t, tag, body)
            if t in (TCLUNK, TREMOVE):
                return 1.0
            if t == TGETATTR:
                return getattr_dir(t, tag, body)
            return 0
        c = self.start(policy)
        c.walk(1, 2, ["n", "f", "x"])
        c.send(msg(TCLUNK, 10, struct.pack("<I", 2)))
        time.sleep(0.3)
        c.send(tflush(11, 10))
        got = [c.recv()[:2] for _ in range(2)]
        self.assertEqual(got, [(TCLUNK + 1, 10), (TFLUSH + 1, 11)])
        # and fid 2 is free again
        self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
        # a Tremove flushed while A's client waits: it fails (the flush cut
        # it short) but its fid is clunked all the same (remove(5)), so it
        # is answered, before the Rflush
        c.walk(1, 3, ["n", "f", "y"])
        c.send(msg(TREMOVE, 12, struct.pack("<I", 3)))
        time.sleep(0.3)
        c.send(tflush(13, 12))
        got = [c.recv()[:2] for _ in range(2)]
        self.assertEqual(got, [(RLERROR, 12), (TFLUSH + 1, 13)])
        self.assertEqual(len(c.walk(1, 3, ["tmp"])), 1)
        c.close()

    def test_walk_into_a_server_that_never_answers_is_flushable(self):
        # the fake answers the mount and nothing else, not even Tflush: A's
        # client gives up on the Rflush after a bound and breaks the
        # connection, so the walk ends and the Tflush is answered
        c = self.start(lambda t, tag, body: None)
        c.send(msg(TWALK, 10, struct.pack("<IIH", 1, 2, 3) + b"".join(
            struct.pack("<H", len(n)) + n for n in (b"n", b"f", b"x"))))
        time.sleep(0.3)
        t0 = time.monotonic()
        c.send(tflush(11, 10))
        self.assertEqual(c.recv()[:2], (TFLUSH + 1, 11), "Rflush, and no Rwalk before it")
        self.assertLess(time.monotonic() - t0, 15)
        self.assertIn(TFLUSH, [t for t, _ in self.fake.log], "A flushed its own request")
        # the connection goes on; newfid 2 was never made
        self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
        c.close()

    def test_hang_up_with_a_walk_stuck_in_a_mount_frees_the_slot(self):
        c = self.start(lambda t, tag, body: None)
        before = self.conns()
        self.assertEqual(before, 1)
        c.send(msg(TWALK, 10, struct.pack("<IIH", 1, 2, 3) + b"".join(
            struct.pack("<H", len(n)) + n for n in (b"n", b"f", b"x"))))
        time.sleep(0.3)
        c.close()
        deadline = time.monotonic() + 15
        while self.conns() != 0:
            self.assertLess(time.monotonic(), deadline, "the connection's slot is still taken")
            time.sleep(0.2)
        self.assertIn("total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0", self.a.run("ninep"))

    def test_hang_up_holding_a_fid_in_a_silent_mount_frees_the_slot(self):
        # the connection's end clunks its fids in its reader, which nobody
        # kills: A's Tclunk to a server gone silent is bounded too
        silent = threading.Event()

        def policy(t, tag, body):
            if silent.is_set():
                return None
            if t == TWALK:
                return walk_all(t, tag, body)
            return getattr_dir(t, tag, body) if t == TGETATTR else 0
        c = self.start(policy)
        c.walk(1, 2, ["n", "f", "x"])
        silent.set()
        c.close()
        deadline = time.monotonic() + 15
        while self.conns() != 0:
            self.assertLess(time.monotonic(), deadline, "the connection's slot is still taken")
            time.sleep(0.2)
        self.assertIn(TCLUNK, [t for t, _ in self.fake.log])


class ReconnectInDoubt(unittest.TestCase):
    """No request is applied twice across a reconnect: luxsim A mounts a
    FakeServer that hangs up with a request in flight.  A write (or a
    create, a remove...) that had left may have been applied, so A fails
    it with an error that says so and never resends it; a read, which may
    run twice, is resent on the new connection and succeeds."""

    FILEQID = struct.pack("<BIQ", 0, 0, 2)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="indoubt-")
        self.hangups = {TWRITE: 1, TREAD: 1}	# how many of each to hang up on
        self.files = {}	# fid: walked to the file (else the root)
        self.fake = FakeServer(os.path.join(self.dir, "f.sock"), self.policy)
        self.a = Luxsim(["--no-listen"])
        self.assertEqual(self.a.run("mkdir /n\nmkdir /n/f\nmount unix!%s /n/f" % self.fake.path), "")

    def tearDown(self):
        if self.a.p.poll() is None:
            self.a.stop()
        self.fake.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def policy(self, t, tag, body):
        if self.hangups.get(t, 0) > 0:
            self.hangups[t] -= 1
            raise EOFError	# FakeServer.serve closes the connection
        if t == TWALK:	# any name is the file; no names, the root
            newfid, n = struct.unpack("<IH", body[4:10])
            self.files[newfid] = n > 0
            return struct.pack("<H", n) + (FakeServer.QID * (n - 1) + self.FILEQID if n else b"")
        if t in (TLOPEN, TLCREATE):
            return self.FILEQID + struct.pack("<I", 0)
        if t == TGETATTR:
            fid, = struct.unpack("<I", body[:4])
            if not self.files.get(fid):
                return getattr_dir(t, tag, body)
            return (struct.pack("<Q", 0x7FF) + self.FILEQID + struct.pack("<III", 0o100644, 0, 0)
                    + struct.pack("<5Q", 1, 0, 5, 4096, 0) + bytes(8 * 8 + 16))
        if t == TWRITE:
            count, = struct.unpack("<I", body[12:16])
            return struct.pack("<I", count)
        if t == TREAD:
            off, = struct.unpack("<Q", body[4:12])
            data = b"data\n"[off:]
            return struct.pack("<I", len(data)) + data
        return b""

    def count(self, t):
        return sum(1 for x, _ in self.fake.log if x == t)

    def test_write_in_flight_at_a_hang_up_is_not_resent(self):
        out = self.a.run("echo once > /n/f/file")
        self.assertIn("Twrite in flight at a disconnect: may have been applied, not resent\n", out)
        self.assertEqual(self.count(TWRITE), 1)
        # the mount reconnects for the next operation; the write that was
        # in doubt never reaches the new connection
        self.assertEqual(self.a.run("echo twice > /n/f/file"), "")
        self.assertEqual(self.count(TWRITE), 2, "one Twrite per echo, none resent")
        self.assertEqual(len(self.fake.conns), 2, "one reconnect")

    def test_read_in_flight_at_a_hang_up_is_resent(self):
        self.assertEqual(self.a.run("cat /n/f/file"), "data\n")
        self.assertEqual(self.count(TREAD), 3, "the lost Tread, its resend, then end of file")
        self.assertEqual(len(self.fake.conns), 2, "one reconnect")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: mount_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
