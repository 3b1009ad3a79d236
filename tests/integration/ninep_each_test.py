#!/usr/bin/env python3
"""Every 9P message the server takes, once answered and once refused, in
each dialect that has it (issue 5, acceptance 2).

Usage: ninep_each_test.py PATH/TO/luxsim [unittest args]

One table per dialect: for each message a case that must succeed (the
reply's type is the request's + 1 and what it says is checked) and a case
that must fail with a given error (a string for 9P2000, an errno for
9P2000.L).  Messages that cannot succeed here say why in NO_SUCCESS; the
test fails if a message of the dialect is in neither table, so a message
added to the server without both cases is caught.  The deeper behaviour of
each message is in ninep_test.py and ninep_meta_test.py; this file is the
completeness check.
"""
import struct
import sys
import unittest

import ninep_test as nt
from ninep_test import Client, NinepError, s

EPERM, ENOENT, EBADF, EEXIST, ENOTDIR, EISDIR, EINVAL = 1, 2, 9, 17, 20, 21, 22
ENOTEMPTY, EPROTO, EOPNOTSUPP = 39, 71, 95

DOTL = {
    "version": nt.TVERSION, "auth": nt.TAUTH, "attach": nt.TATTACH, "flush": nt.TFLUSH,
    "walk": nt.TWALK, "lopen": nt.TLOPEN, "lcreate": nt.TLCREATE, "read": nt.TREAD,
    "write": nt.TWRITE, "clunk": nt.TCLUNK, "remove": nt.TREMOVE, "getattr": nt.TGETATTR,
    "setattr": nt.TSETATTR, "readdir": nt.TREADDIR, "statfs": nt.TSTATFS, "mkdir": nt.TMKDIR,
    "symlink": nt.TSYMLINK, "readlink": nt.TREADLINK, "rename": nt.TRENAME,
    "renameat": nt.TRENAMEAT, "unlinkat": nt.TUNLINKAT, "fsync": nt.TFSYNC, "link": nt.TLINK,
    "lock": nt.TLOCK, "getlock": nt.TGETLOCK, "xattrwalk": nt.TXATTRWALK,
    "xattrcreate": nt.TXATTRCREATE, "mknod": nt.TMKNOD,
}
P9 = {
    "version": nt.TVERSION, "auth": nt.TAUTH, "attach": nt.TATTACH, "flush": nt.TFLUSH,
    "walk": nt.TWALK, "open": nt.TOPEN, "create": nt.TCREATE, "read": nt.TREAD,
    "write": nt.TWRITE, "clunk": nt.TCLUNK, "remove": nt.TREMOVE, "stat": nt.TSTAT,
    "wstat": nt.TWSTAT,
}
# Messages with no success case here, and why (documented in docs/9p.md).
NO_SUCCESS = {
    "xattrwalk": "no extended attributes: EOPNOTSUPP",
    "xattrcreate": "no extended attributes: EOPNOTSUPP",
}


