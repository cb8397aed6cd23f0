"""The shell: one page, a back stack of screens, the app bar with the sync state."""
from __future__ import annotations

import asyncio
from typing import Any, Callable

import flet as ft

from field_app.app_state import AppState
from field_app.camera import Camera
from field_app.photos import PhotoRefused
from field_app.ui import theme
from field_app.ui.screen import Screen

Route = Callable[..., Screen]


class Shell:
    def __init__(self, page: ft.Page, state: AppState, camera: Camera, routes: dict[str, Route]) -> None:
        self.page, self.state, self.camera, self.routes = page, state, camera, routes
        self.stack: list[Screen] = []
        self.shown: Any = None  # the current screen's fingerprint when it was drawn
        self.picker = ft.FilePicker()
        self.status = ft.Text("", size=15)
        self.sync_button = ft.TextButton(content=ft.Text("同步", size=theme.BODY), on_click=self.open_sync,
                                         height=theme.TOUCH)
        self.back_button = ft.TextButton(content=ft.Text("返回", size=theme.BODY), icon=ft.Icons.ARROW_BACK,
                                         on_click=self.back, height=theme.TOUCH)
        self.title = ft.Text("", size=theme.TITLE)
        self.appbar = ft.AppBar(leading_width=120, title=self.title, bgcolor=ft.Colors.INDIGO_50)

    # --- navigation -------------------------------------------------------------------------------
    def go(self, route: str, **arguments: Any) -> None:
        """Show the screen of `route` (field_app/ui/routes.py) on top of the back stack."""
        screen = self.routes[route](self, **arguments)
        screen.route = route
        self.stack.append(screen)
        self.render()

    def start(self) -> None:
        """Open on the screens the state says (AppState.start_routes), drawn once."""
        self.stack.clear()
        for route in self.state.start_routes():
            screen = self.routes[route](self)
            screen.route = route
            self.stack.append(screen)
        self.render()

    def back(self, _: Any = None) -> None:
        if len(self.stack) > 1:
            self.stack.pop()
        self.render()

    def home(self) -> None:
        del self.stack[1:]
        self.render()

    def render(self) -> None:
        """Draw the current screen. The app bar and its buttons are the same controls from one
        screen to the next, so a tap on 返回 or 同步 is never lost under a redraw."""
        screen = self.stack[-1]
        self.title.value = screen.title
        self.appbar.leading = self.back_button if len(self.stack) > 1 else None
        self.appbar.actions = [self.status, self.sync_button] if self.state.session.enrolled else []
        self.page.appbar = self.appbar
        self.update_status()
        self.page.controls = [screen.build()]
        self.shown = screen.fingerprint()
        self.page.update()

    def refresh(self) -> None:
        """Rebuild the current screen from the state (after an action or a background sync)."""
        if self.stack:
            self.render()

    def update_status(self) -> None:
        waiting = self.state.work.outbox_waiting()
        last = self.state.syncing.last_result
        offline = "" if last is None else "离线 · " if last.offline else "服务器已满 · " if last.server_full else ""
        self.status.value = "正在同步…" if self.state.syncing.running else \
            offline + (f"待同步 {waiting}" if waiting else "已全部同步")

    async def on_background(self) -> None:
        """A background sync moved: redraw the screen only if what it shows changed (a redraw
        under the inspector's finger could swallow a tap), else just the small texts."""
        self.update_status()
        screen = self.stack[-1] if self.stack else None
        if screen is None:
            self.page.update()
            return
        if screen.shows_progress or (screen.live and not self.state.syncing.running
                                     and screen.fingerprint() != self.shown):
            self.render()
        else:
            screen.touch()
            self.page.update()

    # --- shared actions ---------------------------------------------------------------------------
    def open_sync(self, _: Any = None) -> None:
        if self.stack[-1].route != "/sync":
            self.go("/sync")

    async def run_sync(self) -> None:
        await asyncio.to_thread(self.state.syncing.now)
        self.refresh()

    async def pick_photos(self) -> list[tuple[str, bytes]]:
        """Photos from the camera when the device has one, else picked files (desktop and web)."""
        if self.camera.available:
            shot = await self.camera.capture()
            return [("camera.jpg", shot)] if shot else []
        files = await self.picker.pick_files(dialog_title="选择照片", file_type=ft.FilePickerFileType.IMAGE,
                                             allow_multiple=True, with_data=True)
        return [(f.name, f.bytes) for f in files or [] if f.bytes is not None]

    async def add_photos(self, add: Callable[[bytes], Any]) -> str:
        """Take or pick photos and hand each to `add` (off the UI thread, it processes and
        saves); the refusals, in Chinese, for the screen."""
        errors = []
        for name, raw in await self.pick_photos():
            try:
                await asyncio.to_thread(add, raw)
            except PhotoRefused as exc:
                errors.append(f"{name}：{exc.message_zh}")
        return "；".join(errors)

    def listen(self) -> Callable[[], None]:
        def changed() -> None:
            if self.page.session.connection is None:  # the browser tab is gone
                raise ConnectionError("page closed")
            self.page.run_task(self.on_background)
        self.state.syncing.listeners.append(changed)
        return changed
