"""The specialty table (专业) and the credit-risk classes (信用风险分类).

Specialty codes are stable English identifiers used on the wire and in the
database; the Chinese names are what people read. The thirteen specialties are
the ones named in the county, district and city work plans (see DOMAIN.md).

Risk classes follow the four-grade credit-risk classification used for
differentiated random inspections: A is the best credit and lowest risk, D the
poorest credit and highest risk. Higher grades are drawn with higher weight.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

SPECIALTIES: dict[str, str] = {
    "public_places": "公共场所",
    "disinfection": "消毒产品",
    "medical": "医疗执业",
    "infectious": "传染病防治",
    "school": "学校卫生",
    "maternal": "妇幼健康",
    "radiation": "放射卫生",
    "secondary_water": "二次供水及涉水产品",
    "drinking_water": "饮用水卫生",
    "tcm": "中医药服务",
    "occupational": "职业卫生",
    "blood": "血液安全",
    "family_planning": "计划生育",
}

RISK_CLASSES: dict[str, str] = {
    "A": "信用好风险低",
    "B": "信用较好风险一般",
    "C": "信用较差风险较高",
    "D": "信用差风险高",
}

DEFAULT_RISK_WEIGHTS: dict[str, int] = {"A": 1, "B": 2, "C": 4, "D": 8}

# Reverse lookup: Chinese name -> code (names are unique).
SPECIALTY_BY_NAME: Mapping[str, str] = MappingProxyType(
    {name: code for code, name in SPECIALTIES.items()}
)


def is_specialty(code: object) -> bool:
    """True if ``code`` is one of the thirteen specialty codes."""
    return isinstance(code, str) and code in SPECIALTIES


def specialty_name(code: str) -> str:
    """The Chinese name of a specialty; KeyError for an unknown code."""
    return SPECIALTIES[code]
