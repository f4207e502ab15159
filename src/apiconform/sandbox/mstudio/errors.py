"""mStudio's error bodies (spec components commons.Error and commons.ValidationErrors) and JSON answers.

The ``type`` values for refused tokens, lag and timeouts are undocumented (providers/mstudio.md
§3.4, §7): the sandbox's own, in the style of the spec's examples.
"""
from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

HEADERS = {"Server": "apiconform-sandbox"}


class ApiError(Exception):
    """Ends a request with ``status`` and a ``commons.Error`` (or ``ValidationErrors``) body."""

    def __init__(self, status: int, kind: str, message: str, problems: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status, self.kind, self.message, self.problems = status, kind, message, problems


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Access Token missing or invalid")


def forbidden(message: str = "permission denied") -> ApiError:
    return ApiError(403, "Forbidden", message)


def not_found(what: str) -> ApiError:
    return ApiError(404, "NotFound", f"{what} not found")


def invalid(problems: list[dict[str, str]]) -> ApiError:
    return ApiError(400, "ValidationError", "Validation failed", problems)


def json_response(data: Any, faults: frozenset[str], status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    media = "text/plain" if "json-content-type-text" in faults else "application/json"
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(content=body, status_code=status,
                    headers={**HEADERS, **(headers or {}), "Content-Type": f"{media}; charset=utf-8"})


def empty(status: int = 204, headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=status, headers={**HEADERS, **(headers or {})})


def error_response(error: ApiError, faults: frozenset[str]) -> Response:
    if error.problems is not None:
        problems = error.problems
        if "validation-path-empty" in faults:
            problems = [{**{k: v for k, v in p.items() if k != "context"}, "path": ""} for p in problems]
        body: dict[str, Any] = {"type": "ValidationError", "message": error.message, "validationErrors": problems}
    else:
        body = {"type": error.kind, "message": error.message}
    if "error-body-untyped" in faults:
        body = {"error": error.message}
    return json_response(body, faults, status=error.status)
