"""Photos for tests: real JPEG/PNG bytes made with Pillow (a stand-in for the tablet camera)."""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image


def jpeg_bytes(seed: int = 0, size: tuple[int, int] = (640, 480), quality: int = 80) -> bytes:
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    for x in range(0, size[0], 7):  # some texture, so sizes are realistic
        image.putpixel((x, (x * (seed + 3)) % size[1]), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def png_bomb(width: int = 9000, height: int = 9000) -> bytes:
    """A tiny file that would decode to width × height pixels."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG", optimize=True)
    return out.getvalue()


def save_photo(directory: Path, data: bytes) -> tuple[str, Path]:
    sha = hashlib.sha256(data).hexdigest()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{sha}.jpg"
    path.write_bytes(data)
    return sha, path
