"""Who this device is: enrolled or not, the person and their role, the server it syncs with."""
from __future__ import annotations

from typing import Any

from field_app.state.services import Services, close_client
from field_app.sync import Offline, SyncError


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

    def enroll(self, server_url: str, code: str) -> str | None:
        """Trade the one-time code; None when enrolled, else what went wrong, in Chinese."""
        url, code = server_url.strip().rstrip("/"), code.strip().upper()
        if not url.startswith(("http://", "https://")):
            return "服务器地址应以 http:// 或 https:// 开头"
        if not code:
            return "请输入科室发放的一次性注册码"
        client = self.services.client(url)
        try:
            client.enroll(code, self.services.settings.device_name)
        except Offline:
            return "无法连接服务器，请检查网络和服务器地址后重试"
        except SyncError as exc:
            return exc.message_zh
        finally:
            close_client(client)
        self.services.store.set_meta("server_url", url)
        return None
