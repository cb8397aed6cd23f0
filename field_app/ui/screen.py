"""What the shell asks of every screen, said once (no optional hooks found by `hasattr`)."""
from __future__ import annotations

import flet as ft


class Screen:
    title: str = ""
    route: str = ""               # the name it was opened by (set by the shell)
    live: bool = False            # redrawn when a background sync changes what it shows
    shows_progress: bool = False  # redrawn on every progress report, not only when the sync is over

    def build(self) -> ft.Control:
        raise NotImplementedError

    def fingerprint(self) -> object:
        """What the screen shows, compared before a background redraw; by default always new
        (a live screen without one is redrawn on every change)."""
        return object()

    def touch(self) -> None:
        """Refresh small texts in place when the screen is not redrawn."""
