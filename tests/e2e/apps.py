"""Real processes for browser tests: the field app (`python -m field_app`) on 127.0.0.1, and a
few helpers to drive Flutter's accessibility tree with Playwright (shared with bench/app.py)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


from tests.support.records import PIN
from tests.support.server import ROOT, answers_ok, free_port

CHROMIUM = "/usr/bin/chromium"


class AppProcess:
    """One tablet: its own data directory, its own app process serving the web UI."""

    def __init__(self, data: Path, server_url: str, port: int | None = None, sync_interval: float = 2.0,
                 enroll_code: str = "", officer_codes: list[str] = ()) -> None:
        self.data, self.server_url, self.port = data, server_url, port or free_port()
        self.sync_interval, self.enroll_code, self.officer_codes = sync_interval, enroll_code, list(officer_codes)
        self.proc: subprocess.Popen | None = None
        self.log = data.with_name(data.name + ".log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self, timeout: float = 40.0) -> "AppProcess":
        args = [sys.executable, "-m", "field_app", "--data", str(self.data), "--server", self.server_url,
                "--port", str(self.port), "--sync-interval", str(self.sync_interval)]
        if self.enroll_code:
            args += ["--enroll-code", self.enroll_code, "--enroll-pin", PIN]
        for code in self.officer_codes:   # teammates' signing keys on this tablet, each with the test PIN
            args += ["--officer", f"{code}:{PIN}"]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         env={**os.environ, "FLET_WEB_NO_CDN": "1", "SUIJIAN_LOG": "INFO"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited: {self.log.read_text(errors='replace')}")
            if answers_ok(self.url):
                return self
            time.sleep(0.1)
        raise RuntimeError("app did not start in time")

    def kill9(self) -> None:
        """Like a flat battery or the OS killing the app: no shutdown code runs."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


# --- driving Flutter through its accessibility tree ---------------------------------------------
SEMANTIC_TEXT = """t => [...document.querySelectorAll('flt-semantics')].some(
    e => (e.getAttribute('aria-label') || '').includes(t) || e.textContent.includes(t))"""


FIRST_SCREEN = """() => [...document.querySelectorAll('flt-semantics')].some(
    e => /[\u4e00-\u9fff]/.test(e.getAttribute('aria-label') || e.textContent || ''))"""


def open_app(page, url: str) -> None:
    """Load the app and let it settle before the first tap.

    A tap that lands while the Flutter client is still starting (fetching CanvasKit and the CJK
    font, first layouts) can leave headless Chromium's renderer spinning at 100% CPU, after
    which no Playwright call returns (seen about once in five runs of the suite); the browser
    fixture's watchdog (conftest.RendererWatchdog) interrupts such a spin."""
    page.goto(url)
    page.locator("flt-semantics-placeholder").dispatch_event("click")  # turn on the semantics tree
    page.wait_for_function(FIRST_SCREEN, timeout=30_000)
    page.wait_for_timeout(800)


def wait_text(page, text: str, timeout: float = 20_000) -> None:
    """Wait until some node of the accessibility tree says `text`."""
    try:
        page.wait_for_function(SEMANTIC_TEXT, arg=text, timeout=timeout)
    except Exception as exc:
        shot = Path(tempfile.gettempdir()) / "suijian-e2e-failure.png"
        page.screenshot(path=str(shot))
        raise AssertionError(f"{text!r} never showed; the screen is in {shot}; {screen_report(page)}") from exc


def screen_report(page) -> str:
    """What the accessibility tree says and what the client logged: for a failure message."""
    try:
        texts = page.evaluate("""() => [...document.querySelectorAll('flt-semantics')]
            .map(e => e.getAttribute('aria-label') || (e.children.length ? '' : e.textContent))
            .filter(t => t && t.trim()).slice(0, 40)""")
    except Exception as exc:  # noqa: BLE001 - a report must not hide the failure it reports
        texts = [f"(no tree: {exc})"]
    console = getattr(page, "console_lines", [])[-15:]
    return f"on screen: {texts}; console: {console}"


