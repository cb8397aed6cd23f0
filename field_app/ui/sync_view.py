"""同步: sync now, progress, and each record's state with the server's answer in Chinese."""
from __future__ import annotations

from typing import Any

import flet as ft

from field_app.ui import theme
from field_app.ui.screen import Screen
from schemas.clock import beijing_text


class SyncScreen(Screen):
    title = "同步"
    live = True
    shows_progress = True  # re-rendered on every progress report, not only when the sync is over

    def __init__(self, shell) -> None:
        self.shell = shell

    def build(self) -> ft.Control:
        state = self.shell.state
        result = state.syncing.last_result
        status = []
        if state.syncing.running:
            status.append(ft.Row([ft.ProgressRing(width=28, height=28), ft.Text(_stage(state.syncing.progress), size=theme.BODY)]))
            if state.syncing.progress and state.syncing.progress[2]:
                status.append(ft.ProgressBar(value=state.syncing.progress[1] / state.syncing.progress[2], width=480))
        elif result is not None:
            status.append(theme.notice(_summary(result), ft.Colors.RED_50 if (result.offline or result.error)
                                       else ft.Colors.GREEN_50))
        last = state.work.last_sync()
        lines = [self._line(line) for line in state.outbox_lines()]
        return ft.Column([
            ft.Row([theme.big_button("立即同步", self._sync, primary=True, icon=ft.Icons.SYNC, disabled=state.syncing.running),
                    ft.Text(f"待同步 {state.work.outbox_waiting()} 条 · 上次同步 {local_time(last) if last else '无'}",
                            size=theme.BODY)],
                   wrap=True, spacing=16),
            *status,
            ft.ListView(lines or [ft.Text("还没有提交的记录", size=theme.BODY)], spacing=8, expand=True),
        ], expand=True, spacing=14)

    def _line(self, line) -> ft.Control:
        parts = [ft.Text(line.unit_name, size=theme.BODY, weight=ft.FontWeight.BOLD),
                 ft.Text(f"{KINDS.get(line.kind, '检查记录')} · {line.state_zh} · "
                         f"{local_time(line.created_at)}",
                         size=16)]
        if line.log_index is not None:
            parts.append(ft.Text(f"回执：审计日志序号 {line.log_index}" + (f" · 结果类别 {line.category}"
                                                                      if line.category else ""), size=16,
                                 color=ft.Colors.GREEN_800))
        if line.error_zh:
            parts.append(ft.Text(f"错误：{line.error_zh}　处理办法：{line.help_zh}", size=16, color=ft.Colors.RED_700))
        return ft.Container(ft.Column(parts, spacing=4), padding=12, border_radius=8,
                            border=ft.Border.all(1, ft.Colors.GREY_300), bgcolor=ft.Colors.WHITE)

    async def _sync(self, _: Any) -> None:
        await self.shell.run_sync()


KINDS = {"record": "检查记录", "review": "审核意见", "reinspection": "复查记录"}
RECEIPTS = {"accepted": "已接收", "duplicate": "已接收（重复提交）", "incomplete": "照片未齐", "rejected": "被拒收",
            "conflict": "编号冲突"}


def _stage(progress: tuple[str, int, int] | None) -> str:
    if progress is None:
        return "正在同步…"
    stage, done, total = progress
    return {"photos": f"正在上传照片 {done}/{total}", "records": f"正在上传记录 {done}/{total}",
            "feed": f"正在下载任务和通知（{done} 条）",
            "review_photos": f"正在下载待审核记录的照片 {done}/{total}"}[stage]


def local_time(stamp: str) -> str:
    """A stamp as people read times here: Beijing time (the tablet's own zone may be UTC)."""
    return beijing_text(stamp)


def _summary(result) -> str:
    if result.offline:
        return "无法连接服务器：记录已安全保存在本机，联网后会自动同步。"
    if result.server_full:
        return result.error
    if result.error:
        return f"同步出错：{result.error}"
    got = "，".join(f"{RECEIPTS.get(k, k)} {v} 条" for k, v in result.receipts.items())
    text = f"同步完成：上传照片 {result.photos_uploaded} 张；{got or '没有待上传的记录'}；收到 {result.pulled} 条任务或通知。"
    if result.photos_downloaded:
        text += f"下载待审核照片 {result.photos_downloaded} 张。"
    if result.parked:
        text += f"有 {result.parked} 条记录服务器暂时无法接收，已暂存本机，其余记录照常同步。"
    if result.download_errors:
        text += f"有 {len(result.download_errors)} 张照片未能下载（{result.download_errors[0]}），下次同步时重试。"
    return text
