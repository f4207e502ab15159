"""Every row of docs/bad-input.md: one line, exit 2, nothing written.

Each case runs ``apiconform run`` on a copy of the project (``APICONFORM_ROOT``) with one bad input,
and compares every file of that copy and of the report directory before and after.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "docs" / "bad-input.md"
ROW = re.compile(r"^\| `([a-z-]+)` \| .* \| (\d) \| `(.+)` \|$")


def _rows() -> dict[str, tuple[int, str]]:
    return {m.group(1): (int(m.group(2)), m.group(3))
            for m in map(ROW.match, TABLE.read_text(encoding="utf-8").splitlines()) if m}


@pytest.fixture
def project(tmp_path):
    """A copy of mite's suite, schemas and cassettes, and a report dir holding an earlier report."""
    root = tmp_path / "project"
    for part in ("suites/mite", "schemas/mite", "cassettes/mite"):
        shutil.copytree(ROOT / part, root / part)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "results.json").write_text('{"records": []}')
    return root, reports


def _digest(*folders: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _cassette(root: Path) -> Path:
    return sorted((root / "cassettes" / "mite").glob("test_status__*.yaml"))[0]


Case = Callable[[Path, Path, dict[str, str], dict[str, str]], list[str]]
REPLAY = ["--provider", "mite", "--mode", "replay"]


def _target(sandbox_env: dict[str, str], env: dict[str, str], *drop: str, **override: str) -> list[str]:
    env.update({k: v for k, v in sandbox_env.items() if k.startswith("MITE_") and k not in drop})
    env.update(override)
    return ["--provider", "mite", "--target", sandbox_env["MITE_BASE_URL"], "--ca-bundle",
            override.get("MITE_CA_BUNDLE", sandbox_env["MITE_CA_BUNDLE"])]


def _other_ca(tmp: Path) -> str:
    path = tmp / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


CASES: dict[str, Case] = {
    "unknown-option": lambda root, tmp, env, sb: ["--bogus"],
    "unknown-provider": lambda root, tmp, env, sb: ["--provider", "nope"],
    "unknown-fault": lambda root, tmp, env, sb: ["--provider", "mite", "--fault", "nope"],
    "bad-workers": lambda root, tmp, env, sb: [*REPLAY, "--workers", "two"],
    "negative-max-age": lambda root, tmp, env, sb: [*REPLAY, "--max-age", "-5"],
    "replay-with-target": lambda root, tmp, env, sb: [*REPLAY, "--target", "https://acme.mite.de"],
    "record-mode-without-record": lambda root, tmp, env, sb: [*REPLAY, "--record-mode", "once"],
    "target-not-a-url": lambda root, tmp, env, sb: [*_target(sb, env)[:3], "127.0.0.1:1"],
    "bad-timeout": lambda root, tmp, env, sb: (env.update(APICONFORM_TIMEOUT="soon"), REPLAY)[1],
    "contract-syntax": lambda root, tmp, env, sb: (
        _edit(root / "suites/mite/contract.toml", "[provider]", "[provider"), REPLAY)[1],
    "contract-unknown-table": lambda root, tmp, env, sb: (
        _edit(root / "suites/mite/contract.toml", "[provider]", "[webhookz]\nurl = 1\n\n[provider]"), REPLAY)[1],
    "contract-unknown-key": lambda root, tmp, env, sb: (
        _edit(root / "suites/mite/contract.toml", "[provider]\n", "[provider]\nnmae = \"x\"\n"), REPLAY)[1],
    "contract-unverified-clause": lambda root, tmp, env, sb: (
        _edit(root / "suites/mite/contract.toml", "[[clauses]]",
              '[[clauses]]\nid = "mite.nobody.checks-this"\narea = "auth"\ntext = "t"\nsource = "s"\n'
              'provenance = "assumed"\n\n[[clauses]]'), REPLAY)[1],
    "invalid-schema": lambda root, tmp, env, sb: (
        (root / "schemas/mite/broken.json").write_text('{"type": 5}'), REPLAY)[1],
    "schema-not-json": lambda root, tmp, env, sb: ((root / "schemas/mite/broken.json").write_text("{"), REPLAY)[1],
    "deviations-unknown-clause": lambda root, tmp, env, sb: (
        (tmp / "deviations.toml").write_text('[[deviations]]\nclause = "mite.no.such-clause"\n'),
        [*REPLAY, "--deviations", str(tmp / "deviations.toml")])[1],
    "deviations-unknown-table": lambda root, tmp, env, sb: (
        (tmp / "deviations.toml").write_text('[[deviation]]\nclause = "mite.cond.304"\n'),
        [*REPLAY, "--deviations", str(tmp / "deviations.toml")])[1],
    "deviations-syntax": lambda root, tmp, env, sb: (
        (tmp / "deviations.toml").write_text("[[deviations]\n"),
        [*REPLAY, "--deviations", str(tmp / "deviations.toml")])[1],
    "corrupt-cassette": lambda root, tmp, env, sb: (_cassette(root).write_text("interactions: [\n"), REPLAY)[1],
    "truncated-cassette": lambda root, tmp, env, sb: (_truncate(_cassette(root)), REPLAY)[1],
    "newer-cassette": lambda root, tmp, env, sb: (_newer(_cassette(root)), REPLAY)[1],
    "unwritable-report-dir": lambda root, tmp, env, sb: (
        (tmp / "a-file").write_text("x"), [*REPLAY, "--report-dir", str(tmp / "a-file" / "reports")])[1],
    "missing-credentials": lambda root, tmp, env, sb: _target(sb, env, "MITE_API_KEY"),
    "half-set-credentials": lambda root, tmp, env, sb: _target(sb, env, "MITE_PASSWORD"),
    "missing-ca-bundle": lambda root, tmp, env, sb: _target(sb, env, MITE_CA_BUNDLE=str(tmp / "no-such.pem")),
    "unreachable-target": lambda root, tmp, env, sb: [
        *_target(sb, env)[:3], f"https://127.0.0.1:{_closed_port()}", "--ca-bundle", sb["MITE_CA_BUNDLE"]],
    "tls-mismatch": lambda root, tmp, env, sb: _target(sb, env, MITE_CA_BUNDLE=_other_ca(tmp)),
    "refused-credentials": lambda root, tmp, env, sb: _target(sb, env, MITE_API_KEY="0123456789abcdef",
                                                              MITE_PASSWORD="not-the-password"),
}


def _newer(path: Path) -> None:
    """Mark the cassette as written by a newer format (replacing the format it names, if any)."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.setdefault("metadata", {})["format"] = 99
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def _truncate(path: Path) -> None:
    """Cut the first recorded response body to 5 characters, leaving valid YAML."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["interactions"][0]["response"]["body"]["string"] = "short"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_the_table_lists_exactly_the_cases():
    assert set(_rows()) == set(CASES)


@pytest.mark.parametrize("case", sorted(_rows()))
def test_bad_input_is_one_line_and_writes_nothing(case, project, sandbox, tmp_path):
    root, reports = project
    code, fragment = _rows()[case]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITE_")}
    args = CASES[case](root, tmp_path, env, sandbox.env)
    if "--report-dir" not in args:
        args += ["--report-dir", str(reports)]
    before = _digest(root, reports)
    proc = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", *args], capture_output=True, text=True,
                          timeout=120, env={**env, "APICONFORM_ROOT": str(root)}, cwd=tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code, proc.stderr[-2000:] + proc.stdout[-2000:]
    assert len(lines) == 1 and fragment in lines[0], proc.stderr
    assert not proc.stdout.strip()
    assert _digest(root, reports) == before
