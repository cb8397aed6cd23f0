"""`python -m field_app` / `field-app`: the tablet app, served in Flet web mode with no CDN.

    python -m field_app --data DIR [--server URL] [--port P] [--host H]
                        [--sync-interval SECONDS] [--enroll-code CODE --enroll-pin PIN]
                        [--officer CODE:PIN ...] [--fake-camera]

The app's Python process and its SQLite file in DIR play the tablet. Nothing is loaded from the
internet: Flet's web client, CanvasKit and the CJK font are served from the package and assets.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from importlib import resources
from pathlib import Path


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="field-app", description="随检现场检查应用（Flet，网页模式，离线可用）")
    p.add_argument("--data", default="field-data", help="the device's data directory (SQLite, photos, keys)")
    p.add_argument("--server", default="", help="sync server address, e.g. http://127.0.0.1:8700")
    p.add_argument("--host", default="127.0.0.1", help="address the web app listens on")
    p.add_argument("--port", type=int, default=8550, help="port the web app listens on")
    p.add_argument("--sync-interval", type=float, default=15.0,
                   help="seconds between background syncs when the server is reachable (0: off)")
    p.add_argument("--enroll-code", default="", help="enroll with this one-time code at start (needs --server)")
    p.add_argument("--enroll-pin", default="", help="the enrolling officer's signing PIN (with --enroll-code)")
    p.add_argument("--officer", action="append", default=[], metavar="CODE:PIN",
                   help="with --enroll-code: register another officer's signing key on this tablet too")
    p.add_argument("--device-name", default="随检平板", help="the name the office sees for this device")
    p.add_argument("--fake-camera", action="store_true", help="a stand-in camera instead of the file picker")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    os.environ.setdefault("FLET_WEB_NO_CDN", "1")
    logging.basicConfig(level=os.environ.get("SUIJIAN_LOG", "WARNING").upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request is noise
    import flet as ft

    from field_app import fonts
    from field_app.app_state import AppState, Services, Settings
    from field_app.camera import FakeCamera, NoCamera
    from field_app.ui.app import make_main

    from schemas import clock

    try:
        moved = clock.Clock.parse(os.environ.get("SUIJIAN_CLOCK"))
    except clock.ClockSettingError as exc:
        print(f"时钟设置无效 invalid clock setting: {exc}", file=sys.stderr)
        return 2
    settings = Settings(Path(args.data), args.server.rstrip("/"), args.sync_interval, args.device_name, clock=moved)
    clock.install(settings.clock)
    state = AppState(settings, Services.open(settings))   # the device's services, made once, here
    if args.enroll_code and not state.session.enrolled:
        error = state.session.enroll(args.server, args.enroll_code, args.enroll_pin, args.enroll_pin)
        if error:
            print(f"注册失败 enrollment failed: {error}", file=sys.stderr)
            return 1
        for officer in args.officer:   # once, with the enrollment: a code works once
            code, _, pin = officer.partition(":")
            error = state.session.join_officer(code, pin, pin)
            if error:
                print(f"签名人员登记失败 officer registration failed: {error}", file=sys.stderr)
                return 1
        state.syncing.now()
    state.syncing.start_background()
    print(f"随检现场应用 field app: http://{args.host}:{args.port}/  (data: {args.data})", flush=True)
    camera = FakeCamera() if args.fake_camera else NoCamera()
    with resources.as_file(fonts.assets()) as assets:   # a folder in web mode (Flet serves it as files)
        ft.run(make_main(state, camera), view=ft.AppView.WEB_BROWSER, host=args.host, port=args.port,
               assets_dir=str(assets), no_cdn=True)
    state.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
