"""核对并提交: what will be signed, the category the server will compute; then sign and queue.
The screen says 已保存 only after the outbox commit returned."""
from __future__ import annotations

import asyncio
from typing import Any

import flet as ft

from field_app.core.checklist import counts
from field_app.ui import theme
from field_app.ui.screen import Screen


class SummaryScreen(Screen):
    title = "核对并提交"

    def __init__(self, shell, visit) -> None:
        self.shell, self.visit = shell, visit
        self.saved = None

    def build(self) -> ft.Control:
        if self.saved is not None:
            return self._saved()
        problems = self.visit.problems()
        draft = self.visit.draft
        tally = counts(draft)
        category = self.visit.preview()
        party = {"signature": f"当事人 {draft['party']['name']} 已签名", "refused": "当事人拒绝签字（已记录）"}.get(
            draft["party"]["mode"] or "", "当事人未签字")
        team = {m["id"]: m["name"] for m in self.visit.assignment["team"]}
        lines = [ft.Text(self.visit.assignment["unit"]["name"], size=theme.TITLE, weight=ft.FontWeight.BOLD)]
        if draft["outcome"] == "unreachable":
            lines.append(ft.Text(f"无法联系：已记录 {len(draft['attempts'])} 次联系尝试", size=theme.BODY))
        else:
            photos = sum(len(f["photos"]) for f in draft["findings"].values())
            lines += [ft.Text(f"合格 {tally['compliant']} 项 · 不合格 {tally['non_compliant']} 项 · "
                              f"不适用 {tally['not_applicable']} 项 · 未填 {tally['open']} 项 · 照片 {photos} 张",
                              size=theme.BODY),
                      ft.Text(party, size=theme.BODY)]
        lines.append(ft.Text("检查人员：" + "、".join(team.get(p, p) for p in draft["inspectors"]), size=theme.BODY))
        if draft["supersedes"]:
            lines.append(theme.notice("本记录将更正被退回的原记录（原记录保留，不作修改）", ft.Colors.RED_50))
        if category is not None:
            lines.append(theme.notice(f"预计结果类别：{category.label}", ft.Colors.BLUE_50))
        if problems:
            lines += [ft.Text("提交前还需完成：", size=theme.BODY, color=ft.Colors.RED_700),
                      *[ft.Text(f"• {p}", size=16, color=ft.Colors.RED_700) for p in problems]]
        self.message = ft.Text("", size=theme.BODY, color=ft.Colors.RED_700)
        lines += [theme.big_button("签名并提交", self._submit, primary=True, disabled=bool(problems),
                                   icon=ft.Icons.VERIFIED), self.message]
        return ft.ListView(lines, spacing=14, expand=True)

    async def _submit(self, _: Any) -> None:
        try:
            self.saved = await asyncio.to_thread(self.visit.submit, self.shell.state.session.me.get("id", ""))
        except Exception as exc:  # shown to the inspector, the draft stays as it was
            self.message.value = f"未能保存：{exc}"
            self.message.update()
            return
        self.shell.refresh()
        self.shell.page.run_task(self.shell.run_sync)

    def _saved(self) -> ft.Control:
        return ft.Column([
            theme.notice("已保存：记录已签名并放入待同步队列，联网后自动上传。", ft.Colors.GREEN_50),
            ft.Text(f"记录编号 {self.saved.record_id}", size=16),
            ft.Text(f"预计结果类别：{self.saved.category.label}", size=theme.BODY),
            theme.big_button("返回任务列表", lambda _: self.shell.home(), primary=True),
        ], spacing=16)
