"""Copy every blob of one store into another (the photo directory into a bucket when a county
moves to a province platform, or a bucket back to a directory): each blob's hash is checked again
by the target's put, blobs already there are not sent again, and nothing is deleted anywhere."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sync_server.blobs.local import DirectoryStore, path_for
from sync_server.blobs.store import BlobStore


@dataclass
class Copied:
    copied: int = 0
    present: int = 0
    missing: int = 0     # listed by the source, gone when read (removed meanwhile)


def copy_all(source: BlobStore, target: BlobStore, report: Callable[[Copied], None] = lambda _: None) -> Copied:
    done = Copied()
    for sha in source.keys():
        if target.exists(sha):
            done.present += 1
        elif isinstance(source, DirectoryStore):
            target.put_file(sha, path_for(source.root, sha))
            done.copied += 1
        elif (data := source.get(sha)) is None:
            done.missing += 1
        else:
            target.put(sha, data)
            done.copied += 1
        if (done.copied + done.present) % 1000 == 0:
            report(done)
    return done
