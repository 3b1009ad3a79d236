#!/usr/bin/env python3
"""Integration tests for lux9p, the command-line 9P client, against luxsim.

Usage: lux9p_test.py PATH/TO/luxsim [unittest args]

lux9p is found beside luxsim (sim/lux9p/lux9p in the same build tree), or
at $LUX9P.  One luxsim per test class (ninep_test.Server: a shell on
stdin, a unix socket and a TCP port); lux9p runs as a user would run it,
and what it writes is checked from the luxsim shell and back.
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metal  # noqa: E402  (LUX_TARGET=x86_64: the same tests on the metal kernel)
import ninep_test  # noqa: E402  (Server, the luxsim fixture)

LUX9P = None
TIMEOUT = 60
# No user key or known_hosts of the person running the tests: these
# suites speak plain 9P (lux9p_auth_test.py covers authentication).
ENV = dict(os.environ, XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="lux9p-config-"))


def lux9p(*args, stdin=b""):
    p = subprocess.run([LUX9P, *args], input=stdin, capture_output=True, timeout=TIMEOUT,
                       env=ENV)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Lux9pTest(unittest.TestCase):
    SCRIPT = "mkdir /tmp/d\necho hello > /tmp/d/f\n"

    @classmethod
    def setUpClass(cls):
        cls.srv = ninep_test.Server(cls.SCRIPT)
        cls.unix = "unix!" + cls.srv.path

    @property
    def tcp(self):
        """The TCP address (on the x86_64 target: a skip, metal has none)."""
        return "tcp!127.0.0.1!%d" % self.srv.port

    @classmethod
    def tearDownClass(cls):
        rc, out, err = cls.srv.stop()
        assert rc == 0, "luxsim exited %s: %s %s" % (rc, out, err)

    def shell(self, cmd):
        """Run one command in the kernel's shell; its output lines."""
        return self.srv.shell(cmd)

    def ok(self, *args, stdin=b""):
        rc, out, err = lux9p(*args, stdin=stdin)
        self.assertEqual(rc, 0, "lux9p %s: %s" % (" ".join(args), err))
        self.assertEqual(err, "")
        return out


