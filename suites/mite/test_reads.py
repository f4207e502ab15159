"""mite reads: every resource answers 200 and matches its schema."""
from pathlib import Path

import pytest

from apiconform.areas import reads
from apiconform.contract import load_contract

CONTRACT = load_contract(Path(__file__).with_name("contract.toml"))


@pytest.mark.parametrize("res", list(CONTRACT.resources))
def test_read_matches_schema(api, res):
    reads.read_matches_schema(api, res, "mite.status.200-read")
