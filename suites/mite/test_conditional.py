"""mite conditional requests: weak ETags, If-None-Match -> 304, new ETag after a change."""
from apiconform.checks import conditional


def test_etags_weak(api):
    conditional.etags_are_weak(api, "services", "mite.cond.etag")


def test_if_none_match_304(api):
    conditional.not_modified(api, "mite.cond.304")


def test_etag_changes_after_update(api):
    conditional.changed_after_update(api, "services", {"name": "apiconform etag"}, {"note": "changed"},
                                     "mite.cond.changed")
