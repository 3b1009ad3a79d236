#!/usr/bin/env python3
"""The authority matrix: who may do what, over 9P, in both dialects.

Usage: authority_test.py PATH/TO/luxsim [unittest args]

The shell (eve, the console) makes the users alice (1001), bob (1002),
dave (1004) and the group staff (2000: alice, dave) and an exportable key
of eve's; alice, over the trusted unix socket, makes her files and a key.
Then for every authority (read a 0600 file, remove, chmod/chown/chgrp
another's file, read/use/export/rotate/delete another's key, write
another proc's namespace, kill another's proc, read /dev/cons, dial
through `mount`, read /dev/audit, write /adm/users) three callers try:

  none   an unauthenticated TCP client (the plain listener, srv.port_plain)
  bob    another user, attached through the trusted unix socket (uname
         "bob" in 9P2000, n_uname 1002 in 9P2000.L)
  owner  alice, or eve where the authority is the host owner's

The first two must be refused with a clear error (9P2000: the Rerror says
"permission denied"; 9P2000.L: EACCES or EPERM) that leaves a /dev/audit
record (read from the shell, as eve); the owner must succeed.  Then
what POSIX allows is asserted as allowed (removing another's file from a
0777 directory that is not sticky), and the holes found by probing are
kept as tests (class Holes), each a regression test of its fix ("WAS A
HOLE:" says what it was).

One luxsim per class, bounded by ninep_test.py's timeouts.
"""
import os
import re
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ninep_test as nt  # noqa: E402
from ninep_test import NinepError, NOFID, s  # noqa: E402

EPERM, ENOENT, EACCES = 1, 2, 13
DMDIR = 0x80000000
# Tsetattr valid bits
MODE, UID, GID, SIZE, ATIME, MTIME, ATIME_SET, MTIME_SET = 1, 2, 4, 8, 0x10, 0x20, 0x80, 0x100
OREAD, OWRITE, ORDWR = 0, 1, 2


IDS = {"eve": 0, "alice": 1001, "bob": 1002, "dave": 1004, "staff": 2000, "none": 65534}

SCRIPT = "".join(line + "\n" for line in [
    "echo uname alice 1001 > /adm/users",
    "echo uname bob 1002 > /adm/users",
    "echo uname dave 1004 > /adm/users",
    "echo uname staff 2000 > /adm/users",
    "echo uname staff +alice > /adm/users",
    "echo uname staff +dave > /adm/users",
    "echo gen ed25519 shellkey exportable > /secure/crypto/keys/ctl",
    "mkdir /n",
])


