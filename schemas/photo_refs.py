"""Which photos a signed inspection record refers to (pure)."""
from __future__ import annotations

from typing import Any, Iterator


def referenced_photos(doc: dict[str, Any]) -> set[str]:
    """The SHA-256 of every photo the record names: attempts, findings and their samples, the party's signature."""
    return set(_photo_refs(doc))


def _photo_refs(doc: dict[str, Any]) -> Iterator[str]:
    for attempt in doc["visit"]["attempts"]:
        yield from attempt["photos"]
    for finding in doc["findings"]:
        yield from finding["photos"]
        if finding.get("sample"):
            yield from finding["sample"]["photos"]
    if doc["party"] and "signature_photo" in doc["party"]:
        yield doc["party"]["signature_photo"]
