"""mStudio pagination: limit with skip or page walks every project once; skip wins over page; sort and order
sort the projects; the X-Pagination-* headers agree with the request and the items."""
from apiconform.checks import offset


def test_walk_with_skip(api):
    offset.walk_skip(api)


def test_walk_with_page(api):
    offset.walk_page(api)


def test_skip_wins_over_page(api):
    offset.skip_wins(api)


def test_sort_and_order(api):
    offset.sort_order(api)


def test_headers_agree(api):
    offset.headers_agree(api, ["v2/projects"])


def test_headers_on_every_list(api):
    offset.headers_on_lists(api, ["v2/users/self/api-tokens", "v2/users/self/ssh-keys"])
