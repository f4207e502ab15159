"""mite's error messages, and the exception the handlers raise to answer with one."""

from __future__ import annotations

ACCESS_DENIED = "Access denied. Please check your credentials."
NOT_ALLOWED = "You are not allowed to perform this request."
RECORD_MISSING = "The record does not exist."
LOCKED = "This time entry is locked."
FORMAT_UNSUPPORTED = "The requested format is not supported. Please use JSON or XML instead."
CONTENT_TYPE_MISSING = "Please set the Content-Type header of your request."
NAME_REQUIRED = {
    "customers": "Please name your customer.",
    "projects": "Please name your project.",
    "services": "Please name your service.",
}


def uri_missing(path: str) -> str:
    return f"The URI {path} could not be found."


class ApiError(Exception):
    """Ends a request with `status` and an error body in the request's format.

    `fmt` forces the body's format (the 406 answer is always JSON, whatever was asked for).
    """

    def __init__(self, status: int, message: str, fmt: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fmt = fmt
