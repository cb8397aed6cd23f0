"""When and where a photo was taken, from the EXIF values the capture pipeline keeps (pure: the
values come in as Pillow reads them, field_app/photos.py `facts`), as the leader reads them.

    time   DateTimeOriginal with OffsetTimeOriginal → exact, shown in Beijing time
           else the GPS date and time (always UTC)  → exact, shown in Beijing time
           else DateTimeOriginal alone              → the camera's clock, zone unknown: said so
    place  GPSLatitude/GPSLongitude with their N/S, E/W refs → integer micro-degrees
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

BEIJING = timezone(timedelta(hours=8))   # China keeps no summer time: a fixed offset is exact
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON, GPS_TIME, GPS_DATE = 1, 2, 3, 4, 7, 29


@dataclass(frozen=True)
class PhotoFacts:
    taken_at: str | None        # RFC 3339 UTC, when the zone is known
    camera_time: str | None     # the camera's own clock text, when it is not
    lat_e6: int | None = None
    lon_e6: int | None = None

    def caption(self) -> str:
        """One line under the thumbnail, in Chinese."""
        when = f"拍摄于 {beijing_text(self.taken_at, '%Y-%m-%d %H:%M')}" if self.taken_at else \
            f"拍摄于 {self.camera_time}（相机时间）" if self.camera_time else "拍摄时间未记录"
        where = location_text(self.lat_e6, self.lon_e6) if self.lat_e6 is not None and self.lon_e6 is not None \
            else "位置未记录"
        return f"{when} · {where}"


def facts(original: Any, offset: Any, gps: dict[int, Any]) -> PhotoFacts:
    """The facts from DateTimeOriginal, OffsetTimeOriginal and the GPS IFD (any may be missing or junk)."""
    exact = _with_offset(original, offset) or _gps_time(gps.get(GPS_DATE), gps.get(GPS_TIME))
    camera = None if exact else _camera_text(original)
    lat = _degrees_e6(gps.get(GPS_LAT_REF), gps.get(GPS_LAT), "S")
    lon = _degrees_e6(gps.get(GPS_LON_REF), gps.get(GPS_LON), "W")
    return PhotoFacts(exact, camera, lat, lon) if lat is not None and lon is not None else PhotoFacts(exact, camera)


def beijing_text(stamp: str, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An RFC 3339 time in Beijing time (pure: schemas.clock's reading of it, without the clock)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(BEIJING).strftime(pattern)


def location_text(lat_e6: int, lon_e6: int, accuracy_m: int | None = None) -> str:
    """北纬 36.185000° 东经 118.170000°（±15 米）."""
    ns = "北纬" if lat_e6 >= 0 else "南纬"
    ew = "东经" if lon_e6 >= 0 else "西经"
    text = f"{ns} {abs(lat_e6) / 1e6:.6f}° {ew} {abs(lon_e6) / 1e6:.6f}°"
    return text + (f"（±{accuracy_m} 米）" if accuracy_m is not None else "")


def _parse(text: Any, pattern: str) -> datetime | None:
    try:
        return datetime.strptime(str(text).strip().rstrip("\x00"), pattern)
    except ValueError:
        return None


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _with_offset(original: Any, offset: Any) -> str | None:
    if not original or not offset:
        return None
    moment = _parse(f"{original}{str(offset).strip()}", "%Y:%m:%d %H:%M:%S%z")
    return _utc(moment) if moment else None


def _gps_time(day: Any, hms: Any) -> str | None:
    try:
        hours, minutes, seconds = (float(part) for part in hms)
    except (TypeError, ValueError, ZeroDivisionError):
        return None   # NaN (a zero denominator) fails the range check below
    moment = _parse(day, "%Y:%m:%d") if day else None
    if moment is None or not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 61):
        return None
    stamp = moment.replace(hour=int(hours), minute=int(minutes), second=min(int(seconds), 59), tzinfo=timezone.utc)
    return _utc(stamp)


def _camera_text(original: Any) -> str | None:
    moment = _parse(original, "%Y:%m:%d %H:%M:%S") if original else None
    return moment.strftime("%Y-%m-%d %H:%M") if moment else None


def _degrees_e6(ref: Any, dms: Any, negative: str) -> int | None:
    try:
        degrees, minutes, seconds = (float(part) for part in dms)
        value = round((degrees + minutes / 60 + seconds / 3600) * 1_000_000)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):   # NaN from a zero denominator too
        return None
    sign = -1 if str(ref or "").strip().upper().startswith(negative) else 1
    limit = 90_000_000 if negative == "S" else 180_000_000
    return sign * value if 0 <= value <= limit else None
