"""What the office's enrollment QR code holds: the server's address and a one-time code.

    suijian://enroll?v=1&server=https%3A%2F%2Fsuijian.example.gov.cn&code=ABCD-EFGH-JKLM

A URL (not JSON) keeps the QR code small and is what a phone's scanner shows as text, so it can
be pasted whole into the tablet's code field. `server` is the address the office's console was
reached at; `code` is the code as the office gives it (groups of four, dashes optional).
Shared by the server (which draws the code) and the tablet (which reads it); pure.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

SCHEME, HOST, VERSION = "suijian", "enroll", "1"


class LinkError(ValueError):
    """Text that starts like an enrollment link but is not a whole, valid one."""


@dataclass(frozen=True)
class EnrollmentLink:
    server: str
    code: str

    def text(self) -> str:
        return (f"{SCHEME}://{HOST}?v={VERSION}&server={quote(self.server, safe='')}"
                f"&code={quote(self.code, safe='')}")


def is_link(text: str) -> bool:
    return text.strip().lower().startswith(f"{SCHEME}://")


def parse(text: str) -> EnrollmentLink:
    """The server and code a scanned (or pasted) link holds; LinkError for anything else."""
    parts = urlsplit(text.strip())
    fields = parse_qs(parts.query, keep_blank_values=True)
    one = {name: values[0] for name, values in fields.items() if len(values) == 1}
    if parts.scheme.lower() != SCHEME or parts.netloc.lower() != HOST or one.get("v") != VERSION:
        raise LinkError("不是随检的注册二维码")
    server, code = one.get("server", "").strip().rstrip("/"), one.get("code", "").strip()
    if not server.startswith(("http://", "https://")) or not code:
        raise LinkError("注册二维码内容不完整，请向监督所重新申请")
    return EnrollmentLink(server, code)