class Each(nt.ServerTest):
    SCRIPT = ("mkdir /tmp/e\necho hello > /tmp/e/f\nmkdir /tmp/e/full\n"
              "echo x > /tmp/e/full/x\n")
    n = 0

    def on_plain(self, dialect, check):
        """Tauth needs a connection with something to prove: plain TCP (the
        host owner's socket is told "authentication not required")."""
        a = Client(("127.0.0.1", self.srv.port_plain), dialect)
        try:
            check(a)
        finally:
            a.close()

    def fresh(self, dialect):
        """A client attached at fid 1 to a directory of its own with a file f."""
        Each.n += 1
        d = "c%d" % Each.n
        c = Client(self.srv.path, dialect)
        c.attach(1)
        c.walk(1, 2, ["tmp", "e"])
        c.create(2, d, 0o755 | 0x80000000, 0) if not c.dotl else \
            c.rpc(nt.TMKDIR, struct.pack("<I", 2) + s(d) + struct.pack("<II", 0o755, 0))
        c.clunk(2)
        c.walk(1, 3, ["tmp", "e", d])     # fid 3: the directory
        c.walk(3, 4, [])
        c.create(4, "f", 0o644, 2)        # fid 4: file f, open read-write
        c.write(4, 0, b"data\n")
        return c, d

    def ok(self, c, t, body, check=None):
        r = c.rpc(t, body)                # raises on an error reply
        if check:
            check(r)
        return r

    def fails(self, c, t, body, want, tag=None):
        """want: an errno (.L), a regex (9P2000), or None for any error."""
        with self.assertRaises(NinepError) as e:
            c.rpc(t, body, tag=tag)
        got = e.exception.args[0]
        if want is None:
            return
        if isinstance(want, int):
            self.assertEqual(got, want, "errno %s, want %d" % (got, want))
        else:
            self.assertRegex(got, want)

    # ---- 9P2000 ------------------------------------------------------------

    def cases_9p2000(self):
        def version_ok(c):
            m, v = c.version(8192, "9P2000")
            self.assertEqual(v, "9P2000")
            c.attach(1)

        def version_bad(c):
            # an msize below the header overhead is refused
            self.fails(c, nt.TVERSION, struct.pack("<I", 16) + s("9P2000"), r".")

        def flush_ok(c):
            self.ok(c, nt.TFLUSH, struct.pack("<H", 4321), lambda r: self.assertEqual(r, b""))

        def flush_bad(c):
            # a Tflush must have a tag of its own: NOTAG is for Tversion only
            self.fails(c, nt.TFLUSH, struct.pack("<H", 1), r".", tag=nt.NOTAG)

        return {
            "version": (version_ok, version_bad),
            "auth": (lambda c: self.on_plain("9P2000", lambda a: (
                         self.assertEqual(a.rpc(nt.TAUTH, struct.pack("<I", 9) + s("u") + s(""))[0], 8),
                         a.clunk(9))),
                     lambda c: self.on_plain("9P2000", lambda a: self.fails(
                         a, nt.TAUTH, struct.pack("<I", nt.NOFID) + s("u") + s(""),
                         "afid may not be NOFID"))),
            "attach": (lambda c: self.assertEqual(c.attach(20, "/tmp/e")[0], 0x80),
                       lambda c: self.fails(c, nt.TATTACH, struct.pack("<II", 21, nt.NOFID) +
                                            s("") + s("/nosuch"), "does not exist")),
            "flush": (flush_ok, flush_bad),
            "walk": (lambda c: self.assertEqual(len(c.walk(3, 30, ["f"])), 1),
                     lambda c: self.fails(c, nt.TWALK, struct.pack("<IIH", 3, 31, 1) + s("nosuch"),
                                          "does not exist")),
            "open": (lambda c: (c.walk(3, 32, ["f"]), c.open(32, 0)),
                     lambda c: (c.walk(1, 33, ["tmp"]),
                                self.fails(c, nt.TOPEN, struct.pack("<IB", 33, 1), r"directory|permission"))),
            "create": (lambda c: (c.walk(3, 34, []), c.create(34, "g", 0o644, 1)),
                       lambda c: (c.walk(3, 35, []),
                                  self.fails(c, nt.TCREATE, struct.pack("<I", 35) + s("f") +
                                             struct.pack("<IB", 0o644, 1), "exists"))),
            "read": (lambda c: self.assertEqual(c.read(4, 0, 100), b"data\n"),
                     lambda c: (c.walk(3, 36, ["f"]),
                                self.fails(c, nt.TREAD, struct.pack("<IQI", 36, 0, 10), "^bad use of fid$"))),
            "write": (lambda c: self.assertEqual(c.write(4, 5, b"more\n"), 5),
                      lambda c: (c.walk(3, 37, ["f"]), c.open(37, 0),
                                 self.fails(c, nt.TWRITE, struct.pack("<IQI", 37, 0, 1) + b"x",
                                            r"^(bad use of fid|permission denied)$"))),
            "clunk": (lambda c: (c.walk(3, 38, []), c.clunk(38)),
                      lambda c: self.fails(c, nt.TCLUNK, struct.pack("<I", 999), "^fid unknown or out of range$")),
            "remove": (lambda c: (c.walk(3, 39, ["f"]), self.ok(c, nt.TREMOVE, struct.pack("<I", 39))),
                       lambda c: (c.walk(1, 40, ["tmp", "e", "full"]),
                                  self.fails(c, nt.TREMOVE, struct.pack("<I", 40), r"not empty"))),
            "stat": (lambda c: self.assertEqual(c.stat(4)["name"], "f"),
                     lambda c: self.fails(c, nt.TSTAT, struct.pack("<I", 998), "^fid unknown or out of range$")),
            "wstat": (lambda c: (c.wstat(4, length=2), self.assertEqual(c.stat(4)["length"], 2)),
                      lambda c: self.assertRaisesRegex(NinepError, "^Invalid argument$",
                                                       c.wstat, 4, uid="other")),
        }

    # ---- 9P2000.L ----------------------------------------------------------

    def cases_dotl(self):
        L = struct.pack

        def version_ok(c):
            m, v = c.version(8192, "9P2000.L")
            self.assertEqual(v, "9P2000.L")
            c.attach(1)

        def getlock_ok(c):
            t, st, ln, pid = c.getlock(4, 1, 0, 10, 7)   # F_WRLCK: nobody holds it
            self.assertEqual(t, 2)                         # F_UNLCK: it would be granted

        def symlink_then_readlink(c):
            c.symlink(3, "ln", "f")
            c.walk(3, 50, ["ln"])
            self.assertEqual(c.readlink(50), "f")

        return {
            "version": (version_ok,
                        lambda c: self.fails(c, nt.TVERSION, L("<I", 16) + s("9P2000.L"), None)),
            "auth": (lambda c: self.on_plain("9P2000.L", lambda a: (
                         self.assertEqual(a.rpc(nt.TAUTH, L("<I", 9) + s("u") + s("") +
                                                L("<I", nt.NOFID))[0], 8), a.clunk(9))),
                     lambda c: self.on_plain("9P2000.L", lambda a: self.fails(
                         a, nt.TAUTH, L("<I", nt.NOFID) + s("u") + s("") + L("<I", nt.NOFID),
                         EINVAL))),
            "attach": (lambda c: self.assertEqual(c.attach(20, "/tmp/e")[0], 0x80),
                       lambda c: self.fails(c, nt.TATTACH, L("<II", 21, nt.NOFID) + s("") +
                                            s("/nosuch") + L("<I", nt.NOFID), ENOENT)),
            "flush": (lambda c: self.ok(c, nt.TFLUSH, L("<H", 4321)),
                      lambda c: self.fails(c, nt.TFLUSH, L("<H", 1), None, tag=nt.NOTAG)),
            "walk": (lambda c: self.assertEqual(len(c.walk(3, 30, ["f"])), 1),
                     lambda c: self.fails(c, nt.TWALK, L("<IIH", 3, 31, 1) + s("nosuch"), ENOENT)),
            "lopen": (lambda c: (c.walk(3, 32, ["f"]), c.open(32, 0)),
                      lambda c: self.fails(c, nt.TLOPEN, L("<II", 997, 0), EBADF)),
            "lcreate": (lambda c: (c.walk(3, 34, []), c.create(34, "g", 0o644, 2)),
                        lambda c: (c.walk(3, 35, []),
                                   self.fails(c, nt.TLCREATE, L("<I", 35) + s("f") +
                                              L("<III", 2, 0o644, 0), EEXIST))),
            "read": (lambda c: self.assertEqual(c.read(4, 0, 100), b"data\n"),
                     lambda c: self.fails(c, nt.TREAD, L("<IQI", 996, 0, 10), EBADF)),
            "write": (lambda c: self.assertEqual(c.write(4, 5, b"more\n"), 5),
                      lambda c: self.fails(c, nt.TWRITE, L("<IQI", 996, 0, 1) + b"x", EBADF)),
            "clunk": (lambda c: (c.walk(3, 38, []), c.clunk(38)),
                      lambda c: self.fails(c, nt.TCLUNK, L("<I", 999), EBADF)),
            "remove": (lambda c: (c.walk(3, 39, ["f"]), self.ok(c, nt.TREMOVE, L("<I", 39))),
                       lambda c: (c.walk(1, 40, ["tmp", "e", "full"]),
                                  self.fails(c, nt.TREMOVE, L("<I", 40), ENOTEMPTY))),
            "getattr": (lambda c: self.assertEqual(c.getattr(4)["size"], 5),
                        lambda c: self.fails(c, nt.TGETATTR, L("<IQ", 995, 0x7FF), EBADF)),
            "setattr": (lambda c: (c.setattr(4, 8, size=2), self.assertEqual(c.getattr(4)["size"], 2)),
                        lambda c: self.fails(c, nt.TSETATTR, L("<IIIIIQQQQQ", 4, 2, 0, 5, 0, 0, 0, 0, 0, 0),
                                             EINVAL)),      # uid 5: nobody's
            "readdir": (lambda c: (c.walk(3, 41, []), c.open(41, 0),
                                   self.assertIn("f", [n for n, _ in nt.dirents(c.read(41, 0, 4000, nt.TREADDIR))])),
                        lambda c: self.fails(c, nt.TREADDIR, L("<IQI", 4, 0, 4000), ENOTDIR)),
            "statfs": (lambda c: self.assertEqual(struct.unpack("<I", c.rpc(nt.TSTATFS, L("<I", 3))[:4])[0],
                                                  0x01021997),
                       lambda c: self.fails(c, nt.TSTATFS, L("<I", 994), EBADF)),
            "mkdir": (lambda c: self.ok(c, nt.TMKDIR, L("<I", 3) + s("sub") + L("<II", 0o755, 0)),
                      lambda c: self.fails(c, nt.TMKDIR, L("<I", 3) + s("f") + L("<II", 0o755, 0), EEXIST)),
            "symlink": (lambda c: c.symlink(3, "ln", "f"),
                        lambda c: self.fails(c, nt.TSYMLINK, L("<I", 3) + s("f") + s("x") + L("<I", 0),
                                             EEXIST)),
            "readlink": (symlink_then_readlink,
                         lambda c: self.fails(c, nt.TREADLINK, L("<I", 4), EINVAL)),
            "rename": (lambda c: (c.walk(3, 42, ["f"]), c.rename(42, 3, "f2"),
                                  self.assertEqual(len(c.walk(3, 43, ["f2"])), 1)),
                       lambda c: (c.walk(3, 44, ["f"]),
                                  self.fails(c, nt.TRENAME, L("<II", 44, 4) + s("x"), ENOTDIR))),
            "renameat": (lambda c: (c.renameat(3, "f", 3, "f3"),
                                    self.assertEqual(len(c.walk(3, 45, ["f3"])), 1)),
                         lambda c: self.fails(c, nt.TRENAMEAT, L("<I", 3) + s("nosuch") + L("<I", 3) +
                                              s("y"), ENOENT)),
            "unlinkat": (lambda c: self.ok(c, nt.TUNLINKAT, L("<I", 3) + s("f") + L("<I", 0)),
                         lambda c: self.fails(c, nt.TUNLINKAT, L("<I", 3) + s("nosuch") + L("<I", 0),
                                              ENOENT)),
            "fsync": (lambda c: self.ok(c, nt.TFSYNC, L("<II", 4, 0)),
                      lambda c: self.fails(c, nt.TFSYNC, L("<II", 993, 0), EBADF)),
            "link": (lambda c: (self.ok(c, nt.TLINK, L("<II", 3, 4) + s("hard")),
                                self.assertEqual(c.getattr(4)["nlink"], 2)),
                     lambda c: self.fails(c, nt.TLINK, L("<II", 3, 3) + s("d2"), EPERM)),   # a directory
            "lock": (lambda c: self.assertEqual(c.lock(4, 1, 0, 10, 7), 0),   # LOCK_SUCCESS
                     lambda c: self.fails(c, nt.TLOCK, L("<IBIQQI", 992, 1, 0, 0, 10, 7) + s("t"), EBADF)),
            "getlock": (getlock_ok,
                        lambda c: self.fails(c, nt.TGETLOCK, L("<IBQQI", 992, 1, 0, 10, 7) + s("t"), EBADF)),
            "xattrwalk": (None, lambda c: self.fails(c, nt.TXATTRWALK, L("<II", 4, 46) + s("user.x"),
                                                     EOPNOTSUPP)),
            "xattrcreate": (None, lambda c: self.fails(c, nt.TXATTRCREATE, L("<I", 4) + s("user.x") +
                                                       L("<QI", 1, 0), EOPNOTSUPP)),
            "mknod": (lambda c: self.ok(c, nt.TMKNOD, L("<I", 3) + s("fifo") +
                                        L("<IIII", 0o010644, 0, 0, 0)),
                      lambda c: self.fails(c, nt.TMKNOD, L("<I", 3) + s("n") +
                                           L("<IIII", 0o644, 1, 3, 0), EINVAL)),
        }

    # ---- the runs ----------------------------------------------------------

    def run_table(self, dialect, table, cases):
        missing = sorted(set(table) - set(cases))
        self.assertEqual(missing, [], "%s messages without cases" % dialect)
        rows = []
        for name in sorted(table):
            good, bad = cases[name]
            if good is None:
                self.assertIn(name, NO_SUCCESS, "%s: no success case and no reason" % name)
            else:
                with self.subTest(dialect=dialect, message=name, case="success"):
                    c, _ = self.fresh(dialect)
                    try:
                        good(c)
                    finally:
                        c.close()
            with self.subTest(dialect=dialect, message=name, case="failure"):
                c, _ = self.fresh(dialect)
                try:
                    bad(c)
                finally:
                    c.close()
            rows.append("%-12s %-8s %s" % (name, "ok" if good else "-", "refused"))
        sys.stderr.write("\n%s: %d messages, success+failure:\n  %s\n" %
                         (dialect, len(rows), "\n  ".join(rows)))

    def test_9p2000(self):
        self.run_table("9P2000", P9, self.cases_9p2000())

    def test_9p2000L(self):
        self.run_table("9P2000.L", DOTL, self.cases_dotl())


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: ninep_each_test.py PATH/TO/luxsim [unittest args]")
    nt.LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
