"""Every process the product runs reads the suite's moved clock (SUIJIAN_CLOCK, tests/conftest.py):
the server stamps receipts with it, the CLI dates its reports with it, and a malformed setting is
refused with a clear message instead of falling back to the machine's date."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from schemas import clock
from tests.integration.conftest import server_rows
from tests.support import dates
from tests.support.records import queue_record, record

# Reads today's date (the suite's clock): .ci/run runs it again with the clock moved.
pytestmark = pytest.mark.dates


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sync_server", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})


def test_the_server_stamps_receipts_on_the_moved_clock(make_device, county) -> None:
    client = make_device(county.inspector)
    client.sync()
    doc = record(client.store.list_assignments()[0], [county.inspector])
    queue_record(client, doc, [], dates.now_stamp())
    assert client.sync().receipts == {"accepted": 1}
    (row,) = server_rows(county.db, "SELECT received_at FROM records WHERE id = ?", doc["id"])
    received = datetime.fromisoformat(row["received_at"].replace("Z", "+00:00"))
    assert abs(received - clock.now()) < timedelta(hours=1), (row["received_at"], clock.now())


def test_the_cli_dates_its_ledger_on_the_moved_clock(county) -> None:
    out = _cli("ledger", "--db", str(county.db))
    assert out.returncode == 0, out.stderr
    assert f"后续处置台账（{dates.today().isoformat()}）" in out.stdout


def test_a_malformed_clock_setting_is_refused_not_ignored(county) -> None:
    out = _cli("ledger", "--db", str(county.db), SUIJIAN_CLOCK="next tuesday")
    assert out.returncode == 2 and "时钟设置无效" in out.stderr and "Traceback" not in out.stderr
    app = subprocess.run([sys.executable, "-m", "field_app", "--data", str(county.folder / "tablet")],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "SUIJIAN_CLOCK": "soon"})
    assert app.returncode == 2 and "时钟设置无效" in app.stderr and "Traceback" not in app.stderr
