"""组长审核: the queue of the team's submitted records (of teams the leader is not on), with
findings, photos and the computed category; approve, or return with a reason, signed here."""
from __future__ import annotations

from typing import Any

import flet as ft

from field_app.core.checklist import ACTIONS, METHODS, OUTCOMES
from field_app.outbox import record_photos
from field_app.ui import theme
from field_app.ui.screen import Screen
from field_app.ui.sync_view import local_time


class ReviewListScreen(Screen):
    title = "审核记录"
    live = True

    def __init__(self, shell) -> None:
        self.shell = shell

    def fingerprint(self) -> list:
        return [(i.record_id, i.decided) for i in self.shell.state.review.items()]

    def build(self) -> ft.Control:
        items = self.shell.state.review.items()
        cards = [self._card(i) for i in items]
        head = theme.notice("待审核的记录在同步时下载，可离线审核；审核意见在本机签名，联网后上传。")
        return ft.Column([head, ft.ListView(cards or [ft.Text("没有待审核的记录。点“同步”获取。", size=theme.BODY)],
                                             spacing=10, expand=True)], expand=True, spacing=12)

    def _card(self, item) -> ft.Control:
        done = {"approve": "已通过", "return": "已退回"}.get(item.decided or "", "待审核")
        lines = ft.Column([
            ft.Row([ft.Text(item.unit_name, size=20, weight=ft.FontWeight.BOLD), theme.badge(done, ft.Colors.AMBER_100),
                    theme.badge(item.category, ft.Colors.BLUE_50)], wrap=True),
            ft.Text(item.address, size=16),
            ft.Text("检查人员：" + "、".join(_names(item)), size=16),
        ], spacing=4)
        return ft.Container(lines, padding=16, border_radius=10, bgcolor=ft.Colors.WHITE,
                            border=ft.Border.all(1, ft.Colors.GREY_300),
                            on_click=lambda _: self.shell.go("/review/record", item=item))


class ReviewScreen(Screen):
    live = True  # redrawn when a background sync brings the record's photos

    def __init__(self, shell, item) -> None:
        self.shell, self.item = shell, item
        self.title = f"审核 · {item.unit_name}"
        self.message = ft.Text("", size=theme.BODY)
        self.reason = ft.TextField(label="退回原因", multiline=True, text_size=theme.BODY)  # kept between redraws

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
        lines += record_lines(record, assignment, PhotoStrip(self.shell.page, self.shell.state.files))
        if self.item.own_team:
            lines.append(theme.notice("您是该检查组成员，不能审核本组的记录（双人复核）", ft.Colors.RED_50))
        elif self.item.decided:
            lines.append(theme.notice("已处理：" + {"approve": "已通过", "return": "已退回"}[self.item.decided]))
        else:
            lines += [ft.Row([theme.big_button("通过", self._approve, primary=True, icon=ft.Icons.CHECK),
                              theme.big_button("退回", self._return, icon=ft.Icons.UNDO)], spacing=16),
                      self.reason]
        lines.append(self.message)
        return ft.ListView(lines, spacing=12, expand=True)

    def _approve(self, _: Any) -> None:
        self._decide("approve", "")

    def _return(self, _: Any) -> None:
        self._decide("return", self.reason.value or "")

    def _decide(self, decision: str, reason: str) -> None:
        error = self.shell.state.review.decide(self.item, decision, reason)
        if error:
            self.message.value, self.message.color = error, ft.Colors.RED_700
            self.message.update()
            return
        self.item = next(i for i in self.shell.state.review.items() if i.record_id == self.item.record_id)
        self.shell.refresh()
        self.message.value, self.message.color = "已保存：审核意见已签名，待同步上传。", ft.Colors.GREEN_800
        self.message.update()
        self.shell.page.run_task(self.shell.run_sync)


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
    A photo not on this device yet (not downloaded) says so instead of failing."""

    def __init__(self, page: ft.Page, files) -> None:
        self.page, self.files = page, files

    def row(self, shas: list[str], what: str) -> list[ft.Control]:
        if not shas:
            return []
        return [ft.Row([self._thumb(sha, f"{what} 照片{i}") for i, sha in enumerate(shas, 1)], wrap=True, spacing=10)]

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
