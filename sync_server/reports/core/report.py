"""The half-year and yearly reports' figures (DOMAIN.md "Reporting"), from counts, with no I/O.

    registry        covered units in the specialty's population: its own and those tagged with its
                    name, as the draw counts them (the registry as it stands today)
    drawn           distinct units placed by the period's tasks
    inspected       approved entries of the period, unreachable ones excepted
    unreachable     approved entries whose visit found no one
    categories      entries by the category they are published in, one count per KINDS entry
                    (schemas/categories.py), in that order
    problems        entries with problems found (a `problem` category, as recorded or as published)
    rectified       problem entries with a re-inspection (复查) that found them rectified
    discovery       problems / inspected                                       (no target)
    sampling        drawn / registry                                           target ≥ 3%
    risk share      drawn tasks with risk weights / drawn tasks                target ≥ 80%
    publication     on time / obligations due by the cutoff                    target 100%

Rates are exact fractions (`Rate`); they are shown as percentages with one decimal, rounded half
up in integers, and compared against their targets exactly. The cutoff of the publication rate is
the earlier of the period's last day and today: an obligation counts once it has fallen due.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from fractions import Fraction
from typing import Any, Iterable, Mapping

from schemas.categories import KINDS
from schemas.specialties import SPECIALTIES, SPECIALTY_BY_NAME

SAMPLING_TARGET = Fraction(3, 100)
RISK_TARGET = Fraction(80, 100)
PUBLICATION_TARGET = Fraction(1)
HALF_NAMES = {1: "上半年", 2: "下半年"}


class PeriodError(ValueError):
    """A year or half that names no report period."""


@dataclass(frozen=True)
class Period:
    year: int
    half: int | None = None

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 9999:
            raise PeriodError(f"year {self.year} is out of range")
        if self.half not in (None, 1, 2):
            raise PeriodError(f"half must be 1 or 2, not {self.half}")

    @property
    def start(self) -> date:
        return date(self.year, 7 if self.half == 2 else 1, 1)

    @property
    def end(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def label(self) -> str:
        return f"{self.year}年{HALF_NAMES[self.half]}" if self.half else f"{self.year}年度"

    @property
    def slug(self) -> str:
        return f"{self.year}-H{self.half}" if self.half else str(self.year)

    def cutoff(self, today: date) -> date:
        """The last day whose publication obligations count: the period's end, or today."""
        return min(self.end, today)


@dataclass(frozen=True)
class Rate:
    """An exact share num/den; den 0 means 'nothing to measure' (shown as —)."""
    num: int
    den: int

    @property
    def value(self) -> Fraction | None:
        return Fraction(self.num, self.den) if self.den else None

    @property
    def basis_points(self) -> int | None:
        """The share in hundredths of a percent, rounded half up: 1/3 → 3333."""
        return (self.num * 20_000 + self.den) // (2 * self.den) if self.den else None

    @property
    def text(self) -> str:
        """A percentage with one decimal, rounded half up: 1/32 → '3.1%'; no denominator → '—'."""
        if not self.den:
            return "—"
        tenths = (self.num * 2_000 + self.den) // (2 * self.den)
        return f"{tenths // 10}.{tenths % 10}%"

    def meets(self, target: Fraction) -> bool | None:
        """Whether the share reaches the target exactly; None when there is nothing to measure."""
        return None if not self.den else Fraction(self.num, self.den) >= target


