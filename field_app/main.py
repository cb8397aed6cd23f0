"""Entry point for the APK (`flet build apk`, see docs/FIELD_APP.md): the same app, its data in
the app's private storage (FLET_APP_STORAGE_DATA, set by Flet in a packaged app), the server
address entered on the enrollment screen. In web mode use `python -m field_app` instead."""
from __future__ import annotations

import os
from pathlib import Path

import flet as ft

from field_app.app_state import AppState, Services, Settings
from field_app.camera import NoCamera
from field_app.ui.app import make_main
from schemas import clock


def run() -> None:
    settings = Settings(Path(os.environ.get("FLET_APP_STORAGE_DATA", "field-data")),
                        clock=clock.Clock.parse(os.environ.get("SUIJIAN_CLOCK")))
    clock.install(settings.clock)
    state = AppState(settings, Services.open(settings))   # the device's services, made once, here
    state.syncing.start_background()
    # On the tablet the system file picker offers the camera; a flet-camera adapter (docs) plugs in here.
    ft.run(make_main(state, NoCamera()), assets_dir="assets")


if __name__ == "__main__":
    run()
