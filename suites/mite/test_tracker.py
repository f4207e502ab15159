"""mite's tracker: start on an entry, see it running, stop it (mite-specific, so it lives here)."""
from apiconform.areas.common import created
from apiconform.checks import body_data, expect, expect_resource, expect_status

CLAUSE = "mite.tracker.start-stop"


def test_tracker_start_show_stop(api):
    api.verifies(CLAUSE, api.contract.schema_clause)
    entries, tracker = api.contract.resources["time_entries"], api.contract.resources["tracker"]
    with created(api, entries, {"minutes": 5, "note": "apiconform tracker"}) as (ident, _):
        started = api.patch(f"tracker/{ident}")
        expect_status(started, 200, CLAUSE, "start the tracker")
        running = expect_resource(api.contract, started, tracker, api.contract.schema_clause)
        expect((running.get("tracking_time_entry") or {}).get("id") == ident, CLAUSE,
               "the started tracker does not track the entry", started)
        shown = expect_resource(api.contract, api.get("tracker"), tracker, api.contract.schema_clause)
        expect((shown.get("tracking_time_entry") or {}).get("id") == ident, CLAUSE, "GET tracker does not show it")
        stopped = api.delete(f"tracker/{ident}")
        expect_status(stopped, 200, CLAUSE, "stop the tracker")
        body = expect_resource(api.contract, stopped, tracker, api.contract.schema_clause)
        expect((body.get("stopped_time_entry") or {}).get("id") == ident, CLAUSE,
               "the stop answer does not name the stopped entry", stopped, actual=body_data(stopped, CLAUSE))
