"""Geometry of the report page's inline SVG bar charts (no script, no library): bars as numbers
in a 360-wide viewBox, computed with exact fractions so that stacked segments add up exactly."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from schemas.categories import KINDS
from sync_server.reports.core.report import SAMPLING_TARGET, Rate, Report, Row

WIDTH = 360
ROW_HEIGHT = 38
TOP, TARGET_TOP = 4, 24   # room above the first bar; more for a target line's label
BAR_Y, BAR_HEIGHT = 20, 12


@dataclass(frozen=True)
class Segment:
    x: int
    width: int
    colour: str
    title: str


@dataclass(frozen=True)
class Bar:
    y: int
    label: str
    value: str
    segments: tuple[Segment, ...]
    total: bool = False


@dataclass(frozen=True)
class Chart:
    title: str
    height: int
    bars: tuple[Bar, ...]
    target_x: int | None = None
    target_label: str = ""
    legend: tuple[tuple[str, str], ...] = ()


def _x(value: Fraction, scale: Fraction) -> int:
    return min(WIDTH, round(WIDTH * value / scale)) if scale else 0


def _scale(rates: list[Rate], floor: Fraction) -> Fraction:
    """The chart's full width: the largest value or the floor, rounded up to a whole 5%."""
    top = max([r.value for r in rates if r.value is not None] + [floor])
    steps = -(-top * 20 // 1)
    return Fraction(min(steps, 20), 20)


def _rows(report: Report, keep: object) -> list[Row]:
    return [r for r in report.rows if keep(r)] + [report.total]  # type: ignore[operator]


def rate_chart(title: str, rows: list[Row], rate_of: object, colour: str, floor: Fraction,
               target: Fraction | None = None, target_label: str = "") -> Chart:
    rates = [rate_of(r) for r in rows]  # type: ignore[operator]
    scale = _scale(rates, max(floor, target or 0))
    top = TARGET_TOP if target is not None else TOP
    bars = []
    for index, (r, rate) in enumerate(zip(rows, rates)):
        width = _x(rate.value, scale) if rate.value is not None else 0
        segment = Segment(0, width, colour, f"{r.name}：{rate.text}（{rate.num}/{rate.den}）" if rate.den else r.name)
        bars.append(Bar(top + index * ROW_HEIGHT, r.name, rate.text, (segment,) if width else (), r.code == "total"))
    return Chart(title, top + len(rows) * ROW_HEIGHT, tuple(bars),
                 _x(target, scale) if target is not None else None, target_label)


def category_chart(rows: list[Row]) -> Chart:
    bars = []
    for index, r in enumerate(rows):
        whole, done, segments = sum(r.counts.categories), 0, []
        for kind, n in zip(KINDS, r.counts.categories):
            start, done = done, done + n
            x0, x1 = _x(Fraction(start), Fraction(whole)), _x(Fraction(done), Fraction(whole))
            if x1 > x0:
                segments.append(Segment(x0, x1 - x0, kind.colour, f"{r.name}：{kind.label} {n}"))
        bars.append(Bar(TOP + index * ROW_HEIGHT, r.name, f"{whole} 户次", tuple(segments), r.code == "total"))
    return Chart("检查结果类别构成", TOP + len(rows) * ROW_HEIGHT, tuple(bars),
                 legend=tuple((kind.label, kind.colour) for kind in KINDS))


def charts(report: Report) -> list[Chart]:
    sampled = _rows(report, lambda r: r.counts.registry or r.counts.drawn)
    inspected = _rows(report, lambda r: r.counts.inspected)
    entries = _rows(report, lambda r: r.counts.inspected or r.counts.unreachable)
    return [
        rate_chart("各专业抽查比例", sampled, lambda r: r.sampling, "#0b5cad", Fraction(5, 100),
                   SAMPLING_TARGET, "3% 目标线"),
        rate_chart("各专业问题发现率", inspected, lambda r: r.discovery, "#8e44ad", Fraction(10, 100)),
        category_chart(entries),
    ]
