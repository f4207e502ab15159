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

    def _key(self, request: Request) -> tuple[Hashable, ...]:
        return tuple(key(request) for key in self._keys)

    def append(self, request: Any, response: Any) -> None:
        """vcrpy's append (its record hooks may drop the interaction), then file what was added."""
        before = len(self.data)
        super().append(request, response)
        for position in range(before, len(self.data)):
            self._index.setdefault(self._key(self.data[position][0]), []).append(position)

    def _responses(self, request: Any) -> Iterator[tuple[int, Any]]:
        """Every recorded (position, response) matching ``request``, in recorded order, like vcrpy's scan."""
        request = self._before_record_request(request)
        for position in self._index.get(self._key(request), ()):
            stored, response = self.data[position]
            if self._exact or matchers.requests_match(request, stored, self._match_on):
                yield position, response
