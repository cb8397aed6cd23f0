"""组长审核: the queue of the team's submitted records (of teams the leader is not on), with
findings, photos (when and where taken) and the computed category; a correction with what changed
since the returned record and why it was returned; approve (confirmed, with an optional comment),
several no-problem records at once, or return with a reason, signed here. After a decision the
queue shows at once what was decided, at its top, and the record has left it."""
from __future__ import annotations

from typing import Any, Callable

import flet as ft

from field_app.core.checklist import ACTIONS, METHODS, OUTCOMES
from field_app.core.photo_facts import location_text
from field_app.outbox import record_photos
from field_app.state.review import DECIDED
from field_app.ui import theme
from field_app.ui.documents_view import document_lines
from field_app.ui.screen import Screen
from field_app.ui.sync_view import local_time


class ReviewListScreen(Screen):
    title = "审核记录"
    live = True

    def __init__(self, shell) -> None:
        self.shell = shell
        self.selected: set[str] = set()   # records ticked for a batch approval (kept between redraws)

    def fingerprint(self) -> tuple:
        review = self.shell.state.review
        return [(i.record_id, i.decided) for i in review.items()], review.done_text()

    def build(self) -> ft.Control:
        review = self.shell.state.review
        items = review.items()
        queue = [i for i in items if not i.decided]
        self.selected &= {i.record_id for i in queue if i.batchable}
        top: list[ft.Control] = [self._done_banner()] if review.done else []
        top.append(theme.notice("待审核的记录在同步时下载，可离线审核；审核意见在本机签名，联网后上传。"))
        if any(i.batchable for i in queue):
            top.append(ft.Row([
                theme.big_button(f"批量通过（已选 {len(self.selected)} 条）", self._confirm_batch, primary=True,
                                 icon=ft.Icons.DONE_ALL, label="批量通过", disabled=not self.selected),
                ft.Text("可勾选“未发现问题”的记录一并通过（每条单独签名）", size=16)], wrap=True, spacing=12))
        decided = len(items) - len(queue)
        if decided:
            top.append(ft.Text(f"本机已审核 {decided} 条，待同步上传（见“同步”）", size=16, color=ft.Colors.GREY_800))
        cards = [self._card(i) for i in queue]
        return ft.Column([*top, ft.ListView(cards or [ft.Text("没有待审核的记录。点“同步”获取。", size=theme.BODY)],
                                            spacing=10, expand=True)], expand=True, spacing=12)

    def _done_banner(self) -> ft.Control:
        text = ft.Text(self.shell.state.review.done_text(), size=theme.BODY, color=ft.Colors.GREEN_900, expand=True)
        return ft.Container(ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.GREEN_800), text,
                                    ft.TextButton(content=ft.Text("知道了", size=16), on_click=self._dismiss)]),
                            bgcolor=ft.Colors.GREEN_50, padding=12, border_radius=8,
                            border=ft.Border.all(1, ft.Colors.GREEN_300))

    def _dismiss(self, _: Any) -> None:
        self.shell.state.review.done = None
        self.shell.refresh()

    def _card(self, item) -> ft.Control:
        badges = [theme.badge("本组记录，不能审核" if item.own_team else "待审核", ft.Colors.AMBER_100),
                  theme.badge(item.category, ft.Colors.BLUE_50)]
        if item.correction:
            badges.append(theme.badge("更正记录", ft.Colors.PURPLE_100))
        lines = ft.Column([
            ft.Row([ft.Text(item.unit_name, size=20, weight=ft.FontWeight.BOLD), *badges], wrap=True),
            ft.Text(item.address, size=16),
            ft.Text("检查人员：" + "、".join(_names(item)), size=16),
        ], spacing=4, expand=True)
        card = ft.Container(lines, padding=16, border_radius=10, bgcolor=ft.Colors.WHITE, expand=True,
                            border=ft.Border.all(1, ft.Colors.GREY_300),
                            on_click=lambda _: self.shell.go("/review/record", item=item))
        if not item.batchable:
            return card
        tick = ft.Checkbox(value=item.record_id in self.selected, label="选择", scale=1.3,
                           semantics_label=f"选择 {item.unit_name}",
                           on_change=lambda e, r=item.record_id: self._tick(r, bool(e.control.value)))
        return ft.Row([tick, card], spacing=8)

    def _tick(self, record_id: str, on: bool) -> None:
        (self.selected.add if on else self.selected.discard)(record_id)
        self.shell.refresh()

    def _confirm_batch(self, _: Any) -> None:
        chosen = [i for i in self.shell.state.review.queue() if i.record_id in self.selected]
        units = "、".join(i.unit_name for i in chosen)
        confirm_dialog(self.shell.page, f"通过 {len(chosen)} 条记录？",
                       f"{units}\n每条记录单独签名一条审核意见，签名后不能撤回。",
                       lambda comment: self._batch(chosen, comment))

    def _batch(self, chosen: list, comment: str) -> str | None:
        error = self.shell.state.review.approve_many(chosen, comment)
        if error is None:
            self.selected.clear()
            self.shell.refresh()
            self.shell.page.run_task(self.shell.run_sync)
        return error


