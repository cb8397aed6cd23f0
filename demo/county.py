"""A deterministic demo county for the demo seed (demo.seed) and the benchmarks.

``generate_county(seed, units, inspectors)`` returns the item list, the two
registries and an annual plan with one task per specialty present of the
fictional 云溪县 (临川市). It is pure: no I/O, no clock, no global random state;
the same arguments always give the same county. Its visits are not made here:
the seed draws every task through the live path (demo.draws), and the draws
place the visits.

Scope rule: a unit is in the population of its own specialty and of every
specialty whose Chinese name appears among its tags (a hospital tagged
"放射卫生" is also in the radiation registry), see ``unit_scopes``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from demo import words
from sync_server.registry.core import uscc
from schemas.specialties import SPECIALTIES, SPECIALTY_BY_NAME

YEAR = 2026
_RISK_CUTS = ((0.55, "A"), (0.85, "B"), (0.96, "C"), (1.01, "D"))
_COMPLAINT_ODDS = {"A": 0.06, "B": 0.14, "C": 0.3, "D": 0.5}
_SERIOUS_ODDS = {"A": 0.0, "B": 0.02, "C": 0.12, "D": 0.45}
_UNCOVERED_ODDS = 0.03
_SMALL_COUNTY = 10_000
_PERIODS = (("2026-03-16", "2026-10-30"), ("2026-04-01", "2026-11-30"),
            ("2026-04-15", "2026-10-30"), ("2026-05-06", "2026-11-30"))
_TASK_NAMES = {"public_places": "公共场所卫生", "medical": "医疗机构依法执业",
               "disinfection": "消毒产品卫生", "tcm": "中医医疗机构依法执业"}


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    address: str
    specialty: str
    category: str
    tags: tuple[str, ...]
    risk: str
    complaints: int
    serious_violations: int
    covered: bool
    contact: str
    phone: str
    town: str


@dataclass(frozen=True)
class Inspector:
    id: str
    name: str
    department: str
    specialties: tuple[str, ...]
    cert_valid_until: str
    role: str
    phone: str

    def valid_on(self, day: str) -> bool:
        """True if the enforcement certificate is valid on ISO date ``day``."""
        return self.cert_valid_until >= day


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    specialty: str
    legal_basis: str
    subject: str
    content: str
    method: str
    frequency: str
    applies_to: tuple[str, ...] = ()   # 适用范围: unit categories and tags; empty = all of the specialty


@dataclass(frozen=True)
class Task:
    id: str
    number: str
    title: str
    specialty: str
    item_codes: tuple[str, ...]
    ratio_percent: int
    team_size: int
    period_start: str
    period_end: str


@dataclass(frozen=True)
class Plan:
    year: int
    title: str
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class County:
    seed: int
    name: str
    units: tuple[Unit, ...]
    inspectors: tuple[Inspector, ...]
    items: tuple[Item, ...]
    plan: Plan
    demo_inspector_id: str
    demo_leader_id: str


@dataclass(frozen=True)
class _Spec:
    """How to make one unit: a category with name patterns and tag odds."""

    specialty: str
    category: str
    patterns: tuple[str, ...]
    kind: str
    tags: tuple[str, ...] = ()
    odds: tuple[tuple[str, float], ...] = ()
    town: str | None = None


def generate_county(seed: int = 2026, units: int = 3000, inspectors: int = 30) -> County:
    """The demo county for ``seed``; see the module docstring."""
    if units < 0 or inspectors < 2:
        raise ValueError("need units >= 0 and inspectors >= 2")
    registry = _make_units(_rng(seed, "units"), units)
    staff = _make_inspectors(_rng(seed, "inspectors"), inspectors)
    plan = _make_plan(registry)
    return County(seed=seed, name=f"{words.CITY}{words.COUNTY}", units=registry,
                  inspectors=staff, items=_make_items(plan), plan=plan,
                  demo_inspector_id=staff[0].id, demo_leader_id=staff[1].id)


def unit_scopes(unit: Unit) -> tuple[str, ...]:
    """The specialties whose population includes ``unit``: its own, then tagged ones."""
    tagged = (SPECIALTY_BY_NAME[t] for t in unit.tags if t in SPECIALTY_BY_NAME)
    return tuple(dict.fromkeys((unit.specialty, *tagged)))


def _rng(seed: int, stream: str) -> random.Random:
    # One independent stream per part, so more inspectors do not change the units.
    return random.Random(f"suijian-demo:{seed}:{stream}")


# ---- units ---------------------------------------------------------------

_URBAN = dict(words.TOWNS)
_TOWN_POOL = tuple(t for t, urban in words.TOWNS for _ in range(4 if urban else 1))
_CATEGORY_SPECS = tuple(_Spec(s, c, p, k, (), o) for s, c, _, k, p, o in words.CATEGORIES)
_CATEGORY_CUM = tuple(accumulate(row[2] for row in words.CATEGORIES))


def _anchor_specs() -> list[_Spec]:
    fixed = [_Spec(s, c, (n,), k, t, (), "城关镇") for s, c, n, k, t in words.FIXED_ANCHORS]
    per_town = [_Spec(s, c, (p,), k, t, (), town)
                for town, _ in words.TOWNS
                for s, c, p, k, t, streets, towns in words.TOWN_ANCHORS
                if (streets if town.endswith("街道") else towns)]
    return fixed + per_town


def _make_units(rng: random.Random, n: int) -> tuple[Unit, ...]:
    anchors = _anchor_specs()[:n]
    drawn = rng.choices(_CATEGORY_SPECS, cum_weights=_CATEGORY_CUM, k=n - len(anchors))
    ids: set[str] = set()
    names: dict[str, int] = {}
    tries = 8 if n <= _SMALL_COUNTY else 2  # a benchmark county exhausts the word lists
    return tuple(_make_unit(rng, spec, ids, names, tries, i < len(anchors))
                 for i, spec in enumerate(anchors + drawn))


def _make_unit(rng: random.Random, spec: _Spec, ids: set[str], names: dict[str, int],
               tries: int, anchor: bool) -> Unit:
    name, fill = _unique_name(rng, spec, names, tries)
    town = fill["town"]
    kind = "91" if spec.kind == "92" and "公司" in name else spec.kind
    risk = _risk(rng)
    complaints, serious = _complaints(rng, risk), _serious(rng, risk)
    covered = anchor or rng.random() >= _UNCOVERED_ODDS
    tags = _tags(rng, spec, town, kind, risk, complaints, serious, covered)
    return Unit(id=_new_uscc(rng, kind, ids), name=name, address=_address(rng, spec, fill),
                specialty=spec.specialty, category=spec.category, tags=tags, risk=risk,
                complaints=complaints, serious_violations=serious, covered=covered,
                contact=_person(rng), phone=_phone(rng), town=town)


def _unique_name(rng: random.Random, spec: _Spec, names: dict[str, int],
                 tries: int) -> tuple[str, _Fill]:
    """A name not used yet: redraw a few times, then number the branch (分店)."""
    for _ in range(tries):
        fill = _Fill(rng, spec.town or rng.choice(_TOWN_POOL))
        name = rng.choice(spec.patterns).format_map(fill)
        if name not in names:
            names[name] = 1
            return name, fill
    names[name] += 1
    return f"{name}（{names[name]}号店）", fill


class _Fill(dict[str, str]):
    """Pattern fields, each drawn from the word lists the first time it is used."""

    def __init__(self, rng: random.Random, town: str) -> None:
        super().__init__(county=words.COUNTY, city=words.CITY, town=town, stem=_stem(town))
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = _DRAWS[key](self.rng)
        self[key] = value
        return value


def _stem(town: str) -> str:
    return town.removesuffix("街道").removesuffix("镇").removesuffix("乡")


def _person(rng: random.Random) -> str:
    given = rng.choice(words.GIVEN_CHARS)
    if rng.random() < 0.7:
        given += rng.choice(words.GIVEN_CHARS)
    return rng.choice(words.SURNAMES) + given


_DRAWS: dict[str, Callable[[random.Random], str]] = {
    "trade": lambda r: r.choice(words.TRADE_WORDS),
    "surname": lambda r: r.choice(words.SURNAMES),
    "person": _person,
    "village": lambda r: r.choice(words.VILLAGE_STEMS) + "村",
    "estate": lambda r: r.choice(words.TRADE_WORDS) + r.choice(words.ESTATE_SUFFIXES),
}


def _address(rng: random.Random, spec: _Spec, fill: _Fill) -> str:
    town, urban = fill["town"], _URBAN[fill["town"]]
    if spec.specialty == "occupational" and urban and rng.random() < 0.7:
        road = rng.choice(words.INDUSTRIAL_ROADS)
        return f"{words.INDUSTRIAL_PARK}{road}{rng.randint(1, 199)}号"
    if "village" in fill:
        return f"{words.COUNTY}{town}{fill['village']}{rng.randint(1, 12)}组"
    road = rng.choice(words.URBAN_ROADS if urban else words.TOWN_STREETS)
    street = f"{words.COUNTY}{town}{road}{rng.randint(1, 399)}号"
    return street + fill["estate"] if "estate" in fill else street


def _phone(rng: random.Random) -> str:
    # A 0000 middle block: obviously fake, never a real subscriber number.
    return f"1{rng.choice('3589')}{rng.randrange(10)}-0000-{rng.randrange(10000):04d}"


def _risk(rng: random.Random) -> str:
    x = rng.random()
    return next(grade for cut, grade in _RISK_CUTS if x < cut)


def _complaints(rng: random.Random, risk: str) -> int:
    if rng.random() >= _COMPLAINT_ODDS[risk]:
        return 0
    n = 1
    while n < 6 and rng.random() < 0.3:
        n += 1
    return n


def _serious(rng: random.Random, risk: str) -> int:
    if rng.random() >= _SERIOUS_ODDS[risk]:
        return 0
    return 1 if rng.random() < 0.8 else 2


def _tags(rng: random.Random, spec: _Spec, town: str, kind: str, risk: str,
          complaints: int, serious: int, covered: bool) -> tuple[str, ...]:
    tags = [*spec.tags, *(tag for tag, p in spec.odds if rng.random() < p)]
    tags.append("城区" if _URBAN[town] else "乡镇")
    flags = ((kind == "92", "个体工商户"), (rng.random() < 0.04, "新开业"),
             (risk == "D", "重点监管"), (complaints > 0, "有投诉举报"),
             (serious > 0, "有严重违法记录"), (not covered, "法律未覆盖"))
    tags.extend(tag for on, tag in flags if on)
    return tuple(dict.fromkeys(tags))


def _new_uscc(rng: random.Random, kind: str, ids: set[str]) -> str:
    while True:
        code = uscc.make(kind[0], kind[1], words.DIVISION_CODE, _org_body(rng, kind))
        if code not in ids:
            ids.add(code)
            return code


def _org_body(rng: random.Random, kind: str) -> str:
    if kind == "12":
        return "4" + "".join(rng.choices("0123456789", k=7))
    if kind == "52":
        return "MJ" + "".join(rng.choices(uscc.CHARSET, k=6))
    if rng.random() < 0.7:  # codes issued since 2015 start with MA
        return "MA" + "".join(rng.choices(uscc.CHARSET, k=6))
    return "".join(rng.choices("0123456789", k=8))


# ---- inspectors ----------------------------------------------------------

def _make_inspectors(rng: random.Random, n: int) -> tuple[Inspector, ...]:
    names: set[str] = set()
    return tuple(_make_inspector(rng, slot, names) for slot in range(n))


def _roster_slot(slot: int) -> tuple[int, tuple[str, ...], str]:
    if slot < len(words.ROSTER):
        return words.ROSTER[slot]
    first = 6  # template inspectors after the demo inspector and the leaders
    return words.ROSTER[first + (slot - len(words.ROSTER)) % (len(words.ROSTER) - first)]


def _make_inspector(rng: random.Random, slot: int, names: set[str]) -> Inspector:
    dept, specialties, role = _roster_slot(slot)
    name = _person(rng)
    while name in names:
        name = _person(rng)
    names.add(name)
    issued = rng.randint(15, 25)  # two-digit year of issue
    valid = words.CERT_EXCEPTIONS.get(slot) or _iso(date(2027, 1, 1), rng.randrange(5 * 365))
    return Inspector(id=f"{words.DIVISION_CODE}{issued:02d}{slot + 1:04d}", name=name,
                     department=words.DEPARTMENTS[dept], specialties=specialties,
                     cert_valid_until=valid, role=role, phone=_phone(rng))


def _iso(start: date, days: int) -> str:
    return (start + timedelta(days=days)).isoformat()


# ---- item list and plan --------------------------------------------------

def _item_codes(specialty: str) -> tuple[str, ...]:
    prefix = words.ITEM_PREFIX[specialty]
    return tuple(f"{prefix}-{k:03d}" for k in range(1, len(words.ITEMS[specialty]) + 1))


def _make_items(plan: Plan) -> tuple[Item, ...]:
    return tuple(Item(code=code, name=row[0], specialty=task.specialty, legal_basis=row[1],
                      subject=words.HEALTH_BUREAU, content=row[2], method=row[3],
                      frequency=row[4], applies_to=words.APPLIES_TO.get((task.specialty, row[0]), ()))
                 for task in plan.tasks
                 for code, row in zip(task.item_codes, words.ITEMS[task.specialty]))


def _populations(units: tuple[Unit, ...]) -> dict[str, list[Unit]]:
    """Covered units by specialty scope, in the order of ``SPECIALTIES``."""
    found: dict[str, list[Unit]] = {code: [] for code in SPECIALTIES}
    for unit in units:
        if unit.covered:
            for code in unit_scopes(unit):
                found[code].append(unit)
    return {code: pop for code, pop in found.items() if pop}


def ratio_percent(population: int) -> int:
    """The sampling ratio for a population size (midpoints of DOMAIN.md's bands)."""
    bands = ((20, 50), (50, 35), (100, 25), (200, 12), (500, 8))
    return next((pct for limit, pct in bands if population <= limit), 4)


def _make_plan(units: tuple[Unit, ...]) -> Plan:
    tasks = tuple(_make_task(i, code, len(pop))
                  for i, (code, pop) in enumerate(_populations(units).items(), start=1))
    title = f"{words.HEALTH_BUREAU}{YEAR}年度“双随机、一公开”抽查工作计划"
    return Plan(year=YEAR, title=title, tasks=tasks)


def _make_task(index: int, specialty: str, population: int) -> Task:
    start, end = _PERIODS[(index - 1) % len(_PERIODS)]
    name = _TASK_NAMES.get(specialty, SPECIALTIES[specialty])
    return Task(id=f"T{YEAR}-{index:02d}", number=f"云溪卫〔{YEAR}〕随抽{index}号",
                title=f"{YEAR}年云溪县{name}“双随机、一公开”监督抽查",
                specialty=specialty, item_codes=_item_codes(specialty),
                ratio_percent=ratio_percent(population), team_size=2,
                period_start=start, period_end=end)
