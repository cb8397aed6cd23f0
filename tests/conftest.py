"""The whole suite runs on one moved clock, so no test depends on the day it runs.

The product reads the time only through `schemas.clock`, which the setting SUIJIAN_CLOCK moves.
The suite installs that clock in this process and exports it, anchored to the real time, to
every server, CLI and tablet process it starts, so all of them agree to the millisecond.

- Unset, the suite runs at DEFAULT_CLOCK (a Monday morning in Beijing, a week after the demo
  county's inspections).
- `.ci/run` runs the tests marked `dates` again with SUIJIAN_CLOCK at other dates (one in a year
  whose holiday notice is not loaded, one early in a year): they derive what they expect from the
  clock, never from the day they were written.
"""
from __future__ import annotations

import os
from functools import cache

import httpx._transports.default
import pytest
from hypothesis import settings

from schemas import clock
from tests.support import engine, postgres
from tests.support.server import ServerProcess

DEFAULT_CLOCK = "2026-11-23T02:00:00Z"

# Hypothesis's per-example deadline (200 ms) is a timed assertion: on the shared, noisy 2-core
# machine an example of a property test was once slower than that and failed a correct test.
# Speed belongs to `make bench`; here every example runs to its end.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


def _one_tls_context() -> None:
    """The suite's clients (httpx.get, httpx.Client, the tablets' SyncClient) speak plain HTTP to
    127.0.0.1, yet httpx builds a TLS context for every client it makes, parsing the CA bundle:
    55 ms of CPU each, 1,065 of them (72 s of CPU) in one pass of the integration tests. Here the
    default context is built once per process; contexts asked for with other settings are built
    as httpx builds them. The tablet's own client does the same in the product
    (field_app.sync.tls_context)."""
    build = httpx._transports.default.create_ssl_context
    default = cache(lambda: build())

    def create_ssl_context(verify=True, cert=None, trust_env=True):
        if verify is True and cert is None and trust_env is True:
            return default()
        return build(verify=verify, cert=cert, trust_env=trust_env)

    httpx._transports.default.create_ssl_context = create_ssl_context


def pytest_configure(config: pytest.Config) -> None:
    _one_tls_context()
    moved = clock.Clock.parse(os.environ.get("SUIJIAN_CLOCK") or DEFAULT_CLOCK)
    clock.install(moved)
    os.environ["SUIJIAN_CLOCK"] = moved.setting()
    # Servers are forked from a launcher that imported the server once (tests/support/preload.py).
    ServerProcess.preloaded = True
    postgres.begin_run()   # the run's PostgreSQL cluster, if a test needs one (tests/support/postgres.py)


def pytest_unconfigure(config: pytest.Config) -> None:
    postgres.end_run()


def pytest_report_header(config: pytest.Config) -> str:
    return (f"SuiJian clock: {clock.now().isoformat(timespec='seconds')} (Beijing {clock.beijing_today()}); "
            f"integration tests' database engine: {engine.ENGINE} (SUIJIAN_TEST_ENGINE)")
