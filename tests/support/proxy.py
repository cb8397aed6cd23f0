"""A fault-injecting HTTP proxy on 127.0.0.1, in front of a real server on 127.0.0.1.

    proxy = FaultProxy(server.url).start()      # give clients proxy.url instead of server.url
    proxy.fail_record(record_id)                # 500 {code, message, message_zh} to any POST
                                                # /v1/records/batch whose body names the id
    proxy.fail(507, code="storage.full")        # every POST /v1/records/batch answers 507
    proxy.fail(503, path="/v1/feed", method="GET", times=2)   # the next two feed reads
    proxy.cut(after=200, requests=2)            # the next 2 requests: the server answers, the
                                                # client gets 200 bytes of it, then a closed socket
    proxy.cut(after=50, where="request")        # the server gets 50 bytes of the request, then EOF;
                                                # the client gets a closed socket, no answer
    proxy.pass_through()                        # no faults: everything goes through unchanged
    proxy.seen                                  # what came through: Seen(method, path, outcome, body);
                                                # seen.names(record_id) for a batch naming it
                                                # (a stopped server behind it: "no answer", socket closed)
    proxy.stop()                                # or: with FaultProxy(url) as proxy: ...

Faults are checked in that order: a cut, then the first failure that matches. A failure is
answered by the proxy itself; the server never sees that request. "Names" means the id occurs
in the body or in the decoded payload of one of its DSSE envelopes (a record's id is inside
its base64 payload), so a correction that `supersedes` the id is failed too.

Standard library only. One request per client connection (each answer carries
`Connection: close`); request bodies by Content-Length (no chunked uploads); the upstream
answer is read to its end before it is relayed. Every socket has a time-out, so a test never
hangs on the proxy.
"""
from __future__ import annotations

import base64
import json
import socket
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")
BATCH = "/v1/records/batch"
ERRORS = {  # the server's own wording where it has one (sync_server/app.py internal_error)
    500: ("internal.error", "internal error; see the server log", "服务器内部错误，请稍后重试"),
    507: ("storage.full", "the server's storage is full", "服务器存储空间已满"),
}


@dataclass
class Seen:
    method: str
    path: str
    outcome: str    # the server's status ("200"), "failed 500", "cut request", "cut response", "no answer"
    body: bytes = b""       # kept for JSON bodies only (photos are not kept)

    def names(self, needle: str) -> bool:
        return _names(self.body, needle)


@dataclass
class _Failure:
    status: int
    body: bytes
    method: str
    path: str
    naming: str | None
    times: int | None

    def matches(self, method: str, path: str, body: bytes) -> bool:
        return (method == self.method and path.split("?")[0] == self.path and self.times != 0
                and (self.naming is None or _names(body, self.naming)))


@dataclass
class _Cut:
    after: int
    where: str
    path: str | None
    left: int

    def matches(self, path: str) -> bool:
        return self.left > 0 and (self.path is None or path.split("?")[0] == self.path)


@dataclass
class _Request:
    method: str
    path: str
    head: list[bytes]
    body: bytes = field(repr=False)

    def raw(self) -> bytes:
        lines = [h for h in self.head if not h.lower().startswith(b"connection:")] + [b"Connection: close"]
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


