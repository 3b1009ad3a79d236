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
- The root tree in the store: a file written from the shell and one
  written over 9P survive halt and a restart, /tmp does not, and neither
  file's bytes are in the store file; files acknowledged by Tfsync survive
  SIGKILL at random moments while more are written, run after run.
- Keys: an Ed25519 key made in one run signs in the next with the same
  public key (and the same signature: Ed25519 is deterministic); an AEAD
  key is not kept (its given-nonce marks are not).
"""
import hashlib
import os
import random
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metal  # noqa: E402
import ninep_test  # noqa: E402  (its 9P client)

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


@metal.luxsim_only
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
        # the halt synced the root tree: its five directories (/tmp is not
        # kept), and the keystore's value
        self.assertIn("store: %s: opened, commit 2, 6 keys" % self.path, out)
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
        self.assertIn("opened, commit 2", out)

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
        with open(self.path, "rb") as f:
            self.assertEqual(f.read(8192), bytes(8192))  # not formatted
        rc, out, err = self.boot(os.path.join(self.tmp, "missing"))
        self.assertEqual(rc, 0, err)
        self.assertIn("No such file or directory; the store is not opened", err)
        rc, _, err = run(self.tmp, ["--store-key", self.key, "-c", "echo"])
        self.assertEqual(rc, 64)
        self.assertIn("--store-key opens the --store drive: add --store PATH", err)


@metal.luxsim_only
class RootTree(unittest.TestCase):
    """The root RAM tree written back to the store and loaded at boot."""

    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="luxroot-")
        self.tmp = self.tmpdir.name
        self.path = os.path.join(self.tmp, "disk")
        self.sock = os.path.join(self.tmp, "9p.sock")
        self.key = os.path.join(self.tmp, "key")
        fd = os.open(self.key, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, PASS)
        os.close(fd)

    def tearDown(self):
        self.tmpdir.cleanup()

    def start(self):
        """A luxsim with a shell on stdin, serving 9P on a unix socket."""
        p = subprocess.Popen([LUXSIM, "-q", "--state-dir", os.path.join(self.tmp, "state"),
                              "--listen", "unix!" + self.sock, "--store", self.path,
                              "--store-size", "16M", "--store-key", self.key],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.shell(p, "echo up")
        return p

    def shell(self, p, cmd):
        p.stdin.write(cmd.encode() + b"\necho end-of-cmd\n")
        p.stdin.flush()
        lines = []
        while True:
            line = p.stdout.readline()
            self.assertTrue(line, "luxsim ended during %r" % cmd)
            if line.strip() == b"end-of-cmd":
                return lines
            lines.append(line.decode(errors="replace").rstrip("\n"))

    def client(self):
        c = ninep_test.Client(self.sock, "9P2000.L")
        c.attach(1)
        return c

    def put(self, c, fid, dirs, name, data, fsync=True):
        c.walk(1, fid, dirs)
        c.create(fid, name, 0o644, 2)
        self.assertEqual(c.write(fid, 0, data), len(data))
        if fsync:
            c.rpc(ninep_test.TFSYNC, struct.pack("<II", fid, 0))
        c.clunk(fid)

    def test_survives_halt(self):
        p = self.start()
        self.shell(p, "mkdir /home; echo from the shell MARKER-SHELL > /home/shell.txt; "
                      "echo scratch > /tmp/scratch")
        c = self.client()
        self.put(c, 2, ["home"], "ninep.txt", b"over 9P MARKER-NINEP\n", fsync=False)
        c.close()
        out, err = p.communicate(b"halt\n", timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, err)
        with open(self.path, "rb") as f:
            data = f.read()
        for secret in (b"MARKER-SHELL", b"MARKER-NINEP", b"from the shell", b"over 9P", PASS):
            self.assertNotIn(secret, data)
        rc, out, err = run(self.tmp, ["--store", self.path, "--store-key", self.key, "-c",
                                      "cat /home/shell.txt; cat /home/ninep.txt; ls /tmp"])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"root tree loaded: [34] names")   # /home, 2 files (/9p)
        self.assertIn("from the shell MARKER-SHELL\n", out)
        self.assertIn("over 9P MARKER-NINEP\n", out)
        self.assertNotIn("scratch", out)

    def test_removed_stays_removed(self):
        args = ["--store", self.path, "--store-size", "16M", "--store-key", self.key, "-c"]
        steps = ["mkdir /d; echo a > /d/a; echo b > /d/b; echo c > /c",
                 "rm /d/a; rm /c; echo b2 > /d/b",
                 "ls /d; cat /d/b; ls /",
                 "ls /d; cat /d/b; ls /"]
        outs = []
        for cmd in steps:
            rc, out, err = run(self.tmp, args + [cmd])
            self.assertEqual(rc, 0, err)
            outs.append(out)
        for out in outs[2:]:    # removed after a boot: gone for good, not back from an old record
            self.assertIn("\nb\nb2\n", out)
            self.assertNotIn("\na\n", out)
            self.assertNotIn("\nc\n", out)
        keys = [re.search(r"opened, commit \d+, (\d+) keys", o).group(1) for o in outs[2:]]
        self.assertEqual(keys[0], keys[1])      # nothing piles up from boot to boot

    def test_keys_survive(self):
        sign = ("cat /secure/crypto/sign/clone; echo key mykey > /secure/crypto/sign/1/ctl; "
                "echo signed > /secure/crypto/sign/1/data; cat /secure/crypto/sign/1/data; "
                "cat /secure/crypto/keys/mykey; ls /secure/crypto/keys")
        args = ["--store", self.path, "--store-size", "16M", "--store-key", self.key, "-c"]
        rc, first, err = run(self.tmp, args + ["echo gen ed25519 mykey > /secure/crypto/keys/ctl; "
                                               "echo gen aead ak > /secure/crypto/keys/ctl; " + sign])
        self.assertEqual(rc, 0, err)
        rc, second, err = run(self.tmp, args + [sign])
        self.assertEqual(rc, 0, err)
        self.assertIn("store: 1 keys loaded", second)
        pub = re.search(r"public ([0-9a-f]{64})\n", first).group(1)
        sig = re.search(r"\n([0-9a-f]{128})\n", first).group(1)
        self.assertIn("public %s\n" % pub, second)
        self.assertIn("\n%s\n" % sig, second)
        self.assertIn("\nak\n", first)
        self.assertNotIn("\nak", second)
        with open(self.path, "rb") as f:
            self.assertNotIn(b"mykey", f.read())

    def test_tfsync_survives_sigkill(self):
        rng = random.Random(int(os.environ.get("STORE_SEED", "13")))
        acked = {}
        for run_no in range(4):
            p = self.start()
            c = self.client()
            c.walk(1, 2, [])
            c.rpc(ninep_test.TMKDIR, struct.pack("<I", 2) + ninep_test.s("r%d" % run_no) +
                  struct.pack("<II", 0o755, 0))
            c.clunk(2)
            stop = rng.randint(3, 25)
            for i in range(stop):
                name = "f%d" % i
                body = (b"run %d file %d " % (run_no, i)) * rng.randint(1, 400)
                self.put(c, 3, ["r%d" % run_no], name, body)
                acked[("r%d" % run_no, name)] = body
            # one more in flight when the kill comes, never acknowledged
            c.walk(1, 4, ["r%d" % run_no])
            c.create(4, "late", 0o644, 2)
            c.send(ninep_test.msg(ninep_test.TWRITE, 77, struct.pack("<IQI", 4, 0, 5) + b"late\n"))
            # and its Tfsync, unanswered when the kill comes: often in the
            # middle of that commit's writes and flushes
            c.send(ninep_test.msg(ninep_test.TFSYNC, 78, struct.pack("<II", 4, 0)))
            time.sleep(rng.random() * 0.01)
            p.send_signal(signal.SIGKILL)
            p.wait(timeout=TIMEOUT)
            p.stdin.close()
            p.stdout.close()
            p.stderr.close()
            c.close()
        rc, out, err = run(self.tmp, ["--store", self.path, "--store-key", self.key, "-c",
                                      "echo opened"])
        self.assertEqual(rc, 0, err)
        self.assertIn("opened, commit", out)
        p = self.start()
        c = self.client()
        for (d, name), body in sorted(acked.items()):
            c.walk(1, 5, [d, name])
            c.open(5, 0)
            got = b""
            while len(got) < len(body) + 1:
                chunk = c.read(5, len(got), 8000)
                if not chunk:
                    break
                got += chunk
            c.clunk(5)
            self.assertEqual(got, body, "%s/%s" % (d, name))
        for run_no in range(4):     # the unacknowledged one: old, new or absent
            try:
                if len(c.walk(1, 6, ["r%d" % run_no, "late"])) < 2:
                    continue        # a partial walk makes no fid
            except ninep_test.NinepError:
                continue
            c.open(6, 0)
            self.assertIn(c.read(6, 0, 100), (b"", b"late\n"))
            c.clunk(6)
        c.close()
        p.communicate(b"halt\n", timeout=TIMEOUT)
        print("  %d files acknowledged by Tfsync over 4 runs ended by SIGKILL: all intact"
              % len(acked), file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: store_key_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=1)
