#!/usr/bin/env python3
"""Integration tests for the 9P server: luxsim serving its namespace.

Usage: ninep_test.py PATH/TO/luxsim [unittest args]

One luxsim per test class, listening on a unix socket in a fresh directory
and on a free TCP port, its shell fed on stdin (and kept alive by keeping
stdin open).  Debian's diod clients (diodls, diodcat: 9P2000.L) prove
interoperability; a tiny client below (struct.pack) drives both dialects
directly, including the hostile cases.  luxsim always ends: 'halt' on
stdin, then a kill if it does not exit in time.
"""
import os
import re
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

import authsim  # noqa: E402  (halting luxsim, shared with the auth suites)
import metal  # noqa: E402  (LUX_TARGET=x86_64: the same tests on the metal kernel)

LUXSIM = None
TIMEOUT = 60
DIODLS = "/usr/sbin/diodls"
DIODCAT = "/usr/sbin/diodcat"
DIODLOAD = "/usr/sbin/diodload"

NOTAG = 0xFFFF
NOFID = 0xFFFFFFFF
# message types
TLERROR, RLERROR = 6, 7
TSTATFS, TLOPEN, TLCREATE, TSYMLINK, TMKNOD = 8, 12, 14, 16, 18
TGETATTR, TSETATTR, TREADDIR, TFSYNC, TMKDIR, TUNLINKAT = 24, 26, 40, 50, 72, 76
TRENAME, TREADLINK, TXATTRWALK, TXATTRCREATE = 20, 22, 30, 32
TLOCK, TGETLOCK, TLINK, TRENAMEAT = 52, 54, 70, 74
TVERSION, TAUTH, TATTACH, RERROR = 100, 102, 104, 107
TFLUSH, TWALK, TOPEN, TCREATE, TREAD, TWRITE, TCLUNK, TREMOVE, TSTAT, TWSTAT = (
    108, 110, 112, 114, 116, 118, 120, 122, 124, 126)
ENOENT, EMFILE, EOPNOTSUPP, EPROTO, EBADF, EINVAL = 2, 24, 95, 71, 9, 22


def s(v):
    b = v.encode() if isinstance(v, str) else v
    return struct.pack("<H", len(b)) + b


def msg(t, tag, body=b""):
    return struct.pack("<IBH", 7 + len(body), t, tag) + body


class NinepError(Exception):
    pass


class Client:
    """A 9P client just big enough to test with: one request at a time
    unless a test pipelines on purpose with send/recv."""

    def __init__(self, addr, dialect="9P2000.L", msize=8192, version=True):
        if isinstance(addr, str):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT / 2)
        self.sock.connect(addr)
        self.dotl = dialect == "9P2000.L"
        self.tag = 0
        if version:
            got_msize, got = self.version(msize, dialect)
            assert got == dialect, got

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
            buf += chunk
        return buf

    def recv(self):
        size, = struct.unpack("<I", self.recv_exact(4))
        rest = self.recv_exact(size - 4)
        t, tag = struct.unpack("<BH", rest[:3])
        return t, tag, rest[3:]

    def rpc(self, t, body=b"", tag=None):
        if tag is None:
            self.tag = (self.tag + 1) % 0xFFFF
            tag = self.tag
        self.send(msg(t, tag, body))
        rt, rtag, rbody = self.recv()
        if rtag != tag:
            raise AssertionError("tag %d answered with %d" % (tag, rtag))
        if rt == RLERROR:
            raise NinepError(struct.unpack("<I", rbody)[0])
        if rt == RERROR:
            n, = struct.unpack("<H", rbody[:2])
            raise NinepError(rbody[2:2 + n].decode())
        if rt != t + 1:
            raise AssertionError("T%d answered with type %d" % (t, rt))
        return rbody

    def version(self, msize, v):
        body = self.rpc(TVERSION, struct.pack("<I", msize) + s(v), tag=NOTAG)
        m, n = struct.unpack("<IH", body[:6])
        self.msize = m
        return m, body[6:6 + n].decode()

    def attach(self, fid, aname="", uname="", n_uname=NOFID):
        """uname "" attaches as whoever the connection is (docs/security.md)."""
        body = struct.pack("<I", fid) + struct.pack("<I", NOFID) + s(uname) + s(aname)
        if self.dotl:
            body += struct.pack("<I", n_uname)
        return self.rpc(TATTACH, body)[:13]

    def walk(self, fid, newfid, names):
        body = struct.pack("<IIH", fid, newfid, len(names)) + b"".join(s(n) for n in names)
        r = self.rpc(TWALK, body)
        n, = struct.unpack("<H", r[:2])
        return [r[2 + 13 * i:2 + 13 * (i + 1)] for i in range(n)]

    def open(self, fid, mode):
        if self.dotl:
            return self.rpc(TLOPEN, struct.pack("<II", fid, mode))
        return self.rpc(TOPEN, struct.pack("<IB", fid, mode))

    def create(self, fid, name, perm, mode):
        if self.dotl:
            return self.rpc(TLCREATE, struct.pack("<I", fid) + s(name) + struct.pack("<III", mode, perm, 0))
        return self.rpc(TCREATE, struct.pack("<I", fid) + s(name) + struct.pack("<IB", perm, mode))

    def read(self, fid, off, count, t=TREAD):
        r = self.rpc(t, struct.pack("<IQI", fid, off, count))
        n, = struct.unpack("<I", r[:4])
        assert len(r) == 4 + n
        return r[4:]

    def write(self, fid, off, data):
        r = self.rpc(TWRITE, struct.pack("<IQI", fid, off, len(data)) + data)
        return struct.unpack("<I", r)[0]

    def tauth(self, afid=0xFFFFFFFE):
        """Try Tauth first, as Plan 9's mount and plan9port's clients do: the
        server then answers this connection's 9P2000 errors with its
        sentences, not the words Linux's client maps (docs/9p.md "Errors").
        An afid made is clunked."""
        try:
            self.rpc(TAUTH, struct.pack("<I", afid) + s("none") + s(""))
        except NinepError:
            return
        self.clunk(afid)

    def clunk(self, fid):
        self.rpc(TCLUNK, struct.pack("<I", fid))

    # ---- metadata messages (ninep_meta_test.py) ----

    def stat(self, fid):
        """Tstat: the entry as a dict (see parse_stat)."""
        r = self.rpc(TSTAT, struct.pack("<I", fid))
        return parse_stat(r[2:])

    def wstat(self, fid, name="", mode=0xFFFFFFFF, length=2**64 - 1, mtime=0xFFFFFFFF,
              atime=0xFFFFFFFF, uid="", gid="", muid="", qid=None, dev=0xFFFFFFFF):
        """Twstat; every field defaults to "don't touch"."""
        q = qid if qid is not None else struct.pack("<BIQ", 0xFF, 0xFFFFFFFF, 2**64 - 1)
        body = struct.pack("<HI", 0xFFFF, dev) + q + struct.pack("<IIIQ", mode, atime, mtime, length)
        body += s(name) + s(uid) + s(gid) + s(muid)
        st = struct.pack("<H", len(body)) + body
        self.rpc(TWSTAT, struct.pack("<IH", fid, len(st)) + st)

    def getattr(self, fid, mask=0x3FFF):
        r = self.rpc(TGETATTR, struct.pack("<IQ", fid, mask))
        valid, = struct.unpack("<Q", r[:8])
        qid = r[8:21]
        mode, uid, gid = struct.unpack("<III", r[21:33])
        nlink, rdev, size, blksize, blocks = struct.unpack("<5Q", r[33:73])
        asec, ansec, msec, mnsec, csec, cnsec = struct.unpack("<6Q", r[73:121])
        return {"qid": qid, "qtype": qid[0], "mode": mode, "uid": uid, "gid": gid,
                "nlink": nlink, "size": size, "atime": asec, "mtime": msec, "ctime": csec}

    def setattr(self, fid, valid, mode=0, uid=0, gid=0, size=0, atime=0, mtime=0):
        self.rpc(TSETATTR, struct.pack("<IIIIIQQQQQ", fid, valid, mode, uid, gid, size,
                                       atime, 0, mtime, 0))

    def rename(self, fid, dfid, name):
        self.rpc(TRENAME, struct.pack("<II", fid, dfid) + s(name))

    def renameat(self, olddir, oldname, newdir, newname):
        self.rpc(TRENAMEAT, struct.pack("<I", olddir) + s(oldname) + struct.pack("<I", newdir) + s(newname))

    def symlink(self, fid, name, target):
        return self.rpc(TSYMLINK, struct.pack("<I", fid) + s(name) + s(target) + struct.pack("<I", 0))

    def readlink(self, fid):
        r = self.rpc(TREADLINK, struct.pack("<I", fid))
        n, = struct.unpack("<H", r[:2])
        return r[2:2 + n].decode()

    def link(self, dfid, fid, name):
        self.rpc(TLINK, struct.pack("<II", dfid, fid) + s(name))

    def lock(self, fid, ltype, start, length, proc_id, flags=0):
        r = self.rpc(TLOCK, struct.pack("<IBIQQI", fid, ltype, flags, start, length, proc_id) + s("test"))
        return r[0]

    def getlock(self, fid, ltype, start, length, proc_id):
        r = self.rpc(TGETLOCK, struct.pack("<IBQQI", fid, ltype, start, length, proc_id) + s("test"))
        t, st, ln, pid = struct.unpack("<BQQI", r[:21])
        return t, st, ln, pid

    def xattrwalk(self, fid, newfid, name):
        return self.rpc(TXATTRWALK, struct.pack("<II", fid, newfid) + s(name))

    def xattrcreate(self, fid, name, size, flags=0):
        return self.rpc(TXATTRCREATE, struct.pack("<I", fid) + s(name) + struct.pack("<QI", size, flags))


