"""The data-driven tables Hive brought ([webhooks], [upsert], [soft_delete], [[range_filters]], page-number
[pagination]) are cross-checked at load: a broken one is a ContractError naming the file and the field."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from apiconform.contract.model import ContractError, load_contract
from apiconform.paths import contract_path

ORIGINAL = contract_path("hive").read_text(encoding="utf-8")


def _broken(tmp_path: Path, change: Callable[[str], str]) -> Path:
    path = tmp_path / "contract.toml"
    text = change(ORIGINAL)
    assert text != ORIGINAL
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("change,fragment", [
    (lambda t: t.replace('algorithm = "hmac-sha256-hex"', 'algorithm = "md5"'), "[webhooks] algorithm 'md5'"),
    (lambda t: t.replace('key = "api_key"                 #', 'key = "token"                 #'),
     "[webhooks] key names no credential"),
    (lambda t: t.replace('signature = "hive.webhook.signature", ', ''), "[webhooks.clauses] lacks required field"),
    (lambda t: re.sub(r'trigger = "apiconform/events/return_status_updated"\n', '', t),
     "[webhooks.events.return_status_updated] lacks required field 'trigger'"),
    (lambda t: t.replace('omitted = "hive.upsert.null-on-omit"', 'omitted = "hive.upsert.nope"'),
     "no clause 'hive.upsert.nope'"),
    (lambda t: t.replace('clause = "hive.verb.soft-delete"', 'clause = "hive.verb.gone"'),
     "no clause 'hive.verb.gone'"),
    (lambda t: t.replace('clause = "hive.page.filters"', 'clause = "hive.page.nope"'), "no clause 'hive.page.nope'"),
    (lambda t: t.replace('item_count = "hive.page.item-count"', 'item_count = "hive.page.count"'),
     "no clause 'hive.page.count'"),
], ids=["algorithm", "key", "clause-missing", "trigger-missing", "upsert-clause", "soft-delete-clause",
        "range-clause", "page-clause"])
def test_broken_tables_are_refused_naming_the_field(tmp_path, change, fragment):
    path = _broken(tmp_path, change)
    with pytest.raises(ContractError) as exc:
        load_contract(path)
    assert str(path) in str(exc.value) and fragment in str(exc.value)


def test_the_committed_contract_loads():
    contract = load_contract(contract_path("hive"))
    assert contract.rate_limit is not None and contract.rate_limit.headers["used"] == "X-Rate-Limit-Used"
    assert contract.resources["skus"].unique == ("merchant_sku_id",)
