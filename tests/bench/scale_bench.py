#!/usr/bin/env python3
"""9P at scale: thousands of idle connections, and many busy ones, same run.

usage: scale_bench.py PATH/TO/luxsim PATH/TO/bench-9pscale
                      [--idle N] [--idle-seconds S] [--active N] [--seconds S]
                      [--mem MIB] [--window W] [--smoke]

Issue 11, "no client can hurt another", measured from outside: one luxsim
serves a unix socket (started here with --mem MIB, its shell held open on
stdin: luxsim halts at the end of its input), and bench-9pscale
(ninep_scale.c) drives it over one epoll.

- idle: an honest client times Tgetattr on its root fid alone (the
  baseline), then N connections say Tversion and Tattach and stay idle,
  and the honest client is timed again beside them.  The table gives the
  ratios of its rate and p99 to the baseline, how the N ended (held, or
  refused in 9P and with what), luxsim's VmRSS per idle connection held,
  and whether each held one still answers afterwards.
- active: N clients each create, open, read, write, clunk and remove
  files of their own for S seconds, checking every answer against a copy
  of their files; the baseline is one client alone, same luxsim.  Any
  protocol error (an Rlerror an op did not expect, a wrong count or byte,
  a malformed reply, a hang-up) fails the run.

Defaults are the full run (--idle 10000, --active 1000 --seconds 60).
--smoke is a check that the bench still runs, not a measurement: short
runs at the sizes given (tests/bench/CMakeLists.txt passes sizes today's
server serves whole), and every connection asked must be served, since a
size the server cannot hold is a smoke that tests nothing; refusals, not
failures, in a full run.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

LINE = re.compile(r"^9pscale ([a-z_ 0-9]+?): (.*)$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(luxsim, mem, d):
    """luxsim on a unix socket (the host owner's) and a plain TCP port (a
    second peer: unauthenticated, none): (proc, unix address, tcp address)."""
    sock = os.path.join(d, "sock")
    tcp = "tcp!127.0.0.1!%d" % free_port()
    out, err = open(os.path.join(d, "console"), "wb"), open(os.path.join(d, "stderr"), "wb")
    p = subprocess.Popen([luxsim, "-q", "--mem", str(mem), "--listen", "unix!" + sock,
                          "--listen", tcp, "--state-dir", d],
                         stdin=subprocess.PIPE, stdout=out, stderr=err)
    for _ in range(400):
        if os.path.exists(sock) or p.poll() is not None:
            break
        time.sleep(0.05)
    if not os.path.exists(sock):
        sys.exit("scale_bench: luxsim did not listen on %s: %s" % (sock, tail(d, "stderr")))
    return p, "unix!" + sock, tcp


ZERO = "total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0"


def peak_mib(p):
    """luxsim's peak resident memory so far (VmHWM), in MiB."""
    with open("/proc/%d/status" % p.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def counters(p, d, wait=10):
    """The server's total line once it reads zero (or the last one seen
    after wait seconds): every connection gone, everything given back."""
    last = ""
    for _ in range(wait * 4):
        p.stdin.write(b"cat /9p/status\n")
        p.stdin.flush()
        time.sleep(0.25)
        lines = [l for l in tail(d, "console", 50) if l.startswith("total conns")]
        if lines:
            last = lines[-1]
            if last == ZERO:
                break
    return last


def stop(p):
    try:
        p.stdin.write(b"halt\n")
        p.stdin.close()
        p.wait(60)
    except (BrokenPipeError, subprocess.TimeoutExpired):
        p.kill()
        p.wait()


def tail(d, name, n=6):
    with open(os.path.join(d, name), "rb") as f:
        lines = f.read().decode(errors="replace").splitlines()
    return lines[-n:]


def run(tool, addr, args, timeout):
    """bench-9pscale's lines as {key: [values]}, and its exit status."""
    p = subprocess.run([tool, "-s", addr] + args, capture_output=True, text=True, timeout=timeout)
    got = {}
    for line in p.stdout.splitlines():
        m = LINE.match(line)
        if m:
            got.setdefault(m.group(1), []).append(m.group(2))
    if p.returncode == 2 or not got:
        sys.exit("scale_bench: bench-9pscale %s failed: %s" % (" ".join(args), (p.stderr or p.stdout).strip()))
    return got, p.returncode


def fields(text):
    """'n 5 persec 7 p50_us 3.1' -> {'n': 5.0, ...}"""
    w = text.split()
    return {w[i]: float(w[i + 1]) for i in range(0, len(w) - 1, 2) if re.match(r"^-?[\d.]+$", w[i + 1])}


def ends_line(got, mode):
    e = fields(got[mode][0])
    kept = "held" if mode == "idle" else "served"
    said = "%s: asked %d, %s %d" % (mode, e["asked"], kept, e[kept])
    for k in ("refused", "silent", "noconnect", "dropped", "malformed"):
        if e[k]:
            said += ", %s %d" % ({"silent": "closed without a 9P answer",
                                  "noconnect": "connect failed"}.get(k, k), e[k])
    return e, said


def idle(a, tool, d):
    p, addr, tcp = start(a.luxsim, a.mem, d)
    try:
        got, rc = run(tool, addr, ["--idle", str(a.idle), "--seconds", str(a.idle_seconds),
                                   "--pid", str(p.pid), "--window", str(a.window),
                                   "--also", tcp], timeout=600 + 2 * a.idle_seconds)
        after = counters(p, d)
        peak = peak_mib(p)
    finally:
        stop(p)
    e, said = ends_line(got, "idle")
    base, held = fields(got["getattr 0"][0]), fields(got["getattr held"][0])
    print("idle connections, luxsim --mem %d, half on the owner's unix socket, half on TCP "
          "(bench-9pscale --idle, window %d)" % (a.mem, a.window))
    print(said)
    for why in got.get("why", []):
        print("  " + why)
    print("getattr on the root fid, 1 honest connection, %d s each" % a.idle_seconds)
    print("%-36s %11s %9s %9s %10s %8s %8s" % ("run", "getattr/s", "p50 us", "p99 us", "max us",
                                             "rate", "p99"))
    for name, l in (("0 idle connections (baseline)", base),
                    ("%d idle connections held" % e["held"], held)):
        print("%-36s %11.0f %9.1f %9.1f %10.1f %8.2f %8.2f" % (
            name, l["persec"], l["p50_us"], l["p99_us"], l["max_us"],
            l["persec"] / base["persec"], l["p99_us"] / base["p99_us"]))
    if "rss_kb" in got:
        r = fields(got["rss_kb"][0])
        print("luxsim VmRSS: %d KiB before, %d KiB after: %.0f bytes per idle connection held"
              % (r["before"], r["after"], r["per_conn_bytes"]))
        print("luxsim VmRSS with them held: %.1f MiB, against --mem %d MiB (%.2fx)"
              % (r["after"] / 1024, a.mem, r["after"] / 1024 / a.mem))
    for s in got.get("status", []):
        print("/9p/status while held: " + s)
    print("held connections that answered a Tgetattr afterwards: " + got["alive"][0])
    print("counters once they left: " + after)
    print("luxsim's peak VmRSS: %.1f MiB (--mem %d)" % (peak, a.mem))
    for line in tail(d, "console") + tail(d, "stderr"):
        if "refus" in line or "descriptor" in line:
            print("luxsim said: " + line)
    ok = rc == 0 and after == ZERO
    if a.smoke and (e["held"] != a.idle or base["n"] == 0 or held["n"] == 0):
        print("smoke: every one of the %d idle connections must be held" % a.idle)
        ok = False
    return ok


def active(a, tool, d):
    p, addr, tcp = start(a.luxsim, a.mem, d)
    try:
        one, rc1 = run(tool, addr, ["--active", "1", "--seconds", str(min(a.seconds, 5))],
                       timeout=120)
        got, rc = run(tool, addr, ["--active", str(a.active), "--seconds", str(a.seconds),
                                   "--window", str(a.window), "--also", tcp],
                      timeout=600 + 2 * a.seconds)
        after = counters(p, d)
        peak = peak_mib(p)
    finally:
        stop(p)
    e, said = ends_line(got, "active")
    base = float(re.search(r"([\d.]+) ops/s", one["total"][0]).group(1))
    rate = float(re.search(r"([\d.]+) ops/s", got["total"][0]).group(1))
    print("active clients, luxsim --mem %d, half on the owner's unix socket, half on TCP "
          "(bench-9pscale --active, %d s)" % (a.mem, a.seconds))
    print(said)
    for why in got.get("why", []):
        print("  " + why)
    print("%-22s %12s %10s" % ("op", "count", "per s"))
    names = re.findall(r"([a-z+]+) (\d+)", got["ops"][0])
    for name, n in names:
        print("%-22s %12s %10.0f" % (name, n, int(n) / a.seconds))
    print("%-22s %12s %10s %8s" % ("run", "", "ops/s", "ratio"))
    print("%-22s %12s %10.0f %8s" % ("1 client (baseline)", "", base, "1.00"))
    print("%-22s %12s %10.0f %8.2f" % ("%d clients served" % e["served"], "", rate, rate / base))
    print("protocol errors: " + got["protocol_errors"][0] + "  (1 client alone: " +
          one["protocol_errors"][0] + ")")
    print("counters once they left: " + after)
    print("luxsim's peak VmRSS: %.1f MiB (--mem %d)" % (peak, a.mem))
    ok = rc == 0 and rc1 == 0 and after == ZERO
    if a.smoke and e["served"] != a.active:
        print("smoke: every one of the %d active clients must be served" % a.active)
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("luxsim")
    ap.add_argument("tool")
    ap.add_argument("--idle", type=int, default=10000)
    ap.add_argument("--idle-seconds", type=int, default=5)
    ap.add_argument("--active", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--mem", type=int, default=64, help="luxsim --mem (MiB; 64 is luxsim's default)")
    ap.add_argument("--window", type=int, default=16)
    ap.add_argument("--smoke", action="store_true", help="short runs; all must be served")
    a = ap.parse_args()
    if a.smoke:
        a.idle_seconds, a.seconds = 1, 2
    dirs = [tempfile.mkdtemp(prefix="scale-") for _ in range(2)]
    try:
        ok = idle(a, a.tool, dirs[0])
        print()
        ok = active(a, a.tool, dirs[1]) and ok
    finally:
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