@dataclass(frozen=True)
class Counts:
    """What the database counts for one specialty (or, summed, for the whole body)."""
    registry: int = 0
    drawn: int = 0
    inspected: int = 0
    unreachable: int = 0
    categories: tuple[int, ...] = (0,) * len(KINDS)   # entries published in each category (KINDS order)
    problems: int = 0
    rectified: int = 0
    draws: int = 0            # tasks drawn in the period
    risk_draws: int = 0       # of which used the credit-risk classification
    on_time: int = 0          # publications due by the cutoff, published on time
    late: int = 0             # … published late
    overdue: int = 0          # obligations due by the cutoff, passed and still unpublished
    not_due: int = 0          # obligations of the period's entries not yet due at the cutoff
    late_days: tuple[int, ...] = ()   # working days late of each late publication

    def __add__(self, other: Counts) -> Counts:
        summed = {f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        summed["categories"] = tuple(a + b for a, b in zip(self.categories, other.categories))
        return Counts(**summed)

    def category(self, code: str) -> int:
        """Entries published in one category, by its code."""
        return dict(zip((kind.code for kind in KINDS), self.categories))[code]

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.overdue


@dataclass(frozen=True)
class Lateness:
    count: int
    median: Fraction | None
    max: int | None

    @property
    def median_text(self) -> str:
        return "—" if self.median is None else number_text(self.median)


@dataclass(frozen=True)
class Row:
    code: str                 # a specialty code, or "total"
    name: str
    counts: Counts
    sampling: Rate
    discovery: Rate
    risk_share: Rate
    publication: Rate
    lateness: Lateness
    checks: Mapping[str, bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    period: Period
    today: date
    generated_at: str         # RFC 3339, when the data was read
    rows: tuple[Row, ...]     # one per specialty, in the order of SPECIALTIES
    total: Row

    @property
    def cutoff(self) -> date:
        return self.period.cutoff(self.today)


def drawn_counts(placed: Iterable[tuple[str, str]]) -> tuple[dict[str, int], int]:
    """Distinct drawn units per specialty and in all, from (unit, specialty) placements: a unit
    placed twice counts once under a specialty, and once in the total however many specialties."""
    by_specialty: dict[str, set[str]] = {}
    for unit, specialty in placed:
        by_specialty.setdefault(specialty, set()).add(unit)
    units = set().union(*by_specialty.values()) if by_specialty else set()
    return {code: len(found) for code, found in by_specialty.items()}, len(units)


def late_days_by_specialty(rows: Iterable[tuple[str, int | None]]) -> dict[str, tuple[int, ...]]:
    """Working days late per specialty, from (specialty, late days or None for unpublished)."""
    found: dict[str, list[int]] = {}
    for specialty, days in rows:
        if days is not None:
            found.setdefault(specialty, []).append(days)
    return {code: tuple(sorted(days)) for code, days in found.items()}


def counts_by_specialty(registry: Mapping[str, int], drawn: Mapping[str, int],
                        draws: Mapping[str, tuple[int, int]], entries: Mapping[str, Mapping[str, int]],
                        publications: Mapping[str, Mapping[str, int]],
                        late_days: Mapping[str, tuple[int, ...]]) -> dict[str, Counts]:
    """One Counts per specialty met anywhere, from what each query counted (entries and
    publications by Counts field name, entries' "categories" as {category code: n}; draws as
    (drawn tasks, of which with risk weights))."""
    codes = set(registry) | set(drawn) | set(draws) | set(entries) | set(publications)
    return {code: Counts(registry=registry.get(code, 0), drawn=drawn.get(code, 0),
                         draws=draws.get(code, (0, 0))[0], risk_draws=draws.get(code, (0, 0))[1],
                         late_days=late_days.get(code, ()), **_entry_fields(entries.get(code, {})),
                         **{k: v or 0 for k, v in publications.get(code, {}).items()})
            for code in codes}


def _entry_fields(figures: Mapping[str, Any]) -> dict[str, Any]:
    by_category = figures.get("categories") or {}
    return {**{k: v or 0 for k, v in figures.items() if k != "categories"},
            "categories": tuple(int(by_category.get(kind.code, 0)) for kind in KINDS)}


def median(values: Iterable[int]) -> Fraction | None:
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return Fraction(ordered[middle]) if len(ordered) % 2 else Fraction(ordered[middle - 1] + ordered[middle], 2)


def number_text(value: Fraction) -> str:
    """A median of whole days: '3' or '2.5' (always a whole or a half)."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator // 2}.5"


def row(code: str, name: str, counts: Counts) -> Row:
    sampling = Rate(counts.drawn, counts.registry)
    risk = Rate(counts.risk_draws, counts.draws)
    publication = Rate(counts.on_time, counts.due)
    late = counts.late_days
    return Row(code, name, counts, sampling, Rate(counts.problems, counts.inspected), risk, publication,
               Lateness(len(late), median(late), max(late) if late else None),
               {"sampling": sampling.meets(SAMPLING_TARGET), "risk_share": risk.meets(RISK_TARGET),
                "publication": publication.meets(PUBLICATION_TARGET)})


def populations(own: Mapping[str, int], tags: Iterable[tuple[str, str, int]]) -> dict[str, int]:
    """Units in each specialty's population: its own units, and units of other specialties tagged
    with its name (the draw's population rule, core.sampling.in_specialty)."""
    out = dict(own)
    for tag, specialty, units in tags:
        code = SPECIALTY_BY_NAME.get(tag)
        if code is not None and code != specialty:
            out[code] = out.get(code, 0) + units
    return out


def total(per_specialty: Mapping[str, Counts], drawn: int, draws: int, risk_draws: int,
          registry: int | None = None) -> Counts:
    """The sum over specialties, except what would count twice: a unit drawn by tasks of two
    specialties is one drawn unit, a joint task is one draw, and a unit in two specialties'
    populations is one unit of the registry."""
    summed = sum(per_specialty.values(), Counts())
    whole = replace(summed, drawn=drawn, draws=draws, risk_draws=risk_draws)
    return whole if registry is None else replace(whole, registry=registry)


def build(period: Period, today: date, generated_at: str, per_specialty: Mapping[str, Counts],
          drawn: int, draws: int, risk_draws: int, registry: int | None = None) -> Report:
    """The report: every specialty of SPECIALTIES (zeros where nothing happened), then the total."""
    rows = tuple(row(code, name, per_specialty.get(code, Counts())) for code, name in SPECIALTIES.items())
    whole = total({r.code: r.counts for r in rows}, drawn, draws, risk_draws, registry)
    return Report(period, today, generated_at, rows, row("total", "合计", whole))


def failed_checks(report: Report) -> list[str]:
    """The targets missed, in Chinese, for a short summary (total row first, then specialties)."""
    names = {"sampling": "抽查比例未达 3%", "risk_share": "按风险分类抽取占比未达 80%", "publication": "公示率未达 100%"}
    return [f"{r.name}：{names[key]}" for r in (report.total, *report.rows)
            for key, ok in r.checks.items() if ok is False]


# --- roll-up: a parent office's report is the sum of its offices' --------------------------------

@dataclass(frozen=True)
class Part:
    """One office's report inside a roll-up: its code and name beside the figures."""
    code: str
    name: str
    report: Report


def roll_up(period: Period, today: date, generated_at: str, parts: Iterable[Report]) -> Report:
    """The sum of several offices' reports of one period (a city's of its counties', a province's of
    its cities' and counties'): every count of every specialty row and of the total row is the sum
    of the parts' (each office's registry, units and entries are its own, so nothing counts twice
    across offices); every rate is recomputed from the summed numerator and denominator (row()),
    never averaged; the late publications' working days are pooled, so the median is the median of
    all of them. The total row sums the parts' totals, which already count a unit or a joint task
    once within each office."""
    reports = list(parts)
    for report in reports:
        if report.period != period:
            raise PeriodError(f"a part is the report of {report.period.label}, not {period.label}")
    by_code: dict[str, Counts] = {}
    for report in reports:
        for r in report.rows:
            by_code[r.code] = by_code.get(r.code, Counts()) + r.counts
    rows = tuple(row(code, name, by_code.get(code, Counts())) for code, name in SPECIALTIES.items())
    whole = sum((report.total.counts for report in reports), Counts())
    return Report(period, today, generated_at, rows, row("total", "合计", whole))
