#!/usr/bin/env python3
"""Quotas, as 9P clients see them (docs/quotas.md).

Usage: quota_test.py PATH/TO/luxsim [unittest args]

- A user who fills his quota gets EDQUOT (9P2000.L) or the sentence
  "quota exceeded: bob 16.0/16.0 MiB" (9P2000), and nothing else changes
  for anyone: another user's write, a hash on /secure/crypto and a new
  connection still work; removing the file gives the bytes back.
- No constant caps a file: 200 MiB written over 9P2000.L to a luxsim with
  --mem 1024 reads back the same (the old bound was 64 MiB), with luxsim's
  resident memory and the time printed and bounded.  It takes about 2 s,
  5 s under ASan (the client's Python is most of it), so the ASan suite
  writes the whole 200 MiB too.

The quota suite's server listens without authentication on TCP (trusted:
it attaches as any user, so one luxsim has clients acting for bob, alice
and eve).
"""
import hashlib
import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ninep_test  # noqa: E402
from ninep_test import Client, NinepError, Server  # noqa: E402

EDQUOT, ENOSPC = 122, 28
MIB = 1 << 20
MSIZE = 65560                   # the server's largest: 64 KiB of data a write
CHUNK = 64 * 1024
OWRITE, ORDWR = 1, 2

SCRIPT = ("echo uname bob 1001 > /adm/users\n"
          "echo uname alice 1002 > /adm/users\n"
          "echo quota bob 16M > /adm/users\n")


def attach(srv, user, uid, dialect="9P2000.L"):
    """A connection acting for user, its root on fid 1."""
    c = Client(srv.tcp, dialect, msize=MSIZE)
    c.tauth()   # 9P2000: the sentences, a Plan 9 client's (docs/9p.md "Errors")
    c.attach(1, "", user, uid)
    return c


def create(c, fid, path, name):
    c.walk(1, fid, path)
    c.create(fid, name, 0o644, OWRITE if c.dotl else 1)


def quota_line(srv, user):
    """(used, limit) of user in /adm/quota."""
    for line in srv.shell("cat /adm/quota"):
        w = line.split()
        if w and w[0] == user:
            return int(w[1]), int(w[2])
    raise AssertionError("%s not in /adm/quota" % user)


