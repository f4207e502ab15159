"""Hive's errors: every error body is ``{"success": false, "errors": [human-readable messages]}`` (seed 003).

Messages are the documented ones where the seed gives them ("authentication required", "bad
request", Rails-style "Name can't be blank"); the others (not found, too many requests) are the
sandbox's choice. Faults that only change how an answer looks are applied here, once.
"""
from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

AUTHENTICATION_REQUIRED = "authentication required"
BAD_REQUEST = "bad request"
NOT_FOUND = "not found"
TOO_MANY_REQUESTS = "too many requests"
BLANK = " can't be blank"  # the Rails message of a required field left out
HEADERS = {"Server": "apiconform-sandbox", "Strict-Transport-Security": "max-age=63072000; includeSubDomains"}


class ApiError(Exception):
    """Ends a request with ``status`` and these messages."""

    def __init__(self, status: int, *messages: str, about: str = "") -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.messages = list(messages)
        self.about = about  # the resource a validation error is about: the faults on blank fields pick by it


def json_response(data: Any, faults: frozenset[str], status: int = 200) -> Response:
    media = "text/html" if "json-content-type-html" in faults else "application/json"
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(content=body, status_code=status, headers={**HEADERS, "Content-Type": f"{media}; charset=utf-8"})


def error_response(error: ApiError, faults: frozenset[str]) -> Response:
    status, messages = error.status, error.messages
    blank = [m for m in messages if m.endswith(BLANK)]
    order = error.about == "orders"  # the order messages are assumed: a clause of their own
    if blank and not order and "blank-field-400" in faults:
        status = 400
    if blank and ("order-messages-not-rails" in faults if order else "blank-messages-not-rails" in faults):
        messages = [m.removesuffix(BLANK).lower().replace(" ", "_") + " is missing" if m in blank else m
                    for m in messages]
    body: dict[str, Any] = {"success": False, "errors": messages}
    if "error-body-message-string" in faults:
        body = {"success": False, "error": "; ".join(error.messages)}
    if "auth-error-message-changed" in faults and error.messages == [AUTHENTICATION_REQUIRED]:
        body = {"success": False, "errors": ["unauthorized"]}
    return json_response(body, faults, status=status)
