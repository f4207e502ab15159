"""mite's tracker: start on an entry, see it running (in JSON and XML), stop it.

The tracker is mite-only, so its check lives here. Each answer is held to its status and to the
tracker's own shape before any field is read, so a server that answers ``null`` or ``{}`` fails
the tracker clause rather than breaking the harness.
"""
from typing import Any

from apiconform.checks import formats
from apiconform.checks.common import created
from apiconform.checks.expect import body_data, expect, expect_resource, expect_status
from apiconform.http.exchange import Exchange

CLAUSE = "mite.tracker.start-stop"


def _names(api, ex: Exchange, key: str, ident: int, what: str) -> None:
    """``ex`` is a 200 whose tracker names entry ``ident`` under ``key``; then it matches the schema."""
    expect_status(ex, 200, CLAUSE, what)
    data = body_data(ex, CLAUSE)
    tracker = data.get("tracker") if isinstance(data, dict) else None
    entry: Any = tracker.get(key) if isinstance(tracker, dict) else None
    expect(isinstance(entry, dict) and entry.get("id") == ident, CLAUSE, f"{what}: the tracker does not name "
           f"entry {ident} as {key}", ex, expected={"tracker": {key: {"id": ident}}}, actual=data)
    expect_resource(api.contract, ex, api.contract.resources["tracker"], api.contract.schema_clause)


def test_tracker_start_show_stop(api):
    api.verifies(CLAUSE, api.contract.schema_clause)
    entries = api.contract.resources["time_entries"]
    with created(api, entries, {"minutes": 5, "note": "apiconform tracker"}) as (ident, _):
        _names(api, api.patch(f"tracker/{ident}"), "tracking_time_entry", ident, "start the tracker")
        _names(api, api.get("tracker"), "tracking_time_entry", ident, "GET tracker while running")
        formats.same_data_in_every_format(api, "tracker", "mite.format.xml")  # the running tracker, not {}
        _names(api, api.delete(f"tracker/{ident}"), "stopped_time_entry", ident, "stop the tracker")
        idle = api.get("tracker")
        expect_status(idle, 200, CLAUSE, "GET tracker after the stop")
        expect(body_data(idle, CLAUSE) == {"tracker": {}}, CLAUSE, "the tracker still runs after the stop", idle,
               expected={"tracker": {}}, actual=idle.text[:200])
