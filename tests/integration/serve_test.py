#!/usr/bin/env python3
"""Integration tests for luxsim --serve: the kernel as a service.

Usage: serve_test.py PATH/TO/luxsim [unittest args]

The acceptance line of docs/service.md, run as written by a shell:
`luxsim --serve --listen unix!PATH </dev/null &` serves 9P until SIGTERM,
then exits 0 and the socket is gone.  Around it: SIGINT does the same; a
service manager's NOTIFY_SOCKET (a path, and an abstract @name) hears
READY=1 before any client connects and STOPPING=1 at the end; a request
still running when SIGTERM arrives is answered before the halt (files
live in RAM, so answering is all a halt has to finish); the log is
stderr with a timestamp per line; the command lines that make no sense
are refused in one line.  9P is spoken by ninep_test.py's client and by
lux9p (found beside luxsim, or at $LUX9P).
"""
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ninep_test as nt  # noqa: E402  (the 9P client)

LUXSIM = None
LUX9P = None
TIMEOUT = 60
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ")
OWRITE, ORDWR = 1, 2
SALT = "00112233445566778899aabbccddeeff"


def wait_for(cond, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


class Service(unittest.TestCase):
    """One luxsim --serve per test, in a directory of its own."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="serve-")
        self.sock = os.path.join(self.dir, "9p.sock")
        self.state = os.path.join(self.dir, "state")
        self.p = None

    def tearDown(self):
        if self.p and self.p.poll() is None:
            self.p.kill()
            self.p.communicate()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, env=None, extra=()):
        self.p = subprocess.Popen(
            [LUXSIM, "--serve", "--listen", "unix!" + self.sock, "--state-dir", self.state,
             *extra],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(os.environ, **(env or {})))

    def stop(self, sig):
        """Send sig; (exit status, stdout, stderr) once luxsim has ended."""
        self.p.send_signal(sig)
        out, err = self.p.communicate(timeout=TIMEOUT)
        return self.p.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def connect(self):
        wait_for(lambda: os.path.exists(self.sock), "the 9P socket")
        c = nt.Client(self.sock, msize=65536 + 24)
        c.attach(1)
        return c

    def lux9p(self, *args, stdin=b""):
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.dir, "config"))
        p = subprocess.run([LUX9P, "-a", "unix!" + self.sock, *args], input=stdin,
                           capture_output=True, timeout=TIMEOUT, env=env)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def assert_clean_stop(self, rc, out, err):
        self.assertEqual(rc, 0, err)
        self.assertFalse(os.path.exists(self.sock), "the socket file outlived luxsim")
        self.assertEqual(out, "", "a service writes nothing to stdout")
        lines = err.splitlines()
        for line in lines:
            self.assertRegex(line, STAMP, "a log line without its timestamp")
        self.assertIn("9p: serving / on unix!" + self.sock, err)
        self.assertIn("halt: done", lines[-1])
        self.assertNotIn("still busy", err)


class Acceptance(Service):
    def test_backgrounded_by_a_shell_serves_until_sigterm(self):
        # Exactly the documented line, in a shell, which also reports the
        # background job's exit status once it ends.
        script = ("%s --serve --listen 'unix!%s' --state-dir '%s' </dev/null 2>'%s/log' &\n"
                  "echo $!\nwait $!\necho exit $?\n") % (LUXSIM, self.sock, self.state, self.dir)
        sh = subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE)
        try:
            pid = int(sh.stdout.readline())
            wait_for(lambda: os.path.exists(self.sock), "the 9P socket")
            for cmd in ("create", "write"):
                rc, out, err = self.lux9p(cmd, "/tmp/hello", stdin=b"hello, service\n")
                self.assertEqual(rc, 0, err)
            rc, out, err = self.lux9p("read", "/tmp/hello")
            self.assertEqual((rc, out), (0, "hello, service\n"), err)
            time.sleep(0.2)
            self.assertIsNone(sh.poll(), "luxsim stopped serving by itself")
            os.kill(pid, signal.SIGTERM)
            rest, _ = sh.communicate(timeout=TIMEOUT)
        finally:
            if sh.poll() is None:
                sh.kill()
        self.assertEqual(rest.decode().strip(), "exit 0")
        self.assertFalse(os.path.exists(self.sock))
        with open(os.path.join(self.dir, "log")) as f:
            log = f.read()
        self.assertIn("luxsim: SIGTERM: halting", log)
        self.assertTrue(log.rstrip().endswith("halt: done"), log)


class Signals(Service):
    def test_sigterm(self):
        self.start()
        c = self.connect()
        self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
        rc, out, err = self.stop(signal.SIGTERM)
        self.assert_clean_stop(rc, out, err)
        self.assertIn("luxsim: SIGTERM: halting", err)
        # the connection was closed by the halt, not left hanging
        self.assertEqual(c.sock.recv(1), b"")

    def test_sigint(self):
        self.start()
        c = self.connect()
        c.walk(1, 2, ["adm"])
        rc, out, err = self.stop(signal.SIGINT)
        self.assert_clean_stop(rc, out, err)
        self.assertIn("luxsim: SIGINT: halting", err)

    def test_signal_while_booting_still_halts_clean(self):
        # the banner is printed once the signals are caught, before the
        # self-check: a request then waits for the core to serve, and is
        # not lost
        self.start()
        first = self.p.stderr.readline().decode()
        self.assertRegex(first, STAMP.pattern + "Lux9 ")
        self.p.send_signal(signal.SIGTERM)
        out, err = self.p.communicate(timeout=TIMEOUT)
        self.assert_clean_stop(self.p.returncode, out.decode(), first + err.decode())

    def test_stdin_is_not_read(self):
        # commands on stdin are not a shell's input, and their end does
        # not stop a service either
        r, w = os.pipe()
        os.write(w, b"halt 3\n")
        os.close(w)
        self.p = subprocess.Popen(
            [LUXSIM, "--serve", "--listen", "unix!" + self.sock, "--state-dir", self.state],
            stdin=r, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(r)
        c = self.connect()
        time.sleep(0.3)
        self.assertIsNone(self.p.poll())
        c.walk(1, 2, ["tmp"])
        rc, out, err = self.stop(signal.SIGTERM)
        self.assert_clean_stop(rc, out, err)


class Notify(Service):
    def manager(self, abstract):
        """A datagram socket like systemd's; its NOTIFY_SOCKET value."""
        m = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(m.close)
        if abstract:
            name = "lux9-serve-test-%d-%d" % (os.getpid(), time.monotonic_ns())
            m.bind("\0" + name)
            where = "@" + name
        else:
            where = os.path.join(self.dir, "notify")
            m.bind(where)
        m.settimeout(TIMEOUT)
        return m, where

    def ready_then_stopping(self, abstract):
        m, where = self.manager(abstract)
        self.start(env={"NOTIFY_SOCKET": where})
        self.assertEqual(m.recv(4096), b"READY=1")
        # ready means serving: the socket is there and answers at once
        self.assertTrue(os.path.exists(self.sock))
        c = nt.Client(self.sock)
        c.attach(1)
        c.walk(1, 2, ["tmp"])
        self.p.send_signal(signal.SIGTERM)
        self.assertEqual(m.recv(4096), b"STOPPING=1")
        out, err = self.p.communicate(timeout=TIMEOUT)
        self.assert_clean_stop(self.p.returncode, out.decode(), err.decode())
        m.settimeout(0.2)
        with self.assertRaises(socket.timeout):
            m.recv(4096)	# one of each, nothing more

    def test_path(self):
        self.ready_then_stopping(abstract=False)

    def test_abstract(self):
        self.ready_then_stopping(abstract=True)

    def test_bad_notify_socket_is_logged_and_serving_goes_on(self):
        self.start(env={"NOTIFY_SOCKET": "relative/path"})
        c = self.connect()
        c.walk(1, 2, ["tmp"])
        rc, out, err = self.stop(signal.SIGTERM)
        self.assertEqual(rc, 0, err)
        self.assertIn("NOTIFY_SOCKET 'relative/path' is not a socket path or @name", err)

    def test_manager_gone_is_logged(self):
        self.start(env={"NOTIFY_SOCKET": os.path.join(self.dir, "nobody")})
        c = self.connect()
        c.walk(1, 2, ["tmp"])
        rc, out, err = self.stop(signal.SIGTERM)
        self.assertEqual(rc, 0, err)
        self.assertIn("cannot tell the service manager READY=1", err)


class Halt(Service):
    def test_written_data_is_answered_then_halt(self):
        # ramfs is RAM only: nothing to write back at halt.  What a halt
        # owes is the answers: every write acknowledged in full, then a
        # clean stop.
        self.start()
        c = self.connect()
        c.walk(1, 2, ["tmp"])
        c.create(2, "data", 0o644, ORDWR)
        chunk = bytes(range(256)) * 32
        for i in range(8):
            self.assertEqual(c.write(2, i * len(chunk), chunk), len(chunk))
        self.assertEqual(c.read(2, 0, 4096), chunk[:4096])
        rc, out, err = self.stop(signal.SIGTERM)
        self.assert_clean_stop(rc, out, err)

    def pwhash_session(self, c, mem):
        """A pwhash session whose data read takes a while: its fid (5)."""
        c.walk(1, 3, ["secure", "crypto", "pwhash", "clone"])
        c.open(3, 0)
        n = c.read(3, 0, 32).decode().strip()
        c.walk(1, 4, ["secure", "crypto", "pwhash", n, "ctl"])
        c.open(4, OWRITE)
        for line in ("salt " + SALT, "ops 16", "mem %d" % mem):
            c.write(4, 0, (line + "\n").encode())
        c.walk(1, 5, ["secure", "crypto", "pwhash", n, "data"])
        c.open(5, ORDWR)
        c.write(5, 0, b"pw\n")
        return 5

    def test_request_in_flight_is_answered_before_the_halt(self):
        mem = 24 << 20	# within a connection's crypto pebbles (32 MiB)
        want = subprocess.run(
            [LUXSIM, "-c", "cat /secure/crypto/pwhash/clone > /tmp/n; "
             "echo salt %s > /secure/crypto/pwhash/1/ctl; echo ops 16 > /secure/crypto/pwhash/1/ctl; "
             "echo mem %d > /secure/crypto/pwhash/1/ctl; echo pw > /secure/crypto/pwhash/1/data; "
             "cat /secure/crypto/pwhash/1/data" % (SALT, mem)],
            capture_output=True, timeout=TIMEOUT).stdout
        self.assertRegex(want.decode(), r"^[0-9a-f]{64}\n$")
        self.start()
        c = self.connect()
        fid = self.pwhash_session(c, mem)
        # the read runs Argon2id (ops 16, 24 MiB: about half a second);
        # SIGTERM arrives while it runs
        c.send(nt.msg(nt.TREAD, 77, struct.pack("<IQI", fid, 0, 4096)))
        time.sleep(0.05)
        ready, _, _ = select.select([c.sock], [], [], 0)
        self.assertEqual(ready, [], "the hash was done before the signal: nothing was in flight")
        self.p.send_signal(signal.SIGTERM)
        t, tag, body = c.recv()
        self.assertEqual((t, tag), (nt.TREAD + 1, 77))
        self.assertEqual(body[4:], want)
        self.assertEqual(c.sock.recv(1), b"")	# then the halt closes it
        out, err = self.p.communicate(timeout=TIMEOUT)
        self.assert_clean_stop(self.p.returncode, out.decode(), err.decode())


class CommandLine(unittest.TestCase):
    def run_luxsim(self, *args):
        p = subprocess.run([LUXSIM, *args], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def test_serve_does_not_mix(self):
        for args, why in ((["-c", "echo"], "-c: a service runs no shell"),
                          (["--sim", "net", "--seed", "1"], "--sim"),
                          (["--seed", "3"], "--seed: a deterministic run never listens"),
                          (["--no-listen"], "--no-listen: it would serve nothing")):
            with self.subTest(args=args):
                rc, out, err = self.run_luxsim("--serve", *args)
                self.assertEqual(rc, 64)
                self.assertEqual(err.count("\n"), 1, err)
                self.assertIn("luxsim: --serve does not mix with " + why, err)

    def test_nowhere_to_listen(self):
        rc, out, err = self.run_luxsim("--serve", "--listen", "unix!/nonexistent-lux9/dir/9p.sock")
        self.assertEqual(rc, 69)
        self.assertIn("--serve: no address could be listened on", err)
        # luxsim's own lines are on the service's log too, timestamped
        lines = err.splitlines()
        self.assertIn("cannot listen on unix!/nonexistent-lux9/dir/9p.sock", lines[0])
        for line in lines:
            self.assertRegex(line, STAMP)

    def test_help_describes_serve(self):
        rc, out, _ = self.run_luxsim("--help")
        self.assertEqual(rc, 0)
        self.assertIn("--serve", out)
        self.assertIn("NOTIFY_SOCKET", out)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: serve_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = os.path.abspath(sys.argv.pop(1))
    LUX9P = os.environ.get("LUX9P") or os.path.join(os.path.dirname(LUXSIM), "lux9p", "lux9p")
    if not os.access(LUX9P, os.X_OK):
        sys.exit("serve_test: no lux9p at %s (build the lux9p target, or set LUX9P)" % LUX9P)
    unittest.main(verbosity=2)
