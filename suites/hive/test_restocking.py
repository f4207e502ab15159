"""Hive restocking shipments (S5): a create is read back as sent and shipped; PUT replaces the whole record
(a field left out is gone on the next read) and is refused, changing nothing, once the status is neither
shipped nor created. The [replace] table names the resource, the replacement and the clauses."""
from apiconform.checks import replace


def test_put_replaces_the_whole_record(api):
    replace.replaces(api)


def test_put_refused_outside_shipped_or_created(api):
    replace.status_guarded(api)
