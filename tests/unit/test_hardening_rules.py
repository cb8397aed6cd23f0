"""Pure rules behind "the sync never stalls": lone surrogates refused as a contract error."""
from __future__ import annotations

import pytest

from schemas.errors import ContractError
from schemas.jcs import canonicalize, canonicalize_parsed, loads_strict


@pytest.mark.parametrize("data", [
    b'{"note": "\\ud800"}',                  # a lone high surrogate, escaped
    b'{"note": "ok \\uDC00 tail"}',          # a lone low surrogate, upper-case escape
    b'{"a": ["x", {"b": "\\udbff"}]}',       # deep inside
    b'{"\\ud83d": 1}',                       # in a key
    b'"\\ude00\\ud83d"',                     # a pair in the wrong order is two lone halves
    '{"note": "\ud800"}',                    # a str holding one (not from UTF-8 bytes)
])
def test_lone_surrogates_are_refused_when_parsed(data: bytes | str) -> None:
    with pytest.raises(ContractError) as caught:
        loads_strict(data)
    assert caught.value.code == "json.lone_surrogate"
    assert caught.value.message_zh


def test_escaped_pairs_and_escaped_backslashes_are_fine() -> None:
    assert loads_strict(b'{"e": "\\ud83d\\ude00"}') == {"e": "\U0001f600"}
    assert loads_strict(b'{"e": "\\\\ud800"}') == {"e": "\\ud800"}


def test_duplicate_lone_surrogate_keys_are_refused_without_echoing_them() -> None:
    with pytest.raises(ContractError) as caught:
        loads_strict(b'{"\\ud800": 1, "\\ud800": 2}')
    assert caught.value.code == "json.lone_surrogate"


def test_surrogates_may_be_let_through_where_asked() -> None:
    assert loads_strict(b'{"envelopes": ["\\ud800"]}', allow_lone_surrogates=True) == {"envelopes": ["\ud800"]}


@pytest.mark.parametrize("canonical", [canonicalize, canonicalize_parsed])
def test_canonical_forms_refuse_lone_surrogates(canonical) -> None:
    with pytest.raises(ContractError) as caught:
        canonical({"a": "\ud800"})
    assert caught.value.code == "json.lone_surrogate"
