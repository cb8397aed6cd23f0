"""Photo upload: MB/s for ~300 KB JPEGs, the server re-hashing, inspecting and fsyncing each; then
the same upload into the S3 store (sync_server/blobs/s3.py) on moto's server mode over HTTP, as a
ratio to the local directory in the same run. moto is an in-memory Python stand-in, not a real
S3: the ratio shows what our S3 path costs (boto3, a HEAD and a PUT per photo), not a store's speed."""
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
from tests.support.s3 import MotoServer

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
    s3 = _s3_upload(workdir, county)
    return {"photo_upload_mb_per_s": round(median(parallel), 1),
            "photo_upload_sequential_mb_per_s": round(median(sequential), 1),
            "photo_upload_kb_each": round(median(sizes) / 1024),
            "photo_upload_s3_moto_mb_per_s": round(median(s3), 1),
            "photo_upload_s3_moto_ratio": round(median(s3) / median(parallel), 2)}


def _s3_upload(workdir: Path, county: County) -> list[float]:
    """Four in flight, as above, with the server's store in a bucket on moto (other photos: new keys)."""
    moto = MotoServer(workdir / "moto.log").start()
    server = None
    try:
        server = start_server(county.db, **moto.env(moto.new_bucket(), "bench/photos"))
        client = enroll(server.url, county, county.inspector, workdir / "photo-device-s3")
        figures = [_upload(server.url, client._auth(), [noisy_jpeg(50_000 + r * 1000 + i) for i in range(PHOTOS // 2)],
                           workers=4) for r in range(ROUNDS)]
    finally:
        if server is not None:
            server.stop()
        moto.stop()
    return figures


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
