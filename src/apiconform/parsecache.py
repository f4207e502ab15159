"""What a run derives from a file's bytes alone, kept by the bytes' digest so the next reader skips the work.

Two derivations are pure functions of a file's content and cost most of a replay's set-up: a
cassette's YAML parse (PyYAML builds its objects in Python, even over libyaml) and a schema's
check against the draft 2020-12 meta-schema. ``apiconform run`` does both in its preflight and
then again in pytest, and every later run does them all over. Here each result is stored under
``sha256(kind, library version, bytes)`` in the per-user cache (``$XDG_CACHE_HOME/apiconform/
parsed``; ``APICONFORM_PARSE_CACHE=off`` turns it off). A changed file has another digest, so a
stale entry is never read; an entry that cannot be read back whole is ignored and written again.

The checks that follow a parse (a cassette's shape, a schema's sanity) still run on every read:
only the derivation from bytes is kept, never a verdict about what the bytes mean.
"""
from __future__ import annotations

import functools
import hashlib
import marshal
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apiconform.paths import user_cache_dir

OFF = "off"


def cached_yaml(raw: bytes) -> Any:
    """The data of a YAML document (PyYAML's safe loader, libyaml's parser when built with it).

    Raises what PyYAML raises (``yaml.YAMLError``) and ``UnicodeDecodeError``, as parsing would.
    """
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    key = _key(f"yaml {yaml.__version__} {loader.__name__}", raw)
    hit = _read(key)
    if hit is not _MISS:
        return hit
    text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text() gives it
    data = yaml.load(text, Loader=loader)
    _write(key, data)
    return data


def checked_once(kind: str, raw: bytes, check: Callable[[], None]) -> None:
    """Run ``check`` (which raises when ``raw`` is bad) unless it already passed on these very bytes."""
    key = _key(kind, raw)
    if _read(key) is True:
        return
    check()
    _write(key, True)


@functools.cache
def library_version(distribution: str) -> str:
    """An installed distribution's version: part of a key whenever its code decides the result."""
    from importlib.metadata import version  # ~20 ms to import: only once a key needs it

    return version(distribution)


_MISS = object()


def _key(kind: str, raw: bytes) -> str:
    digest = hashlib.sha256(kind.encode())
    digest.update(b"\0")
    digest.update(raw)
    return digest.hexdigest()


def _folder() -> Path | None:
    if os.environ.get("APICONFORM_PARSE_CACHE", "").lower() == OFF:
        return None
    return user_cache_dir() / "parsed"


def _read(key: str) -> Any:
    folder = _folder()
    if folder is None:
        return _MISS
    try:
        stored_key, value = marshal.loads((folder / key[:2] / key).read_bytes())
    except (OSError, EOFError, ValueError, TypeError):  # absent, unreadable or not ours: derive it again
        return _MISS
    return value if stored_key == key else _MISS


def _write(key: str, value: Any) -> None:
    """Store atomically (xdist workers and the preflight write the same entries); never fail the run."""
    folder = _folder()
    if folder is None:
        return
    try:
        blob = marshal.dumps((key, value))
    except ValueError:  # a type marshal does not keep (a YAML timestamp, say): derive it each time
        return
    target = folder / key[:2] / key
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}.", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:  # a read-only or full cache costs time, not the run
        return
