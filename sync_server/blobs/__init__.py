"""Where photos and signed documents are kept: content-addressed blobs behind one small interface.

    BlobStore (store.py)   put · put_file · exists · size · get · open · keys
      DirectoryStore (local.py)   the photo directory: <dir>/<sha[:2]>/<sha>, write once (fsync, rename)
      S3Store        (s3.py)      an S3-compatible bucket: s3://bucket/prefix/<sha[:2]>/<sha> (boto3)

A blob's name is the SHA-256 of its bytes: every store checks the hash before it writes, and a put
of a name already there is a no-op. The store holds no notion of office or owner: one store serves
the whole deployment, and a blob is reachable only through a database row that names it (the
photo and document routes authorize the row first). `responses.send` turns a stored blob into
an HTTP reply: a file response, or the object streamed through the server (browsers and tablets
never talk to the object store); only the routes import it, so the CLI does not load the web
stack. Failures of the store map to the API's errors: a full disk is `storage.full` (507), an
unreachable or refusing object store `storage.unavailable` (503).
"""
from __future__ import annotations

from sync_server.blobs.local import DirectoryStore
from sync_server.blobs.open import open_store
from sync_server.blobs.store import Blob, BlobStore, StoreRefused, check_hash, key_of

__all__ = ["Blob", "BlobStore", "DirectoryStore", "StoreRefused", "check_hash", "key_of", "open_store"]