class ReviewScreen(Screen):
    live = True  # redrawn when a background sync brings the record's photos

    def __init__(self, shell, item) -> None:
        self.shell, self.item = shell, item
        self.title = f"审核 · {item.unit_name}"
        self.message = ft.Text("", size=theme.BODY)
        self.reason = ft.TextField(label="退回原因", multiline=True, text_size=theme.BODY,
                                   max_length=2000)  # kept between redraws

    def fingerprint(self) -> tuple:
        files = self.shell.state.files
        return self.item.decided, tuple(sorted(sha for sha in record_photos(self.item.record) if files.has(sha)))

    def build(self) -> ft.Control:
        record, assignment = self.item.record, self.item.assignment
        lines: list[ft.Control] = [
            ft.Text(f"{assignment['unit']['name']} · {assignment['unit']['address']}", size=theme.BODY),
            ft.Text("检查人员：" + "、".join(_names(self.item)), size=theme.BODY),
            theme.notice(f"服务器计算的结果类别：{self.item.category}", ft.Colors.BLUE_50),
        ]
        if self.item.correction:
            lines.append(self._correction())
        lines.append(ft.Text(_visit_line(record), size=16))
        review = self.shell.state.review
        lines += record_lines(record, assignment, PhotoStrip(self.shell.page, self.shell.state.files,
                                                             review.photo_caption))
        lines += document_lines(self.shell, record, assignment["unit"]["name"])
        if self.item.own_team:
            lines.append(theme.notice("您是该检查组成员，不能审核本组的记录（双人复核）", ft.Colors.RED_50))
        elif self.item.decided:
            lines.append(theme.notice("已处理：" + DECIDED[self.item.decided]))
        else:
            lines += [ft.Row([theme.big_button("通过", self._approve, primary=True, icon=ft.Icons.CHECK),
                              theme.big_button("退回", self._return, icon=ft.Icons.UNDO)], spacing=16),
                      self.reason]
        lines.append(self.message)
        return ft.ListView(lines, spacing=12, expand=True)

    def _correction(self) -> ft.Control:
        """Why the earlier record was returned, and what this one changed since: at the top."""
        returned = self.item.returned or {}
        parts: list[ft.Control] = [ft.Text("更正记录：本记录更正被退回的原记录", size=theme.BODY,
                                           weight=ft.FontWeight.BOLD)]
        if returned:
            who = returned.get("leader_name") or returned.get("leader", "")
            parts.append(ft.Text(f"原记录于 {local_time(returned['decided_at'])} 被 {who} 退回，"
                                 f"退回原因：{returned['reason']}", size=theme.BODY, color=ft.Colors.RED_800))
            if returned.get("comment"):
                parts.append(ft.Text(f"当时的审核意见：{returned['comment']}", size=16))
        if self.item.earlier is None:
            parts.append(ft.Text("原记录的内容未随待审核记录下载，无法比较变化", size=16))
        else:
            changed = self.shell.state.review.changes(self.item)
            parts.append(ft.Text(f"与被退回的记录相比，共 {len(changed)} 处变化：" if changed
                                 else "与被退回的记录相比，内容没有变化", size=theme.BODY))
            parts += [ft.Text(f"· {c.place}：{c.before} → {c.after}", size=16) for c in changed]
        return ft.Container(ft.Column(parts, spacing=6), bgcolor=ft.Colors.PURPLE_50, padding=12, border_radius=8)

    def _approve(self, _: Any) -> None:
        confirm_dialog(self.shell.page, f"通过 {self.item.unit_name} 的检查记录？",
                       f"结果类别：{self.item.category}。审核意见将在本机签名，签名后不能撤回。",
                       lambda comment: self._decide("approve", "", comment))

    def _return(self, _: Any) -> None:
        error = self._decide("return", self.reason.value or "", "")
        if error:
            self.message.value, self.message.color = error, ft.Colors.RED_700
            self.message.update()

    def _decide(self, decision: str, reason: str, comment: str) -> str | None:
        """Sign it; back to the queue, where the result shows at the top and the record is gone."""
        error = self.shell.state.review.decide(self.item, decision, reason, comment)
        if error:
            return error
        self.shell.back()
        self.shell.page.run_task(self.shell.run_sync)
        return None


