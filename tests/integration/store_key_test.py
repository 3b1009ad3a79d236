#!/usr/bin/env python3
"""luxsim --store PATH --store-key FILE: the drive opened as the encrypted
store (docs/store.md, "The format on the drive", "Keys").

Usage: store_key_test.py PATH/TO/luxsim [unittest args]

Every file is made in a temporary directory of the test's own.

- A new (blank) drive gets a new store; the next run opens it; the
  passphrase is nowhere in the file.
- A wrong passphrase, a damaged store (both superblocks) and a file that
  is not a store: one clear line, the machine boots and runs its shell
  with the RAM root, and the file is byte-for-byte unchanged.
- A key file others may read, or that is missing, is refused in one line,
  and the drive is left alone; --store-key without --store is refused.
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

LUXSIM = None
TIMEOUT = 60
PASS = b"correct horse battery staple"


def run(tmp, args=(), stdin=b""):
    """Run luxsim with its state in tmp; (status, stdout, stderr)."""
    p = subprocess.run([LUXSIM, "--no-listen", "--state-dir", os.path.join(tmp, "state"), *args],
                       input=stdin, capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class StoreKey(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="luxstorekey-")
        self.tmp = self.tmpdir.name
        self.path = os.path.join(self.tmp, "disk")
        self.key = self.keyfile("key", PASS + b"\n")

    def tearDown(self):
        self.tmpdir.cleanup()

    def keyfile(self, name, data, mode=0o600):
        path = os.path.join(self.tmp, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, data)
        os.close(fd)
        os.chmod(path, mode)
        return path

    def boot(self, key, cmd="echo alive"):
        return run(self.tmp, ["--store", self.path, "--store-size", "4M", "--store-key", key,
                              "-c", cmd])

    def test_made_then_opened(self):
        rc, out, err = self.boot(self.key)
        self.assertEqual(rc, 0, err)
        self.assertIn("made a new file of 4194304 bytes", err)
        self.assertIn("made a new store, commit 1, 0 keys", out)
        self.assertIn("alive", out)
        rc, out, err = self.boot(self.key)
        self.assertEqual(rc, 0, err)
        self.assertIn("store: %s: opened, commit 1, 0 keys" % self.path, out)
        with open(self.path, "rb") as f:
            data = f.read()
        self.assertNotIn(PASS, data)
        self.assertNotIn(PASS[:8], data)
        self.assertEqual(data[4096:4104], b"LUX9STOR")   # commit 1's superblock, block 1

    def assert_fallback(self, key, says):
        before = digest(self.path)
        rc, out, err = self.boot(key, "echo ram > /tmp/x; cat /tmp/x")
        self.assertEqual(rc, 0, err)
        self.assertIn(says, out + err)
        self.assertIn("booting with the RAM root only, the drive left as it was", out)
        self.assertIn("ram", out)
        self.assertEqual(digest(self.path), before)

    def test_wrong_passphrase(self):
        self.assertEqual(self.boot(self.key)[0], 0)
        wrong = self.keyfile("wrong", b"correct horse battery stapler\n")
        self.assert_fallback(wrong, "the passphrase does not open the store on")
        rc, out, _ = self.boot(self.key)    # the right one still opens it
        self.assertIn("opened, commit 1", out)

    def test_damaged(self):
        self.assertEqual(self.boot(self.key)[0], 0)
        with open(self.path, "r+b") as f:   # a byte of each superblock's wrapped key
            for off in (100, 4096 + 100):
                f.seek(off)
                b = f.read(1)
                f.seek(off)
                f.write(bytes([b[0] ^ 0x40]))
        self.assert_fallback(self.key, "does not open the store on")

    def test_not_a_store(self):
        with open(self.path, "wb") as f:
            f.write(os.urandom(8192) + bytes(4 << 20))
        self.assert_fallback(self.key, "holds something that is not a store")

    def test_key_file_refused(self):
        loose = self.keyfile("loose", PASS, 0o644)
        rc, out, err = self.boot(loose)
        self.assertEqual(rc, 0, err)
        self.assertIn("--store-key %s: must be a regular file of yours with mode 0600" % loose, err)
        self.assertNotIn("store: %s:" % self.path, out)
        self.assertEqual(open(self.path, "rb").read(8192), bytes(8192))  # not formatted
        rc, out, err = self.boot(os.path.join(self.tmp, "missing"))
        self.assertEqual(rc, 0, err)
        self.assertIn("No such file or directory; the store is not opened", err)
        rc, _, err = run(self.tmp, ["--store-key", self.key, "-c", "echo"])
        self.assertEqual(rc, 64)
        self.assertIn("--store-key opens the --store drive: add --store PATH", err)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: store_key_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=1)
