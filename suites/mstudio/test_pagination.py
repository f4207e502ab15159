"""mStudio pagination: limit with skip or page walks every project once; skip wins over page; the
X-Pagination-* headers agree with the request and the items."""
from apiconform.checks import offset


def test_walk_with_skip(api):
    offset.walk_skip(api)


def test_walk_with_page(api):
    offset.walk_page(api)


def test_skip_wins_over_page(api):
    offset.skip_wins(api)


def test_headers_agree(api):
    offset.headers_agree(api, ["v2/projects"])
