"""The parse cache: a file's derivation is kept by its bytes, and nothing it keeps can hide bad input."""
from __future__ import annotations

import json
import marshal
from pathlib import Path

import pytest
import yaml

from apiconform import parsecache
from apiconform.contract.model import ContractError
from apiconform.contract.schemas import load_schema
from apiconform.paths import cassettes_dir, providers
from apiconform.record.cassettes import CassetteError, read_cassette


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("APICONFORM_PARSE_CACHE", raising=False)
    return tmp_path / "xdg" / "apiconform" / "parsed"


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in cache.rglob("*") if p.is_file()) if cache.exists() else []


def test_every_committed_cassette_reads_back_from_the_cache_as_parsed(cache: Path) -> None:
    paths = [p for provider in providers() for p in sorted(cassettes_dir(provider).glob("*.yaml"))]
    fresh = [yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) for p in paths]
    assert [parsecache.cached_yaml(p.read_bytes()) for p in paths] == fresh  # cold: parsed and stored
    assert len(_entries(cache)) == len({p.read_bytes() for p in paths})
    assert [parsecache.cached_yaml(p.read_bytes()) for p in paths] == fresh  # warm: read back


def test_a_changed_file_is_parsed_again_never_served_stale(cache: Path) -> None:
    assert parsecache.cached_yaml(b"a: 1\n") == {"a": 1}
    assert parsecache.cached_yaml(b"a: 2\n") == {"a": 2}
    assert len(_entries(cache)) == 2


def test_an_entry_that_does_not_read_back_whole_is_ignored_and_written_again(cache: Path) -> None:
    assert parsecache.cached_yaml(b"a: 1\n") == {"a": 1}
    [entry] = _entries(cache)
    whole = entry.read_bytes()
    entry.write_bytes(whole[:5])  # truncated
    assert parsecache.cached_yaml(b"a: 1\n") == {"a": 1}
    assert entry.read_bytes() == whole
    entry.write_bytes(marshal.dumps(("another key", {"a": "stale"})))  # whole, but not this file's entry
    assert parsecache.cached_yaml(b"a: 1\n") == {"a": 1}
    assert entry.read_bytes() == whole


def test_off_stores_nothing(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APICONFORM_PARSE_CACHE", "off")
    assert parsecache.cached_yaml(b"a: 1\n") == {"a": 1}
    assert _entries(cache) == []


def test_a_corrupt_cassette_is_refused_every_time(cache: Path, tmp_path: Path) -> None:
    bad = tmp_path / "test_x__test_y.yaml"
    bad.write_text("interactions: [\n")
    for _ in range(2):
        with pytest.raises(CassetteError, match="corrupt cassette"):
            read_cassette(bad)
    assert _entries(cache) == []
    bad.write_text("interactions: 3\n")  # parses (and is kept), but the shape check still runs on each read
    for _ in range(2):
        with pytest.raises(CassetteError, match="no interactions list"):
            read_cassette(bad)


def test_a_schema_passes_the_meta_schema_once_per_content(cache: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APICONFORM_ROOT", str(tmp_path))
    folder = tmp_path / "schemas" / "p"
    folder.mkdir(parents=True)
    schema = folder / "s.json"
    schema.write_text(json.dumps({"type": "object"}))
    assert load_schema("p", "s.json") == {"type": "object"}
    assert len(_entries(cache)) == 1
    load_schema.cache_clear()
    schema.write_text(json.dumps({"type": 5}))  # another content: checked again, and refused
    with pytest.raises(ContractError, match="not a valid draft 2020-12 schema"):
        load_schema("p", "s.json")
    load_schema.cache_clear()
    with pytest.raises(ContractError, match="not a valid draft 2020-12 schema"):
        load_schema("p", "s.json")
    assert len(_entries(cache)) == 1  # a failure is never kept
    load_schema.cache_clear()
