"""A poor link, for real: the shaping proxy (tests/support/shaper.py) between a real SyncClient
and a real server. Photo uploads resume after cuts without re-sending what arrived; the whole
file is checked by its hash; the old one-shot PUT still works."""
from __future__ import annotations

import hashlib
import io
import os
import random
import socket
import threading
from pathlib import Path

import httpx
import pytest
from PIL import Image

from field_app.outbox import record_photos
from field_app.sync import UPLOAD_PIECE, SyncResult
from tests.integration.conftest import server_rows
from tests.support.photos import jpeg_bytes, save_photo
from tests.support.records import finding, queue_record, record
from tests.support.shaper import Shaper


def big_jpeg(seed: int) -> bytes:
    """A noisy 1600×1200 JPEG at quality 95: several hundred KB, more than two upload pieces."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (200, 150), rng.randbytes(200 * 150 * 3)).resize((1600, 1200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


class Sink:
    """A TCP server that keeps every byte it is sent, until the sender closes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.received = bytearray()
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        self.listener.close()
        conn.settimeout(30)
        try:
            while data := conn.recv(65536):
                self.received += data
        except OSError:
            pass
        conn.close()
        self.done.set()


def send(url: str, payload: bytes) -> bool:
    """Send through the link; whether the link took all of it without being closed."""
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            return sock.recv(1) == b""
        except OSError:
            return False


@pytest.mark.engine_free   # the proxy alone
def test_a_cut_after_n_bytes_delivers_exactly_n() -> None:
    sink = Sink()
    payload = random.Random(1).randbytes(300_000)
    with Shaper(sink.url, up=2_000_000, latency=0.005) as link:
        link.cut_after(123_457)
        send(link.url, payload)
        assert sink.done.wait(30)
        assert bytes(sink.received) == payload[:123_457]
        assert link.up.delivered == 123_457 and link.cuts == 1
        assert link.up.taken == link.up.delivered + link.up.dropped


@pytest.mark.engine_free   # the proxy alone
def test_a_payload_takes_at_least_its_size_over_the_rate() -> None:
    """A lower bound (the bucket cannot be faster than its rate): a slow machine only makes it longer."""
    import time
    sink = Sink()
    payload = random.Random(2).randbytes(100_000)
    with Shaper(sink.url, up=400_000, latency=0.02) as link:
        start = time.monotonic()
        assert send(link.url, payload)
        assert sink.done.wait(30)
        elapsed = time.monotonic() - start
    assert bytes(sink.received) == payload and link.up.delivered == len(payload)
    assert elapsed >= (len(payload) - 4096) / 400_000 + 2 * 0.02


def queued_photo(client, data: bytes, home: Path) -> str:
    """A record with one photo in the tablet's outbox (signed by two officers)."""
    sha, path = save_photo(home, data)
    client.store.add_photo(sha, path, len(data))
    assignment = client.store.list_assignments()[0]
    doc = record(assignment, [client.keys.credentials()["user"]["id"]],
                 findings=[finding(assignment["items"][0], photos=[sha])])
    queue_record(client, doc, record_photos(doc))
    return sha


def test_a_photo_cut_three_times_arrives_whole_and_little_is_sent_again(
        make_device, county, server, tmp_path: Path) -> None:
    data = big_jpeg(7)
    cut_every = 150_000
    assert len(data) > 3 * cut_every + UPLOAD_PIECE // 2, "the photo outlasts three cuts"
    with Shaper(server.url, up=1_000_000, down=2_000_000, latency=0.01) as link:
        # one tablet sends the photo over the link uncut: what its upload costs in bytes …
        calm = make_device(county.inspector, url=link.url)
        assert calm.sync().pulled > 0
        sha = queued_photo(calm, data, tmp_path / "calm")
        before = link.up.taken
        calm.upload_photos(calm_result := SyncResult())
        uncut = link.up.taken - before
        assert calm_result.photos_uploaded == 1 and link.cuts == 0

        # … and another tablet sends it with the link dropping three times midway
        shaky = make_device(county.inspector, url=link.url)
        assert shaky.sync().pulled > 0
        assert queued_photo(shaky, data, tmp_path / "shaky") == sha
        before, lost_before = link.up.taken, link.up.dropped
        link.cut_after(cut_every, times=3)
        shaky.upload_photos(result := SyncResult())
        sent, lost = link.up.taken - before, link.up.dropped - lost_before

    assert result.photos_uploaded == 1 and result.photo_errors == [] and link.cuts == 3
    stored = county.photos / sha[:2] / sha
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == sha
    assert not list((county.photos / ".uploads").glob("*/*.part"))
    resent = sent - uncut
    # Sent again: what the link held at each cut (lost), and per cut one offset question and
    # the headers of one more piece (under 1 KB together) — never the photo, nor a whole piece.
    assert 0 < resent <= lost + 3 * 1024, (resent, lost)
    assert lost < 3 * UPLOAD_PIECE and resent < len(data) / 2
    assert shaky.store.get_meta("upload_started:" + sha) == ""


def auth(client) -> dict[str, str]:
    return client._auth()


