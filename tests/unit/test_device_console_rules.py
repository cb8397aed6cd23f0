"""The pure rules behind the office's devices and calendar pages: when a device's last sync is
written, the enrollment QR code's text, a notice's year laid over the calendar."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from schemas import enrollment_link
from schemas.enrollment_link import EnrollmentLink, LinkError
from sync_server.accounts.core import seen
from sync_server.disclosure.core.workdays import Calendar, NoticeDay


def test_last_sync_is_written_once_a_minute() -> None:
    assert seen.due(None, "2027-03-01T08:00:00.000Z")
    assert not seen.due("2027-03-01T08:00:00.000Z", "2027-03-01T08:00:59.999Z")
    assert seen.due("2027-03-01T08:00:00.000Z", "2027-03-01T08:01:00.000Z")
    assert not seen.due("2027-03-01T08:05:00.000Z", "2027-03-01T08:01:00.000Z"), "a clock behind writes nothing"


SERVERS = st.sampled_from(["http://127.0.0.1:8000", "https://suijian.example.gov.cn", "https://a.b/sub path?x=1&y"])
CODES = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789-&=?#%", min_size=1, max_size=20).filter(lambda c: c.strip())


@given(SERVERS, CODES)
def test_the_link_round_trips(server: str, code: str) -> None:
    text = EnrollmentLink(server, code).text()
    assert enrollment_link.is_link(text)
    assert enrollment_link.parse(text) == EnrollmentLink(server, code.strip())


def test_the_link_text_is_fixed() -> None:
    assert EnrollmentLink("http://10.0.0.5:8000", "ABCD-EFGH-JKLM").text() == \
        "suijian://enroll?v=1&server=http%3A%2F%2F10.0.0.5%3A8000&code=ABCD-EFGH-JKLM"


@pytest.mark.parametrize("text", [
    "https://suijian.example/enroll?code=ABCD",                      # not our scheme
    "suijian://enroll?v=2&server=https%3A%2F%2Fx&code=ABCD",         # a version we do not read
    "suijian://enroll?v=1&server=ftp%3A%2F%2Fx&code=ABCD",           # not a web server
    "suijian://enroll?v=1&server=https%3A%2F%2Fx",                   # no code
    "suijian://enroll?v=1&server=https%3A%2F%2Fx&code=A&code=B",     # two codes
])
def test_a_broken_link_is_refused(text: str) -> None:
    with pytest.raises(LinkError):
        enrollment_link.parse(text)


def test_a_notice_replaces_its_year_only() -> None:
    base = Calendar({date(2026, 10, 1): False, date(2027, 1, 4): False}, frozenset({2026}))
    notice = [NoticeDay(date(2027, 1, 1), False, "元旦"), NoticeDay(date(2027, 2, 13), True, "春节调休")]
    made = base.with_year(2027, notice)
    assert made.official_years == {2026, 2027}
    assert not made.is_workday(date(2026, 10, 1)), "another year's holiday stays"
    assert made.is_workday(date(2027, 1, 4)), "the year's old override is gone"
    assert not made.is_workday(date(2027, 1, 1)) and made.is_workday(date(2027, 2, 13))
    assert not made.add(date(2026, 12, 30), 3).provisional and base.add(date(2026, 12, 30), 3).provisional


def test_the_tablet_takes_the_link_pasted_into_either_field() -> None:
    from field_app.state.session import _from_link

    link = EnrollmentLink("https://suijian.example.gov.cn", "ABCD-EFGH-JKLM").text()
    assert _from_link("", link) == ("https://suijian.example.gov.cn", "ABCD-EFGH-JKLM")
    assert _from_link(link, "") == ("https://suijian.example.gov.cn", "ABCD-EFGH-JKLM")
    assert _from_link("http://10.0.0.5:8000", "abcd-efgh-jklm") == ("http://10.0.0.5:8000", "abcd-efgh-jklm")
    with pytest.raises(LinkError):
        _from_link("", "suijian://enroll?v=1&code=ABCD")