class Commands(Lux9pTest):
    def test_ls_root_both_dialects_both_transports(self):
        for addr in (self.unix,) + (() if metal.on_metal() else (self.tcp,)):
            for dialect in ([], ["-L"]):
                names = self.ok("-a", addr, *dialect, "ls", "/").split()
                for want in ("dev", "proc", "tmp"):
                    self.assertIn(want, names, (addr, dialect))

    def test_ls_long_and_a_file(self):
        for dialect in ([], ["-L"]):
            out = self.ok("-a", self.unix, *dialect, "ls", "-l", "/tmp/d")
            self.assertRegex(out, r"^--rw-\S+ \S+ \S+ 6 .* f\n$", dialect)
            self.assertEqual(self.ok("-a", self.unix, *dialect, "ls", "/tmp/d/f"), "/tmp/d/f\n")
        out = self.ok("-a", self.unix, "ls", "-l", "/tmp")
        self.assertRegex(out, r"(?m)^d-rwx\S+ .* d$")

    def test_read_what_the_shell_wrote(self):
        self.assertEqual(self.ok("-a", self.unix, "read", "/tmp/d/f"), "hello\n")
        if not metal.on_metal():   # metal has no TCP
            self.assertEqual(self.ok("-a", self.tcp, "-L", "read", "tmp/d/f"), "hello\n")
        # a file larger than one message (msize 64 KiB): the read loops
        self.shell("mkdir /tmp/big")
        self.ok("-a", self.unix, "create", "/tmp/big/b")
        data = bytes((i * 31) & 0xFF for i in range(200000))
        self.ok("-a", self.unix, "write", "/tmp/big/b", stdin=data)
        p = subprocess.run([LUX9P, "-a", self.unix, "-L", "read", "/tmp/big/b"],
                           capture_output=True, timeout=TIMEOUT, env=ENV)
        self.assertEqual((p.returncode, p.stdout), (0, data), p.stderr)

    def test_create_write_stat_rm_seen_by_the_shell(self):
        for i, dialect in enumerate(([], ["-L"])):
            path = "/tmp/d/new%d" % i
            self.ok("-a", self.unix, *dialect, "create", path)
            self.assertIn("new%d" % i, self.shell("ls /tmp/d"))
            self.ok("-a", self.unix, *dialect, "write", path, stdin=b"from lux9p\n")
            self.assertEqual(self.shell("cat " + path), ["from lux9p"])
            # write truncates: a shorter second write leaves no tail
            self.ok("-a", self.unix, *dialect, "write", path, stdin=b"ab\n")
            self.assertEqual(self.shell("cat " + path), ["ab"])
            out = self.ok("-a", self.unix, *dialect, "stat", path)
            self.assertRegex(out, r"^'new%d' .* q \([0-9a-f]{16} \d+ \) m 0\d+ at \d+ mt \d+ l 3\n$" % i)
            self.ok("-a", self.unix, *dialect, "rm", path)
            self.assertNotIn("new%d" % i, self.shell("ls /tmp/d"))
        out = self.ok("-a", self.unix, "stat", "/tmp/d")
        self.assertRegex(out, r"^'d' .* q \([0-9a-f]{16} \d+ d\) m 020000000\d+ ")

    def test_create_in_the_attach_root(self):
        self.ok("-a", self.unix, "-A", "/tmp/d", "create", "top")
        self.assertIn("top", self.ok("-a", self.unix, "-A", "/tmp/d", "ls", "/").split())
        self.ok("-a", self.unix, "-A", "/tmp/d", "rm", "top")
        self.assertEqual(self.ok("-a", self.unix, "-A", "/tmp/d", "ls", "/").split(), ["f"])

    def test_rdwr_alternates(self):
        # a ctl-like file: each write at offset 0 replaces the start
        self.shell("echo 0123456789 > /tmp/d/rw")
        out = self.ok("-a", self.unix, "rdwr", "/tmp/d/rw", stdin=b"ab\nxyz\n")
        self.assertEqual(out, "0123456789\nab23456789\nxyz3456789\n")
        # the crypto file server's hash: write data, read its digest
        out = self.ok("-a", self.unix, "-L", "rdwr", "/secure/crypto/hash/sha256", stdin=b"data\n")
        self.assertEqual(out.split("\n")[1],
                         "3a6eb0790f39ac87c94f3856b2dd2c5d110e6811602261a9a923d3bb23adc8b7")

    def test_help(self):
        rc, out, err = lux9p("--help")
        self.assertEqual(rc, 0)
        for word in ("ls", "read", "write", "create", "rm", "stat", "rdwr", "unix!", "tcp!"):
            self.assertIn(word, out)


