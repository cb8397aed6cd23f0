"""Settings, read once and passed in (`create_app(settings)`); nothing else reads os.environ."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from schemas.clock import Clock


def is_database_url(target: object) -> bool:
    """A PostgreSQL URL (`postgresql://user@host:port/dbname`) rather than a SQLite file's path."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


@dataclass(frozen=True)
class Settings:
    """`database` is the target: a SQLite file's path (then also `db_path`) or a PostgreSQL URL
    (then `db_path` is None, and the photos and the server key live in a data directory)."""

    db_path: Path | None
    photo_dir: Path
    key_path: Path
    max_body_bytes: int = 8 * 1024 * 1024
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 40_000_000
    max_document_bytes: int = 4 * 1024 * 1024   # the PDF handed over on site (about 15 KB plus the signature)
    enrollment_code_hours: int = 72
    feed_page_max: int = 500
    check_workers: int = max(2, os.cpu_count() or 1)   # processes that check signatures and schemas
    clock: Clock = Clock()                  # the real time unless SUIJIAN_CLOCK moves it (schemas/clock.py)
    https: bool = False                     # served to browsers over HTTPS (a proxy in front): Secure cookies, HSTS
    office_session_hours: int = 8           # an office sign-in's lifetime (sync_server/office/pages.py)
    auth_failure_limit: int = 10            # failed enrollments / office sign-ins allowed per client or user …
    auth_failure_window_seconds: int = 900  # … within this many seconds (sync_server/accounts/throttle.py)
    # Where photos and documents are kept (sync_server/blobs/, docs/DEPLOY.md "Object storage"): empty for
    # the local directory `photo_dir`, or "s3://bucket/prefix" for an S3-compatible object store.
    blob_url: str = ""
    s3_endpoint: str = ""                   # the store's URL (empty: AWS's own for the region)
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""              # empty: boto3's own chain (AWS_* variables, ~/.aws, instance role)
    s3_secret_access_key: str = field(default="", repr=False)
    s3_addressing: str = "auto"             # "path" (most S3-compatible stores), "virtual" or "auto"
    s3_max_attempts: int = 3                # tries of one request before the store counts as unreachable
    database: str = ""                      # the target: db_path, or a PostgreSQL URL (db_path None)

    def __post_init__(self) -> None:
        if not self.database:
            object.__setattr__(self, "database", str(self.db_path))

    @property
    def engine(self) -> str:
        return "postgresql" if is_database_url(self.database) else "sqlite"

    @classmethod
    def for_db(cls, target: str | Path, **overrides: object) -> "Settings":
        """A SQLite file keeps its photos and key beside it (`<stem>-photos/`, `<stem>-server-key.pem`);
        a PostgreSQL URL has no file to sit beside, so they go in `data_dir` (`photos/`,
        `server-key.pem`), which must then be given (or photo_dir and key_path each)."""
        data_dir = overrides.pop("data_dir", None)
        if is_database_url(target):
            photos, key = overrides.pop("photo_dir", None), overrides.pop("key_path", None)
            if data_dir is None and (photos is None or key is None):
                raise ValueError("a PostgreSQL database needs a data directory for the photos and the server key:"
                                 " --data-dir DIR or SUIJIAN_DATA_DIR")
            base = Path(data_dir) if data_dir is not None else Path(".")  # type: ignore[arg-type]
            return cls(db_path=None, database=str(target), photo_dir=Path(photos or base / "photos"),  # type: ignore[arg-type]
                       key_path=Path(key or base / "server-key.pem"), **overrides)  # type: ignore[arg-type]
        db = Path(target)
        photos = Path(overrides.pop("photo_dir", None) or (Path(data_dir) / "photos" if data_dir else  # type: ignore[arg-type]
                                                           db.with_name(db.stem + "-photos")))
        key = Path(overrides.pop("key_path", None) or (Path(data_dir) / "server-key.pem" if data_dir else  # type: ignore[arg-type]
                                                       db.with_name(db.stem + "-server-key.pem")))
        return cls(db_path=db, photo_dir=photos, key_path=key, **overrides)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, db_path: str | Path, data_dir: str | Path | None = None) -> "Settings":
        env = os.environ
        overrides: dict[str, object] = {}
        if data_dir or env.get("SUIJIAN_DATA_DIR"):
            overrides["data_dir"] = data_dir or env["SUIJIAN_DATA_DIR"]
        if env.get("SUIJIAN_PHOTO_DIR"):
            overrides["photo_dir"] = env["SUIJIAN_PHOTO_DIR"]
        if env.get("SUIJIAN_SERVER_KEY"):
            overrides["key_path"] = env["SUIJIAN_SERVER_KEY"]
        for name in ("max_body_bytes", "max_photo_bytes", "max_photo_pixels", "max_document_bytes",
                     "auth_failure_limit", "auth_failure_window_seconds"):
            if env.get(f"SUIJIAN_{name.upper()}"):
                overrides[name] = int(env[f"SUIJIAN_{name.upper()}"])
        for name in ("blob_url", "s3_endpoint", "s3_region", "s3_access_key_id", "s3_secret_access_key",
                     "s3_addressing"):
            if env.get(f"SUIJIAN_{name.upper()}"):
                overrides[name] = env[f"SUIJIAN_{name.upper()}"].strip()
        if env.get("SUIJIAN_S3_MAX_ATTEMPTS"):
            overrides["s3_max_attempts"] = int(env["SUIJIAN_S3_MAX_ATTEMPTS"])
        overrides["https"] = env.get("SUIJIAN_HTTPS", "").strip().lower() in ("1", "true", "yes")
        overrides["clock"] = clock_from_env()
        return cls.for_db(db_path, **overrides)

    @classmethod
    def for_worker(cls) -> "Settings":
        """A worker process's settings (`serve --workers N`): the target from SUIJIAN_DATABASE_URL."""
        return cls.from_env(_worker_target())


def _worker_target() -> str:
    target = os.environ.get("SUIJIAN_DATABASE_URL")
    if not target:
        raise ValueError("SUIJIAN_DATABASE_URL is not set: a worker process is started by `serve --workers N`")
    return target


def clock_from_env() -> Clock:
    """The product's clock from SUIJIAN_CLOCK (unset: the real time); see schemas/clock.py."""
    return Clock.parse(os.environ.get("SUIJIAN_CLOCK"))
