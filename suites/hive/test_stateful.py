"""Hive stateful checks: random sequences of SKU writes (soft deletes, revivals, bulk upserts), reads and list
walks against a model."""
from apiconform.checks import stateful


def test_sequences(api):
    stateful.sequences(api)
