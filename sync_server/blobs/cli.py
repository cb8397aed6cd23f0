"""CLI for the blob store: `blobs copy --to URL`, the deployment's photos and documents copied into
another store (docs/DEPLOY.md "Object storage": moving a photo directory into a bucket)."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from sync_server.blobs.copy import Copied, copy_all
from sync_server.blobs.open import open_store
from sync_server.errors import BadRequest
from sync_server.settings import Settings


def cmd_blobs_copy(args: argparse.Namespace) -> int:
    if getattr(args, "office", None):
        raise BadRequest("office.cli_scope", "the platform has one store for every office; drop --office",
                         "照片存储为全平台共用，请去掉 --office")
    try:
        settings = Settings.from_env(args.db, args.data_dir)
        source, target = open_store(settings, args.source), open_store(settings, args.to)
    except ValueError as exc:
        print(f"错误 blobs.bad_setting: 存储地址或数据目录无效 ({exc})", file=sys.stderr)
        return 2
    print(f"copying {source.describe()} -> {target.describe()}", flush=True)
    done = copy_all(source, target, report=lambda so_far: print(_said(so_far), flush=True))
    print(_said(done) + " (done)")
    return 0


def _said(done: Copied) -> str:
    gone = f", gone when read {done.missing}" if done.missing else ""
    return f"copied {done.copied}, already there {done.present}{gone}"


def add_commands(sub: Any, command: Callable[..., argparse.ArgumentParser]) -> None:
    blobs = sub.add_parser("blobs", help="the photo and document store").add_subparsers(dest="blobs_command",
                                                                                         required=True)
    copy = command(blobs, "copy", cmd_blobs_copy, "copy every photo and document into another store")
    copy.add_argument("--to", required=True, help="s3://bucket/prefix (S3 settings from SUIJIAN_S3_*) or a directory")
    copy.add_argument("--from", dest="source", default=None,
                      help="the store to copy from (default: the server's own, SUIJIAN_BLOB_URL or the photo directory)")
    copy.add_argument("--data-dir", default=None, help="as for serve: a PostgreSQL platform's data directory (photos/)")
