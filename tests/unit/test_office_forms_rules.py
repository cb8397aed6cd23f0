"""The pure parts of the office's publication and follow-up forms: the fine typed in yuan, and the
versions a form carries so that a stale one is refused (sync_server/disclosure/core/disclosure.py)."""
from __future__ import annotations

import pytest

from sync_server.disclosure.core.disclosure import (
    DUE_BASIS, batch_version, content_version, parse_yuan, publication_version)


@pytest.mark.parametrize("text, fen", [
    ("", None), ("   ", None), ("5000", 500_000), ("5,000", 500_000), ("5000.5", 500_050), ("5000.50", 500_050),
    ("0", 0), ("0.01", 1), ("３０００", 300_000), ("3000元", 300_000), ("1，200．5", 120_050)])
def test_a_fine_in_yuan_becomes_fen(text: str, fen: int | None) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["-5", "5.001", "abc", "5e3", "1.2.3", "9999999999999", "１２x"])
def test_a_fine_that_is_not_an_amount_is_refused_in_chinese(text: str) -> None:
    with pytest.raises(ValueError, match="罚款金额"):
        parse_yuan(text)


def test_a_publication_version_changes_with_what_a_publication_depends_on() -> None:
    base = (1, "due", "rectify", '{"rectify":{}}', "2026-12-01")
    seen = {publication_version(*base)}
    for i, other in enumerate([2, "published", "penalty", '{"case":{}}', "2026-12-02"]):
        changed = list(base)
        changed[i] = other
        seen.add(publication_version(*changed))
    assert len(seen) == 6
    assert publication_version(*base) == publication_version(*base)


def test_a_content_version_ignores_the_order_of_follow_ups_but_not_a_new_one() -> None:
    assert content_version("rectify", "{}", ["b", "a"]) == content_version("rectify", "{}", ["a", "b"])
    assert content_version("rectify", "{}", ["a"]) != content_version("rectify", "{}", ["a", "b"])
    assert content_version("rectify", "{}", []) != content_version("penalty", "{}", [])


def test_a_batch_version_is_the_list_whatever_its_order() -> None:
    one, two = ("2026-000001", "aa"), ("2026-000002", "bb")
    assert batch_version([one, two]) == batch_version([two, one])
    assert batch_version([one]) != batch_version([one, two])
    assert batch_version([]) != batch_version([one])


def test_every_duty_has_its_basis_in_words() -> None:
    assert set(DUE_BASIS) == {"inspection", "penalty_decision", "followup"}
    assert "20 个工作日" in DUE_BASIS["inspection"] and "7 个工作日" in DUE_BASIS["penalty_decision"]
