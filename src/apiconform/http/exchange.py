"""One request and its response, as evidence and as the thing checks look at."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from apiconform import xmlfmt
from apiconform.record.scrub import Scrubber

BODY_LIMIT = 4000


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int
    headers: httpx.Headers
    body: bytes
    fmt: str  # the format the request asked for: json, xml, or the unsupported suffix
    genuine_auth: str = ""  # clause of the auth variant, when it carried the target's valid credentials
    # When the answer arrived: a violation's evidence is the last exchange before it was raised, never the
    # cleanup that ran while the check unwound (``ContractViolation.at``).
    at: int = field(default_factory=time.monotonic_ns, repr=False, compare=False)
    _data: Any = field(default=None, repr=False)
    _parsed: bool = field(default=False, repr=False)

    @classmethod
    def from_response(cls, response: httpx.Response, fmt: str) -> Exchange:
        request = response.request
        try:
            req_body = request.content.decode("utf-8", "replace")
        except httpx.RequestNotRead:
            req_body = ""
        return cls(
            method=request.method,
            url=str(request.url),
            request_headers=dict(request.headers),
            request_body=req_body,
            status=response.status_code,
            headers=response.headers,
            body=response.content,
            fmt=fmt,
        )

    def __repr__(self) -> str:
        """Method, path and status only: headers and query strings carry credentials, and a traceback is no report."""
        return f"Exchange({self.method} {self.url.split('?')[0]} -> {self.status})"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def media_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def data(self) -> Any:
        """The body decoded by its declared media type: JSON as is, XML as (root, data).

        Raises ``ValueError`` when the body does not parse as what it claims to be.
        """
        if not self._parsed:
            if self.media_type.endswith("json"):
                self._data = json.loads(self.body)
            elif self.media_type.endswith("xml"):
                self._data = xmlfmt.loads(self.text)
            else:
                raise ValueError(f"body is {self.media_type or 'untyped'}, neither JSON nor XML")
            self._parsed = True
        return self._data

    def evidence(self, scrubber: Scrubber) -> dict[str, Any]:
        """A scrubbed, size-bounded rendering for reports."""
        return {
            "request": {
                "method": self.method,
                "url": scrubber.text(self.url),
                "headers": {k: scrubber.header_value(k, v) for k, v in self.request_headers.items()},
                "body": scrubber.text(self.request_body[:BODY_LIMIT]),
            },
            "response": {
                "status": self.status,
                "headers": {k: scrubber.header_value(k, v) for k, v in self.headers.items()},
                "body": scrubber.text(self.text[:BODY_LIMIT]),
            },
        }
