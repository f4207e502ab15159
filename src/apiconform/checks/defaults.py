"""Defaults (``[[defaults]]``): a create that leaves a field out stores the field's documented default.

The stored value is read back with a separate GET, never taken from the create's answer. A default of
``now = true`` is a time: it must lie within ``tolerance`` seconds (default 2) of the create answer's
``Date`` header, on both sides, so a target's clock decides and a default an hour off (a wall clock
labelled with the wrong offset) or a fixed date fails.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from apiconform.checks.common import create, discard, read_item, resource, sample
from apiconform.checks.expect import expect
from apiconform.checks.payloads import unique
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.verdict import HarnessError


def default_applied(api: Api, spec: dict[str, Any]) -> None:
    """Create ``spec["resource"]`` without ``spec["field"]``; the separate read carries the default."""
    clause, field = spec["clause"], spec["field"]
    api.verifies(clause)
    res = resource(api, spec["resource"])
    attrs = unique(res, {k: v for k, v in sample(api, res).items() if k != field})
    ident, _, ex = create(api, res, attrs)
    try:
        got = read_item(api, res, ident, clause).get(field)
        if spec.get("now"):
            _within(clause, field, got, _date(ex), float(spec.get("tolerance", 2)), ex)
        else:
            expect(got == spec["value"], clause, f"{res.name}: a record created without {field} stores {got!r}, "
                   "not the default", expected=spec["value"], actual=got)
    finally:
        if res.deletable:
            discard(api, res, ident)


def _date(ex: Exchange) -> datetime:
    """When the target answered the create, by its own clock (RFC 9110 Date, whole seconds)."""
    try:
        return parsedate_to_datetime(ex.headers["date"])
    except (KeyError, TypeError, ValueError):
        raise HarnessError(f"{ex.method} {ex.url}: no usable Date header to tell the target's time by") from None


def _within(clause: str, field: str, got: Any, date: datetime, tolerance: float, ex: Exchange) -> None:
    low, high = date - timedelta(seconds=tolerance), date + timedelta(seconds=1 + tolerance)
    try:
        moment = datetime.fromisoformat(str(got).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    ok = moment is not None and moment.tzinfo is not None and low <= moment < high
    expect(ok, clause, f"{field} defaulted to {got!r}, not the time of the create ({ex.headers.get('date')})", ex,
           expected=f"{low.isoformat()} to {high.isoformat()}", actual=got)
