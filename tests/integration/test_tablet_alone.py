"""The tablet runs on field_app and schemas alone: importing its entry points in a fresh
interpreter loads nothing of the server or the demo (what the APK must not carry)."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.support.server import ROOT

PROBE = """
import json, sys
import field_app.main, field_app.__main__, field_app.app_state
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("sync_server", "demo", "verifier", "bench"))))
"""


def test_the_tablet_entry_loads_no_server_module() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_probe_would_see_a_server_module() -> None:
    probe = PROBE.replace("import field_app.main,", "import sync_server.app, field_app.main,")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "sync_server.app" in json.loads(done.stdout.strip().splitlines()[-1])