def parse_stat(e):
    """One 9P2000 stat entry (size[2] first) as a dict."""
    size, typ, dev = struct.unpack("<HHI", e[:8])
    qid = e[8:21]
    mode, atime, mtime, length = struct.unpack("<IIIQ", e[21:41])
    off, strs = 41, []
    for _ in range(4):
        n, = struct.unpack("<H", e[off:off + 2])
        strs.append(e[off + 2:off + 2 + n].decode())
        off += 2 + n
    return {"qid": qid, "mode": mode, "atime": atime, "mtime": mtime, "length": length,
            "name": strs[0], "uid": strs[1], "gid": strs[2], "muid": strs[3]}


def stat_names(data):
    """Names in packed 9P2000 stat entries."""
    names, off = [], 0
    while off < len(data):
        size, = struct.unpack("<H", data[off:off + 2])
        e = data[off + 2:off + 2 + size]
        p = 2 + 4 + 13 + 4 + 4 + 4 + 8
        n, = struct.unpack("<H", e[p:p + 2])
        names.append(e[p + 2:p + 2 + n].decode())
        off += 2 + size
    return names


def dirents(data):
    """(name, offset) of packed .L dirents."""
    out, off = [], 0
    while off < len(data):
        q, o, t, n = struct.unpack("<13sQBH", data[off:off + 24])
        out.append((data[off + 24:off + 24 + n].decode(), o))
        off += 24 + n
    return out


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


class LuxsimServer:
    """A luxsim with a shell on stdin, serving 9P."""

    concurrent = True   # clients at once (metal.py's serves one at a time)

    def shell(self, cmd):
        """Run a shell command; its output lines (the shell's stdout)."""
        self.p.stdin.write(cmd.encode() + b"\necho end-of-cmd\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise AssertionError("luxsim ended during %r" % cmd)
            if line.strip() == b"end-of-cmd":
                return lines
            lines.append(line.decode(errors="replace").rstrip("\n"))

    def __init__(self, script, args=(), nofile=None):
        """args: more luxsim options (stress_test.py gives it memory);
        nofile: luxsim's open files limit, soft and hard (hostfd_test.py)."""
        self.dir = tempfile.mkdtemp(prefix="ninep-")
        self.path = os.path.join(self.dir, "sock")
        # self.port: trusted without authentication (these suites test 9P,
        # not who may use it); self.port_plain: an ordinary TCP listener,
        # whose unauthenticated clients are none (authority_test.py)
        self.port = free_port()
        self.port_plain = free_port()
        self.p = subprocess.Popen(
            [LUXSIM, "-q", "--listen", "unix!" + self.path,
             "--listen-noauth", "tcp!127.0.0.1!%d" % self.port,
             "--listen", "tcp!127.0.0.1!%d" % self.port_plain, *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=(lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile)))
            if nofile else None)
        self.p.stdin.write(script.encode() + b"echo ready-for-9p\n")
        self.p.stdin.flush()
        deadline = time.monotonic() + TIMEOUT
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise AssertionError("luxsim ended before serving: %s" % self.stop())
            if line.strip() == b"ready-for-9p":
                break
            if time.monotonic() > deadline:
                raise AssertionError("no ready line")

    @property
    def tcp(self):
        return ("127.0.0.1", self.port)

    def stop(self):
        """halt; return (status, rest of stdout, stderr)."""
        got = authsim.halt_all(self.p, TIMEOUT)
        shutil.rmtree(self.dir, ignore_errors=True)
        return got


def Server(script, args=(), nofile=None):
    """The target's server (metal.py): luxsim, or with LUX_TARGET=x86_64
    the metal kernel under QEMU, with script typed into its shell."""
    if metal.on_metal():
        return metal.Server(script, args, nofile)
    return LuxsimServer(script, args, nofile)


class ServerTest(unittest.TestCase):
    SCRIPT = "mkdir /tmp/d\necho hello > /tmp/d/f\n"

    ARGS = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Server(cls.SCRIPT, cls.ARGS)

    @classmethod
    def tearDownClass(cls):
        rc, out, err = cls.srv.stop()
        assert rc == 0, "luxsim exited %s: %s %s" % (rc, out, err)
        assert metal.on_metal() or not os.path.exists(cls.srv.path)


@unittest.skipUnless(os.access(DIODLS, os.X_OK) and os.access(DIODCAT, os.X_OK), "diod not installed")
class Diod(ServerTest):
    def diod(self, *args):
        p = subprocess.run(args, capture_output=True, timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def test_diodls_over_tcp(self):
        rc, out, err = self.diod(DIODLS, "-s", "127.0.0.1:%d" % self.srv.port, "-a", "/", "/tmp/d")
        self.assertEqual(rc, 0, err)
        self.assertIn("f", out.split())

    def test_diodls_long_over_unix(self):
        rc, out, err = self.diod(DIODLS, "-l", "-s", self.srv.path, "-a", "/", "/tmp/d")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"-rw\S*\s+1 .* 6 .* f\n")

    def test_diodcat_over_unix_and_tcp(self):
        rc, out, err = self.diod(DIODCAT, "-s", self.srv.path, "-a", "/", "/tmp/d/f")
        self.assertEqual((rc, out), (0, "hello\n"), err)
        rc, out, err = self.diod(DIODCAT, "-s", "127.0.0.1:%d" % self.srv.port, "-a", "/tmp/d", "f")
        self.assertEqual((rc, out), (0, "hello\n"), err)

    def test_diod_ctl_attach(self):
        # diod's default aname "ctl": the server's own files
        rc, out, err = self.diod(DIODCAT, "-s", self.srv.path, "null")
        self.assertEqual((rc, out), (0, ""), err)
        rc, out, err = self.diod(DIODLS, "-s", self.srv.path, "/")
        self.assertEqual(rc, 0, err)
        self.assertEqual(sorted(out.split()), ["null", "status", "zero"])
        rc, out, err = self.diod(DIODCAT, "-s", self.srv.path, "x")
        self.assertNotEqual(rc, 0)
        self.assertIn("No such file or directory", err)


