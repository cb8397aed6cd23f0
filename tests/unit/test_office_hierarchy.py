"""The platform's pure rules: what an office code names, where an office may sit, and the walk
below an office (sync_server/platform/core/hierarchy.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from sync_server.platform.core.hierarchy import Office, children, descendants, is_below, level_of_region, problem_with

PROVINCE = Office("370000", "山东省卫生健康委员会", "province")
CITY = Office("370100", "济南市卫生健康委员会", "city", parent="370000")
COUNTY = Office("370102", "历下区卫生健康局", "county", parent="370100")


@pytest.mark.parametrize("region, level", [("370000", "province"), ("370100", "city"), ("370102", "county"),
                                           ("110101", "county"), ("469000", "city")])
def test_the_codes_shape_names_its_level(region: str, level: str) -> None:
    assert level_of_region(region) == level


@pytest.mark.parametrize("new, parent", [
    (PROVINCE, None), (CITY, PROVINCE), (COUNTY, CITY),
    (Office("370102", "历下区", "county", parent="370000"), PROVINCE),                    # 省直管: below, skipping a level
    (Office("370102-jd", "历下区卫生健康综合监督执法大队", "county", "institute", "370102"), COUNTY),  # beside its commission
    (Office("370100-jd", "济南市卫生健康监督所", "city", "institute", "370100"), CITY),
])
def test_an_office_may_sit_here(new: Office, parent: Office | None) -> None:
    assert problem_with(new, parent) is None


@pytest.mark.parametrize("new, parent, code", [
    (Office("37010", "短代码", "county"), None, "office.bad_code"),
    (Office("370102-JD", "大写后缀", "county"), None, "office.bad_code"),
    (Office("370102", "x", "county"), None, "office.bad_name"),
    (Office("370102", "历下区", "city"), None, "office.bad_level"),                  # a county's code as a city
    (Office("370102", "历下区", "township"), None, "office.bad_level"),
    (Office("410102", "中原区", "county", parent="370100"), CITY, "office.outside_parent"),
    (Office("370202", "市南区", "county", parent="370100"), CITY, "office.outside_parent"),   # another city of the province
    (Office("370100", "济南市", "city", parent="370102"), COUNTY, "office.outside_parent"),
    (Office("370000-jd", "省监督所", "province", "institute", "370000"), Office("370000", "省", "province", "institute"),
     "office.bad_level"),                                                            # beside an institute: no
    (Office("370102-x", "历下区另一局", "county", "commission", "370102"), COUNTY, "office.bad_level"),   # same level
])
def test_an_office_may_not_sit_here(new: Office, parent: Office | None, code: str) -> None:
    found = problem_with(new, parent)
    assert found is not None and found[0] == code and found[2]   # with a message in Chinese


TREE = [PROVINCE, CITY, COUNTY, Office("370103", "市中区", "county", parent="370100"),
        Office("370102-jd", "历下区监督大队", "county", "institute", "370102"),
        Office("370200", "青岛市", "city", parent="370000"), Office("370202", "市南区", "county", parent="370200")]


def test_children_and_descendants_walk_the_tree() -> None:
    assert [o.code for o in children(TREE, "370000")] == ["370100", "370200"]
    assert [o.code for o in descendants(TREE, "370100")] == ["370102", "370102-jd", "370103"]
    assert [o.code for o in descendants(TREE, "370000")] == ["370100", "370102", "370102-jd", "370103", "370200",
                                                            "370202"]
    assert descendants(TREE, "370202") == []
    assert is_below(TREE, "370000", "370202") and is_below(TREE, "370100", "370102-jd")
    assert not is_below(TREE, "370100", "370202") and not is_below(TREE, "370102", "370100")
    assert not is_below(TREE, "370100", "370100")


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40))
def test_descendants_are_exactly_the_offices_whose_chain_of_parents_reaches_the_office(edges: list) -> None:
    """Any forest (a parent listed before it is used, as add_office requires): the walk finds each
    office once, exactly those whose parent chain passes through the start."""
    offices: dict[str, Office] = {"0": Office("0", "root", "province")}
    for child, parent in edges:
        code, up = str(child + 1), str(min(parent, child))
        if code not in offices and up in offices:
            offices[code] = Office(code, code, "county", parent=up)

    def chain(code: str) -> list[str]:
        found = []
        while offices[code].parent is not None:
            code = offices[code].parent   # type: ignore[assignment]
            found.append(code)
        return found

    for start in offices:
        walked = [o.code for o in descendants(offices.values(), start)]
        assert len(walked) == len(set(walked))
        assert set(walked) == {code for code in offices if start in chain(code)}
