"""Drift as text: the terminal lines, drift.md, drift.html and drift.json, and the section report.html shows.

Works on the plain dict of :meth:`apiconform.record.drift.Drift.as_dict`, so report.html can show a
drift written by an earlier command (the nightly run, then ``apiconform drift`` into the same folder).
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from apiconform.report.files import write_atomic

EXIT_MEANING = {0: "no drift", 1: "a change breaks a clause", 3: "additive changes only"}
_SHOWN = 4  # operations or checks named per change before "+n more"


def _names(items: list[str]) -> str:
    more = f" +{len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def _side(side: dict[str, Any]) -> str:
    targets = ", ".join(f"{n} {k}" for k, n in side["targets"].items())
    when = side["recorded"]
    dates = f"recorded {when[0][:10]}" + (f" to {when[1][:10]}" if when[1][:10] != when[0][:10] else "") \
        if when else "recording date unknown"
    return f"{side['folder']} ({side['cassettes']} cassettes from {targets}; {dates})"


def _what(c: dict[str, Any]) -> str:
    category = f" [{c['category']}]" if c["category"] else ""
    return f"{c['kind']}{category} {c['subject']}: {c['detail']}"


def _info(d: dict[str, Any]) -> list[str]:
    """Unpaired exchanges, one line per side: they follow from a check that stopped earlier or changed."""
    out = []
    for kind, what in (("only-old", "recorded before, not sent now"), ("only-new", "sent now, not recorded before")):
        changes = [c for c in d["changes"] if c["kind"] == kind]
        if changes:
            count = sum(c["count"] for c in changes)
            out.append(f"{count} exchange(s) {what} (a check that stopped earlier, or sends otherwise): "
                       + _names([f"{c['subject']} ({c['count']}×)" for c in changes]))
    return out


def headline(d: dict[str, Any]) -> str:
    counts = d["counts"]
    unpaired = sum(c["count"] for c in d["changes"] if c["severity"] == "info")
    skipped = len(d.get("not_compared") or [])
    partial = f", {skipped} checks not compared (see the first note)" if skipped else ""
    return (f"drift {d['provider']}: {counts.get('breaking', 0)} breaking, {counts.get('additive', 0)} additive "
            f"over {d['paired']} paired exchanges ({unpaired} unpaired{partial}); exit {d['exit_status']} "
            f"({EXIT_MEANING[d['exit_status']]})")


def terminal(d: dict[str, Any]) -> str:
    out = [f"old: {_side(d['old'])}", f"new: {_side(d['new'])}"]
    for severity in ("breaking", "additive"):
        changes = [c for c in d["changes"] if c["severity"] == severity]
        if changes:
            out.append(f"{severity.upper()} ({len(changes)})")
        for c in changes:
            out.append(f"  {_what(c)}")
            out.append(f"      {c['count']}× in {_names(c['operations'])}")
            if severity != "info":
                broke = f"broke: {', '.join(c['broke'])}; " if c.get("broke") else ""
                out.append(f"      {broke}clauses: {', '.join(c['clauses']) or '-'}; checks' clauses: "
                           f"{_names(c['check_clauses']) or 'unknown (cassette predates clauses metadata)'}")
    out += [f"info: {line}" for line in _info(d)]
    out += [f"note: {n}" for n in d["notes"]]
    out.append(headline(d))
    return "\n".join(out)


def markdown(d: dict[str, Any]) -> str:
    def cell(value: str) -> str:
        return value.replace("|", "\\|").replace("\n", " ")

    out = [f"## Drift: {d['provider']}", "", headline(d), "", f"- old: {cell(_side(d['old']))}",
           f"- new: {cell(_side(d['new']))}", ""]
    changes = [c for c in d["changes"] if c["severity"] != "info"]
    if changes:
        out += ["| severity | change | where | broke | clauses | checks' clauses |", "|---|---|---|---|---|---|"]
        for c in changes:
            out.append(f"| {c['severity']} | `{cell(_what(c))}` | {c['count']}× {cell(_names(c['operations']))} "
                       f"| {cell(', '.join(c.get('broke') or []) or '-')} | {cell(', '.join(c['clauses']) or '-')} "
                       f"| {cell(_names(c['check_clauses']) or '-')} |")
    out += [""] + [f"- info: {cell(line)}" for line in _info(d)]
    out += [f"- note: {cell(n)}" for n in d["notes"]]
    return "\n".join(out) + "\n"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def html_section(d: dict[str, Any]) -> str:
    """The drift table, for drift.html and report.html (everything escaped: names come from a server)."""
    out = [f'<h2 id="drift-{_e(d["provider"])}">Drift: {_e(d["provider"])}</h2>', f"<p>{_e(headline(d))}</p>",
           f"<p>old: {_e(_side(d['old']))}<br>new: {_e(_side(d['new']))}</p>"]
    changes = [c for c in d["changes"] if c["severity"] != "info"]
    if changes:
        out.append('<table class="drift"><tr><th>severity</th><th>change</th><th>count</th><th>operations</th>'
                   "<th>broke</th><th>clauses</th><th>checks' clauses</th></tr>")
        for c in changes:
            cls = {"breaking": "v-fail", "additive": "v-differs"}[c["severity"]]
            out.append(f'<tr><td class="{cls}">{_e(c["severity"])}</td><td><code>{_e(_what(c))}</code></td>'
                       f'<td class="n">{c["count"]}</td><td>{_e(_names(c["operations"]))}</td>'
                       f"<td>{_e(', '.join(c.get('broke') or []))}</td>"
                       f"<td>{_e(', '.join(c['clauses']))}</td><td>{_e(_names(c['check_clauses']))}</td></tr>")
        out.append("</table>")
    out += [f"<p>info: {_e(line)}</p>" for line in _info(d)]
    out += [f"<p>note: {_e(n)}</p>" for n in d["notes"]]
    return "\n".join(out)


def write(d: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """drift.json, drift.md and drift.html into ``out_dir``, each atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    page = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>apiconform drift</title>'
            "<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}"
            "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}.v-fail{background:#f8c8c8}"
            ".v-differs{background:#fde8a8}.v-skip{background:#eee}</style></head><body>"
            + html_section(d) + "</body></html>\n")
    files = {"json": ("drift.json", json.dumps(d, indent=2) + "\n"), "markdown": ("drift.md", markdown(d)),
             "html": ("drift.html", page)}
    written = {}
    for key, (name, text) in files.items():
        write_atomic(out_dir / name, text)
        written[key] = out_dir / name
    return written


def load(out_dir: Path) -> dict[str, Any] | None:
    """The drift an earlier ``apiconform drift`` left in ``out_dir``, if any."""
    path = out_dir / "drift.json"
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except ValueError:
        return None
