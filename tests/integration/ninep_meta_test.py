#!/usr/bin/env python3
"""Integration tests for the 9P server's metadata messages, both dialects.

Usage: ninep_meta_test.py PATH/TO/luxsim [unittest args]

For every message core/9p/srv/srv_meta.c, srv_dir.c and srv_lock.c answer
(Tstat, Twstat, Tgetattr, Tsetattr, Trename, Trenameat, Tsymlink,
Treadlink, Tlink, Tlock, Tgetlock, Txattrwalk, Txattrcreate, Tread of a
directory and Treaddir) a success and the failures, with the error each
dialect is due: a sentence for 9P2000, a Linux errno for 9P2000.L.  A
message of the other dialect is rejected by the codec (EPROTO / "not
part of").  Uses ninep_test.py's Server and Client.
"""
import os
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ninep_test as nt  # noqa: E402
from ninep_test import NinepError, s  # noqa: E402

# Linux errno values (the .L wire format)
EPERM, ENOENT, EBADF, EACCES, EEXIST, EXDEV, ENOLCK = 1, 2, 9, 13, 17, 18, 37
ENOTDIR, EISDIR, EINVAL, ENOTEMPTY, EPROTO, EOPNOTSUPP = 20, 21, 22, 39, 71, 95
ENAMETOOLONG = 36
S_IFMT, S_IFLNK, S_IFREG = 0o170000, 0o120000, 0o100000
DMDIR, DMAPPEND = 0x80000000, 0x40000000
# Tsetattr valid bits
MODE, UID, SIZE, ATIME, MTIME, CTIME, ATIME_SET, MTIME_SET = 1, 2, 8, 0x10, 0x20, 0x40, 0x80, 0x100
RDLCK, WRLCK, UNLCK = 0, 1, 2
SUCCESS, BLOCKED = 0, 1


class MetaTest(nt.ServerTest):
    SCRIPT = "".join(line + "\n" for line in [
        "mkdir /tmp/w /tmp/l /tmp/ua /tmp/ub /tmp/uc",
        "echo A > /tmp/ua/x", "echo a > /tmp/ua/only_a", "echo B > /tmp/ub/x",
        "echo b > /tmp/ub/y",
        "bind -b /tmp/ua /tmp/ub",      # a union the 9P clients see
        "bind -a /tmp/ua /tmp/uc",
    ])

    def connect(self, dialect):
        c = nt.Client(self.srv.path, dialect)
        c.attach(1)
        self.addCleanup(c.close)
        return c

    def errno_of(self, fn, *args, **kw):
        with self.assertRaises(NinepError) as e:
            fn(*args, **kw)
        return e.exception.args[0]

    def error_of(self, fn, *args, **kw):
        return self.errno_of(fn, *args, **kw)

    def new_file(self, c, fid, dirnames, name, data=b""):
        """Create dir/name (fid becomes it, open for writing) and write data."""
        c.walk(1, fid, dirnames)
        c.create(fid, name, 0o644, 1)
        if data:
            self.assertEqual(c.write(fid, 0, data), len(data))