class Authority:
    """The matrix; a subclass names the dialect."""
    DIALECT = None
    SCRIPT = SCRIPT

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.made = 0
        ids = cls.srv.shell("cat /adm/users")
        assert "1001:alice::" in ids and "2000:staff::alice,dave" in ids, ids
        # alice's files, made by alice over 9P (the setup always speaks .L)
        a = cls.setup_client("alice")
        cls.mk(a, ["tmp"], "a_secret", 0o600, b"alice's secret\n")
        cls.mk(a, ["tmp"], "a_group", 0o640, b"for staff\n", gid="staff")
        cls.mk(a, ["tmp"], "a_world", 0o644, b"for everyone\n")
        cls.mk(a, ["tmp"], "a_dir", 0o755, dir=True)
        cls.mk(a, ["tmp", "a_dir"], "f", 0o666, b"in a_dir\n")
        cls.mk(a, ["tmp"], "a_priv", 0o700, dir=True)
        cls.mk(a, ["tmp", "a_priv"], "f", 0o644, b"in a_priv\n")
        cls.mk(a, ["tmp"], "pub", 0o777, dir=True)    # 0777, not sticky
        a.close()

    # ---- connections -----------------------------------------------------

    @classmethod
    def setup_client(cls, who):
        c = nt.Client(cls.srv.path, "9P2000.L")
        c.attach(1, n_uname=IDS[who])
        return c

    @classmethod
    def mk(cls, c, dirnames, name, perm, data=b"", dir=False, gid=None):
        """dirnames/name, made by c's user over 9P.L (fid 90, clunked)."""
        c.walk(1, 90, dirnames)
        if dir:
            c.rpc(nt.TMKDIR, struct.pack("<I", 90) + s(name) + struct.pack("<II", perm, 0))
            c.clunk(90)
            c.walk(1, 90, dirnames + [name])
        else:
            c.create(90, name, perm, OWRITE)
            if data:
                c.write(90, 0, data)
        if gid:
            c.setattr(90, GID, gid=IDS[gid])
        c.clunk(90)

    def fresh(self, c, dirnames, prefix, perm=0o644, data=b"x\n"):
        """A new file of c's user with a name no other test uses."""
        type(self).made += 1
        name = "%s_%s_%d" % (prefix, self.DIALECT.replace(".", ""), type(self).made)
        self.mk(c, dirnames, name, perm, data)
        return name

    def conn(self, who):
        """A client attached (fid 1) as who: none over the plain TCP
        listener, everyone else over the trusted unix socket."""
        if who == "none":
            c = nt.Client(("127.0.0.1", self.srv.port_plain), self.DIALECT)
            c.attach(1)
        else:
            c = nt.Client(self.srv.path, self.DIALECT)
            if who == "eve":
                c.attach(1)
            elif self.DIALECT == "9P2000":
                c.attach(1, uname=who)
            else:
                c.attach(1, n_uname=IDS[who])
        self.addCleanup(c.close)
        return c

    # ---- assertions ------------------------------------------------------

    def denied(self, fn, *args, **kw):
        """fn is refused as permission denied (.L: EACCES or EPERM; 9P2000:
        the words Linux's client maps to them, docs/9p.md "Errors")."""
        with self.assertRaises(NinepError) as e:
            fn(*args, **kw)
        got = e.exception.args[0]
        if self.DIALECT == "9P2000":
            self.assertIn(got, ("permission denied", "Operation not permitted"))
        else:
            self.assertIn(got, (EACCES, EPERM))
        return got

    def missing(self, fn, *args, **kw):
        """fn is refused as not there (another user's key)."""
        with self.assertRaises(NinepError) as e:
            fn(*args, **kw)
        got = e.exception.args[0]
        if self.DIALECT == "9P2000":
            self.assertRegex(got, "no such key|does not exist")
        else:
            self.assertEqual(got, ENOENT)

    def audit(self):
        return self.srv.shell("cat /dev/audit")

    def audited(self, who, op, what):
        """A refusal record of op on what, naming who."""
        for line in self.audit():
            if " %s obj " % op in line and what in line and "refused" in line and \
               re.search(r"\b%s\b" % who, line.split("):", 1)[-1]):
                return line
        self.fail("no audit record of %s refused %s %s" % (who, op, what))

    def open_path(self, c, fid, names, mode):
        c.walk(1, fid, names)
        return c.open(fid, mode)

    def refused_open(self, who, names, mode, op="open", what=None):
        c = self.conn(who)
        self.denied(self.open_path, c, 5, names, mode)
        self.audited(who, op, what or names[-1])
        return c

    # ---- reading files ---------------------------------------------------

    def test_read_0600_file(self):
        for who in ("none", "bob"):
            self.refused_open(who, ["tmp", "a_secret"], OREAD)
        c = self.conn("alice")
        self.open_path(c, 5, ["tmp", "a_secret"], OREAD)
        self.assertEqual(c.read(5, 0, 100), b"alice's secret\n")

    def test_group_bits(self):
        # a_group is alice's, group staff, 0640: dave (staff) reads it
        for who in ("none", "bob"):
            self.refused_open(who, ["tmp", "a_group"], OREAD)
        c = self.conn("dave")
        self.open_path(c, 5, ["tmp", "a_group"], OREAD)
        self.assertEqual(c.read(5, 0, 100), b"for staff\n")
        c.clunk(5)
        self.denied(self.open_path, c, 6, ["tmp", "a_group"], OWRITE)   # r-- for the group

    def test_memmap_is_the_host_owners(self):
        # the kernel's addresses help an exploit: 0400, eve's (as Linux
        # shows /proc/iomem's addresses to root only)
        for who in ("none", "bob"):
            self.refused_open(who, ["dev", "memmap"], OREAD)

    def test_none_reads_world_readable_files_and_nothing_more(self):
        c = self.conn("none")
        self.open_path(c, 5, ["tmp", "a_world"], OREAD)
        self.assertEqual(c.read(5, 0, 100), b"for everyone\n")
        self.open_path(c, 6, ["adm", "users"], OREAD)    # 0644: the table is public
        self.assertIn(b"1001:alice::", c.read(6, 0, 4000))
        self.denied(self.open_path, c, 7, ["tmp", "a_world"], OWRITE)
        trunc = 0x10 if self.DIALECT == "9P2000" else 0o1000     # OTRUNC, O_TRUNC
        self.denied(self.open_path, c, 8, ["tmp", "a_world"], OREAD | trunc)
        c.walk(1, 9, ["tmp", "a_dir"])
        self.denied(c.create, 9, "by_none", 0o644, OWRITE)
        self.audited("none", "create in", "a_dir")
        self.assertEqual(len(c.walk(1, 10, ["tmp", "a_priv", "f"])), 2)   # 0700: no search
        c.walk(1, 10, ["tmp", "a_priv"])
        self.denied(c.walk, 10, 11, ["f"])
        self.audited("none", "walk in", "a_priv")
        # what none makes is none's (sticky /tmp is 01777)
        name = self.fresh(c, ["tmp"], "by_none")
        c.walk(1, 11, ["tmp", name])
        if self.DIALECT == "9P2000":
            self.assertEqual(c.stat(11)["uid"], "none")
        else:
            self.assertEqual(c.getattr(11)["uid"], IDS["none"])

    def test_files_made_over_9p_are_their_makers(self):
        for who in ("alice", "bob"):
            c = self.conn(who)
            name = self.fresh(c, ["tmp"], "own_" + who, 0o640)
            c.walk(1, 5, ["tmp", name])
            if self.DIALECT == "9P2000":
                st = c.stat(5)
                self.assertEqual((st["uid"], st["muid"], st["mode"] & 0o777), (who, who, 0o640))
            else:
                at = c.getattr(5)
                self.assertEqual((at["uid"], at["mode"] & 0o777), (IDS[who], 0o640))
        c = self.conn("eve")
        c.walk(1, 5, ["tmp", "a_secret"])
        if self.DIALECT == "9P2000":
            self.assertEqual(c.stat(5)["uid"], "alice")
        else:
            self.assertEqual(c.getattr(5)["uid"], IDS["alice"])

    # ---- removing --------------------------------------------------------

    def remove(self, c, dirnames, name):
        if self.DIALECT == "9P2000":
            c.walk(1, 30, dirnames + [name])
            c.rpc(nt.TREMOVE, struct.pack("<I", 30))
        else:
            c.walk(1, 30, dirnames)
            try:
                c.rpc(nt.TUNLINKAT, struct.pack("<I", 30) + s(name) + struct.pack("<I", 0))
            finally:
                c.clunk(30)

    def gone(self, dirnames, name):
        c = self.conn("eve")
        return len(c.walk(1, 31, dirnames + [name])) == len(dirnames)

    def test_remove_another_users_file_in_sticky_tmp(self):
        a = self.conn("alice")
        c = self.conn("eve")
        c.walk(1, 5, ["tmp"])
        mode = c.stat(5)["mode"] if self.DIALECT == "9P2000" else c.getattr(5)["mode"]
        self.assertEqual(mode & 0o1777, 0o1777)
        name = self.fresh(a, ["tmp"], "sticky", 0o666)    # even writable by all
        for who in ("none", "bob"):
            self.denied(self.remove, self.conn(who), ["tmp"], name)
            self.audited(who, "remove", name)
        self.assertFalse(self.gone(["tmp"], name))
        self.remove(a, ["tmp"], name)
        self.assertTrue(self.gone(["tmp"], name))

    def test_remove_from_a_0777_directory_that_is_not_sticky(self):
        # POSIX: write and search permission on the directory is all it
        # takes; the file's owner and mode do not matter
        a = self.conn("alice")
        for who in ("none", "bob"):
            name = self.fresh(a, ["tmp", "pub"], "pub", 0o600)
            self.remove(self.conn(who), ["tmp", "pub"], name)
            self.assertTrue(self.gone(["tmp", "pub"], name))

    def test_remove_from_another_users_0755_directory(self):
        a = self.conn("alice")
        name = self.fresh(a, ["tmp", "a_dir"], "rm", 0o666)
        for who in ("none", "bob"):
            self.denied(self.remove, self.conn(who), ["tmp", "a_dir"], name)
            self.audited(who, "remove from", "a_dir")
        self.remove(a, ["tmp", "a_dir"], name)
        self.assertTrue(self.gone(["tmp", "a_dir"], name))

    # ---- chmod, chown, chgrp ---------------------------------------------

    def chmod(self, c, fid, mode):
        if self.DIALECT == "9P2000":
            c.wstat(fid, mode=mode)
        else:
            c.setattr(fid, MODE, mode=mode)

    def chown(self, c, fid, user):
        if self.DIALECT == "9P2000":
            c.wstat(fid, uid=user)
        else:
            c.setattr(fid, UID, uid=IDS[user])

    def chgrp(self, c, fid, group):
        if self.DIALECT == "9P2000":
            c.wstat(fid, gid=group)
        else:
            c.setattr(fid, GID, gid=IDS[group])

    def owner_of(self, names):
        c = self.conn("eve")
        c.walk(1, 32, names)
        if self.DIALECT == "9P2000":
            st = c.stat(32)
            return st["uid"], st["gid"], st["mode"] & 0o7777
        at = c.getattr(32)
        name = {v: k for k, v in IDS.items()}
        return name[at["uid"]], name[at["gid"]], at["mode"] & 0o7777

    def test_chmod_another_users_file(self):
        a = self.conn("alice")
        name = self.fresh(a, ["tmp"], "chmod", 0o644)
        for who in ("none", "bob"):
            c = self.conn(who)
            c.walk(1, 5, ["tmp", name])
            self.denied(self.chmod, c, 5, 0o666)
            self.audited(who, "chmod", name)
        self.assertEqual(self.owner_of(["tmp", name])[2], 0o644)
        a.walk(1, 5, ["tmp", name])
        self.chmod(a, 5, 0o600)
        self.assertEqual(self.owner_of(["tmp", name])[2], 0o600)

    def test_chown_another_users_file(self):
        a = self.conn("alice")
        name = self.fresh(a, ["tmp"], "chown", 0o644)
        for who in ("none", "bob"):
            c = self.conn(who)
            c.walk(1, 5, ["tmp", name])
            self.denied(self.chown, c, 5, who)      # taking it
            self.audited(who, "chown", name)
        a.walk(1, 5, ["tmp", name])
        self.denied(self.chown, a, 5, "bob")        # nor may alice give it away
        self.assertEqual(self.owner_of(["tmp", name])[0], "alice")
        e = self.conn("eve")                        # the host owner may
        e.walk(1, 5, ["tmp", name])
        self.chown(e, 5, "bob")
        self.assertEqual(self.owner_of(["tmp", name])[0], "bob")

    def test_chgrp_another_users_file(self):
        a = self.conn("alice")
        name = self.fresh(a, ["tmp"], "chgrp", 0o640)
        for who in ("none", "bob"):
            c = self.conn(who)
            c.walk(1, 5, ["tmp", name])
            self.denied(self.chgrp, c, 5, who)      # to their own group
            self.audited(who, "chgrp", name)
        a.walk(1, 5, ["tmp", name])
        self.denied(self.chgrp, a, 5, "bob")        # a group alice is not in
        self.chgrp(a, 5, "staff")                   # one she is in
        self.assertEqual(self.owner_of(["tmp", name])[1], "staff")

    # ---- keys ------------------------------------------------------------

    def key_ctl(self, c, fid, line):
        c.walk(1, fid, ["secure", "crypto", "keys", "ctl"])
        c.open(fid, OWRITE)
        try:
            return c.write(fid, 0, line.encode())
        finally:
            c.clunk(fid)

    def key_text(self, c, fid, name):
        c.walk(1, fid, ["secure", "crypto", "keys"])
        c.walk(fid, fid, [name])
        c.open(fid, OREAD)
        try:
            return c.read(fid, 0, 4000).decode()
        finally:
            c.clunk(fid)

    def session(self, c, fid, key):
        """An aead session keyed with key: (session fid of N/data, n)."""
        c.walk(1, fid, ["secure", "crypto", "aead", "clone"])
        c.open(fid, OREAD)
        n = c.read(fid, 0, 20).decode().strip()
        c.walk(1, fid + 1, ["secure", "crypto", "aead", n, "ctl"])
        c.open(fid + 1, OWRITE)
        c.write(fid + 1, 0, ("key %s\n" % key).encode())
        c.walk(1, fid + 2, ["secure", "crypto", "aead", n, "data"])
        c.open(fid + 2, ORDWR)
        return n

    def test_none_owns_no_keys(self):
        # none is every unauthenticated client: a key one of them made was
        # every other's to read, export, use and delete, from any host
        # (tests/attacks/l_none_keys.py).  none makes no keys.
        c = self.conn("none")
        key = "nk" + self.DIALECT.replace(".", "")
        self.denied(self.key_ctl, c, 60, "gen aead %s exportable\n" % key)
        self.missing(self.key_text, self.conn("none"), 61, key)
        self.assertRegex("\n".join(self.audit()), r"key-new.*%s.*refused: none owns no keys" % key)

    def test_another_users_key(self):
        a = self.conn("alice")
        key = "ak" + self.DIALECT.replace(".", "")
        self.key_ctl(a, 40, "gen aead %s exportable\n" % key)
        for who in ("none", "bob"):
            c = self.conn(who)
            self.missing(self.key_text, c, 41, key)                      # read, export
            self.missing(self.session, c, 42, key)                       # use
            self.missing(self.key_ctl, c, 45, "rotate %s\n" % key)
            self.missing(self.key_ctl, c, 46, "delete %s\n" % key)
            self.missing(self.key_text, c, 47, "shellkey")               # eve's too
            self.missing(self.key_ctl, c, 48, "delete shellkey\n")
            c.walk(1, 49, ["secure", "crypto", "keys"])                  # nor listed
            c.open(49, OREAD)
            listing = c.read(49, 0, 8000, nt.TREAD if self.DIALECT == "9P2000" else nt.TREADDIR)
            self.assertNotIn(key.encode(), listing)
            self.assertNotIn(b"shellkey", listing)
        # the owner: export, use, rotate, delete
        text = self.key_text(a, 50, key)
        self.assertIn("version 1\n", text)
        self.assertRegex(text, r"secret [0-9a-f]{64}\n")
        self.session(a, 51, key)
        self.assertEqual(a.write(53, 0, b"plain"), 5)
        self.assertEqual(len(a.read(53, 0, 100)), 5 + 16)
        self.key_ctl(a, 54, "rotate %s\n" % key)
        self.assertIn("version 2\n", self.key_text(a, 55, key))
        a.write(52, 0, b"close\n")  # the session's ctl: the key is free again
        self.key_ctl(a, 57, "delete %s\n" % key)
        self.missing(self.key_text, a, 58, key)
        # eve, over 9P too, sees her own key and not alice's
        e = self.conn("eve")
        self.assertIn("name shellkey\n", self.key_text(e, 59, "shellkey"))
        self.assertIn("alg ed25519\n", self.key_text(e, 60, "shellkey"))

    # ---- namespaces, procs, the console ----------------------------------

    def pid_of(self, c):
        c.walk(1, 70, ["dev", "pid"])
        c.open(70, OREAD)
        pid = c.read(70, 0, 20).decode().strip()
        c.clunk(70)
        return pid

    def test_write_another_procs_ns(self):
        before = self.srv.shell("cat /proc/1/ns")
        for who in ("none", "bob"):
            self.refused_open(who, ["proc", "1", "ns"], OWRITE, what="ns")
        # eve owns proc 1, but a 9P client writes only its own namespace
        e = self.conn("eve")
        self.open_path(e, 5, ["proc", "1", "ns"], OWRITE)
        self.denied(e.write, 5, 0, b"bind /dev /n\n")
        self.assertEqual(self.srv.shell("cat /proc/1/ns"), before)

    def test_own_ns(self):
        # every connection may change its own namespace (a copy)
        for who in ("none", "eve"):
            c = self.conn(who)
            pid = self.pid_of(c)
            self.open_path(c, 5, ["proc", pid, "ns"], OWRITE)
            c.write(5, 0, b"bind /dev /n\n")
            self.assertEqual(len(c.walk(1, 6, ["n", "null"])), 2)
        self.assertNotIn("bind /dev /n", "\n".join(self.srv.shell("cat /proc/1/ns")))
        # bob, a guest of eve's connection, may not change eve's namespace
        b = self.conn("bob")
        pid = self.pid_of(b)
        self.denied(self.open_path, b, 5, ["proc", pid, "ns"], OWRITE)
        self.audited("bob", "open", "ns")

    def test_dial_through_mount(self):
        line = b"mount tcp!127.0.0.1!1 /n\n"
        c = self.conn("none")
        self.open_path(c, 5, ["proc", self.pid_of(c), "ns"], OWRITE)
        self.denied(c.write, 5, 0, line)
        self.audited("none", "dial", "tcp!127.0.0.1!1")
        b = self.conn("bob")
        self.denied(self.open_path, b, 5, ["proc", self.pid_of(b), "ns"], OWRITE)
        self.audited("bob", "open", "ns")
        # eve may dial: nobody listens on port 1, so the dial itself fails
        e = self.conn("eve")
        self.open_path(e, 5, ["proc", self.pid_of(e), "ns"], OWRITE)
        with self.assertRaises(NinepError) as err:
            e.write(5, 0, line)
        if self.DIALECT == "9P2000":
            self.assertNotIn("permission denied", err.exception.args[0])
        else:
            self.assertNotIn(err.exception.args[0], (EACCES, EPERM))

    def sleeper(self):
        """A proc of eve's (the shell's): its pid."""
        self.srv.shell("sleep 600000 &")
        for line in reversed(self.srv.shell("ps")):
            f = line.split()
            if f and f[-1] == "sleep":
                return f[0]
        self.fail("no sleep proc")

    def test_kill_another_users_proc(self):
        pid = self.sleeper()
        for who in ("none", "bob"):
            self.refused_open(who, ["proc", pid, "ctl"], OWRITE, what="ctl")
        e = self.conn("eve")
        self.open_path(e, 5, ["proc", pid, "ctl"], OWRITE)
        e.write(5, 0, b"kill")
        deadline = time.monotonic() + 10
        while pid in [l.split()[0] for l in self.srv.shell("ps")[1:]]:
            self.assertLess(time.monotonic(), deadline, "the killed proc lives on")
            time.sleep(0.05)

    def test_read_dev_cons(self):
        for who in ("none", "bob"):            # cons is eve's, 0660
            self.refused_open(who, ["dev", "cons"], OREAD, what="cons")
        # console input is the console's only: eve's 9P clients too
        self.refused_open("eve", ["dev", "cons"], OREAD, op="read", what="/dev/cons")
        c = self.conn("bob")                   # writing it is eve's (0660)
        self.denied(self.open_path, c, 6, ["dev", "cons"], OWRITE)

    def test_read_dev_audit(self):
        for who in ("none", "bob"):
            self.refused_open(who, ["dev", "audit"], OREAD, what="audit")
        e = self.conn("eve")
        self.open_path(e, 5, ["dev", "audit"], OREAD)
        self.assertIn(b"9p-connect", e.read(5, 0, 4000))

    def test_write_adm_users(self):
        for who in ("none", "bob"):
            self.refused_open(who, ["adm", "users"], OWRITE, what="users")
        e = self.conn("eve")
        self.open_path(e, 5, ["adm", "users"], OWRITE)
        uid = 3000 + (self.DIALECT == "9P2000")
        e.write(5, 0, b"uname carol%d %d\n" % (uid, uid))
        self.assertIn("%d:carol%d::" % (uid, uid), self.srv.shell("cat /adm/users"))

    # ---- attach ----------------------------------------------------------

    def test_untrusted_attach_as_someone_else(self):
        for uname, n_uname in (("alice", 1001), ("eve", 0)):
            c = nt.Client(("127.0.0.1", self.srv.port_plain), self.DIALECT)
            self.addCleanup(c.close)
            if self.DIALECT == "9P2000":
                self.denied(c.attach, 1, uname=uname)
            else:
                self.denied(c.attach, 1, n_uname=n_uname)
            self.audited("none", "9p-attach", "127.0.0.1")
            c.attach(2, uname="none")          # itself is fine
            c.walk(2, 3, ["dev", "user"])
            c.open(3, OREAD)
            self.assertEqual(c.read(3, 0, 20), b"none")
        # a trusted connection may name a user that exists, only
        c = nt.Client(self.srv.path, self.DIALECT)
        self.addCleanup(c.close)
        self.denied(c.attach, 1, uname="mallory")


