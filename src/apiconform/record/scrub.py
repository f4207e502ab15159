"""Scrubbing of credentials, used as a gate rather than a filter.

Everything that leaves the process (cassettes, evidence and messages in reports) goes through
:meth:`Scrubber.text`. A cassette is then :meth:`Scrubber.scan`-ned for the secrets of the run in
all the encodings they could take on the wire before it is written: a hit is an error, and the
file is not kept.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, urlsplit

REDACTED = "REDACTED"

#: Shapes that look like a live credential whatever the provider; the contract adds its own
#: credential headers and parameters (see :class:`Scrubber`).
TOKEN_SHAPES = (r"Bearer [A-Za-z0-9_.-]{12,}", r"Basic [A-Za-z0-9+/=]{12,}")


class SecretLeak(Exception):
    """A secret, or something shaped like one, survived scrubbing."""


@dataclass(frozen=True)
class HandedOut:
    """A secret the API hands out (the contract's ``[[secrets]]``): the ``field`` of the JSON body that
    answers ``method`` on ``path`` (mStudio's created API token)."""

    name: str
    method: str
    path: str
    field: str


def stand_in(name: str) -> str:
    """What a secret the API hands out (``[[secrets]]`` ``name``) becomes once scrubbed."""
    return f"{REDACTED}-{name.replace(' ', '-')}"


class Scrubber:
    """Knows the run's secrets and the headers and parameters that carry credentials."""

    def __init__(self, secrets: Mapping[str, str], headers: Iterable[str] = (), params: Iterable[str] = (),
                 pairs: Iterable[tuple[str, str]] = (), shapes: Iterable[str] = (),
                 handed_out: Iterable[HandedOut] = ()) -> None:
        self.handed_out = tuple(handed_out)
        self.names: dict[str, str] = {}  # encoded form -> name of the secret it came from
        for name, value in secrets.items():
            if value and len(value) >= 4:
                for form in {value, quote(value, safe=""), quote_plus(value)}:
                    self.names[form] = name
        for user, password in pairs:
            if user and password:
                token = base64.b64encode(f"{user}:{password}".encode()).decode()
                self.names[token] = "basic credentials"
        self.headers = {h.lower() for h in headers} | {"authorization", "cookie", "set-cookie", "proxy-authorization"}
        # A contract's own credential shapes stand alone (word boundaries): `mit_…` is a key, while
        # `rate_limit_exceeded` merely contains the letters.
        found = [*TOKEN_SHAPES, *(rf"{re.escape(h)}: *[A-Za-z0-9]{{8,}}" for h in headers),
                 *(rf"{re.escape(p)}=[A-Za-z0-9]{{8,}}" for p in params), *(rf"\b(?:{s})\b" for s in shapes if s)]
        self.shapes = re.compile("|".join(f"(?:{shape})" for shape in found), re.IGNORECASE)
        self._stand_in: dict[str, str] = {}  # form -> what replaces it, where not plain REDACTED
        # Longest first, so a secret inside another's encoding is replaced whole.
        self._forms = sorted(self.names, key=len, reverse=True)

    def learn(self, name: str, value: str) -> None:
        """Scrub ``value`` from now on, in every form a credential takes on the wire. It becomes
        ``REDACTED-<name>``, so a replayed check that sends it tells it from the target's own credentials."""
        if value and len(value) >= 4 and not value.startswith(REDACTED):
            for form in {value, quote(value, safe=""), quote_plus(value)}:
                self.names[form] = name
                self._stand_in[form] = stand_in(name)
            self._forms = sorted(self.names, key=len, reverse=True)

    def learn_from(self, method: str, url: str, body: bytes | str | None) -> None:
        """Learn the secrets a response hands out (``handed_out``), before anything records or reports it."""
        path = urlsplit(url).path.rstrip("/")
        for rule in self.handed_out:
            if rule.method != method.upper() or not path.endswith(rule.path.rstrip("/")) or not body:
                continue
            try:
                data = json.loads(body)
            except ValueError:
                continue
            value = data.get(rule.field) if isinstance(data, dict) else None
            if isinstance(value, str):
                self.learn(rule.name, value)

    def text(self, value: str) -> str:
        for form in self._forms:
            if form in value:
                value = value.replace(form, self._stand_in.get(form, REDACTED))
        return value

    def blot(self, value: str) -> str:
        """``text``, and whatever is still shaped like a credential replaced too: for log lines, which vcrpy
        writes before the recorder's hook has learnt a secret the response hands out."""
        return self.shapes.sub(lambda m: m.group(0) if REDACTED in m.group(0) else REDACTED, self.text(value))

    def header_value(self, name: str, value: str) -> str:
        return REDACTED if name.lower() in self.headers else self.text(value)

    def scan(self, value: str) -> list[str]:
        """Names of the secrets (or token shapes) found in ``value``; never the values themselves."""
        hits = sorted({name for form, name in self.names.items() if form in value})
        for match in self.shapes.finditer(value):
            if REDACTED not in match.group(0):
                hits.append(f"token-shaped value {match.group(0)[:14]}...")
        return hits

    def gate(self, value: str, where: str) -> None:
        hits = self.scan(value)
        if hits:
            raise SecretLeak(f"{where}: credentials survived scrubbing: {', '.join(hits)}; nothing was written")
