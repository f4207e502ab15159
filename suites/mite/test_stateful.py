"""mite stateful checks: random sequences of customer writes, reads and list walks against a model."""
from apiconform.checks import stateful


def test_sequences(api):
    stateful.sequences(api)
