#!/usr/bin/env python3
"""pjdfstest through Linux's v9fs (access=user), against luxsim and diod
in the same guest boot, for docs/security.md's comparison.

Usage:
  tests/linux/pjdfstest.py --src DIR [--server luxsim|diod|both]
                           [--luxsim PATH] [--only SUBSTR ...] [--cache DIR] [--log FILE]
  tests/linux/pjdfstest.py --tally LOG [LOG]     (count again from saved logs)

DIR is a checkout of https://github.com/pjd/pjdfstest (not a Debian
package, and nothing is downloaded here: bring your own).  pjdfstest.c is
compiled statically with the defines its configure script finds on
Linux/glibc, and it goes with its tests/ into the guest (tests/linux/
guest.py).  No perl in the guest: each .t runs under busybox sh, and its
`ok`/`not ok` lines are counted here.  A script passes when it printed its
plan, every planned point, and no `not ok`.

Not part of `./lux test` (it needs the pjdfstest sources and takes minutes
per server under TCG).

Both servers run as this process's user (root, so that diod can act for
every uid): luxsim with a user for each uid pjdfstest switches to
(LUX_USERS), diod exporting a fresh directory.
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

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import guest  # noqa: E402
import luxserver  # noqa: E402

# What pjdfstest's configure defines on Linux with glibc (configure.ac):
# the *at functions, posix_fallocate, utimensat and the timespec fields.
CONFIG_H = "".join("#define %s 1\n" % d for d in """
_GNU_SOURCE HAVE_SYS_SYSMACROS_H HAVE_FACCESSAT HAVE_FCHMODAT HAVE_FCHOWNAT
HAVE_FSTATAT HAVE_LINKAT HAVE_MKDIRAT HAVE_MKFIFOAT HAVE_MKNODAT HAVE_OPENAT
HAVE_POSIX_FALLOCATE HAVE_READLINKAT HAVE_RENAMEAT HAVE_SYMLINKAT HAVE_UNLINKAT
HAVE_UTIMENSAT HAVE_STRUCT_STAT_ST_ATIM HAVE_STRUCT_STAT_ST_CTIM
HAVE_STRUCT_STAT_ST_MTIM""".split())

# Every id pjdfstest switches to or gives files to must be a user of
# luxsim's table (an id without a name is EINVAL, as Linux answers an id not
# mapped in a user namespace); 65534 is luxsim's none already.
LUX_USERS = [("u%d" % i, i) for i in (123, 456, 65530, 65531, 65532, 65533)]

# v9fs does not tell the server a process's groups, and pjdfstest picks
# them per step (-g 65533,65532), so each of its users is a member of each
# of its groups here; the client's own check (setattr_prepare, generic_
# permission) narrows that to the step's groups, as the only place that
# knows them.  A server can only be as strict as its table.
LUX_GROUPS = "".join("echo uname %s +%s > /adm/users\n" % (g, u)
                     for g in ("u65531", "u65532", "u65533", "none")
                     for u in ("none", "u65531", "u65532", "u65533") if u != g)

# pjdfstest's misc.sh names files with `openssl md5`; busybox has md5sum.
OPENSSL_SHIM = b"""#!/bin/sh
# openssl md5 for pjdfstest's namegen (tests/linux/pjdfstest.py)
[ "$1" = md5 ] || { echo "openssl: only md5 here" >&2; exit 1; }
echo "(stdin)= $(md5sum | cut -d' ' -f1)"
"""

# The guest runs each script under sh with a bound, in a fresh directory
# of the mount, and prints what the host counts.
WORKLOAD = r"""
scripts=$(cd /pjd && find tests -name '*.t' | sort | grep -F -e "${ONLY:-/}")
for srv in $SERVERS; do
	case $srv in
	luxsim) mount9p luxsim /mnt/luxsim version=9p2000.L,access=user,uname=none,msize=65560 || exit 1
		base=/mnt/luxsim/tmp/pjd ;;
	diod) mount9p diod /mnt/diod version=9p2000.L,access=user,aname=$DIOD_EXPORT,msize=65560 || exit 1
		base=/mnt/diod/pjd ;;
	esac
	mkdir -p $base && chmod 0755 $base || exit 1
	n=0
	for t in $scripts; do
		n=$((n + 1))
		d=$base/$n
		mkdir $d && cd $d || { echo "@@T $srv $t setup-failed"; continue; }
		timeout $SCRIPT_TIMEOUT sh /pjd/$t >/tmp/out 2>/dev/null
		st=$?
		echo "@@T $srv $t status $st"
		grep -E '^(ok|not ok|1\.\.)' /tmp/out | sed "s|^|@@L $srv $t |"
		cd /
	done
	umount /mnt/$srv || echo "umount /mnt/$srv failed"
