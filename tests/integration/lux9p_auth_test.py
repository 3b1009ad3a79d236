#!/usr/bin/env python3
"""lux9p's authentication (docs/security.md, "Using it from Linux: lux9p").

Usage: lux9p_auth_test.py PATH/TO/luxsim [unittest args]

Two servers:
- StandIn: lux9p-authsrv (tests/integration/lux9p_authsrv.c), the core's
  server engine on the afid with a one-file tree, honest or hostile on
  purpose.  Tests lux9p's half on its own: known hosts, keys, records.
- Luxsim: a real luxsim with --state-dir (skipped, saying so, while luxsim
  has no --state-dir: the server side lands separately).

lux9p is found beside luxsim (or at $LUX9P), lux9p-authsrv in the build
tree's tests/ (or at $LUX9P_AUTHSRV).  Every lux9p runs with its own
XDG_CONFIG_HOME, so nobody's real keys or known_hosts are used.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import authsim  # noqa: E402
import ninep_test  # noqa: E402  (free_port, msg, s)

LUX9P = None
AUTHSRV = None
TIMEOUT = 60


def host_cipher():
    """The record cipher luxsim and lux9p on this machine pick: AES-256-GCM
    when the CPU has AES-NI and PCLMUL (libsodium's test), else ChaCha20."""
    with open("/proc/cpuinfo") as f:
        flags = next((l.split(":", 1)[1].split() for l in f if l.startswith("flags")), [])
    return "aes256gcm" if "aes" in flags and "pclmulqdq" in flags else "chacha20poly1305"


class Client:
    """lux9p with a configuration directory of its own."""

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="lux9p-auth-")
        self.cfg = os.path.join(self.home, "lux9")
        self.known = os.path.join(self.cfg, "known_hosts")
        self.env = dict(os.environ, XDG_CONFIG_HOME=self.home)

    def run(self, *args, stdin=b""):
        p = subprocess.run([LUX9P, *args], input=stdin, capture_output=True, timeout=TIMEOUT,
                           env=self.env)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def keygen(self, path, user="alice"):
        rc, out, err = self.run("-u", user, "keygen", path)
        assert rc == 0, err
        return re.search(r"^authkey %s \+([0-9a-f]{64})$" % user, out, re.M).group(1)

    def trust(self, addr, hexkey):
        os.makedirs(self.cfg, exist_ok=True)
        with open(self.known, "a") as f:
            f.write("%s %s\n" % (addr, hexkey))

    def cleanup(self):
        shutil.rmtree(self.home, ignore_errors=True)


