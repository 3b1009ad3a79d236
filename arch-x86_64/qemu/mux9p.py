"""The runner's side of the 9P connection mux (docs/x86_64.md, "The mux protocol").

QEMU's socket chardev frames nothing: it cannot say which client sent a
byte, takes one client at a time, and ignores the guest's hang-up.  So
the runner is QEMU's only client: it connects once to QEMU's socket (in
a directory of its own) and listens itself on the user's unix!PATH.  Each
client it accepts gets an id (0..MUX_CONNS-1) and travels over the one
port in records

    [type u8][flag u8][id u16 le][len u32 le][len bytes]

OPEN, DATA, CLOSE and SYNC to the kernel; DATA, CLOSE, WINDOW and SYNC
from it.  Bounded everywhere: a client's bytes are read only while fewer
than CLIENT_READ_MAX wait and forwarded only within the kernel's credit
for its id (so a connection the kernel paused stops here, not on the
port); the kernel's replies to a client that does not read stop its
requests being read past CLIENT_OUT_HIGH and drop it past CLIENT_OUT_MAX;
what waits for the port is filled only below PORT_OUT_HIGH.
"""

import collections
import os
import selectors
import socket
import stat
import struct
import sys
import time

MUX_HDR = 8
MUX_CONNS = 16
MUX_MAXDATA = 16384
MUX_WINDOW = 32768
OPEN, DATA, CLOSE, WIN, SYNC = 1, 2, 3, 4, 0x53
MAGIC = b"lux9mux1"

CLIENT_READ_MAX = 65536
CLIENT_OUT_HIGH = 1 << 20
CLIENT_OUT_MAX = 16 << 20
PORT_OUT_HIGH = 256 << 10
# A client that finds all ids taken waits this long for one (an id
# frees once both CLOSEs of a client that just left have passed) before
# it is refused.
REFUSE_AFTER_S = 2.0


def record(kind, cid, payload=b"", flag=0):
    return struct.pack("<BBHI", kind, flag, cid, len(payload)) + payload


def sync(flag):
    return record(SYNC, 0, MAGIC, flag)


SYNCS = (sync(0), sync(1))


class Client:
    def __init__(self, sock, cid):
        self.sock = sock
        self.cid = cid
        self.inbuf = bytearray()   # read from the client, not yet forwarded
        self.out = bytearray()     # the kernel's bytes, not yet written to it
        self.credit = MUX_WINDOW   # what the kernel still takes for cid
        self.eof = False           # the client hung up (or was dropped)
        self.close_sent = False    # our CLOSE for cid is queued
        self.close_recvd = False   # the kernel's CLOSE came: flush, then hang up


