"""Photo upload: MB/s for ~300 KB JPEGs, the server re-hashing, inspecting and fsyncing each."""
from __future__ import annotations

import hashlib
import io
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image

from bench.common import County, enroll, median, start_server, timed

PHOTOS, ROUNDS = 150, 3


def noisy_jpeg(seed: int) -> bytes:
    """A 1600×1200 JPEG at quality 80 of about 300 KB, like the field app's processed photos."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (120, 90), rng.randbytes(120 * 90 * 3)).resize((1600, 1200))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def run(workdir: Path, county: County) -> dict[str, float]:
    server = start_server(county.db)
    try:
        client = enroll(server.url, county, county.inspector, workdir / "photo-device")
        headers = client._auth()
        sequential, parallel, sizes = [], [], []
        for round_no in range(ROUNDS):
            photos = [noisy_jpeg(round_no * 1000 + i) for i in range(PHOTOS)]
            sizes.append(sum(map(len, photos)) / len(photos))
            half = len(photos) // 2
            sequential.append(_upload(server.url, headers, photos[:half], workers=1))
            parallel.append(_upload(server.url, headers, photos[half:], workers=4))
    finally:
        server.stop()
    return {"photo_upload_mb_per_s": round(median(parallel), 1),
            "photo_upload_sequential_mb_per_s": round(median(sequential), 1),
            "photo_upload_kb_each": round(median(sizes) / 1024)}


def _upload(url: str, headers: dict, photos: list[bytes], workers: int) -> float:
    """Upload as the tablet does: the hashes were taken at capture, so they are not timed."""
    local = threading.local()
    named = [(hashlib.sha256(data).hexdigest(), data) for data in photos]

    def put(item: tuple[str, bytes]) -> None:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=url, headers=headers, timeout=60)
        local.http.put(f"/v1/photos/{item[0]}", content=item[1]).raise_for_status()

    def all_of_them() -> None:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(put, named))
    seconds = timed(all_of_them)
    return sum(map(len, photos)) / seconds / 1e6
