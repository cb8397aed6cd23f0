"""检验结果: the lab's result for one sample a record of mine sent, entered on site or back at the
office; signed on this device and queued like a record. The finding, the record's category and its
public entry follow on the server (the signed record itself is never changed)."""
from __future__ import annotations

from typing import Any

import flet as ft

from field_app.core.labresults import OUTCOMES
from field_app.ui import theme
from field_app.ui.screen import Screen

FIELDS = {"lab": "检验机构", "report_no": "检验报告编号", "reported_on": "报告日期（如 2026-12-01）", "note": "说明"}


class LabResultScreen(Screen):
    title = "录入检验结果"

    def __init__(self, shell, key: str) -> None:
        self.shell, self.key, self.message = shell, key, ""
        self.sample = shell.state.lab_results.find(key)
        self.fields: dict[str, ft.TextField] = {}   # kept between redraws: a keystroke is never lost under one

    def build(self) -> ft.Control:
        sample, labs = self.sample, self.shell.state.lab_results
        if sample is None:
            return ft.ListView([theme.notice(self.message or "该样品的检验结果已录入。", ft.Colors.GREEN_50)], expand=True)
        form = labs.form(self.key)
        parts: list[ft.Control] = [
            ft.Text(f"{sample.item_name} · 样品 {sample.sample_no}", size=theme.TITLE, weight=ft.FontWeight.BOLD),
            ft.Text(f"送检：{sample.lab} · 检验项目：{sample.tests}", size=theme.BODY),
            ft.Row([theme.big_button(zh, lambda _, o=code: self._edit("outcome", o), primary=form["outcome"] == code,
                                     label=zh, colour=theme.OUTCOME_COLOURS[code] if form["outcome"] == code else None)
                    for code, zh in OUTCOMES.items()], spacing=12, wrap=True),
            *[self._field(name, zh, form) for name, zh in FIELDS.items()],
        ]
        if form["outcome"] == "non_compliant":
            parts.append(self._field("rectify_by", "整改期限（如 2026-12-31）", form))
        parts.append(ft.Row([*[theme.thumb(self.shell.state.files.thumb(sha), lambda _: None) for sha in form["photos"]],
                             theme.big_button("检验报告照片", lambda _: self.shell.page.run_task(self._photo),
                                              icon=ft.Icons.PHOTO_CAMERA),
                             ft.Text(f"{len(form['photos'])} 张照片", size=15)], wrap=True, spacing=10))
        if self.message:
            parts.append(theme.notice(self.message, ft.Colors.RED_50))
        parts.append(theme.big_button("签名并保存检验结果", self._enter, primary=True, icon=ft.Icons.CHECK))
        return ft.ListView(parts, spacing=12, expand=True)

    def _field(self, name: str, label: str, form: dict[str, Any]) -> ft.TextField:
        field = self.fields.get(name)
        if field is None:
            value = form.get(name) or (self.sample.lab if name == "lab" else "")
            field = ft.TextField(label=label, value=value, text_size=theme.BODY, width=420, multiline=name == "note",
                                 on_change=lambda e, n=name: self.shell.state.lab_results.edit(self.key, n,
                                                                                              e.control.value or ""))
            self.fields[name] = field
        return field

    def _edit(self, name: str, value: Any) -> None:
        self.shell.state.lab_results.edit(self.key, name, value)
        self.shell.refresh()

    async def _photo(self) -> None:
        self.message = await self.shell.add_photos(lambda raw: self.shell.state.lab_results.add_photo(self.key, raw))
        self.shell.refresh()

    def _enter(self, _: Any) -> None:
        error = self.shell.state.lab_results.enter(self.sample)
        if error is None:
            self.message = f"已保存：样品 {self.sample.sample_no} 的检验结果已签名，将在同步时上传"
            self.sample = None
        else:
            self.message = error
        self.shell.refresh()
