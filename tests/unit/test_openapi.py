"""The OpenAPI document stands on its own: valid by openapi-spec-validator with nothing to fetch,
every operation's 2xx body described, the contract files embedded with the same meaning."""
from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from openapi_spec_validator import validate

from schemas import contract
from schemas.errors import ContractError
from sync_server.web import openapi
from tests.support.records import ASSIGNMENT, record

METHODS = ("get", "put", "post", "delete", "patch")


def refs_in(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in refs_in(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs_in(v)]
    return []


def test_the_document_is_valid_on_its_own() -> None:
    doc = openapi.document()
    validate(doc)
    assert refs_in(doc) and all(r.startswith("#/components/schemas/") for r in refs_in(doc)), "nothing to fetch"
    json.dumps(doc, allow_nan=False)


def test_every_operation_describes_its_2xx_body_and_its_errors() -> None:
    for path, item in openapi.document()["paths"].items():
        for method in set(item) & set(METHODS):
            responses = item[method]["responses"]
            ok = [status for status in responses if status.startswith("2")]
            assert ok, f"{method.upper()} {path} has no 2xx reply"
            for status in ok:
                content = responses[status].get("content")
                assert content and all("schema" in media for media in content.values()), f"{method} {path} {status}"
            assert responses["default"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/error"}


def test_the_schema_routes_are_documented() -> None:
    route = openapi.document()["paths"]["/schemas/v1/{name}"]["get"]
    (name,) = route["parameters"]
    assert set(name["schema"]["enum"]) == {f"{n}.schema.json" for n in (*contract.NAMES, "common")}
    assert "application/schema+json" in route["responses"]["200"]["content"]


def _component(name: str) -> jsonschema.Validator:
    doc = openapi.document()
    return jsonschema.Draft202012Validator({**doc["components"]["schemas"][name], "components": doc["components"]})


@pytest.mark.parametrize("mutate", [
    lambda d: d.update(id="not-a-uuid"),
    lambda d: d["visit"].update(outcome="maybe"),
    lambda d: d["visit"]["location"].update(lat_e6=36.1),
    lambda d: d["findings"][0].update(photos=["abc"]),
    lambda d: d.update(extra="x"),
])
def test_an_embedded_contract_file_means_what_the_file_means(mutate) -> None:
    good = record(ASSIGNMENT, ["p1"])
    contract.validate("inspection-record", good)
    _component("inspection-record").validate(good)
    bad = copy.deepcopy(good)
    mutate(bad)
    with pytest.raises(ContractError):
        contract.validate("inspection-record", bad)
    assert not _component("inspection-record").is_valid(bad)