class Quota(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Server(SCRIPT)

    @classmethod
    def tearDownClass(cls):
        rc, out, err = cls.srv.stop()
        assert rc == 0, "luxsim exited %s: %s %s" % (rc, out, err)

    def fill(self, c, fid):
        """Write 64 KiB at a time until refused: (bytes written, error)."""
        off, data = 0, os.urandom(CHUNK)
        while True:
            try:
                off += c.write(fid, off, data)
            except NinepError as e:
                return off, e.args[0]
            self.assertLess(off, 17 * MIB, "the 16 MiB quota did not stop the writer")

    def test_a_full_quota_is_its_owners_problem_only(self):
        self.assertEqual(quota_line(self.srv, "bob")[1], 16 * MIB)
        bob = attach(self.srv, "bob", 1001)
        create(bob, 2, ["tmp"], "bob.dat")
        wrote, err = self.fill(bob, 2)
        self.assertEqual(err, EDQUOT)
        # the write that did not fit left nothing behind
        self.assertGreater(wrote, 15 * MIB)
        self.assertEqual(bob.getattr(2)["size"], wrote)

        # 9P2000 gets the sentence; page by page, the quota fills up to
        # the last block (each costs 4 KiB + 16: a little under 16 MiB of
        # data fits with the entry and the maps)
        bob2 = attach(self.srv, "bob", 1001, "9P2000")
        bob2.walk(1, 3, ["tmp", "bob.dat"])
        bob2.open(3, ORDWR)
        while True:
            try:
                wrote += bob2.write(3, wrote, b"x" * 4096)
            except NinepError as e:
                self.assertEqual(e.args[0], "quota exceeded: bob 16.0/16.0 MiB")
                break
        used, limit = quota_line(self.srv, "bob")
        self.assertLessEqual(used, limit)
        self.assertGreater(used, limit - 4096 - 16)
        self.assertGreater(wrote, 15.9 * MIB)

        # everyone else goes on: alice writes, a hash is computed, a new
        # connection is served, the shell answers
        alice = attach(self.srv, "alice", 1002)
        create(alice, 2, ["tmp"], "alice.dat")
        data = os.urandom(CHUNK)
        for i in range(16):
            self.assertEqual(alice.write(2, i * CHUNK, data), CHUNK)
        alice.walk(1, 3, ["secure", "crypto", "hash", "sha256"])
        alice.open(3, ORDWR)
        alice.write(3, 0, b"data\n")
        self.assertEqual(alice.read(3, 0, 200).decode().strip(),
                         hashlib.sha256(b"data\n").hexdigest())
        eve = Client(self.srv.path, "9P2000.L")
        eve.attach(1)
        self.assertEqual(len(eve.walk(1, 2, ["tmp", "alice.dat"])), 2)
        self.assertEqual(self.srv.shell("echo data > /secure/crypto/hash/sha256; "
                                        "cat /secure/crypto/hash/sha256"),
                         [hashlib.sha256(b"data\n").hexdigest()])

        # the host owner raises the quota: bob's write goes through
        self.srv.shell("echo quota bob 32M > /adm/users")
        self.assertEqual(bob2.write(3, wrote, b"x" * 4096), 4096)
        # removing the file gives back what it held
        bob.clunk(2)
        bob2.clunk(3)
        bob.walk(1, 2, ["tmp", "bob.dat"])
        bob.rpc(ninep_test.TREMOVE, struct.pack("<I", 2))
        self.assertLess(quota_line(self.srv, "bob")[0], 4096)
        alice.walk(1, 4, ["tmp", "alice.dat"])
        alice.rpc(ninep_test.TREMOVE, struct.pack("<I", 4))
        for c in (bob, bob2, alice, eve):
            c.close()

    def test_chown_to_a_full_user_is_refused(self):
        self.srv.shell("echo uname carol 1003 > /adm/users; echo quota carol 8K > /adm/users")
        eve = Client(self.srv.path, "9P2000.L", msize=MSIZE)
        eve.attach(1)
        create(eve, 2, ["tmp"], "big")
        eve.write(2, 0, os.urandom(CHUNK))
        with self.assertRaises(NinepError) as e:
            eve.setattr(2, 0x2, uid=1003)      # P9_SETATTR_UID
        self.assertEqual(e.exception.args[0], EDQUOT)
        self.assertEqual(eve.getattr(2)["uid"], os.getuid())   # still eve's
        self.srv.shell("echo quota carol 1M > /adm/users")
        eve.setattr(2, 0x2, uid=1003)
        self.assertEqual(eve.getattr(2)["uid"], 1003)
        self.assertGreater(quota_line(self.srv, "carol")[0], CHUNK)
        eve.clunk(2)
        eve.walk(1, 2, ["tmp", "big"])
        eve.rpc(ninep_test.TREMOVE, struct.pack("<I", 2))
        self.assertEqual(quota_line(self.srv, "carol")[0], 0)
        eve.close()


class MachineFull(unittest.TestCase):
    """Quotas may promise more than the machine has (eve's default is all
    but the kernel's reserve): file growth stops at the reserve with
    ENOSPC, and what the reserve is for goes on."""

    def test_files_stop_at_the_reserve_and_the_kernel_goes_on(self):
        srv = Server("")          # the default 64 MiB
        try:
            eve = Client(srv.path, "9P2000.L", msize=MSIZE)
            eve.attach(1)
            create(eve, 2, ["tmp"], "fill")
            off, data = 0, os.urandom(CHUNK)
            while True:
                try:
                    off += eve.write(2, off, data)
                except NinepError as e:
                    self.assertEqual(e.args[0], ENOSPC)
                    break
                self.assertLess(off, 64 * MIB)
            self.assertGreater(off, 40 * MIB)       # most of the machine
            # 9P2000 hears why
            e2 = Client(srv.path, "9P2000", msize=MSIZE)
            e2.tauth()      # a Plan 9 client (docs/9p.md "Errors")
            e2.attach(1)
            e2.walk(1, 2, ["tmp", "fill"])
            e2.open(2, ORDWR)
            with self.assertRaises(NinepError) as e:
                for i in range(32):
                    e2.write(2, off + i * 4096, b"x" * 4096)
            self.assertTrue(e.exception.args[0].startswith(
                "no space: the machine's memory is full"), e.exception.args[0])
            # hashes, keys, new connections and the shell still work
            for i in range(4):
                c = Client(srv.tcp if i % 2 else srv.path, "9P2000.L", msize=MSIZE)
                c.attach(1)
                c.walk(1, 3, ["secure", "crypto", "hash", "sha256"])
                c.open(3, ORDWR)
                c.write(3, 0, b"data\n")
                self.assertEqual(c.read(3, 0, 200).decode().strip(),
                                 hashlib.sha256(b"data\n").hexdigest())
                c.close()
            self.assertEqual(srv.shell("echo gen ed25519 k1 > /secure/crypto/keys/ctl; ls /secure/crypto/keys"),
                             ["ctl", "k1"])
            self.assertEqual(srv.shell("echo data > /secure/crypto/hash/sha256; "
                                       "cat /secure/crypto/hash/sha256"),
                             [hashlib.sha256(b"data\n").hexdigest()])
            # and the bytes come back with the file, once nothing has it
            # open (a removed file that is open is still paid for)
            eve.clunk(2)
            eve.walk(1, 2, ["tmp", "fill"])
            eve.rpc(ninep_test.TREMOVE, struct.pack("<I", 2))
            self.assertGreater(quota_line(srv, "eve")[0], 40 * MIB)
            e2.clunk(2)
            self.assertLess(quota_line(srv, "eve")[0], MIB)
            eve.close()
            e2.close()
        finally:
            rc, out, err = srv.stop()
        self.assertEqual(rc, 0, "luxsim exited %s: %s %s" % (rc, out, err))


class BigFile(unittest.TestCase):
    def test_200_mib_round_trip(self):
        size = 200 * MIB
        srv = Server("", args=["--mem", "1024"])
        try:
            c = Client(srv.path, "9P2000.L", msize=MSIZE)
            c.attach(1)
            create(c, 2, ["tmp"], "big")
            block = os.urandom(MIB)
            want = hashlib.sha256()
            t0 = time.monotonic()
            for off in range(0, size, CHUNK):
                piece = block[off % MIB:off % MIB + CHUNK]
                piece = struct.pack("<Q", off) + piece[8:]  # no two chunks alike
                want.update(piece)
                self.assertEqual(c.write(2, off, piece), CHUNK)
            wtime = time.monotonic() - t0
            rss = rss_kib(srv.p.pid)
            self.assertEqual(c.getattr(2)["size"], size)
            used, limit = quota_line(srv, "eve")
            self.assertGreaterEqual(used, size)
            self.assertLess(used, size * 1.01)     # blocks' 16 bytes and maps: < 1%
            c.clunk(2)
            c.walk(1, 2, ["tmp", "big"])
            c.open(2, 0)
            got = hashlib.sha256()
            t0 = time.monotonic()
            for off in range(0, size, CHUNK):
                got.update(c.read(2, off, CHUNK))
            rtime = time.monotonic() - t0
            self.assertEqual(got.hexdigest(), want.hexdigest())
            print("\n%d MiB over 9P2000.L in 64 KiB Twrites: write %.2f s (%.0f MiB/s), "
                  "read %.2f s; luxsim VmRSS %d MiB after the write"
                  % (size // MIB, wtime, size / MIB / wtime, rtime, rss // 1024), file=sys.stderr)
            # the data is resident once (204 MiB here; 213 under ASan): the
            # old 2 KiB blocks took 4 KiB pages, and a page allocator that
            # did not reuse freed pages first left 420 MiB touched
            # (docs/quotas.md, "Measured")
            self.assertLess(rss * 1024, 1.25 * size + 32 * MIB)
            c.clunk(2)
            c.walk(1, 2, ["tmp", "big"])
            c.rpc(ninep_test.TREMOVE, struct.pack("<I", 2))
            self.assertLess(quota_line(srv, "eve")[0], MIB)
            c.close()
        finally:
            rc, out, err = srv.stop()
        self.assertEqual(rc, 0, "luxsim exited %s: %s %s" % (rc, out, err))


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: quota_test.py PATH/TO/luxsim [unittest args]")
    ninep_test.LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
