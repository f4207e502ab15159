"""Mitwirken's typed errors, {"statusCode", "name", "message"}, and its JSON responses.

Messages are M3's (providers/mitwirken.md §4) where it gives one; the body shape is the Resend
template's, an assumption. Faults that only change how an answer looks are applied here, once.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

MISSING_API_KEY = "Missing API key in the authorization header."
RESTRICTED_API_KEY = "This API key is restricted to only get members."
INVALID_API_KEY = "API key is invalid."
ENDPOINT_MISSING = "The requested endpoint does not exist."
METHOD_NOT_ALLOWED = "Method is not allowed for the requested path."  # the template's 405 (dossier open question 4)
MEMBER_MISSING = "Member not found."
MISSING_FIELDS = "The request body is missing one or more required fields: {}."  # M3: "the list of missing fields"
MISSING_FIELDS_UNNAMED = "The request body is missing one or more required fields."  # M3's message, no list
NOT_JSON = "The request body is not valid JSON."
RATE_LIMIT_EXCEEDED = ("Too many requests. Please limit the number of requests per second. Or contact support to "
                       "increase rate limit.")  # the template's rate_limit_exceeded (dossier §4, R2)
HEADERS = {"Server": "apiconform-sandbox", "Strict-Transport-Security": "max-age=63072000; includeSubDomains"}


class ApiError(Exception):
    """Ends a request with ``status`` and an error body of type ``name``."""

    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.message = message


def missing_api_key() -> ApiError:
    return ApiError(401, "missing_api_key", MISSING_API_KEY)


def invalid_api_key() -> ApiError:
    return ApiError(403, "validation_error", INVALID_API_KEY)  # M3 lists 403 as a validation_error


def restricted_api_key() -> ApiError:
    return ApiError(401, "restricted_api_key", RESTRICTED_API_KEY)


def endpoint_missing() -> ApiError:
    return ApiError(404, "not_found", ENDPOINT_MISSING)


def method_not_allowed() -> ApiError:
    return ApiError(405, "method_not_allowed", METHOD_NOT_ALLOWED)


def rate_limit_exceeded() -> ApiError:
    return ApiError(429, "rate_limit_exceeded", RATE_LIMIT_EXCEEDED)


def invalid(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def json_response(data: Any, faults: frozenset[str], status: int = 200) -> Response:
    media = "text/plain" if "json-content-type-text" in faults else "application/json"
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(content=body, status_code=status, headers={**HEADERS, "Content-Type": f"{media}; charset=utf-8"})


def empty_response() -> Response:
    return Response(content=b"", status_code=200, headers=HEADERS)


def error_response(error: ApiError, faults: frozenset[str]) -> Response:
    name = "validation_error" if error.status == 404 and "not-found-named-validation" in faults else error.name
    body: dict[str, Any] = {"statusCode": error.status, "name": name, "message": error.message}
    if "error-body-untyped" in faults:
        body = {"error": error.message}
    return json_response(body, faults, status=error.status)
