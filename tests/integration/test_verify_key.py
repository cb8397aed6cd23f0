"""What the entry's verification page shows as the server's key is what the offline checker takes:
the value is read from the real page, and the real checker script (downloaded from the site) is
run with it on the real entry."""
from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.integration.conftest import County, server_rows
from tests.support.server import ServerProcess


def shown(page: str, element_id: str) -> str:
    return html.unescape(re.search(rf'id="{element_id}">([^<]+)<', page).group(1)).strip()   # type: ignore[union-attr]


def test_the_key_on_the_page_verifies_the_entry_with_the_checker(history_county: County, tmp_path: Path) -> None:
    no = server_rows(history_county.db, "SELECT no FROM disclosures WHERE first_published_on IS NOT NULL LIMIT 1")[0][0]
    proc = ServerProcess(history_county.db).start()
    try:
        with httpx.Client(base_url=proc.url, timeout=30) as web:
            page = web.get(f"/public/results/{no}/verify").text
            (tmp_path / "proof.json").write_bytes(web.get(f"/public/results/{no}/proof.json").content)
            (tmp_path / "entry.json").write_bytes(web.get(f"/public/results/{no}.json").content)
            (tmp_path / "ssj_check_entry.py").write_bytes(web.get("/public/verify/ssj_check_entry.py").content)
            published = web.get("/v1/log/key").json()
    finally:
        proc.stop()
    key, keyid, command = shown(page, "server-key"), shown(page, "server-keyid"), shown(page, "check-command")
    assert (key, keyid) == (published["public_key"], published["keyid"])
    assert command.endswith(f"--key {key}") and "服务器公钥" in page

    def check(value: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-I", str(tmp_path / "ssj_check_entry.py"), str(tmp_path / "proof.json"),
                               str(tmp_path / "entry.json"), "--key", value], capture_output=True, text=True, timeout=120)

    for value in (key, keyid):
        agreed = check(value)
        assert agreed.returncode == 0 and "AGREED / 一致" in agreed.stdout, (value, agreed.stdout, agreed.stderr)
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw().hex()
    refused = check(other)
    assert refused.returncode == 1 and "检查点签名无效" in refused.stdout, "another key is still refused"
