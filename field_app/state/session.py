"""Who this device is: enrolled or not, the person and their role, the server it syncs with,
and the officers whose signing keys it holds (a team tablet)."""
from __future__ import annotations

from typing import Any, Callable

from schemas import enrollment_link
from field_app.officer_keys import Officer, pin_problem
from field_app.state.services import Services, close_client
from field_app.sync import Offline, SyncClient, SyncError


class Session:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def enrolled(self) -> bool:
        return self.services.keys.credentials() is not None

    @property
    def me(self) -> dict[str, Any]:
        return (self.services.keys.credentials() or {}).get("user") or {}

    @property
    def my_id(self) -> str:
        return str(self.me.get("id", ""))

    @property
    def is_leader(self) -> bool:
        return self.me.get("role") == "leader"

    @property
    def server_url(self) -> str:
        return self.services.store.get_meta("server_url") or self.services.settings.server_url

    def enroll(self, server_url: str, code: str, pin: str, pin_again: str) -> str | None:
        """Trade the one-time code, registering the enrolling officer's signing key under their
        new PIN too; None when enrolled, else what went wrong, in Chinese."""
        try:
            server_url, code = _from_link(server_url, code)
        except enrollment_link.LinkError as exc:
            return str(exc)
        url, code = server_url.strip().rstrip("/"), code.strip().upper()
        if not url.startswith(("http://", "https://")):
            return "服务器地址应以 http:// 或 https:// 开头"
        if not code:
            return "请输入科室发放的一次性注册码"
        problem = pin_problem(pin.strip(), pin_again.strip())
        if problem:
            return problem
        error = self._online(url, lambda client: client.enroll(code, self.services.settings.device_name, pin.strip()))
        if error is None:
            self.services.store.set_meta("server_url", url)
        return error

    def officers(self) -> list[Officer]:
        """The officers whose signing keys this tablet holds."""
        return self.services.keys.officers.officers()

    def join_officer(self, code: str, pin: str, pin_again: str) -> str | None:
        """Another team member registers their own signing key on this tablet (online, with their
        own one-time code and a PIN of their choosing); None when done, else why not (Chinese)."""
        try:
            code = _from_link(self.server_url, code)[1].strip().upper()
        except enrollment_link.LinkError as exc:
            return str(exc)
        if not code:
            return "请输入该执法人员本人的一次性注册码"
        problem = pin_problem(pin.strip(), pin_again.strip())
        if problem:
            return problem
        name = f"{self.services.settings.device_name} · 签名密钥"
        return self._online(self.server_url, lambda client: client.join_officer(code, pin.strip(), name))

    def _online(self, url: str, call: Callable[[SyncClient], Any]) -> str | None:
        client = self.services.client(url)
        try:
            call(client)
        except Offline:
            return "无法连接服务器，请检查网络和服务器地址后重试"
        except SyncError as exc:
            return exc.message_zh
        finally:
            close_client(client)
        return None


def _from_link(server_url: str, code: str) -> tuple[str, str]:
    """The office's enrollment QR code read as text (schemas/enrollment_link.py) and pasted into
    either field gives both the server's address and the code; anything else is taken as typed."""
    for text in (code, server_url):
        if enrollment_link.is_link(text):
            link = enrollment_link.parse(text)
            return link.server, link.code
    return server_url, code
