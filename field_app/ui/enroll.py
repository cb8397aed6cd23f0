"""注册设备: the server's address and the one-time code from the office."""
from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from field_app.ui import theme
from field_app.ui.screen import Screen


class EnrollScreen(Screen):
    title = "注册设备"

    def __init__(self, shell) -> None:
        self.shell = shell
        self.url = ft.TextField(label="服务器地址", value=shell.state.session.server_url, text_size=theme.BODY,
                                keyboard_type=ft.KeyboardType.URL)
        self.code = ft.TextField(label="一次性注册码", hint_text="例如 ABCD-EFGH-JKLM", text_size=theme.BODY,
                                 capitalization=ft.TextCapitalization.CHARACTERS)
        self.pin = ft.TextField(label="设置签名 PIN（6 至 12 位数字）", password=True, text_size=theme.BODY,
                                keyboard_type=ft.KeyboardType.NUMBER)
        self.again = ft.TextField(label="再次输入 PIN", password=True, text_size=theme.BODY,
                                  keyboard_type=ft.KeyboardType.NUMBER, on_submit=self.enroll)
        self.message = ft.Text("", size=theme.BODY, color=ft.Colors.RED_700)

    def build(self) -> ft.Control:
        return ft.Column([
            ft.Text("随检 · 现场检查", size=28, weight=ft.FontWeight.BOLD),
            ft.Text("本设备首次使用前，请输入科室发放的一次性注册码，并设置您本人的签名 PIN。"
                    "设备密钥和您的签名密钥在本机生成，不会离开本机；签名密钥只能用您的 PIN 解锁。", size=theme.BODY),
            self.url, self.code, self.pin, self.again,
            theme.big_button("注册", self.enroll, primary=True),
            self.message,
        ], spacing=18, width=560)

    async def enroll(self, _: Any = None) -> None:
        self.message.value = "正在注册…"
        self.message.update()
        error = await asyncio.to_thread(self.shell.state.session.enroll, self.url.value or "", self.code.value or "",
                                        self.pin.value or "", self.again.value or "")
        if error:
            self.message.value = error
            self.message.update()
            return
        self.shell.start()
        await self.shell.run_sync()
        if self.shell.state.start_routes()[-1] == "/review" and self.shell.stack[-1].route == "/work":
            self.shell.go("/review")   # a leader's first sync brought records to review
