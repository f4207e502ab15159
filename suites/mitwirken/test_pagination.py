"""Mitwirken pagination (assumed, after the Resend template): limit/after/before cursors, has_more."""
from apiconform.checks import cursor


def test_walk_after(api):
    cursor.walk_after(api, "members", "mitwirken.page.walk")


def test_walk_before(api):
    cursor.walk_before(api, "members", "mitwirken.page.before")


def test_after_and_before_refused(api):
    cursor.after_and_before_refused(api, "members", "mitwirken.page.exclusive")


def test_limit_bounds(api):
    cursor.limit_bounds(api, "members", "mitwirken.page.limit")


def test_default_limit(api):
    cursor.default_limit(api, "members", "mitwirken.page.limit")
