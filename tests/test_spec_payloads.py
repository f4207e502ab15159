"""The payload generator on schemas extracted from an OpenAPI document: the keywords mStudio's need.

Every draw is validated inside ``valid_payloads``; these tests also show that the new keywords are
really exercised (both branches of a nullable, unique roles, date-times that pass format checking) and
that invalid payloads break exactly their constraint.
"""
from __future__ import annotations

import pytest

from apiconform.checks.generate import breaks_only, draw, invalid_payload, strategy, valid_payloads
from apiconform.contract.schemas import load_schema, problems

REQUESTS = ["api-token.create.json", "api-token.update.json", "ssh-key.create.json", "ssh-key.update.json"]


@pytest.mark.parametrize("name", REQUESTS)
def test_every_extracted_request_schema_generates_valid_payloads(name: str) -> None:
    schema = load_schema("mstudio", name)
    payloads = valid_payloads(schema, 10)
    assert len(payloads) == 10 and all(problems(p, schema) == [] for p in payloads)
    assert set(payloads[0]) == set(schema["properties"])  # the first covers every property


def test_roles_are_unique_non_empty_and_dates_pass_format_checking() -> None:
    schema = load_schema("mstudio", "api-token.create.json")
    payloads = valid_payloads(schema, 20)
    assert all(p["roles"] and len(set(p["roles"])) == len(p["roles"]) for p in payloads)
    dated = [p["expiresAt"] for p in payloads if "expiresAt" in p]
    assert dated and all(problems(d, {"type": "string", "format": "date-time"}) == [] for d in dated)
    assert problems("2030-13-01T00:00:00Z", {"type": "string", "format": "date-time"})  # format really checked


def test_nullable_and_one_of() -> None:
    nullable = {"type": ["string", "null"], "maxLength": 3}
    values = draw(strategy(nullable), 30)
    assert None in values and any(isinstance(v, str) for v in values)
    one_of = {"oneOf": [{"type": "integer", "minimum": 0, "maximum": 5}, {"type": "integer", "minimum": 3}]}
    drawn = draw(strategy(one_of), 30)
    assert drawn and all(problems(v, one_of) == [] for v in drawn)  # 3..5 match both: never drawn


@pytest.mark.parametrize("constraint", ["minItems:roles", "uniqueItems:roles", "required:roles",
                                        "type:description"])
def test_invalid_payloads_break_exactly_one_constraint(constraint: str) -> None:
    schema = load_schema("mstudio", "api-token.create.json")
    for base in valid_payloads(schema, 5):
        bad = invalid_payload(schema, base, constraint)
        assert breaks_only(schema, bad, constraint), (bad, problems(bad, schema))