class Meta9P2000(MetaTest):
    def test_stat_and_wstat_all_fields_at_once(self):
        c = self.connect("9P2000")
        self.new_file(c, 2, ["tmp", "w"], "f", b"hello world")
        c.clunk(2)
        c.walk(1, 3, ["tmp", "w", "f"])
        st = c.stat(3)
        self.assertEqual((st["name"], st["length"], st["mode"]), ("f", 11, 0o644))
        c.wstat(3, name="g", mode=0o600, length=5, mtime=1234)
        st = c.stat(3)
        self.assertEqual((st["name"], st["mode"], st["length"], st["mtime"]), ("g", 0o600, 5, 1234))
        # the fid followed its file; the old name is gone
        self.assertEqual(len(c.walk(3, 4, [])), 0)
        c.open(4, 0)
        self.assertEqual(c.read(4, 0, 100), b"hello")
        self.assertEqual(len(c.walk(1, 5, ["tmp", "w", "f"])), 2)    # partial: no f
        # grow: zeros
        c.wstat(3, length=8)
        self.assertEqual(c.read(4, 0, 100), b"hello\0\0\0")
        c.rpc(nt.TREMOVE, struct.pack("<I", 3))
        c.clunk(4)
        self.assertRaises(NinepError, c.stat, 99)

    def test_wstat_failures_change_nothing(self):
        c = self.connect("9P2000")
        self.new_file(c, 2, ["tmp", "w"], "k", b"keep")
        self.new_file(c, 3, ["tmp", "w"], "taken")
        c.clunk(3)
        msg = lambda **kw: self.error_of(c.wstat, 2, **kw)
        # an existing name: refused, and the length asked for with it is not applied
        self.assertEqual(msg(name="taken", length=1), "file already exists")
        self.assertEqual(c.stat(2)["length"], 4)
        self.assertEqual(msg(uid="someone"), "Invalid argument") # 9P2000 says the word Linux maps to the errno (docs/9p.md, "Errors")
        self.assertEqual("Operation not permitted", msg(dev=5))   # EPERM's word
        self.assertEqual("Operation not permitted", msg(qid=struct.pack("<BIQ", 0, 0, 12345)))
        self.assertEqual(msg(mode=DMDIR | 0o755), "permission denied")   # the kind stays
        self.assertEqual(msg(mode=DMAPPEND | 0o644), "Invalid argument")
        self.assertEqual(msg(name="a/b"), "Invalid argument")
        self.assertEqual(self.error_of(c.wstat, 77, mode=0o644), "fid unknown or out of range")
        c.walk(1, 4, ["tmp", "w"])
        self.assertEqual(self.error_of(c.wstat, 4, length=3), "Is a directory")
        # atime is kept as asked: Linux's v9fs sends utimes(2) as a wstat
        # of both times in 9P2000 (cp -p, mv across directories)
        c.wstat(2, atime=5)
        self.assertEqual(c.stat(2)["atime"], 5)
        # a device without wstat says so
        c.walk(1, 5, ["dev", "null"])
        self.assertEqual(self.error_of(c.wstat, 5, mode=0o600),
                         "Operation not supported")   # EOPNOTSUPP's word
        c.wstat(5)     # all "don't touch": a no-op, fine everywhere
        st = c.stat(2)
        self.assertEqual((st["name"], st["length"], st["mode"]), ("k", 4, 0o644))
        for f in (2, 4, 5):
            c.clunk(f)

    def test_directory_read_survives_removal(self):
        c = self.connect("9P2000")
        c.walk(1, 2, ["tmp", "w"])
        c.rpc(nt.TCREATE, struct.pack("<I", 2) + s("rd") + struct.pack("<IB", DMDIR | 0o755, 0))
        c.clunk(2)
        for n in ("e1", "e2", "e3", "e4"):
            self.new_file(c, 3, ["tmp", "w", "rd"], n)
            c.clunk(3)
        c.walk(1, 4, ["tmp", "w", "rd"])
        c.open(4, 0)
        first = c.read(4, 0, 70)         # one entry
        self.assertEqual(nt.stat_names(first), ["e1"])
        for n in ("e1",):                # the entry read, before the cursor
            c.walk(1, 5, ["tmp", "w", "rd", n])
            c.rpc(nt.TREMOVE, struct.pack("<I", 5))
        names, off = [], len(first)
        while True:
            data = c.read(4, off, 70)
            if not data:
                break
            names += nt.stat_names(data)
            off += len(data)
        self.assertEqual(names, ["e2", "e3", "e4"])      # none skipped
        self.assertEqual(self.error_of(c.read, 4, 1, 70), "Invalid argument")   # a bad offset
        c.clunk(4)

    def test_union_directory_read(self):
        c = self.connect("9P2000")
        c.walk(1, 2, ["tmp", "ub"])
        c.open(2, 0)
        self.assertEqual(nt.stat_names(c.read(2, 0, 4000)), ["x", "only_a", "y"])
        c.clunk(2)
        c.walk(1, 3, ["tmp", "ub", "x"])
        c.open(3, 0)
        self.assertEqual(c.read(3, 0, 10), b"A\n")     # the first member's x
        c.clunk(3)
        c.walk(1, 4, ["tmp", "ub"])
        self.assertEqual(self.error_of(c.create, 4, "n", 0o644, 1),
                         "permission denied")   # forbids creation: EACCES's word

    def test_dotl_messages_are_not_9p2000(self):
        c = self.connect("9P2000")
        for fn, args in ((c.setattr, (1, MODE, 0o755)), (c.rename, (1, 1, "x")),
                         (c.lock, (1, WRLCK, 0, 1, 1)), (c.symlink, (1, "l", "t")),
                         (c.readlink, (1,)), (c.xattrwalk, (1, 2, ""))):
            self.assertRegex(self.error_of(fn, *args), "not part of 9P2000")


