"""Mitwirken writes: create, update and delete each answer 200 with a body; a deleted member is gone."""
from apiconform.checks import verbs

MEMBER = {"email": "apiconform.verbs@example.org", "first_name": "apiconform", "last_name": "verbs"}
CLAUSE = "mitwirken.verb.writes-200"


def test_create_answers_200_with_the_member(api):
    verbs.create_answers(api, "members", MEMBER, CLAUSE)


def test_update_answers_200_with_the_member(api):
    verbs.update_answers(api, "members", MEMBER, {"last_name": "changed"}, CLAUSE)


def test_delete_answers_200_with_the_marker(api):
    verbs.delete_answers(api, "members", MEMBER, CLAUSE, "mitwirken.status.404-unknown")