class Mux:
    """Register with a selector; call pump() after each select round."""

    def __init__(self, sel, listen_path, port_path, log=None):
        self.sel = sel
        self.log = log or (lambda msg: print("run-qemu: 9P: " + msg, file=sys.stderr))
        self.ids = [None] * MUX_CONNS   # the client holding each id
        self.clients = set()            # every client with a socket or an id
        self.port_in = bytearray()
        self.port_out = bytearray(sync(0))
        self.hunting = True             # until the kernel's SYNC
        self.port = self._connect(port_path)
        self.port.setblocking(False)
        self.lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            if stat.S_ISSOCK(os.lstat(listen_path).st_mode):
                os.remove(listen_path)  # a stale socket of an earlier run
        except FileNotFoundError:
            pass                        # anything else there: bind says so
        self.lst.bind(listen_path)
        self.lst.listen(MUX_CONNS)
        self.lst.setblocking(False)
        sel.register(self.lst, selectors.EVENT_READ, ("mux", self._accept))
        self.waiting = collections.deque()   # (socket, refuse at) without an id yet
        sel.register(self.port, selectors.EVENT_READ, ("mux", self._port_event))
        self.interest = {}

    @staticmethod
    def _connect(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return s

    def close(self):
        for c in list(self.clients):
            self._hang_up(c)
        while self.waiting:
            self.waiting.popleft()[0].close()
        for s in (self.lst, self.port):
            if s is not None:
                try:
                    self.sel.unregister(s)
                except (KeyError, ValueError):
                    pass    # the listener while it waited for an id
                s.close()
        self.lst = self.port = None

    # ---- clients -----------------------------------------------------

    def _accept(self, mask):
        try:
            sock, _ = self.lst.accept()
        except (BlockingIOError, InterruptedError):
            return
        if len(self.waiting) >= MUX_CONNS or self.port is None:
            self._refuse(sock)
            return
        sock.setblocking(False)
        self.waiting.append((sock, time.monotonic() + REFUSE_AFTER_S))
        self._admit()

    def _refuse(self, sock):
        self.log("refusing a client: all %d connections are in use" % MUX_CONNS
                 if self.port is not None else "refusing a client: the kernel's port is gone")
        sock.close()

    def _admit(self):
        """Waiting clients get the lowest free ids; past their time, refused."""
        while self.waiting and None in self.ids:
            sock, _ = self.waiting.popleft()
            c = Client(sock, self.ids.index(None))
            self.ids[c.cid] = c
            self.clients.add(c)
            self._watch(c, selectors.EVENT_READ)
            self.port_out += record(OPEN, c.cid)
        now = time.monotonic()
        while self.waiting and self.waiting[0][1] <= now:
            self._refuse(self.waiting.popleft()[0])

    def _client_event(self, c, mask):
        if mask & selectors.EVENT_READ and c.sock is not None:
            try:
                data = c.sock.recv(CLIENT_READ_MAX - len(c.inbuf))
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                data = b""
            if data == b"":
                self._hang_up(c)   # what it sent still goes, then our CLOSE
            elif data:
                c.inbuf += data
        if mask & selectors.EVENT_WRITE:
            self._flush_client(c)

    def _flush_client(self, c):
        if c.sock is None or not c.out:
            return
        try:
            n = c.sock.send(c.out)
            del c.out[:n]
        except (BlockingIOError, InterruptedError):
            pass
        except OSError:
            c.out.clear()
            c.eof = True
            self._hang_up(c)

    def _hang_up(self, c):
        """The client's socket closes; its id stays until both CLOSEs."""
        if c.sock is not None:
            if self.interest.pop(c.sock, 0):
                self.sel.unregister(c.sock)
            c.sock.close()
            c.sock = None
        c.eof = True
        c.out.clear()
        if c.close_recvd:
            c.inbuf.clear()
        self._maybe_forget(c)

    def _maybe_forget(self, c):
        if c.close_sent and c.close_recvd:
            if self.ids[c.cid] is c:
                self.ids[c.cid] = None
            if c.sock is None:
                self.clients.discard(c)

    def _send_close(self, c):
        if not c.close_sent:
            c.close_sent = True
            self.port_out += record(CLOSE, c.cid)
        self._maybe_forget(c)

    # ---- the port ----------------------------------------------------

    def _port_event(self, mask):
        if mask & selectors.EVENT_READ:
            try:
                data = self.port.recv(65536)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                data = b""
            if data == b"":   # QEMU ended (the guest halted): clients go too
                self._reset()
                self.sel.unregister(self.port)
                self.port.close()
                self.port = None
                return
            if data:
                self.port_in += data
                self._parse()
        if mask & selectors.EVENT_WRITE:
            self._flush_port()

    def _flush_port(self):
        if self.port is None or not self.port_out:
            return
        try:
            n = self.port.send(self.port_out)
            del self.port_out[:n]
        except (BlockingIOError, InterruptedError):
            pass

    def _reset(self):
        """Every connection is gone (a SYNC, or a lost stream)."""
        for c in list(self.clients):
            c.close_sent = c.close_recvd = True
            c.out.clear()
            self._hang_up(c)
        self.ids = [None] * MUX_CONNS
        self.clients.clear()

    def _lost(self, why):
        self.log("bad record from the kernel (%s): every connection dropped, "
                 "asking for a fresh start" % why)
        self._reset()
        self.port_out += sync(0)
        self.hunting = True

    def _hunt(self):
        at = [i for i in (self.port_in.find(s) for s in SYNCS) if i >= 0]
        if not at:
            del self.port_in[:max(0, len(self.port_in) - (len(SYNCS[0]) - 1))]
            return False
        i = min(at)
        self._synced(self.port_in[i + 1])
        del self.port_in[:i + len(SYNCS[0])]
        return True

    def _synced(self, flag):
        self.hunting = False
        if flag == 0:   # the kernel started over: answer
            self._reset()
            self.port_out += sync(1)

    def _parse(self):
        while True:
            if self.hunting:
                if not self._hunt():
                    return
                continue
            if len(self.port_in) < MUX_HDR:
                return
            kind, flag, cid, n = struct.unpack_from("<BBHI", self.port_in)
            if kind == SYNC:
                if len(self.port_in) < len(SYNCS[0]):
                    return
                if bytes(self.port_in[:16]) not in SYNCS:
                    return self._lost("a malformed SYNC")
                del self.port_in[:16]
                self._synced(flag)
                continue
            if kind not in (DATA, CLOSE, WIN) or flag or n > MUX_MAXDATA or cid >= MUX_CONNS:
                return self._lost("type %d flag %d id %d length %d" % (kind, flag, cid, n))
            if len(self.port_in) < MUX_HDR + n:
                return
            body = bytes(self.port_in[MUX_HDR:MUX_HDR + n])
            del self.port_in[:MUX_HDR + n]
            self._record(kind, cid, body)

    def _record(self, kind, cid, body):
        c = self.ids[cid]
        if c is None or c.close_recvd:
            self.log("kernel record %d for id %d, which is not open: dropped" % (kind, cid))
            return
        if kind == WIN:
            if len(body) == 4:
                c.credit += struct.unpack("<I", body)[0]
            return
        if kind == CLOSE:
            c.close_recvd = True
            c.inbuf.clear()
            self._send_close(c)
            if not c.out:
                self._hang_up(c)
            return
        if c.sock is None:
            return      # the client is gone: its replies go nowhere
        c.out += body
        if len(c.out) > CLIENT_OUT_MAX:
            self.log("dropping client %d: %d bytes of replies unread" % (cid, len(c.out)))
            c.out.clear()
            self._hang_up(c)

    # ---- each round ----------------------------------------------------

    def _forward(self, c):
        """c's bytes to the port within its credit; then its CLOSE."""
        if c.close_sent or c.close_recvd:
            return
        while c.inbuf and c.credit > 0 and len(self.port_out) < PORT_OUT_HIGH:
            n = min(len(c.inbuf), c.credit, MUX_MAXDATA)
            self.port_out += record(DATA, c.cid, bytes(c.inbuf[:n]))
            del c.inbuf[:n]
            c.credit -= n
        if c.eof and not c.inbuf:
            self._send_close(c)

    def pump(self):
        if self.port is None:
            return
        self._admit()
        for c in sorted(self.clients, key=lambda c: c.cid):
            self._forward(c)
            self._flush_client(c)
            if c.close_recvd and not c.out and c.sock is not None:
                self._hang_up(c)
        self._flush_port()
        self._set_interest()

    def _set_interest(self):
        want = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.port_out else 0)
        self.sel.modify(self.port, want, self.sel.get_key(self.port).data)
        for c in self.clients:
            if c.sock is None:
                continue
            ev = 0
            if not c.eof and not c.close_recvd and len(c.inbuf) < CLIENT_READ_MAX \
                    and len(c.out) < CLIENT_OUT_HIGH:
                ev |= selectors.EVENT_READ
            if c.out:
                ev |= selectors.EVENT_WRITE
            self._watch(c, ev)

    def _watch(self, c, ev):
        """Select on c for ev; epoll takes no empty interest, so a client
        with nothing to do is unregistered until it has."""
        was = self.interest.get(c.sock, 0)
        if ev == was:
            return
        data = ("mux", lambda m, c=c: self._client_event(c, m))
        if was and ev:
            self.sel.modify(c.sock, ev, data)
        elif ev:
            self.sel.register(c.sock, ev, data)
        else:
            self.sel.unregister(c.sock)
        self.interest[c.sock] = ev