class StandIn(unittest.TestCase):
    def setUp(self):
        self.c = Client()
        self.key = os.path.join(self.c.home, "id")
        self.pub = self.c.keygen(self.key)
        self.seed = os.urandom(32).hex()
        self.port = None

    def tearDown(self):
        self.c.cleanup()

    def serve(self, mode="ok", user="alice", pub=None):
        """Start lux9p-authsrv; its address and host key (hex)."""
        self.port = ninep_test.free_port()
        self.srv = subprocess.Popen([AUTHSRV, str(self.port), self.seed, user, pub or self.pub, mode],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.srv.stdout.readline().decode()
        if not line.startswith("ready "):
            self.srv.kill()
            self.fail("lux9p-authsrv did not start: %s %s" % (line, self.srv.stderr.read().decode()))
        return "tcp!127.0.0.1!%d" % self.port, line.split()[1]

    def done(self):
        """The stand-in's exit status and stderr."""
        try:
            _, err = self.srv.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.srv.kill()
            _, err = self.srv.communicate()
        return self.srv.returncode, err.decode(errors="replace")

    def lux9p(self, addr, *args, stdin=b""):
        return self.c.run("-a", addr, "-k", self.key, "-u", "alice", *args, stdin=stdin)

    def test_authenticated_ls_and_read(self):
        addr, host = self.serve()
        self.c.trust(addr, host)
        rc, out, err = self.lux9p(addr, "read", "/hello")
        self.assertEqual((rc, out, err), (0, "hello\n", ""))
        # the stand-in exits 0 only after our close record
        self.assertEqual(self.done(), (0, ""))
        addr, host = self.serve()
        self.c.trust(addr, host)
        rc, out, err = self.lux9p(addr, "ls", "-l", "/")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^--rw-r--r-- alice alice 6 .* hello\n$")
        self.assertEqual(self.done(), (0, ""))

    def test_unknown_host_refused_then_accepted(self):
        addr, host = self.serve()
        rc, out, err = self.lux9p(addr, "read", "/hello")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("%s: unknown host: its key is SHA256:" % addr, err)
        self.assertIn("--accept-new-host", err)
        self.assertIn("%s %s\n" % (addr, host), err)  # the line to add, ready to paste
        self.assertFalse(os.path.exists(self.c.known))
        self.done()
        addr, host = self.serve()
        rc, out, err = self.lux9p(addr, "--accept-new-host", "read", "/hello")
        self.assertEqual((rc, out), (0, "hello\n"), err)
        self.assertRegex(err, r"^lux9p: added the host key SHA256:\S+ for %s to %s\n$" %
                         (re.escape(addr), re.escape(self.c.known)))
        with open(self.c.known) as f:
            self.assertEqual(f.read(), "%s %s\n" % (addr, host))
        self.done()
        # known now: no flag needed, nothing added
        addr2, _ = self.serve()
        self.assertEqual(addr2.rsplit("!", 1)[0], addr.rsplit("!", 1)[0])
        self.c.trust(addr2, host)
        rc, out, err = self.lux9p(addr2, "read", "/hello")
        self.assertEqual((rc, out, err), (0, "hello\n", ""))
        self.done()

    def test_changed_host_key_refused_loudly(self):
        other = os.urandom(32).hex()
        for extra in ([], ["--accept-new-host"]):   # never trusted on first use: it is not the first
            addr, host = self.serve()
            if os.path.exists(self.c.known):
                os.unlink(self.c.known)
            self.c.trust("tcp!elsewhere!1", host)
            self.c.trust(addr, other)
            rc, out, err = self.lux9p(addr, *extra, "ls", "/")
            self.assertEqual((rc, out), (1, ""))
            self.assertRegex(err, r"host key for %s changed: expected SHA256:\S+, got SHA256:\S+; "
                             r"if this is expected, remove the line 2 of %s\n" %
                             (re.escape(addr), re.escape(self.c.known)))
            with open(self.c.known) as f:
                self.assertEqual(len(f.read().splitlines()), 2)   # nothing added
            self.done()

    def test_wrong_key_refused(self):
        other = os.path.join(self.c.home, "other")
        self.c.keygen(other)
        addr, host = self.serve()
        self.c.trust(addr, host)
        rc, out, err = self.c.run("-a", addr, "-k", other, "-u", "alice", "ls", "/")
        self.assertEqual((rc, out), (1, ""))
        self.assertIn("%s: the server refused to authenticate alice: authentication failed" % addr, err)
        self.assertIn("authkey alice +", err)
        rc, serr = self.done()
        self.assertIn("is not authorized for user alice", serr)

    def test_server_without_auth(self):
        addr, host = self.serve("noauth")
        self.c.trust(addr, host)
        rc, _, err = self.lux9p(addr, "ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("the server does not authenticate (Tauth: authentication not required); "
                      "--no-auth connects without authentication", err)
        self.done()

    def test_hostile_records_are_errors(self):
        cases = {
            "badrecord": "auth: record 0 failed authentication",
            "hugerecord": "auth: record 0 claims 4294967295 bytes",
            "truncate": "the server closed the connection: auth: the stream ended after 0 records "
                        "without a close record (truncated)",
            # the junk may arrive with the close record or after lux9p has
            # already taken the close as the end: either way nothing is read
            "afterclose": r"came after the peer's close record|the server closed the connection",
        }
        for mode, want in cases.items():
            addr, host = self.serve(mode)
            self.c.trust(addr, host)
            rc, out, err = self.lux9p(addr, "read", "/hello")
            self.assertEqual((rc, out), (1, ""), mode)
            if mode == "afterclose":
                self.assertRegex(err, want, mode)
            else:
                self.assertIn(want, err, mode)
            self.assertTrue(err.startswith("lux9p: read /hello: "), err)
            self.done()

    def test_hostile_handshake_is_an_error(self):
        # a "server" that answers Tauth, then sends garbage for its proof
        import socket
        import threading
        with socket.socket() as ls:
            ls.bind(("127.0.0.1", 0))
            ls.listen()

            def serve():
                c, _ = ls.accept()
                with c:
                    replies = [
                        lambda tag, req: ninep_test.msg(101, 0xFFFF, (8192).to_bytes(4, "little") +
                                                        ninep_test.s("9P2000")),
                        lambda tag, req: ninep_test.msg(103, tag, bytes([0x08]) + bytes(12)),  # Rauth
                        lambda tag, req: ninep_test.msg(119, tag, req[15:19]),  # Rwrite: all of it
                        lambda tag, req: ninep_test.msg(117, tag, (5).to_bytes(4, "little") +
                                                        b"\x02\xff\xff\x00\x00")]  # a lying proof
                    for reply in replies:
                        size = int.from_bytes(c.recv(4), "little")
                        req = b""
                        while len(req) < size - 4:
                            req += c.recv(size - 4 - len(req))
                        c.sendall(reply(int.from_bytes(req[1:3], "little"), req))
                    try:
                        c.recv(1)
                    except OSError:
                        pass
            t = threading.Thread(target=serve)
            t.start()
            rc, _, err = self.lux9p("tcp!127.0.0.1!%d" % ls.getsockname()[1], "ls", "/")
            t.join()
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"^lux9p: tcp!127.0.0.1!\d+: auth: server proof message says 65535 bytes "
                              r"but 2 came\n$")

    def test_keys(self):
        # keygen: 0600, one line of hex; never over an existing key
        with open(self.key) as f:
            self.assertRegex(f.read(), r"^[0-9a-f]{64}\n$")
        self.assertEqual(os.stat(self.key).st_mode & 0o777, 0o600)
        with open(self.key + ".pub") as f:
            self.assertEqual(f.read(), self.pub + "\n")
        rc, _, err = self.c.run("keygen", self.key)
        self.assertEqual(rc, 1)
        self.assertIn("exists; not overwriting", err)
        # the default key, made in the configuration directory
        rc, out, err = self.c.run("-u", "bob", "keygen")
        self.assertEqual(rc, 0, err)
        self.assertIn("key: %s/id_ed25519" % self.c.cfg, out)
        self.assertRegex(out, r"(?m)^authkey bob \+[0-9a-f]{64}$")
        # a key others may read is refused before dialing anything
        os.chmod(self.key, 0o644)
        rc, _, err = self.lux9p("tcp!127.0.0.1!1", "ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("permissions 0644 are too open", err)
        with open(self.key, "w") as f:
            f.write("not a key\n")
        os.chmod(self.key, 0o600)
        rc, _, err = self.lux9p("tcp!127.0.0.1!1", "ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("not a key file: expected one line of 64 hex digits", err)
        # -k is for tcp!; a bad user name is a usage error
        rc, _, err = self.c.run("-a", "unix!/nonexistent", "-k", self.key, "ls", "/")
        self.assertEqual(rc, 64)
        self.assertIn("authentication is for tcp! addresses", err)
        rc, _, err = self.c.run("-a", "tcp!127.0.0.1!1", "-k", self.key, "-u", "a/b", "ls", "/")
        self.assertEqual(rc, 64)
        self.assertIn("user name 'a/b' cannot authenticate", err)
        # --no-auth: the key is not even read
        rc, _, err = self.c.run("-a", "tcp!127.0.0.1!%d" % ninep_test.free_port(), "-k", self.key,
                                "--no-auth", "ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("Connection refused", err)

    def test_default_key_is_used_over_tcp_only(self):
        rc, _, err = self.c.run("-u", "alice", "keygen")
        self.assertEqual(rc, 0, err)
        default = os.path.join(self.c.cfg, "id_ed25519")
        with open(default + ".pub") as f:
            self.pub = f.read().strip()
        addr, host = self.serve()
        rc, _, err = self.c.run("-a", addr, "-u", "alice", "ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("unknown host", err)    # it tried to authenticate
        self.done()


class Luxsim(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.state = tempfile.mkdtemp(prefix="lux9p-state-")
        cls.port = ninep_test.free_port()
        cls.addr = "tcp!127.0.0.1!%d" % cls.port
        cls.p = subprocess.Popen([ninep_test.LUXSIM, "--state-dir", cls.state,
                                  "--listen", cls.addr, "-q"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        cls.c = Client()
        cls.key = os.path.join(cls.c.home, "id")
        cls.pub = cls.c.keygen(cls.key)
        authsim.authorize(cls.p, "alice", 1001, cls.pub)
        cls.host = authsim.host_key(cls.state, TIMEOUT)
        assert re.fullmatch(r"[0-9a-f]{64}", cls.host), cls.host

    @classmethod
    def shell(cls, cmd):
        return authsim.shell(cls.p, cmd)

    @classmethod
    def tearDownClass(cls):
        authsim.halt(cls.p, TIMEOUT)
        cls.c.cleanup()
        shutil.rmtree(cls.state, ignore_errors=True)

    def setUp(self):
        # each test starts from an empty known_hosts
        if os.path.exists(self.c.known):
            os.unlink(self.c.known)

    def lux9p(self, *args, key=None, stdin=b""):
        return self.c.run("-a", self.addr, "-k", key or self.key, "-u", "alice", *args, stdin=stdin)

    def test_ls_read_write_as_alice(self):
        self.c.trust(self.addr, self.host)
        rc, out, err = self.lux9p("ls", "/")
        self.assertEqual(rc, 0, err)
        for want in ("dev", "tmp"):
            self.assertIn(want, out.split())
        rc, _, err = self.lux9p("create", "/tmp/alice-f")
        self.assertEqual(rc, 0, err)
        rc, _, err = self.lux9p("write", "/tmp/alice-f", stdin=b"sealed hello\n")
        self.assertEqual(rc, 0, err)
        self.assertEqual(self.shell("cat /tmp/alice-f"), ["sealed hello"])
        rc, out, err = self.lux9p("read", "/tmp/alice-f")
        self.assertEqual((rc, out, err), (0, "sealed hello\n", ""))
        rc, out, err = self.lux9p("ls", "-l", "/tmp/alice-f")
        self.assertEqual(rc, 0, err)
        self.assertIn(" alice ", out)   # the file is the authenticated user's
        # bigger than one record
        data = bytes((i * 7) & 0xFF for i in range(150000))
        self.assertEqual(self.lux9p("write", "/tmp/alice-f", stdin=data)[0], 0)
        p = subprocess.run([LUX9P, "-a", self.addr, "-k", self.key, "-u", "alice", "read",
                            "/tmp/alice-f"], capture_output=True, timeout=TIMEOUT, env=self.c.env)
        self.assertEqual((p.returncode, p.stdout), (0, data), p.stderr)
        # -v names the host key and the record cipher luxsim picked: AES-256-GCM
        # where this CPU runs it (both ends are on it)
        rc, out, err = self.lux9p("-v", "read", "/tmp/alice-f")
        self.assertEqual(rc, 0, err)
        self.assertRegex(err, r"^lux9p: %s: host key SHA256:\S+; alice authenticated; records %s\n$"
                         % (re.escape(self.addr), host_cipher()))

    def test_unknown_host_refused_then_accepted(self):
        rc, _, err = self.lux9p("ls", "/")
        self.assertEqual(rc, 1)
        self.assertIn("unknown host", err)
        self.assertIn("%s %s" % (self.addr, self.host), err)
        rc, _, err = self.lux9p("--accept-new-host", "ls", "/")
        self.assertEqual(rc, 0, err)
        with open(self.c.known) as f:
            self.assertEqual(f.read(), "%s %s\n" % (self.addr, self.host))

    def test_host_mismatch_refused(self):
        self.c.trust(self.addr, os.urandom(32).hex())
        rc, _, err = self.lux9p("--accept-new-host", "ls", "/")
        self.assertEqual(rc, 1)
        self.assertRegex(err, r"host key for %s changed: expected SHA256:\S+, got SHA256:\S+; "
                         r"if this is expected, remove the line 1 of " % re.escape(self.addr))

    def test_wrong_key_refused(self):
        self.c.trust(self.addr, self.host)
        other = os.path.join(self.c.home, "other-%d" % time.monotonic_ns())
        self.c.keygen(other)
        rc, _, err = self.lux9p("ls", "/", key=other)
        self.assertEqual(rc, 1)
        self.assertIn("the server refused to authenticate alice", err)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: lux9p_auth_test.py PATH/TO/luxsim [unittest args]")
    ninep_test.LUXSIM = sys.argv.pop(1)
    here = os.path.dirname(os.path.abspath(ninep_test.LUXSIM))
    LUX9P = os.environ.get("LUX9P") or os.path.join(here, "lux9p", "lux9p")
    AUTHSRV = os.environ.get("LUX9P_AUTHSRV") or os.path.join(here, "..", "tests", "lux9p-authsrv")
    for what, path in (("lux9p", LUX9P), ("lux9p-authsrv", AUTHSRV)):
        if not os.access(path, os.X_OK):
            sys.exit("lux9p_auth_test: no %s at %s (build it, or set $%s)" %
                     (what, path, "LUX9P" if what == "lux9p" else "LUX9P_AUTHSRV"))
    unittest.main(verbosity=2)
