#!/usr/bin/env python3
"""luxsim at a terminal: the core's line discipline, driven through a pty.

Usage: console_test.py PATH/TO/luxsim [unittest args]

luxsim runs on the slave side of a pseudo-terminal that is its controlling
terminal, as under a person's shell; the test types on the master side and
reads what the terminal would show.  Checked: Ctrl-C interrupts a running
`burn` or `sleep` (timed) and the shell goes on, never the kernel; a
half-typed line is dropped by Ctrl-C; up-arrow recalls; Tab completes a
built-in and a path; the editing keys; any byte sequence leaves a working
shell; Ctrl-D, SIGTERM, SIGINT and SIGHUP halt with 0 and give the
terminal back in the mode it was in.
"""
import fcntl
import os
import pty
import random
import re
import resource
import select
import signal
import subprocess
import sys
import termios
import time
import unittest

LUXSIM = None
TIMEOUT = 30
PROMPT = b"lux% "
# What an interrupt may take: the goal is ~100 ms; a shared, loaded machine
# gets slack, and the measured times are printed.
INTR_LIMIT = 1.0


def controlling_tty():
    """In the child: the pty (already stdin) becomes its controlling tty;
    no core files from the fatal-signal cases."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Term(unittest.TestCase):
    """One luxsim per test on a fresh pty."""

    def setUp(self):
        self.master, self.slave = pty.openpty()
        self.before = termios.tcgetattr(self.slave)
        self.out = b""
        self.p = subprocess.Popen([LUXSIM, "--quiet", "--no-listen"], stdin=self.slave,
                                  stdout=self.slave, stderr=self.slave, start_new_session=True,
                                  preexec_fn=controlling_tty)
        self.expect(PROMPT)

    def tearDown(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        os.close(self.master)
        os.close(self.slave)

    def read_some(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:	# EIO: every slave fd in luxsim is closed
            return False
        self.out += data
        return bool(data)

    def expect(self, what, timeout=TIMEOUT):
        """Wait until the output after the mark holds `what` (bytes or a
        compiled regex); consume up to its end and return what came before."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(what, bytes):
                i = self.out.find(what)
                end = i + len(what)
            else:
                m = what.search(self.out)
                i, end = (m.start(), m.end()) if m else (-1, -1)
            if i >= 0:
                before = self.out[:i]
                self.out = self.out[end:]
                return before
            left = deadline - time.monotonic()
            if left <= 0 or (not self.read_some(left) and self.p.poll() is not None):
                self.fail("did not see %r; the terminal shows %r" % (what, self.out[-400:]))

    def type(self, data):
        os.write(self.master, data)

    def run_line(self, line):
        """Type a line and return what the command printed (echo excluded)."""
        self.type(line + b"\r")
        self.expect(b"\r\n")	# the echo of the line ends here
        return self.expect(PROMPT)

    def halted(self, status=0):
        got = self.p.wait(timeout=TIMEOUT)
        if status is None:
            self.assertNotEqual(got, 0)	# died, by the signal or a sanitizer's report
        else:
            self.assertEqual(got, status)
        after = termios.tcgetattr(self.slave)
        self.assertEqual(after, self.before, "the terminal was not given back as it was")
        # the terminal is one open file with the shell that started luxsim
        self.assertFalse(fcntl.fcntl(self.slave, fcntl.F_GETFL) & os.O_NONBLOCK,
                         "the terminal was left non-blocking")

    # ---- interrupts ----------------------------------------------------

    def interrupt(self, command):
        self.type(command + b"\r")
        self.expect(b"\r\n")
        time.sleep(0.3)	# it is running by now
        self.assertIsNone(self.p.poll())
        t0 = time.monotonic()
        self.type(b"\x03")
        self.expect(b"^C\r\n")
        self.expect(PROMPT)
        took = time.monotonic() - t0
        print("%s: interrupted, prompt back in %.1f ms" % (command.decode(), took * 1000),
              file=sys.stderr)
        self.assertLess(took, INTR_LIMIT)
        self.assertEqual(self.run_line(b"echo alive"), b"alive\r\n")

    def test_ctrl_c_stops_burn(self):
        self.interrupt(b"burn 5000")

    def test_ctrl_c_stops_sleep(self):
        self.interrupt(b"sleep 10000")

    def test_ctrl_c_stops_cat_of_endless_file(self):
        """cat never sleeps on /dev/zero: it stops at its preemption point,
        and what it still had to print is dropped."""
        self.interrupt(b"cat /dev/zero")

    def test_ctrl_c_stops_the_rest_of_the_line(self):
        self.type(b"sleep 10000; echo not-this\r")
        self.expect(b"\r\n")
        time.sleep(0.2)
        self.type(b"\x03")
        before = self.expect(PROMPT)
        self.assertNotIn(b"not-this", before)
        self.assertEqual(self.run_line(b"echo next"), b"next\r\n")

    def test_ctrl_c_drops_the_half_typed_line(self):
        self.type(b"echo half")
        self.expect(b"echo half")
        self.type(b"\x03")
        self.expect(b"^C\r\n" + PROMPT)
        self.assertEqual(self.run_line(b""), b"")	# nothing of it ran
        self.assertEqual(self.run_line(b"echo whole"), b"whole\r\n")

    def test_background_survives(self):
        """^C is for the foreground: a background proc keeps running."""
        self.run_line(b"sleep 20000 &")
        self.interrupt(b"sleep 10000")
        self.assertRegex(self.run_line(b"ps"), rb"sleep")

    # ---- editing -------------------------------------------------------

    def test_history(self):
        self.assertEqual(self.run_line(b"echo first"), b"first\r\n")
        self.assertEqual(self.run_line(b"echo second"), b"second\r\n")
        self.assertEqual(self.run_line(b"\x1b[A\x1b[A\x1b[B"), b"second\r\n")  # up up down
        # a line run again as it was is not a new entry: still two
        self.assertEqual(self.run_line(b"\x1bOA"), b"second\r\n")	# SS3 form, newest
        self.assertEqual(self.run_line(b"\x1b[A\x1b[A"), b"first\r\n")	# up, up
        self.assertEqual(self.run_line(b"\x1b[A\x1b[A\x1b[A\x1b[A"), b"first\r\n")  # the oldest of 3

    def test_cursor_keys(self):
        self.assertEqual(self.run_line(b"echo ac\x1b[Db"), b"abc\r\n")	# left, insert
        self.assertEqual(self.run_line(b"cho x\x01e"), b"x\r\n")	# ^A
        self.assertEqual(self.run_line(b"cho y\x1b[He\x1b[F"), b"y\r\n")	# Home/End
        self.assertEqual(self.run_line(b"echo one two\x17three"), b"one three\r\n")	# ^W
        self.assertEqual(self.run_line(b"junk\x15echo u"), b"u\r\n")	# ^U
        self.assertEqual(self.run_line(b"echo keep cut\x1b[D\x1b[D\x1b[D\x1b[D\x0b"),
                         b"keep\r\n")	# ^K
        self.assertEqual(self.run_line(b"echo abx\x7fc"), b"abc\r\n")	# DEL erases
        self.assertEqual(self.run_line(b"echo axbc\x01\x1b[C\x1b[C\x1b[C\x1b[C\x1b[C"
                                       b"\x1b[C\x1b[3~"), b"abc\r\n")	# Delete

    def test_tab_completes(self):
        self.type(b"hel\t")
        self.expect(b"help ")	# the echo of the completed word
        out = self.run_line(b"")
        self.assertIn(b"burn", out)
        self.run_line(b"echo zebra > /tmp/zebra-file")
        self.type(b"cat /tm\t")
        self.expect(b"/tmp/")
        self.type(b"zeb\t")
        self.expect(b"zebra-file ")
        self.assertEqual(self.run_line(b""), b"zebra\r\n")

    def test_tab_then_enter_at_once(self):
        """A Tab and what follows in one write (a paste, a fast typist):
        the rest waits for the completion."""
        self.run_line(b"echo fast > /tmp/quick-one")
        out = self.run_line(b"cat /tmp/qui\t")
        self.assertEqual(out, b"fast\r\n")

    def test_tab_lists_choices(self):
        self.run_line(b"echo 1 > /tmp/pa; echo 2 > /tmp/pb")
        self.type(b"cat /tmp/p\t")
        self.expect(b"\r\npa  pb\r\n" + PROMPT + b"cat /tmp/p")	# listed, line again
        self.assertEqual(self.run_line(b"a"), b"1\r\n")

    def test_hostile_bytes(self):
        """Any byte sequence (but ^D, which would end input, and the line
        ends) leaves a shell that works."""
        rng = random.Random(12)
        junk = bytes(b for b in rng.randbytes(20000) if b not in (0x04, 0x0a, 0x0d))
        for i in range(0, len(junk), 512):
            self.type(junk[i:i + 512])
            self.read_some(0.01)
        # ^E ends any escape sequence and goes to the end; ^U empties the line
        self.type(b"\x05\x15")
        time.sleep(0.3)
        while self.read_some(0.1):
            pass
        self.out = b""
        self.type(b"echo still-here\r")
        self.expect(b"still-here\r\n")
        self.assertIsNone(self.p.poll())

    # ---- the end -------------------------------------------------------

    def test_ctrl_d_halts_and_restores(self):
        self.type(b"\x04")
        self.halted(0)

    def test_signals_halt_and_restore(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with self.subTest(signal=sig.name):
                if sig != signal.SIGTERM:
                    self.tearDown()
                    self.setUp()
                self.type(b"burn 20000\r")
                self.expect(b"\r\n")
                time.sleep(0.2)
                t0 = time.monotonic()
                self.p.send_signal(sig)
                self.halted(0)
                self.assertLess(time.monotonic() - t0, 5)


    def test_fatal_signals_restore(self):
        """A fatal signal still gives the terminal back, then does what it
        did before (the default action, or AddressSanitizer's report)."""
        for sig in (signal.SIGQUIT, signal.SIGSEGV):
            with self.subTest(signal=sig.name):
                if sig != signal.SIGQUIT:
                    self.tearDown()
                    self.setUp()
                self.p.send_signal(sig)
                self.halted(None)


def main():
    global LUXSIM
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    LUXSIM = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)


if __name__ == "__main__":
    main()