class FaultProxy:
    def __init__(self, upstream: str, timeout: float = 30.0) -> None:
        target = urlsplit(upstream)
        if target.hostname not in LOOPBACK or target.port is None:
            raise ValueError(f"FaultProxy only fronts a loopback server with a port, not {upstream!r}")
        self.upstream, self.timeout = (target.hostname, target.port), timeout
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self._cuts: list[_Cut] = []
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- faults ---------------------------------------------------------------------------------
    def fail(self, status: int = 500, *, naming: str | None = None, method: str = "POST", path: str = BATCH,
             code: str | None = None, message: str | None = None, message_zh: str | None = None,
             times: int | None = None) -> "FaultProxy":
        """Answer `status` with an error in the server's shape to matching requests (`times`: how
        many, None for until `pass_through`)."""
        default = ERRORS.get(status, ("http.error", f"HTTP {status}", f"服务器返回错误 {status}"))
        text = {"code": code or default[0], "message": message or default[1], "message_zh": message_zh or default[2]}
        body = json.dumps(text, ensure_ascii=False).encode()
        with self._lock:
            self._failures.append(_Failure(status, body, method, path, naming, times))
        return self

    def fail_record(self, record_id: str, status: int = 500) -> "FaultProxy":
        """A server that fails on one record: every push batch naming it gets `status`."""
        return self.fail(status, naming=record_id)

    def cut(self, after: int, *, requests: int = 1, where: str = "response", path: str | None = None) -> "FaultProxy":
        """Close the connection after `after` bytes of the request (the server gets them, then EOF;
        the client gets no answer) or of the server's response (the server did the work; the
        client gets a part), for the next `requests` requests (to `path` only, if given). An
        `after` past the end relays it all and still closes: for a request, the server may act
        on it while the client hears nothing."""
        if where not in ("request", "response"):
            raise ValueError("where is 'request' or 'response'")
        with self._lock:
            self._cuts.append(_Cut(after, where, path, requests))
        return self

    def pass_through(self) -> "FaultProxy":
        with self._lock:
            self._failures.clear()
            self._cuts.clear()
        return self

    # --- life -----------------------------------------------------------------------------------
    def start(self) -> "FaultProxy":
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            for sock in list(self._open):
                _shut(sock)
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> "FaultProxy":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (socket.timeout, BlockingIOError):
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), name="fault-proxy-conn", daemon=True).start()

    # --- one connection, one request ------------------------------------------------------------
    def _serve(self, client: socket.socket) -> None:
        client.settimeout(self.timeout)
        with self._lock:
            self._open.add(client)
        try:
            with client.makefile("rb") as reader:
                request = _read_request(reader)
            if request is not None:
                self._answer(client, request)
        except (OSError, ValueError):
            pass   # the client went away, or a time-out: nothing to relay
        finally:
            with self._lock:
                self._open.discard(client)
            _shut(client)

    def _answer(self, client: socket.socket, request: _Request) -> None:
        cut, failure = self._faults_for(request)
        kept = request.body if _is_json(request.head) else b""
        if failure is not None:
            self._note(Seen(request.method, request.path, f"failed {failure.status}", kept))
            client.sendall(_response(failure.status, failure.body))
            return
        if cut is not None and cut.where == "request":
            self._note(Seen(request.method, request.path, "cut request", kept))
            self._upstream(request.raw()[:cut.after], read=False)
            return
        try:
            answer = self._upstream(request.raw())
        except OSError:
            self._note(Seen(request.method, request.path, "no answer", kept))
            raise
        if cut is not None:
            self._note(Seen(request.method, request.path, "cut response", kept))
            client.sendall(answer[:cut.after])
            return
        self._note(Seen(request.method, request.path, _status_of(answer), kept))
        client.sendall(_closing(answer))

    def _faults_for(self, request: _Request) -> tuple[_Cut | None, _Failure | None]:
        with self._lock:
            cut = next((c for c in self._cuts if c.matches(request.path)), None)
            if cut is not None:
                cut.left -= 1
                return cut, None
            failure = next((f for f in self._failures if f.matches(request.method, request.path, request.body)), None)
            if failure is not None and failure.times is not None:
                failure.times -= 1
            return None, failure

    def _upstream(self, data: bytes, read: bool = True) -> bytes:
        with socket.create_connection(self.upstream, timeout=self.timeout) as up:
            up.sendall(data)
            if not read:
                up.shutdown(socket.SHUT_WR)
                return b""
            chunks = []
            while chunk := up.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks)

    def _note(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)


def _read_request(reader) -> _Request | None:
    line = reader.readline(65536)
    if not line.strip():
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    head = [line.rstrip(b"\r\n")]
    while (header := reader.readline(65536)) not in (b"\r\n", b"\n", b""):
        head.append(header.rstrip(b"\r\n"))
        if len(head) > 200:
            raise OSError("too many header lines")
    if any(h.lower().startswith(b"transfer-encoding:") for h in head):
        raise OSError("chunked request bodies are not supported by this proxy")
    length = next((int(h.split(b":", 1)[1]) for h in head if h.lower().startswith(b"content-length:")), 0)
    body = reader.read(length) if length else b""
    if len(body) != length:
        raise OSError("the client closed the connection inside the body")
    return _Request(method, target, head, body)


def _response(status: int, body: bytes) -> bytes:
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode() + body


def _closing(answer: bytes) -> bytes:
    """The server's answer with `Connection: close` (this proxy serves one request per connection)."""
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return answer
    lines = [h for h in head.split(b"\r\n") if not h.lower().startswith(b"connection:")]
    return b"\r\n".join(lines + [b"connection: close"]) + sep + body


def _status_of(answer: bytes) -> str:
    parts = answer.split(b" ", 2)
    return parts[1].decode() if len(parts) > 1 else "no answer"


def _is_json(head: list[bytes]) -> bool:
    return any(h.lower().startswith(b"content-type:") and b"json" in h.lower() for h in head)


def _names(body: bytes, needle: str) -> bool:
    """Whether the id occurs in the body or in a DSSE envelope's decoded payload inside it."""
    if needle.encode() in body:
        return True
    try:
        envelopes = json.loads(body).get("envelopes", [])
    except (ValueError, AttributeError):
        return False
    for text in envelopes if isinstance(envelopes, list) else []:
        try:
            if needle.encode() in base64.b64decode(json.loads(text)["payload"]):
                return True
        except (ValueError, KeyError, TypeError):
            continue
    return False


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
