"""Every `documented` clause quotes the sentence that says it, and each quote is really in its source.

A clause's ``source`` is one or more parts joined by `` ; ``. A quoting part is
``<file ref>[ <section>]: "<verbatim passage>"``, the file ref being ``seeds/NNN`` (seeds/NNN_*.txt),
``providers/<p>.md`` or ``specs/<file>.json`` with an optional JSON pointer (``#/paths/...``) whose
value holds the passage, or the provider's own documentation page (``https://...``) for a sentence the
seeds and dossiers lack; such a quote cannot be looked up offline and only its form is checked. "..." in
a passage elides text: its fragments must appear in that order. Any other part is a note (what the sources
do not say). The sources live outside the project (../shared, or the folder
APICONFORM_SOURCES names); without them only the form is checked.
"""
from __future__ import annotations

import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from apiconform.contract.model import load_contract
from apiconform.paths import contract_path, project_root, providers

QUOTE = re.compile(r'^(?P<file>seeds/\d{3}|providers/[\w-]+\.md|specs/[\w.-]+\.json|https://\S+)(?P<pointer>#/\S*)?'
                   r'(?: [^:"]+)?: "(?P<passage>.+)"$')
ELISION = re.compile(r"\s*(?:\.\.\.|…)\s*")


def _clauses() -> list[tuple[str, Any]]:
    return [(cid, cl) for p in providers() for cid, cl in load_contract(contract_path(p)).clauses.items()]


def quotes(source: str) -> list[tuple[str, str, str]]:
    """(file, JSON pointer or "", passage) of each quoting part of a source."""
    found = []
    for part in source.split(" ; "):
        m = QUOTE.match(part.strip())
        if m:
            found.append((m["file"], m["pointer"] or "", m["passage"]))
    return found


def normalise(text: str) -> str:
    """Whitespace collapsed, curly quotes and apostrophes straightened: what a copy from a page changes."""
    text = text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}))
    return " ".join(text.split())


def holds(text: str, passage: str) -> bool:
    """The passage's fragments (split at "...") occur in the text, in order."""
    text, at = normalise(text), 0
    for fragment in filter(None, ELISION.split(normalise(passage))):
        at = text.find(fragment, at)
        if at < 0:
            return False
        at += len(fragment)
    return True


def sources_dir() -> Path | None:
    folder = Path(os.environ.get("APICONFORM_SOURCES") or project_root().parent / "shared")
    return folder if (folder / "seeds").is_dir() else None


@cache
def source_text(folder: Path, file: str, pointer: str) -> str:
    """The text a quote is looked up in: a seed or dossier whole, or the value at a spec's JSON pointer."""
    if file.startswith("seeds/"):
        matches = sorted(folder.glob(f"{file}_*.txt"))
        assert len(matches) == 1, f"{file} names {len(matches)} seed files"
        return matches[0].read_text(encoding="utf-8")
    path = folder / file
    assert path.is_file(), f"{path} is missing"
    if not file.endswith(".json"):
        return path.read_text(encoding="utf-8")
    node: Any = _json(path)
    for token in pointer.lstrip("#").split("/")[1:]:
        key = token.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, (dict, list)), f"{file}{pointer}: {key} below a leaf"
        node = node[int(key)] if isinstance(node, list) else node.get(key)
        assert node is not None, f"{file}{pointer}: no {key}"
    return node if isinstance(node, str) else json.dumps(node, ensure_ascii=False)


@cache
def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def test_every_documented_clause_quotes_its_source():
    unquoted = [cid for cid, cl in _clauses()
                if cl.provenance == "documented" and not quotes(cl.source)]
    assert not unquoted, f'documented without a quoted passage (<file>: "<sentence>"): {unquoted}'


def test_every_quote_is_in_its_source():
    folder = sources_dir()
    if folder is None:
        pytest.skip("no sources folder (set APICONFORM_SOURCES or put shared/ beside the project): form only")
    missing = [f"{cid}: {file}{pointer}: {passage!r}" for cid, cl in _clauses()
               for file, pointer, passage in quotes(cl.source)
               if not file.startswith("https://") and not holds(source_text(folder, file, pointer), passage)]
    assert not missing, "quoted passages not found in their sources:\n" + "\n".join(missing)


@pytest.mark.parametrize("source,expected", [
    ('seeds/003: "you\'d get a 401" ; providers/hive.md §2: "x" ; a note',
     [("seeds/003", "", "you'd get a 401"), ("providers/hive.md", "", "x")]),
    ('specs/a.json#/paths/~1v2/get: "{"b": 1}"', [("specs/a.json", "#/paths/~1v2/get", '{"b": 1}')]),
    ("seeds/001 Authentication", []),
])
def test_quotes_are_parsed(source, expected):
    assert quotes(source) == expected


def test_holds_normalises_and_follows_elisions():
    text = "You’d get a 401\n  Unauthorized. Then “more” text."
    assert holds(text, "You'd get a 401 Unauthorized ... \"more\"")
    assert not holds(text, '"more" ... 401')  # fragments in order
    assert not holds(text, "a 402")
