"""The demo's office and tablets, talking to the server through its API, in process.

`Server(db)` is the product's own app (sync_server.app.create_app) behind httpx's ASGI
transport: the same routes, checks and transactions as a tablet meets over the network, without a
socket. `Tablet` is one person's demo tablet: an Ed25519 key made from the seed, enrolled with a
one-time code, signing what it pushes; a record is signed by each of its inspectors with their own
signing key on that tablet (registered with their own code, as on a team tablet: docs/SYNC.md). `at(moment)` moves the one clock (schemas.clock) so that
what the server stamps (received, approved, published) happens when the story says it did.
"""
from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas import clock, envelope
from sync_server.app import create_app
from sync_server.settings import Settings

PUSH = {envelope.RECORD_TYPE: "/v1/records/batch", envelope.REVIEW_TYPE: "/v1/reviews/batch",
        envelope.REINSPECTION_TYPE: "/v1/reinspections/batch"}


@contextlib.contextmanager
def at(moment: datetime) -> Iterator[None]:
    """The clock reads `moment` (and runs on) inside the block; the clock it replaced after it."""
    before = clock.current()
    clock.install(clock.Clock(moment - datetime.now(timezone.utc)))
    try:
        yield
    finally:
        clock.install(before)


class ApiRefused(RuntimeError):
    """The server refused what the demo sent: the demo's story is wrong, not the server."""


class Server:
    """The app in this process: an event loop in a thread (anyio's blocking portal) runs its
    lifespan and answers httpx's ASGI transport; the demo calls it like any client."""

    def __init__(self, db: Path | str, admin_token: str, data_dir: Path | None = None) -> None:
        # The app installs its settings' clock when it starts: give it the one this process runs on
        # (a moved SUIJIAN_CLOCK, the tests' clock), or it would put the real time back.
        self.settings = Settings.for_db(db, check_workers=1, clock=clock.current(),
                                        **({"data_dir": data_dir} if data_dir is not None else {}))
        self.app = create_app(self.settings)
        self.admin = admin_token
        self._stack = contextlib.ExitStack()
        self.portal: BlockingPortal | None = None
        self.client: httpx.AsyncClient | None = None

    def __enter__(self) -> "Server":
        self.portal = self._stack.enter_context(start_blocking_portal())
        self._stack.enter_context(self.portal.wrap_async_context_manager(self.app.router.lifespan_context(self.app)))
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://127.0.0.1")
        self._stack.callback(self.portal.call, self.client.aclose)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def call(self, method: str, path: str, token: str | None, **kwargs: Any) -> Any:
        assert self.portal is not None and self.client is not None, "use the server in a with block"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = self.portal.call(lambda: self.client.request(method, path, headers=headers, **kwargs))
        if reply.status_code >= 300:
            raise ApiRefused(f"{method} {path}: {reply.status_code} {reply.text}")
        return reply.json()

    def office(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call(method, path, self.admin, json=body)


class Tablet:
    """One person's demo tablet, enrolled through the API with its own key."""

    def __init__(self, server: Server, user_id: str, seed_value: int) -> None:
        self.server, self.user_id = server, user_id
        self.key = Ed25519PrivateKey.from_private_bytes(
            hashlib.sha256(f"suijian-demo-device:{seed_value}:{user_id}".encode()).digest())
        code = server.office("POST", f"/v1/admin/users/{user_id}/enrollment-codes")["code"]
        made = server.call("POST", "/v1/enroll", None, json={
            "code": code, "public_key": envelope.public_raw_of(self.key).hex(), "algorithm": "ed25519",
            "device_name": "演示平板（历史记录）"})
        self.device_id, self.token = made["device_id"], made["token"]
        self.seed, self.officers = seed_value, {}

    def officer_key(self, officer: str) -> Ed25519PrivateKey:
        """The officer's signing key on this tablet, registered with their own code on first use."""
        if officer not in self.officers:
            key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(
                f"suijian-demo-officer:{self.seed}:{self.user_id}:{officer}".encode()).digest())
            code = self.server.office("POST", f"/v1/admin/users/{officer}/enrollment-codes")["code"]
            self.server.call("POST", "/v1/officer-keys", self.token, json={
                "code": code, "public_key": envelope.public_raw_of(key).hex(), "algorithm": "ed25519",
                "device_name": "演示平板（签名密钥）"})
            self.officers[officer] = key
        return self.officers[officer]

    def push(self, doc: dict[str, Any], payload_type: str) -> dict[str, Any]:
        keys = [self.officer_key(p) for p in doc["inspectors"]] if payload_type == envelope.RECORD_TYPE \
            else [self.key]
        text = envelope.sign(doc, payload_type, *keys).decode("utf-8")
        (receipt,) = self.server.call("POST", PUSH[payload_type], self.token, json={"envelopes": [text]})["receipts"]
        if receipt["status"] not in ("accepted", "incomplete"):
            raise ApiRefused(f"{payload_type} {doc.get('id')}: {receipt}")
        return receipt

    def photo(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        self.server.call("PUT", f"/v1/photos/{sha}", self.token, content=data)
        return sha


class Tablets:
    """One tablet per person, enrolled the first time that person pushes something."""

    def __init__(self, server: Server, seed_value: int) -> None:
        self.server, self.seed, self.made = server, seed_value, {}

    def of(self, user_id: str) -> Tablet:
        if user_id not in self.made:
            self.made[user_id] = Tablet(self.server, user_id, self.seed)
        return self.made[user_id]
