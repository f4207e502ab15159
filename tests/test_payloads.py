"""Payload generation from our schemas: valid outputs validate, invalid ones break one constraint.

hypothesis-jsonschema 0.23.1 (its last release) fails with Hypothesis >= 6.170.6, so we
generate from the schema subset ourselves; see docs/payloads.md.
"""
from __future__ import annotations

import pytest

from apiconform.contract import load_contract
from apiconform.paths import contract_path
from apiconform.payloads import SchemaNotSupported, breaks_only, invalid_payload, strategy, valid_payloads
from apiconform.schemas import load_schema, problems

CONTRACT = load_contract(contract_path("mite"))
CREATE = [r for r in CONTRACT.resources.values() if r.create_schema]


@pytest.mark.parametrize("res", CREATE, ids=lambda r: r.name)
def test_valid_payloads_validate(res):
    schema = load_schema("mite", res.create_schema)
    examples = valid_payloads(schema, 25)
    assert len(examples) == 25
    assert all(problems(e, schema) == [] for e in examples)
    assert len({repr(e) for e in examples}) > 5  # not one example repeated


@pytest.mark.parametrize("spec", CONTRACT.invalid_payloads, ids=lambda s: f"{s.resource}-{s.constraint}")
def test_invalid_payloads_break_exactly_one_constraint(spec):
    schema = load_schema("mite", CONTRACT.resources[spec.resource].create_schema)
    for base in valid_payloads(schema, 10):
        bad = invalid_payload(schema, base, spec.constraint)
        assert breaks_only(schema, bad, spec.constraint)
        assert len(problems(bad, schema)) == 1


def test_generation_is_deterministic():
    schema = load_schema("mite", "customer.create.json")
    assert valid_payloads(schema, 5) == valid_payloads(schema, 5)


def test_unsupported_keywords_are_refused():
    with pytest.raises(SchemaNotSupported, match="oneOf"):
        strategy({"type": "object", "oneOf": []})
