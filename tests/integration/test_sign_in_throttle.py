"""Guessing enrollment codes and office passwords, over real HTTP against a real server: after
SUIJIAN_AUTH_FAILURE_LIMIT failures within SUIJIAN_AUTH_FAILURE_WINDOW_SECONDS a client address
(or a user) gets 429 with Retry-After and a Chinese message; another client is not affected;
after Retry-After seconds the address may try again. The window is 2 seconds here."""
from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.integration.conftest import Admin, County
from tests.support.office import ADMIN, CLERK, PASSWORD
from tests.support.server import ServerProcess

LIMIT = 5
FAST = {"SUIJIAN_AUTH_FAILURE_LIMIT": str(LIMIT), "SUIJIAN_AUTH_FAILURE_WINDOW_SECONDS": "2"}


@pytest.fixture
def guarded(county: County) -> Iterator[ServerProcess]:
    proc = ServerProcess(county.db, env=FAST).start()
    yield proc
    proc.stop()


@pytest.fixture
def office(guarded: ServerProcess, county: County) -> Iterator[Admin]:
    admin = Admin(guarded.url, county.admin_token)
    yield admin
    admin.http.close()


def client(url: str, address: str = "127.0.0.1") -> httpx.Client:
    """A client from its own loopback address (127.0.0.2 is another machine to the server)."""
    return httpx.Client(base_url=url, timeout=30, transport=httpx.HTTPTransport(local_address=address))


def enroll(web: httpx.Client, code: str) -> httpx.Response:
    key = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    return web.post("/v1/enroll", json={"code": code, "public_key": key, "algorithm": "ed25519", "device_name": "平板"})


def wait_out(response: httpx.Response) -> None:
    time.sleep(int(response.headers["retry-after"]) + 0.1)


def test_wrong_codes_are_throttled_per_address(guarded: ServerProcess, office: Admin, county: County) -> None:
    with client(guarded.url) as guesser, client(guarded.url, "127.0.0.2") as colleague:
        for n in range(LIMIT):
            wrong = enroll(guesser, f"WRNG-CODE-{n:04d}")
            assert (wrong.status_code, wrong.json()["code"]) == (400, "enrollment.code_invalid")
        refused = enroll(guesser, "WRNG-CODE-9999")
        assert refused.status_code == 429
        body = refused.json()
        assert body["code"] == "auth.too_many_failures" and "错误次数过多" in body["message_zh"]
        assert 1 <= int(refused.headers["retry-after"]) <= 2 and body["detail"]["retry_after"] == \
            int(refused.headers["retry-after"])
        assert enroll(guesser, office.code_for(county.inspector)).status_code == 429, \
            "a refused address is not even told whether its code is right"
        assert enroll(colleague, office.code_for(county.inspector)).status_code == 201, "another client enrolls"
        wait_out(refused)
        assert enroll(guesser, office.code_for(county.inspector)).status_code == 201, "allowed again after the wait"
    log = guarded.log.read_text(errors="replace")
    assert len(re.findall(r"failed enroll \(enrollment\.code_invalid\) from addr:127\.0\.0\.1", log)) == LIMIT
    assert "refused enroll from addr:127.0.0.1" in log


def test_a_replayed_code_counts_against_its_user(guarded: ServerProcess, office: Admin, county: County) -> None:
    with client(guarded.url) as first, client(guarded.url, "127.0.0.2") as second, \
            client(guarded.url, "127.0.0.3") as third:
        code = office.code_for(county.inspector)
        assert enroll(first, code).status_code == 201
        for web in (first, first, first, second, second):   # LIMIT replays, from two addresses
            assert enroll(web, code).json()["code"] == "enrollment.code_used"
        refused = enroll(third, office.code_for(county.inspector))
        assert refused.status_code == 429, "the user's fresh code waits too, from any address"
        assert enroll(third, office.code_for(county.leader)).status_code == 201, "another user is not affected"
        wait_out(refused)
        assert enroll(third, office.code_for(county.inspector)).status_code == 201


def test_concurrent_guesses_get_no_more_than_the_limit(county: County) -> None:
    proc = ServerProcess(county.db, env={**FAST, "SUIJIAN_AUTH_FAILURE_WINDOW_SECONDS": "600"}).start()
    try:
        with client(proc.url) as guesser, ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(lambda n: enroll(guesser, f"WRNG-CODE-{n:04d}").status_code, range(40)))
    finally:
        proc.stop()
    assert (statuses.count(400), statuses.count(429)) == (LIMIT, 40 - LIMIT)


def sign_in(web: httpx.Client, username: str, password: str) -> httpx.Response:
    form = web.get("/office/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)   # type: ignore[union-attr]
    return web.post("/office/login", data={"username": username, "password": password, "csrf": csrf},
                    headers={"Origin": str(web.base_url).rstrip("/")})


def test_wrong_office_passwords_are_throttled_per_address(guarded: ServerProcess, county: County) -> None:
    with client(guarded.url) as guesser, client(guarded.url, "127.0.0.2") as colleague:
        for n in range(LIMIT):   # a different account each time: only the address adds up
            assert "账号或密码不正确" in sign_in(guesser, f"guess{n}", "Wrong-pass-1").text
        refused = sign_in(guesser, ADMIN, PASSWORD)
        assert refused.status_code == 429 and "登录失败次数过多" in refused.text
        assert 1 <= int(refused.headers["retry-after"]) <= 2
        assert sign_in(colleague, ADMIN, PASSWORD).status_code == 303, "another client signs in"
        wait_out(refused)
        assert sign_in(guesser, ADMIN, PASSWORD).status_code == 303, "allowed again after the wait"
    assert "failed office_login (auth.bad_password) from addr:127.0.0.1" in guarded.log.read_text(errors="replace")


def test_an_account_is_locked_whatever_address_the_guesses_come_from(county: County) -> None:
    # A 6-second window: each guess costs an argon2id check, so LIMIT of them outlast 2 seconds here.
    guarded = ServerProcess(county.db, env={**FAST, "SUIJIAN_AUTH_FAILURE_WINDOW_SECONDS": "6"}).start()
    try:
        _locked_whatever_address(guarded)
    finally:
        guarded.stop()


def _locked_whatever_address(guarded: ServerProcess) -> None:
    addresses = [f"127.0.0.{n}" for n in range(2, 2 + LIMIT)]
    for address in addresses:   # one wrong password from each of LIMIT machines
        with client(guarded.url, address) as guesser:
            assert sign_in(guesser, CLERK, "Wrong-pass-1").status_code == 403
    with client(guarded.url, "127.0.0.99") as owner:
        locked = sign_in(owner, CLERK, PASSWORD)
        assert locked.status_code == 429 and "已暂时锁定" in locked.text, "the right password waits out the lock"
    with client(guarded.url, "127.0.0.99") as colleague:
        assert sign_in(colleague, ADMIN, PASSWORD).status_code == 303, "another account on the same machine is not locked"
    wait_out(locked)
    with client(guarded.url, "127.0.0.99") as owner:
        assert sign_in(owner, CLERK, PASSWORD).status_code == 303
