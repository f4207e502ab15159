"""mStudio event consistency: mutations answer etag: <event id>, reads never; if-event-reached reads one's
own write, and answers 412 for an event not reached in time; a read inside the lag gets 403 or 404."""
from collections.abc import Iterator
from contextlib import contextmanager

from apiconform.checks import consistency, eventual
from apiconform.checks.common import resource
from apiconform.checks.expect import expect


@contextmanager
def _edited_token(api, clause: str, description: str, edited: str) -> Iterator[tuple[str, str]]:
    """A read-only token created with ``description`` and edited to ``edited`` (both under ``clause``): its path
    and the edit's event id; deleted afterwards."""
    res = resource(api, "api_tokens")
    with eventual.created(api, res, {"description": description, "roles": ["api_read"]}, clause) as (ident, _):
        yield f"{res.path}/{ident}", eventual.edit(api, res, ident, {"description": edited}, clause)


def test_no_event_id_on_reads(api):
    projects = eventual.listed(api, resource(api, "projects"), "mstudio.project.read")
    expect(len(projects) > 0, "mstudio.project.read", "no project to read")
    project = projects[0]["id"]
    consistency.no_event_on_reads(api, ["v2/users/self", "v2/users/self/sessions/current/status", "v2/projects",
                                        f"v2/projects/{project}", "v2/users/self/api-tokens",
                                        "v2/users/self/ssh-keys"])


def test_read_your_write(api):
    edited = "apiconform read your write, edited"
    with _edited_token(api, consistency.clause(api, "read_your_write"), "apiconform read your write",
                       edited) as (path, event):
        consistency.read_your_write(api, path, event, {"description": edited}, "mstudio.token.edit")


def test_unreached_event_412(api):
    with _edited_token(api, consistency.clause(api, "timeout"), "apiconform 412", "apiconform 412") as (_, event):
        consistency.unreached_event_412(api, "v2/users/self", event)


def test_read_inside_the_lag(api):
    clause = consistency.clause(api, "lag")
    edited = "apiconform lag, edited"
    with _edited_token(api, clause, "apiconform lag", edited) as (path, event):
        consistency.lagging_read(api, path, event, {"description": edited}, "mstudio.token.edit")
