"""本机签名人员: the officers whose signing keys this team tablet holds; another team member
registers here, online, with their own one-time code and a PIN of their choosing."""
from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from field_app.ui import theme
from field_app.ui.screen import Screen


class OfficersScreen(Screen):
    title = "本机签名人员"

    def __init__(self, shell) -> None:
        self.shell = shell
        self.code = ft.TextField(label="本人的一次性注册码", hint_text="例如 ABCD-EFGH-JKLM", text_size=theme.BODY,
                                 capitalization=ft.TextCapitalization.CHARACTERS)
        self.pin = ft.TextField(label="设置签名 PIN（6 至 12 位数字）", password=True, text_size=theme.BODY,
                                keyboard_type=ft.KeyboardType.NUMBER)
        self.again = ft.TextField(label="再次输入 PIN", password=True, text_size=theme.BODY,
                                  keyboard_type=ft.KeyboardType.NUMBER, on_submit=self.join)
        self.message = ft.Text("", size=theme.BODY, color=ft.Colors.RED_700)

    def build(self) -> ft.Control:
        officers = self.shell.state.session.officers()
        listed = [ft.Text(f"• {o.name}（{o.id}）", size=theme.BODY) for o in officers] or \
            [ft.Text("本机尚无签名人员", size=theme.BODY)]
        return ft.ListView([
            theme.notice("检查记录须由至少两名执法人员各自签名。每位执法人员用本人的一次性注册码在本机登记一次"
                         "（需联网），设置只有本人知道的 PIN；到现场后，离线也可用 PIN 签名。"),
            ft.Text("已登记", size=theme.TITLE), *listed,
            ft.Divider(),
            ft.Text("登记一名执法人员", size=theme.TITLE), self.code, self.pin, self.again,
            theme.big_button("登记签名人员", self.join, primary=True),
            self.message,
        ], spacing=14, expand=True)

    async def join(self, _: Any = None) -> None:
        self._say("正在登记…", ft.Colors.GREY_800)
        error = await asyncio.to_thread(self.shell.state.session.join_officer, self.code.value or "",
                                        self.pin.value or "", self.again.value or "")
        if error:
            self._say(error, ft.Colors.RED_700)
            return
        self.code.value = self.pin.value = self.again.value = ""
        self.shell.refresh()
        self._say("已登记：该执法人员可在本机用 PIN 签名", ft.Colors.GREEN_800)

    def _say(self, text: str, colour) -> None:
        self.message.value, self.message.color = text, colour
        self.message.update()
