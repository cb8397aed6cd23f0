"""Which files a signed inspection record names by hash (pure): its photos, and the PDF of the
papers handed over on site. The server waits for all of them (an `incomplete` record) and shows
each only to those who may see the record."""
from __future__ import annotations

from typing import Any, Iterator


def referenced_photos(doc: dict[str, Any]) -> set[str]:
    """The SHA-256 of every photo the record names: attempts, findings and their samples, the party's signature."""
    return set(_photo_refs(doc))


def referenced_documents(doc: dict[str, Any]) -> set[str]:
    """The SHA-256 of the PDF handed over on site, if the record has one."""
    documents = doc.get("documents")
    return {documents["pdf"]} if documents else set()


def referenced_files(doc: dict[str, Any]) -> set[str]:
    """Every file the record names: what must arrive before it is complete."""
    return referenced_photos(doc) | referenced_documents(doc)


def _photo_refs(doc: dict[str, Any]) -> Iterator[str]:
    for attempt in doc["visit"]["attempts"]:
        yield from attempt["photos"]
    for finding in doc["findings"]:
        yield from finding["photos"]
        if finding.get("sample"):
            yield from finding["sample"]["photos"]
    if doc["party"] and "signature_photo" in doc["party"]:
        yield doc["party"]["signature_photo"]
