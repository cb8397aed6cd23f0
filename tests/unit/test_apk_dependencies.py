"""The tablet's own dependency list (apk/pyproject.toml) names only what Flet's Android build can
install, at versions it offers (apk/android-packages.toml, from mobile-forge and PyPI), and
nothing of the server; it covers what field_app and schemas import."""
from __future__ import annotations

import ast
import sys
from importlib import metadata

from tests.support.apk import (APK, ROOT, SERVER_ONLY, app_requirements, closure, load_toml, normal, offences,
                               offered)

TABLET = app_requirements(load_toml(APK / "pyproject.toml"))
SERVER = load_toml(ROOT / "pyproject.toml")["project"]["dependencies"]


def test_the_tablet_list_names_only_what_the_android_build_offers() -> None:
    assert offences(TABLET, offered()) == []


def test_the_check_catches_a_version_or_package_android_lacks() -> None:
    found = offences(["cryptography==50.0.2", "pillow==13.0.0", "numpy-but-not-real==1.0", "httpx>=0.28",
                      "fastjsonschema==2.22.2", "flet[web]==1.0.5", "uvicorn[standard]==0.54.0"], offered())
    assert found == [
        "cryptography==50.0.2: the Android build offers cryptography 43.0.1",
        "pillow==13.0.0: the Android build offers pillow 12.2.0",
        "numpy-but-not-real==1.0: no Android build and no pure-Python wheel recorded",
        "httpx>=0.28: not pinned to one version (name==version)",
        "fastjsonschema==2.22.2: the recorded pure-Python wheel is fastjsonschema-2.22.3-py3-none-any.whl",
        "flet[web]==1.0.5: server or web-mode only (extras)",
        "uvicorn[standard]==0.54.0: server or web-mode only (extras)",
    ]


def test_the_server_list_would_not_pass_as_the_tablet_list() -> None:
    """The list the tablet had before (the server's) fails: the check is not vacuous."""
    found = "\n".join(offences(SERVER, offered()))
    for name in ("cryptography==50.0.2", "pillow==13.0.0", "uvicorn[standard]", "flet[web]", "starlette"):
        assert name in found


def test_the_tablet_list_holds_no_server_package() -> None:
    names = {normal(r.split("==")[0].split("[")[0]) for r in TABLET}
    assert names & SERVER_ONLY == set()
    assert not closure(TABLET) & SERVER_ONLY


def test_everything_the_list_pulls_in_is_offered_and_every_compiled_one_pinned() -> None:
    pulled = closure(TABLET)
    binary, pure = offered()["binary"], offered()["pure"]
    assert pulled - binary.keys() - pure.keys() == set()
    pinned = {normal(r.split("==")[0]) for r in TABLET}
    assert (pulled & binary.keys()) - pinned == set()     # pip may not pick a version Android lacks


def third_party_imports() -> set[str]:
    names = set()
    for package in ("field_app", "schemas"):
        for path in (ROOT / package).rglob("*.py"):
            if "assets" in path.relative_to(ROOT).parts:   # make_font.py: a dev tool, not the app
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"field_app", "schemas", "__future__"}


def test_the_list_covers_what_the_tablet_imports() -> None:
    providers = metadata.packages_distributions()
    imported = {module: {normal(d) for d in providers.get(module, [])} for module in third_party_imports()}
    assert {"flet", "PIL", "cryptography", "httpx", "fastjsonschema"} <= imported.keys()
    pulled = closure(TABLET)
    assert {module: dists for module, dists in imported.items() if not dists & pulled} == {}
