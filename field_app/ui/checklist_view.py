"""检查表: the checklist item by item (joint visits: every task's items in one list), photos per
item, or the unit recorded as unreachable. Every tap and keystroke is saved to the draft."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import flet as ft

from field_app.core.checklist import ACTIONS, METHODS, OUTCOMES, RECTIFY_DAYS, SAMPLE_FIELDS, item_key
from field_app.ui import theme
from field_app.ui.documents_view import document_lines
from field_app.ui.review_view import PhotoStrip, record_lines
from field_app.ui.screen import Screen
from field_app.ui.sync_view import local_time


class ChecklistScreen(Screen):
    def __init__(self, shell, assignment_id: str) -> None:
        self.shell = shell
        state = shell.state
        self.notice = state.work.return_notice(assignment_id)
        self.visit = state.work.start_correction(assignment_id) if self.notice else state.work.open_visit(assignment_id)
        self.assignment = self.visit.assignment
        self.title = self.assignment["unit"]["name"]
        self.attempt_error = ft.Text("", size=theme.BODY, color=ft.Colors.RED_700)
        self.attempt_note: ft.TextField | None = None

    def build(self) -> ft.Control:
        unit = self.assignment["unit"]
        tasks = "；".join(f"{t['number']} {t['title']}" for t in self.assignment["tasks"])
        head = [ft.Text(f"{unit['address']} · 联系人 {unit['contact']} {unit['phone']}", size=16),
                ft.Text(f"任务：{tasks}", size=15, color=ft.Colors.GREY_800)]
        if self.notice:
            head.append(theme.notice(f"组长已退回：{self.notice['reason']}　请修改后重新提交（将作为更正记录，原记录保留）",
                                     ft.Colors.RED_50))
        unreachable = self.visit.draft["outcome"] == "unreachable"
        switch = ft.Switch(label="无法联系（找不到单位或联系不上）", value=unreachable, on_change=self._unreachable,
                           label_text_style=ft.TextStyle(size=theme.BODY))
        body = self._attempts() if unreachable else [self._card(n, item) for n, (item, _) in
                                                     enumerate(self.visit.items(), 1)]
        skipped = self.visit.not_offered()
        if skipped and not unreachable:
            head.append(theme.notice(f"另有 {skipped} 个检查事项按适用范围不适用于本单位（{unit.get('category', '')}），"
                                     "已记为不适用，不会公示为已检查", ft.Colors.BLUE_GREY_50))
        footer = ft.Row([
            *([] if unreachable else [theme.big_button("当事人签字", self._party, icon=ft.Icons.DRAW)]),
            theme.big_button("核对并提交", self._summary, primary=True, icon=ft.Icons.CHECK),
        ], spacing=16, wrap=True)
        return ft.ListView([*head, switch, *body, footer], spacing=14, expand=True, padding=ft.Padding.only(bottom=40))

    # --- one item ------------------------------------------------------------------------------------
    def _card(self, number: int, item: dict[str, Any]) -> ft.Control:
        card = ft.Container(padding=16, border_radius=10, bgcolor=ft.Colors.WHITE,
                            border=ft.Border.all(1, ft.Colors.GREY_300))
        card.content = self._item_body(card, number, item)
        return card

    def _item_body(self, card: ft.Container, number: int, item: dict[str, Any], error: str = "") -> ft.Control:
        key = item_key(item)
        finding = self.visit.draft["findings"][key]
        redraw = lambda message="": self._redraw(card, number, item, message)  # noqa: E731
        task = f"（{item['task_id']}）" if len(self.assignment["tasks"]) > 1 else ""
        outcome_buttons = [theme.big_button(zh, lambda _, o=code: self._outcome(key, o, redraw),
                                            primary=finding["outcome"] == code, label=f"第{number}项 {zh}",
                                            colour=theme.OUTCOME_COLOURS[code] if finding["outcome"] == code else None)
                           for code, zh in OUTCOMES.items()]
        parts: list[ft.Control] = [
            ft.Text(f"{number}. {item['name']}{task}", size=20, weight=ft.FontWeight.BOLD),
            ft.Text(item["content"], size=16),
            ft.Text(f"依据：{item['legal_basis']}", size=15, color=ft.Colors.BLUE_GREY_700),
            ft.Text(f"方式：{item['method']}", size=15, color=ft.Colors.BLUE_GREY_700),
            ft.Row(outcome_buttons, spacing=12, wrap=True),
        ]
        if finding["outcome"] == "non_compliant":
            parts.append(self._action_row(key, number, finding, redraw))
        if finding["outcome"] == "pending_lab":
            parts.append(self._sample_rows(key, number, finding.get("sample") or {}, redraw))
        parts.append(ft.TextField(label=f"第{number}项 备注", value=finding["note"], multiline=True, width=640,
                                  text_size=theme.BODY, on_change=lambda e: self.visit.set_note(key, e.control.value)))
        parts.append(self._photo_row(key, number, finding["photos"], redraw))
        if error:
            parts.append(ft.Text(error, color=ft.Colors.RED_700, size=theme.BODY))
        return ft.Column(parts, spacing=10)

    def _action_row(self, key: str, number: int, finding: dict[str, Any], redraw) -> ft.Control:
        action = finding["action"] or {}
        kinds = [theme.big_button(zh, lambda _, k=kind: self._action(key, k, redraw), primary=action.get("kind") == kind,
                                  label=f"第{number}项 {zh}") for kind, zh in ACTIONS.items()]
        if action.get("kind") == "rectify":
            field = ft.TextField(label=f"第{number}项 整改期限", value=action.get("deadline", ""), width=220,
                                 text_size=theme.BODY, hint_text="2026-12-31",
                                 on_change=lambda e: self.visit.set_action(key, "rectify", e.control.value))
        else:
            field = ft.TextField(label=f"第{number}项 案件编号（可暂不填）", value=action.get("case_no") or "",
                                 width=300, text_size=theme.BODY,
                                 on_change=lambda e: self.visit.set_action(key, "case", e.control.value))
        return ft.Row([*kinds, field], spacing=12, wrap=True)

    def _sample_rows(self, key: str, number: int, sample: dict[str, Any], redraw) -> ft.Control:
        """委托检验检测: the sample's number, the lab, what is tested, photos of the sample and its seal."""
        fields = [ft.TextField(label=f"第{number}项 {zh}", value=sample.get(field, ""), text_size=theme.BODY,
                               width=640 if field == "tests" else 300, multiline=field == "tests",
                               hint_text={"lab": "如 市疾控中心", "tests": "如 菌落总数、大肠菌群"}.get(field),
                               on_change=lambda e, f=field: self.visit.set_sample(key, f, e.control.value or ""))
                  for field, zh in SAMPLE_FIELDS.items()]
        photos = sample.get("photos", [])
        thumbs = [theme.thumb(self.shell.state.files.thumb(sha), lambda _, s=sha: self._remove_sample(key, s, redraw))
                  for sha in photos]

        async def on_add(_: Any) -> None:
            redraw(await self.shell.add_photos(lambda raw: self.visit.add_sample_photo(key, raw)))

        add = theme.big_button("样品照片", on_add, icon=ft.Icons.PHOTO_CAMERA, label=f"第{number}项 样品照片")
        return ft.Container(ft.Column([
            ft.Text("抽样送检：提交后结果类别为「待检验结果」，检验结果出来后再录入", size=15, color=ft.Colors.PURPLE_700),
            ft.Row(fields[:2], spacing=12, wrap=True), fields[2],
            ft.Row([*thumbs, add, ft.Text(f"{len(photos)} 张样品照片", size=15)], wrap=True, spacing=10),
        ], spacing=8), padding=12, border_radius=8, bgcolor=ft.Colors.PURPLE_50)

    def _photo_row(self, key: str, number: int, photos: list[str], redraw) -> ft.Control:
        thumbs = [theme.thumb(self.shell.state.files.thumb(sha), lambda _, s=sha: self._remove(key, s, redraw))
                  for sha in photos]
        async def on_add(_: Any) -> None:
            await self._add_photo(key, redraw)

        add = theme.big_button("拍照" if self.shell.camera.available else "添加照片",
                               on_add, icon=ft.Icons.PHOTO_CAMERA,
                               label=f"第{number}项 添加照片")
        return ft.Row([*thumbs, add, ft.Text(f"{len(photos)} 张照片", size=15)], wrap=True, spacing=10)

    def _remove_sample(self, key: str, sha: str, redraw) -> None:
        self.visit.remove_sample_photo(key, sha)
        redraw()

    def _redraw(self, card: ft.Container, number: int, item: dict[str, Any], error: str = "") -> None:
        card.content = self._item_body(card, number, item, error)
        card.update()
        self.shell.update_status()

    def _outcome(self, key: str, outcome: str, redraw) -> None:
        self.visit.set_outcome(key, outcome)
        redraw()

    def _action(self, key: str, kind: str, redraw) -> None:
        current = self.visit.draft["findings"][key]["action"] or {}
        if current.get("kind") != kind:
            self.visit.set_action(key, kind, self._default_deadline() if kind == "rectify" else None)
        redraw()

    def _default_deadline(self) -> str:
        return (self.visit.clock.today() + timedelta(days=RECTIFY_DAYS)).isoformat()

    async def _add_photo(self, key: str, redraw) -> None:
        redraw(await self.shell.add_photos(lambda raw: self.visit.add_photo(key, raw)))

    def _remove(self, key: str, sha: str, redraw) -> None:
        self.visit.remove_photo(key, sha)
        redraw()

    # --- unreachable ---------------------------------------------------------------------------------
    def _unreachable(self, event: ft.ControlEvent) -> None:
        self.visit.set_unreachable(bool(event.control.value))
        self.shell.refresh()

    def _attempts(self) -> list[ft.Control]:
        """The attempts so far, and the one being written down (its controls are kept between
        redraws, so a keystroke is never lost under a redraw)."""
        done = [ft.Text(f"{n}. {METHODS[a['method']]} · {local_time(a['at'])} · {a['note']} · {len(a['photos'])} 张照片",
                        size=16) for n, a in enumerate(self.visit.draft["attempts"], 1)]
        if self.attempt_note is None:
            self.attempt_note = ft.TextField(label="本次尝试的情况", value=self.visit.pending_attempt["note"],
                                             multiline=True, text_size=theme.BODY,
                                             on_change=lambda e: self.visit.edit_pending_attempt(note=e.control.value or ""))
            self.methods = ft.Row(spacing=12)
            self.attempt_photo = ft.Row()
        self._attempt_controls()
        return [ft.Text("已记录的联系尝试", size=theme.TITLE), *(done or [ft.Text("尚无记录", size=16)]),
                ft.Text("新增一次尝试", size=theme.TITLE), self.methods, self.attempt_note,
                ft.Row([self.attempt_photo, theme.big_button("记录本次尝试", self._add_attempt, primary=True)],
                       spacing=12),
                self.attempt_error]

    def _attempt_controls(self) -> None:
        pending = self.visit.pending_attempt
        self.methods.controls = [theme.big_button(zh, lambda _, m=code: self._method(m), label=f"方式 {zh}",
                                                  primary=pending["method"] == code) for code, zh in METHODS.items()]
        self.attempt_photo.controls = [theme.big_button(f"附照片（{len(pending['photos'])}）", self._attempt_photo,
                                                        icon=ft.Icons.PHOTO_CAMERA, label="尝试 添加照片")]

    def _method(self, method: str) -> None:
        self.visit.edit_pending_attempt(method=method)
        self._attempt_controls()
        self.methods.update()

    async def _attempt_photo(self, _: Any) -> None:
        errors = await self.shell.add_photos(self.visit.add_pending_photo)
        self._attempt_controls()
        self.attempt_photo.update()
        self.attempt_error.value = errors
        self.attempt_error.update()

    def _add_attempt(self, _: Any) -> None:
        pending = self.visit.pending_attempt
        if not pending["note"].strip() and not pending["photos"]:
            self.attempt_error.value = "请写明本次尝试的情况，或附上照片"
            self.attempt_error.update()
            return
        self.visit.record_pending_attempt()
        self.attempt_error.value = ""
        self.attempt_note = None  # a fresh, empty field for the next attempt
        self.shell.refresh()

    # --- onwards -------------------------------------------------------------------------------------
    def _party(self, _: Any) -> None:
        self.shell.go("/visit/party", visit=self.visit)

    def _summary(self, _: Any) -> None:
        self.shell.go("/visit/summary", visit=self.visit)


