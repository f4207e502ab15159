"""Hive webhooks: each documented event, triggered in the sandbox, reaches a receiver on loopback over
HTTPS, signed with x-hive-signature (hex HMAC-SHA256 of the raw body, keyed with the API token), and
carries the record it is about. Unsupported on a target that cannot be triggered."""
import pytest

from apiconform.checks import webhooks
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)


@pytest.mark.parametrize("event", sorted(CONTRACT.raw["webhooks"]["events"]))
def test_event_delivered_and_signed(api, event):
    webhooks.event_delivered(api, event)