class MetaDotL(MetaTest):
    def test_getattr_and_setattr(self):
        c = self.connect("9P2000.L")
        self.new_file(c, 2, ["tmp", "w"], "sa", b"0123456789")
        a = c.getattr(2)
        self.assertEqual((a["mode"] & S_IFMT, a["mode"] & 0o777, a["size"]), (S_IFREG, 0o644, 10))
        c.setattr(2, MODE | SIZE | ATIME | ATIME_SET | MTIME | MTIME_SET | CTIME,
                  mode=S_IFREG | 0o640, size=4, atime=1000, mtime=2000)
        a = c.getattr(2)
        self.assertEqual((a["mode"] & 0o777, a["size"], a["atime"], a["mtime"]), (0o640, 4, 1000, 2000))
        # ctime is the change's own time, whatever mtime was set to (POSIX)
        self.assertLess(abs(a["ctime"] - time.time()), 120)
        # set-user-id, set-group-id and sticky are kept for the client
        for m in (0o6755, 0o1644, 0o640):
            c.setattr(2, MODE, mode=S_IFREG | m)
            self.assertEqual(c.getattr(2)["mode"], S_IFREG | m)
        c.setattr(2, SIZE, size=6)                          # grow: zeros
        c.walk(1, 3, ["tmp", "w", "sa"])
        c.open(3, 0)
        self.assertEqual(c.read(3, 0, 100), b"0123\0\0")
        c.setattr(2, MTIME)                                 # "now", the server's clock
        self.assertLess(abs(c.getattr(2)["mtime"] - time.time()), 120)
        # failures, each leaving everything as it was (a mode that would be
        # kept, asked with an owner that does not exist: neither changes)
        before = c.getattr(2)
        # uid 1 is nobody's in /adm/users: refused whole, nothing changes
        self.assertEqual(self.errno_of(c.setattr, 2, MODE | SIZE | UID, 0o600, 5, 0, 1), EINVAL)
        self.assertEqual(self.errno_of(c.setattr, 2, MODE | UID, mode=0o4755, uid=1), EINVAL)
        self.assertEqual(self.errno_of(c.setattr, 77, MODE, 0o600), EBADF)
        after = c.getattr(2)
        self.assertEqual((after["mode"], after["size"]), (before["mode"], before["size"]))
        c.walk(1, 4, ["tmp", "w"])
        self.assertEqual(self.errno_of(c.setattr, 4, SIZE, size=3), EISDIR)
        c.walk(1, 5, ["dev", "null"])
        self.assertEqual(self.errno_of(c.setattr, 5, MODE, 0o600), EOPNOTSUPP)
        # permissions are enforced: a 0444 file does not open for writing
        c.setattr(2, MODE, 0o444)
        c.walk(1, 6, ["tmp", "w", "sa"])
        self.assertEqual(self.errno_of(c.open, 6, 1), EACCES)
        for f in (2, 3, 4, 5, 6):
            c.clunk(f)

    def test_rename(self):
        c = self.connect("9P2000.L")
        c.walk(1, 2, ["tmp", "w"])
        c.rpc(nt.TMKDIR, struct.pack("<I", 2) + s("rn") + struct.pack("<II", 0o755, 0))
        c.rpc(nt.TMKDIR, struct.pack("<I", 2) + s("rn2") + struct.pack("<II", 0o755, 0))
        self.new_file(c, 3, ["tmp", "w", "rn"], "f", b"data")
        c.clunk(3)
        c.walk(1, 4, ["tmp", "w", "rn", "f"])
        c.walk(1, 5, ["tmp", "w", "rn2"])
        c.rename(4, 5, "g")                       # across directories
        self.assertEqual(len(c.walk(1, 6, ["tmp", "w", "rn2", "g"])), 4)
        c.clunk(6)
        self.assertEqual(len(c.walk(1, 6, ["tmp", "w", "rn", "f"])), 3)     # gone
        self.assertEqual(c.getattr(4)["size"], 4)                           # the fid followed
        c.walk(4, 7, [])
        c.open(7, 0)
        self.assertEqual(c.read(7, 0, 10), b"data")
        c.clunk(7)
        # a directory fid follows too, and walks from it work
        c.walk(1, 8, ["tmp", "w", "rn"])
        c.rename(8, 2, "rn3")
        self.assertEqual(len(c.walk(8, 9, [])), 0)
        c.clunk(9)
        # failures
        c.walk(1, 10, ["tmp", "w", "rn2", "g"])
        self.assertEqual(self.errno_of(c.rename, 4, 10, "x"), ENOTDIR)      # dfid is a file
        self.assertEqual(self.errno_of(c.rename, 4, 5, "a/b"), EINVAL)
        self.assertEqual(self.errno_of(c.rename, 4, 77, "x"), EBADF)
        self.assertEqual(self.errno_of(c.rename, 8, 8, "x"), EINVAL)        # into itself
        c.walk(1, 11, ["dev"])
        self.assertEqual(self.errno_of(c.rename, 4, 11, "x"), EXDEV)
        self.assertEqual(self.errno_of(c.rename, 1, 5, "root"), EACCES)     # the attach root
        for f in (2, 4, 5, 8, 10, 11):
            c.clunk(f)

    def test_renameat(self):
        c = self.connect("9P2000.L")
        self.new_file(c, 2, ["tmp", "w"], "ra", b"new")
        c.clunk(2)
        self.new_file(c, 2, ["tmp", "w"], "rb", b"old")
        c.clunk(2)
        c.walk(1, 3, ["tmp", "w"])
        c.renameat(3, "ra", 3, "rb")          # replaces rb, like rename(2)
        c.walk(1, 4, ["tmp", "w", "rb"])
        c.open(4, 0)
        self.assertEqual(c.read(4, 0, 10), b"new")
        c.clunk(4)
        self.assertEqual(self.errno_of(c.renameat, 3, "ra", 3, "rc"), ENOENT)
        c.rpc(nt.TMKDIR, struct.pack("<I", 3) + s("full") + struct.pack("<II", 0o755, 0))
        c.rpc(nt.TMKDIR, struct.pack("<I", 3) + s("empty") + struct.pack("<II", 0o755, 0))
        self.new_file(c, 5, ["tmp", "w", "full"], "in")
        c.clunk(5)
        self.assertEqual(self.errno_of(c.renameat, 3, "empty", 3, "full"), ENOTEMPTY)
        self.assertEqual(self.errno_of(c.renameat, 3, "rb", 3, "empty"), EISDIR)
        self.assertEqual(self.errno_of(c.renameat, 3, "rb", 99, "x"), EBADF)
        self.assertEqual(self.errno_of(c.renameat, 3, "..", 3, "x"), EINVAL)
        c.clunk(3)

    def test_symlink_and_readlink(self):
        c = self.connect("9P2000.L")
        c.walk(1, 2, ["tmp", "l"])
        q = c.symlink(2, "ln", "../w/target")
        self.assertEqual(q[0], 0x02)                 # QTSYMLINK
        c.walk(1, 3, ["tmp", "l", "ln"])
        self.assertEqual(c.readlink(3), "../w/target")
        self.assertEqual(c.getattr(3)["mode"] & S_IFMT, S_IFLNK)
        c.open(2, 0)
        ents = c.read(2, 0, 4000, nt.TREADDIR)
        self.assertEqual(ents[24 - 3], 10)           # DT_LNK
        c.clunk(2)
        # failures
        c.walk(1, 4, ["tmp", "l"])
        self.assertEqual(self.errno_of(c.symlink, 4, "ln", "x"), EEXIST)
        self.assertEqual(self.errno_of(c.symlink, 4, "e", ""), EINVAL)
        self.assertEqual(self.errno_of(c.symlink, 3, "x", "y"), ENOTDIR)
        self.assertEqual(self.errno_of(c.symlink, 99, "x", "y"), EBADF)
        self.assertEqual(self.errno_of(c.readlink, 4), EINVAL)      # a directory
        self.assertEqual(self.errno_of(c.readlink, 99), EBADF)
        self.assertEqual(self.errno_of(c.open, 3, 1), EACCES)       # written by replacing only
        for f in (3, 4):
            c.clunk(f)

    def test_hard_links(self):
        """Tlink: a second name for one file, counted in Rgetattr's nlink;
        a directory's count is 2 + its subdirectories."""
        c = self.connect("9P2000.L")
        c.walk(1, 3, ["tmp", "w"])
        c.rpc(nt.TMKDIR, struct.pack("<I", 3) + nt.s("hl") + struct.pack("<II", 0o755, 0))
        c.walk(1, 13, ["tmp", "w", "hl"])
        d = 13
        self.assertEqual(c.getattr(d)["nlink"], 2)
        self.new_file(c, 2, ["tmp", "w", "hl"], "lk", b"shared")
        self.assertEqual(c.getattr(2)["nlink"], 1)
        c.link(d, 2, "lk2")
        self.assertEqual(c.getattr(2)["nlink"], 2)
        c.walk(d, 4, ["lk2"])
        a, b = c.getattr(2), c.getattr(4)
        self.assertEqual((a["qid"], b["nlink"]), (b["qid"], 2))     # one file
        c.open(4, 0)
        self.assertEqual(c.read(4, 0, 100), b"shared")
        # refused: a taken name, a directory, a file as the directory,
        # another device, unknown fids, bad names
        self.assertEqual(self.errno_of(c.link, d, 2, "lk2"), EEXIST)
        self.assertEqual(self.errno_of(c.link, 3, d, "dir2"), EPERM)
        self.assertEqual(self.errno_of(c.link, 2, 2, "x"), ENOTDIR)
        c.walk(1, 5, ["dev"])
        self.assertEqual(self.errno_of(c.link, 5, 2, "x"), EXDEV)
        self.assertEqual(self.errno_of(c.link, d, 99, "lk3"), EBADF)
        self.assertEqual(self.errno_of(c.link, 99, 2, "lk3"), EBADF)
        self.assertEqual(self.errno_of(c.link, d, 2, "a/b"), EINVAL)
        self.assertEqual(self.errno_of(c.link, d, 2, ".."), EINVAL)
        self.assertEqual(self.errno_of(c.link, d, 2, "n" * 300), ENAMETOOLONG)
        # rename(2) onto another name of the same file does nothing
        c.renameat(d, "lk", d, "lk2")
        self.assertEqual(len(c.walk(d, 6, ["lk"])), 1)
        self.assertEqual(c.getattr(6)["nlink"], 2)
        c.clunk(6)
        # one name goes, the file stays under the other; the last goes
        # and the open fid reads on, counting no names
        c.rpc(nt.TUNLINKAT, struct.pack("<I", d) + nt.s("lk") + struct.pack("<I", 0))
        self.assertEqual(c.getattr(4)["nlink"], 1)
        c.rpc(nt.TUNLINKAT, struct.pack("<I", d) + nt.s("lk2") + struct.pack("<I", 0))
        self.assertEqual(c.getattr(4)["nlink"], 0)
        self.assertEqual(c.read(4, 0, 100), b"shared")
        self.assertEqual(self.errno_of(c.link, d, 4, "again"), ENOENT)
        # directory counts through mkdir, rename and unlinkat
        c.rpc(nt.TMKDIR, struct.pack("<I", d) + nt.s("s1") + struct.pack("<II", 0o755, 0))
        self.assertEqual(c.getattr(d)["nlink"], 3)
        c.renameat(d, "s1", 3, "s1moved")
        self.assertEqual(c.getattr(d)["nlink"], 2)
        c.rpc(nt.TUNLINKAT, struct.pack("<I", 3) + nt.s("s1moved") + struct.pack("<I", 0x200))
        for f in (2, 4, 5, d, 3):
            c.clunk(f)

    def test_locks(self):
        a, b = self.connect("9P2000.L"), self.connect("9P2000.L")
        self.new_file(a, 2, ["tmp", "w"], "lockme")
        b.walk(1, 2, ["tmp", "w", "lockme"])
        b.open(2, 2)
        self.assertEqual(a.lock(2, WRLCK, 0, 100, 7), SUCCESS)
        self.assertEqual(b.lock(2, RDLCK, 50, 10, 8), BLOCKED)
        self.assertEqual(b.lock(2, RDLCK, 50, 10, 8, flags=1), BLOCKED)   # the client retries
        self.assertEqual(b.getlock(2, WRLCK, 0, 0, 8), (WRLCK, 0, 100, 7))
        self.assertEqual(a.getlock(2, WRLCK, 0, 0, 7)[0], UNLCK)          # one's own: no conflict
        self.assertEqual(a.lock(2, UNLCK, 0, 50, 7), SUCCESS)             # cut to [50, 100)
        self.assertEqual(b.lock(2, WRLCK, 10, 10, 8), SUCCESS)
        self.assertEqual(b.lock(2, RDLCK, 60, 1, 8), BLOCKED)
        self.assertEqual(a.lock(2, UNLCK, 70, 10, 7), SUCCESS)            # split in two
        self.assertEqual(b.lock(2, WRLCK, 75, 1, 8), SUCCESS)
        self.assertEqual(b.lock(2, WRLCK, 85, 1, 8), BLOCKED)
        # read locks share
        self.new_file(a, 3, ["tmp", "w"], "shared")
        b.walk(1, 3, ["tmp", "w", "shared"])
        self.assertEqual(a.lock(3, RDLCK, 0, 0, 7), SUCCESS)
        self.assertEqual(b.lock(3, RDLCK, 0, 0, 8), SUCCESS)
        self.assertEqual(b.lock(3, WRLCK, 0, 0, 8), BLOCKED)
        # failures
        self.assertEqual(self.errno_of(a.lock, 2, 7, 0, 1, 7), EINVAL)
        self.assertEqual(self.errno_of(a.lock, 99, WRLCK, 0, 1, 7), EBADF)
        self.assertEqual(self.errno_of(a.lock, 2, WRLCK, 2**64 - 1, 2, 7), EINVAL)
        self.assertEqual(self.errno_of(a.getlock, 2, UNLCK, 0, 1, 7), EINVAL)
        self.assertEqual(self.errno_of(a.getlock, 99, WRLCK, 0, 1, 7), EBADF)
        # a connection's locks go with it
        a.close()
        deadline = time.monotonic() + 10
        while b.lock(2, WRLCK, 85, 1, 8) != SUCCESS:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertEqual(b.lock(3, WRLCK, 0, 0, 8), SUCCESS)

    def test_lock_bounds(self):
        a, b = self.connect("9P2000.L"), self.connect("9P2000.L")
        self.new_file(a, 2, ["tmp", "w"], "many")
        b.walk(1, 2, ["tmp", "w", "many"])
        for i in range(64):                  # NINEP_CONNLOCKS, apart so none merge
            self.assertEqual(a.lock(2, WRLCK, 10 * i, 1, 7), SUCCESS)
        self.assertEqual(self.errno_of(a.lock, 2, WRLCK, 1000, 1, 7), ENOLCK)
        self.assertEqual(a.lock(2, UNLCK, 0, 1, 7), SUCCESS)     # an unlock still works
        self.assertEqual(a.lock(2, WRLCK, 1000, 1, 7), SUCCESS)
        self.assertEqual(b.lock(2, WRLCK, 5, 1, 8), SUCCESS)      # the others are not starved
        self.assertEqual(a.lock(2, UNLCK, 0, 0, 7), SUCCESS)      # all of them at once
        self.assertEqual(b.lock(2, WRLCK, 10, 1, 8), SUCCESS)

    def test_xattrs_are_not_supported(self):
        c = self.connect("9P2000.L")
        self.assertEqual(self.errno_of(c.xattrwalk, 1, 2, "user.x"), EOPNOTSUPP)
        self.assertEqual(self.errno_of(c.xattrwalk, 1, 2, ""), EOPNOTSUPP)     # listxattr
        self.assertEqual(self.errno_of(c.xattrcreate, 1, "user.x", 3), EOPNOTSUPP)
        self.assertEqual(self.errno_of(c.xattrwalk, 99, 2, "user.x"), EBADF)
        self.assertEqual(self.errno_of(c.xattrcreate, 99, "user.x", 3), EBADF)
        self.assertEqual(len(c.walk(1, 2, [])), 0)     # newfid 2 was never made

    def test_readdir_offsets_survive_creates_and_removes(self):
        c = self.connect("9P2000.L")
        c.walk(1, 2, ["tmp", "w"])
        c.rpc(nt.TMKDIR, struct.pack("<I", 2) + s("rdl") + struct.pack("<II", 0o755, 0))
        c.clunk(2)
        for n in ("e1", "e2", "e3", "e4", "e5"):
            self.new_file(c, 3, ["tmp", "w", "rdl"], n)
            c.clunk(3)
        c.walk(1, 4, ["tmp", "w", "rdl"])
        c.open(4, 0)
        first = nt.dirents(c.read(4, 0, 24 + 2 + 24 + 2, nt.TREADDIR))   # two entries fit
        self.assertEqual([n for n, _ in first], ["e1", "e2"])
        # meanwhile: the two read and one ahead go, one is added
        for n in ("e1", "e2", "e4"):
            c.walk(1, 5, ["tmp", "w", "rdl", n])
            c.rpc(nt.TREMOVE, struct.pack("<I", 5))
        self.new_file(c, 6, ["tmp", "w", "rdl"], "e6")
        c.clunk(6)
        rest = nt.dirents(c.read(4, first[-1][1], 4000, nt.TREADDIR))
        self.assertEqual([n for n, _ in rest], ["e3", "e5", "e6"])
        # resuming at any offset given, again
        self.assertEqual(nt.dirents(c.read(4, rest[0][1], 4000, nt.TREADDIR)), rest[1:])
        self.assertEqual(nt.dirents(c.read(4, rest[-1][1], 4000, nt.TREADDIR)), [])
        # too small for one entry: an error, not a false end
        self.assertEqual(self.errno_of(c.read, 4, 0, 10, nt.TREADDIR), EINVAL)
        self.assertEqual(self.errno_of(c.read, 99, 0, 100, nt.TREADDIR), EBADF)
        c.clunk(4)

    def test_union_readdir_and_ctl_file_over_9p(self):
        c = self.connect("9P2000.L")
        c.walk(1, 2, ["tmp", "uc"])
        c.open(2, 0)
        self.assertEqual([n for n, _ in nt.dirents(c.read(2, 0, 4000, nt.TREADDIR))],
                         ["x", "only_a"])       # uc itself is empty, ua behind it
        c.clunk(2)
        # the ctl file: a connection has a namespace of its own, its
        # proc's, whose pid /dev/pid gives; init's is not its to change
        c.walk(1, 3, ["proc", "1", "ns"])
        c.open(3, 1)
        self.assertEqual(self.errno_of(c.write, 3, 0, b"unmount /tmp/uc\n"), EACCES)
        c.clunk(3)
        c.walk(1, 3, ["dev", "pid"])
        c.open(3, 0)
        pid = c.read(3, 0, 100).decode()
        c.clunk(3)
        c.walk(1, 3, ["proc", pid, "ns"])
        c.open(3, 1)
        line = b"unmount /tmp/uc\n"
        self.assertEqual(c.write(3, 0, line), len(line))
        self.assertEqual(self.errno_of(c.write, 3, 0, b"bind -x /a /b\n"), EINVAL)
        self.assertEqual(self.errno_of(c.write, 3, 0, b"unmount /tmp/uc\n"), ENOENT)
        c.clunk(3)
        c.walk(1, 4, ["tmp", "uc"])
        c.open(4, 0)
        self.assertEqual(nt.dirents(c.read(4, 0, 4000, nt.TREADDIR)), [])
        c.clunk(4)
        c.walk(1, 5, ["proc", "1", "ns"])
        c.open(5, 0)
        self.assertIn(b"bind -b /tmp/ua /tmp/ub\n", c.read(5, 0, 4000))
        c.clunk(5)

    def test_9p2000_messages_are_not_dotl(self):
        c = self.connect("9P2000.L")
        self.assertEqual(self.errno_of(c.wstat, 1, mode=0o755), EPROTO)
        self.assertEqual(self.errno_of(c.stat, 1), EPROTO)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: ninep_meta_test.py PATH/TO/luxsim [unittest args]")
    nt.LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=2)
