#!/usr/bin/env python3
"""Pebble budgets, driven through luxsim (docs/pebbles.md).

Usage: pebble_test.py PATH/TO/luxsim [unittest args]
"""
import re
import subprocess
import sys
import unittest

LUXSIM = None
TIMEOUT = 120
KINDS = ["pages", "procs", "fids", "files", "requests", "crypto", "ticks"]


def run(args=(), stdin=b""):
    p = subprocess.run([LUXSIM, *args], input=stdin, capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def table(text):
    """The rows of the shell's pebbles table: {kind: (white, spent, total, lent)}."""
    rows = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 5 and f[0] in KINDS:
            rows[f[0]] = tuple(int(x) for x in f[1:])
    return rows


class Pebbles(unittest.TestCase):
    def test_shell_shows_its_budget(self):
        rc, out, err = run(["-c", "pebbles"])
        self.assertEqual(rc, 0, err)
        self.assertRegex(out.splitlines()[0], r"^KIND\s+WHITE\s+SPENT\s+TOTAL\s+LENT$")
        rows = table(out)
        self.assertEqual(sorted(rows), sorted(KINDS))
        for kind, (white, spent, total, lent) in rows.items():
            self.assertEqual(white + spent, total, kind)
            self.assertGreater(total, 0, kind)

    def test_proc_file_matches(self):
        rc, out, err = run(["-c", "cat /proc/1/pebbles"])
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual([l.split()[0] for l in lines], KINDS)
        for l in lines:
            self.assertRegex(l, r"^\w+ white \d+ spent \d+ total \d+ lent \d+$")

    def test_hog_is_refused_clearly_and_the_shell_goes_on(self):
        for kind, limit in (("pages", 96), ("procs", 8), ("fids", 4096), ("requests", 64)):
            with self.subTest(kind=kind):
                rc, out, err = run(["-c", "pebbles; hog %s; pebbles; echo still here" % kind])
                self.assertEqual(rc, 0, err)
                self.assertIn("budget exhausted: %s %d/%d" % (kind, limit, limit), out)
                self.assertIn("hog: all %d given back" % limit, out)
                self.assertTrue(out.endswith("still here\n"), out)
                before, after = out.split("hog:")[0], out.split("given back\n")[1]
                self.assertEqual(table(before), table(after), "the shell's budget came back")

    def test_background_hog_and_pebbles_of_others(self):
        # the background proc has the default grant (96 pages, 8 of them
        # spent on the hog's stack); the hog gets half of the other 88
        rc, out, err = run(["-c", "hog pages &; sleep 50; pebbles 999; echo done"])
        self.assertIn("budget exhausted: pages 44/44", out)
        self.assertIn("pebbles: 999: no such process", out + err)
        self.assertTrue(out.endswith("done\n"), out)

    def test_hog_usage(self):
        rc, out, err = run(["-c", "hog marbles"])
        self.assertIn("usage: hog kind", out + err)

    def test_sweep_200_seeds(self):
        rc, out, err = run(["--sim", "pebbles", "--seeds", "1..200"])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("sweep: 200 seeds (1..200), 0 failed", out)

    def test_one_seed_replays(self):
        a = run(["--sim", "pebbles", "--seed", "7"])
        b = run(["--sim", "pebbles", "--seed", "7"])
        self.assertEqual(a[0], 0, a[1] + a[2])
        self.assertEqual(a[1], b[1])
        self.assertRegex(a[1], r"sim pebbles: \d+ grants, \d+ refusals, \d+ exhaustions")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: pebble_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main()
