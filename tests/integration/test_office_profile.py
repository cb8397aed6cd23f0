"""The office's own settings: its name comes from `sync-server office`, never from the code. An
office that has not set it publishes nothing and its pages say so; once set, the name is on
every disclosure entry and every page footer."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync_server.cli import main as cli
from sync_server.db.connection import open_db, transaction
from sync_server.disclosure import service as disclosure
from sync_server.errors import Conflict
from sync_server.office import profile
from tests.support import engine
from tests.integration.conftest import County, server_rows
from tests.support.server import ServerProcess

NAME = "沂源县卫生健康综合监督执法大队"


def test_an_unnamed_office_shows_a_placeholder_and_refuses_to_publish(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    db = engine.new_target(tmp_path / "office.db")
    conn = open_db(db)
    assert profile.shown_name(conn) == profile.PLACEHOLDER
    with pytest.raises(Conflict) as refused:
        profile.name_to_sign(conn)
    assert refused.value.code == "office.unnamed" and "sync-server office" in refused.value.message_zh
    conn.close()
    assert cli(["office", "--db", str(db)]) == 0
    assert profile.PLACEHOLDER in capsys.readouterr().out


def test_office_refuses_a_bad_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["office", "--db", str(engine.new_target(tmp_path / "o.db")), "--region", "36a"]) == 1
    assert "office.bad_region" in capsys.readouterr().err


def test_the_name_set_by_the_cli_is_in_the_entry_and_the_footer(history_county: County,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = history_county.db
    assert cli(["office", "--db", str(db), "--name", NAME, "--region", "370323"]) == 0
    assert NAME in capsys.readouterr().out
    conn = open_db(db)
    try:
        due = server_rows(db, "SELECT id FROM disclosures WHERE state = 'due'")
        assert due, "the demo leaves results approved and not yet published"
        with transaction(conn):
            disclosure.publish_due(conn)
    finally:
        conn.close()
    newest = server_rows(db, "SELECT x.doc FROM disclosure_docs x JOIN disclosures d ON d.id = x.id"
                             " ORDER BY d.published_at DESC LIMIT 1")
    assert newest
    server = ServerProcess(db).start()
    try:
        import httpx
        page = httpx.get(server.url + "/public/results", timeout=30).text
    finally:
        server.stop()
    assert NAME in page and "云溪县卫生健康综合监督执法大队" not in page.split("<footer>")[1]
    docs = [json.loads(r["doc"]) for r in server_rows(db, "SELECT doc FROM disclosure_docs")]
    assert any(NAME in json.dumps(d, ensure_ascii=False) for d in docs)
