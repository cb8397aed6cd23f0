"""The photo pipeline at capture: size, orientation, EXIF kept and stripped, hashes, refusals."""
from __future__ import annotations

import hashlib
import io
from datetime import datetime, timezone

import pytest
from PIL import Image

from field_app.camera import scene_jpeg
from field_app.photos import (DATETIME_ORIGINAL, EXIF_IFD, GPS_IFD, LONG_SIDE, PhotoFiles, PhotoRefused, facts,
                              process, signature_png)
from schemas import clock
from tests.support.photos import png_bomb


@pytest.fixture(scope="module")
def camera_shot() -> bytes:
    return scene_jpeg((4000, 3000), seed=2, orientation=6)  # a phone held upright: rotate 90° on display


def test_long_side_orientation_and_quality(camera_shot: bytes) -> None:
    photo = process(camera_shot)
    stored = Image.open(io.BytesIO(photo.data))
    assert stored.format == "JPEG" and max(stored.size) == LONG_SIDE
    assert stored.size == (1200, 1600), "EXIF orientation 6 applied: the landscape sensor image stands upright"
    assert stored.getexif().get(0x0112) is None, "orientation is applied, not left as a flag"
    assert len(photo.data) <= 400 * 1024
    assert photo.sha256 == hashlib.sha256(photo.data).hexdigest()


def test_exif_time_and_gps_kept_everything_else_stripped(camera_shot: bytes) -> None:
    photo = process(camera_shot)
    exif = Image.open(io.BytesIO(photo.data)).getexif()
    assert exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] == photo.taken_at
    assert exif.get_ifd(GPS_IFD)[1] == "N" and photo.has_gps
    assert 0x010F not in exif, "the maker (and serial numbers, maker notes…) are stripped"


def test_the_stored_photo_says_when_and_where_it_was_taken() -> None:
    before = clock.now().replace(microsecond=0)
    photo = process(scene_jpeg((1200, 900), seed=3))
    after = clock.now()
    found = facts(photo.data)
    assert found is not None and (found.lat_e6, found.lon_e6) == (36185000, 118170000)   # 36°11'6" N, 118°10'12" E
    taken = datetime.fromisoformat(found.taken_at.replace("Z", "+00:00"))
    assert before <= taken <= after and taken.tzinfo == timezone.utc, "the camera's zone was kept with its time"
    assert facts(signature_png([[(1, 1), (30, 30)]], (60, 40)).data).caption() == "拍摄时间未记录 · 位置未记录"
    assert facts(b"not an image") is None and facts(None) is None


def test_thumbnail_is_small(camera_shot: bytes) -> None:
    thumb = Image.open(io.BytesIO(process(camera_shot).thumb))
    assert max(thumb.size) == 240


def test_png_without_exif_becomes_jpeg() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (800, 600), (10, 200, 30, 128)).save(out, "PNG")
    photo = process(out.getvalue())
    assert Image.open(io.BytesIO(photo.data)).size == (800, 600) and photo.taken_at is None


@pytest.mark.parametrize("raw, code", [
    (b"not an image at all", "photo.corrupt"),
    (scene_jpeg((640, 480))[:2000], "photo.corrupt"),
    (png_bomb(8000, 6000), "photo.too_many_pixels"),
])
def test_broken_or_huge_files_are_refused_in_chinese(raw: bytes, code: str) -> None:
    with pytest.raises(PhotoRefused) as refused:
        process(raw)
    assert refused.value.code == code and "照片" in refused.value.message_zh


def test_signature_png_and_empty_pad() -> None:
    drawn = signature_png([[(10, 10), (100, 80), (200, 40)]], (600, 220))
    image = Image.open(io.BytesIO(drawn.data))
    assert image.format == "PNG" and image.size == (1200, 440) and image.getextrema() == (0, 255)
    with pytest.raises(PhotoRefused):
        signature_png([[(5, 5)]], (600, 220))


def test_files_are_named_by_hash(tmp_path, camera_shot: bytes) -> None:
    files = PhotoFiles(tmp_path)
    photo = process(camera_shot)
    path = files.save(photo)
    assert path.read_bytes() == photo.data and files.thumb(photo.sha256) == photo.thumb
    assert not list(tmp_path.glob("*.tmp"))