class Authority9P2000(Authority, nt.ServerTest):
    DIALECT = "9P2000"


class Authority9P2000L(Authority, nt.ServerTest):
    DIALECT = "9P2000.L"


class Holes(nt.ServerTest):
    """What probing beyond the matrix found.  A passing test here is a
    hole that was closed; expectedFailure marks one still open."""
    SCRIPT = SCRIPT + "mkdir /n/p\nmount '#pipe' /n/p\n"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        a = nt.Client(cls.srv.path, "9P2000.L")
        a.attach(1, n_uname=IDS["alice"])
        Authority.mk(a, ["tmp"], "a_secret", 0o600, b"alice's secret\n")
        Authority.mk(a, ["tmp"], "a_dir", 0o755, dir=True)
        Authority.mk(a, ["tmp"], "a_rw", 0o666, b"shared\n")
        a.close()

    def conn(self, who, dialect="9P2000.L"):
        if who == "none":
            c = nt.Client(("127.0.0.1", self.srv.port_plain), dialect)
            c.attach(1)
            self.addCleanup(c.close)
            return c
        c = nt.Client(self.srv.path, dialect)
        if who == "eve":
            c.attach(1)
        elif dialect == "9P2000":
            c.attach(1, uname=who)
        else:
            c.attach(1, n_uname=IDS[who])
        self.addCleanup(c.close)
        return c

    def alive(self, name):
        c = self.conn("eve")
        return len(c.walk(1, 99, ["tmp", name])) == 2

    # -- closed ------------------------------------------------------------

    def test_rename_another_users_file_in_sticky_tmp_by_wstat(self):
        # Twstat's name: renaming in /tmp moves alice's file out of her way
        a = self.conn("alice")
        Authority.mk(a, ["tmp"], "ren_w", 0o644, b"x")
        b = self.conn("bob", "9P2000")
        b.walk(1, 2, ["tmp", "ren_w"])
        with self.assertRaisesRegex(NinepError, "permission denied"):
            b.wstat(2, name="ren_w_taken")
        self.assertTrue(self.alive("ren_w"))

    def test_rename_onto_another_users_file_in_sticky_tmp(self):
        # rename(2) in a sticky directory must not replace another's file
        b = self.conn("bob")
        Authority.mk(b, ["tmp"], "bobs", 0o644, b"bob's\n")
        b.walk(1, 2, ["tmp"])
        with self.assertRaises(NinepError) as e:
            b.renameat(2, "bobs", 2, "a_secret")
        self.assertEqual(e.exception.args[0], EACCES)
        a = self.conn("alice")
        a.walk(1, 2, ["tmp", "a_secret"])
        a.open(2, OREAD)
        self.assertEqual(a.read(2, 0, 100), b"alice's secret\n")

    def test_keys_ctl_line_left_at_close_runs_as_its_writer(self):
        # a keys/ctl line without its newline runs when the chan closes;
        # a Tversion (or the hang-up) closes every fid as the connection's
        # own user, eve: bob must not get eve to delete her key
        self.srv.shell("echo gen mac victim > /secure/crypto/keys/ctl")
        b = self.conn("bob")
        b.walk(1, 2, ["secure", "crypto", "keys", "ctl"])
        b.open(2, OWRITE)
        b.write(2, 0, b"delete victim")
        b.version(8192, "9P2000.L")
        b.close()
        time.sleep(0.2)
        self.assertIn("victim", "\n".join(self.srv.shell("ls /secure/crypto/keys")))

    def test_binding_another_users_directory_gives_nothing(self):
        # none binds alice's 0755 a_dir in front of a directory of its own,
        # with -c: creates go to a_dir, and are refused there
        c = self.conn("none")
        Authority.mk(c, ["tmp"], "none_dir", 0o777, dir=True)
        c.walk(1, 2, ["dev", "pid"])
        c.open(2, OREAD)
        pid = c.read(2, 0, 20).decode().strip()
        c.walk(1, 3, ["proc", pid, "ns"])
        c.open(3, OWRITE)
        c.write(3, 0, b"bind -bc /tmp/a_dir /tmp/none_dir\n")
        c.walk(1, 4, ["tmp", "none_dir"])
        with self.assertRaises(NinepError) as e:
            c.create(4, "through", 0o644, OWRITE)
        self.assertEqual(e.exception.args[0], EACCES)
        # and ".." from a bound directory stays in the path walked
        self.assertEqual(len(c.walk(1, 5, ["tmp", "none_dir", "..", "a_secret"])), 4)
        with self.assertRaises(NinepError) as e:
            c.open(5, OREAD)
        self.assertEqual(e.exception.args[0], EACCES)

    def test_symlink_to_a_protected_file_gives_nothing(self):
        b = self.conn("bob")
        b.walk(1, 2, ["tmp"])
        b.symlink(2, "to_secret", "/tmp/a_secret")
        b.walk(1, 3, ["tmp", "to_secret"])
        b.open(3, OREAD)
        self.assertNotIn(b"alice's", b.read(3, 0, 100))   # the server never follows it

    def test_ctl_aname_as_none(self):
        c = nt.Client(("127.0.0.1", self.srv.port_plain), "9P2000")
        self.addCleanup(c.close)
        c.attach(1, aname="ctl")
        c.walk(1, 2, [".."])                              # ".." stops at /9p
        self.assertEqual(c.stat(2)["name"], "9p")
        self.assertEqual(len(c.walk(1, 4, ["..", "..", "tmp"])), 2)   # no /9p/tmp
        c.walk(1, 5, ["status"])
        with self.assertRaisesRegex(NinepError, "permission denied"):
            c.open(5, OWRITE)
        self.assertEqual(c.walk(2, 6, ["zero"])[0][0], 0)

    def test_status_shows_none_only_itself(self):
        # /9p/status (0444) listed every connection's address, port and
        # counters, and every peer: any client, none included, saw who
        # else was connected and from where.  The host owner still does.
        self.conn("eve")
        c = nt.Client(("127.0.0.1", self.srv.port_plain), "9P2000.L")
        self.addCleanup(c.close)
        me = "tcp!127.0.0.1!%d" % c.sock.getsockname()[1]
        c.attach(1)
        c.walk(1, 2, ["9p", "status"])
        c.open(2, OREAD)
        lines = c.read(2, 0, 8000).decode().splitlines()
        self.assertEqual([l.split()[2] for l in lines if l.startswith("conn ")], [me], lines)
        self.assertFalse([l for l in lines if l.startswith("peer ")], lines)
        self.assertRegex(lines[-1], r"^total conns [2-9]")
        e = self.conn("eve")
        e.walk(1, 2, ["9p", "status"])
        e.open(2, OREAD)
        text = e.read(2, 0, 8000).decode()
        self.assertIn(" %s " % me, text)
        self.assertIn("peer tcp!127.0.0.1 ", text)

    def test_another_connections_crypto_session(self):
        a = self.conn("alice")
        a.walk(1, 2, ["secure", "crypto", "mac", "clone"])
        a.open(2, OREAD)
        n = a.read(2, 0, 20).decode().strip()
        b = self.conn("bob")     # another connection: another principal
        self.assertEqual(len(b.walk(1, 3, ["secure", "crypto", "mac", n])), 3)
        e = self.conn("eve")     # even eve's
        self.assertEqual(len(e.walk(1, 3, ["secure", "crypto", "mac", n])), 3)

    # -- open --------------------------------------------------------------

    # WAS A HOLE: a 9P connection's workers are procs of their own whose user is
    # whoever's request they ran last, and they share the connection's
    # namespace.  So bob, a guest on eve's trusted connection (v9fs
    # access=user), finds a worker in /proc that ran his request, opens
    # its ns (owned by bob at that moment) and rebinds names for every
    # other user of that connection: eve's own /proc/PID/ns is refused
    # to him, a worker's is not.  Fix: a worker's /proc files are the
    # connection's (stat with the principal's user), and a write to a
    # proc's ns needs the principal's ownership.
    def test_worker_ns_is_not_a_guests(self):
        c = nt.Client(self.srv.path, "9P2000.L")    # v9fs access=user: one
        self.addCleanup(c.close)                    # connection, many users
        c.attach(1, n_uname=IDS["bob"])
        c.attach(2)                                 # eve
        c.walk(1, 3, ["proc"])
        c.open(3, OREAD)
        mine = None
        for pid, _ in nt.dirents(c.read(3, 0, 8000, nt.TREADDIR)):
            if len(c.walk(1, 4, ["proc", pid, "ns"])) != 3:
                continue
            try:
                c.open(4, OWRITE)
                mine = pid
                break
            except NinepError:
                c.clunk(4)
        if mine is not None:
            # bob rebinds /tmp for everyone on the connection: eve sees /dev
            c.write(4, 0, b"bind /dev /tmp\n")
            self.assertEqual(len(c.walk(2, 5, ["tmp", "cons"])), 2)
        self.assertIsNone(mine, "bob opened a worker's /proc/%s/ns for writing" % mine)

    # WAS A HOLE: every unauthenticated TCP client is the same user, none, and
    # /proc/N/ctl takes "kill" from the proc's owner: any none client
    # kills any other none client's connection (its reader proc), and any
    # worker whose last request was none's.  Fix: procs acting for none
    # take kill only from the host owner (or from their own principal).
    def test_none_cannot_kill_another_none_connection(self):
        victim = self.conn("none")
        victim.walk(1, 2, ["dev", "pid"])
        victim.open(2, OREAD)
        pid = victim.read(2, 0, 20).decode().strip()
        attacker = self.conn("none")
        attacker.walk(1, 2, ["proc", pid, "ctl"])
        with self.assertRaises(NinepError):
            attacker.open(2, OWRITE)
            attacker.write(2, 0, b"kill")

    # WAS A HOLE: crypto sessions (and hash state) belong to the connection's
    # principal proc, not to the attach's user: on a trusted connection
    # bob walks to alice's session N and encrypts, decrypts or signs with
    # alice's key, which he could never name himself.  Fix: record the
    # user with the session and check it on walk/open/read/write.
    def test_crypto_session_of_another_user_on_one_connection(self):
        c = nt.Client(self.srv.path, "9P2000.L")
        self.addCleanup(c.close)
        c.attach(1, n_uname=IDS["alice"])
        c.attach(2, n_uname=IDS["bob"])
        c.walk(1, 3, ["secure", "crypto", "keys", "ctl"])
        c.open(3, OWRITE)
        c.write(3, 0, b"gen aead sesskey\n")
        c.clunk(3)
        c.walk(1, 4, ["secure", "crypto", "aead", "clone"])
        c.open(4, OREAD)
        n = c.read(4, 0, 20).decode().strip()
        c.walk(1, 5, ["secure", "crypto", "aead", n, "ctl"])
        c.open(5, OWRITE)
        c.write(5, 0, b"key sesskey\n")
        with self.assertRaises(NinepError):     # bob, through his own attach
            c.walk(2, 6, ["secure", "crypto", "aead", n, "data"])
            c.open(6, ORDWR)
            c.write(6, 0, b"bob encrypts with alice's key")
            c.read(6, 0, 200)

    # WAS A HOLE: #pipe files are 0666 with no owner, and every 9P connection's
    # namespace is a copy of the kernel's: a pipe the shell (eve) bound
    # before a client connected is there for an unauthenticated TCP
    # client, who reads what eve writes to it or writes into what eve
    # reads.  Fix: a pipe is its attacher's (uid, 0660 or 0600).
    def test_none_cannot_use_eves_pipe(self):
        c = self.conn("none")
        c.walk(1, 2, ["n", "p", "data1"])
        with self.assertRaises(NinepError):
            c.open(2, OWRITE)

    # WAS A HOLE: a non-owner with write permission sets a file's times to any
    # value (utimensat(2) allows only "now" to a non-owner: EPERM), so
    # timestamps another user relies on can be forged.  Fix in
    # chan_wstat: explicit times are the owner's; "now" needs write.
    def test_non_owner_cannot_forge_times(self):
        b = self.conn("bob")
        b.walk(1, 2, ["tmp", "a_rw"])
        with self.assertRaises(NinepError):
            b.setattr(2, MTIME | MTIME_SET, mtime=12345)

    # WAS A HOLE (audit gap): another user's key "does not exist" for a prober,
    # by design, but the probe (read, use, rotate, delete of a name that
    # is someone else's key) leaves no /dev/audit record, unlike every
    # other refusal in the matrix.
    def test_probe_of_another_users_key_is_audited(self):
        b = self.conn("bob")
        b.walk(1, 2, ["secure", "crypto", "keys", "ctl"])
        b.open(2, OWRITE)
        with self.assertRaises(NinepError):
            b.write(2, 0, b"delete shellkey\n")
        lines = self.srv.shell("cat /dev/audit")
        self.assertTrue(any("shellkey" in l and "refused" in l for l in lines), lines[-5:])


