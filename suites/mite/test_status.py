"""mite status codes: 400, 403 by role, 404 (and 404 instead of 403), 423 for locked entries.

200/201 are provoked by the read and write checks, 401 by the auth checks, 406 by the format
checks, 422 by the invalid payloads; every response is also held to the allowed-status table.
"""
import pytest

from apiconform.checks import access

ENTRY = {"minutes": 30, "note": "apiconform status"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_malformed_body_400(api, fmt):
    access.malformed_body_is_400(api, "services", fmt, "mite.status.400-malformed")


@pytest.mark.parametrize("res", ["customers", "projects", "services"])
def test_time_tracker_cannot_write_403(api, res):
    access.role_cannot_write(api, res, "time_tracker_api_key", {"name": "apiconform forbidden"},
                             "mite.status.403-role")


def test_time_tracker_cannot_list_users_403(api):
    access.role_cannot_read(api, "users", "time_tracker_api_key", "mite.status.403-users")


def test_other_users_entry_hidden_404(api):
    access.hidden_from_role(api, "time_entries", "time_tracker_api_key", ENTRY, "mite.status.404-hidden")


@pytest.mark.parametrize("res", ["customers", "services", "time_entries"])
def test_unknown_id_404(api, res):
    access.unknown_is_404(api, res, "mite.status.404-unknown")


def test_locked_entry_423(api):
    access.locked_refuses_changes(api, "time_entries", ENTRY, "mite.status.423-locked")
