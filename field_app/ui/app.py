"""The Flet entry: one page per browser tab (or the tablet's one screen), over one AppState."""
from __future__ import annotations

from typing import Callable

import flet as ft

from field_app.app_state import AppState
from field_app.camera import Camera
from field_app.ui import theme
from field_app.ui.routes import ROUTES
from field_app.ui.shell import Shell


def make_main(state: AppState, camera: Camera) -> Callable[[ft.Page], None]:
    def main(page: ft.Page) -> None:
        page.title = "随检 · 现场检查"
        page.fonts = dict(theme.FONTS)
        page.theme = theme.theme()
        page.padding = 16
        page.bgcolor = ft.Colors.GREY_50
        shell = Shell(page, state, camera, ROUTES)
        listener = shell.listen()
        page.on_close = lambda _: listener in state.syncing.listeners and state.syncing.listeners.remove(listener)
        shell.start()

    return main
