"""Photos at capture: one pass with Pillow from whatever the camera or file gives to the bytes
that are hashed, signed into the record and uploaded.

    decode (JPEG draft mode: the decoder scales by 1/2, 1/4, 1/8 while reading)
    → long side 1600 px → EXIF orientation applied → JPEG quality 80
    → EXIF DateTimeOriginal (with its zone, OffsetTimeOriginal) and GPS kept, everything else
      stripped (maker notes, serial numbers…)
    → SHA-256 of the stored bytes, a small thumbnail for the lists

Huge or broken input is refused with `PhotoRefused` and a message for the inspector.
The party's signature is drawn on screen and stored the same way, as a PNG.
"""
from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, UnidentifiedImageError

from field_app.core import photo_facts

LONG_SIDE = 1600
QUALITY = 80
THUMB_SIDE = 240
MAX_INPUT_BYTES = 40 * 1024 * 1024
MAX_PIXELS = 40_000_000  # the server's SUIJIAN_MAX_PHOTO_PIXELS default
EXIF_IFD, GPS_IFD, ORIENTATION, DATETIME_ORIGINAL, OFFSET_ORIGINAL = 0x8769, 0x8825, 0x0112, 0x9003, 0x9011
TRANSPOSE = {2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
             4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE],
             6: [Image.Transpose.ROTATE_270], 7: [Image.Transpose.TRANSVERSE], 8: [Image.Transpose.ROTATE_90]}


class PhotoRefused(Exception):
    """The input cannot become evidence; `message_zh` says why, for the inspector."""

    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(f"{code}: {message_zh}")
        self.code, self.message_zh = code, message_zh


@dataclass(frozen=True)
class Processed:
    data: bytes
    sha256: str
    width: int
    height: int
    thumb: bytes
    taken_at: str | None
    has_gps: bool
    kind: str = "jpg"


def process(raw: bytes) -> Processed:
    """Input bytes (JPEG, PNG, …) → the stored JPEG and its facts."""
    if len(raw) > MAX_INPUT_BYTES:
        raise PhotoRefused("photo.too_large", f"照片文件过大（{len(raw) // 1048576} MB），请重新拍摄或选择小于 40 MB 的照片")
    image = _open(raw)
    exif = image.getexif()
    try:
        image.draft("RGB", _draft_size(image.size))
        image = _to_rgb(image)
        image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    except (OSError, ValueError, SyntaxError) as exc:
        raise PhotoRefused("photo.corrupt", "照片文件已损坏或不完整，无法读取，请重新拍摄") from exc
    for step in TRANSPOSE.get(exif.get(ORIENTATION, 1), []):
        image = image.transpose(step)
    data = _jpeg(image, QUALITY, _kept_exif(exif))
    taken = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
    return Processed(data, hashlib.sha256(data).hexdigest(), image.width, image.height, thumbnail(image),
                     str(taken) if taken else None, bool(exif.get_ifd(GPS_IFD)))


def _open(raw: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise PhotoRefused("photo.corrupt", "无法识别的照片文件（已损坏或不是图片），请重新拍摄") from exc
    if width * height > MAX_PIXELS:
        raise PhotoRefused("photo.too_many_pixels",
                           f"照片像素过多（{width}×{height}），超过 4000 万像素，请降低相机分辨率后重拍")
    return image


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    scale = LONG_SIDE / max(size)
    return (max(1, int(size[0] * scale)), max(1, int(size[1] * scale))) if scale < 1 else size


def _to_rgb(image: Image.Image) -> Image.Image:
    image.load()
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _kept_exif(source: Image.Exif) -> bytes:
    kept = Image.Exif()
    taken = source.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
    if taken:
        kept.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken
        offset = source.get_ifd(EXIF_IFD).get(OFFSET_ORIGINAL)
        if offset:
            kept.get_ifd(EXIF_IFD)[OFFSET_ORIGINAL] = offset
    gps = source.get_ifd(GPS_IFD)
    if gps:
        kept.get_ifd(GPS_IFD).update(gps)
    return kept.tobytes() if (taken or gps) else b""


def _jpeg(image: Image.Image, quality: int, exif: bytes = b"") -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def thumbnail(image: Image.Image) -> bytes:
    small = image.copy()
    small.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BILINEAR)
    return _jpeg(small, 70)


