"""How many units a task draws: the population bands of the regime (DOMAIN.md, from 002).

    population   ratio band        default
    ≤ 20         50%               50%
    21–50        30–40%            30%
    51–100       20–30%            20%
    101–200      10–15%            10%
    201–500      5–10%             5%
    > 500        3–5%              3%

A task may set its ratio anywhere inside the band of each stratum's population; outside the
band is refused. n = ceil(population × ratio / 100), never more than the eligible units.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from schemas.specialties import SPECIALTIES


@dataclass(frozen=True)
class Band:
    up_to: int | None
    low: int
    high: int


BANDS = (Band(20, 50, 50), Band(50, 30, 40), Band(100, 20, 30), Band(200, 10, 15),
         Band(500, 5, 10), Band(None, 3, 5))


class SamplingError(ValueError):
    def __init__(self, code: str, message: str, message_zh: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.message_zh = code, message, message_zh


def band_for(population: int) -> Band:
    return next(b for b in BANDS if b.up_to is None or population <= b.up_to)


def sample_size(population: int, eligible: int, ratio_percent: int | None = None) -> tuple[int, int]:
    """(n, ratio used) for a stratum of `population` units of which `eligible` may be drawn."""
    if population <= 0:
        return 0, 0
    band = band_for(population)
    ratio = band.low if ratio_percent is None else ratio_percent
    if not band.low <= ratio <= band.high:
        raise SamplingError("plan.ratio_outside_band",
                            f"ratio {ratio}% is outside {band.low}–{band.high}% for {population} units",
                            f"抽查比例 {ratio}% 超出该规模（{population} 户）允许的 {band.low}%–{band.high}% 范围")
    return min(eligible, -(-population * ratio // 100)), ratio


def in_specialty(specialty: str, tags: Iterable[str], code: str) -> bool:
    """A unit belongs to a specialty's population by its own specialty or a tag naming it
    (a hospital tagged 放射卫生 is also a radiation-health unit)."""
    return specialty == code or SPECIALTIES.get(code) in set(tags)


@dataclass(frozen=True)
class Stratum:
    name: str
    specialty: str
    population: int
    eligible: int
    n: int
    ratio_percent: int

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "specialty": self.specialty, "population": self.population,
                "eligible": self.eligible, "n": self.n, "ratio_percent": self.ratio_percent}


def strata_for(specialties: Sequence[str], populations: Mapping[str, int], eligible: Mapping[str, int],
               ratio_percent: int | None) -> list[Stratum]:
    """One stratum per specialty of the task, in the task's order."""
    result = []
    for code in specialties:
        n, ratio = sample_size(populations.get(code, 0), eligible.get(code, 0), ratio_percent)
        result.append(Stratum(SPECIALTIES[code], code, populations.get(code, 0), eligible.get(code, 0), n, ratio))
    return result


@dataclass(frozen=True)
class StratumPreview:
    """One stratum before a task is saved: its population, the band, the size the band suggests
    (its lowest ratio) and the size at the ratio asked for (None when that ratio is refused)."""
    specialty: str
    name: str
    population: int
    eligible: int
    band_low: int
    band_high: int
    suggested_n: int
    n: int | None


def preview_strata(specialties: Sequence[str], populations: Mapping[str, int], eligible: Mapping[str, int],
                   ratio_percent: int | None) -> list[StratumPreview]:
    result = []
    for code in specialties:
        pop, free = populations.get(code, 0), eligible.get(code, 0)
        band = band_for(pop) if pop else Band(None, 0, 0)
        suggested = sample_size(pop, free)[0]
        try:
            n: int | None = sample_size(pop, free, ratio_percent)[0]
        except SamplingError:
            n = None
        result.append(StratumPreview(code, SPECIALTIES[code], pop, free, band.low, band.high, suggested, n))
    return result


def allowed_ratios(populations: Iterable[int]) -> tuple[int, int] | None:
    """The ratios every non-empty stratum's band admits (one ratio serves the whole task), or None
    when the bands do not overlap (a joint task must then keep each band's default)."""
    bands = [band_for(p) for p in populations if p > 0]
    if not bands:
        return None
    low, high = max(b.low for b in bands), min(b.high for b in bands)
    return (low, high) if low <= high else None
