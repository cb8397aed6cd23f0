"""Sync, one at a time: on the button, and in the background while the server answers. The screens
listen; a listener that fails (a closed browser tab) is dropped, never fatal to the sync."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from field_app.state.services import Services, close_client
from field_app.state.session import Session
from field_app.sync import SyncResult

log = logging.getLogger("field_app")


class Syncing:
    def __init__(self, services: Services, session: Session) -> None:
        self.services, self.session = services, session
        self.listeners: list[Callable[[], None]] = []
        self.lock = threading.Lock()
        self.last_result: SyncResult | None = None
        self.running = False
        self.progress: tuple[str, int, int] | None = None
        self._told = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def now(self, retry_parked: bool = True) -> SyncResult:
        """Photos up, records and decisions up, work and notices down; one at a time.
        A person's sync (the button) tries parked records again; the background one passes False."""
        with self.lock:
            self.running = True
            self.notify()
            client = self.services.client(self.session.server_url, self._progress)
            try:
                self.last_result = client.sync(retry_parked=retry_parked)
            finally:
                close_client(client)
                self.running, self.progress = False, None
            self.notify()
            return self.last_result

    def _progress(self, stage: str, done: int, total: int) -> None:
        """Where the sync is, for the screen; listeners are told at most every 0.3 s."""
        self.progress = (stage, done, total)
        now = time.monotonic()
        if now - self._told >= 0.3 or done == total:
            self._told = now
            self.notify()

    def start_background(self) -> None:
        if self._thread is None and self.services.settings.sync_interval > 0:
            self._thread = threading.Thread(target=self._background, name="background-sync", daemon=True)
            self._thread.start()

    def stop_background(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _background(self) -> None:
        while not self._stop.wait(self.services.settings.sync_interval):
            try:
                if self.session.enrolled and not self.lock.locked() and self._reachable():
                    self.now(retry_parked=False)
            except Exception:  # noqa: BLE001 - the loop must outlive one bad sync; it is logged
                log.exception("background sync failed")

    def _reachable(self) -> bool:
        client = self.services.client(self.session.server_url)
        try:
            return client.reachable()
        finally:
            close_client(client)

    def notify(self) -> None:
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
