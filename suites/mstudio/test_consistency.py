"""mStudio event consistency: mutations answer etag: <event id>, reads never; if-event-reached reads one's
own write, and answers 412 for an event not reached in time; a read inside the lag gets 403 or 404."""
from apiconform.checks import consistency, eventual
from apiconform.checks.common import resource
from apiconform.checks.expect import expect


def test_no_event_id_on_reads(api):
    projects = eventual.listed(api, resource(api, "projects"), "mstudio.project.read")
    expect(len(projects) > 0, "mstudio.project.read", "no project to read")
    project = projects[0]["id"]
    consistency.no_event_on_reads(api, ["v2/users/self", "v2/users/self/sessions/current/status", "v2/projects",
                                        f"v2/projects/{project}", "v2/users/self/api-tokens",
                                        "v2/users/self/ssh-keys"])


def test_read_your_write(api):
    res = resource(api, "api_tokens")
    clause = consistency.clause(api, "read_your_write")
    with eventual.created(api, res, {"description": "apiconform read your write", "roles": ["api_read"]},
                          clause) as (ident, _):
        event = eventual.edit(api, res, ident, {"description": "apiconform read your write, edited"}, clause)
        consistency.read_your_write(api, f"{res.path}/{ident}", event)


def test_unreached_event_412(api):
    res = resource(api, "api_tokens")
    with eventual.created(api, res, {"description": "apiconform 412", "roles": ["api_read"]},
                          consistency.clause(api, "timeout")) as (ident, _):
        event = eventual.edit(api, res, ident, {"description": "apiconform 412"}, consistency.clause(api, "timeout"))
        consistency.unreached_event_412(api, "v2/users/self", event)


def test_read_inside_the_lag(api):
    res = resource(api, "api_tokens")
    clause = consistency.clause(api, "lag")
    with eventual.created(api, res, {"description": "apiconform lag", "roles": ["api_read"]},
                          clause) as (ident, _):
        event = eventual.edit(api, res, ident, {"description": "apiconform lag, edited"}, clause)
        consistency.lagging_read(api, f"{res.path}/{ident}", event)