class Dialects(ServerTest):
    def test_9p2000_round_trip(self):
        # On a connection with something to prove (plain TCP) Tauth makes
        # an auth fid (QTAUTH); attaching through it before the handshake
        # is done is refused; the afid is not a file
        a = Client(("127.0.0.1", self.srv.port_plain), "9P2000")
        aqid = a.rpc(TAUTH, struct.pack("<I", 9) + s("test") + s(""))
        self.assertEqual(aqid[0], 0x08)
        # (a Tauth marks a Plan 9 client: from then on its errors are the
        # server's sentences, docs/9p.md "Errors")
        with self.assertRaisesRegex(NinepError, "afid 9 has not authenticated"):
            a.rpc(TATTACH, struct.pack("<II", 1, 9) + s("test") + s(""))
        with self.assertRaisesRegex(NinepError, "^unknown fid$"):
            a.walk(9, 10, [])
        a.clunk(9)
        a.close()
        # the host owner's socket has nothing to prove (diod's tools try
        # Tauth first and attach when told so)
        c = Client(self.srv.path, "9P2000")
        with self.assertRaisesRegex(NinepError, "authentication not required"):
            c.rpc(TAUTH, struct.pack("<I", 9) + s("test") + s(""))
        root = c.attach(1)
        self.assertEqual(root[0], 0x80)
        self.assertEqual(len(c.walk(1, 2, ["tmp", "d", "f"])), 3)
        c.open(2, 0)
        self.assertEqual(c.read(2, 0, 100), b"hello\n")
        self.assertEqual(c.read(2, 6, 100), b"")
        c.clunk(2)
        c.walk(1, 3, ["tmp"])
        c.create(3, "n9", 0o644, 2)
        self.assertEqual(c.write(3, 0, b"abc"), 3)
        c.clunk(3)
        c.walk(1, 4, ["tmp", "n9"])
        st = c.rpc(TSTAT, struct.pack("<I", 4))
        self.assertIn(b"n9", st)
        c.open(4, 0)
        self.assertEqual(c.read(4, 0, 100), b"abc")
        # a directory reads as packed stat entries, offsets continuing
        c.walk(1, 5, ["tmp"])
        c.open(5, 0)
        names, off = [], 0
        while True:
            data = c.read(5, off, 70)   # small: one entry at a time
            if not data:
                break
            names += stat_names(data)
            off += len(data)
        self.assertIn("d", names)
        self.assertIn("n9", names)
        with self.assertRaisesRegex(NinepError, "offset"):    # it sent a Tauth: the sentence
            c.read(5, 3, 100)
        c.clunk(5)
        # wstat: truncate works; the owner cannot become a user who does not exist
        wst = lambda length, name=b"": struct.pack("<I", 4) + struct.pack(
            "<H", 49 + len(name)) + struct.pack("<HHIBIQIIIQ", 47 + len(name), 0xFFFF, 0xFFFFFFFF,
                                                   0xFF, 0xFFFFFFFF, 2**64 - 1, 0xFFFFFFFF, 0xFFFFFFFF,
                                                   0xFFFFFFFF, length) + s(name) + s("") + s("") + s("")
        self.assertEqual(c.rpc(TWSTAT, wst(0)), b"")
        with self.assertRaisesRegex(NinepError, "owner or group: no such user"):
            c.rpc(TWSTAT, struct.pack("<I", 4) + struct.pack("<H", 49 + 5) + struct.pack(
                "<HHIBIQIIIQ", 47 + 5, 0xFFFF, 0xFFFFFFFF, 0xFF, 0xFFFFFFFF, 2**64 - 1,
                0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 2**64 - 1) + s("") + s("other") + s("") + s(""))
        c.clunk(4)
        c.walk(1, 6, ["tmp", "n9"])
        c.open(6, 0)
        self.assertEqual(c.read(6, 0, 100), b"")
        c.rpc(TREMOVE, struct.pack("<I", 6))
        self.assertEqual(len(c.walk(1, 7, ["tmp", "n9"])), 1)   # gone: a partial walk
        with self.assertRaisesRegex(NinepError, "file does not exist"):
            c.walk(1, 7, ["n9"])
        with self.assertRaisesRegex(NinepError, "^unknown fid$"):    # the sentence (a Tauth was sent)
            c.clunk(6)
        c.close()

    def test_9p2000L_round_trip(self):
        a = Client(("127.0.0.1", self.srv.port_plain), "9P2000.L")
        with self.assertRaises(NinepError) as e:
            a.rpc(TAUTH, struct.pack("<I", NOFID) + s("test") + s("") + struct.pack("<I", NOFID))
        self.assertEqual(e.exception.args[0], 22)        # EINVAL: afid NOFID
        a.close()
        c = Client(("127.0.0.1", self.srv.port), "9P2000.L")
        c.attach(1)
        c.walk(1, 2, ["tmp", "d", "f"])
        c.open(2, 0)
        self.assertEqual(c.read(2, 0, 100), b"hello\n")
        c.clunk(2)
        c.walk(1, 3, ["tmp", "d"])
        c.create(3, "g", 0o644, 2)
        self.assertEqual(c.write(3, 0, b"0123456789"), 10)
        attr = c.rpc(TGETATTR, struct.pack("<IQ", 3, 0x7FF))
        mode, = struct.unpack("<I", attr[8 + 13:8 + 13 + 4])
        size, = struct.unpack("<Q", attr[8 + 13 + 12 + 16:8 + 13 + 12 + 24])
        self.assertEqual((mode & 0o170000, mode & 0o777, size), (0o100000, 0o644, 10))
        # setattr size: grow, and zero
        setattr = lambda valid, size: struct.pack("<IIIIIQQQQQ", 3, valid, 0, 0, 0, size, 0, 0, 0, 0)
        c.rpc(TSETATTR, setattr(8, 20))
        self.assertEqual(c.read(3, 0, 100), b"0123456789" + bytes(10))
        c.rpc(TSETATTR, setattr(8, 0))
        self.assertEqual(c.read(3, 0, 100), b"")
        with self.assertRaises(NinepError):   # another owner: one user here
            c.rpc(TSETATTR, struct.pack("<IIIIIQQQQQ", 3, 2, 0, 5, 0, 0, 0, 0, 0, 0))
        c.rpc(TFSYNC, struct.pack("<II", 3, 0))
        c.clunk(3)
        # mkdir, readdir with offsets that survive re-reading, unlinkat
        c.walk(1, 4, ["tmp", "d"])
        c.rpc(TMKDIR, struct.pack("<I", 4) + s("sub") + struct.pack("<II", 0o755, 0))
        c.open(4, 0)
        ents = dirents(c.read(4, 0, 8000, TREADDIR))
        self.assertEqual([n for n, _ in ents], ["f", "g", "sub"])
        self.assertEqual([o for _, o in ents], [1, 2, 3])
        self.assertEqual(dirents(c.read(4, 2, 8000, TREADDIR)), [("sub", 3)])
        self.assertEqual(dirents(c.read(4, 3, 8000, TREADDIR)), [])
        c.rpc(TUNLINKAT, struct.pack("<I", 4) + s("sub") + struct.pack("<I", 0x200))
        c.rpc(TUNLINKAT, struct.pack("<I", 4) + s("g") + struct.pack("<I", 0))
        self.assertEqual([n for n, _ in dirents(c.read(4, 0, 8000, TREADDIR))], ["f"])
        st = c.rpc(TSTATFS, struct.pack("<I", 4))
        self.assertEqual(struct.unpack("<I", st[:4])[0], 0x01021997)
        # mknod: a fifo and a device node keep their kind, mode and numbers
        # (rdev as Linux's new_encode_dev); a mode without a kind is EINVAL
        for name, mode, major, minor, rdev in (("p", 0o010640, 0, 0, 0),
                                               ("b", 0o060600, 8, 300, 0x10082c)):
            c.rpc(TMKNOD, struct.pack("<I", 4) + s(name) + struct.pack("<IIII", mode, major, minor, 0))
            c.walk(1, 5, ["tmp", "d", name])
            attr = c.rpc(TGETATTR, struct.pack("<IQ", 5, 0x7FF))
            got_mode, = struct.unpack("<I", attr[8 + 13:8 + 13 + 4])
            got_rdev, = struct.unpack("<Q", attr[8 + 13 + 12 + 8:8 + 13 + 12 + 16])
            self.assertEqual((got_mode, got_rdev), (mode, rdev))
            c.clunk(5)
            c.rpc(TUNLINKAT, struct.pack("<I", 4) + s(name) + struct.pack("<I", 0))
        with self.assertRaises(NinepError) as e:
            c.rpc(TMKNOD, struct.pack("<I", 4) + s("n") + struct.pack("<IIII", 0o644, 1, 3, 0))
        self.assertEqual(e.exception.args[0], EINVAL)
        # a 9P2000-only message: EPROTO
        with self.assertRaises(NinepError) as e:
            c.rpc(TOPEN, struct.pack("<IB", 4, 0))
        self.assertEqual(e.exception.args[0], EPROTO)
        c.clunk(4)
        c.close()

    def test_nofid_names_no_fid(self):
        """attach(5), walk(5): NOFID is only "no fid" (an afid); as Tattach's fid
        or Twalk's newfid it is refused, with a sentence or EINVAL, in both
        dialects, and nothing is made of it."""
        for dialect in ("9P2000", "9P2000.L"):
            with self.subTest(dialect=dialect):
                c = Client(self.srv.path, dialect)
                want = ("Invalid argument" if dialect == "9P2000" else 22)
                with self.assertRaises(NinepError) as e:
                    c.attach(NOFID)
                if dialect == "9P2000":
                    self.assertEqual(want, e.exception.args[0])   # EINVAL's word
                else:
                    self.assertEqual(e.exception.args[0], 22)	# EINVAL
                c.attach(1)
                with self.assertRaises(NinepError) as e:
                    c.walk(1, NOFID, ["tmp"])
                if dialect == "9P2000":
                    self.assertEqual("Invalid argument", e.exception.args[0])
                else:
                    self.assertEqual(e.exception.args[0], 22)
                with self.assertRaises(NinepError) as e:	# a clone into NOFID too
                    c.walk(1, NOFID, [])
                # nothing answers to NOFID afterwards, and the connection goes on
                with self.assertRaises(NinepError) as e:
                    c.clunk(NOFID)
                self.assertIn(e.exception.args[0], ("fid unknown or out of range", EBADF))
                self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
                c.close()

    def test_deep_walk_reaches_what_create_made(self):
        """A path's one bound is LUX_PATHMAX (1024) bytes, the same for Twalk and
        Tcreate, with "name too long": the walk stopped at 64 path elements
        with EINVAL while a create one deeper succeeded."""
        c = Client(self.srv.path, "9P2000")
        c.attach(1)
        c.walk(1, 2, ["tmp"])
        c.walk(2, 3, [])
        c.create(3, "deep", 0x80000000 | 0o777, 0)	# DMDIR
        c.clunk(3)
        c.walk(2, 2, ["deep"])
        path, depth = "/tmp/deep", 0
        while True:	# each level: a create from a clone, then the walk into it
            c.walk(2, 3, [])
            try:
                c.create(3, "d", 0x80000000 | 0o777, 0)
            except NinepError as e:
                self.assertEqual(e.args[0], "File name too long")
                break
            c.clunk(3)
            c.walk(2, 2, ["d"])
            path, depth = path + "/d", depth + 1
        self.assertEqual(len(path), 1023)	# the longest path a fid may name
        self.assertEqual(depth, (1023 - len("/tmp/deep")) // 2)
        # one walk from the root down all of it, 16 names a message
        names = ["tmp", "deep"] + ["d"] * depth
        c.walk(1, 4, names[:16])
        for i in range(16, len(names), 16):
            self.assertEqual(len(c.walk(4, 4, names[i:i + 16])), len(names[i:i + 16]))
        with self.assertRaises(NinepError) as e:	# one byte more: the same answer
            c.walk(4, 5, ["x"])
        self.assertEqual(e.exception.args[0], "File name too long")
        # and back up: ".." from the bottom, 16 at a time, to /tmp/deep
        for i in range(0, depth, 16):
            c.walk(4, 4, [".."] * min(16, depth - i))
        self.assertEqual(c.walk(4, 6, ["d"])[0], c.walk(1, 7, ["tmp", "deep", "d"])[-1])
        c.close()

    def test_partial_walk_and_dotdot(self):
        c = Client(self.srv.path, "9P2000.L")
        c.attach(1)
        qids = c.walk(1, 2, ["tmp", "nosuch", "x"])
        self.assertEqual(len(qids), 1)
        with self.assertRaises(NinepError) as e:   # no newfid was made
            c.clunk(2)
        self.assertEqual(e.exception.args[0], EBADF)
        with self.assertRaises(NinepError) as e:   # the first name fails: an error
            c.walk(1, 2, ["nosuch"])
        self.assertEqual(e.exception.args[0], ENOENT)
        # ".." stays at the attach root
        root = c.attach(10, "/tmp/d")
        self.assertEqual(c.walk(10, 11, [".."])[0], root)
        self.assertEqual(c.walk(10, 12, ["..", "..", "f"])[2][0], 0)  # a file
        c.clunk(12)
        # no /tmp/d/d: the walk never left /tmp/d (a partial walk)
        self.assertEqual(len(c.walk(10, 13, ["..", "d"])), 1)
        # walking into a mount crosses it, as the shell does
        self.assertEqual(len(c.walk(1, 14, ["dev", "cons"])), 2)
        c.close()


class Hostile(ServerTest):
    def test_too_large_closes_only_that_connection(self):
        a = Client(self.srv.path, "9P2000", msize=8192)
        b = Client(self.srv.path, "9P2000", msize=8192)
        a.send(struct.pack("<IBH", 100000, TREAD, 1))
        t, tag, body = a.recv()
        self.assertEqual((t, tag), (RERROR, NOTAG))
        self.assertIn(b"exceeds msize", body)
        with self.assertRaises((EOFError, ConnectionResetError)):
            a.recv()
        b.attach(1)
        self.assertEqual(len(b.walk(1, 2, ["tmp"])), 1)
        a.close()
        b.close()
        tiny = Client(self.srv.path, version=False)
        tiny.send(struct.pack("<IBH", 3, TVERSION, NOTAG))
        with self.assertRaises((EOFError, ConnectionResetError)):
            while True:
                tiny.recv()
        tiny.close()

    def test_half_sent_message_blocks_nobody(self):
        a = Client(self.srv.path, version=False)
        whole = msg(TVERSION, NOTAG, struct.pack("<I", 8192) + s("9P2000.L"))
        a.send(whole[:5])
        b = Client(self.srv.tcp, "9P2000.L")
        b.attach(1)
        for i in range(20):
            b.walk(1, 2, ["tmp", "d", "f"])
            b.clunk(2)
        a.send(whole[5:])
        t, tag, body = a.recv()
        self.assertEqual((t, tag), (TVERSION + 1, NOTAG))
        a.close()
        b.close()

    def test_fid_exhaustion_then_recovery(self):
        c = Client(self.srv.path, "9P2000.L")
        c.attach(0)
        # 4095 clones pipelined in bursts of 60 (under the 64 requests a
        # connection may have in flight); replies come in any order
        # (requests run concurrently), so they are matched by tag
        for start in range(1, 4096, 60):
            burst = range(start, min(start + 60, 4096))
            c.send(b"".join(msg(TWALK, i, struct.pack("<IIH", 0, i, 0)) for i in burst))
            got = set()
            for _ in burst:
                t, tag, body = c.recv()
                self.assertEqual(t, TWALK + 1, "tag %d: %r" % (tag, body))
                got.add(tag)
            self.assertEqual(got, set(burst))
        with self.assertRaises(NinepError) as e:
            c.walk(0, 5000, [])
        self.assertEqual(e.exception.args[0], EMFILE)
        c.clunk(4095)
        c.walk(0, 5000, ["tmp"])
        c.close()
        # the fids went with the connection: a new one starts empty
        c = Client(self.srv.path, "9P2000.L")
        c.attach(0)
        c.close()

    def test_pipelined_writes_flow_control(self):
        # 40 x 64 KiB writes sent without reading a reply: far more than the
        # connection's input buffer, so the server pauses and resumes the
        # connection; nothing may be lost, and another client is served
        # in between
        c = Client(self.srv.path, "9P2000.L", msize=65536 + 24)
        c.attach(1)
        c.walk(1, 2, ["tmp"])
        c.create(2, "big", 0o644, 2)
        other = Client(self.srv.tcp, "9P2000.L")
        other.attach(1)
        chunk = 65536
        data = bytes((i * 7) & 0xFF for i in range(40 * chunk))
        c.send(b"".join(msg(TWRITE, 1 + i, struct.pack("<IQI", 2, i * chunk, chunk) +
                            data[i * chunk:(i + 1) * chunk]) for i in range(40)))
        self.assertEqual(len(other.walk(1, 2, ["tmp", "d"])), 2)
        got = {}
        for i in range(40):
            t, tag, body = c.recv()
            got[tag] = (t, body)
        self.assertEqual(got, {1 + i: (TWRITE + 1, struct.pack("<I", chunk)) for i in range(40)})
        got = b""
        while len(got) < len(data):
            part = c.read(2, len(got), chunk)
            self.assertTrue(part)
            got += part
        self.assertEqual(got, data)
        c.rpc(TREMOVE, struct.pack("<I", 2))
        c.close()
        other.close()

    def test_reader_that_does_not_read_is_paused_not_dropped(self):
        # 60 reads of 60000 bytes asked for at once, replies not read for a
        # while: 3.6 MB the server must not pile up (it stops at a bound and
        # waits), must not drop, and must not let it block another client
        c = Client(self.srv.path, "9P2000.L", msize=65536 + 24)
        c.attach(1)
        c.walk(1, 2, ["tmp"])
        c.create(2, "slow", 0o644, 2)
        data = bytes((i * 13) & 0xFF for i in range(60000))
        self.assertEqual(c.write(2, 0, data), 60000)
        # 60 at a time: the requests one connection may have in flight
        c.send(b"".join(msg(TREAD, 1 + i, struct.pack("<IQI", 2, 0, 60000)) for i in range(60)))
        time.sleep(0.5)
        other = Client(self.srv.tcp, "9P2000.L")
        other.attach(1)
        self.assertEqual(len(other.walk(1, 2, ["tmp", "d", "f"])), 3)
        other.close()
        got = set()
        for i in range(60):
            t, tag, body = c.recv()
            self.assertEqual(t, TREAD + 1, (tag, body[:40]))
            self.assertEqual(body[4:], data)
            got.add(tag)
        self.assertEqual(got, set(range(1, 61)))
        c.rpc(TREMOVE, struct.pack("<I", 2))
        c.close()

    def test_garbage_is_answered_not_fatal(self):
        c = Client(self.srv.path, "9P2000.L")
        c.attach(1)
        # unknown type 3, then a walk with a truncated name
        c.send(msg(3, 5, b"xyz"))
        t, tag, body = c.recv()
        self.assertEqual((t, tag), (RLERROR, 5))
        c.send(msg(TWALK, 6, struct.pack("<IIH", 1, 2, 1) + struct.pack("<H", 50) + b"ab"))
        t, tag, body = c.recv()
        self.assertEqual((t, tag, struct.unpack("<I", body)[0]), (RLERROR, 6, EPROTO))
        self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
        c.close()


    def test_random_messages_never_hurt_the_server(self):
        # framed messages with random types and bodies, on fids that exist:
        # each gets an answer (or its connection is closed); the server
        # stays up and serves the next client (ASan build: no bad access)
        import random
        rnd = random.Random(9)
        types = [t for t in range(0, 130, 2)]
        for round_ in range(6):
            c = Client(self.srv.path, rnd.choice(["9P2000", "9P2000.L"]))
            c.attach(1)
            c.walk(1, 2, ["tmp"])
            try:
                for i in range(150):
                    body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 40)))
                    if body[:4] and rnd.random() < 0.7:   # often aim at a live fid
                        body = struct.pack("<I", rnd.choice([1, 2])) + body[4:]
                    t = rnd.choice(types)
                    if t in (TVERSION, TREMOVE) or (t == TCLUNK and body[:4] in (b"\1\0\0\0",)):
                        continue
                    c.send(msg(t, i, body))
                    rt, tag, _ = c.recv()
                    self.assertIn(tag, (i, NOTAG))
            except (EOFError, ConnectionResetError):
                pass
            c.close()
        c = Client(self.srv.tcp, "9P2000.L")
        c.attach(1)
        self.assertEqual(len(c.walk(1, 2, ["tmp", "d", "f"])), 3)
        c.close()


