"""The Flet entry: one page per browser tab (or the tablet's one screen), over one AppState."""
from __future__ import annotations

from typing import Callable

import flet as ft

from field_app.app_state import AppState
from field_app.camera import Camera
from field_app.ui import theme
from field_app.ui.enroll import EnrollScreen
from field_app.ui.shell import Shell
from field_app.ui.worklist_view import WorkListScreen


def make_main(state: AppState, camera: Camera) -> Callable[[ft.Page], None]:
    def main(page: ft.Page) -> None:
        page.title = "随检 · 现场检查"
        page.fonts = dict(theme.FONTS)
        page.theme = theme.theme()
        page.padding = 16
        page.bgcolor = ft.Colors.GREY_50
        shell = Shell(page, state, camera)
        listener = shell.listen()
        page.on_close = lambda _: listener in state.listeners and state.listeners.remove(listener)
        shell.go(WorkListScreen(shell) if state.enrolled else EnrollScreen(shell))

    return main
