"""The test run's PostgreSQL cluster (tests/support/postgres.py): Debian's server, in a temp
folder, not as root, tuned for tests, and cheap copies of a template database."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support import postgres


def test_the_cluster_answers_runs_unprivileged_and_is_tuned_for_tests() -> None:
    cluster = postgres.cluster()
    assert cluster.psql("SELECT 1 + 1") == "2"
    settings = dict(line.split("|") for line in cluster.psql(
        "SELECT name, setting FROM pg_settings WHERE name IN "
        "('fsync', 'synchronous_commit', 'full_page_writes', 'listen_addresses', 'lc_collate', 'server_encoding')"
    ).splitlines())
    assert settings == {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                        "listen_addresses": "127.0.0.1", "lc_collate": "C", "server_encoding": "UTF8"}
    # The server process belongs to whoever may run it: never root (initdb and postgres refuse it).
    pid = int(Path(cluster.folder, "data", "postmaster.pid").read_text().split()[0])
    owner = os.stat(f"/proc/{pid}").st_uid
    assert owner != 0 and owner == (os.getuid() if os.getuid() != 0 else postgres.pwd.getpwnam("postgres").pw_uid)
    assert Path(cluster.bin, "postgres").exists() and cluster.bin.startswith("/usr/lib/postgresql/")


def test_a_database_made_from_a_template_is_an_independent_copy() -> None:
    cluster = postgres.cluster()
    template = cluster.create_database()
    cluster.psql("CREATE TABLE t (n integer); INSERT INTO t SELECT generate_series(1, 1000)", database=template)
    cluster.freeze_template(template)
    copies = [cluster.create_database(template) for _ in range(2)]
    try:
        cluster.psql("DELETE FROM t WHERE n > 10", database=copies[0])
        assert [cluster.psql("SELECT count(*), sum(n) FROM t", database=c) for c in copies] == ["10|55", "1000|500500"]
        # The template takes no connections: nothing can hold it open and stop the next copy.
        refused = subprocess.run([f"{cluster.bin}/psql", "-X", "-d", cluster.url(template), "-c", "SELECT 1"],
                                 capture_output=True, text=True)
        assert refused.returncode != 0 and "not currently accepting connections" in refused.stderr
    finally:
        for name in copies:
            cluster.drop_database(name)
        cluster.psql(f'ALTER DATABASE "{template}" WITH IS_TEMPLATE false')
        cluster.drop_database(template)
    assert cluster.psql(f"SELECT count(*) FROM pg_database WHERE datname IN ('{template}', '{copies[0]}', '{copies[1]}')") == "0"
