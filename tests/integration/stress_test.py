#!/usr/bin/env python3
"""64 clients at once on one luxsim: random 9P traffic, then nothing held.

Usage: stress_test.py PATH/TO/luxsim [unittest args]
Environment: STRESS_SEED (default: random, printed), STRESS_SECONDS (12),
STRESS_CLIENTS (64).

Each client is a thread with its own connection (half 9P2000, half
9P2000.L) and its own RNG (seeded from the run's seed and its number), and
for the run's duration does random walks, opens, reads, writes, creates,
stats, clunks and removes on one small shared tree, so clients race each
other: a file walked to by one is removed by another, a directory fills
while another tries to remove it.  Some clients hang up without clunking
and reconnect.  Some send a burst of requests at once (the server has
several in flight per connection) and flush one of them.

Errors are sorted into two kinds:
 - expected: what a race on a shared tree gives a correct client ("file
   does not exist", "file already exists", "directory not empty", ... or
   the .L errno), counted and printed;
 - protocol errors: anything else (unknown fid, a reply with the wrong tag
   or type, a closed connection, EPROTO, EBADF on a fid the client holds),
   each printed with the client, the request and the seed; there must be
   none.
Afterwards every connection is closed and the server's counters (the
shell's `ninep`, docs/9p.md "Counters": fids, requests in flight, pages,
procs, bytes) must come back to zero, and the server must still serve.
"""
import os
import queue
import random
import struct
import sys
import threading
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metal  # noqa: E402  (LUX_TARGET=x86_64: the same tests on the metal kernel)
import ninep_test  # noqa: E402
from ninep_test import (Client, NinepError, TFLUSH, TGETATTR, TMKDIR, TREAD,  # noqa: E402
                        TREADDIR, TREMOVE, TSTAT)

SEED = int(os.environ.get("STRESS_SEED") or random.SystemRandom().randrange(1, 2**31))
SECONDS = float(os.environ.get("STRESS_SECONDS", "12"))
# On the x86_64 target (metal.py) at a reduced size: the mux serves 16
# connections at once, and the emulated CPU is slower.
CLIENTS = int(os.environ.get("STRESS_CLIENTS", "12" if metal.on_metal() else "64"))

DMDIR = 0x80000000
L_O_TRUNC = 0o1000
# What a race on a shared tree may answer a correct client.
# (9P2000: the words Linux's client maps to those errnos, docs/9p.md "Errors")
EXPECTED_STR = {"file does not exist", "file already exists", "directory is not empty",
                "Is a directory", "not a directory", "Device or resource busy"}
ENOENT, EBUSY, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY = 2, 16, 17, 20, 21, 39
EINTR = 4   # a flushed request may end with it instead of its reply
EXPECTED_ERRNO = {ENOENT, EEXIST, ENOTEMPTY, EISDIR, ENOTDIR, EBUSY}

# The shared tree: /tmp/s/{a,b,c}/... (c is made and removed by clients)
DIRS = ["a", "b", "c", "a/d", "b/d"]
FILES = ["f0", "f1", "a/f0", "a/f1", "a/f2", "b/f0", "b/f1", "c/f0", "a/d/f0", "b/d/f0"]
SCRIPT = "mkdir /tmp/s; mkdir /tmp/s/a; mkdir /tmp/s/b; mkdir /tmp/s/a/d\n" + \
    "echo hello > /tmp/s/f0; echo one > /tmp/s/a/f0; echo two > /tmp/s/b/f0\n"


class Stop(Exception):
    pass