class RecordScreen(Screen):
    """A submitted record: what the server answered (receipt, category) or why it refused."""

    live = True

    def __init__(self, shell, row) -> None:
        self.shell, self.row = shell, row
        self.title = row.unit_name

    def fingerprint(self) -> object:
        return next((x for x in self.shell.state.outbox_lines() if x.record_id == self.row.latest_record), None)

    def build(self) -> ft.Control:
        line = next((x for x in self.shell.state.outbox_lines() if x.record_id == self.row.latest_record), None)
        parts = [ft.Text(f"状态：{self.row.state_zh}", size=theme.TITLE)]
        if line is not None:
            parts += [ft.Text(f"记录编号 {line.record_id}", size=15), ft.Text(f"同步：{line.state_zh}", size=theme.BODY)]
            if line.log_index is not None:
                parts.append(theme.notice(f"回执：服务器已接收，审计日志序号 {line.log_index}，结果类别 {line.category}",
                                          ft.Colors.GREEN_50))
            if line.error_zh:
                parts.append(theme.notice(f"错误：{line.error_zh}。{line.help_zh}", ft.Colors.RED_50))
        parts += self._samples()
        record = self.shell.state.work.submitted_record(self.row.latest_record)
        assignment = self.shell.state.work.assignment(self.row.assignment_id)
        if record and assignment:
            strip = PhotoStrip(self.shell.page, self.shell.state.files)
            parts += [ft.Text("已签名提交的内容", size=theme.TITLE), *record_lines(record, assignment, strip),
                      *document_lines(self.shell, record, assignment["unit"]["name"])]
        return ft.ListView(parts, spacing=12, expand=True)

    def _samples(self) -> list[ft.Control]:
        """The samples of this record still waiting for their lab result, each with its entry."""
        waiting = [s for s in self.shell.state.lab_results.pending() if s.record_id == self.row.latest_record]
        if not waiting:
            return []
        rows: list[ft.Control] = [theme.notice(f"待检验结果：{len(waiting)} 份样品的检验结果尚未录入", ft.Colors.PURPLE_50)]
        for sample in waiting:
            rows.append(ft.Row([
                ft.Text(f"{sample.item_name} · 样品 {sample.sample_no} · {sample.lab} · {sample.tests}", size=16),
                theme.big_button("录入检验结果", lambda _, s=sample: self.shell.go("/lab-result", key=s.key),
                                 label=f"录入检验结果 {sample.sample_no}"),
            ], wrap=True, spacing=12))
        return rows