def confirm_dialog(page: ft.Page, title: str, text: str, confirm: Callable[[str], str | None]) -> None:
    """Ask before a decision is signed, with an optional comment; `confirm(comment)` signs and
    returns None, or why not (shown in the dialog)."""
    comment = ft.TextField(label="审核意见（可选）", multiline=True, text_size=theme.BODY, max_length=2000)
    error = ft.Text("", size=16, color=ft.Colors.RED_700)

    def yes(_: Any) -> None:
        why = confirm(comment.value or "")
        if why:
            error.value = why
            error.update()
            return
        page.pop_dialog()

    dialog = ft.AlertDialog(modal=True, title=ft.Text(title, size=theme.TITLE),
                            content=ft.Container(ft.Column([ft.Text(text, size=theme.BODY), comment, error],
                                                           tight=True, spacing=12), width=640),
                            actions=[theme.big_button("确认通过", yes, primary=True, icon=ft.Icons.CHECK),
                                     theme.big_button("取消", lambda _: page.pop_dialog())])
    page.show_dialog(dialog)


def _visit_line(record: dict) -> str:
    visit = record["visit"]
    arrived = local_time(visit["arrived_at"]) if visit["arrived_at"] else "未记录"
    where = location_text(visit["location"]["lat_e6"], visit["location"]["lon_e6"], visit["location"]["accuracy_m"]) \
        if visit["location"] else "未记录"
    return f"到达现场：{arrived} · 现场位置：{where}"


def _names(item) -> list[str]:
    team = {m["id"]: m["name"] for m in item.assignment["team"]}
    return [team.get(p, p) for p in item.record["inspectors"]]