class Limits(ServerTest):
    ARGS = ("--9p-max-conns", "16")

    def test_connections_beyond_the_bound_are_refused_in_9p(self):
        # 16 slots (--9p-max-conns): the host owner's unix socket may take
        # 12 of them, a TCP address the rest (docs/9p.md, "Limits at the
        # connection edge"); the 17th is told why in its own dialect, then
        # closed
        held = [Client(self.srv.path, "9P2000.L") for _ in range(12)]
        held += [Client(self.srv.tcp, "9P2000.L") for _ in range(4)]
        with self.assertRaises(NinepError) as e:
            Client(self.srv.tcp, "9P2000")
        self.assertEqual(e.exception.args[0], "budget exhausted: connections 16/16")
        for c in held:
            c.attach(1)
        held.pop().close()
        for attempt in range(100):   # the slot is given back asynchronously
            try:
                c = Client(self.srv.tcp, "9P2000.L")
                break
            except NinepError:
                time.sleep(0.05)
        c.attach(1)
        self.assertEqual(len(c.walk(1, 2, ["tmp", "d", "f"])), 3)
        for c2 in held + [c]:
            c2.close()

WORKERS, MAXREQ = 4, 64   # NINEP_WORKERS, NINEP_MAXREQ (core/9p/srv/9psrv.h)
EPROTO_L = 71


