"""The report's figures from counts, with no I/O: exact rates, rounding, targets, medians, the
total that does not count a unit or a joint task twice, and the charts' geometry."""
from __future__ import annotations

from datetime import date
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync_server.reports.core.report import PUBLICATION_TARGET, RISK_TARGET, SAMPLING_TARGET, Counts, Period, PeriodError, Rate, build, counts_by_specialty, drawn_counts, failed_checks, late_days_by_specialty, median, number_text, row
from schemas.specialties import SPECIALTIES
from sync_server.reports.charts import WIDTH, category_chart, charts

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize("num, den, text, bp", [
    (3, 100, "3.0%", 300), (1, 3, "33.3%", 3333), (2, 3, "66.7%", 6667), (1, 16, "6.3%", 625),
    (1, 32, "3.1%", 313), (1, 2000, "0.1%", 5), (1, 2001, "0.0%", 5), (0, 7, "0.0%", 0), (7, 7, "100.0%", 10000),
    (9, 140, "6.4%", 643), (4, 7, "57.1%", 5714), (5, 9, "55.6%", 5556)])
def test_rates_round_half_up_in_integers(num: int, den: int, text: str, bp: int) -> None:
    rate = Rate(num, den)
    assert (rate.text, rate.basis_points, rate.value) == (text, bp, Fraction(num, den))


def test_nothing_to_measure_is_a_dash_and_no_verdict() -> None:
    rate = Rate(0, 0)
    assert (rate.text, rate.basis_points, rate.value, rate.meets(SAMPLING_TARGET)) == ("—", None, None, None)


def test_targets_are_compared_exactly() -> None:
    assert Rate(3, 100).meets(SAMPLING_TARGET) and not Rate(2999, 100_000).meets(SAMPLING_TARGET)
    assert Rate(1, 34).meets(SAMPLING_TARGET) is False          # 2.94%, shown as 2.9%
    assert Rate(4, 5).meets(RISK_TARGET) and not Rate(79_999, 100_000).meets(RISK_TARGET)
    assert Rate(9, 9).meets(PUBLICATION_TARGET) and not Rate(999, 1000).meets(PUBLICATION_TARGET)
    assert Rate(1999, 2000).text == "100.0%" and Rate(1999, 2000).meets(PUBLICATION_TARGET) is False


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_text_and_basis_points_agree_with_the_exact_value(num: int, den: int) -> None:
    rate = Rate(num, den)
    tenths = int(rate.text.rstrip("%").replace(".", ""))
    assert abs(Fraction(tenths, 1000) - Fraction(num, den)) <= Fraction(1, 2000)
    assert abs(Fraction(rate.basis_points, 10_000) - Fraction(num, den)) <= Fraction(1, 20_000)


@pytest.mark.parametrize("half, start, end, label, slug", [
    (None, date(2026, 1, 1), date(2026, 12, 31), "2026年度", "2026"),
    (1, date(2026, 1, 1), date(2026, 6, 30), "2026年上半年", "2026-H1"),
    (2, date(2026, 7, 1), date(2026, 12, 31), "2026年下半年", "2026-H2")])
def test_periods(half: int | None, start: date, end: date, label: str, slug: str) -> None:
    period = Period(2026, half)
    assert (period.start, period.end, period.label, period.slug) == (start, end, label, slug)


def test_the_cutoff_is_the_period_end_or_today_whichever_is_earlier() -> None:
    assert Period(2026).cutoff(TODAY) == TODAY
    assert Period(2026, 1).cutoff(TODAY) == date(2026, 6, 30)
    assert Period(2025).cutoff(TODAY) == date(2025, 12, 31)
    assert Period(2026, 2).cutoff(date(2026, 6, 1)) == date(2026, 6, 1)


@pytest.mark.parametrize("year, half", [(202, None), (10000, None), (2026, 0), (2026, 3)])
def test_bad_periods_are_refused(year: int, half: int | None) -> None:
    with pytest.raises(PeriodError):
        Period(year, half)


def test_median_of_whole_days() -> None:
    assert median([]) is None
    assert median([4]) == 4 and median([3, 1, 2]) == 2 and median([2, 3]) == Fraction(5, 2)
    assert [number_text(Fraction(5, 2)), number_text(Fraction(3)), number_text(Fraction(1, 2))] == ["2.5", "3", "0.5"]


def test_a_row_computes_every_rate_and_check() -> None:
    counts = Counts(registry=100, drawn=7, inspected=7, unreachable=1, problems=4, rectified=1, categories=(3, 3, 1, 1),
                    draws=3, risk_draws=2, on_time=4, late=2, overdue=1, not_due=2, late_days=(3, 2))
    r = row("public_places", "公共场所", counts)
    assert (r.sampling.text, r.discovery.text, r.risk_share.text, r.publication.text) == \
        ("7.0%", "57.1%", "66.7%", "57.1%")
    assert counts.due == 7 and (r.lateness.count, r.lateness.median, r.lateness.max) == (2, Fraction(5, 2), 3)
    assert dict(r.checks) == {"sampling": True, "risk_share": False, "publication": False}