class Worker:
    """One client's random walk through the protocol; fids it holds are
    tracked exactly, so any "unknown fid" is the server's fault."""

    def __init__(self, n, addr, deadline):
        self.n = n
        self.addr = addr
        self.deadline = deadline
        self.rnd = random.Random(SEED * 1000 + n)
        self.dialect = "9P2000.L" if n % 2 else "9P2000"
        self.expected = {}
        self.protocol = []
        self.ops = 0
        self.done = {}          # what succeeded, by operation: the tree stays busy
        self.reconnects = 0
        self.refused = 0        # reconnects turned away while slots were full
        self.c = None

    # -- bookkeeping ----------------------------------------------------

    def connect(self):
        # A unix socket whose listen backlog is full refuses a non-blocking
        # connect with EAGAIN (Python's timeout sockets are non-blocking)
        # where a blocking one would wait: wait here too.
        until = time.monotonic() + 10
        while True:
            try:
                self.c = Client(self.addr, self.dialect, msize=16384)
                break
            except BlockingIOError:
                if time.monotonic() > until:
                    raise
                time.sleep(0.02)
        self.c.attach(1)
        self.fids = {}          # fid -> {"open": None|0|1|2, "dir": bool, "path": str}
        self.next = 2

    def call(self, what, fn, *args):
        """fn(*args); None if it failed with an expected error."""
        try:
            self.ops += 1
            r = fn(*args)
            kind = what.split()[0]
            self.done[kind] = self.done.get(kind, 0) + 1
            return r
        except NinepError as e:
            err = e.args[0]
            if err in EXPECTED_ERRNO or err in EXPECTED_STR:
                self.expected[err] = self.expected.get(err, 0) + 1
                return None
            self.protocol.append("client %d (%s) %s: error %r" % (self.n, self.dialect, what, err))
        except (EOFError, OSError) as e:
            self.protocol.append("client %d (%s) %s: connection lost: %s" % (self.n, self.dialect, what, e))
            raise Stop()
        except (AssertionError, struct.error) as e:
            self.protocol.append("client %d (%s) %s: bad reply: %s" % (self.n, self.dialect, what, e))
            raise Stop()
        return None

    def pick(self, pred):
        fids = [f for f, st in self.fids.items() if pred(st)]
        return self.rnd.choice(fids) if fids else None

    # -- operations -----------------------------------------------------

    def op_walk(self):
        if len(self.fids) >= 24:
            return self.op_clunk()
        path = self.rnd.choice(DIRS + FILES + ["", "nosuch", "a/nosuch/x"])
        names = ["tmp", "s"] + [p for p in path.split("/") if p]
        fid, self.next = self.next, self.next + 1
        qids = self.call("walk %s" % path, self.c.walk, 1, fid, names)
        if qids is not None and len(qids) == len(names):
            self.fids[fid] = {"open": None, "dir": bool(qids[-1][0] & 0x80), "path": path}

    def op_open(self):
        fid = self.pick(lambda st: st["open"] is None)
        if fid is None:
            return self.op_walk()
        st = self.fids[fid]
        mode = 0 if st["dir"] else self.rnd.choice([0, 1, 2])
        flag = 0
        if mode and self.rnd.random() < 0.1:
            flag = L_O_TRUNC if self.c.dotl else 0x10
        if self.call("open %s mode %d" % (st["path"], mode), self.c.open, fid, mode | flag) is not None:
            st["open"] = mode

    def op_read(self):
        fid = self.pick(lambda st: st["open"] in (0, 2))
        if fid is None:
            return self.op_open()
        st = self.fids[fid]
        if st["dir"]:
            t = TREADDIR if self.c.dotl else TREAD
            self.call("read dir %s" % st["path"], self.c.read, fid, 0, 8000, t)
        else:
            self.call("read %s" % st["path"], self.c.read, fid, self.rnd.randrange(0, 6000),
                      self.rnd.randrange(1, 8000))

    def op_write(self):
        fid = self.pick(lambda st: st["open"] in (1, 2) and not st["dir"])
        if fid is None:
            return self.op_open()
        data = bytes([self.rnd.randrange(256)]) * self.rnd.randrange(1, 2048)
        n = self.call("write %s" % self.fids[fid]["path"], self.c.write, fid,
                      self.rnd.randrange(0, 4096), data)
        if n is not None and n != len(data):
            self.protocol.append("client %d: wrote %d bytes, server says %d" % (self.n, len(data), n))

    def op_create(self):
        fid = self.pick(lambda st: st["open"] is None and st["dir"])
        if fid is None:
            return self.op_walk()
        st = self.fids[fid]
        name = self.rnd.choice(["f0", "f1", "f2", "a", "b", "c", "d", "g"])
        isdir = name in ("a", "b", "c", "d")
        what = "create %s/%s" % (st["path"], name)
        if isdir and self.c.dotl:
            self.call(what, self.c.rpc, TMKDIR, struct.pack("<I", fid) + ninep_test.s(name) +
                      struct.pack("<II", 0o755, 0))
            return
        perm = (DMDIR | 0o755) if isdir else 0o644
        mode = 0 if isdir else self.rnd.choice([1, 2])
        if self.call(what, self.c.create, fid, name, perm, mode) is not None:
            # the fid now names the new file, open in mode
            self.fids[fid] = {"open": mode, "dir": isdir, "path": st["path"] + "/" + name}

    def op_stat(self):
        fid = self.pick(lambda st: True)
        if fid is None:
            fid = 1
        body = struct.pack("<IQ", fid, 0x7FF) if self.c.dotl else struct.pack("<I", fid)
        self.call("stat", self.c.rpc, TGETATTR if self.c.dotl else TSTAT, body)

    def op_clunk(self):
        fid = self.pick(lambda st: True)
        if fid is None:
            return self.op_walk()
        del self.fids[fid]
        self.call("clunk", self.c.clunk, fid)

    def op_remove(self):
        # never /tmp/s itself: with it gone every walk would stop short
        fid = self.pick(lambda st: st["path"] != "")
        if fid is None:
            return self.op_walk()
        path = self.fids.pop(fid)["path"]     # Tremove clunks, whatever it answers
        self.call("remove %s" % path, self.c.rpc, TREMOVE, struct.pack("<I", fid))

    def op_burst(self):
        """Several requests at once (stats and reads of fids held), maybe
        a Tflush of one of them, then every reply: each tag answered
        exactly once, the flushed one at most once and before its Rflush
        (flush(5)), in whatever order the server's workers finish."""
        held = list(self.fids) + [1]
        k = self.rnd.randrange(2, 9)
        sent, bodies = {}, {}
        for i in range(k):
            tag, fid = 1000 + i, self.rnd.choice(held)
            st = self.fids.get(fid)
            if st and st["open"] in (0, 2) and not st["dir"]:
                t, body = TREAD, struct.pack("<IQI", fid, 0, 4096)
            elif self.c.dotl:
                t, body = TGETATTR, struct.pack("<IQ", fid, 0x7FF)
            else:
                t, body = TSTAT, struct.pack("<I", fid)
            sent[tag], bodies[tag] = t, body
        flushed = self.rnd.choice(list(sent)) if self.rnd.random() < 0.5 else None
        data = b"".join(ninep_test.msg(sent[tag], tag, bodies[tag]) for tag in sent)
        if flushed is not None:
            data += ninep_test.msg(TFLUSH, 2000, struct.pack("<H", flushed))
        try:
            self.ops += len(sent) + (flushed is not None)
            self.c.send(data)
            waiting = set(sent) | ({2000} if flushed is not None else set())
            while waiting:
                rt, tag, rbody = self.c.recv()
                if tag not in waiting:
                    self.protocol.append("client %d (%s) burst: reply to tag %d, which %s"
                                         % (self.n, self.dialect, tag, "was answered already"
                                            if tag in sent or tag == 2000 else "was never sent"))
                    raise Stop()
                waiting.discard(tag)
                if tag == 2000:
                    if rt != TFLUSH + 1:
                        self.protocol.append("client %d: Tflush answered with type %d" % (self.n, rt))
                    waiting.discard(flushed)   # no reply after Rflush
                    continue
                if rt in (ninep_test.RERROR, ninep_test.RLERROR):
                    err = struct.unpack("<I", rbody)[0] if rt == ninep_test.RLERROR else \
                        rbody[2:2 + struct.unpack("<H", rbody[:2])[0]].decode()
                    if err in EXPECTED_ERRNO or err in EXPECTED_STR or \
                            (tag == flushed and err in (EINTR, "interrupted")):
                        self.expected[err] = self.expected.get(err, 0) + 1
                    else:
                        self.protocol.append("client %d (%s) burst tag %d: error %r"
                                             % (self.n, self.dialect, tag, err))
                elif rt != sent[tag] + 1:
                    self.protocol.append("client %d: T%d answered with type %d" % (self.n, sent[tag], rt))
            self.done["burst"] = self.done.get("burst", 0) + 1
            if flushed is not None:
                self.done["flush"] = self.done.get("flush", 0) + 1
            # nothing more may come for these tags
        except (EOFError, OSError) as e:
            self.protocol.append("client %d (%s) burst: connection lost: %s" % (self.n, self.dialect, e))
            raise Stop()

    def op_hangup(self):
        """Go away holding fids (and maybe open files): the server must let
        go of them by itself."""
        self.c.close()
        self.reconnects += 1
        self.connect_retrying()

    def connect_retrying(self):
        # The server frees a connection's slot after the close reaches it,
        # so with every slot taken (or a peer's cap reached: docs/9p.md) a
        # quick (re)connect may be turned away (told why and closed, or,
        # with every refusal slot busy, closed at once): that is the bound
        # working, not an error.  Try again for a while.
        until = time.monotonic() + 10
        while True:
            try:
                self.connect()
                return
            except (EOFError, ConnectionResetError, BrokenPipeError, NinepError):
                # refused in 9P ("budget exhausted: connections 64/64",
                # a peer's cap), or by a reset
                self.refused += 1
                if time.monotonic() > until:
                    raise
                time.sleep(0.05)

    OPS = [(op_walk, 30), (op_open, 15), (op_read, 15), (op_write, 12), (op_create, 8),
           (op_stat, 8), (op_clunk, 12), (op_remove, 6), (op_burst, 4), (op_hangup, 0.3)]

    def run(self):
        ops, weights = zip(*self.OPS)
        try:
            self.call("connect", self.connect_retrying)
            while time.monotonic() < self.deadline:
                self.rnd.choices(ops, weights)[0](self)
            for fid in list(self.fids):
                self.call("clunk at the end", self.c.clunk, fid)
        except Stop:
            pass
        except Exception as e:   # a bug here must not pass as a quiet thread
            self.protocol.append("client %d: %r" % (self.n, e))
        finally:
            if self.c:
                self.c.close()