done
"""


def build_pjdfstest(src, out_dir):
    """Compile pjdfstest.c statically; returns the binary's path."""
    c = os.path.join(src, "pjdfstest.c")
    if not os.path.isfile(c) or not os.path.isdir(os.path.join(src, "tests")):
        sys.exit("pjdfstest.py: %s is not a pjdfstest checkout (no pjdfstest.c and tests/)" % src)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "config.h"), "w") as f:
        f.write(CONFIG_H)
    binary = os.path.join(out_dir, "pjdfstest")
    r = subprocess.run(["gcc", "-static", "-O2", "-w", "-I", out_dir, "-o", binary, c],
                       stderr=subprocess.PIPE, text=True)
    if r.returncode:
        sys.exit("pjdfstest.py: building pjdfstest failed:\n" + r.stderr)
    return binary


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


class Diod:
    """diod serving a fresh directory on 127.0.0.1, without authentication
    (the guest is the only client), as root so it can act for every uid."""

    def __init__(self, work):
        if shutil.which("diod") is None:
            sys.exit("pjdfstest.py: no diod: apt-get install diod")
        self.export = os.path.join(work, "diod-export")
        os.makedirs(self.export)
        os.chmod(self.export, 0o755)
        self.port = free_port()
        self.log = open(os.path.join(work, "diod.log"), "w")
        self.p = subprocess.Popen(["diod", "-f", "-n", "-l", "127.0.0.1:%d" % self.port,
                                   "-e", self.export, "-L", "stderr"],
                                  stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.p.poll() is not None or time.monotonic() > deadline:
                    sys.exit("pjdfstest.py: diod did not start (see %s)" % self.log.name)
                time.sleep(0.1)

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.log.close()


def progress(total):
    """A line on stderr per script as the guest finishes it."""
    done = [0]

    def show(line):
        m = re.match(r"@@T (\S+) (\S+) status (\d+)$", line)
        if m:
            done[0] += 1
            print("[%d/%d] %s %s (status %s)" % (done[0], total, m.group(1), m.group(2),
                                                 m.group(3)), file=sys.stderr, flush=True)
    return show


def tally(output, servers):
    """Per server and script: points ok, not ok and TODO, passed, first
    failure.  A script passes with a plan, all its points and no not ok;
    `not ok N # TODO` is a known failure pjdfstest marks for this OS (TAP,
    as prove counts it): neither ok nor a failure."""
    res = {s: {} for s in servers}
    for line in output.splitlines():
        m = re.match(r"@@T (\S+) (\S+) status (\d+)$", line)
        if m:
            res[m.group(1)][m.group(2)] = {"ok": 0, "notok": 0, "todo": 0, "plan": None,
                                           "status": int(m.group(3)), "first": None}
            continue
        m = re.match(r"@@L (\S+) (\S+) (.*)$", line)
        if not m:
            continue
        r = res[m.group(1)][m.group(2)]
        text = m.group(3)
        pm = re.match(r"1\.\.(\d+)", text)
        if pm:
            r["plan"] = int(pm.group(1))
        elif text.startswith("not ok") and "# TODO" in text:
            r["todo"] += 1
        elif text.startswith("not ok"):
            r["notok"] += 1
            r["first"] = r["first"] or text
        elif text.startswith("ok"):
            r["ok"] += 1
    for s in servers:
        for r in res[s].values():
            r["pass"] = r["plan"] is not None and r["notok"] == 0 and \
                r["ok"] + r["todo"] == r["plan"]
    return res


def report(res, servers, head):
    """The table, and the scripts that pass on one server only."""
    print(head)
    print("%-8s %8s %8s %10s %10s %6s" % ("server", "scripts", "passed", "points ok", "not ok", "todo"))
    for s in servers:
        rs = res[s].values()
        print("%-8s %8d %8d %10d %10d %6d" % (s, len(rs), sum(x["pass"] for x in rs),
                                              sum(x["ok"] for x in rs), sum(x["notok"] for x in rs),
                                              sum(x["todo"] for x in rs)))
    why = lambda x: (x or {}).get("first") or "status %s, %s of plan %s" % (
        (x or {}).get("status"), (x or {}).get("ok"), (x or {}).get("plan"))
    if len(servers) == 2:
        worse = [t for t in sorted(res["diod"]) if res["diod"][t]["pass"] and
                 not res["luxsim"].get(t, {}).get("pass")]
        better = [t for t in sorted(res["luxsim"]) if res["luxsim"][t]["pass"] and
                  not res["diod"].get(t, {}).get("pass")]
        print("\npass on diod, fail on luxsim (%d): first failure" % len(worse))
        for t in worse:
            print("  %-24s %.150s" % (t[len("tests/"):], why(res["luxsim"].get(t))))
        print("\npass on luxsim, fail on diod (%d): %s" % (len(better), " ".join(better)))
    else:
        s = servers[0]
        fails = [t for t in sorted(res[s]) if not res[s][t]["pass"]]
        print("\nfailing on %s (%d):" % (s, len(fails)))
        for t in fails:
            print("  %-24s %.150s" % (t[len("tests/"):], why(res[s][t])))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", help="a pjdfstest checkout")
    ap.add_argument("--server", choices=("luxsim", "diod", "both"), default="both")
    ap.add_argument("--luxsim", default=None, help="luxsim binary (default: build/full, else build/hosted)")
    ap.add_argument("--only", action="append", default=[],
                    help="run only scripts whose path contains this (repeatable), e.g. chown/")
    ap.add_argument("--cache", default=os.path.join(TOP, "build", "full", "tests", "linux"))
    ap.add_argument("--script-timeout", type=int, default=900,
                    help="seconds per script (chown/00.t runs 1280 steps: minutes under TCG)")
    ap.add_argument("--log", help="keep the guest's serial log here")
    ap.add_argument("--tally", nargs="+", metavar="LOG",
                    help="count again from logs of earlier runs (--log) instead of running; "
                         "e.g. luxsim's from one run and diod's from another")
    a = ap.parse_args()
    if a.tally:
        text = ""
        for log in a.tally:
            with open(log) as f:
                text += f.read()
        servers = [s for s in ("luxsim", "diod") if "@@T %s " % s in text]
        report(tally(text, servers), servers, "pjdfstest through Linux v9fs, from %s" % " ".join(a.tally))
        return 0
    if not a.src:
        ap.error("--src DIR (a pjdfstest checkout) is needed to run")
    servers = ["luxsim", "diod"] if a.server == "both" else [a.server]
    luxsim = a.luxsim or next((p for p in (os.path.join(TOP, "build", d, "sim", "luxsim")
                                           for d in ("full", "hosted")) if os.path.exists(p)), None)
    if "luxsim" in servers and not luxsim:
        sys.exit("pjdfstest.py: no luxsim: ./lux build first, or --luxsim PATH")

    work = tempfile.mkdtemp(prefix="pjdfstest-")
    os.chmod(work, 0o755)	# diod attaches as nobody at mount: it walks through here
    g = guest.Guest(a.cache)
    binary = build_pjdfstest(os.path.abspath(a.src), os.path.join(a.cache, "pjdfstest"))
    with open(binary, "rb") as f:
        files = {"pjd/pjdfstest": f.read(), "bin/openssl": OPENSSL_SHIM}
    ports, lux, diod = [], None, None
    try:
        if "luxsim" in servers:
            lux = luxserver.Luxsim(luxsim, users=LUX_USERS, script=LUX_GROUPS)
            ports.append(guest.Port("luxsim", unix=lux.path))
        if "diod" in servers:
            diod = Diod(work)
            ports.append(guest.Port("diod", tcp=diod.port))
        env = "SERVERS='%s'\nSCRIPT_TIMEOUT=%d\nDIOD_EXPORT='%s'\nONLY='%s'\n" % (
            " ".join(servers), a.script_timeout, diod.export if diod else "", "\n".join(a.only))
        scripts = [os.path.relpath(os.path.join(r, f), a.src)
                   for r, _, fs in os.walk(os.path.join(a.src, "tests")) for f in fs if f.endswith(".t")]
        nscripts = len([t for t in scripts if not a.only or any(o in t for o in a.only)])
        t0 = time.monotonic()
        r = g.run(env + WORKLOAD, ports=ports, files=files,
                  file_trees={os.path.join(os.path.abspath(a.src), "tests"): "pjd/tests"},
                  timeout=max(600, nscripts * a.script_timeout), log=a.log,
                  on_line=progress(nscripts * len(servers)))
        secs = time.monotonic() - t0
    finally:
        if lux:
            lux.stop()
        if diod:
            diod.stop()
        shutil.rmtree(work, ignore_errors=True)
    if r.status != 0:
        print(r.output[-3000:])
        sys.exit("pjdfstest.py: the guest's workload failed (status %d)" % r.status)
    report(tally(r.output, servers), servers,
           "pjdfstest through Linux v9fs (9p2000.L, access=user); guest boot %.1f s, run %.0f s"
           % (r.boot_seconds, secs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
