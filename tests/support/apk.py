"""The tablet's build inputs, read for tests: its own dependency list (apk/pyproject.toml), what
Flet's Android build offers (apk/android-packages.toml), and the checks between them."""
from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
APK = ROOT / "apk"
# What only the server (or the web mode) uses: none of it may be on a tablet.
SERVER_ONLY = frozenset({"starlette", "uvicorn", "uvloop", "httptools", "websockets", "watchfiles", "fastapi",
                         "sqlite-utils", "python-calamine", "jinja2", "chinesecalendar", "jsonschema",
                         "flet-web", "flet-desktop", "flet-cli", "openpyxl", "xlsxwriter"})
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([A-Za-z0-9.+!_-]+)$")
# The tablet's Python (apk/pyproject.toml requires-python) on Android, for dependency markers.
ANDROID = {**default_environment(), "python_version": "3.12", "python_full_version": "3.12.0",
           "platform_system": "Android", "sys_platform": "android", "os_name": "posix",
           "platform_machine": "aarch64", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "extra": ""}


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def load_toml(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def app_requirements(pyproject: dict) -> list[str]:
    """What `flet build apk` installs: [project].dependencies, then [tool.flet.android].dependencies
    appended (flet-cli's build_base.package_python_app)."""
    android = pyproject.get("tool", {}).get("flet", {}).get("android", {})
    return [*pyproject["project"]["dependencies"], *android.get("dependencies", [])]


@cache
def offered() -> dict[str, dict[str, str]]:
    table = load_toml(APK / "android-packages.toml")
    return {kind: {normal(k): v for k, v in table[kind].items()} for kind in ("binary", "pure")}


def pure_wheel_version(wheel: str) -> str | None:
    """The version of a wheel file that installs anywhere (…-py3-none-any.whl), else None."""
    parts = wheel.removesuffix(".whl").split("-")
    python, abi, platform = parts[-3:]
    return parts[1] if abi == "none" and platform == "any" and "py3" in python.split(".") else None


def offences(requirements: list[str], offer: dict[str, dict[str, str]]) -> list[str]:
    """Each requirement the Android build could not satisfy, or that does not belong on a tablet."""
    found = []
    for requirement in requirements:
        match = PIN.match(requirement.replace(" ", ""))
        if not match:
            found.append(f"{requirement}: not pinned to one version (name==version)")
            continue
        name, extras, version = normal(match[1]), match[2], match[3]
        if name in SERVER_ONLY or extras:
            found.append(f"{requirement}: server or web-mode only" + (" (extras)" if extras else ""))
        if name in offer["binary"]:
            if offer["binary"][name] != version:
                found.append(f"{requirement}: the Android build offers {name} {offer['binary'][name]}")
        elif name in offer["pure"]:
            if pure_wheel_version(offer["pure"][name]) != version:
                found.append(f"{requirement}: the recorded pure-Python wheel is {offer['pure'][name]}")
        elif name not in SERVER_ONLY:
            found.append(f"{requirement}: no Android build and no pure-Python wheel recorded")
    return found


def closure(requirements: list[str]) -> set[str]:
    """Every distribution the list pulls in on the tablet, by the installed packages' metadata
    (names only: the versions installed here are the server's)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        name = normal(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            dependency = Requirement(line)
            if dependency.marker is None or dependency.marker.evaluate(ANDROID):
                todo.append(dependency)
    return seen
