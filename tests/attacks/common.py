"""Shared bits of the attack scripts: a luxsim with a shell (ninep_test's
Server), raw clients, the `ninep` counters."""
import glob
import os
import re
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ninep_test as nt  # noqa: E402
from ninep_test import (NOTAG, NOFID, TREAD, TWRITE, TVERSION, TATTACH, TWALK,  # noqa: E402,F401
                        TFLUSH, TCLUNK, RLERROR, RERROR, msg, s, NinepError)


def luxsim():
    if len(sys.argv) > 1 and os.path.exists(sys.argv[1]):
        return sys.argv[1]
    for p in ("build/hosted/luxsim", "build/*/luxsim", "build/*/*/luxsim"):
        got = sorted(glob.glob(os.path.join(HERE, "..", "..", p)))
        if got:
            return os.path.abspath(got[0])
    sys.exit("no luxsim: give its path")


def server(script="mkdir /tmp/d\necho hello > /tmp/d/f\n", args=()):
    nt.LUXSIM = luxsim()
    return nt.Server(script, args=list(args))


def tcp_from(src, port, dialect="9P2000.L", msize=8192, rcvbuf=None):
    """A Client whose TCP connection comes from source address src (another
    loopback address is another peer)."""
    c = nt.Client.__new__(nt.Client)
    c.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    c.sock.settimeout(30)
    c.sock.bind((src, 0))
    c.sock.connect(("127.0.0.1", port))
    c.dotl = dialect == "9P2000.L"
    c.tag = 0
    c.version(msize, dialect)
    return c


def ninep(srv):
    return srv.shell("ninep")


def totals(srv):
    return [l for l in ninep(srv) if l.startswith("total ") or l.startswith("peer ")]


def wait_clean(srv, secs=15):
    """Every pebble back: True, or the last counters."""
    deadline = time.monotonic() + secs
    while True:
        lines = ninep(srv)
        text = "\n".join(lines)
        if ("total conns 0 fids 0 reqs 0 pages 0 procs 0 bytes 0" in text
                and not any(l.startswith("peer ") for l in lines)):
            return True, lines
        if time.monotonic() > deadline:
            return False, lines
        time.sleep(0.2)


def timed_rpc(c, t, body, tag, secs):
    """Send one request, wait at most secs for its answer: (seconds, reply) or (None, None)."""
    c.sock.settimeout(secs)
    t0 = time.monotonic()
    c.send(msg(t, tag, body))
    try:
        got = c.recv()
    except (socket.timeout, TimeoutError):
        return None, None
    return time.monotonic() - t0, got


def pid_of(c, root=1, fid=90):
    c.walk(root, fid, ["dev", "pid"])
    c.open(fid, 0)
    pid = c.read(fid, 0, 20).decode().strip()
    c.clunk(fid)
    return pid


def ns_write(c, line, root=1, fid=91):
    pid = pid_of(c, root)
    c.walk(root, fid, ["proc", pid, "ns"])
    c.open(fid, 1)
    try:
        c.write(fid, 0, line.encode())
    finally:
        c.clunk(fid)


def sleep_in_workers(srv, n):
    """Attack A's attacker: n connections as "none" on the plain TCP
    listener, each binding '#pipe' over /tmp in its own namespace and
    sending 4 Treads that sleep on the empty pipe.  Returns (connections,
    how many waited for their own share before they could even open, or
    got no pipe: none may hold 8)."""
    held, stuck = [], 0
    for k in range(n):
        c = nt.Client(("127.0.0.1", srv.port_plain), "9P2000.L")
        held.append(c)
        c.sock.settimeout(3)
        try:
            c.attach(1)
            ns_write(c, "bind '#pipe' /tmp\n")
            c.walk(1, 10, ["tmp", "data1"])
            c.open(10, 0)
        except (TimeoutError, OSError):
            stuck += 1      # its own share of the workers is taken: it waits
            continue
        except NinepError:
            stuck += 1      # none's 8 pipes are taken (PIPE_PER_USER, j_pipes.py)
            continue
        c.send(b"".join(msg(TREAD, 100 + i, struct.pack("<IQI", 10, 0, 100)) for i in range(4)))
    return held, stuck
