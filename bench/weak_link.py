"""Weak-link sync: a day's work (10 records, 40 photos) over a rural mobile link, against the link's floor.

The link is the shaping proxy of the tests (tests/support/shaper.py): 1 Mbit/s up, 4 Mbit/s down,
150 ms each way (300 ms round trips), a TCP handshake costing a round trip. The tablet has pulled
its assignments in the morning (unshaped); what is timed is the evening's `SyncClient.sync()`:
photos up, records up, the feed down.

    floor = bytes up ÷ 125,000 B/s + bytes down ÷ 500,000 B/s + round trips × 0.3 s

Bytes are those that crossed the link (HTTP headers included). Round trips counted are the ones
no bandwidth can hide, because each waits for the one before: the TCP handshake of the first
connection, the answer to the last photo piece, the push of the ten records (one batch), and
the feed page after it: 4. The photo pieces' own answers are not counted: with four uploads in
flight, one waits for its answer while the others keep the link busy.

`weak_link_sync_ratio`: the median of ROUNDS runs of wall time ÷ floor, each on a fresh copy of
the county. `weak_link_resent_kb`: the same day's work with the link dropped three times midway
(every quarter of the photo bytes); what crossed the link beyond the uncut run's bytes for the
same photos (the photos' own bytes subtracted from both, as their sizes differ a little).
`weak_link_resent_one_shot_kb`, the baseline in the same run: the same cut day with the one-shot
PUT of the tablet before issue 14 (a cut photo is sent again whole).
"""
from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path

from bench.common import County, enroll, median, start_server
from bench.photos import noisy_jpeg
from field_app.outbox import record_photos
from field_app.sync import SyncClient
from tests.support.photos import save_photo
from tests.support.records import officer_key, queue_record, record
from tests.support.shaper import Shaper

UP, DOWN, LATENCY = 125_000, 500_000, 0.150     # 1 Mbit/s, 4 Mbit/s, 300 ms round trips
RECORDS, PHOTOS_EACH, ROUNDS, CUTS = 10, 4, 3, 3
ROUND_TRIPS = 4


def run(workdir: Path, county: County) -> dict[str, float]:
    ratios, overheads, seconds = [], [], []
    for n in range(ROUNDS):
        figures = _one_day(workdir / f"run-{n}", county, seed=n * 100, cuts=0)
        ratios.append(figures["ratio"])
        overheads.append(figures["overhead"])
        seconds.append(figures["seconds"])
        _report(f"run {n}", figures)
    cut = _one_day(workdir / "cut", county, seed=ROUNDS * 100, cuts=CUTS)
    _report("3 cuts", cut)
    whole = _one_day(workdir / "cut-one-shot", county, seed=ROUNDS * 100, cuts=CUTS, client=OneShotClient)
    _report("3 cuts, one-shot PUT", whole)
    return {"weak_link_sync_ratio": round(median(ratios), 3),
            "weak_link_resent_kb": round((cut["overhead"] - statistics.median(overheads)) / 1024, 1),
            "weak_link_resent_one_shot_kb": round((whole["overhead"] - statistics.median(overheads)) / 1024, 1),
            "weak_link_lost_in_cuts_kb": round(cut["lost"] / 1024, 1),
            "weak_link_sync_s": round(median(seconds), 1),
            "weak_link_photo_kb_each": round(cut["photo_bytes"] / (RECORDS * PHOTOS_EACH) / 1024)}


def _report(name: str, figures: dict) -> None:
    print(f"[bench] weak_link {name}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                                  for k, v in figures.items()), file=sys.stderr, flush=True)


class OneShotClient(SyncClient):
    """The baseline: the tablet before issue 14, each photo in one PUT /v1/photos request, sent
    again whole after a cut."""

    def _upload(self, sha: str, data: bytes, one_shot: str, resuming: bool):
        return self._request("PUT", one_shot, content=data)


def _one_day(directory: Path, county: County, seed: int, cuts: int, client: type = SyncClient) -> dict:
    shutil.copytree(county.db.parent, directory / "server")
    db = directory / "server" / county.db.name
    server = start_server(db)
    try:
        tablet = enroll(server.url, county, county.inspector, directory / "tablet")
        tablet.sync()                                         # the morning's pull, on a good link
        photo_bytes = _day_of_work(tablet, directory / "camera", seed)
        with Shaper(server.url, up=UP, down=DOWN, latency=LATENCY) as link:
            shaky = client(link.url, tablet.store, tablet.keys)
            if cuts:
                link.cut_after(photo_bytes // (cuts + 1), times=cuts)
            start = time.perf_counter()
            result = shaky.sync()
            seconds = time.perf_counter() - start
            shaky.close()
        tablet.close()
    finally:
        server.stop()
    if result.offline or result.error or result.photos_uploaded != RECORDS * PHOTOS_EACH \
            or result.receipts.get("accepted") != RECORDS or link.cuts != cuts:
        raise RuntimeError(f"the day's work did not sync: {result}, cuts {link.cuts}")
    floor = link.up.taken / UP + link.down.delivered / DOWN + ROUND_TRIPS * 2 * LATENCY
    return {"seconds": seconds, "floor": floor, "ratio": seconds / floor, "up_bytes": link.up.taken,
            "down_bytes": link.down.delivered, "photo_bytes": photo_bytes,
            "overhead": link.up.taken - photo_bytes, "lost": link.up.dropped, "connections": link.connections}


def _day_of_work(tablet: SyncClient, camera: Path, seed: int) -> int:
    """Ten inspections, four photos each, signed by two officers and queued: the photos' bytes."""
    assignments = tablet.store.list_assignments()[:RECORDS]
    total = 0
    for k, assignment in enumerate(assignments):
        shas = []
        for p in range(PHOTOS_EACH):
            data = noisy_jpeg(seed + k * PHOTOS_EACH + p)
            sha, path = save_photo(camera, data)
            tablet.store.add_photo(sha, path, len(data))
            shas.append(sha)
            total += len(data)
        doc = record(assignment, [tablet.keys.credentials()["user"]["id"]])
        for i, sha in enumerate(shas):        # the photos spread over the findings, as taken
            doc["findings"][i % len(doc["findings"])]["photos"].append(sha)
        for officer in doc["inspectors"]:
            officer_key(tablet, officer)
        queue_record(tablet, doc, record_photos(doc), "2026-11-20T10:00:00Z")
    return total