class Errors(Lux9pTest):
    def test_no_such_file_in_the_servers_words(self):
        rc, out, err = lux9p("-a", self.unix, "read", "/nosuch")
        self.assertEqual((rc, out), (1, ""))
        self.assertEqual(err, "lux9p: read /nosuch: file does not exist\n")
        rc, out, err = lux9p("-a", self.unix, "-L", "stat", "/tmp/nosuch/x")
        self.assertEqual(rc, 1)
        self.assertEqual(err, "lux9p: stat /tmp/nosuch/x: 'nosuch': No such file or directory\n")
        rc, _, err = lux9p("-a", self.unix, "rm", "/tmp/d/gone")
        self.assertEqual(rc, 1)
        self.assertIn("'gone': file does not exist", err)

    def test_server_refusals(self):
        rc, _, err = lux9p("-a", self.unix, "create", "/tmp/d/f")
        self.assertEqual((rc, err), (1, "lux9p: create /tmp/d/f: file already exists\n"))
        rc, _, err = lux9p("-a", self.unix, "-L", "create", "/tmp/d/f")
        self.assertEqual((rc, err), (1, "lux9p: create /tmp/d/f: File exists\n"))
        rc, _, err = lux9p("-a", self.unix, "read", "/tmp")
        self.assertEqual(rc, 0, err)  # a directory reads as stat entries
        rc, _, err = lux9p("-a", self.unix, "rm", "/tmp/d")
        self.assertEqual((rc, err), (1, "lux9p: rm /tmp/d: directory is not empty\n"))
        rc, _, err = lux9p("-a", self.unix, "-A", "nosuch", "ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("attach 'nosuch': file does not exist", err)

    def test_bad_address_and_usage(self):
        for addr in ("udp!x!1", "tcp!", "unix!"):
            rc, _, err = lux9p("-a", addr, "ls", "/")
            self.assertEqual(rc, 64, addr)
            self.assertIn("bad address", err)
        self.assertEqual(lux9p("-a", self.unix, "frob", "/")[0], 64)
        self.assertEqual(lux9p("-a", self.unix, "ls")[0], 64)
        self.assertEqual(lux9p("-a", self.unix, "read", "a", "b")[0], 64)
        rc, _, err = lux9p("-x")
        self.assertEqual(rc, 64)
        self.assertIn("usage", err)

    def test_nobody_listening(self):
        d = tempfile.mkdtemp(prefix="lux9p-")
        rc, _, err = lux9p("-a", "unix!%s/none" % d, "ls", "/")
        os.rmdir(d)
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"^lux9p: cannot connect to unix!.*/none: No such file or directory\n$")
        rc, _, err = lux9p("-a", "tcp!127.0.0.1!%d" % ninep_test.free_port(), "ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("Connection refused", err)

    def test_server_gone_mid_conversation(self):
        # a "server" that answers Tversion, then hangs up at the attach
        with socket.socket() as ls:
            ls.bind(("127.0.0.1", 0))
            ls.listen()

            def serve():
                c, _ = ls.accept()
                with c:
                    size = int.from_bytes(c.recv(4), "little")
                    c.recv(size - 4)
                    body = (65560).to_bytes(4, "little") + ninep_test.s("9P2000")
                    c.sendall(ninep_test.msg(101, 0xFFFF, body))
                    size = int.from_bytes(c.recv(4), "little")
                    c.recv(size - 4)   # all of the Tattach: a clean close, no reset
            t = threading.Thread(target=serve)
            t.start()
            rc, _, err = lux9p("-a", "tcp!127.0.0.1!%d" % ls.getsockname()[1], "ls", "/")
            t.join()
        self.assertEqual(rc, 1)
        self.assertIn("attach '': the server closed the connection", err)

    def fake_server(self, after_version):
        """Answer Tversion (9P2000, msize 8192), then send after_version(tag
        of the next request); lux9p's exit status and stderr."""
        with socket.socket() as ls:
            ls.bind(("127.0.0.1", 0))
            ls.listen()

            def serve():
                c, _ = ls.accept()
                with c:
                    for reply in (lambda tag: ninep_test.msg(101, 0xFFFF, (8192).to_bytes(4, "little") +
                                                             ninep_test.s("9P2000")), after_version):
                        size = int.from_bytes(c.recv(4), "little")
                        req = c.recv(size - 4)
                        c.sendall(reply(int.from_bytes(req[1:3], "little")))
                    try:
                        c.recv(1)   # until lux9p hangs up
                    except OSError:
                        pass
            t = threading.Thread(target=serve)
            t.start()
            rc, _, err = lux9p("-a", "tcp!127.0.0.1!%d" % ls.getsockname()[1], "ls", "/")
            t.join()
        return rc, err

    def test_hostile_replies_are_errors(self):
        qid = bytes(13)
        rc, err = self.fake_server(lambda tag: ninep_test.msg(105, tag + 1, qid))
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"attach '': protocol error: Tattach tag \d+ answered with tag \d+")
        rc, err = self.fake_server(lambda tag: ninep_test.msg(105, tag, qid + b"extra"))
        self.assertEqual(rc, 1)
        self.assertIn("protocol error: bad reply to Tattach", err)
        rc, err = self.fake_server(lambda tag: (100000).to_bytes(4, "little") + b"xyz")
        self.assertEqual(rc, 1)
        self.assertIn("protocol error: the server sent a 100000-byte message (msize 8192)", err)
        rc, err = self.fake_server(lambda tag: ninep_test.msg(111, tag, b"\0\0"))
        self.assertEqual(rc, 1)
        self.assertIn("protocol error: Tattach answered with Rwalk", err)

    @metal.luxsim_only
    def test_luxsim_halted(self):
        srv = ninep_test.Server("")
        addr = "unix!" + srv.path
        self.assertEqual(lux9p("-a", addr, "ls", "/")[0], 0)
        rc, _, _ = srv.stop()
        self.assertEqual(rc, 0)
        rc, _, err = lux9p("-a", addr, "ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("cannot connect to " + addr, err)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: lux9p_test.py PATH/TO/luxsim [unittest args]")
    ninep_test.LUXSIM = sys.argv.pop(1)
    LUX9P = os.environ.get("LUX9P") or os.path.join(
        os.path.dirname(os.path.abspath(ninep_test.LUXSIM)), "lux9p", "lux9p")
    if not os.access(LUX9P, os.X_OK):
        sys.exit("lux9p_test: no lux9p at %s (build the lux9p target, or set LUX9P)" % LUX9P)
    unittest.main(verbosity=2)
