"""mStudio stateful checks: random sequences of API-token writes, reads and token-list walks against a model,
every read waiting for the newest write's event."""
from apiconform.checks import stateful


def test_sequences(api):
    stateful.sequences(api)
