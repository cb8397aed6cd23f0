"""The sync client: enroll, upload photos, push the outbox in batches, pull the feed.

Offline is a normal state: a sync that cannot reach the server returns a result saying so
and changes nothing. Transient failures (no connection, time-outs, 5xx, 429) are retried with
exponential backoff and jitter; a definite answer (4xx) is recorded and not retried blindly.

    SyncError(code, message_zh, status)   the server's definite answer; this sync stops
      ServerFailed                        5xx (not 502/503/504) on every attempt: a push batch is
                                          narrowed, and a record the server fails on alone is parked
      ServerFull                          507, the server's storage is full: nothing is parked,
                                          the whole outbox waits for a later sync
    Offline                               no answer, a time-out, 429, 502/503/504 after the retries

A parked record stays on the tablet with the server's code and message. It is tried again by
itself (once, never inside a batch) when a person taps 立即同步, or by a background sync once
it has been parked for PARK_RETRY, in case the server was fixed.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
import sqlite3
import ssl
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import httpx

from field_app.keys import KeyStore
from field_app.outbox import record_photos
from field_app.photos import PhotoFiles, PhotoRefused, received
from field_app.store import LocalStore, document_of
from schemas import clock
from schemas.photo_refs import referenced_documents
from schemas.envelope import public_raw_of


class SyncError(Exception):
    """A definite answer from the server that a person must act on (code, Chinese message)."""

    def __init__(self, code: str, message_zh: str, status: int) -> None:
        super().__init__(f"{code} ({status}): {message_zh}")
        self.code, self.message_zh, self.status = code, message_zh, status

    @classmethod
    def of(cls, response: httpx.Response) -> "SyncError":
        try:
            body = response.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        return cls(body.get("code", "http.error"), body.get("message_zh", f"服务器返回错误 {response.status_code}"),
                   response.status_code)

    def as_error(self) -> dict[str, Any]:
        """What the outbox keeps of it (the error column, shown on the sync screen)."""
        return {"code": self.code, "message_zh": self.message_zh, "status": self.status}


class ServerFailed(SyncError):
    """The server answered 5xx on every attempt (not 502/503/504: those are "not there")."""


class ServerFull(SyncError):
    """HTTP 507 (`storage.full`): the server cannot store anything now; keep everything."""


class Offline(Exception):
    """The server could not be reached after the retries."""


SERVER_FULL_ZH = "服务器存储空间已满，记录已保存在本机，稍后自动重试"
SERVER_FAILED_ZH = "服务器出错（{status}），记录已保存在本机，稍后自动重试"
UNAVAILABLE = (502, 503, 504)       # a gateway with no server behind it, a server starting: no answer
PARK_RETRY = timedelta(hours=6)     # a background sync tries a parked record again after this


@dataclass
class SyncResult:
    offline: bool = False
    photos_uploaded: int = 0
    photo_errors: list[str] = field(default_factory=list)
    receipts: dict[str, int] = field(default_factory=dict)
    pulled: int = 0
    queued_for_review: int = 0
    photos_downloaded: int = 0
    download_errors: list[str] = field(default_factory=list)
    error: str | None = None
    parked: int = 0             # records the server failed on alone, set aside in this sync
    server_full: bool = False   # 507: the server's storage is full; everything kept


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 8.0

    def delay(self, attempt: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** attempt) * (0.5 + random.random() / 2)


# A piece of a photo upload. At 1 Mbit/s up (125 KB/s) and 300 ms round trips the link holds
# 37 KB in flight; a 256 KB piece keeps it busy for 2 s, so the round trip that ends each piece
# costs at most 15% of one upload's time, and nothing while other uploads are in flight. Its size
# does not bound what a cut re-sends: the server keeps every byte that arrived, even of a piece
# cut midway. A tablet photo (1600 px, JPEG quality 80: 250-400 KB) goes in two pieces.
UPLOAD_PIECE = 256 * 1024
RESUME = "upload_started:"      # meta key: an upload of this sha256 began and did not finish

PUSH_URLS = {"record": "/v1/records/batch", "review": "/v1/reviews/batch",
             "reinspection": "/v1/reinspections/batch", "lab_result": "/v1/lab-results/batch"}


_now = clock.utc_stamp


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for the app's process. httpx builds a new one for every client, parsing the
    CA bundle each time (55 ms of CPU on the 2-core test machine, more on a tablet's core), and the
    app makes a client for every sync (field_app/state/services.py)."""
    return httpx.create_ssl_context()