def tread(fid, tag, count=100, off=0):
    return msg(TREAD, tag, struct.pack("<IQI", fid, off, count))


def tflush(tag, old):
    return msg(TFLUSH, tag, struct.pack("<H", old))


def error_text(t, body):
    if t == RLERROR:
        return struct.unpack("<I", body)[0]
    n, = struct.unpack("<H", body[:2])
    return body[2:2 + n].decode()


# A read that sleeps: one end of a pipe nobody writes.  (Console input is
# the console owner's: a 9P client may not read /dev/cons at all.)
PIPE_SCRIPT = "mkdir /n\nmkdir /n/pipe\nmount '#pipe' /n/pipe\n"
BLOCKING = ["n", "pipe", "data1"]


class InFlight(ServerTest):
    """More than one request in flight: a read of a pipe sleeps until bytes
    arrive (none do here), holding one worker, never the connection;
    Tflush interrupts it."""
    SCRIPT = ServerTest.SCRIPT + PIPE_SCRIPT

    def cons_reader(self, dialect="9P2000.L", msize=8192):
        c = Client(self.srv.path, dialect, msize=msize)
        c.attach(1)
        c.walk(1, 10, BLOCKING)
        c.open(10, 0)
        return c

    def expect(self, c, want):
        """Receive len(want) replies in any order; want maps tag -> type."""
        got = {}
        for _ in range(len(want)):
            t, tag, body = c.recv()
            self.assertNotIn(tag, got, "tag %d answered twice" % tag)
            got[tag] = (t, body)
        self.assertEqual({tag: t for tag, (t, _) in got.items()}, want)
        return got

    def test_blocked_read_does_not_stall_other_tags_and_flush_interrupts_it(self):
        c = self.cons_reader()
        c.send(tread(10, 100))
        # other tags are served while tag 100 sleeps
        for i in range(5):
            self.assertEqual(len(c.walk(1, 2, ["tmp", "d", "f"])), 3)
            c.clunk(2)
        c.send(tflush(101, 100))
        t, tag, body = c.recv()
        self.assertEqual((t, tag), (TFLUSH + 1, 101), "Rflush, and no Rread for 100 before it")
        # the tag is free again, the connection works
        self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
        c.close()

    def test_flush_of_unknown_or_finished_tag_answers_at_once(self):
        c = self.cons_reader("9P2000")
        c.walk(1, 2, ["tmp"])             # tag 1 is finished
        c.send(tflush(7, c.tag))
        self.assertEqual(c.recv()[:2], (TFLUSH + 1, 7))
        c.send(tflush(8, 4242))          # never used
        self.assertEqual(c.recv()[:2], (TFLUSH + 1, 8))
        c.close()

    def test_flush_of_a_flush_answers_both_in_order(self):
        c = self.cons_reader()
        c.send(tread(10, 50) + tflush(51, 50) + tflush(52, 51))
        self.assertEqual([c.recv()[:2] for _ in range(2)], [(TFLUSH + 1, 51), (TFLUSH + 1, 52)])
        c.close()

    def test_duplicate_tag_is_answered_clearly(self):
        c = self.cons_reader("9P2000")
        c.send(tread(10, 7))
        c.send(msg(TWALK, 7, struct.pack("<IIH", 1, 2, 0)))
        t, tag, body = c.recv()
        self.assertEqual((t, tag), (RERROR, 7))
        self.assertEqual(error_text(t, body), "9p: tag 7 is already in flight")
        c.send(tflush(8, 7))
        self.assertEqual(c.recv()[:2], (TFLUSH + 1, 8))
        # the walk was not made
        self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
        c.close()
        d = self.cons_reader("9P2000.L")
        d.send(tread(10, 7) + msg(TWALK, 7, struct.pack("<IIH", 1, 2, 0)))
        t, tag, body = d.recv()
        self.assertEqual((t, tag, error_text(t, body)), (RLERROR, 7, EPROTO_L))
        d.close()

    def test_flush_of_a_queued_walk_frees_its_newfid(self):
        c = self.cons_reader()
        # every worker asleep in a read: the walk waits for one
        c.send(b"".join(tread(10, 20 + i) for i in range(WORKERS)))
        time.sleep(0.2)
        c.send(msg(TWALK, 30, struct.pack("<IIH", 1, 50, 1) + s("tmp")))
        c.send(tflush(31, 30))
        self.assertEqual(c.recv()[:2], (TFLUSH + 1, 31), "no Rwalk before the Rflush")
        c.send(b"".join(tflush(40 + i, 20 + i) for i in range(WORKERS)))
        self.expect(c, {40 + i: TFLUSH + 1 for i in range(WORKERS)})
        # newfid 50 was never made: it can be used now
        c.walk(1, 50, [])
        c.clunk(50)
        c.close()

    def test_reads_on_one_fid_run_concurrently_and_clunk_waits_for_them(self):
        c = self.cons_reader()
        c.send(tread(10, 60) + tread(10, 61))
        time.sleep(0.1)
        # a clunk while reads use the fid: the fid goes, the reads go on
        c.clunk(10)
        c.send(tflush(62, 60) + tflush(63, 61))
        self.expect(c, {62: TFLUSH + 1, 63: TFLUSH + 1})
        with self.assertRaises(NinepError) as e:
            c.read(10, 0, 10)
        self.assertEqual(e.exception.args[0], EBADF)
        c.close()

    def test_crypto_sessions_are_the_connections_whichever_worker_runs_them(self):
        # /secure/crypto keeps a hash message per proc; a connection's
        # requests run on up to 4 workers, which work for its reader, so
        # a write on one worker and the read on another are one message
        import hashlib
        c = self.cons_reader()
        c.walk(1, 20, ["secure", "crypto", "hash", "sha256"])
        c.open(20, 2)
        c.send(tread(10, 80))            # a worker sleeps on the console
        time.sleep(0.1)
        self.assertEqual(c.write(20, 0, b"abc"), 3)   # a second worker
        c.send(tread(10, 81))            # ... which then sleeps too
        time.sleep(0.1)
        self.assertEqual(c.read(20, 0, 200).decode().strip(),   # a third
                         hashlib.sha256(b"abc").hexdigest())
        c.send(tflush(82, 80) + tflush(83, 81))
        self.expect(c, {82: TFLUSH + 1, 83: TFLUSH + 1})
        # the flushed workers exited; the message is the connection's still
        self.assertEqual(c.write(20, 0, b"abc"), 3)
        self.assertEqual(c.read(20, 0, 200).decode().strip(),
                         hashlib.sha256(b"abc").hexdigest())
        c.close()

    def test_tversion_aborts_what_is_in_flight(self):
        c = self.cons_reader()
        c.send(tread(10, 70))
        time.sleep(0.1)
        m, v = c.version(8192, "9P2000.L")
        self.assertEqual(v, "9P2000.L")
        # the old session's fids are gone; the new one works
        with self.assertRaises(NinepError):
            c.walk(1, 2, [])
        c.attach(1)
        self.assertEqual(len(c.walk(1, 2, ["tmp"])), 1)
        c.close()


