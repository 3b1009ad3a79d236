#!/usr/bin/env python3
"""luxsim --store: a plain file as block device 0 (docs/store.md).

Usage: store_test.py PATH/TO/luxsim [unittest args]

Every file is made in a temporary directory of the test's own; nothing
else is written.

- A missing file is made, --store-size long, said on stderr; /dev/blk
  shows its path, size and sectors; a second run opens it as it is.
- A sector written and flushed with the console's blk is in the file at
  sector * 512, zero-padded, and the next run reads it back; the
  requests are counted in /dev/blk.
- A sector past the end, and a write too long for a sector, are
  sentences; nothing reaches the file.
- A file that cannot be a device (a directory, a size that is not a
  multiple of 512, an empty file) is said in one line and the machine
  boots without a device; the file is unchanged.
- One machine per file: while one luxsim has it, another says it is in
  use and boots without it; once the first has halted, the file opens.
- --store with --seed, and --store-size without --store or malformed,
  are refused (status 64).
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

LUXSIM = None
TIMEOUT = 60


def run(tmp, args=(), stdin=b""):
    """Run luxsim with its state in tmp; (status, stdout, stderr)."""
    p = subprocess.run([LUXSIM, "--no-listen", "--state-dir", os.path.join(tmp, "state"), *args],
                       input=stdin, capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def status(text):
    """/dev/blk's lines as a dict (the first device)."""
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        out.setdefault(k, v)
    return out


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Store(unittest.TestCase):
    def setUp(self):
        self.tmpdir = tempfile.TemporaryDirectory(prefix="luxstore-")
        self.tmp = self.tmpdir.name
        self.path = os.path.join(self.tmp, "disk")

    def tearDown(self):
        self.tmpdir.cleanup()

    def test_made_when_missing(self):
        rc, out, err = run(self.tmp, ["--store", self.path, "--store-size", "1M",
                                      "-c", "cat /dev/blk"])
        self.assertEqual(rc, 0, err)
        self.assertIn("made a new file of 1048576 bytes", err)
        self.assertEqual(os.path.getsize(self.path), 1 << 20)
        self.assertEqual(os.stat(self.path).st_mode & 0o777, 0o600)
        st = status(out)
        self.assertEqual(st["dev"], "0")
        self.assertEqual(st["name"], self.path)
        self.assertEqual(st["size"], str(1 << 20))
        self.assertEqual(st["sectors"], str((1 << 20) // 512))
        self.assertEqual(st["sector_size"], "512")
        self.assertEqual(st["errors"], "0")
        # a second run opens it as it is: not made again, size kept
        rc, out, err = run(self.tmp, ["--store", self.path, "--store-size", "2M",
                                      "-c", "cat /dev/blk"])
        self.assertEqual(rc, 0, err)
        self.assertNotIn("made a new file", err)
        self.assertEqual(status(out)["sectors"], "2048")
        self.assertEqual(os.path.getsize(self.path), 1 << 20)

    def test_banner_names_it(self):
        rc, out, err = run(self.tmp, ["--store", self.path, "-v", "-c", "echo up"])
        self.assertEqual(rc, 0, err)
        self.assertIn("blk0: %s: 131072 sectors of 512 bytes (65536 KiB), made at this boot"
                      % self.path, out)

    def test_write_flush_read_back(self):
        rc, out, err = run(self.tmp, ["--store", self.path, "--store-size", "64K", "-c",
                                      "blk write 5 hello-sector-five; blk write 127 last; "
                                      "blk flush; cat /dev/blk"])
        self.assertEqual(rc, 0, err)
        st = status(out)
        self.assertEqual((st["writes"], st["flushes"], st["errors"]), ("2", "1", "0"))
        self.assertEqual(st["bytes_written"], "1024")
        with open(self.path, "rb") as f:
            data = f.read()
        self.assertEqual(data[5 * 512:6 * 512], b"hello-sector-five".ljust(512, b"\0"))
        self.assertEqual(data[127 * 512:128 * 512], b"last".ljust(512, b"\0"))
        self.assertEqual(data[:5 * 512], bytes(5 * 512))    # nothing else written
        # the next run reads them back through the device
        rc, out, err = run(self.tmp, ["--store", self.path, "-c",
                                      "blk read 5; blk read 127; blk read 6; cat /dev/blk"])
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[:3], ["hello-sector-five", "last", ""])
        self.assertEqual(status("\n".join(lines[3:]))["reads"], "3")

    def test_refusals_are_sentences(self):
        rc, _, err = run(self.tmp, ["--store", self.path, "--store-size", "64K", "-c", "blk flush"])
        self.assertEqual(rc, 0, err)
        before = digest(self.path)
        rc, out, err = run(self.tmp, ["--store", self.path, "-c",
                                      "blk write 128 x; blk read 1x; blk write 0 " + "y" * 600
                                      + "; cat /dev/blk"])
        self.assertEqual(rc, 0, err)    # the last command's
        self.assertIn("blk: sector 128: not a number from 0 to 127", out)
        self.assertIn("blk: sector 1x: not a number from 0 to 127", out)
        self.assertIn("blk: 600 bytes do not fit in a sector of 512", out)
        self.assertEqual(status(out)["writes"], "0")
        self.assertEqual(digest(self.path), before)

    def test_unusable_files_boot_without_a_device(self):
        os.mkdir(os.path.join(self.tmp, "dir"))
        with open(os.path.join(self.tmp, "odd"), "wb") as f:
            f.write(b"x" * 1000)
        open(os.path.join(self.tmp, "empty"), "wb").close()
        notdev = "not a regular file whose size is a positive multiple of 512 bytes"
        for name, why in (("dir", "Is a directory"), ("odd", notdev), ("empty", notdev)):
            path = os.path.join(self.tmp, name)
            before = None if name == "dir" else digest(path)
            rc, out, err = run(self.tmp, ["--store", path, "-c", "blk flush; cat /dev/blk"])
            self.assertEqual(rc, 0, err)
            self.assertEqual(err, "luxsim: --store %s: %s\n" % (path, why))  # one line
            self.assertIn("blk: no block device", out)
            self.assertIn("no block devices", out)
            if before:
                self.assertEqual(digest(path), before)
        missing_dir = os.path.join(self.tmp, "no", "such", "disk")
        rc, out, err = run(self.tmp, ["--store", missing_dir, "-c", "cat /dev/blk"])
        self.assertEqual(rc, 0, err)
        self.assertIn("--store %s: No such file or directory" % missing_dir, err)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))

    def test_one_machine_per_file(self):
        a = subprocess.Popen([LUXSIM, "--no-listen", "--state-dir", os.path.join(self.tmp, "state"),
                              "--store", self.path, "--store-size", "64K"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            a.stdin.write(b"cat /dev/blk\n")
            a.stdin.flush()
            seen = b""
            while b"bytes_written" not in seen:     # a has the device, so the lock
                line = a.stdout.readline()
                self.assertTrue(line, "luxsim a ended early")
                seen += line
            rc, out, err = run(self.tmp, ["--store", self.path, "-c", "cat /dev/blk"])
            self.assertEqual(rc, 0, err)
            self.assertEqual(err, "luxsim: --store %s: in use by another process (it holds the "
                                  "file's lock)\n" % self.path)
            self.assertIn("no block devices", out)
        finally:
            a.stdin.close()
            self.assertEqual(a.wait(timeout=TIMEOUT), 0)
            a.stdout.close()
            a.stderr.close()
        rc, out, err = run(self.tmp, ["--store", self.path, "-c", "cat /dev/blk"])
        self.assertEqual(rc, 0, err)                # the lock went with a
        self.assertEqual(status(out)["sectors"], "128")

    def test_command_line_refusals(self):
        rc, _, err = run(self.tmp, ["--store", self.path, "--seed", "1", "-c", "echo"])
        self.assertEqual(rc, 64)
        self.assertIn("--store: a deterministic run has no host devices", err)
        rc, _, err = run(self.tmp, ["--store-size", "1M", "-c", "echo"])
        self.assertEqual(rc, 64)
        self.assertIn("add --store PATH", err)
        for bad in ("1000", "0", "-512", "1T5", "2048G", "k"):
            rc, _, err = run(self.tmp, ["--store", self.path, "--store-size", bad, "-c", "echo"])
            self.assertEqual(rc, 64, bad)
            self.assertIn("--store-size wants bytes", err)
        self.assertFalse(os.path.exists(self.path))     # never made by a refused run


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: store_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=1)
