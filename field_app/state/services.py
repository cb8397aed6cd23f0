"""The device's services, made once at start (`Services.open`) and passed to whoever needs them:
the local database, the key store, the photo files, the clock, and sync clients."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from field_app.device_clock import DeviceClock
from field_app.keys import KeyStore
from field_app.photos import PhotoFiles
from field_app.store import LocalStore
from field_app.sync import RetryPolicy, SyncClient
from schemas.clock import Clock


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    server_url: str = ""
    sync_interval: float = 15.0
    device_name: str = "随检平板"
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=2, base_delay=0.2, max_delay=1.0))
    clock: Clock = field(default_factory=Clock)    # installed by the entry point (schemas/clock.py)


@dataclass
class Services:
    settings: Settings
    store: LocalStore
    keys: KeyStore
    files: PhotoFiles
    clock: DeviceClock = field(default_factory=DeviceClock)

    @classmethod
    def open(cls, settings: Settings) -> "Services":
        home = settings.data_dir
        return cls(settings, LocalStore(home / "app.db"), KeyStore(home / "keys"), PhotoFiles(home / "photos"))

    def client(self, url: str, progress: Callable[[str, int, int], None] | None = None) -> SyncClient:
        """A sync client with its own connection to the same file: a sync thread never shares a
        transaction with the UI. `close_client` closes both."""
        store = LocalStore(self.settings.data_dir / "app.db")
        return SyncClient(url, store, self.keys, retry=self.settings.retry, timeout=20, progress=progress,
                          files=self.files)

    def close(self) -> None:
        self.store.close()


def close_client(client: SyncClient) -> None:
    client.close()
    client.store.close()