def record_lines(record: dict, assignment: dict, photos: "PhotoStrip | None" = None) -> list[ft.Control]:
    """What a signed record says, line by line (the leader's review, the inspector's copy), with
    each finding's photos when `photos` can show them."""
    names = {i["code"]: i["name"] for i in assignment["items"]}
    lines: list[ft.Control] = []
    if record["visit"]["outcome"] == "unreachable":
        for a in record["visit"]["attempts"]:
            lines.append(ft.Text(f"无法联系 · {METHODS[a['method']]} · {local_time(a['at'])} · {a['note']} · "
                                 f"照片 {len(a['photos'])} 张",
                                 size=16))
            lines += photos.row(a["photos"], "无法联系") if photos else []
    for n, finding in enumerate(record["findings"], 1):
        action = finding["action"] or {}
        extra = f" · {ACTIONS[action['kind']]} {action.get('deadline') or action.get('case_no') or ''}" if action else ""
        colour = ft.Colors.RED_700 if finding["outcome"] == "non_compliant" else None
        lines.append(ft.Text(f"{n}. {names.get(finding['item_code'], finding['item_code'])}："
                             f"{OUTCOMES[finding['outcome']]}{extra} · 照片 {len(finding['photos'])} 张"
                             + (f" · 备注：{finding['note']}" if finding["note"] else ""), size=16, color=colour))
        lines += photos.row(finding["photos"], f"第{n}项") if photos else []
        sample = finding.get("sample")
        if sample:
            lines.append(ft.Text(f"　样品 {sample['sample_no']} · 送 {sample['lab']} · 检验项目：{sample['tests']} · "
                                 f"样品照片 {len(sample['photos'])} 张", size=15, color=ft.Colors.PURPLE_700))
            lines += photos.row(sample["photos"], f"第{n}项样品") if photos else []
    party = record.get("party") or {}
    if party:
        lines.append(ft.Text("当事人拒绝签字：" + party["note"] if party.get("refused")
                             else f"当事人 {party['name']} 已签名", size=16))
        if photos and party.get("signature_photo"):
            lines += photos.row([party["signature_photo"]], "当事人签名")
    return lines


class PhotoStrip:
    """Thumbnails of a record's photos from the device's files; a tap shows the photo full size.
    A photo not on this device yet (not downloaded) says so instead of failing; with `caption`,
    each says when and where it was taken."""

    def __init__(self, page: ft.Page, files, caption: Callable[[str], str | None] | None = None) -> None:
        self.page, self.files, self.caption = page, files, caption

    def row(self, shas: list[str], what: str) -> list[ft.Control]:
        if not shas:
            return []
        return [ft.Row([self._captioned(sha, f"{what} 照片{i}") for i, sha in enumerate(shas, 1)], wrap=True,
                       spacing=10)]

    def _captioned(self, sha: str, label: str) -> ft.Control:
        """The thumbnail, and when and where the photo was taken (when the strip is given `caption`)."""
        text = self.caption(sha) if self.caption else None
        if text is None:
            return self._thumb(sha, label)
        return ft.Column([self._thumb(sha, label), ft.Text(text.replace(" · ", "\n"), size=13, width=220)],
                         spacing=4, width=220)

    def _thumb(self, sha: str, label: str) -> ft.Control:
        data = self.files.thumb(sha)
        if data is None:
            return ft.Container(ft.Text("照片未下载\n同步后可查看", size=13, text_align=ft.TextAlign.CENTER),
                                width=120, height=90, alignment=ft.Alignment.CENTER, bgcolor=ft.Colors.GREY_200,
                                border_radius=6)
        image = ft.Image(src=data, width=120, height=90, fit=ft.BoxFit.COVER, semantics_label=f"查看{label}")
        return ft.TextButton(content=image, on_click=lambda _: self.open(sha, label), width=120, height=90,
                             style=ft.ButtonStyle(padding=0, shape=ft.RoundedRectangleBorder(radius=6)))

    def open(self, sha: str, label: str) -> None:
        data = self.files.full(sha)
        body: ft.Control = (ft.Image(src=data, fit=ft.BoxFit.CONTAIN) if data is not None
                            else ft.Text("照片文件不在本机，请同步后再看", size=theme.BODY))
        dialog = ft.AlertDialog(title=ft.Text(label), content=ft.Container(body, width=900, height=640),
                                actions=[theme.big_button("关闭", lambda _: self.page.pop_dialog())])
        self.page.show_dialog(dialog)