class CountersMixin:
    """Reading /9p/status (docs/9p.md, "Counters") from a test."""

    @staticmethod
    def parse(line):
        f = line.split()
        return {k: int(v.split("/")[0]) for k, v in zip(f[3::2], f[4::2])}

    def status(self):
        """(total, conn lines) from /9p/status read over 9P, without the
        reading connection itself (the shell cannot be asked while a test
        has a read pending)."""
        c = Client(self.srv.tcp, "9P2000.L")
        me = "tcp!127.0.0.1!%d" % c.sock.getsockname()[1]
        c.attach(1)
        c.walk(1, 2, ["9p", "status"])
        c.open(2, 0)
        lines = c.read(2, 0, 8000).decode().splitlines()
        c.close()
        total = [l for l in lines if l.startswith("total ")]
        self.assertEqual(len(total), 1, lines)
        f = total[0].split()
        tot = dict(zip(f[1::2], map(int, f[2::2])))
        mine = [l for l in lines if l.startswith("conn ") and l.split()[2] == me]
        self.assertEqual(len(mine), 1, lines)
        tot["conns"] -= 1
        for k, v in self.parse(mine[0]).items():
            if k in tot:	# "unread" is part of "bytes", not a total of its own
                tot[k] -= v
        return tot, [l for l in lines if l.startswith("conn ") and l not in mine]

    def wait_idle(self):
        zero = {"conns": 0, "fids": 0, "reqs": 0, "pages": 0, "procs": 0, "bytes": 0}
        for _ in range(200):
            tot, conns = self.status()
            if tot == zero:
                break
            time.sleep(0.05)
        self.assertEqual(tot, zero, conns)
        # and the shell's command agrees, exactly, once nobody is connected
        for _ in range(200):
            lines = self.srv.shell("ninep")
            if lines == ["total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0"]:
                break
            time.sleep(0.05)
        self.assertEqual(lines, ["total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0"])


