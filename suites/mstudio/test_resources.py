"""mStudio's user, SSH keys and projects: what the sandbox serves beyond tokens."""
from apiconform.checks import consistency, eventual
from apiconform.checks.common import resource
from apiconform.checks.expect import body_data, expect, expect_status

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIapiconform0lifecycle0key0 apiconform@crud"


def test_self_is_the_session_user(api):
    clause = "mstudio.user.self"
    api.verifies(clause)
    user = api.get("v2/users/self")
    expect_status(user, 200, clause, "GET v2/users/self")
    session = api.get("v2/users/self/sessions/current/status")
    expect_status(session, 200, clause, "GET the session status")
    mine, theirs = body_data(user, clause).get("userId"), body_data(session, clause).get("userId")
    expect(mine == theirs, clause, "the session's user is not v2/users/self", session, expected=mine, actual=theirs)


def test_ssh_key_lifecycle(api):
    clause = "mstudio.ssh.crud"
    api.verifies(clause)
    res = resource(api, "ssh_keys")
    ident, listed = eventual.create(api, res, {"publicKey": KEY}, clause)
    try:
        expect(listed.get("key") == KEY.split()[1], clause, "the listed key is not the one sent",
               expected=KEY.split()[1], actual=listed.get("key"))
        expect(eventual.read(api, res, ident, None, clause) == listed, clause, "the key reads otherwise than listed")
        change = {"comment": "apiconform edited"}
        event = eventual.edit(api, res, ident, change, clause)
        consistency.shows_write(api, f"{res.path}/{ident}", eventual.read(api, res, ident, event, clause), change,
                                clause, res.item_key)
    finally:
        ex = api.delete(f"{res.path}/{ident}")
    expect_status(ex, 204, clause, f"DELETE {res.path}/{ident}")
    eventual.gone(api, f"{res.path}/{ident}", consistency.mutation(api, ex), clause)


def test_listed_projects_read_back(api):
    clause = "mstudio.project.read"
    api.verifies(clause)
    ex = api.get("v2/projects")
    expect_status(ex, 200, clause, "GET v2/projects")
    projects = body_data(ex, clause)
    expect(isinstance(projects, list) and len(projects) > 0, clause, "no project to read", ex, actual=ex.text[:200])
    for listed in projects:  # every one: a target whose later items do not read back fails too
        one = api.get(f"v2/projects/{listed['id']}")
        expect_status(one, 200, clause, f"GET v2/projects/{listed['id']}")
        got = body_data(one, clause)
        expect((got.get("id"), got.get("shortId")) == (listed["id"], listed["shortId"]), clause,
               "the project reads otherwise than listed", one, expected=listed["id"], actual=got.get("id"))