class Stress(unittest.TestCase):
    def setUp(self):
        # sockets of connections the server turned away are dropped unclosed
        warnings.simplefilter("ignore", ResourceWarning)
        # Each connection's budget is 2 MiB of pages (NINEP_CONN_PAGES):
        # 64 of them need more than the default 64 MiB, or the server
        # serves as many as fit (16) and refuses the rest.
        if metal.on_metal():   # its memory is QEMU's; the fixture reads its output
            self.srv = ninep_test.Server(SCRIPT)
            return
        self.srv = ninep_test.Server(SCRIPT, args=["--mem", "256"])
        # luxsim's stdout is read all the time (a full pipe would stall it)
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self.read_stdout, daemon=True)
        self.reader.start()

    def tearDown(self):
        rc, out, err = self.srv.stop()
        self.assertEqual(rc, 0, "luxsim exited %s: %s" % (rc, err[-2000:]))

    def read_stdout(self):
        for line in iter(self.srv.p.stdout.readline, b""):
            self.lines.put(line.decode(errors="replace").rstrip("\n"))

    def shell(self, cmd, timeout=30):
        if metal.on_metal():
            return self.srv.shell(cmd)
        mark = "end-of-%d" % time.monotonic_ns()
        self.srv.p.stdin.write(("%s\necho %s\n" % (cmd, mark)).encode())
        self.srv.p.stdin.flush()
        out = []
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line.strip() == mark:
                return out
            out.append(line)

    def counters(self):
        total = [l for l in self.shell("ninep") if l.startswith("total ")]
        return total[-1] if total else "no total line from ninep"

    def test_64_clients(self):   # (12 on the x86_64 target)
        print("\nstress: seed %d (STRESS_SEED=%d replays the clients' choices), %d clients, %g s"
              % (SEED, SEED, CLIENTS, SECONDS), file=sys.stderr)
        deadline = time.monotonic() + SECONDS
        workers = [Worker(i, self.srv.path if i % 4 else self.srv.tcp, deadline)
                   for i in range(CLIENTS)]
        threads = [threading.Thread(target=w.run) for w in workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 120)
        self.assertFalse(any(t.is_alive() for t in threads), "a client hung (seed %d)" % SEED)

        ops = sum(w.ops for w in workers)
        expected = {}
        for w in workers:
            for k, v in w.expected.items():
                expected[k] = expected.get(k, 0) + v
        protocol = [p for w in workers for p in w.protocol]
        done = {}
        for w in workers:
            for k, v in w.done.items():
                done[k] = done.get(k, 0) + v
        print("stress: succeeded: %s" % ", ".join("%s %d" % kv for kv in sorted(done.items())),
              file=sys.stderr)
        print("stress: %d requests, %d reconnects (%d turned away and retried); expected "
              "errors %s; protocol errors %d"
              % (ops, sum(w.reconnects for w in workers), sum(w.refused for w in workers),
                 ", ".join("%s: %d" % kv for kv in sorted(expected.items(), key=str)) or "none",
                 len(protocol)), file=sys.stderr)
        refused = [p for p in protocol if "connect: connection lost" in p]
        self.assertFalse(refused, "%d of %d clients were refused at connect: does the server "
                         "serve fewer than %d connections (NINEP_MAXCONN)?  seed %d: %s"
                         % (len(refused), CLIENTS, CLIENTS, SEED, refused[:3]))
        self.assertEqual(protocol, [], "seed %d" % SEED)
        self.assertGreater(ops, CLIENTS * 10)

        # Every client has gone: nothing may be held for them.  Closing is
        # asynchronous, so give the server a moment.
        want = "total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0"
        deadline = time.monotonic() + 20
        while (got := self.counters()) != want and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(got, want, "seed %d" % SEED)

        # and it still serves, the tree intact enough to list
        c = Client(self.srv.path, "9P2000.L")
        c.attach(1)
        self.assertEqual(len(c.walk(1, 2, ["tmp", "s"])), 2)
        c.open(2, 0)
        c.read(2, 0, 8000, TREADDIR)
        c.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: stress_test.py PATH/TO/luxsim [unittest args]")
    ninep_test.LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