@metal.skip_on_metal("the kernel dials its own socket here, and the metal kernel dials nothing "
                     "(no network: arch_conn_dial is E_NOCONN)")
class SelfMount(CountersMixin, ServerTest):
    """A 9P connection that mounts luxsim's own export into its own
    namespace (a mount line written to /proc/PID/ns, PID from /dev/pid)
    and, through that mount, has the connection it made do the same, and
    so on: a chain of connections of one luxsim, each served by the next.
    It works to the machine's cap of 9P mounts, past which the mount
    fails saying so; a blocking read at the far end is flushed through
    every level; the console answers meanwhile; and the client's hang-up
    frees every level."""
    SCRIPT = ServerTest.SCRIPT + PIPE_SCRIPT + "mkdir /n/self\n"

    def self_mount(self, c, root, fid):
        """Mount the export on /n/self in the namespace of the connection
        that serves root: a walked fid there, or the error's sentence."""
        c.walk(root, fid, ["dev", "pid"])
        c.open(fid, 0)
        pid = c.read(fid, 0, 100).decode().strip()
        c.clunk(fid)
        c.walk(root, fid, ["proc", pid, "ns"])
        c.open(fid, 1)
        try:
            c.write(fid, 0, ("mount unix!%s /n/self" % self.srv.path).encode())
        except NinepError as e:
            return str(e)
        finally:
            c.clunk(fid)
        c.walk(root, fid, ["n", "self"])
        return fid

    def test_a_chain_of_self_mounts_works_to_the_cap_and_ends_with_its_client(self):
        c = Client(self.srv.path, "9P2000")
        c.attach(1)
        root, levels = 1, 0
        while levels < 12:
            got = self.self_mount(c, root, 100 + levels)
            if isinstance(got, str):
                break
            root, levels = got, levels + 1
            c.walk(root, 2, ["tmp", "d", "f"])
            c.open(2, 0)
            self.assertEqual(c.read(2, 0, 100), b"hello\n", "through %d levels" % levels)
            c.clunk(2)
            self.assertEqual(self.srv.shell("echo console-alive"), ["console-alive"])
        self.assertEqual(levels, 8, "one mount per level, 8 9P mounts on a machine")
        # the 9th level's refusal crossed 8 mounts, which speak 9P2000.L:
        # an errno; made here, the sentence says which cap
        self.assertEqual(got, "Too many open files")   # EMFILE's word, docs/9p.md "Errors"
        self.assertEqual("Too many open files", self.self_mount(c, 1, 99))   # too many 9P mounts
        # a read sleeping 8 levels down, flushed: each level flushes the next
        c.walk(root, 3, ["n", "pipe", "data1"])
        c.open(3, 0)
        c.send(tread(3, 77))
        time.sleep(0.3)
        t0 = time.monotonic()
        c.send(tflush(78, 77))
        self.assertEqual(c.recv()[:2], (TFLUSH + 1, 78))
        self.assertLess(time.monotonic() - t0, 4, "answered by each level, not by a timeout")
        c.walk(root, 2, ["tmp"])
        c.close()
        self.wait_idle()


class Budgets(CountersMixin, ServerTest):
    """Per-connection pebbles: exhausting one answers that request with the
    budget's sentence; the connection and the others keep working, and
    every counter returns to zero when the connection ends."""

    def other_works(self):
        o = Client(self.srv.tcp, "9P2000.L")
        o.attach(1)
        self.assertEqual(len(o.walk(1, 2, ["tmp", "d", "f"])), 3)
        o.open(2, 0)
        self.assertEqual(o.read(2, 0, 100), b"hello\n")
        o.close()

    SCRIPT = ServerTest.SCRIPT + PIPE_SCRIPT

    def blocked(self, dialect="9P2000", msize=8192):
        c = Client(self.srv.path, dialect, msize=msize)
        c.attach(1)
        c.walk(1, 10, BLOCKING)
        c.open(10, 0)
        return c

    def test_counters_format_and_file(self):
        c = self.blocked("9P2000.L")
        c.send(tread(10, 500))   # a tag the client's own counter will not reach
        time.sleep(0.1)
        tot, conns = self.status()
        self.assertEqual(len(conns), 1, conns)
        self.assertRegex(conns[0], r"^conn \d+ \S+ fids 2/4096 reqs 1/64 pages \d+/512 "
                                   r"procs 1/4 bytes \d+ unread \d+$")
        self.assertEqual((tot["conns"], tot["fids"], tot["reqs"], tot["procs"]), (1, 2, 1, 1))
        # the same text as a file, also through 9P
        c.walk(1, 11, ["9p", "status"])
        c.open(11, 0)
        text = c.read(11, 0, 4000).decode()
        self.assertRegex(text, r"conn \d+ unix!\S* fids 3/4096 reqs 2/64 ")
        self.assertIn("\ntotal conns 1 fids 3 reqs 2 ", text)
        c.send(tflush(501, 500))
        self.assertEqual(c.recv()[:2], (TFLUSH + 1, 501))
        c.close()
        self.wait_idle()

    def test_requests_budget(self):
        c = self.blocked()
        c.send(b"".join(tread(10, 1 + i) for i in range(MAXREQ)))
        c.send(msg(TWALK, 500, struct.pack("<IIH", 1, 2, 0)))
        t, tag, body = c.recv()
        self.assertEqual((t, tag), (RERROR, 500))
        self.assertEqual(error_text(t, body), "Resource temporarily unavailable")   # EAGAIN's word
        self.other_works()
        tot, conns = self.status()
        self.assertIn(" reqs 64/64 ", conns[0])
        c.send(b"".join(tflush(1000 + i, 1 + i) for i in range(MAXREQ)))
        got = set()
        for _ in range(MAXREQ):
            t, tag, body = c.recv()
            self.assertEqual(t, TFLUSH + 1, "tag %d: %r" % (tag, body))
            got.add(tag)
        self.assertEqual(got, set(range(1000, 1000 + MAXREQ)))
        self.assertEqual(len(c.walk(1, 2, [])), 0)   # working again
        c.close()
        self.wait_idle()

    def test_pages_budget(self):
        # every worker asleep in a read; 64 KiB writes to /dev/null queue
        # behind them, each copy charged, until the pages run out
        c = self.blocked(msize=65536 + 24)
        c.walk(1, 11, ["dev", "null"])
        c.open(11, 1)
        c.send(b"".join(tread(10, 1 + i) for i in range(WORKERS)))
        time.sleep(0.2)
        n = 40
        data = b"x" * 65536
        c.send(b"".join(msg(TWRITE, 100 + i, struct.pack("<IQI", 11, 0, len(data)) + data)
                        for i in range(n)))
        refused = []
        for _ in range(200):
            t, tag, body = c.recv()
            self.assertEqual(t, RERROR, (t, tag))
            refused.append(tag)
            self.assertEqual(error_text(t, body), "Disk quota exceeded")   # EDQUOT's word
            tot, conns = self.status()
            if tot["reqs"] + len(refused) == WORKERS + n:
                break
        self.assertTrue(10 < len(refused) < n, refused)
        self.other_works()
        c.send(b"".join(tflush(300 + i, 1 + i) for i in range(WORKERS)))
        want = {300 + i: TFLUSH + 1 for i in range(WORKERS)}
        want.update({100 + i: TWRITE + 1 for i in range(n) if 100 + i not in refused})
        got = {}
        for _ in range(len(want)):
            t, tag, body = c.recv()
            got[tag] = t
        self.assertEqual(got, want)
        c.close()
        self.wait_idle()

    def test_fids_budget_sentence_and_others_unaffected(self):
        c = Client(self.srv.path, "9P2000")
        c.attach(0)
        for start in range(1, 4096, 512):
            burst = range(start, min(start + 512, 4096))
            c.send(b"".join(msg(TWALK, i, struct.pack("<IIH", 0, i, 0)) for i in burst))
            for _ in burst:
                self.assertEqual(c.recv()[0], TWALK + 1)
        with self.assertRaises(NinepError) as e:
            c.walk(0, 5000, [])
        self.assertEqual(e.exception.args[0], "Too many open files")   # EMFILE's word; the numbers: status
        self.other_works()
        tot, conns = self.status()
        self.assertIn(" fids 4096/4096 ", conns[0])
        c.clunk(7)
        c.walk(0, 5000, ["tmp"])
        c.close()
        self.wait_idle()