def facts(data: bytes | None) -> photo_facts.PhotoFacts | None:
    """When and where a stored photo was taken, from the EXIF it kept; None for no file or no image
    (a signature PNG has no EXIF: its facts are empty, not an error)."""
    if data is None:
        return None
    try:
        exif = Image.open(io.BytesIO(data)).getexif()
        taken = exif.get_ifd(EXIF_IFD)
        return photo_facts.facts(taken.get(DATETIME_ORIGINAL), taken.get(OFFSET_ORIGINAL), dict(exif.get_ifd(GPS_IFD)))
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None


def received(data: bytes, sha256: str) -> Processed:
    """A photo downloaded for review: kept byte for byte when it hashes to the name the signed
    record gives it (anything else is refused), plus a thumbnail for the lists."""
    if hashlib.sha256(data).hexdigest() != sha256:
        raise PhotoRefused("photo.hash_mismatch", "下载的照片与记录中的校验值不符，已丢弃")
    image = _open(data)
    try:
        image.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))
        thumb = thumbnail(_to_rgb(image))
    except (OSError, ValueError, SyntaxError) as exc:
        raise PhotoRefused("photo.corrupt", "下载的照片已损坏，无法显示") from exc
    kind = "png" if data.startswith(b"\x89PNG") else "jpg"
    return Processed(data, sha256, image.width, image.height, thumb, None, False, kind=kind)


# --- the party's signature ------------------------------------------------------------------
Stroke = list[tuple[float, float]]


def signature_png(strokes: list[Stroke], size: tuple[int, int]) -> Processed:
    """Strokes drawn on the pad (pad coordinates) → a black-on-white PNG, 2× for legibility."""
    if not any(len(stroke) > 1 for stroke in strokes):
        raise PhotoRefused("signature.empty", "签名区为空，请当事人在框内签名")
    scale = 2
    image = Image.new("L", (size[0] * scale, size[1] * scale), 255)
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = [(x * scale, y * scale) for x, y in stroke]
        draw.line(points, fill=0, width=3 * scale, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    data = out.getvalue()
    return Processed(data, hashlib.sha256(data).hexdigest(), image.width, image.height, thumbnail(image.convert("RGB")),
                     None, False, kind="png")


# --- files on the device ----------------------------------------------------------------------
class PhotoFiles:
    """Photo files in a directory, named by their hash, written atomically (temp, fsync, rename)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, sha256: str, kind: str = "jpg") -> Path:
        return self.directory / f"{sha256}.{kind}"

    def thumb_path(self, sha256: str) -> Path:
        return self.directory / f"{sha256}.thumb.jpg"

    def save(self, photo: Processed) -> Path:
        path = self.path_of(photo.sha256, photo.kind)
        if not path.exists():
            _write_durably(path, photo.data)
        if not self.thumb_path(photo.sha256).exists():
            _write_durably(self.thumb_path(photo.sha256), photo.thumb)
        return path

    def save_document(self, sha256: str, data: bytes) -> Path:
        """The PDF handed over on site, kept beside the photos as <sha256>.pdf."""
        path = self.path_of(sha256, "pdf")
        if not path.exists():
            _write_durably(path, data)
        return path

    def document(self, sha256: str) -> bytes | None:
        try:
            return self.path_of(sha256, "pdf").read_bytes()
        except OSError:
            return None

    def known(self) -> set[str]:
        """The hashes of the photos kept here (full size)."""
        if not self.directory.is_dir():
            return set()
        return {p.name.split(".")[0] for p in self.directory.iterdir()
                if p.suffix in (".jpg", ".png") and not p.name.endswith(".thumb.jpg")}

    def has(self, sha256: str) -> bool:
        return any(self.path_of(sha256, kind).exists() for kind in ("jpg", "png"))

    def full(self, sha256: str) -> bytes | None:
        for kind in ("jpg", "png"):
            try:
                return self.path_of(sha256, kind).read_bytes()
            except OSError:
                continue
        return None

    def thumb(self, sha256: str) -> bytes | None:
        try:
            return self.thumb_path(sha256).read_bytes()
        except OSError:
            return None


def _write_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
