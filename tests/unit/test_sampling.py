"""The population bands and sample sizes."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from sync_server.planning.core.sampling import SamplingError, band_for, in_specialty, sample_size, strata_for


@pytest.mark.parametrize("population,expected", [
    (1, 1), (20, 10), (21, 7), (50, 15), (51, 11), (100, 20), (101, 11), (200, 20),
    (201, 11), (500, 25), (501, 16), (3000, 90)])
def test_default_is_the_band_minimum_rounded_up(population: int, expected: int) -> None:
    assert sample_size(population, population)[0] == expected


def test_override_inside_the_band() -> None:
    assert sample_size(80, 80, 30) == (24, 30)
    with pytest.raises(SamplingError) as caught:
        sample_size(80, 80, 31)
    assert caught.value.code == "plan.ratio_outside_band" and "20%–30%" in caught.value.message_zh


def test_never_more_than_eligible() -> None:
    assert sample_size(20, 3) == (3, 50)
    assert sample_size(0, 0) == (0, 0)


@given(st.integers(1, 100_000))
def test_ratio_is_met_and_within_band(population: int) -> None:
    n, ratio = sample_size(population, population)
    band = band_for(population)
    assert ratio == band.low
    assert n * 100 >= population * ratio and (n - 1) * 100 < population * ratio


def test_tags_bring_units_into_a_population() -> None:
    assert in_specialty("medical", ("二级医院", "放射卫生"), "radiation")
    assert not in_specialty("medical", ("二级医院",), "radiation")


def test_strata_per_specialty() -> None:
    strata = strata_for(["public_places", "disinfection"], {"public_places": 1500, "disinfection": 70},
                        {"public_places": 1450, "disinfection": 70}, None)
    assert [(s.name, s.n) for s in strata] == [("公共场所", 45), ("消毒产品", 14)]


def test_preview_gives_band_suggestion_and_chosen_size() -> None:
    from sync_server.planning.core.sampling import preview_strata
    # 80 units → band 20–30%, suggested ceil(80×20%) = 16; at 25%: 20; 12 units → 50%: 6
    (big, small) = preview_strata(["public_places", "school"], {"public_places": 80, "school": 12},
                                  {"public_places": 79, "school": 12}, 25)
    assert (big.population, big.eligible, big.band_low, big.band_high, big.suggested_n, big.n) == (80, 79, 20, 30, 16, 20)
    assert (small.band_low, small.band_high, small.suggested_n, small.n) == (50, 50, 6, None)   # 25% is outside 50–50
    (empty,) = preview_strata(["tcm"], {}, {}, None)
    assert (empty.population, empty.suggested_n, empty.n) == (0, 0, 0)


def test_allowed_ratios_are_the_bands_overlap() -> None:
    from sync_server.planning.core.sampling import allowed_ratios
    assert allowed_ratios([80]) == (20, 30)
    assert allowed_ratios([80, 150]) is None          # 20–30% and 10–15% do not meet
    assert allowed_ratios([300, 1000, 0]) == (5, 5)   # 5–10% and 3–5% meet at 5%; an empty stratum has no band
    assert allowed_ratios([0]) is None
