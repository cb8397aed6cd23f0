"""The app's state and services, with no UI: what the screens read and the actions they call.

One `AppState` per device (per data directory). It owns the local database, the key store,
the photo files and the sync client; the Flet views hold a reference and re-read after each
action. Listeners are told when a background sync changed something.

    enroll → pull → work list → Visit (field_app.visit) → submit → outbox → sync → receipts
    leader: review queue (pulled) → decide → signed decision in the outbox → sync
"""
from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from field_app.core import checklist, followup, worklist
from field_app.core.ids import uuid7
from field_app.keys import KeyStore
from field_app.outbox import sign_and_queue
from field_app.photos import PhotoFiles, process
from field_app.store import LocalStore, document_of
from field_app.sync import Offline, RetryPolicy, SyncClient, SyncError, SyncResult
from field_app.visit import Visit, utc_now
from schemas.clock import Clock

log = logging.getLogger("field_app")

ERROR_HELP = {  # what the inspector can do about a record the server refused
    "assignment.not_on_team": "您不在该任务的检查组中，请联系科室核对分组",
    "record.inspectors": "检查人员须为本组成员，请在签字页核对“检查组确认”后重新提交",
    "record.supersedes_not_returned": "只有被组长退回的记录才能更正，请勿重复提交",
    "key.revoked": "本设备已被停用，请联系科室重新注册设备",
    "key.unknown": "本设备未注册，请重新注册",
    "photo.missing_file": "照片文件丢失，请重新拍摄后修改提交",
    "schema.invalid": "记录内容不完整，请联系技术支持并保留本设备",
    "review.own_team": "您是该检查组成员，不能审核本组记录",
    "review.not_in_review": "该记录已不在待审核状态，无需再处理",
}
PARKED_HELP = ("服务器处理这条记录时出错，记录已保存在本机，其他记录照常同步；点“立即同步”或几小时后会自动重试，"
               "如一直不成功请联系技术支持")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    server_url: str = ""
    sync_interval: float = 15.0
    device_name: str = "随检平板"
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0))
    clock: Clock = field(default_factory=Clock)    # installed by the entry point (schemas/clock.py)


@dataclass(frozen=True)
class OutboxLine:
    record_id: str
    kind: str
    unit_name: str
    state: str
    state_zh: str
    created_at: str
    log_index: int | None = None
    category: str | None = None
    error_zh: str | None = None
    help_zh: str | None = None


@dataclass(frozen=True)
class ReviewItem:
    record_id: str
    envelope_sha256: str
    unit_name: str
    address: str
    category: str
    record: dict[str, Any]
    assignment: dict[str, Any]
    own_team: bool
    decided: str | None = None


