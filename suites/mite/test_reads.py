"""mite reads: every resource answers 200 and matches its schema."""
import pytest

from apiconform.checks import reads
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)


@pytest.mark.parametrize("res", list(CONTRACT.resources))
def test_read_matches_schema(api, res):
    reads.read_matches_schema(api, res, "mite.status.200-read")
