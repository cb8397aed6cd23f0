"""我的检查任务: every open visit drawn for me, overdue and due soon first, with today's date, state,
search and filter; works with no network."""
from __future__ import annotations

from datetime import date
from typing import Any

import flet as ft

from field_app.core import worklist
from field_app.ui import theme
from field_app.ui.screen import Screen
from schemas.clock import beijing_text


class WorkListScreen(Screen):
    live = True  # re-rendered when a background sync changes something

    def __init__(self, shell) -> None:
        self.shell, self.query, self.state_filter = shell, "", None

    @property
    def title(self) -> str:
        me = self.shell.state.session.me
        role = "组长" if me.get("role") == "leader" else "检查员"
        return f"我的检查任务 · {me.get('name', '')}（{role}）"

    def build(self) -> ft.Control:
        state = self.shell.state
        rows = state.work.rows()
        today = state.work.today()
        counts = worklist.tally(rows)
        due = worklist.section_counts(rows, today)
        self.last_text = ft.Text("", size=theme.BODY)
        self.touch()
        summary = "　".join(f"{worklist.SECTIONS[code]} {due[code]}" for code in worklist.SECTIONS)
        header = ft.Row([
            ft.Text(f"今天 {worklist.day_text(today)}（北京时间）", size=theme.BODY, weight=ft.FontWeight.BOLD),
            ft.Text(f"全部任务（不只今天） 共 {len(rows)} 项：{summary}", size=theme.BODY),
            ft.Text(f"待同步 {state.work.outbox_waiting()} 条", size=theme.BODY),
            self.last_text,
        ], spacing=24, wrap=True)
        search = ft.TextField(label="搜索单位、地址、专业", value=self.query, on_change=self._search,
                              prefix_icon=ft.Icons.SEARCH, text_size=theme.BODY, expand=True)
        chips = [self._chip("全部", None, len(rows))] + [self._chip(zh, code, counts[code])
                                                        for code, zh in worklist.STATES.items()]
        waiting = sum(1 for item in state.review.items() if not item.decided and not item.own_team) \
            if state.session.is_leader else 0
        tools = [theme.big_button(f"审核记录（待审 {waiting}）", self._review, label="审核记录")] if state.session.is_leader else []
        tools.append(theme.big_button("签名人员", self._officers, label="本机签名人员"))
        dues = len(state.reinspections.due())
        if dues:
            tools.append(theme.big_button(f"复查（{dues}）", self._reinspect, label="复查"))
        self.cards = ft.ListView(self._cards(rows, today), spacing=10, expand=True)
        return ft.Column([header, ft.Row([search, *tools]), ft.Row(chips, wrap=True), self.cards],
                         expand=True, spacing=12)

    def _cards(self, rows: list[worklist.WorkRow], today: date) -> list[ft.Control]:
        groups = worklist.sections(worklist.filtered(rows, self.query, self.state_filter), today)
        if not groups:
            return [theme.notice("没有符合条件的任务。联网后点“同步”获取新任务。")]
        return [control for group in groups
                for control in (self._heading(group), *(self._card(r, today) for r in group.rows))]

    def _heading(self, group: worklist.Section) -> ft.Control:
        return ft.Text(group.title, size=theme.TITLE, weight=ft.FontWeight.BOLD, color=_due_colour(group.code))

    def fingerprint(self) -> tuple:
        state = self.shell.state
        waiting = tuple(i.record_id for i in state.review.items() if not i.decided) if state.session.is_leader else ()
        return (tuple(state.work.rows()), state.work.today(), state.work.outbox_waiting(), waiting,
                len(state.reinspections.due()))

    def _officers(self, _: Any = None) -> None:
        self.shell.go("/officers")

    def _reinspect(self, _: Any = None) -> None:
        self.shell.go("/reinspect")

    def touch(self) -> None:
        last = self.shell.state.work.last_sync()
        self.last_text.value = f"上次同步 {_local(last)}" if last else "尚未同步"

    def _chip(self, text: str, code: str | None, count: int) -> ft.Control:
        selected = self.state_filter == code
        return theme.big_button(f"{text} {count}", lambda _, c=code: self._filter(c), primary=selected,
                                label=f"筛选 {text}")

    def _card(self, row: worklist.WorkRow, today: date) -> ft.Control:
        section = row.section(today)
        state = theme.badge(row.state_zh + (f" · {row.detail}" if row.detail else ""), theme.STATE_COLOURS[row.state])
        joint = [theme.badge("联合检查", ft.Colors.PURPLE_100)] if row.joint else []
        lines = ft.Column([
            ft.Row([ft.Text(row.unit_name, size=20, weight=ft.FontWeight.BOLD), state, *joint], wrap=True),
            ft.Text(row.address, size=16),
            ft.Text(f"{row.specialty} · {row.category} · {row.items} 个检查事项 · {row.due_text(today)}", size=16,
                    color=_due_colour(section),   # one line, as before: 500 cards cost no more controls
                    weight=ft.FontWeight.BOLD if section in ("overdue", "soon") else None),
            ft.Text(f"检查组：{row.team}　任务：{row.tasks}", size=15, color=ft.Colors.GREY_800),
        ], spacing=4)
        return ft.Container(lines, padding=16, border_radius=10, bgcolor=ft.Colors.WHITE,
                            border=ft.Border.all(1, ft.Colors.GREY_300), on_click=lambda _: self._open(row))

    def _search(self, event: ft.ControlEvent) -> None:
        self.query = event.control.value or ""
        work = self.shell.state.work
        self.cards.controls = self._cards(work.rows(), work.today())
        self.cards.update()

    def _filter(self, code: str | None) -> None:
        self.state_filter = code
        self.shell.refresh()

    def _open(self, row: worklist.WorkRow) -> None:
        if row.state in ("submitted", "approved", "lab_pending"):
            self.shell.go("/record", row=row)
        else:
            self.shell.go("/visit", assignment_id=row.assignment_id)

    def _review(self, _: Any) -> None:
        self.shell.go("/review")


def _local(stamp: str) -> str:
    return beijing_text(stamp, "%m-%d %H:%M")


def _due_colour(section: str) -> str:
    return {"overdue": ft.Colors.RED_800, "soon": ft.Colors.ORANGE_900}.get(section)