class AppState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = LocalStore(settings.data_dir / "app.db")
        self.keys = KeyStore(settings.data_dir / "keys")
        self.files = PhotoFiles(settings.data_dir / "photos")
        self.listeners: list[Callable[[], None]] = []
        self.sync_lock = threading.Lock()
        self.last_result: SyncResult | None = None
        self.syncing = False
        self.progress: tuple[str, int, int] | None = None
        self._told = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def close(self) -> None:
        self.stop_background()
        self.store.close()

    # --- who am I -----------------------------------------------------------------------------------
    @property
    def enrolled(self) -> bool:
        return self.keys.credentials() is not None

    @property
    def me(self) -> dict[str, Any]:
        return (self.keys.credentials() or {}).get("user") or {}

    @property
    def is_leader(self) -> bool:
        return self.me.get("role") == "leader"

    @property
    def server_url(self) -> str:
        return self.store.get_meta("server_url") or self.settings.server_url

    def _client(self, url: str | None = None) -> SyncClient:
        # Its own connection to the same file: a sync thread never shares a transaction with the UI.
        store = LocalStore(self.settings.data_dir / "app.db")
        return SyncClient(url or self.server_url, store, self.keys, retry=self.settings.retry, timeout=20,
                          progress=self._progress, files=self.files)

    def _progress(self, stage: str, done: int, total: int) -> None:
        """Where the sync is, for the screen; listeners are told at most every 0.3 s."""
        self.progress = (stage, done, total)
        now = time.monotonic()
        if now - self._told >= 0.3 or done == total:
            self._told = now
            self._notify()

    def enroll(self, server_url: str, code: str) -> str | None:
        """Trade the one-time code; None when enrolled, else what went wrong, in Chinese."""
        url, code = server_url.strip().rstrip("/"), code.strip().upper()
        if not url.startswith(("http://", "https://")):
            return "服务器地址应以 http:// 或 https:// 开头"
        if not code:
            return "请输入科室发放的一次性注册码"
        client = self._client(url)
        try:
            client.enroll(code, self.settings.device_name)
        except Offline:
            return "无法连接服务器，请检查网络和服务器地址后重试"
        except SyncError as exc:
            return exc.message_zh
        finally:
            client.close()
            client.store.close()
        self.store.set_meta("server_url", url)
        return None

    # --- today's work ---------------------------------------------------------------------------------
    def work_rows(self) -> list[worklist.WorkRow]:
        subs = [worklist.Submission(r["record_id"], r["assignment_id"], r["state"], r["created_at"])
                for r in self.store.submissions()]
        decisions = {d["record_id"]: d.get("decision", "return") for d in self.store.list_decisions()}
        return worklist.rows(self.store.list_assignments(), self.store.draft_ids(), subs, decisions)

    def outbox_waiting(self) -> int:
        counts = self.store.outbox_counts()
        return counts.get("pending", 0) + counts.get("incomplete", 0) + counts.get("parked", 0)

    def last_sync(self) -> str | None:
        return self.store.get_meta("last_sync")

    def open_visit(self, assignment_id: str) -> Visit:
        """The visit's draft; a submitted visit is not reopened (one record per visit, unless returned)."""
        row = next((r for r in self.work_rows() if r.assignment_id == assignment_id), None)
        if row is not None and row.state in ("submitted", "approved"):
            raise ValueError(f"{row.unit_name} 的记录已提交，不能再次提交；如需更正请等待组长退回")
        return Visit.open(self.store, self.keys, self.files, assignment_id, self.me.get("id", ""))

    def return_notice(self, assignment_id: str) -> dict[str, Any] | None:
        """The leader's return of this assignment's latest record, if that is where it stands."""
        row = next((r for r in self.work_rows() if r.assignment_id == assignment_id), None)
        if row is None or row.state != "returned":
            return None
        return next((d for d in self.store.list_returns() if d["record_id"] == row.latest_record), None)

    def start_correction(self, assignment_id: str) -> Visit:
        """A draft from the returned record, superseding it (unless the correction is under way)."""
        notice = self.return_notice(assignment_id)
        if notice is not None and self.store.get_draft(assignment_id) is None:
            envelope = self.store.envelope_of(notice["record_id"])
            if envelope is not None:
                record = document_of(envelope)
                draft = checklist.draft_from_record(record, self.me.get("id", ""), utc_now())
                self.store.save_draft(assignment_id, draft, utc_now())
        return self.open_visit(assignment_id)

    def submitted_record(self, record_id: str | None) -> dict[str, Any] | None:
        """The document this device signed under that id, as it was signed."""
        envelope = self.store.envelope_of(record_id) if record_id else None
        return document_of(envelope) if envelope else None

    # --- the outbox, as the sync screen shows it ----------------------------------------------------
    def outbox_lines(self) -> list[OutboxLine]:
        names = {a["id"]: a["unit"]["name"] for a in self.store.list_assignments()}
        queue = {i["record_id"]: i["assignment"]["unit"]["name"] for i in self.store.review_queue()}
        queue.update({r["record_id"]: r["unit_name"] for r in self.store.list_reminders()})
        lines = []
        for row in reversed(self.store.outbox_rows()):
            doc = document_of(row["envelope"])
            unit = names.get(doc.get("assignment_id", ""), "") or queue.get(doc.get("record_id", ""), "")
            lines.append(_line(row, doc, unit))
        return lines

    # --- sync -------------------------------------------------------------------------------------------
    def sync_now(self, retry_parked: bool = True) -> SyncResult:
        """Photos up, records and decisions up, work and notices down; one at a time.
        A person's sync (the button) tries parked records again; the background one passes False."""
        with self.sync_lock:
            self.syncing = True
            self._notify()
            client = self._client()
            try:
                self.last_result = client.sync(retry_parked=retry_parked)
            finally:
                client.close()
                client.store.close()
                self.syncing, self.progress = False, None
            self._notify()
            return self.last_result

    def start_background(self) -> None:
        if self._thread is None and self.settings.sync_interval > 0:
            self._thread = threading.Thread(target=self._background, name="background-sync", daemon=True)
            self._thread.start()

    def stop_background(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _background(self) -> None:
        while not self._stop.wait(self.settings.sync_interval):
            try:
                if self.enrolled and not self.sync_lock.locked() and self._reachable():
                    self.sync_now(retry_parked=False)
            except Exception:  # noqa: BLE001 - the loop must outlive one bad sync; it is logged
                log.exception("background sync failed")

    def _reachable(self) -> bool:
        client = self._client()
        try:
            return client.reachable()
        finally:
            client.close()
            client.store.close()

    def _notify(self) -> None:
        """Tell the screens; a screen that is gone (a closed tab) is dropped, never fatal to sync."""
        for listener in list(self.listeners):
            try:
                listener()
            except ConnectionError:
                log.info("a screen closed; listener dropped")
                self.listeners.remove(listener)
            except Exception:  # noqa: BLE001 - a view's trouble must not stop the sync
                log.exception("listener failed; dropped")
                if listener in self.listeners:
                    self.listeners.remove(listener)

    # --- the leader -------------------------------------------------------------------------------------
    def review_items(self) -> list[ReviewItem]:
        decided = self.store.decided_records()
        me = self.me.get("id")
        items = []
        for entry in self.store.review_queue():
            record = document_of(entry["envelope"])
            assignment = entry["assignment"]
            own = me in record["inspectors"] or me in [m["id"] for m in assignment["team"]]
            row = decided.get(entry["record_id"])
            items.append(ReviewItem(entry["record_id"], entry["envelope_sha256"], assignment["unit"]["name"],
                                    assignment["unit"]["address"], entry["category"]["label"], record, assignment,
                                    own, _decision_of(row) if row is not None else None))
        return items

    def decide(self, item: ReviewItem, decision: str, reason: str = "") -> str | None:
        """Sign a decision on this device and queue it; None when saved, else why not (Chinese)."""
        if item.own_team:
            return "您是该检查组成员，不能审核本组的记录（双人复核）"
        if item.decided:
            return "该记录已处理"
        if decision == "return" and not reason.strip():
            return "退回时必须填写退回原因"
        doc = {"schema": "suijian.review-decision/1", "id": uuid7(), "record_id": item.record_id,
               "record_envelope_sha256": item.envelope_sha256, "decision": decision, "reason": reason.strip(),
               "leader": self.me["id"], "decided_at": utc_now()}
        sign_and_queue(self.store, self.keys, "review", doc, [], utc_now())
        return None


    # --- re-inspections (复查) ---------------------------------------------------------------------------
    def reinspections_due(self) -> list[followup.Due]:
        """Rectifications the office reminded this inspector of, not yet re-inspected on this device."""
        done = {document_of(r["envelope"])["record_id"] for r in self.store.outbox_rows_of("reinspection")}
        return followup.open_dues(self.store.list_reminders(), done)

    def reinspection_draft(self, record_id: str) -> dict[str, Any]:
        """The note and photos of a re-inspection being made (saved as they are made)."""
        return self.store.get_reinspection_draft(record_id)

    def edit_reinspection_note(self, record_id: str, note: str) -> None:
        draft = self.store.get_reinspection_draft(record_id)
        draft["note"] = note
        self.store.save_reinspection_draft(record_id, draft)

    def add_reinspection_photo(self, record_id: str, raw: bytes) -> str:
        """Process (PhotoRefused for bad input), keep the file, then name it in the draft."""
        photo = process(raw)
        self.store.add_photo(photo.sha256, self.files.save(photo), len(photo.data))
        draft = self.store.get_reinspection_draft(record_id)
        if photo.sha256 not in draft["photos"]:
            draft["photos"].append(photo.sha256)
        self.store.save_reinspection_draft(record_id, draft)
        return photo.sha256

    def remove_reinspection_photo(self, record_id: str, sha256: str) -> None:
        draft = self.store.get_reinspection_draft(record_id)
        if sha256 in draft["photos"]:
            draft["photos"].remove(sha256)
            self.store.save_reinspection_draft(record_id, draft)

    def reinspect(self, due: followup.Due, outcome: str, note: str | None = None,
                  photos: list[str] | None = None) -> str | None:
        """Sign the re-inspection on this device and queue it; None when saved, else why not (Chinese).
        The note and photos default to the draft's."""
        draft = self.store.get_reinspection_draft(due.record_id)
        note = draft["note"] if note is None else note
        photos = draft["photos"] if photos is None else photos
        try:
            doc = followup.reinspection(due, uuid7(), outcome, note, photos, [self.me.get("id", "")], utc_now())
        except followup.FollowupInputError as exc:
            return exc.message_zh
        sign_and_queue(self.store, self.keys, "reinspection", doc, doc["photos"], utc_now())
        self.store.discard_reinspection_draft(due.record_id)
        return None


def _decision_of(row: Any) -> str:
    return document_of(row["envelope"])["decision"]


def _line(row: Any, doc: dict[str, Any], unit: str) -> OutboxLine:
    receipt = json.loads(row["receipt"]) if row["receipt"] else {}
    error = json.loads(row["error"]) if row["error"] else None
    code = (error or {}).get("code", "")
    label = worklist.OUTBOX_STATES.get(row["state"], row["state"])
    if row["kind"] == "review":
        label = ("通过" if doc["decision"] == "approve" else "退回") + " · " + label
    elif row["kind"] == "reinspection":
        label = "复查" + followup.OUTCOMES.get(doc["outcome"], "") + " · " + label
    category = (receipt.get("category") or {}).get("label")
    help_zh = PARKED_HELP if row["state"] == "parked" else ERROR_HELP.get(code, "请联系科室或技术支持处理")
    return OutboxLine(row["id"], row["kind"], unit, row["state"], label, row["created_at"], receipt.get("log_index"),
                      category, (error or {}).get("message_zh"), help_zh if error else None)