class LocalPeers(unittest.TestCase):
    """Another local Linux user on the unix socket: its uid, mapped through
    /adm/users, is who it is (a listed user, else none); it is not trusted
    to speak for others.  --socket-group opens the socket to a group.
    Needs root (to become another uid); skipped otherwise."""

    @unittest.skipUnless(os.geteuid() == 0, "needs root to connect as another uid")
    def test_other_uid_is_its_user_or_none(self):
        import grp
        import shutil
        import subprocess
        import tempfile
        d = tempfile.mkdtemp(prefix="peer-")
        try:
            os.chmod(d, 0o700)
            sock = os.path.join(d, "sock")
            group = grp.getgrgid(65534).gr_name     # nogroup
            p = subprocess.Popen([nt.LUXSIM, "-q", "--listen", "unix!" + sock,
                                  "--socket-group", group, "--state-dir", os.path.join(d, "st")],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
            p.stdin.write(b"echo uname carol 1234 > /adm/users\necho ready\n")
            p.stdin.flush()
            while p.stdout.readline().strip() != b"ready":
                pass
            st_dir, st_sock = os.stat(d), os.stat(sock)
            self.assertEqual((st_dir.st_gid, st_dir.st_mode & 0o777), (65534, 0o750))
            self.assertEqual((st_sock.st_gid, st_sock.st_mode & 0o777), (65534, 0o660))
            results = {}
            for uid in (1234, 4321):
                r, w = os.pipe()
                pid = os.fork()
                if pid == 0:    # the other Linux user
                    os.close(r)
                    out = []
                    try:
                        os.setgroups([65534])
                        os.setgid(65534)
                        os.setuid(uid)
                        c = nt.Client(sock, "9P2000")
                        c.attach(1)
                        c.walk(1, 2, ["dev", "user"])
                        c.open(2, 0)
                        out.append(c.read(2, 0, 64).decode())
                        c2 = nt.Client(sock, "9P2000")
                        try:
                            c2.attach(1, uname="eve")
                            out.append("attached as eve")
                        except NinepError as e:
                            out.append(str(e))
                        c2.close()
                        c.close()
                    except Exception as e:      # noqa: BLE001 -- reported to the parent
                        out.append("error: %r" % e)
                    os.write(w, "\n".join(out).encode())
                    os._exit(0)
                os.close(w)
                with os.fdopen(r) as f:
                    results[uid] = f.read().split("\n")
                os.waitpid(pid, 0)
            # a listed uid is its user; any other uid is none; neither speaks for eve
            self.assertEqual(results[1234][0], "carol", results)
            self.assertEqual(results[4321][0], "none", results)
            for uid in (1234, 4321):    # 9P2000's word for EACCES (docs/9p.md, "Errors")
                self.assertEqual("permission denied", results[uid][1], results)
            p.stdin.write(b"halt\n")
            p.stdin.flush()
            p.communicate(timeout=30)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: authority_test.py PATH/TO/luxsim [unittest args]")
    nt.LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
