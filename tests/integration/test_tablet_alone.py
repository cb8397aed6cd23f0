"""The tablet runs on field_app and schemas alone. The APK's entry (apk/main.py, what `flet build
apk` runs) loads, in a fresh interpreter, nothing of the server, the demo or the web mode, and no
code of the repository outside field_app/ and schemas/; every third-party module it loads comes
from the tablet's own dependency list. The packages also work from a zip (the APK's app archive
is one): schemas and the font are read through importlib.resources."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

from schemas import contract
from tests.support.apk import APK, ROOT, app_requirements, closure, load_toml, normal

# The tablet alone: no server, no server database (engine_free, tests/support/engine.py).
pytestmark = pytest.mark.engine_free

# Loaded by none of the tablet's code: the server, the demo, tools, and the web mode's server side.
FORBIDDEN = {"sync_server", "demo", "verifier", "bench", "tests", "flet_web", "flet_desktop", "flet_cli",
             "uvicorn", "starlette", "fastapi", "jinja2", "sqlite_utils", "python_calamine", "chinese_calendar",
             "jsonschema", "uvloop", "httptools", "websockets", "watchfiles"}

# httpx imports its command line (click, pygments, rich: the httpx[cli] extra) in a try block; they
# are installed here for other tools, absent on the tablet, where httpx carries on without them.
OPTIONAL = {"click", "pygments", "rich", "markdown_it", "mdurl"}

PROBE = """
import json, runpy, sys, sysconfig
at_start = set(sys.modules)   # what the interpreter and this environment's .pth files load
runpy.run_path("main.py", run_name="apk_probe")   # the APK's entry, as a module (not __main__: no UI)
import field_app.app_state, field_app.ui.app
stdlib = sysconfig.get_paths()["stdlib"]
files = {name: getattr(m, "__file__", None) or "" for name, m in list(sys.modules.items()) if name not in at_start}
print(json.dumps({"modules": sorted(files), "files": files, "stdlib": stdlib}))
"""


def probe(code: str, extra_path: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if extra_path:
        env["PYTHONPATH"] = extra_path
    done = subprocess.run([sys.executable, "-c", code], cwd=APK, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_apk_folder_is_main_and_links_to_the_two_packages() -> None:
    assert (APK / "field_app").resolve() == ROOT / "field_app"
    assert (APK / "schemas").resolve() == ROOT / "schemas"
    assert (APK / "assets").resolve() == ROOT / "field_app" / "assets"
    python = {p.name for p in APK.glob("*.py")}
    assert python == {"main.py", "make_android_list.py"}
    assert "make_android_list.py" in load_toml(APK / "pyproject.toml")["tool"]["flet"]["app"]["exclude"]


def test_the_apk_entry_loads_only_the_tablet_and_its_own_dependencies() -> None:
    seen = probe(PROBE)
    tops = {name.split(".")[0] for name in seen["modules"]}
    assert tops & FORBIDDEN == set()
    # the repository's own code: under its root, but not in an environment made inside it (CI's .venv)
    ours = {name: f for name, f in seen["files"].items()
            if f and Path(f).resolve().is_relative_to(ROOT) and "site-packages" not in Path(f).parts}
    assert ours and all(Path(f).resolve().is_relative_to(ROOT / "field_app") or
                        Path(f).resolve().is_relative_to(ROOT / "schemas") for f in ours.values()), ours
    assert Path(seen["files"]["field_app"]).parent.parent == APK     # through the APK folder's link
    providers = metadata.packages_distributions()
    third_party = {name.split(".")[0] for name, f in seen["files"].items()
                   if "site-packages" in f and not f.startswith(seen["stdlib"])} - OPTIONAL
    allowed = closure(app_requirements(load_toml(APK / "pyproject.toml")))
    strays = {m: providers.get(m) for m in third_party if not {normal(d) for d in providers.get(m, [])} & allowed}
    assert strays == {}


def test_the_probe_would_see_a_server_or_web_module() -> None:
    code = PROBE.replace('runpy.run_path("main.py"', 'import sync_server.app, flet_web; runpy.run_path("main.py"')
    tops = {name.split(".")[0] for name in probe(code, extra_path=str(ROOT))["modules"]}
    assert {"sync_server", "flet_web", "starlette"} <= tops


ZIPPED = """
import json, sys
sys.path.insert(0, {zip!r})
import field_app, schemas
from field_app import fonts
from schemas import contract
assert field_app.__file__.startswith({zip!r}) and schemas.__file__.startswith({zip!r}), field_app.__file__
validators = [contract.validator(name) for name in contract.NAMES]   # each $ref resolved in the zip
ids = [contract.load(name)["$id"] for name in {names!r}]
data = fonts.font_bytes()
with fonts.font_path() as path:
    on_disk = open(path, "rb").read()
import field_app.app_state
print(json.dumps({{"schemas": len(validators), "ids": ids,
                  "font": [len(data), data[:4].decode("latin-1"), on_disk == data]}}))
"""


def test_the_tablet_runs_from_a_zip(tmp_path: Path) -> None:
    archive = tmp_path / "app.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for package in ("field_app", "schemas"):
            for path in sorted((ROOT / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    z.write(path, path.relative_to(ROOT).as_posix())
    names = sorted(p.name.removesuffix(".schema.json") for p in (ROOT / "schemas" / "v1").glob("*.schema.json"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", ZIPPED.format(zip=str(archive), names=names)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["schemas"] == len(contract.NAMES)     # each compiled, its $refs read from the zip
    assert seen["ids"] == [json.loads((ROOT / "schemas" / "v1" / f"{n}.schema.json").read_text())["$id"] for n in names]
    font = (ROOT / "field_app" / "assets" / "fonts" / "NotoSansSC-Subset.otf").read_bytes()
    assert seen["font"] == [len(font), "OTTO", True]
