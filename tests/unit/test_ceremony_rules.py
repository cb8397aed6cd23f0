"""The draw ceremony's pure rules (sync_server/planning/core/ceremony.py): stages by the clock,
form versions, the witnesses' fields, nonces against commitments (DRAW_SPEC §2), beacon times."""
from __future__ import annotations

import hashlib

from sync_server.planning.core import ceremony as rules

BEACON_AT = "2026-12-20T13:15:00Z"


def test_stage_follows_the_state_and_the_beacons_time() -> None:
    assert rules.stage("planned", None, "2026-12-20T13:14:59Z") == "witnesses"
    assert rules.stage("announced", BEACON_AT, "2026-12-20T13:14:59.999Z") == "waiting"
    assert rules.stage("announced", BEACON_AT, "2026-12-20T13:15:00.000Z") == "reveal"   # the same instant
    assert rules.stage("revealed", BEACON_AT, "2026-12-21T00:00:00Z") == "draw"
    assert rules.stage("drawn", BEACON_AT, "2026-12-21T00:00:00Z") == "drawn"


def test_a_version_changes_with_the_state_a_witness_a_commitment_or_a_nonce() -> None:
    one = [{"id": "W1", "commitment": None, "nonce": None}]
    seen = {rules.version("planned", one), rules.version("announced", one),
            rules.version("planned", [{**one[0], "commitment": "ab" * 32}]),
            rules.version("planned", [{**one[0], "commitment": "ab" * 32, "nonce": "cd" * 16}]),
            rules.version("planned", one + [{"id": "W2", "commitment": None, "nonce": None}])}
    assert len(seen) == 5
    assert rules.version("planned", one) == rules.version("planned", [dict(one[0])])


def test_nonce_checked_as_the_spec_says() -> None:
    nonce = "0f" * 16
    commitment = hashlib.sha256(bytes.fromhex(nonce)).hexdigest()
    assert rules.nonce_error(nonce, commitment) is None
    assert "不符" in rules.nonce_error("1f" * 16, commitment)
    for bad in ("0F" * 16, "0f" * 15, "0f" * 65, "0f" * 16 + "0", " " + nonce, "0g" * 16):
        assert "小写十六进制" in rules.nonce_error(bad, commitment), bad
    assert rules.commitment_error(commitment) is None
    assert rules.commitment_error(commitment.upper()) and rules.commitment_error(commitment[:-1])


def test_witness_fields_and_beacon_times() -> None:
    assert rules.witness_fields("李纪检", "纪检监察室") == {}
    assert set(rules.witness_fields("", "")) == {"name", "role"}
    assert set(rules.witness_fields("李" * 41, "室" * 61)) == {"name", "role"}
    assert rules.beacon_at_of("2026-12-20T21:15") == "2026-12-20T21:15:00+08:00"
    assert rules.beacon_at_of("2026-12-20 21:15:30") == "2026-12-20T21:15:30+08:00"
    assert rules.beacon_at_of("2026-12-20") is None and rules.beacon_at_of("明天") is None
    assert rules.token_hash("abc") == hashlib.sha256(b"abc").hexdigest()
