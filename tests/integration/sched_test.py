#!/usr/bin/env python3
"""Scheduler, procs and deterministic simulation, driven through luxsim.

Usage: sched_test.py PATH/TO/luxsim [unittest args]
"""
import os
import re
import subprocess
import sys
import time
import unittest

LUXSIM = None
TIMEOUT = 120


def run(args=(), stdin=b""):
    p = subprocess.run([LUXSIM, *args], input=stdin, capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


class Session:
    """An interactive luxsim on pipes: send a line, read lines back."""

    def __init__(self):
        self.p = subprocess.Popen([LUXSIM, "-q"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def readline(self):
        return self.p.stdout.readline().decode(errors="replace").rstrip("\n")

    def close(self):
        try:
            self.send("halt")
        except BrokenPipeError:
            pass
        return self.p.wait(timeout=TIMEOUT)


class Scheduling(unittest.TestCase):
    def test_busy_proc_cannot_starve_the_shell(self):
        s = Session()
        try:
            s.send("burn 3000 &")
            time.sleep(0.2)
            t0 = time.monotonic()
            s.send("echo pong")
            self.assertEqual(s.readline(), "pong")
            latency = time.monotonic() - t0
            # Without preemption the answer would wait for the 3 s burn; a
            # slice is 10 ms.  The bound is loose because the machine is shared.
            self.assertLess(latency, 1.0, "echo took %.3f s behind 'burn 3000 &'" % latency)
            s.send("ps")
            header = s.readline()
            self.assertRegex(header, r"PID\s+PPID\s+PRI\s+STATE\s+TICKS\s+NAME")
            rows = []
            s.send("echo end-of-ps")
            while True:
                l = s.readline()
                if l == "end-of-ps":
                    break
                rows.append(l)
            burn = [r for r in rows if r.endswith(" burn")]
            self.assertEqual(len(burn), 1, rows)
            self.assertRegex(burn[0], r"\s(ready|running)\s")
            pid = burn[0].split()[0]
            s.send("kill " + pid)
            s.send("sleep 30")
            s.send("ps")
            s.send("echo end-of-ps")
            rows = []
            while True:
                l = s.readline()
                if l == "end-of-ps":
                    break
                rows.append(l)
            self.assertFalse(any(r.endswith(" burn") for r in rows), rows)
        finally:
            self.assertEqual(s.close(), 0)

    def test_sleep_sleeps(self):
        t0 = time.monotonic()
        rc, out, _ = run(["-c", "sleep 150; echo woke"])
        self.assertEqual((rc, out), (0, "woke\n"))
        self.assertGreaterEqual(time.monotonic() - t0, 0.15)

    def test_ktests(self):
        for t in ("stress", "wakeup", "kill", "latency", "exchange"):
            with self.subTest(t=t):
                rc, out, err = run(["-c", "ktest " + t])
                self.assertEqual(rc, 0, out + err)
                self.assertRegex(out, r"^ktest %s: .*: ok\n$" % t)

    def test_lock_order_checker_runs(self):
        # the checker is compiled into every luxsim (core/test/lockdep_on.c):
        # it has classed the boot's locks, and an inversion ends the kernel
        # with a panic naming both orders' call sites (docs/locks.md)
        rc, out, err = run(["-c", "ktest lockdep"])
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"^ktest lockdep: checker on, \d+ lock classes, \d+ orders seen: ok\n$")
        rc, out, err = run(["-c", "ktest lockdep-inversion"])
        self.assertEqual(rc, 99, out + err)
        self.assertRegex(out + err, r"lock order: taking ktest-first at core/test/ktest_lockdep\.c:\d+ "
                         r"while holding ktest-second \(taken at core/test/ktest_lockdep\.c:\d+\), "
                         r"but the opposite order was seen: ktest-first held \(taken at "
                         r"core/test/ktest_lockdep\.c:\d+\) while taking ktest-second at "
                         r"core/test/ktest_lockdep\.c:\d+")

    def test_ktest_unknown(self):
        rc, out, _ = run(["-c", "ktest nope"])
        self.assertEqual(rc, 1)
        self.assertIn("ktest: nope: no such test", out)

    def test_kill_errors(self):
        rc, out, _ = run(["-c", "kill 9999"])
        self.assertEqual(rc, 1)
        self.assertIn("kill: 9999: no such process", out)
        rc, out, _ = run(["-c", "kill abc"])
        self.assertIn("kill: abc: not a process id", out)

    def test_proc_files(self):
        rc, out, _ = run(["-c", "cat /proc/1/status; cat /proc/1/ns; ls /proc"])
        self.assertEqual(rc, 0)
        for key in ("pid 1", "name init", "state running", "prio 4", "parent 0"):
            self.assertIn(key + "\n", out)
        self.assertRegex(out, r"ticks \d+\n")
        self.assertIn("bind #ramfs /\nmount -c #cons /dev\nmount -c #proc /proc\n", out)
        self.assertIn("1/\n", out)

    def test_proc_of_gone_proc(self):
        rc, out, _ = run(["-c", "cat /proc/9999/status"])
        self.assertEqual(rc, 1)
        self.assertIn("file does not exist", out)


SEED_CMD = "burn 50 &; burn 50 &; sleep 200; ps; halt"


def trace_of(seed):
    rc, out, err = run(["--seed", str(seed), "-c", SEED_CMD])
    m = re.search(r"^trace ([0-9a-f]{16})$", out, re.M)
    if rc != 0 or not m:
        raise AssertionError("no trace line (rc %d): %s %s" % (rc, out, err))
    return m.group(1), out


class Determinism(unittest.TestCase):
    def test_same_seed_same_trace(self):
        traces = [trace_of(7) for _ in range(5)]
        self.assertEqual(len({t for t, _ in traces}), 1, traces)
        self.assertEqual(len({o for _, o in traces}), 1, "output differs between runs")

    def test_other_seed_other_interleaving(self):
        self.assertNotEqual(trace_of(7)[0], trace_of(8)[0])

    def test_virtual_time(self):
        # 200 ms of virtual time pass in far less real time, and the
        # wall clock of a deterministic run is fixed
        t0 = time.monotonic()
        rc, out, _ = run(["--seed", "1", "-c", "sleep 5000; date; uptime"])
        self.assertEqual(rc, 0)
        self.assertLess(time.monotonic() - t0, 4.0)
        self.assertIn("Thu Jan  1 00:00:05 UTC 2026", out)
        self.assertRegex(out, r"up 5\.\d{3} s")


class Simulation(unittest.TestCase):
    def test_sweep_200_seeds(self):
        rc, out, err = run(["--sim", "procs", "--seeds", "1..200"])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("sweep: 200 seeds (1..200), 0 failed", out)

    def test_one_seed_replays(self):
        a = run(["--sim", "procs", "--seed", "42"])
        b = run(["--sim", "procs", "--seed", "42"])
        self.assertEqual(a, b)
        self.assertEqual(a[0], 0)
        self.assertIn("sim procs: seed 42: 200 steps, every invariant held", a[1])

    def test_broken_invariant_is_caught_with_its_seed(self):
        for what, msg in (("leak-page", "pages leaked"), ("leak-proc", "procs:"),
                          ("skip-unlock", "locks:")):
            with self.subTest(what=what):
                rc, out, _ = run(["--sim", "procs", "--seed", "5", "--break-invariant", what])
                self.assertEqual(rc, 3, out)
                self.assertRegex(out, r"sim procs: seed 5: invariant broken at step \d+ of 200: " + msg)
                self.assertIn("replay with: luxsim --sim procs --seed 5 --steps 200", out)

    def test_sweep_reports_failing_seeds(self):
        rc, out, _ = run(["--sim", "procs", "--seeds", "10..12", "--break-invariant", "leak-page"])
        self.assertEqual(rc, 3)
        self.assertIn("seed 10: FAILED (exit status 3)", out)
        self.assertIn("sweep: 3 seeds (10..12), 3 failed", out)
        self.assertIn("add --seed 10 instead of --seeds", out)

    def test_bad_sim_options(self):
        for args, msg in ((["--sim", "procs"], "--sim needs --seed"),
                          (["--seeds", "1..2"], "--seeds sweeps a scenario"),
                          (["--sim", "procs", "--seeds", "5..1"], "A <= B"),
                          (["--sim", "procs", "--seed", "x"], "--seed wants"),
                          (["--sim", "procs", "--seed", "1", "--break-invariant", "x"], "is not one of")):
            with self.subTest(args=args):
                rc, _, err = run(args)
                self.assertEqual(rc, 64)
                self.assertIn(msg, err)

    def test_list_and_unknown(self):
        rc, out, _ = run(["--sim", "list"])
        self.assertEqual(rc, 0)
        self.assertIn("procs", out)
        rc, out, _ = run(["--sim", "nope", "--seed", "1"])
        self.assertEqual(rc, 64)
        self.assertIn("sim: no scenario 'nope'", out)


if __name__ == "__main__":
    if len(sys.argv) < 2 or not os.access(sys.argv[1], os.X_OK):
        sys.exit("usage: sched_test.py PATH/TO/luxsim [unittest args]")
    LUXSIM = sys.argv.pop(1)
    unittest.main(verbosity=1)
