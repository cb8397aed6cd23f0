"""Photos by SHA-256: check the bytes are a photo we take (the blob store, sync_server/blobs/, keeps them).

The server never trusts the name it is given: it hashes the bytes itself (which also proves
they are exactly what the tablet hashed at capture), reads the header for the pixel count
before anything could be decoded (decompression bombs), and checks the file's structure: a
JPEG must end with its EOI marker, a PNG's chunks must pass their CRCs through to IEND. No
pixels are decoded on upload. Pillow's errors are mapped here, at the boundary.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from sync_server.errors import BadRequest, TooLarge, Unsupported

MEDIA_TYPES = {b"\xff\xd8\xff": ("JPEG", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("PNG", "image/png")}


@dataclass(frozen=True)
class PhotoFacts:
    media_type: str
    width: int
    height: int


def check_hash(sha256: str, data: bytes) -> None:
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise BadRequest("photo.hash_mismatch", f"bytes hash to {actual}, not {sha256}",
                         "照片内容与其校验值不符（传输中损坏），请重新上传", {"actual": actual})


def inspect(data: bytes, max_pixels: int) -> PhotoFacts:
    fmt, media_type = _sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[fmt]) as img:
                width, height = img.size
                _refuse_bomb(width, height, max_pixels)
                img.verify()
        _check_trailer(fmt, data)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            raise _bomb(max_pixels) from exc
        raise BadRequest("photo.corrupt", f"not a readable image: {exc}",
                         "照片文件已损坏或不完整，无法读取") from exc
    return PhotoFacts(media_type, width, height)


def _check_trailer(fmt: str, data: bytes) -> None:
    if fmt == "JPEG" and not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        raise OSError("JPEG stream has no end-of-image marker (truncated)")


def _sniff(data: bytes) -> tuple[str, str]:
    for magic, kind in MEDIA_TYPES.items():
        if data.startswith(magic):
            return kind
    raise Unsupported("photo.unsupported_type", "only JPEG and PNG photos are taken",
                      "只接受 JPEG 或 PNG 格式的照片")


def _refuse_bomb(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise _bomb(max_pixels)


def _bomb(max_pixels: int) -> TooLarge:
    return TooLarge("photo.too_many_pixels", f"image has more than {max_pixels} pixels",
                    f"照片像素过多（超过 {max_pixels // 1_000_000} 百万像素），疑似异常文件")