def test_pieces_must_be_contiguous_and_the_hash_must_match(make_device, county, server) -> None:
    tablet, other = make_device(county.inspector), make_device(county.leader, "组长平板")
    data = jpeg_bytes(3, size=(1200, 900))
    wrong = hashlib.sha256(b"not these bytes").hexdigest()
    url, total, half = f"/v1/uploads/{wrong}", len(data), len(data) // 2
    http = tablet.http

    gap = http.put(url, content=data[half:], headers={**auth(tablet), "Content-Range": f"bytes {half}-{total - 1}/{total}"})
    assert gap.status_code == 409 and gap.json()["code"] == "upload.offset_mismatch"
    assert gap.json()["detail"] == {"offset": 0} and gap.json()["message_zh"]

    first = http.put(url, content=data[:half], headers={**auth(tablet), "Content-Range": f"bytes 0-{half - 1}/{total}"})
    assert first.status_code == 200 and first.json() == {"sha256": wrong, "offset": half, "total": total,
                                                         "complete": False}
    asked = http.get(url, headers=auth(tablet))
    assert asked.json()["offset"] == half and asked.headers["Upload-Offset"] == str(half)
    assert http.head(url, headers=auth(tablet)).headers["Upload-Offset"] == str(half)
    # another device sees nothing of it, and cannot continue it
    assert other.http.get(url, headers=auth(other)).json()["offset"] == 0
    theirs = other.http.put(url, content=data[half:], headers={**auth(other), "Content-Range": f"bytes {half}-{total - 1}/{total}"})
    assert theirs.status_code == 409 and theirs.json()["detail"] == {"offset": 0}

    again = http.put(url, content=data[1:half + 1], headers={**auth(tablet), "Content-Range": f"bytes 1-{half}/{total}"})
    assert again.status_code == 409 and again.json()["detail"] == {"offset": half}

    last = http.put(url, content=data[half:], headers={**auth(tablet), "Content-Range": f"bytes {half}-{total - 1}/{total}"})
    assert last.status_code == 400 and last.json()["code"] == "upload.hash_mismatch"
    assert "校验值不符" in last.json()["message_zh"]
    assert http.get(url, headers=auth(tablet)).json()["offset"] == 0, "the bad bytes were discarded"
    photos = county.photos
    assert not (photos / wrong[:2] / wrong).exists()
    assert not server_rows(county.db, "SELECT 1 FROM photos WHERE sha256 = ?", wrong)
    assert not list((photos / ".uploads").glob("*/*.part"))


def test_limits_and_bad_ranges_are_refused_clearly(make_device, county, server) -> None:
    tablet = make_device(county.inspector)
    sha = hashlib.sha256(b"x").hexdigest()
    huge = tablet.http.put(f"/v1/uploads/{sha}", content=b"x" * 10,
                           headers={**auth(tablet), "Content-Range": f"bytes 0-9/{11 * 1024 * 1024}"})
    assert huge.status_code == 413 and huge.json()["code"] == "upload.too_large" and huge.json()["message_zh"]
    for header in ("", "bytes 0-9/5", "bytes=0-9/10"):
        bad = tablet.http.put(f"/v1/uploads/{sha}", content=b"x" * 10, headers={**auth(tablet), "Content-Range": header})
        assert bad.status_code == 400 and bad.json()["code"] == "upload.bad_range", header
    abandoned = county.photos / ".uploads" / "someone" / ("c" * 64 + "-99.part")
    abandoned.parent.mkdir(parents=True)
    abandoned.write_bytes(b"half a photo")
    os.utime(abandoned, (abandoned.stat().st_mtime - 25 * 3600,) * 2)   # the machine's clock, as file times are
    long = tablet.http.put(f"/v1/uploads/{sha}", content=b"x" * 20, headers={**auth(tablet), "Content-Range": "bytes 0-9/30"})
    assert long.status_code == 400 and long.json()["code"] == "upload.too_long"
    assert not abandoned.exists(), "a staged file untouched for a day goes when an upload starts"
    not_a_photo = hashlib.sha256(b"plain text here").hexdigest()
    text = tablet.http.put(f"/v1/uploads/{not_a_photo}", content=b"plain text here",
                           headers={**auth(tablet), "Content-Range": "bytes 0-14/15"})
    assert text.status_code == 415 and text.json()["code"] == "photo.unsupported_type"
    assert tablet.http.get(f"/v1/uploads/{sha}").status_code == 401


def test_the_one_shot_put_still_works_and_counts_as_complete(make_device, county, server) -> None:
    tablet = make_device(county.inspector)
    data = jpeg_bytes(5)
    sha = hashlib.sha256(data).hexdigest()
    old = tablet.http.put(f"/v1/photos/{sha}", content=data, headers=auth(tablet))
    assert old.status_code == 201 and old.json()["bytes"] == len(data)
    told = tablet.http.get(f"/v1/uploads/{sha}", headers=auth(tablet)).json()
    assert told == {"sha256": sha, "offset": len(data), "total": len(data), "complete": True}


def test_a_resumed_upload_ends_in_the_same_stored_photo(make_device, county, server) -> None:
    tablet = make_device(county.inspector)
    data = big_jpeg(11)
    sha, total = hashlib.sha256(data).hexdigest(), len(data)
    cut = 100_000
    first = tablet.http.put(f"/v1/uploads/{sha}", content=data[:cut],
                            headers={**auth(tablet), "Content-Range": f"bytes 0-{cut - 1}/{total}"})
    assert first.json()["offset"] == cut
    last = tablet.http.put(f"/v1/uploads/{sha}", content=data[cut:],
                           headers={**auth(tablet), "Content-Range": f"bytes {cut}-{total - 1}/{total}"})
    assert last.status_code == 201 and last.json()["bytes"] == total and last.json()["media_type"] == "image/jpeg"
    served = httpx.get(f"{server.url}/v1/photos/{sha}", headers=auth(tablet))
    assert served.status_code == 200 and served.content == data
    assert server_rows(county.db, "SELECT bytes FROM photos WHERE sha256 = ?", sha)[0]["bytes"] == total
