#!/usr/bin/env python3
"""Integration tests: drive luxsim as a user would (pipes, -c, exit codes).

Usage: luxsim_test.py PATH/TO/luxsim [unittest args]
Each test starts a fresh luxsim process with a hard timeout.
"""
import os
import re
import subprocess
import sys
import unittest

LUXSIM = None
TIMEOUT = 60

KATS = {
    "sha256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "blake2b-512": "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                   "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923",
}


def run(args=(), stdin=b""):
    """Run luxsim; return (exit status, stdout text, stderr text)."""
    p = subprocess.run([LUXSIM, *args], input=stdin, capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def lines(text):
    return text.splitlines()


class Piped(unittest.TestCase):
    def test_echo_then_halt(self):
        rc, out, err = run(stdin=b"echo hi\nhalt\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("hi", lines(out))

    def test_banner_and_selfcheck(self):
        rc, out, err = run(stdin=b"halt\n")
        self.assertEqual(rc, 0, err)
        first = lines(out)[0]
        self.assertRegex(first, r"^Lux9 \d+\.\d+\.\d+ \(hosted\) ")
        self.assertIn("self-check: passed (8/8)", lines(out))
        for name, digest in KATS.items():
            self.assertRegex(out, r"self-check: %s\s+\(\"abc\"\) = %s ok" % (re.escape(name), digest))
        self.assertRegex(out, r"self-check: ed25519 .* sign\+verify, tamper rejected ok")
        self.assertNotIn("FAILED", out)
        self.assertNotIn("lux% ", out, "no prompts when stdin is not a terminal")

    def test_eof_halts_with_zero(self):
        rc, out, _ = run(stdin=b"echo before-eof\n")
        self.assertEqual(rc, 0)
        self.assertIn("before-eof", lines(out))

    def test_halt_status(self):
        rc, _, _ = run(stdin=b"halt 7\necho not-reached\n")
        self.assertEqual(rc, 7)

    def test_many_lines_nothing_dropped(self):
        n = 3000
        script = "".join("echo line-%d\n" % i for i in range(n)).encode()
        rc, out, err = run(["-q"], stdin=script)
        self.assertEqual(rc, 0, err)
        got = [l for l in lines(out) if l.startswith("line-")]
        self.assertEqual(got, ["line-%d" % i for i in range(n)])

    def test_long_line_rejected_clearly(self):
        rc, out, _ = run(["-q"], stdin=b"echo " + b"x" * 5000 + b"\necho after\n")
        self.assertEqual(rc, 0)
        self.assertIn("line too long", out)
        self.assertIn("after", lines(out))


class Commands(unittest.TestCase):
    def test_redirect_then_cat(self):
        rc, out, err = run(["-c", "echo a > /tmp/x; cat /tmp/x"])
        self.assertEqual((rc, out), (0, "a\n"), err)

    def test_append(self):
        rc, out, _ = run(["-c", "echo 1 > /tmp/f; echo 2 >> /tmp/f; echo 3 >> /tmp/f; cat /tmp/f"])
        self.assertEqual((rc, out), (0, "1\n2\n3\n"))

    def test_truncate_on_redirect(self):
        rc, out, _ = run(["-c", "echo long-content > /tmp/f; echo s > /tmp/f; cat /tmp/f"])
        self.assertEqual(out, "s\n")

    def test_quotes_and_echo_n(self):
        rc, out, _ = run(["-c", "echo 'a  b' \"c;d\" e; echo -n x; echo y"])
        self.assertEqual(out, "a  b c;d e\nxy\n")

    def test_ls(self):
        rc, out, _ = run(["-c", "mkdir /tmp/d; echo z > /tmp/d/f; ls /; ls /dev; ls -l /tmp/d"])
        self.assertEqual(rc, 0)
        ls = lines(out)
        self.assertIn("dev/", ls)
        self.assertIn("tmp/", ls)
        for f in ("cons", "null", "zero", "time"):
            self.assertIn(f, ls)
        self.assertTrue(any(re.match(r"^-rw-rw-r--\s+2 f$", l) for l in ls), ls)

    def test_rm(self):
        rc, out, err = run(["-c", "echo z > /tmp/f; rm /tmp/f; cat /tmp/f"])
        self.assertEqual(rc, 1)
        self.assertIn("cat: /tmp/f: file does not exist", out)

    def test_rm_nonempty_dir_refused(self):
        rc, out, _ = run(["-c", "mkdir /tmp/d; echo > /tmp/d/f; rm /tmp/d"])
        self.assertEqual(rc, 1)
        self.assertIn("rm: /tmp/d: directory not empty", out)

    def test_dev_files(self):
        rc, out, _ = run(["-c", "cat /dev/time; cat /dev/null; echo via-cons > /dev/cons"])
        self.assertEqual(rc, 0)
        wall, mono = lines(out)[0].split()
        self.assertGreater(int(wall), 1_600_000_000 * 10**9)
        self.assertGreater(int(mono), 0)
        self.assertIn("via-cons", lines(out))

    def test_memmap_is_the_kernels_memory(self):
        # hosted lists one range: the --mem bytes the kernel runs in
        rc, out, _ = run(["--mem", "32", "-c", "cat /dev/memmap"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"(?m)^0x[0-9a-f]{16}-0x[0-9a-f]{16} +32 MiB rw-  ram \(the kernel's")
        self.assertIn("w^x holds: no range listed is writable and executable", out)

    def test_date_and_uptime(self):
        rc, out, _ = run(["-c", "date; uptime"])
        self.assertEqual(rc, 0)
        date, up = lines(out)
        self.assertRegex(date, r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d UTC \d{4}$")
        self.assertRegex(up, r"^up \d+\.\d{3} s, \d+ procs, \d+ of \d+ pages free$")

    def test_help_lists_builtins(self):
        rc, out, _ = run(["-c", "help"])
        self.assertEqual(rc, 0)
        for b in ("help", "echo", "cat", "ls", "date", "uptime", "halt", "mkdir", "rm"):
            self.assertRegex(out, r"(?m)^  %s\b" % b)

    def test_errors_are_clear(self):
        cases = [
            ("cat /nope", 1, "cat: /nope: file does not exist"),
            ("frobnicate", 127, "frobnicate: command not found"),
            ("echo 'open", 2, "syntax error: unterminated quote"),
            ("echo x >", 2, "syntax error: missing file name after '>'"),
            ("echo x > /nodir/f", 1, "echo: /nodir/f: file does not exist"),
            ("cat /tmp", 1, "cat: /tmp: is a directory"),
            ("echo x > /dev/zero", 1, "permission denied"),
            ("halt abc", 2, "usage: halt [status]"),
            ("halt 128", 2, "usage: halt [status]"),
            ("cat", 2, "usage: cat file ..."),
            ("mkdir /tmp", 1, "mkdir: /tmp: file already exists"),
        ]
        for cmd, status, msg in cases:
            with self.subTest(cmd=cmd):
                rc, out, _ = run(["-c", cmd])
                self.assertEqual(rc, status, out)
                self.assertIn(msg, out)

    def test_status_is_last_commands(self):
        self.assertEqual(run(["-c", "cat /nope; echo ok"])[0], 0)
        self.assertEqual(run(["-c", "echo ok; cat /nope"])[0], 1)
        self.assertEqual(run(["-c", "echo ok; halt 42; echo no"])[0], 42)

    def test_a_refused_write_fails_the_command(self):
        # a ctl file refusing what echo wrote: the sentence, and status 1
        rc, out, _ = run(["-c", "echo bind > /proc/1/ns"])
        self.assertEqual(rc, 1, out)
        self.assertIn("write: bind: usage: bind", out)
        self.assertEqual(run(["-c", "echo bind -b /tmp /dev > /proc/1/ns"])[0], 0)

    def test_verbose_shows_banner(self):
        rc, out, _ = run(["-v", "-c", "echo x"])
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("Lux9 "))
        self.assertIn("self-check: passed", out)


class CommandLine(unittest.TestCase):
    def test_help(self):
        rc, out, _ = run(["--help"])
        self.assertEqual(rc, 0)
        for opt in ("-c", "--mem", "--quiet", "--verbose", "--version", "--help"):
            self.assertIn(opt, out)

    def test_version(self):
        rc, out, _ = run(["--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^luxsim \(Lux9\) \d+\.\d+\.\d+\n$")

    def test_bad_option(self):
        # one line and a hint, not the whole usage
        for args, line in ((["--frob"], "unknown option --frob"),
                           (["--frob=1"], "unknown option --frob"),
                           (["-qz"], "unknown option -z"),
                           (["--listen"], "option --listen needs a value"),
                           (["--list"], "option --list is short for more than one"),
                           (["--help=yes"], "option --help takes no value")):
            with self.subTest(args=args):
                rc, out, err = run(args)
                self.assertEqual((rc, out), (64, ""))
                self.assertEqual(err, "luxsim: %s (try --help)\n" % line)

    def test_bad_mem(self):
        for v in ("0", "abc", "99999", ""):
            with self.subTest(v=v):
                rc, _, err = run(["--mem", v, "-c", "echo"])
                self.assertEqual(rc, 64)
                self.assertIn("--mem wants a whole number of MiB", err)

    def test_stray_argument(self):
        rc, _, err = run(["echo"])
        self.assertEqual(rc, 64)
        self.assertIn("commands go in -c", err)

    def test_small_memory_still_boots(self):
        rc, out, err = run(["--mem", "4", "-c", "echo small"])
        self.assertEqual((rc, out), (0, "small\n"), err)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: luxsim_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=1)
