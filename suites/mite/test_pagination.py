"""mite pagination: limit/page walks, no limit returns all, [] past the end, sorted by name."""
import pytest

from apiconform.checks import pagination
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)

RESOURCES = ["customers", "services"]


@pytest.mark.parametrize("res", RESOURCES)
def test_walk_pages(api, res):
    pagination.walk_yields_each_once(api, res, "mite.page.walk")


@pytest.mark.parametrize("res", RESOURCES)
def test_default_returns_all(api, res):
    pagination.default_returns_all(api, res, "mite.page.default-all")


def test_page_beyond_end_empty(api):
    pagination.beyond_end_is_empty(api, "services", "mite.page.beyond-end")


@pytest.mark.parametrize("res", ["customers", "projects", "services"])
def test_sorted_by_name(api, res):
    pagination.sorted_by_name(api, res, "mite.page.sorted")


@pytest.mark.parametrize("res", ["customers", "projects", "services"])
def test_archived_listed_apart(api, res):
    pagination.archived_apart(api, res, "mite.page.archived")


@pytest.mark.parametrize("spec", CONTRACT.list_filters, ids=lambda f: f"{f.resource}-{f.param}")
def test_filter_narrows_list(api, spec):
    pagination.filter_narrows(api, spec)
