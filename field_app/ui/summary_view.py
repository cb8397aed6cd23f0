"""核对并提交: what will be signed, the category the server will compute; each officer present
signs with their own PIN (at least two: state/signing.py); then the record is signed and queued.
The screen says 已保存 only after the outbox commit returned."""
from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import flet as ft

from field_app.core.checklist import counts
from field_app.ui import theme
from field_app.ui.screen import Screen


class SummaryScreen(Screen):
    title = "核对并提交"

    def __init__(self, shell, visit) -> None:
        self.shell, self.visit = shell, visit
        self.signing = shell.state.work.signing(visit)
        self.saved = None
        self.said, self.pins = ("", ft.Colors.RED_700), {}

    def build(self) -> ft.Control:
        if self.saved is not None:
            return self._saved()
        problems = self.signing.problems()
        draft = self.visit.draft
        tally = counts(draft)
        category = self.visit.preview()
        party = {"signature": f"当事人 {draft['party']['name']} 已签名", "refused": "当事人拒绝签字（已记录）"}.get(
            draft["party"]["mode"] or "", "当事人未签字")
        lines = [ft.Text(self.visit.assignment["unit"]["name"], size=theme.TITLE, weight=ft.FontWeight.BOLD)]
        if draft["outcome"] == "unreachable":
            lines.append(ft.Text(f"无法联系：已记录 {len(draft['attempts'])} 次联系尝试", size=theme.BODY))
        else:
            photos = sum(len(f["photos"]) for f in draft["findings"].values())
            lines += [ft.Text(f"合格 {tally['compliant']} 项 · 不合格 {tally['non_compliant']} 项 · "
                              f"不适用 {tally['not_applicable']} 项 · 送检 {tally['pending_lab']} 项 · "
                              f"未填 {tally['open']} 项 · 照片 {photos} 张",
                              size=theme.BODY),
                      ft.Text(party, size=theme.BODY)]
        if draft["supersedes"]:
            lines.append(theme.notice("本记录将更正被退回的原记录（原记录保留，不作修改）", ft.Colors.RED_50))
        if category is not None:
            lines.append(theme.notice(f"预计结果类别：{category.label}", ft.Colors.BLUE_50))
        if problems:
            lines += [ft.Text("提交前还需完成：", size=theme.BODY, color=ft.Colors.RED_700),
                      *[ft.Text(f"• {p}", size=16, color=ft.Colors.RED_700) for p in problems]]
        self.message = ft.Text(self.said[0], size=theme.BODY, color=self.said[1])
        lines += [*self._officers(), self.message,
                  theme.big_button("提交记录", self._submit, primary=True, disabled=bool(problems),
                                   icon=ft.Icons.VERIFIED)]
        return ft.ListView(lines, spacing=14, expand=True)

    # --- the officers sign, each with their own PIN -------------------------------------------------
    def _officers(self) -> list[ft.Control]:
        members = self.signing.members()
        rows: list[ft.Control] = [ft.Text("执法人员签名（至少两人，各自输入本人 PIN）", size=theme.TITLE)]
        for m in members:
            rows.append(ft.Text(f"{m.name}：{m.state_zh}", size=theme.BODY, weight=ft.FontWeight.BOLD))
            if m.signed:
                rows.append(ft.Row([theme.big_button("撤回", lambda _, p=m.id: self._withdraw(p),
                                                     label=f"{m.name} 撤回签名")]))
            elif m.on_tablet:
                self.pins[m.id] = ft.TextField(label=f"{m.name} 的 PIN", password=True, width=240, text_size=theme.BODY,
                                               keyboard_type=ft.KeyboardType.NUMBER,
                                               on_submit=partial(self._sign, m.id))
                rows.append(ft.Row([self.pins[m.id], theme.big_button("签名", partial(self._sign, m.id),
                                                                      primary=True, label=f"{m.name} 签名")],
                                   spacing=16))
        if not all(m.on_tablet for m in members):
            rows.append(theme.big_button("登记签名人员（需联网）", lambda _: self.shell.go("/officers"),
                                         label="登记签名人员"))
        return rows

    async def _sign(self, officer_id: str, _: Any = None) -> None:
        """(A coroutine function, so Flet awaits it: a lambda returning the coroutine would not be.)"""
        field = self.pins.get(officer_id)
        error = await asyncio.to_thread(self.signing.sign, officer_id, field.value if field else "")
        name = next((m.name for m in self.signing.members() if m.id == officer_id), officer_id)
        self.said = (error, ft.Colors.RED_700) if error else (f"{name} 已签名", ft.Colors.GREEN_800)
        self.shell.refresh()

    def _withdraw(self, officer_id: str) -> None:
        self.signing.withdraw(officer_id)
        self.said = ("", ft.Colors.RED_700)
        self.shell.refresh()

    async def _submit(self, _: Any) -> None:
        try:
            self.saved = await asyncio.to_thread(self.signing.submit)
        except Exception as exc:  # shown to the inspector, the draft stays as it was
            self.message.value = f"未能保存：{exc}"
            self.message.update()
            return
        self.shell.refresh()
        self.shell.page.run_task(self.shell.run_sync)

    def _saved(self) -> ft.Control:
        return ft.Column([
            theme.notice("已保存：记录已由检查人员签名并放入待同步队列，联网后自动上传。", ft.Colors.GREEN_50),
            ft.Text(f"记录编号 {self.saved.record_id}", size=16),
            ft.Text(f"预计结果类别：{self.saved.category.label}", size=theme.BODY),
            theme.big_button("返回任务列表", lambda _: self.shell.home(), primary=True),
        ], spacing=16)
