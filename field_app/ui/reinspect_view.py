"""复查: the rectifications I ordered (any time, offline) and those the office reminded me of; record
on site whether the unit rectified. The answer is signed on this device and queued like a record;
the server updates the public entry."""
from __future__ import annotations

from typing import Any

import flet as ft

from field_app.core import followup
from field_app.ui import theme
from field_app.ui.screen import Screen


class ReinspectScreen(Screen):
    title = "复查（责令整改的记录）"
    live = True

    def __init__(self, shell) -> None:
        self.shell, self.message = shell, ""
        self.notes: dict[str, ft.TextField] = {}  # kept between redraws: a keystroke is never lost under one

    def fingerprint(self) -> tuple:
        return tuple(self.shell.state.reinspections.due()), self.message

    def build(self) -> ft.Control:
        dues = self.shell.state.reinspections.due()
        parts: list[ft.Control] = []
        if self.message:
            parts.append(theme.notice(self.message))
        if not dues:
            parts.append(theme.notice("没有待复查的整改。本机提交的责令整改记录和监督所的整改期限提醒都会列在这里。",
                                      ft.Colors.GREEN_50))
        parts += [self._card(due) for due in dues]
        return ft.ListView(parts, spacing=12, expand=True)

    def _card(self, due: followup.Due) -> ft.Control:
        draft = self.shell.state.reinspections.draft(due.record_id)
        note = self.notes.get(due.record_id)
        if note is None:
            note = ft.TextField(label=f"复查情况 {due.unit_name}", value=draft["note"], multiline=True,
                                text_size=theme.BODY,
                                on_change=lambda e, r=due.record_id: self.shell.state.reinspections.edit_note(
                                    r, e.control.value or ""))
            self.notes[due.record_id] = note
        files = self.shell.state.files
        photos = ft.Row([*[theme.thumb(files.thumb(sha), lambda _, s=sha: self._remove(due, s))
                           for sha in draft["photos"]],
                         theme.big_button("拍照" if self.shell.camera.available else "添加照片",
                                          lambda _, d=due: self.shell.page.run_task(self._add_photo, d),
                                          icon=ft.Icons.PHOTO_CAMERA, label=f"复查照片 {due.unit_name}"),
                         ft.Text(f"{len(draft['photos'])} 张照片", size=15)], wrap=True, spacing=10)
        buttons = ft.Row([
            theme.big_button("复查：已整改", lambda _, d=due: self._answer(d, "rectified"), primary=True,
                             label=f"已整改 {due.unit_name}"),
            theme.big_button("复查：未整改", lambda _, d=due: self._answer(d, "not_rectified"),
                             label=f"未整改 {due.unit_name}"),
        ], wrap=True)
        return ft.Container(ft.Column([
            ft.Text(due.unit_name, size=theme.TITLE, weight=ft.FontWeight.BOLD),
            ft.Text((f"公示编号 {due.disclosure_no} · " if due.disclosure_no else "")
                    + due.label(self.shell.state.work.today()), size=theme.BODY),
            note, photos, buttons,
        ], spacing=8), padding=16, border=ft.Border.all(1, ft.Colors.BLUE_GREY_100), border_radius=8)

    async def _add_photo(self, due: followup.Due) -> None:
        self.message = await self.shell.add_photos(
            lambda raw: self.shell.state.reinspections.add_photo(due.record_id, raw))
        self.shell.refresh()

    def _remove(self, due: followup.Due, sha: str) -> None:
        self.shell.state.reinspections.remove_photo(due.record_id, sha)
        self.shell.refresh()

    def _answer(self, due: followup.Due, outcome: str) -> Any:
        error = self.shell.state.reinspections.answer(due, outcome)
        self.message = error or f"已保存：{due.unit_name} 复查{followup.OUTCOMES[outcome]}，将在同步时上传"
        if error is None:
            self.notes.pop(due.record_id, None)
        self.shell.refresh()