def has_text(page, text: str) -> bool:
    return bool(page.evaluate(f"({SEMANTIC_TEXT})", text))


class RendererInterrupted(UserWarning):
    """A spinning renderer's JavaScript was terminated (conftest.RendererWatchdog)."""


def tap(page, name: str | re.Pattern, role: str = "button", timeout_s: float = 20.0) -> None:
    """Tap a control by its accessible name; wait for it, scrolling the list down until it is built."""
    locator = page.get_by_role(role, name=name, exact=True) if isinstance(name, str) else \
        page.get_by_role(role, name=name)
    deadline = time.monotonic() + timeout_s
    page.mouse.move(page.viewport_size["width"] / 2, page.viewport_size["height"] * 0.6)
    while time.monotonic() < deadline:
        if locator.count():
            try:
                locator.first.click(timeout=3000)
                return
            except Exception:   # the control was rebuilt under the pointer: find it again
                continue
        page.mouse.wheel(0, 350)
        page.wait_for_timeout(150)
    raise AssertionError(f"no {role} named {name!r} on screen")


def tap_until(page, name: str | re.Pattern, expect: str, attempts: int = 5) -> None:
    """Tap, and tap again if the next screen (showing `expect`) did not come: a tap that lands
    while Flutter rebuilds the list can be lost, as it can under a person's finger."""
    for attempt in range(attempts):
        if attempt and has_text(page, expect):
            return
        try:
            tap(page, name, timeout_s=20.0 if attempt == 0 else 3.0)
        except AssertionError:
            pass  # the button is gone: the screen may be changing to the one we want
        try:
            page.wait_for_function(SEMANTIC_TEXT, arg=expect, timeout=6_000)
            return
        except Exception:
            continue
    wait_text(page, expect, timeout=1)


def type_into(page, name: str, text: str) -> None:
    box = page.get_by_role("textbox", name=name).first
    box.click()
    box.fill(text)


def two_of(assignment: dict, me: str) -> tuple[dict, dict]:
    """The tablet's officer and a teammate, as the assignment's team lists them (id, name)."""
    team = assignment["team"]
    return next(m for m in team if m["id"] == me), next(m for m in team if m["id"] != me)


def sign_as(page, name: str, pin: str = PIN) -> None:
    """One officer signs at 核对并提交: their own PIN, then their 签名 button. Typed again when
    the app says no PIN arrived (a keystroke into a password field lost under a redraw, as
    headless Chromium loses one now and then)."""
    for attempt in range(3):
        if attempt == 0 or has_text(page, "请输入本人的 PIN"):
            type_into(page, f"{name} 的 PIN", pin)
            page.keyboard.press("Enter")          # the PIN field's submit signs, as the button does
        else:
            tap(page, f"{name} 签名")
        try:
            page.wait_for_function(SEMANTIC_TEXT, arg=f"{name}：已签名", timeout=15_000)
            return
        except Exception:
            continue
    wait_text(page, f"{name}：已签名", timeout=1)


def register_officer(page, code: str, pin: str = PIN) -> None:
    """本机签名人员: register one officer with their code and a PIN typed twice (again if a
    keystroke was lost: the app then says the PIN is not 6 to 12 digits)."""
    type_into(page, "本人的一次性注册码", code)
    for _ in range(3):
        type_into(page, "设置签名 PIN（6 至 12 位数字）", pin)
        page.wait_for_timeout(300)
        type_into(page, "再次输入 PIN", pin)
        page.wait_for_timeout(300)
        tap(page, "登记签名人员")
        try:
            page.wait_for_function(SEMANTIC_TEXT, arg="已登记：该执法人员可在本机用 PIN 签名", timeout=10_000)
            return
        except Exception:
            if not (has_text(page, "PIN 须为 6 至 12 位数字") or has_text(page, "两次输入的 PIN 不一致")):
                break
    wait_text(page, "已登记：该执法人员可在本机用 PIN 签名", timeout=1)


def settle(page, ms: int = 600) -> None:
    """Let Flutter finish a frame (fonts, layout) before a screenshot."""
    page.wait_for_timeout(ms)
