"""A link-shaping TCP proxy on 127.0.0.1: a poor mobile link in user space (no `tc netem` here).

    link = Shaper(server.url, up=125_000, down=500_000, latency=0.15).start()
    client = SyncClient(link.url, …)      # everything the client sends crosses the "link"
    link.cut_after(200_000)               # the link drops once 200,000 more bytes went up: the
                                          # server gets exactly those bytes, then every open
                                          # connection is closed on both sides
    link.cut_after(150_000, times=3)      # … and again after each 150,000 more
    link.cut()                            # the link drops now (a cut "at a time": call it from a timer)
    link.up.delivered, link.down.delivered   # bytes that crossed, per direction
    link.up.dropped                       # bytes the link had taken from the client but lost in a cut
    link.stop()                           # or: with Shaper(url, …) as link: …

The link, not each connection, has the bandwidth: one token bucket per direction is shared by
every connection, as a mobile uplink is shared by the tablet's parallel uploads. Bytes are taken
from the sender only as fast as the bucket allows (a real link's sender is held back the same
way: it cannot put more on the air than the rate), each piece is stamped, and delivered
`latency` seconds later (one way; the round trip is 2 × latency). So what is "in flight" when
the link drops is what a real link holds: about rate × latency, not a whole request.

A cut counts the bytes delivered upstream (to the server) from the moment it is armed; the piece
that reaches the count is delivered only up to it. After a cut, new connections are accepted
as before (the link came back). Standard library only; every socket has a time-out.
"""
from __future__ import annotations

import collections
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PIECE = 4096            # bytes read from a sender at a time (at 1 Mbit/s: 33 ms of the link)
LOOPBACK = ("127.0.0.1", "localhost")


class TokenBucket:
    """`rate` bytes a second, at most `burst` saved up; None: no limit."""

    def __init__(self, rate: float | None, burst: int = PIECE, clock=time.monotonic, sleep=time.sleep) -> None:
        self.rate, self.burst, self.clock, self.sleep = rate, burst, clock, sleep
        self.tokens, self.stamp = float(burst), clock()
        self.lock = threading.Lock()

    def take(self, wanted: int) -> None:
        """Wait until `wanted` bytes (≤ burst) may go, and take them."""
        if self.rate is None:
            return
        while True:
            with self.lock:
                now = self.clock()
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= wanted - 1e-6:   # (float dust would wait forever)
                    self.tokens -= wanted
                    return
                wait = (wanted - self.tokens) / self.rate
            self.sleep(wait)

    def give_back(self, unused: int) -> None:
        if self.rate is not None and unused > 0:
            with self.lock:
                self.tokens = min(self.burst, self.tokens + unused)


@dataclass
class Direction:
    """One direction of the link: its rate, and what crossed it."""
    name: str
    bucket: TokenBucket
    taken: int = 0          # bytes read from senders
    delivered: int = 0      # bytes written to receivers
    dropped: int = 0        # bytes read but lost in a cut
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class _Connection:
    def __init__(self, link: "Shaper", client: socket.socket, server: socket.socket) -> None:
        self.link, self.client, self.server = link, client, server
        self.closed = threading.Event()
        self.queues: dict[str, collections.deque] = {"up": collections.deque(), "down": collections.deque()}
        self.ready = {"up": threading.Condition(), "down": threading.Condition()}
        self.finished: set[str] = set()

    def start(self) -> None:
        for direction, src, dst in (("up", self.client, self.server), ("down", self.server, self.client)):
            threading.Thread(target=self._read, args=(direction, src), daemon=True, name=f"shaper-{direction}-r").start()
            threading.Thread(target=self._write, args=(direction, dst), daemon=True, name=f"shaper-{direction}-w").start()

    def _read(self, direction: str, src: socket.socket) -> None:
        stats = self.link.directions[direction]
        if direction == "up" and self.link.rtt:
            time.sleep(self.link.rtt)          # TCP's handshake: a round trip before the first byte goes
        while not self.closed.is_set():
            try:
                readable, _, _ = select.select([src], [], [], 0.5)
            except (OSError, ValueError):
                readable = [src]                # closed under us: recv says so
            if not readable:
                continue
            stats.bucket.take(PIECE)
            try:
                data = src.recv(PIECE)
            except OSError:
                data = b""
            stats.bucket.give_back(PIECE - len(data))
            with self.ready[direction]:
                if data:
                    with stats.lock:
                        stats.taken += len(data)
                if self.closed.is_set():
                    with stats.lock:
                        stats.dropped += len(data)
                    return
                self.queues[direction].append((time.monotonic() + self.link.latency, data))
                self.ready[direction].notify()
            if not data:
                return

    def _write(self, direction: str, dst: socket.socket) -> None:
        queue, ready = self.queues[direction], self.ready[direction]
        while True:
            with ready:
                while not queue and not self.closed.is_set():
                    ready.wait(0.5)
                if self.closed.is_set():
                    return
                due, data = queue.popleft()
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            if not data:                                   # the sender closed its side
                self._half_close(direction, dst)
                return
            if not self.link._deliver(self, direction, dst, data):
                return

    def _half_close(self, direction: str, dst: socket.socket) -> None:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.finished.add(direction)
        if self.finished == {"up", "down"}:
            self.close()

    def close(self) -> None:
        """Both sockets closed at once; whatever the link still held is lost (and counted)."""
        for direction in ("up", "down"):
            with self.ready[direction]:
                self.closed.set()
                lost = sum(len(data) for _, data in self.queues[direction])
                self.queues[direction].clear()
                stats = self.link.directions[direction]
                with stats.lock:
                    stats.dropped += lost
                self.ready[direction].notify_all()
        for sock in (self.client, self.server):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.link._forget(self)


