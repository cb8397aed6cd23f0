"""The camera behind a small interface, so the app runs where there is none.

On a tablet (the APK) the adapter is flet-camera's `Camera` control; in web mode and in tests
there is no camera and photos come from the file picker, or from `FakeCamera`, which makes a
real JPEG (with EXIF time and orientation) as a phone would.
"""
from __future__ import annotations

import io
from typing import Protocol

from PIL import Image, ImageDraw

from schemas import clock


class Camera(Protocol):
    available: bool

    async def capture(self) -> bytes | None: ...


class NoCamera:
    available = False

    async def capture(self) -> bytes | None:
        return None


class FakeCamera:
    """A stand-in camera: a 4000×3000 scene with EXIF time, a rotation flag and GPS."""

    available = True

    def __init__(self, size: tuple[int, int] = (4000, 3000)) -> None:
        self.size, self.shots = size, 0

    async def capture(self) -> bytes | None:
        self.shots += 1
        return scene_jpeg(self.size, self.shots)


def scene_jpeg(size: tuple[int, int] = (4000, 3000), seed: int = 1, orientation: int = 1) -> bytes:
    """A photo-like JPEG: gradients, shapes and sensor noise, quality 92, with EXIF as a phone writes it."""
    width, height = size
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = Image.effect_noise(size, 24).convert("RGB")
    image = Image.blend(base, noise, 0.35)
    draw = ImageDraw.Draw(image)
    for i in range(12):
        x, y = (seed * 397 + i * 811) % width, (seed * 131 + i * 467) % height
        draw.rectangle((x, y, x + width // 6, y + height // 8), fill=((i * 40) % 256, (seed * 70) % 256, 120))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SuiJian FakeCamera"
    taken = clock.now().astimezone()
    exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(0x8769)[0x9011] = taken.strftime("%z")[:3] + ":" + taken.strftime("%z")[3:]   # OffsetTimeOriginal
    exif.get_ifd(0x8825).update({1: "N", 2: (36.0, 11.0, 6.0), 3: "E", 4: (118.0, 10.0, 12.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()
