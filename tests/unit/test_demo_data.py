"""The demo county: registries, item list and plan keep the domain's rules (its visits come from
the draws the seed makes through the live path: tests/integration/test_demo.py)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync_server.registry.core import uscc
from demo.county import County, generate_county, ratio_percent, unit_scopes
from schemas.specialties import DEFAULT_RISK_WEIGHTS, RISK_CLASSES, SPECIALTIES

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def county() -> County:
    return generate_county()


def test_unit_ids_are_valid_and_unique(county: County) -> None:
    ids = [u.id for u in county.units]
    assert len(ids) == 3000 == len(set(ids))
    assert all(uscc.is_valid(i) for i in ids)


def test_same_seed_same_county() -> None:
    assert generate_county(7, 400, 30) == generate_county(7, 400, 30)
    assert generate_county(7, 400, 30) != generate_county(8, 400, 30)


def test_more_inspectors_do_not_change_the_registry() -> None:
    assert generate_county(3, 300, 30).units == generate_county(3, 300, 45).units


def test_some_units_are_not_covered_by_law_and_say_so(county: County) -> None:
    uncovered = {u.id for u in county.units if not u.covered}
    assert 0.01 <= len(uncovered) / len(county.units) <= 0.06
    assert all("法律未覆盖" in u.tags for u in county.units if not u.covered)


def test_expired_certificates_exist(county: County) -> None:
    first_start = min(t.period_start for t in county.plan.tasks)
    expired = {i.id for i in county.inspectors if i.cert_valid_until < first_start}
    assert len(expired) >= 2


def test_demo_inspector_and_leader(county: County) -> None:
    staff = {i.id: i for i in county.inspectors}
    demo, leader = staff[county.demo_inspector_id], staff[county.demo_leader_id]
    assert county.inspectors[0] is demo and demo.role == "inspector"
    assert leader.role == "leader" and leader.department == demo.department


def test_about_one_leader_per_department(county: County) -> None:
    leaders = Counter(i.department for i in county.inspectors if i.role == "leader")
    departments = {i.department for i in county.inspectors}
    assert set(leaders) == departments and set(leaders.values()) == {1}


def test_inspector_fields(county: County) -> None:
    ids = [i.id for i in county.inspectors]
    assert len(ids) == 30 == len(set(ids))
    assert all(re.fullmatch(r"\d{10,14}", i) for i in ids)
    assert len({i.name for i in county.inspectors}) == 30
    for inspector in county.inspectors:
        assert 1 <= len(inspector.specialties) <= 3
        assert all(s in SPECIALTIES for s in inspector.specialties)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", inspector.cert_valid_until)
        assert inspector.department.endswith("科")


def test_specialty_spread(county: County) -> None:
    counts = Counter(u.specialty for u in county.units)
    assert len(counts) >= 8 and set(counts) <= set(SPECIALTIES)
    assert counts.most_common(1)[0][0] == "public_places"


def test_risk_is_skewed_and_complaints_are_rare(county: County) -> None:
    risks = Counter(u.risk for u in county.units)
    assert set(risks) == set(RISK_CLASSES) == set(DEFAULT_RISK_WEIGHTS)
    assert (risks["A"] + risks["B"]) / len(county.units) >= 0.75
    assert risks["D"] < risks["C"] < risks["B"] < risks["A"]
    assert sum(u.complaints == 0 for u in county.units) / len(county.units) >= 0.8
    assert sum(u.serious_violations == 0 for u in county.units) / len(county.units) >= 0.9


def test_unit_texts_look_real(county: County) -> None:
    names = {u.name for u in county.units}
    assert {"云溪县人民医院", "云溪县第二中学", "云溪县疾病预防控制中心"} <= names
    assert len(names) >= 0.99 * len(county.units)
    for unit in county.units:
        assert CJK.search(unit.name) and CJK.search(unit.contact) and unit.category
        assert unit.address.startswith("云溪县") and re.search(r"\d+(号|组)", unit.address)
        assert unit.town in unit.address or unit.address.startswith("云溪县工业园区")
        assert re.fullmatch(r"1\d{2}-0000-\d{4}", unit.phone)


def test_each_specialty_in_the_plan_has_six_to_ten_items(county: County) -> None:
    items = {i.code: i for i in county.items}
    assert len(items) == len(county.items)
    for task in county.plan.tasks:
        assert 6 <= len(task.item_codes) <= 10
        assert all(items[c].specialty == task.specialty for c in task.item_codes)
    for item in county.items:
        assert re.fullmatch(r"[A-Z]{2}-\d{3}", item.code)
        assert "《" in item.legal_basis and item.subject == "云溪县卫生健康局"
        assert item.content.endswith("。") and item.method and item.frequency


def test_plan_has_one_task_per_specialty_present(county: County) -> None:
    plan = county.plan
    present = {s for u in county.units if u.covered for s in unit_scopes(u)}
    assert plan.year == 2026 and "2026" in plan.title
    assert [t.specialty for t in plan.tasks] == [s for s in SPECIALTIES if s in present]
    for task in plan.tasks:
        assert re.fullmatch(r"云溪卫〔2026〕随抽\d+号", task.number)
        assert task.ratio_percent in {50, 35, 25, 12, 8, 4} and task.team_size == 2
        assert task.period_start < task.period_end


@pytest.mark.parametrize(
    ("population", "percent"),
    [(1, 50), (20, 50), (21, 35), (50, 35), (51, 25), (100, 25), (101, 12), (200, 12),
     (201, 8), (500, 8), (501, 4), (10_000, 4)],
)
def test_ratio_follows_the_population_bands(population: int, percent: int) -> None:
    assert ratio_percent(population) == percent


def test_tiny_counties() -> None:
    empty = generate_county(units=0)
    assert empty.units == () and empty.plan.tasks == ()
    with pytest.raises(ValueError):
        generate_county(inspectors=1)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), units=st.integers(0, 600), inspectors=st.integers(2, 60))
def test_rules_hold_for_any_seed_and_size(seed: int, units: int, inspectors: int) -> None:
    county = generate_county(seed, units, inspectors)
    assert len({u.id for u in county.units}) == units
    assert all(uscc.is_valid(u.id) for u in county.units)
    assert len(county.inspectors) == inspectors
    for task in county.plan.tasks:
        assert any(task.specialty in unit_scopes(u) for u in county.units if u.covered)