class CtlAname(CountersMixin, ServerTest):
    """aname "ctl": the server's own files (diod's synthetic tree)."""

    def test_zero_null_and_getattr(self):
        c = Client(self.srv.tcp, "9P2000.L")
        root = c.attach(1, "ctl")
        self.assertEqual(c.walk(1, 2, [".."]), [root[:13]], ".. stays at the ctl root")
        c.clunk(2)
        c.walk(1, 2, ["zero"])
        c.open(2, 0)
        self.assertEqual(c.read(2, 0, 1000), bytes(1000))
        self.assertEqual(c.read(2, 12345, 8000), bytes(8000))
        c.walk(1, 3, ["null"])
        c.open(3, 2)
        self.assertEqual(c.write(3, 0, b"gone" * 100), 400)
        self.assertEqual(c.read(3, 0, 100), b"")
        attr = c.rpc(TGETATTR, struct.pack("<IQ", 3, 0x7FF))
        mode, = struct.unpack("<I", attr[8 + 13:8 + 13 + 4])
        self.assertEqual(mode, 0o100666)
        with self.assertRaises(NinepError) as e:
            c.walk(1, 4, ["nonesuch"])
        self.assertEqual(e.exception.args[0], ENOENT)
        c.close()
        # the same files are /9p in the namespace
        d = Client(self.srv.tcp, "9P2000")
        d.attach(1)
        d.walk(1, 2, ["9p", "zero"])
        d.open(2, 0)
        self.assertEqual(d.read(2, 0, 10), bytes(10))
        d.close()

    @unittest.skipUnless(os.access(DIODLOAD, os.X_OK), "diod not installed")
    def test_diodload(self):
        # diodload exits 0 even when it fails: its output says
        for extra in ([], ["-g"]):
            p = subprocess.run([DIODLOAD, "-s", "127.0.0.1:%d" % self.srv.port, "-r", "1",
                                "-n", "8", *extra], capture_output=True, timeout=TIMEOUT)
            out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
            self.assertEqual(p.returncode, 0, err)
            m = re.search(r"diodload: (\d+) ops/s", out + err)
            self.assertTrue(m, out + err)
            self.assertGreater(int(m.group(1)), 0)
            self.assertNotRegex(out + err, r"(?i)error|fail|refused")
        # its connections are gone, and so is everything they held
        self.wait_idle()


@metal.luxsim_only
class CommandLine(unittest.TestCase):
    def run_luxsim(self, args, stdin=b""):
        p = subprocess.run([LUXSIM, *args], input=stdin, capture_output=True, timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def test_bad_address_is_a_usage_error(self):
        rc, _, err = self.run_luxsim(["--listen", "udp!x", "-c", "echo x"])
        self.assertEqual(rc, 64)
        self.assertIn("want unix!PATH or tcp!HOST!PORT", err)

    def test_port_in_use_warns_and_runs(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            rc, out, err = self.run_luxsim(["--listen", "tcp!127.0.0.1!%d" % port, "-c", "echo up"])
        self.assertEqual((rc, out), (0, "up\n"), err)
        self.assertRegex(err, r"warning: cannot listen on tcp!127.0.0.1!%d: .*in use" % port)

    def test_seed_never_listens(self):
        d = tempfile.mkdtemp(prefix="ninep-")
        try:
            path = os.path.join(d, "sock")
            rc, out, err = self.run_luxsim(["--seed", "1", "--listen", "unix!" + path],
                                           stdin=b"ls /tmp\necho seeded\n")
            self.assertEqual(rc, 0, err)
            self.assertIn("seeded", out)
            self.assertNotIn("9p:", out)
            self.assertFalse(os.path.exists(path))
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_early_client_waits_for_the_server(self):
        # the arch listens from boot, the server starts after the
        # self-check: a client that connects in between waits, paused,
        # and is served (it used to be hung up on)
        d = tempfile.mkdtemp(prefix="ninep-")
        path = os.path.join(d, "sock")
        p = subprocess.Popen([LUXSIM, "-q", "--listen", "unix!" + path], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + TIMEOUT
            while True:
                # the file exists from bind(2), a moment before listen(2)
                # (refused in between, under load): retry until it listens
                try:
                    c = Client(path, "9P2000.L")
                    break
                except (FileNotFoundError, ConnectionRefusedError):
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.0005)
            c.attach(1)
            self.assertEqual(len(c.walk(1, 2, ["dev", "cons"])), 2)
            c.close()
            out, err = p.communicate(b"halt\n", timeout=TIMEOUT)
            self.assertEqual(p.returncode, 0, err)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
            shutil.rmtree(d, ignore_errors=True)

    def test_banner_says_where(self):
        d = tempfile.mkdtemp(prefix="ninep-")
        try:
            path = os.path.join(d, "sock")
            rc, out, err = self.run_luxsim(["--listen", "unix!" + path], stdin=b"halt\n")
            self.assertEqual(rc, 0, err)
            self.assertIn("9p: serving / on unix!%s\n" % path, out)
            self.assertFalse(os.path.exists(path), "the socket file is removed at halt")
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: ninep_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
