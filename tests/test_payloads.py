"""Payload generation from our schemas: valid outputs validate, invalid ones break one constraint.

hypothesis-jsonschema 0.23.1 (its last release) fails with Hypothesis >= 6.170.6, so we
generate from the schema subset ourselves; see docs/payloads.md.
"""
from __future__ import annotations

import pytest

from apiconform.checks.generate import SchemaNotSupported, breaks_only, invalid_payload, strategy, valid_payloads
from apiconform.contract.model import load_contract
from apiconform.contract.schemas import load_schema, problems
from apiconform.paths import contract_path

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
    with pytest.raises(SchemaNotSupported, match="patternProperties"):
        strategy({"type": "object", "patternProperties": {}})


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize("res", CREATE, ids=lambda r: r.name)
def test_every_optional_property_is_sent_with_a_value_other_than_its_default(res, n):
    """A server that drops a field on create stores its default; only another value can catch it."""
    schema = load_schema("mite", res.create_schema)
    examples = valid_payloads(schema, n)
    assert len(examples) == n
    for name, sub in schema["properties"].items():
        sent = [e[name] for e in examples if name in e]
        assert sent, f"no payload sends {name}"
        default = sub["default"] if "default" in sub else next(v for v in ("", 0, False) if type(v) is type(sent[0]))
        assert [v for v in sent if v != default], f"no payload sends {name} with a value other than {default!r}"


def test_a_declared_default_is_avoided():
    schema = {"type": "object", "properties": {"flag": {"type": "boolean", "default": True},
                                               "kind": {"enum": ["a", "b"], "default": "a"}}}
    (example,) = valid_payloads(schema, 1)
    assert example == {"flag": False, "kind": "b"}


def test_a_payload_check_sends_at_least_one_payload():
    with pytest.raises(ValueError, match="at least one"):
        valid_payloads(load_schema("mite", "customer.create.json"), 0)
