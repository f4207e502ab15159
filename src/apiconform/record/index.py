"""A vcrpy cassette that finds a request's recorded interactions by a key, not by scanning them all.

vcrpy's ``Cassette._responses`` runs every configured matcher against every recorded interaction
for every request (twice: ``can_play_response_for``, then ``play_response``), so replaying a
check of n requests costs n² matcher runs, and its ``query`` matcher parses both query strings
each time. :class:`IndexedCassette` files each interaction, as it is appended (loading appends
too), under the values its matchers compare, and ``_responses`` looks at that one bucket, in
recorded order: the same interactions vcrpy's scan yields, found in O(1).

vcrpy has no public hook for how a cassette looks up its interactions (matchers compare one pair,
persisters only load and save), so this is a subclass, opened by ``cassettes.cassette`` through
``Cassette.use`` with the VCR's own merged configuration; vcrpy itself is unchanged.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import Any

from vcr import matchers
from vcr.cassette import Cassette
from vcr.record_mode import RecordMode
from vcr.request import Request

Key = Callable[[Request], Hashable]

MATCH_KEYS: dict[Callable[..., Any], Key] = {
    # The value each of vcrpy's matchers compares (vcr/matchers.py): equal keys <=> the matcher passes.
    matchers.method: lambda r: r.method,
    matchers.scheme: lambda r: r.scheme,
    matchers.host: lambda r: r.host,
    matchers.port: lambda r: r.port,
    matchers.path: lambda r: r.path or "/",  # RFC 3986 6.2.3, as the matcher normalises it
    matchers.query: lambda r: tuple(r.query),
}


def match_key(matcher: Callable[..., Any], key: Key) -> None:
    """Declare what a custom matcher compares, so cassettes that match on it stay indexed."""
    MATCH_KEYS[matcher] = key


class IndexedCassette(Cassette):
    """A vcrpy ``Cassette`` whose interactions are indexed by match key (module docstring).

    Only lookup changes: play counts, the order of repeated identical requests (the first
    unplayed in recorded order), ``allow_playback_repeats`` and the "not in the cassette" errors
    are vcrpy's. A matcher with no key in :data:`MATCH_KEYS` leaves the key coarser, and vcrpy's
    ``requests_match`` then confirms each candidate, so an unknown matcher is never skipped.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys = [MATCH_KEYS[m] for m in self._match_on if m in MATCH_KEYS]
        self._exact = len(self._keys) == len(self._match_on)
        self._index: dict[tuple[Hashable, ...], list[int]] = {}
        self._verbatim = False  # loading a replay cassette: its interactions are already in recorded form
        self._last: tuple[Any, Any] | None = None  # (live request, its recorded form): see _recorded_form

    def _key(self, request: Request) -> tuple[Hashable, ...]:
        return tuple(key(request) for key in self._keys)

    def _load(self) -> None:
        """vcrpy's load; in replay (record mode ``none``) without re-running the record hooks on each loaded
        interaction: they ran when it was recorded, and they are idempotent (base URLs already rewritten,
        secrets already scrubbed, and the scrubbing gate checked the file), so running them again on every
        load only deep-copied and re-scrubbed what was already in its recorded form."""
        self._verbatim = self.record_mode == "none"
        try:
            super()._load()
        finally:
            self._verbatim = False

    def append(self, request: Any, response: Any) -> None:
        """vcrpy's append (its record hooks may drop the interaction), then file what was added."""
        before = len(self.data)
        if self._verbatim:
            self.data.append((request, response))
        else:
            super().append(request, response)
        for position in range(before, len(self.data)):
            self._index.setdefault(self._key(self.data[position][0]), []).append(position)

    def _recorded_form(self, request: Any) -> Any:
        """The record hooks' form of ``request`` (a deep copy, rewritten and scrubbed), made once per request.

        For each request it plays, vcrpy's stub calls ``can_play_response_for`` and then ``play_response``
        with the same request object, which nothing changes in between; vcrpy ran the hooks three times
        (once more inside ``__contains__``, on the already-hooked copy)."""
        if self._last is None or self._last[0] is not request:
            self._last = (request, self._before_record_request(request))
        return self._last[1]

    def can_play_response_for(self, request: Any) -> bool:
        """vcrpy's test, on the memoised recorded form: hooked request, unplayed match, not recording over."""
        form = self._recorded_form(request)
        return bool(form and any(self.play_counts[i] == 0 or self.allow_playback_repeats
                                 for i, _ in self._matching(form))
                    and self.record_mode != RecordMode.ALL and (self.rewound or self.allow_playback_repeats))

    def _responses(self, request: Any) -> Iterator[tuple[int, Any]]:
        """Every recorded (position, response) matching ``request``, in recorded order, like vcrpy's scan."""
        return self._matching(self._recorded_form(request))

    def _matching(self, form: Any) -> Iterator[tuple[int, Any]]:
        for position in self._index.get(self._key(form), ()):
            stored, response = self.data[position]
            if self._exact or matchers.requests_match(form, stored, self._match_on):
                yield position, response
