#!/usr/bin/env python3
"""Integration tests for luxsim's file descriptors (arch-hosted/conntab.c,
refuse.c; docs/9p.md, "Limits at the connection edge"): every connection
is one, and running out must neither end luxsim, nor spin it, nor lock
everyone out for good.

Usage: hostfd_test.py PATH/TO/luxsim [unittest args]

luxsim runs with an open files limit of 64 (soft and hard, so it cannot
raise it): its connection table stops at half of that, 32, below the 48
the 9P server would give the host owner with --mem 256, so the host's
bound is the one met.

- The limit is said at start, with the connections it allows.
- Past the bound a client is refused in 9P (Rlerror ENFILE for .L, the
  sentence for 9P2000) on the unix socket and TCP alike, the console
  says so once, those served are still served, and one gone lets one in.
- A storm of connections past the bound: luxsim stays idle (no accept
  loop spinning), its shell answers, those answered are refusals in 9P,
  the rest are closed, and afterwards an honest client is served.
"""
import os
import socket
import sys
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ninep_test as nt  # noqa: E402
from ninep_edge_test import ENFILE, read_reply, refusal, tversion  # noqa: E402
from ninep_test import RLERROR, NinepError  # noqa: E402

NOFILE = 64
BOUND = NOFILE // 2     # conntab_bound_for: half of a limit this small


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class HostFd(unittest.TestCase):
    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)
        self.srv = nt.Server("mkdir /tmp/d\n", args=["--mem", "256"], nofile=NOFILE)
        self.held = []
        self.stopped = None

    def stop(self):
        for c in self.held:
            c.close()
        self.held = []
        if self.stopped is None:
            self.stopped = self.srv.stop()
            rc, out, err = self.stopped
            self.assertEqual(rc, 0, "luxsim exited %s: %s" % (rc, err[-2000:]))
        err = self.stopped[2]
        return err.decode(errors="replace") if isinstance(err, bytes) else err

    def tearDown(self):
        self.stop()

    def hold(self, n):
        for _ in range(n):
            c = nt.Client(self.srv.path, "9P2000.L")
            c.attach(1)
            self.held.append(c)

    def honest_served(self):
        """A new client is served, within a few seconds (a close frees its
        descriptor, and a resting listener resumes, asynchronously)."""
        for _ in range(100):
            try:
                c = nt.Client(self.srv.path, "9P2000.L")
                c.attach(1)
                self.assertEqual(len(c.walk(1, 2, ["tmp", "d"])), 2)
                c.close()
                return
            except (NinepError, OSError):
                time.sleep(0.05)
        self.fail("no client served after the others left")

    def test_past_the_bound_is_a_9p_refusal_said_once(self):
        self.hold(BOUND)
        why = "no file descriptors: connections %d/%d (luxsim's ulimit -n is %d)" % (
            BOUND, BOUND, NOFILE)
        self.assertEqual(refusal(self.srv.path, "9P2000"), why)
        self.assertEqual(refusal(self.srv.path, "9P2000.L"), ENFILE)
        self.assertEqual(refusal(self.srv.tcp, "9P2000.L"), ENFILE)
        for c in self.held:                         # those served still are
            self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
            c.clunk(2)
        self.held.pop().close()                     # one gone, one comes in
        self.honest_served()
        err = self.stop()
        self.assertEqual(err.count("luxsim: only %d file descriptors" % NOFILE), 1, err)
        self.assertIn("at most ~%d connections" % BOUND, err)
        self.assertEqual(err.count("luxsim: refusing connections: out of file descriptors: "
                                   "%d/%d connections open" % (BOUND, BOUND)), 1, err)

    def test_a_storm_past_the_bound_neither_spins_nor_locks_out(self):
        self.hold(BOUND)
        storm = []
        for _ in range(300):
            so = socket.socket(socket.AF_UNIX)
            so.setblocking(False)
            try:
                so.connect(self.srv.path)
                so.send(tversion("9P2000.L"))
            except (BlockingIOError, ConnectionError):
                pass                                # the queue is full: also a refusal
            storm.append(so)
        c0 = cpu_seconds(self.srv.p.pid)
        time.sleep(2)
        self.assertLess(cpu_seconds(self.srv.p.pid) - c0, 0.5, "luxsim spins while out of fds")
        self.assertIn("still-here", self.srv.shell("echo still-here"))
        answered = 0
        for so in storm:
            so.settimeout(3)
            try:
                r = read_reply(so)
            except OSError:
                r = None
            if r is not None:
                self.assertEqual((r[0], int.from_bytes(r[2], "little")), (RLERROR, ENFILE))
                answered += 1
            so.close()
        self.assertGreater(answered, 0, "no refusal in the storm spoke 9P")
        for c in self.held[:4]:
            c.close()
        del self.held[:4]
        self.honest_served()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: hostfd_test.py PATH/TO/luxsim [unittest args]")
    nt.LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
