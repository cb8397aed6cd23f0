"""The versioned JSON Schema files of `schemas/v1/`, compiled once, validated against.

`validate(name, document)` raises ContractError("schema.invalid") with the failing path.
Both the server and the field app call it; neither keeps a copy of the rules.
"""
from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Callable

import fastjsonschema

from schemas.errors import ContractError

VERSION = "v1"
BASE_URI = f"https://suijian.invalid/schemas/{VERSION}/"
NAMES = ("assignment", "checklist-item", "inspection-record", "photo", "review-decision", "reinspection",
         "lab-result", "receipt", "error", "push-batch", "enrollment")


def schema_path(name: str) -> Traversable:
    """The schema file, through importlib.resources: a plain path when the package is a folder (the
    server serves it as a file), an entry of the archive when the tablet runs the package zipped."""
    return resources.files("schemas") / VERSION / f"{name}.schema.json"


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads(schema_path(name).read_text(encoding="utf-8"))


def _resolve(uri: str) -> dict[str, Any]:
    if not uri.startswith(BASE_URI):
        raise ValueError(f"refusing to fetch a schema from outside the contract: {uri}")
    return load(uri[len(BASE_URI):].split("#")[0].removesuffix(".schema.json"))


@cache
def validator(name: str) -> Callable[[Any], Any]:
    return fastjsonschema.compile(load(name), handlers={"https": _resolve})


def validate(name: str, document: Any) -> None:
    try:
        validator(name)(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        where = _pointer(exc.name)
        rule = exc.message.replace(exc.name, where, 1)
        raise ContractError("schema.invalid", f"{name}: {rule}",
                            f"数据不符合规范（{name}）：字段 {where} 有误",
                            {"schema": name, "path": where, "rule": exc.rule}) from exc


def _pointer(name: str) -> str:
    """fastjsonschema's "data.findings[0].outcome" as a JSON pointer, "/findings/0/outcome"."""
    path = re.sub(r"\[(\d+)\]", r".\1", name.removeprefix("data"))
    return path.replace(".", "/") or "/"
