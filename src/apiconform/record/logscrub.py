"""Log lines are scrubbed before any handler sees them.

httpx logs every request's URL (mite's ``api_key`` query with it) and vcrpy logs whole
interactions (bodies that echo a credential, such as mite's e-mail address) before its own
record hooks run. A log handler's filter would only cover the handlers that exist when it is
added, and pytest adds its own per test; so the log record factory itself scrubs: every record
made in this process, from any logger, carries its message (arguments merged) and its
traceback already run through the run's scrubbers. vcrpy logs an interaction before the recorder's
hook learns a secret its response hands out (mStudio's created token), so anything still shaped like
a credential is blotted out too (``Scrubber.blot``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from apiconform.record.scrub import Scrubber

_installed: dict[str, Any] = {}


def install(scrubbers: Callable[[], Iterable[Scrubber]]) -> None:
    """Make every log record in this process pass ``scrubbers()`` (called per record: targets come later)."""
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def scrub(text: str) -> str:
        for scrubber in scrubbers():
            text = scrubber.blot(text)
        return text

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        try:
            record.msg, record.args = scrub(record.getMessage()), ()
        except Exception:  # a message that cannot be formatted stays as logging would show it: unformatted
            record.msg, record.args = scrub(str(record.msg)), ()
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
        return record

    _installed["base"] = base
    logging.setLogRecordFactory(factory)


def uninstall() -> None:
    if _installed:
        logging.setLogRecordFactory(_installed.pop("base"))
