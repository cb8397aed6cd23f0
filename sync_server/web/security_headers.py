"""Security headers on every response: a pure ASGI middleware and the header rule it applies.

    HTML      Content-Security-Policy PAGE_POLICY: scripts, styles, images and fetches from this
              origin only; no inline script, no inline style, no plugins, no framing
    other     Content-Security-Policy OTHER_POLICY: nothing may load or run, sandboxed (a JSON
              reply, a photo or a download opened on its own renders as inert data)
    all       X-Content-Type-Options: nosniff (a photo is its image type, never sniffed as HTML),
              Referrer-Policy: same-origin (nothing goes to other sites; not no-referrer, under
              which a browser posts our own forms with `Origin: null` and the office's Origin
              check could not tell them from a foreign page's), X-Frame-Options: DENY (older
              browsers), and with Settings.https Strict-Transport-Security

A header a handler set itself is kept. Errors made by Starlette's outermost error middleware
(the 500 reply) do not pass through user middleware; `app.internal_error` adds `for_response`
itself. Documented in docs/PUBLIC_PAGES.md ("Security headers").
"""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
               "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
               "form-action 'self'; frame-ancestors 'none'")
OTHER_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
HSTS = "max-age=31536000"


def for_response(content_type: str, https: bool) -> dict[str, str]:
    """The security headers for a response of this content type."""
    html = content_type.split(";", 1)[0].strip().lower() == "text/html"
    headers = {"Content-Security-Policy": PAGE_POLICY if html else OTHER_POLICY,
               "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def _merged(raw: list[tuple[bytes, bytes]], https: bool) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in raw}
    content_type = next((value.decode("latin-1") for name, value in raw if name.lower() == b"content-type"), "")
    extra = [(name.lower().encode("latin-1"), value.encode("latin-1"))
             for name, value in for_response(content_type, https).items() if name.lower().encode("latin-1") not in present]
    return [*raw, *extra]


class SecurityHeaders:
    """Adds `for_response` to every HTTP response start the wrapped app sends."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app, self.https = app, https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _merged(list(message.get("headers", [])), self.https)}
            await send(message)

        await self.app(scope, receive, send_with_headers)