class SyncClient:
    def __init__(self, base_url: str, store: LocalStore, keys: KeyStore, *,
                 retry: RetryPolicy = RetryPolicy(), transport: httpx.BaseTransport | None = None,
                 timeout: float = 30.0, sleep: Callable[[float], None] = time.sleep,
                 progress: Callable[[str, int, int], None] | None = None, files: PhotoFiles | None = None) -> None:
        self.store, self.keys, self.retry, self.sleep, self.files = store, keys, retry, sleep, files
        # stages: "photos" (up), "records", "feed", "review_photos" (down); (stage, n, of)
        self.progress = progress or (lambda stage, done, total: None)
        self._pushed = 0
        self.http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout, verify=tls_context())

    def close(self) -> None:
        self.http.close()

    # --- transport ----------------------------------------------------------------------------
    def _request(self, method: str, url: str, attempts: int | None = None, **kwargs: Any) -> httpx.Response:
        attempts = attempts or self.retry.attempts
        response = None
        for attempt in range(attempts):
            try:
                response = self.http.request(method, url, headers=self._auth(), **kwargs)
            except httpx.TransportError:
                response = None
            if response is not None and response.status_code == 507:
                raise ServerFull.of(response)
            if response is not None and response.status_code < 500 and response.status_code != 429:
                return response
            if attempt + 1 < attempts:
                self.sleep(self.retry.delay(attempt))
        if response is not None and response.status_code >= 500 and response.status_code not in UNAVAILABLE:
            raise ServerFailed.of(response)
        raise Offline(f"{method} {url}: server not reachable")

    def _auth(self) -> dict[str, str]:
        creds = self.keys.credentials()
        return {"Authorization": f"Bearer {creds['token']}"} if creds else {}

    def _json(self, response: httpx.Response, *ok: int) -> Any:
        if response.status_code in ok:
            return response.json()
        raise SyncError.of(response)

    # --- enrollment ---------------------------------------------------------------------------
    def enroll(self, code: str, device_name: str, officer_pin: str | None = None) -> dict[str, Any]:
        """Trade the code for the tablet's token; with `officer_pin`, the same code registers the
        enrolling officer's own signing key too, kept wrapped by that PIN."""
        body = {"code": code, "public_key": self.keys.public_key_hex(), "algorithm": "ed25519",
                "device_name": device_name}
        officer = self.keys.officers.new_key() if officer_pin else None
        if officer is not None:
            body["officer_public_key"] = public_raw_of(officer).hex()
        made = self._json(self._request("POST", "/v1/enroll", json=body), 201)
        self.keys.save_credentials(made["device_id"], made["token"], made["user"])
        if officer is not None and officer_pin:
            self.keys.officers.keep(made["user"], officer, officer_pin)
        return made

    def join_officer(self, code: str, pin: str, device_name: str) -> dict[str, Any]:
        """Another officer registers their own signing key on this enrolled tablet with their own
        one-time code; the key is kept wrapped by their PIN. Returns the officer (id, name, …)."""
        key = self.keys.officers.new_key()
        body = {"code": code, "public_key": public_raw_of(key).hex(), "algorithm": "ed25519",
                "device_name": device_name}
        made = self._json(self._request("POST", "/v1/officer-keys", json=body, attempts=1), 201)
        self.keys.officers.keep(made["user"], key, pin)
        return made["user"]

    # --- photos -------------------------------------------------------------------------------
    def upload_photos(self, result: SyncResult, in_flight: int = 4) -> None:
        """Upload what the outbox needs, a few at a time; marks are written on this thread.

        Several uploads in flight keep a slow link busy while each waits for its answers."""
        photos = self.store.photos_to_upload()
        resuming = {photo["sha256"] for photo in photos if self.store.get_meta(RESUME + photo["sha256"])}
        with ThreadPoolExecutor(in_flight, thread_name_prefix="photo") as pool:
            answers = pool.map(lambda photo: self._put_photo(photo, photo["sha256"] in resuming), photos)
            for done, (photo, response) in enumerate(zip(photos, answers), 1):
                self.progress("photos", done, len(photos))
                if isinstance(response, str):
                    self.store.mark_photo(photo["sha256"], False, response)
                    result.photo_errors.append(response)
                elif response.status_code in (200, 201):
                    self.store.mark_photo(photo["sha256"], True)
                    if self.store.get_meta(RESUME + photo["sha256"]):
                        self.store.set_meta(RESUME + photo["sha256"], "")
                    result.photos_uploaded += 1
                else:
                    error = _error_text(response)
                    self.store.mark_photo(photo["sha256"], False, error)
                    result.photo_errors.append(error)

    def _put_photo(self, photo: sqlite3.Row, resuming: bool = False) -> httpx.Response | str:
        try:
            data = Path(photo["path"]).read_bytes()
        except OSError:
            return json.dumps({"code": "photo.missing_file", "message_zh": "照片文件在本机已丢失，请重新拍摄后再提交"},
                              ensure_ascii=False)
        kind = "documents" if photo["path"].endswith(".pdf") else "photos"   # the PDF handed over on site
        return self._upload(photo["sha256"], data, f"/v1/{kind}/{photo['sha256']}", resuming)

    def _upload(self, sha: str, data: bytes, one_shot: str, resuming: bool) -> httpx.Response:
        """Send a file in pieces of UPLOAD_PIECE bytes (PUT /v1/uploads/{sha}, Content-Range).

        After a cut, a time-out or a 5xx the server is asked how much arrived, and the upload
        continues from there: nothing the server acknowledged is sent again. An upload started
        in an earlier sync (`resuming`) asks first. Failures in a row are retried with the
        RetryPolicy; any progress starts the count again. A server without the resumable path
        (404/405: an older server) gets the one-shot PUT instead."""
        url, total, failures = f"/v1/uploads/{sha}", len(data), 0
        offset = 0
        if resuming:
            answer = self._offset(url)
            if answer.get("complete"):
                return answer["response"]
            offset = answer.get("offset", 0)
        while True:
            end = min(total, offset + UPLOAD_PIECE)
            headers = {**self._auth(), "Content-Range": f"bytes {offset}-{end - 1}/{total}"}
            try:
                response: httpx.Response | None = self.http.put(url, content=data[offset:end], headers=headers)
            except httpx.TransportError:
                response = None
            status = None if response is None else response.status_code
            if status == 201:
                return response
            if status in (404, 405) and offset == 0:
                return self._request("PUT", one_shot, content=data)
            if status == 507:
                raise ServerFull.of(response)
            reached = _offset_in(response) if status in (200, 409) else None
            if reached is not None and reached > offset:
                offset, failures = reached, 0
                continue
            if status is not None and status < 500 and status not in (409, 429) and reached is None:
                return response                     # a definite answer: hash, type, size
            failures += 1
            if failures == 1:
                self.store.set_meta(RESUME + sha, "1")     # the next sync asks before sending
            if failures >= self.retry.attempts:
                if status is not None and status >= 500 and status not in UNAVAILABLE:
                    raise ServerFailed.of(response)
                raise Offline(f"PUT {url}: server not reachable")
            self.sleep(self.retry.delay(failures - 1))
            if reached is None:                     # cut: ask what arrived
                told = self._offset(url)
                if told.get("complete"):
                    return told["response"]
                reached = told.get("offset", 0)
            if reached > offset:                    # the cut piece got partly through: progress
                failures = 0
            offset = reached

    def _offset(self, url: str) -> dict[str, Any]:
        """What the server holds of an upload: {"offset", "complete", "response"}."""
        response = self._request("GET", url)
        if response.status_code != 200:
            return {"offset": 0}
        body = response.json()
        return {"offset": int(body.get("offset") or 0), "complete": bool(body.get("complete")), "response": response}

    # --- push ---------------------------------------------------------------------------------
    def push(self, result: SyncResult, batch_size: int = 100, in_flight: int = 2,
             retry_parked: bool = False) -> None:
        """Send the outbox in batches, `in_flight` at a time, receipts applied in order.

        Keeping a second batch in flight lets the server check one while it stores the other,
        and hides the round trip on a slow mobile link. Order between batches does not matter:
        a record supersedes only a record the server already holds. Parked records are tried
        first, each alone: all of them if `retry_parked` (a person asked), else those parked
        PARK_RETRY ago.
        """
        self._recheck_incomplete(result)
        self._retry_parked(result, None if retry_parked else clock.stamp(clock.now() - PARK_RETRY))
        self._pushed, total = 0, self.store.outbox_counts().get("pending", 0)
        for kind, url in PUSH_URLS.items():
            self._push_kind(result, kind, url, batch_size, in_flight, total)

    def _push_kind(self, result: SyncResult, kind: str, url: str, batch_size: int, in_flight: int,
                   total: int) -> None:
        after: tuple[str, str] = ("", "")
        flying: deque[tuple[list[sqlite3.Row], Future[Any]]] = deque()
        failing = False   # the server failed a whole batch: no more of this kind in this sync
        with ThreadPoolExecutor(in_flight, thread_name_prefix="push") as pool:
            while True:
                while not failing and len(flying) < in_flight and (
                        rows := self.store.sendable(batch_size, after, kind)):
                    after = (rows[-1]["created_at"], rows[-1]["id"])
                    flying.append((rows, pool.submit(self._post_batch, url, rows)))
                if not flying:
                    return
                rows, answer = flying.popleft()
                try:
                    self._apply(result, rows, answer.result())
                except ServerFailed as failure:
                    if failing or not self._isolate(result, url, rows, failure):
                        failing, result.error = True, SERVER_FAILED_ZH.format(status=failure.status)
                self._pushed += len(rows)
                self.progress("records", self._pushed, total)

    def _post_batch(self, url: str, rows: list[sqlite3.Row], attempts: int | None = None) -> dict[str, Any]:
        body = {"envelopes": [row["envelope"] for row in rows]}
        return self._json(self._request("POST", url, attempts, json=body), 200)

    # --- what the server cannot take ------------------------------------------------------------
    def _isolate(self, result: SyncResult, url: str, rows: list[sqlite3.Row], failure: ServerFailed) -> bool:
        """A batch the server keeps failing on: send it in halves, and halves of the halves that
        fail, until what fails is a single record; park those. The batch was retried already,
        so each piece is sent once.

        False, and nothing parked, when none of the batch went through, or when more pieces
        fail in a row than finding a few bad records takes: then the server is at fault, not a
        record, and the batch waits whole for a later sync."""
        search = _Search(limit=2 * math.ceil(math.log2(len(rows))) + 2)
        try:
            stuck = self._halves(result, url, rows, failure, search)
        except _ServerAtFault:
            return False
        if not search.delivered:
            return False
        for row, why in stuck:
            self._park(result, row, why)
        return True

    def _halves(self, result: SyncResult, url: str, rows: list[sqlite3.Row], failure: ServerFailed,
                search: "_Search") -> list[tuple[sqlite3.Row, ServerFailed]]:
        """Deliver what the server takes of a failed batch; the single records it still fails on."""
        if len(rows) == 1:
            return [(rows[0], failure)]
        stuck: list[tuple[sqlite3.Row, ServerFailed]] = []
        middle = len(rows) // 2
        for half in (rows[:middle], rows[middle:]):
            try:
                answer = self._post_batch(url, half, attempts=1)
            except ServerFailed as exc:
                search.failed()
                stuck += self._halves(result, url, half, exc, search)
            else:
                search.succeeded()
                self._apply(result, half, answer)
        return stuck

    def _retry_parked(self, result: SyncResult, before: str | None) -> None:
        """Each parked record that is due, alone and once: delivered, or parked again."""
        for row in self.store.parked(before):
            try:
                answer = self._post_batch(PUSH_URLS[row["kind"]], [row], attempts=1)
            except ServerFailed as failure:
                self._park(result, row, failure)
            else:
                self._apply(result, [row], answer)

    def _park(self, result: SyncResult, row: sqlite3.Row, failure: ServerFailed) -> None:
        self.store.park(row["id"], failure.as_error(), _now())
        result.parked += 1

    def _apply(self, result: SyncResult, rows: list[sqlite3.Row], answer: dict[str, Any]) -> None:
        pairs = [(row["id"], receipt) for row, receipt in zip(rows, answer["receipts"], strict=True)]
        self.store.apply_receipts(pairs, _now())
        for _, receipt in pairs:
            result.receipts[receipt["status"]] = result.receipts.get(receipt["status"], 0) + 1

    def _recheck_incomplete(self, result: SyncResult) -> None:
        """Records the server held for photos: ask again once the photos went up."""
        for row in self.store.incomplete():
            response = self._request("GET", f"/v1/records/{row['id']}/receipt")
            if response.status_code == 200:
                receipt = response.json()
                self.store.apply_receipts([(row["id"], receipt)], _now())
                result.receipts[receipt["status"]] = result.receipts.get(receipt["status"], 0) + 1

    # --- pull ---------------------------------------------------------------------------------
    def pull(self, result: SyncResult, page_size: int = 200) -> None:
        while True:
            cursor = self.store.get_meta("feed_cursor", "0")
            page = self._json(self._request("GET", "/v1/feed", params={"cursor": cursor, "limit": page_size}), 200)
            self.store.save_feed_page(page["items"], page["cursor"], _now())
            result.pulled += len(page["items"])
            self.progress("feed", result.pulled, 0)
            if not page["more"]:
                return

    def pull_review_queue(self, result: SyncResult, limit: int = 200) -> None:
        """A leader's device keeps its review queue for working offline."""
        creds = self.keys.credentials() or {}
        if (creds.get("user") or {}).get("role") != "leader":
            return
        page = self._json(self._request("GET", "/v1/reviews/queue", params={"limit": limit}), 200)
        self.store.save_review_queue(page["items"], _now())
        result.queued_for_review = len(page["items"])
        self.download_review_photos(page["items"], result)

    def download_review_photos(self, items: list[dict[str, Any]], result: SyncResult, in_flight: int = 4) -> None:
        """The photos and the PDF handed over on site of the records in the queue, so the leader
        sees the evidence offline too.

        Each is checked against the hash the signed record names before it is kept; one that
        fails is reported and skipped, and the queue is still usable."""
        if self.files is None:
            return
        records = [document_of(item["envelope"]) for item in items]
        photos = {sha for doc in records for sha in record_photos(doc) if not self.files.has(sha)}
        pdfs = {sha for doc in records for sha in referenced_documents(doc) if self.files.document(sha) is None}
        wanted = [(sha, self._get_photo) for sha in sorted(photos)] + [(sha, self._get_document) for sha in sorted(pdfs)]
        with ThreadPoolExecutor(in_flight, thread_name_prefix="photo-down") as pool:
            for done, answer in enumerate(pool.map(lambda job: job[1](job[0]), wanted), 1):
                self.progress("review_photos", done, len(wanted))
                if isinstance(answer, str):
                    result.download_errors.append(answer)
                else:
                    result.photos_downloaded += 1

    def _get_photo(self, sha: str) -> str | None:
        """Download, verify and keep one photo; an error text (Chinese) when it could not be kept."""
        response = self._request("GET", f"/v1/photos/{sha}")
        if response.status_code != 200:
            return SyncError.of(response).message_zh
        try:
            self.files.save(received(response.content, sha))
        except PhotoRefused as exc:
            return exc.message_zh
        return None

    def _get_document(self, sha: str) -> str | None:
        """The same for the PDF handed over on site: kept only if it hashes to the record's name for it."""
        response = self._request("GET", f"/v1/documents/{sha}")
        if response.status_code != 200:
            return SyncError.of(response).message_zh
        if hashlib.sha256(response.content).hexdigest() != sha or not response.content.startswith(b"%PDF-"):
            return "下载的现场文书与记录中的校验值不符，已丢弃"
        self.files.save_document(sha, response.content)
        return None

    def reachable(self) -> bool:
        """One quick look at the server, no retries (for the background sync's timing)."""
        try:
            return self.http.get("/healthz", timeout=3).status_code == 200
        except httpx.TransportError:
            return False

    # --- everything ---------------------------------------------------------------------------
    def sync(self, retry_parked: bool = False) -> SyncResult:
        """Photos up, records up, assignments down. Never raises for being offline.
        `retry_parked`: a person asked (立即同步), so every parked record is tried again."""
        result = SyncResult()
        try:
            self.upload_photos(result)
            self.push(result, retry_parked=retry_parked)
            self.pull(result)
            self.pull_review_queue(result)
            self.store.set_meta("last_sync", _now())
        except Offline:
            result.offline = True
        except ServerFull:
            result.server_full, result.error = True, SERVER_FULL_ZH
        except ServerFailed as exc:
            result.error = SERVER_FAILED_ZH.format(status=exc.status)
        except SyncError as exc:
            result.error = exc.message_zh
        return result


class _ServerAtFault(Exception):
    """Narrowing a failed batch found the server failing everything."""


@dataclass
class _Search:
    """How narrowing a failed batch goes: failures in a row (more than `limit` ends it) and
    whether any piece of the batch went through."""
    limit: int
    streak: int = 0
    delivered: bool = False

    def failed(self) -> None:
        self.streak += 1
        if self.streak > self.limit:
            raise _ServerAtFault

    def succeeded(self) -> None:
        self.streak, self.delivered = 0, True


def _offset_in(response: httpx.Response | None) -> int | None:
    """The offset an upload answer names (a piece taken: "offset"; 409: detail.offset)."""
    try:
        body = response.json() if response is not None else None
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    value = body.get("offset", (body.get("detail") or {}).get("offset") if isinstance(body.get("detail"), dict) else None)
    return value if isinstance(value, int) else None


def _error_text(response: httpx.Response) -> str:
    error = SyncError.of(response)
    return json.dumps({"code": error.code, "message_zh": error.message_zh}, ensure_ascii=False)
