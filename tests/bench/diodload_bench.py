#!/usr/bin/env python3
"""diodload against luxsim, diod and a stateless ceiling, same machine, same run.

usage: diodload_bench.py PATH/TO/luxsim [--load PATH/TO/bench-9pload]
                         [--ceiling PATH/TO/bench-9pceiling]
                         [--rounds N] [--seconds S] [--quick]

The named baseline (docs/style.md): the 9P server is measured against diod (Debian) on the same
loopback with the same client, diod's own load generator diodload(8).
Both servers are started here on 127.0.0.1, on free ports:
  diod -f -n -l 127.0.0.1:PORT -e ctl -c /dev/null   (foreground, no auth,
        no config file; "ctl" is diod's synthetic tree with zero and null)
  luxsim -q --listen-noauth tcp!127.0.0.1!PORT       (aname ctl attaches
        the server's own tree, which has zero and null too)
  bench-9pceiling -l 127.0.0.1:PORT                  (tests/bench/ninep_ceiling.c:
        a stateless responder, a canned valid reply per request type, one
        thread per host core: the most this client can get here)
Workloads (diodload's only two; each thread is its own connection):
  getattr x1    -g -n 1    Tgetattr of ctl:null in a loop
  getattr x16   -g -n 16
  read+write    -n 16      a 64 KiB read of ctl:zero then a 64 KiB write to
                           ctl:null per op (msize 65536)
Each round runs every workload against the three servers (the order
rotates from round to round), each run on a freshly started server (so
no run inherits another's aftermath); the tables show the median over
rounds of each figure, and for each ratio the median over rounds of that
round's ratio (the three servers of a round run back to back, so a load
swing on the shared host between rounds falls on both sides of a
ratio): luxsim/diod against issue 5's goals, and each server against the
ceiling, with issue 12's goals.

The same workloads also run with bench-9pload (tests/bench/ninep_load.c,
found beside luxsim's build tree or given with --load): one thread per
connection, blocking I/O, the kernel's codec, timed with a monotonic
clock.  diodload's client library hands each request to a reader thread
and back, which may bound what it can show; the second client says
whether it does.  The goals are the issue's, stated for diodload.

The second table is each server's CPU time (user + system, all its
threads, from /proc/PID/stat) per op, and its ratio to the ceiling's: on
a 2-core host a round trip is mostly the host waking two processes, so
this says what a request costs each server apart from that, and the
ceiling's figure is what answering costs with no file service at all
(the system calls, the codec).

diodload exits 0 even when it fails (no server, attach refused), so its
stderr is parsed: exactly one "diodload: N ops/s, R rMB/s, W wMB/s" line
and nothing else, N > 0, or the measurement counts as failed and this
script exits 1 after the table.  diodload times its run with time(2) at
one-second resolution and divides by the whole runtime, so a run started
late in a second is cut short by up to a second and under-reports; every
run is therefore started just after a second boundary.
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

DIOD = shutil.which("diod") or "/usr/sbin/diod"
DIODLOAD = shutil.which("diodload") or "/usr/sbin/diodload"
LINE = re.compile(r"^(?:diodload|9pload): ([\d.]+) ops/s, ([\d.]+) rMB/s, ([\d.]+) wMB/s$")

# name, diodload arguments, what the figure is, issue 5's goal (luxsim /
# diod), issue 12's goals (luxsim / ceiling throughput, luxsim / ceiling
# CPU per op; None: no goal stated)
WORKLOADS = [
    ("getattr, 1 connection", ["-g", "-n", "1"], "ops/s", 3.0, 0.9, 1.2),
    ("getattr, 16 connections", ["-g", "-n", "16"], "ops/s", 1.5, None, None),
    ("64 KiB read+write, 16 connections", ["-n", "16"], "MB/s", 1.0, None, 1.2),
]
SERVERS = ("luxsim", "diod", "ceiling")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, what, timeout=20):
    """Until a Tversion on the port gets an Rversion: a listening socket is
    not enough (luxsim's host side accepts before its 9P server runs)."""
    tversion = struct.pack("<IBHIH", 21, 100, 0xFFFF, 8192, 8) + b"9P2000.L"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("%s exited with %s before serving" % (what, proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as so:
                so.sendall(tversion)
                if so.recv(5)[4:5] == bytes([101]):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("%s does not answer Tversion on port %d" % (what, port))


class Diod:
    name = "diod"

    def __init__(self):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.p = subprocess.Popen(
            [DIOD, "-f", "-n", "-l", "127.0.0.1:%d" % self.port, "-e", "ctl",
             "-c", "/dev/null", "-L", "stderr"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, self.p, "diod")

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


class Ceiling:
    name = "ceiling"

    def __init__(self, path):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        self.p = subprocess.Popen([path, "-l", "127.0.0.1:%d" % self.port],
                                  stdin=subprocess.DEVNULL, stdout=self.log,
                                  stderr=subprocess.STDOUT)
        wait_port(self.port, self.p, "bench-9pceiling")

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=10)
        self.log.seek(0)
        said = self.log.read().decode(errors="replace").strip()
        if said:	# it refused something: the client sent what it did not expect
            raise RuntimeError("bench-9pceiling said: %s" % said[:300])


class Luxsim:
    name = "luxsim"

    def __init__(self, path):
        self.port = free_port()
        # The shell reads stdin: keep it open (and idle) while measuring.
        self.p = subprocess.Popen(
            # --mem 256: room for 16 connections' budgets and more, as diod
            # has the host's memory; --listen-noauth: diod runs with -n (no
            # authentication), so luxsim trusts its TCP clients the same way
            [path, "-q", "--mem", "256", "--listen-noauth", "tcp!127.0.0.1!%d" % self.port],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(self.port, self.p, "luxsim")

    def stop(self):
        try:
            self.p.stdin.write(b"halt\n")
            self.p.stdin.close()
            self.p.wait(timeout=20)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()


def load(client, port, args, seconds):
    """Run client (diodload or bench-9pload: same options, same output
    line) for seconds; (ops/s, rMB/s, wMB/s) or raise with its words."""
    # The previous run's connections are torn down asynchronously, and a
    # server with every slot still taken closes new ones at once: pause.
    time.sleep(0.5)
    if client == DIODLOAD:
        # Start just after a second boundary: diodload's stop time is
        # time(NULL) + seconds, whole seconds.
        time.sleep((1.0 - time.time() % 1.0) + 0.01)
    p = subprocess.run([client, "-s", "127.0.0.1:%d" % port, "-r", str(seconds), *args],
                       capture_output=True, timeout=seconds * 4 + 30)
    lines = p.stderr.decode(errors="replace").splitlines() + \
        p.stdout.decode(errors="replace").splitlines()
    m = LINE.match(lines[-1]) if lines else None
    if p.returncode != 0 or not m or len(lines) != 1 or float(m.group(1)) == 0:
        raise RuntimeError("%s %s failed (exit %d): %s" % (
            os.path.basename(client), " ".join(args), p.returncode,
            " | ".join(lines[:4]) or "no output"))
    return tuple(float(x) for x in m.groups())


def cpu_seconds(pid):
    """CPU time (user + system, all threads) the process has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def figure(result, unit):
    ops, rmb, wmb = result
    return ops if unit == "ops/s" else rmb + wmb


def measure(key, client, args, unit, a, got, cpu, errors):
    """One run on a fresh server: what a workload leaves behind (luxsim
    answers one connection several times slower for a few seconds after
    16 bulk connections close) must not be charged to the next one."""
    cname, name, sname = key
    s = None
    try:
        s = {"luxsim": lambda: Luxsim(a.luxsim), "diod": Diod,
             "ceiling": lambda: Ceiling(a.ceiling)}[sname]()
        c0 = cpu_seconds(s.p.pid)
        res = load(client, s.port, args, a.seconds)
        got[key].append(figure(res, unit))
        # server CPU per op: what a request costs the server, apart
        # from the host's wake-up latency
        cpu[key].append((cpu_seconds(s.p.pid) - c0) / (res[0] * a.seconds) * 1e6)
        if s.p.poll() is not None:
            raise RuntimeError("%s died during the run (exit %s)" % (sname, s.p.returncode))
    except RuntimeError as e:
        errors[key] = str(e)
    finally:
        if s:
            try:
                s.stop()
            except RuntimeError as e:
                errors[key] = str(e)


def med(vals):
    return statistics.median(vals) if vals else None


def ratio(table, errors, cname, name, a, b):
    """Median over rounds of a's figure / b's in the same round."""
    ka, kb = (cname, name, a), (cname, name, b)
    if ka in errors or kb in errors or not table[ka] or len(table[ka]) != len(table[kb]):
        return None
    return statistics.median(x / y for x, y in zip(table[ka], table[kb]) if y)


def verdict(r, goal, higher_is_better=True):
    if goal is None or r is None:
        return "-"
    return "yes" if (r >= goal if higher_is_better else r <= goal) else "no"


def fmt_x(r):
    return "-" if r is None else "%.2fx" % r


def report(a, clients, got, cpu, errors):
    def m(table, key):
        return None if key in errors else med(table[key])

    print("9P servers against the ceiling: 127.0.0.1, same run, same client")
    print("(%d rounds of %d s; medians, ratios are medians of each round's ratio; goals: "
          "issue 5 for luxsim/diod with diodload, issue 12 for luxsim/ceiling)"
          % (a.rounds, a.seconds))
    print("%-9s %-34s %13s %13s %13s %7s %5s %4s %9s %9s %5s %4s" % (
        "client", "workload", "luxsim", "diod", "ceiling", "lux/diod", "goal", "met",
        "lux/ceil", "diod/ceil", "goal", "met"))
    for cname, _ in clients:
        for name, _, unit, goal5, goal12, _ in WORKLOADS:
            v = {s: m(got, (cname, name, s)) for s in SERVERS}
            cell = lambda x: "failed" if x is None else "%.0f %s" % (x, unit)
            r5 = ratio(got, errors, cname, name, "luxsim", "diod")
            rl = ratio(got, errors, cname, name, "luxsim", "ceiling")
            rd = ratio(got, errors, cname, name, "diod", "ceiling")
            print("%-9s %-34s %13s %13s %13s %7s %4.1fx %4s %9s %9s %5s %4s" % (
                cname, name, cell(v["luxsim"]), cell(v["diod"]), cell(v["ceiling"]),
                fmt_x(r5), goal5, verdict(r5, goal5) if cname == "diodload" else "-",
                fmt_x(rl), fmt_x(rd), "-" if goal12 is None else ">=%.1f" % goal12,
                verdict(rl, goal12) if cname == "diodload" else "-"))
    print()
    print("server CPU per op (us, user + system, all threads; ratio = server / ceiling, "
          "median of each round's)")
    print("%-9s %-34s %8s %8s %8s %9s %9s %5s %4s" % (
        "client", "workload", "luxsim", "diod", "ceiling", "lux/ceil", "diod/ceil", "goal",
        "met"))
    for cname, _ in clients:
        for name, _, _, _, _, goalc in WORKLOADS:
            v = {s: m(cpu, (cname, name, s)) for s in SERVERS}
            cell = lambda x: "-" if x is None else "%.1f" % x
            rl = ratio(cpu, errors, cname, name, "luxsim", "ceiling")
            rd = ratio(cpu, errors, cname, name, "diod", "ceiling")
            print("%-9s %-34s %8s %8s %8s %9s %9s %5s %4s" % (
                cname, name, cell(v["luxsim"]), cell(v["diod"]), cell(v["ceiling"]),
                fmt_x(rl), fmt_x(rd), "-" if goalc is None else "<=%.1f" % goalc,
                verdict(rl, goalc, higher_is_better=False) if cname == "diodload" else "-"))
    print("goals are judged on diodload, the issues' yardstick; bench-9pload's rows say "
          "whether diodload's client bounds them")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("luxsim")
    ap.add_argument("--load", help="bench-9pload (default: beside luxsim's build tree)")
    ap.add_argument("--ceiling", help="bench-9pceiling (default: beside bench-9pload)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--quick", action="store_true",
                    help="1 round of 1 s: does it run? (bench-9p-smoke; not a measurement)")
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.seconds = 1, 1
    for tool in (DIOD, DIODLOAD):
        if not os.access(tool, os.X_OK):
            print("diodload_bench: %s not found (Debian package diod)" % tool, file=sys.stderr)
            return 77   # CTest's SKIP_RETURN_CODE for bench-9p-smoke
    ours = a.load or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(a.luxsim))),
                                  "tests", "bench", "bench-9pload")
    if not os.access(ours, os.X_OK):
        sys.exit("diodload_bench: no bench-9pload at %s (build the bench-9pload target)" % ours)
    a.ceiling = a.ceiling or os.path.join(os.path.dirname(ours), "bench-9pceiling")
    if not os.access(a.ceiling, os.X_OK):
        sys.exit("diodload_bench: no bench-9pceiling at %s (build the bench-9pceiling target)"
                 % a.ceiling)
    clients = [("diodload", DIODLOAD), ("9pload", ours)]

    keys = [(c, w[0], n) for c, _ in clients for w in WORKLOADS for n in SERVERS]
    got = {k: [] for k in keys}
    cpu = {k: [] for k in keys}
    errors = {}
    for r in range(a.rounds):
        order = SERVERS[r % len(SERVERS):] + SERVERS[:r % len(SERVERS)]
        for cname, cpath in clients:
            for name, args, unit, _, _, _ in WORKLOADS:
                for sname in order:
                    key = (cname, name, sname)
                    if key not in errors:
                        measure(key, cpath, args, unit, a, got, cpu, errors)
    report(a, clients, got, cpu, errors)
    for (cname, name, s), e in sorted(errors.items()):
        print("error: %s, %s, on %s: %s" % (cname, name, s, e), file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