def test_the_total_counts_a_unit_and_a_joint_task_once() -> None:
    per = {"public_places": Counts(registry=100, drawn=7, inspected=7, draws=3, risk_draws=2, on_time=4, late=2,
                                   late_days=(2, 3)),
           "medical": Counts(registry=40, drawn=3, inspected=2, draws=1, risk_draws=1, on_time=1, late=1,
                             late_days=(5,))}
    report = build(Period(2025), TODAY, "2026-11-23T00:00:00.000Z", per, drawn=9, draws=3, risk_draws=2)
    whole = report.total.counts
    assert (whole.registry, whole.drawn, whole.inspected, whole.draws, whole.risk_draws) == (140, 9, 9, 3, 2)
    assert sorted(whole.late_days) == [2, 3, 5] and report.total.lateness.median == 3
    assert report.total.sampling.text == "6.4%" and report.total.name == "合计"
    assert [r.code for r in report.rows] == list(SPECIALTIES)
    assert report.rows[1].counts == Counts() and report.rows[1].sampling.text == "—"
    assert report.cutoff == date(2025, 12, 31)


def test_failed_checks_name_the_missed_targets_total_first() -> None:
    per = {"public_places": Counts(registry=100, drawn=2, draws=1, risk_draws=1, on_time=1),
           "medical": Counts(registry=10, drawn=1, draws=2, risk_draws=1, on_time=1, overdue=1)}
    report = build(Period(2026, 1), TODAY, "t", per, drawn=3, draws=3, risk_draws=2)
    assert failed_checks(report) == ["合计：抽查比例未达 3%", "合计：按风险分类抽取占比未达 80%", "合计：公示率未达 100%",
                                     "公共场所：抽查比例未达 3%", "医疗执业：按风险分类抽取占比未达 80%",
                                     "医疗执业：公示率未达 100%"]


@given(st.lists(st.integers(0, 10**5), min_size=4, max_size=4).filter(lambda c: sum(c) > 0))
def test_stacked_segments_fill_the_bar_exactly(parts: list[int]) -> None:
    counts = Counts(inspected=sum(parts[:3]), unreachable=parts[3], categories=tuple(parts))
    chart = category_chart([row("medical", "医疗执业", counts)])
    segments = chart.bars[0].segments
    assert sum(s.width for s in segments) == WIDTH and segments[0].x == 0
    assert all(a.x + a.width == b.x for a, b in pairwise(segments))


def test_charts_show_the_target_line_and_only_specialties_with_data() -> None:
    per = {"public_places": Counts(registry=100, drawn=7, inspected=7, problems=4, categories=(3, 4, 0, 0)),
           "medical": Counts(registry=40, drawn=3)}
    sampling, discovery, categories = charts(build(Period(2025), TODAY, "t", per, drawn=10, draws=0, risk_draws=0))
    assert [b.label for b in sampling.bars] == ["公共场所", "医疗执业", "合计"]
    assert [b.label for b in discovery.bars] == ["公共场所", "合计"] and discovery.target_x is None
    # scale: the largest ratio 7.5% rounds up to 10% of the width; 3% sits at 3/10 of it
    assert sampling.target_x == 108 and sampling.bars[0].segments[0].width == 252
    assert [b.value for b in sampling.bars] == ["7.0%", "7.5%", "7.1%"]
    assert categories.bars[0].value == "7 户次" and len(categories.legend) == 5   # schemas.categories.KINDS


def test_drawn_units_are_distinct_per_specialty_and_in_all() -> None:
    placed = [("PP1", "public_places"), ("PP1", "public_places"), ("PP2", "public_places"), ("MD3", "public_places"),
              ("MD3", "medical"), ("MD1", "medical")]
    assert drawn_counts(placed) == ({"public_places": 3, "medical": 2}, 4)
    assert drawn_counts([]) == ({}, 0)


def test_counts_are_merged_from_every_query() -> None:
    late = late_days_by_specialty([("medical", 5), ("public_places", 3), ("public_places", None), ("public_places", 2)])
    assert late == {"medical": (5,), "public_places": (2, 3)}
    counts = counts_by_specialty({"public_places": 100, "school": 4}, {"public_places": 7}, {"medical": (1, 1)},
                                 {"public_places": {"inspected": 7, "problems": 4, "rectified": None}},
                                 {"medical": {"on_time": 1, "late": 1, "overdue": 0, "not_due": 0}}, late)
    assert set(counts) == {"public_places", "school", "medical"}
    assert counts["public_places"] == Counts(registry=100, drawn=7, inspected=7, problems=4, late_days=(2, 3))
    assert counts["medical"] == Counts(draws=1, risk_draws=1, on_time=1, late=1, late_days=(5,))
    assert counts["school"] == Counts(registry=4)


def test_populations_count_tagged_units_as_the_draw_does() -> None:
    from sync_server.reports.core.report import populations

    own = {"medical": 10, "radiation": 2}
    tags = [("放射卫生", "medical", 4), ("放射卫生", "radiation", 2), ("未知标签", "medical", 3)]
    assert populations(own, tags) == {"medical": 10, "radiation": 6}


def test_category_counts_add_up_per_category_and_read_by_code() -> None:
    a, b = Counts(inspected=3, categories=(1, 2, 0, 0)), Counts(inspected=2, unreachable=1, categories=(0, 1, 1, 1))
    whole = a + b
    assert whole.categories == (1, 3, 1, 1) and whole.inspected == 5
    assert [whole.category(code) for code in ("no_problem", "rectify", "penalty", "unreachable")] == [1, 3, 1, 1]
