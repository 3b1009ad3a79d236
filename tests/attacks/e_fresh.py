#!/usr/bin/env python3
"""Attack E: fresh-connection priority.  Flooders connect over and over
(from many loopback addresses, so no one peer's slot cap stops them) and
spend exactly their 8 priority messages on Tversions (each a control job
run at the front of the pool's ring), never attaching, then hang up and
come back.  Measured: an attached victim's round trips (Tgetattr-like
walk+clunk) and a new victim's connect+Tversion+Tattach, without and with
the flood.

Usage: e_fresh.py [luxsim] [seconds] [threads]
"""
import socket
import statistics
import struct
import sys
import threading
import time

import common as cm
from common import TVERSION, NOTAG, msg, s

secs = float(sys.argv[2]) if len(sys.argv) > 2 else 4
nthr = int(sys.argv[3]) if len(sys.argv) > 3 else 16
srv = cm.server()
flooding = threading.Event()
done = threading.Event()
count = [0]


def flooder(i):
    ver = msg(TVERSION, NOTAG, struct.pack("<I", 65560) + s("9P2000.L"))
    n = 0
    while not done.is_set():
        if not flooding.is_set():
            time.sleep(0.01)
            continue
        try:
            so = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            so.bind(("127.0.%d.%d" % (1 + i, 2 + n % 200), 0))
            n += 1
            so.settimeout(2)
            so.connect(("127.0.0.1", srv.port))
            so.sendall(ver * 8)
            got = 0
            while got < 8 * 21:
                b = so.recv(4096)
                if not b:
                    break
                got += len(b)
            so.close()
            count[0] += 1
        except OSError:
            pass


def measure(label):
    rtts, news = [], []
    c = cm.nt.Client(srv.path, "9P2000.L")
    c.attach(1)
    t_end = time.monotonic() + secs
    while time.monotonic() < t_end:
        t0 = time.monotonic()
        c.walk(1, 2, ["tmp", "d", "f"])
        c.clunk(2)
        rtts.append(time.monotonic() - t0)
        if len(rtts) % 20 == 0:
            t0 = time.monotonic()
            n = cm.nt.Client(srv.path, "9P2000.L")
            n.attach(1)
            news.append(time.monotonic() - t0)
            n.close()
    c.close()
    q = lambda v, p: sorted(v)[min(len(v) - 1, int(p * len(v)))] * 1000  # noqa: E731
    print("%-10s attached walk+clunk: n=%d median %.2f ms p99 %.2f ms max %.1f ms; "
          "new client: n=%d median %.1f ms max %.1f ms" %
          (label, len(rtts), statistics.median(rtts) * 1000, q(rtts, 0.99), max(rtts) * 1000,
           len(news), statistics.median(news) * 1000 if news else -1, max(news) * 1000 if news else -1))


try:
    th = [threading.Thread(target=flooder, args=(i,), daemon=True) for i in range(nthr)]
    for t in th:
        t.start()
    measure("quiet")
    flooding.set()
    time.sleep(0.5)
    measure("flooded")
    flooding.clear()
    print("flood connections:", count[0])
    done.set()
    time.sleep(0.5)
    clean, lines = cm.wait_clean(srv, 20)
    print("counters clean:", clean)
finally:
    rc, out, err = srv.stop()
    print("luxsim exit", rc)