class Shaper:
    def __init__(self, upstream: str, *, up: float | None = None, down: float | None = None,
                 latency: float = 0.0, timeout: float = 60.0) -> None:
        target = urlsplit(upstream)
        if target.hostname not in LOOPBACK or target.port is None:
            raise ValueError(f"Shaper only fronts a loopback server with a port, not {upstream!r}")
        self.upstream, self.latency, self.timeout = (target.hostname, target.port), latency, timeout
        self.up, self.down = Direction("up", TokenBucket(up)), Direction("down", TokenBucket(down))
        self.directions = {"up": self.up, "down": self.down}
        self.connections = 0                 # accepted so far
        self.cuts = 0                        # cuts that happened
        self._cut_at: int | None = None      # the upstream byte count at which the link drops
        self._again: list[int] = []          # cuts still to come, bytes after the one before
        self._cutting = False                # a cut is closing the connections
        self._lock = threading.Lock()
        self._open: set[_Connection] = set()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def rtt(self) -> float:
        return 2 * self.latency

    # --- cuts -----------------------------------------------------------------------------------
    def cut_after(self, upstream_bytes: int, times: int = 1) -> "Shaper":
        """Drop the link once `upstream_bytes` more bytes have been delivered to the server, and
        (`times` > 1) again each time that many more have gone up after the last cut."""
        with self._lock:
            self._cut_at = self.up.delivered + upstream_bytes
            self._again = [upstream_bytes] * (times - 1)
        return self

    def cut(self) -> None:
        """Drop the link now: every open connection is closed on both sides."""
        with self._lock:
            self._cutting = True
            self.cuts += 1
            victims = list(self._open)
        for conn in victims:
            conn.close()
        with self._lock:
            self._cutting = False
            self._cut_at = self.up.delivered + self._again.pop(0) if self._again else None

    @property
    def armed(self) -> bool:
        return self._cut_at is not None

    def _deliver(self, conn: _Connection, direction: str, dst: socket.socket, data: bytes) -> bool:
        """Write a piece; upstream, only up to an armed cut, which then drops the link."""
        stats, cutting = self.directions[direction], False
        with self._lock:
            if self._cutting:                       # the link is dropping: nothing more crosses
                with stats.lock:
                    stats.dropped += len(data)
                return False
            if direction == "up" and self._cut_at is not None and self._cut_at - stats.delivered <= len(data):
                room = self._cut_at - stats.delivered
                with stats.lock:
                    stats.dropped += len(data) - room
                data, cutting, self._cutting = data[:room], True, True
            with stats.lock:
                stats.delivered += len(data)
        try:
            dst.sendall(data)
        except OSError:
            with stats.lock:
                stats.delivered -= len(data)
                stats.dropped += len(data)
            conn.close()
            return False
        if cutting:
            self.cut()
            return False
        return True

    # --- life -------------------------------------------------------------------------------------
    def start(self) -> "Shaper":
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="shaper-accept").start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        for conn in list(self._open):
            conn.close()

    def __enter__(self) -> "Shaper":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=self.timeout)
            except OSError:
                client.close()
                continue
            for sock in (client, server):
                sock.settimeout(self.timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn = _Connection(self, client, server)
            with self._lock:
                self._open.add(conn)
                self.connections += 1
            conn.start()

    def _forget(self, conn: _Connection) -> None:
        with self._lock:
            self._open.discard(conn)
