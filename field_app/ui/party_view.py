"""当事人签字: the party signs on the pad (or a refusal is recorded). The officers sign at
核对并提交, each with their own PIN (summary_view.py)."""
from __future__ import annotations

import asyncio
from typing import Any

import flet as ft
import flet.canvas as cv

from field_app.photos import PhotoRefused
from field_app.ui import theme
from field_app.ui.screen import Screen

PAD = (600, 220)


class PartyScreen(Screen):
    title = "当事人签字"

    def __init__(self, shell, visit) -> None:
        self.shell, self.visit = shell, visit
        self.strokes: list[list[tuple[float, float]]] = []
        self.canvas = cv.Canvas(shapes=[], width=PAD[0], height=PAD[1])
        self.message = ft.Text("", size=theme.BODY)

    def build(self) -> ft.Control:
        party = self.visit.draft["party"]
        state = {"signature": "已签名", "refused": "已记录拒绝签字"}.get(party["mode"] or "", "尚未签字")
        self.name = ft.TextField(label="当事人姓名", value=party["name"], text_size=theme.BODY, width=PAD[0],
                                 on_change=lambda e: self.visit.set_party_name(e.control.value))
        pad = ft.GestureDetector(
            content=ft.Container(self.canvas, width=PAD[0], height=PAD[1], bgcolor=ft.Colors.WHITE,
                                 border=ft.Border.all(2, ft.Colors.BLUE_GREY_400)),
            on_pan_start=self._start, on_pan_update=self._move, drag_interval=10)
        self.refusal = ft.TextField(label="拒签情况说明", value=party["note"], multiline=True, text_size=theme.BODY,
                                    width=PAD[0])
        return ft.ListView([
            theme.notice(f"当前：{state}"),
            ft.Text("请当事人在框内签名", size=theme.TITLE), self.name,
            ft.Row([pad]),
            ft.Row([theme.big_button("清除", self._clear), theme.big_button("保存签名", self._save, primary=True)],
                   spacing=12),
            self.message,
            ft.Divider(),
            ft.Text("当事人拒绝签字时", size=theme.TITLE), self.refusal,
            theme.big_button("记录拒绝签字", self._refuse),
            ft.Divider(),
            theme.big_button("完成", self.shell.back, primary=True),
        ], spacing=12, expand=True)

    def _start(self, event: ft.DragStartEvent) -> None:
        self.strokes.append([(event.local_position.x, event.local_position.y)])

    def _move(self, event: ft.DragUpdateEvent) -> None:
        if not self.strokes:
            self.strokes.append([(event.local_position.x, event.local_position.y)])
            return
        x, y = event.local_position.x, event.local_position.y
        px, py = self.strokes[-1][-1]
        self.strokes[-1].append((x, y))
        self.canvas.shapes.append(cv.Line(px, py, x, y, paint=ft.Paint(stroke_width=3, color=ft.Colors.BLACK)))
        self.canvas.update()

    def _clear(self, _: Any) -> None:
        self.strokes.clear()
        self.canvas.shapes.clear()
        self.canvas.update()

    async def _save(self, _: Any) -> None:
        if not (self.name.value or "").strip():
            self._say("请填写当事人姓名", ft.Colors.RED_700)
            return
        try:
            await asyncio.to_thread(self.visit.sign, self.strokes, PAD, self.name.value or "")
        except PhotoRefused as exc:
            self._say(exc.message_zh, ft.Colors.RED_700)
            return
        self.shell.refresh()
        self._say("签名已保存", ft.Colors.GREEN_800)

    def _refuse(self, _: Any) -> None:
        note = (self.refusal.value or "").strip()
        if not note:
            self._say("请填写拒签情况说明", ft.Colors.RED_700)
            return
        self.visit.refuse(note)
        self.shell.refresh()
        self._say("已记录当事人拒绝签字", ft.Colors.GREEN_800)

    def _say(self, text: str, colour) -> None:
        self.message.value, self.message.color = text, colour
        self.message.update()
