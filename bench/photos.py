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
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (720, 540), rng.randbytes(720 * 540 * 3))
    image = image.resize((1200, 900))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
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
    local = threading.local()

    def put(data: bytes) -> None:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=url, headers=headers, timeout=60)
        response = local.http.put(f"/v1/photos/{hashlib.sha256(data).hexdigest()}", content=data)
        response.raise_for_status()

    def all_of_them() -> None:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(put, photos))
    seconds = timed(all_of_them)
    return sum(map(len, photos)) / seconds / 1e6
