"""The run's reports: results.json, junit.xml, summary.md and a self-contained report.html.

Every file is written atomically (a temporary file in the same folder, then ``os.replace``),
so a CI step never picks up half a report. Evidence carries bodies from untrusted servers:
everything interpolated into HTML goes through ``html.escape``, and characters XML cannot
carry are replaced before they reach junit.xml.
"""
from __future__ import annotations

import html
import json
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apiconform

__all__ = ["VERDICTS", "coverage_lines", "remove_stale", "render_summary_line", "rerender", "skip_reasons",
           "write_atomic", "write_reports"]

#: Column order everywhere; verdicts outside this list (should not happen) are appended.
VERDICTS = ("pass", "fail", "error", "differs", "unsupported", "skip", "expected")
PROBLEMS = ("fail", "error", "differs")  # shown with evidence in the HTML report
#: A clause of a failing check that the check never got to verify: not a fail of that clause.
UNREACHED = "not reached"
MAX_MD_FAILURES = 50
_XML_BAD = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# -- helpers -------------------------------------------------------------------------------

def _provider(r: dict[str, Any]) -> str:
    return str(r.get("provider") or "unknown")


def _verdict(r: dict[str, Any]) -> str:
    return str(r.get("verdict") or "error")


def _area(r: dict[str, Any]) -> str:
    return str(r.get("area") or "general")


def _text(value: Any) -> str:
    """Any evidence value as text: strings as-is, structures as indented JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _first_line(value: Any) -> str:
    lines = _text(value).strip().splitlines()
    return lines[0] if lines else ""


def _clause_ids(r: dict[str, Any]) -> list[str]:
    ids = [str(c) for c in (r.get("clauses") or []) if c]
    if r.get("violated") and str(r["violated"]) not in ids:
        ids.append(str(r["violated"]))
    return ids


def _columns(counts: Counter) -> list[str]:
    return list(VERDICTS) + sorted(v for v in counts if v not in VERDICTS)


def _sorted(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: (_provider(r), str(r.get("test") or "")))


def _by_provider(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        out[_provider(r)].append(r)
    return dict(sorted(out.items()))


def _area_counts(recs: list[dict[str, Any]]) -> dict[str, Counter]:
    areas: dict[str, Counter] = defaultdict(Counter)
    for r in recs:
        areas[_area(r)][_verdict(r)] += 1
    return dict(sorted(areas.items()))


def _evidence_text(ev: Any) -> str:
    """Plain-text rendering of evidence for junit.xml."""
    if not isinstance(ev, dict):
        return _text(ev)
    parts = []
    if "expected" in ev or "actual" in ev:
        parts.append(f"expected: {_text(ev.get('expected'))}\nactual: {_text(ev.get('actual'))}")
    req, resp = ev.get("request"), ev.get("response")
    if isinstance(req, dict):
        parts.append(f"request: {req.get('method', '')} {req.get('url', '')}\n"
                     f"{_headers(req.get('headers'))}\n{_text(req.get('body'))}".rstrip())
    if isinstance(resp, dict):
        parts.append(f"response: {resp.get('status', '')}\n"
                     f"{_headers(resp.get('headers'))}\n{_text(resp.get('body'))}".rstrip())
    return "\n\n".join(parts)


def _headers(headers: Any) -> str:
    if isinstance(headers, dict):
        return "\n".join(f"{k}: {v}" for k, v in headers.items())
    return _text(headers)


def write_atomic(path: Path, data: str) -> None:
    """``data`` to ``path`` through a temporary file; the file's mode is a new file's (the umask's), not
    mkstemp's owner-only 0600, so a CI group or a web server can read the reports."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def contract_of(provider: str) -> Any:
    try:
        from apiconform.contract.model import suite_contract
        from apiconform.paths import contract_path

        return suite_contract(str(contract_path(provider)))  # the one the checks loaded, if any
    except Exception:  # a broken or missing contract must not cost the run its reports
        return None


def _contract_clauses(provider: str) -> dict[str, Any]:
    contract = contract_of(provider)
    return dict(contract.clauses) if contract is not None else {}


def problem_groups(recs: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Problems grouped by the clause they violate (errors by their message's first line), root causes first.

    A broken clause that many checks run into (the auth header, an invariant) makes the biggest group:
    groups come by size, an error before a fail before a differs of the same size.
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in recs:
        v = _verdict(r)
        if v in PROBLEMS:
            groups[(v, str(r.get("violated") or _first_line(r.get("message"))[:200]))].append(r)
    return sorted(groups.values(), key=lambda g: (-len(g), PROBLEMS.index(_verdict(g[0])), str(g[0].get("violated"))))


def _clause_verdict(r: dict[str, Any], cid: str) -> str:
    """What a check's verdict says of one of its clauses.

    A failing check fails only the clause it violated. The invariant clauses its answers passed
    held; its other declared clauses were not reached, since the check stopped before it had
    verified them, and count for neither pass nor fail.
    """
    verdict = _verdict(r)
    if verdict not in ("fail", "differs") or not r.get("violated") or cid == str(r["violated"]):
        return verdict
    return "pass" if cid in (r.get("observed") or []) else UNREACHED


def _clauses(by_provider: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for provider, recs in by_provider.items():
        known = _contract_clauses(provider)
        # Every clause of the contract has a row, so a clause no check verified in this run shows up.
        table: dict[str, dict[str, Any]] = {
            cid: {"area": c.area, "provenance": c.provenance, "text": c.text, "verdicts": Counter()}
            for cid, c in known.items()}
        for r in recs:
            for cid in _clause_ids(r):
                if cid not in table:
                    c = known.get(cid)
                    table[cid] = {"area": getattr(c, "area", None), "provenance": getattr(c, "provenance", None),
                                  "text": getattr(c, "text", ""), "verdicts": Counter()}
                table[cid]["verdicts"][_clause_verdict(r, cid)] += 1
        out[provider] = {cid: {**m, "verdicts": dict(m["verdicts"])} for cid, m in sorted(table.items())}
    return out


# -- what the run covered -------------------------------------------------------------------

_WHERE = re.compile(r"^[A-Z]+ \S+: ")  # a skip names the request it refused; the reason is what follows


def skip_reasons(records: list[dict[str, Any]]) -> Counter:
    """Why checks did not run: each skip's or unsupported's reason, without the request it names, counted."""
    return Counter(_WHERE.sub("", _first_line(r.get("message"))) or "no reason given" for r in records
                   if _verdict(r) in ("skip", "unsupported"))


def coverage_lines(records: list[dict[str, Any]], mode: str, run: dict[str, Any] | None) -> list[str]:
    """What the run covered, so a partial run never reads as a whole one: its target, mode, faults,
    deviations and writes, how many checks ran of those collected, and why the others did not."""
    from apiconform.report.repro import shown_target

    run = run or {}
    target = shown_target(run.get("target")) or ("the recorded cassettes" if mode == "replay"
                                                 else "the bundled sandboxes")
    faults = ", ".join(run.get("faults") or []) or "none"
    writes = "allowed" if run.get("allow_writes") or not run.get("target") else "not allowed (--allow-writes)"
    lines = []
    if run.get("interrupted"):
        lines.append(f"INTERRUPTED: a partial run; {len(records)} of {run.get('collected', '?')} checks have a "
                     "verdict, the rest never ran")
    lines.append(f"Target: {target}; mode: {mode}; faults: {faults}; deviations: {run.get('deviations') or 'none'}; "
                 f"writes: {writes}")
    lines += [f"{n} check{'s' if n != 1 else ''} did not run: {why}" for why, n in skip_reasons(records).most_common()]
    return lines


def _verdict_mark(records: list[dict[str, Any]], run: dict[str, Any] | None) -> str:
    totals = Counter(_verdict(r) for r in records)
    if totals["fail"] or totals["error"]:
        return "❌"
    return "⚠️ interrupted:" if (run or {}).get("interrupted") else "✅"


# -- results.json --------------------------------------------------------------------------

def _results_json(records, mode, generated_at, clauses, rate, run) -> str:
    doc = {
        "generated_at": generated_at,
        "tool": f"apiconform {apiconform.__version__}",
        "mode": mode,
        "run": run,
        "totals": dict(Counter(_verdict(r) for r in records)),
        "rate": rate,
        "clauses": clauses,
        "records": records,
    }
    return json.dumps(doc, indent=2, default=str, ensure_ascii=False) + "\n"


# -- junit.xml -----------------------------------------------------------------------------

def _x(value: Any) -> str:
    return _XML_BAD.sub("\ufffd", _text(value))


def _junit_xml(by_provider, generated_at) -> str:
    root = ET.Element("testsuites", name="apiconform")
    grand = Counter()
    for provider, recs in by_provider.items():
        suite = ET.SubElement(root, "testsuite", name=_x(f"apiconform.{provider}"), timestamp=generated_at)
        n = Counter()
        for r in recs:
            v, duration = _verdict(r), float(r.get("duration") or 0.0)
            n["tests"] += 1
            n["time"] += duration
            case = ET.SubElement(suite, "testcase", classname=_x(f"{provider}.{_area(r)}"),
                                 name=_x(r.get("test") or r.get("name") or "?"), time=f"{duration:.3f}")
            props = ET.SubElement(case, "properties")
            for cid in _clause_ids(r):
                ET.SubElement(props, "property", name="clause", value=_x(cid))
            ET.SubElement(props, "property", name="verdict", value=_x(v))
            message = _x(r.get("message") or v)
            body = _x("\n\n".join(p for p in (_text(r.get("message")), _evidence_text(r.get("evidence"))) if p))
            if v == "fail":
                n["failures"] += 1
                el = ET.SubElement(case, "failure", message=message, type=_x(r.get("violated") or "contract"))
                el.text = body
            elif v == "error":
                n["errors"] += 1
                ET.SubElement(case, "error", message=message, type="harness").text = body
            elif v in ("skip", "unsupported"):
                n["skipped"] += 1
                ET.SubElement(case, "skipped", message=_x(f"{v}: {r.get('message') or ''}".rstrip(": ")))
            elif v in ("differs", "expected"):
                note = f"verdict {v}" + (f" (clause {r['violated']})" if r.get("violated") else "")
                ET.SubElement(case, "system-out").text = _x(f"{note}: {body}" if body else note)
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(n[key]))
        suite.set("time", f"{n['time']:.3f}")
        grand.update(n)
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(grand[key]))
    root.set("time", f"{grand['time']:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- the rate budget ------------------------------------------------------------------------

RATE_COLUMNS = ("requests", "planned_429", "unplanned_429", "wall_s", "min_wall_s")


def _rate_rows(rate: dict[str, dict[str, Any]]) -> list[list[str]]:
    """One row per rate-limited provider: the counters, wall/min, and the pace it was held to."""
    rows = []
    for provider, r in sorted(rate.items()):
        ratio = f"{r['wall_s'] / r['min_wall_s']:.2f}" if r.get("min_wall_s") else "-"
        pace = f"{r.get('limit')}/{r.get('window_s'):g} s" + (f" (×{r['scale']:g})" if r.get("scale", 1) != 1 else "")
        note = r.get("store_error") or r.get("store") or ""
        rows.append([provider, *(str(r.get(c, "")) for c in RATE_COLUMNS), ratio, pace, note])
    return rows


RATE_HEAD = ["provider", "requests", "planned 429", "unplanned 429", "wall s", "min wall s", "wall/min", "pace",
             "store"]


# -- summary.md ----------------------------------------------------------------------------

def _md(value: Any) -> str:
    return _first_line(value).replace("|", "\\|").replace("`", "'")


def _summary_md(records, by_provider, mode, rate, run, drifts) -> str:
    from apiconform.report.repro import script

    totals = Counter(_verdict(r) for r in records)
    cols = [v for v in _columns(totals) if totals[v]] or ["pass"]

    def head(first: str) -> list[str]:
        return [f"| {first} | " + " | ".join(cols) + " |", "|---" * (len(cols) + len(first.split(" | "))) + "|"]

    out = [f"# apiconform: {_verdict_mark(records, run)} {render_summary_line(records)}", "",
           f"Mode: `{_md(mode)}`, {len(records)} checks.", "", *[f"- {_md(line)}" for line in
                                                               coverage_lines(records, mode, run)], "",
           "## Providers", "", *head("provider")]
    for provider, recs in by_provider.items():
        c = Counter(_verdict(r) for r in recs)
        out.append(f"| {_md(provider)} | " + " | ".join(str(c[v]) for v in cols) + " |")
    out += ["", "## Contract areas", "", *head("provider | area")]
    for provider, recs in by_provider.items():
        for area, c in _area_counts(recs).items():
            out.append(f"| {_md(provider)} | {_md(area)} | " + " | ".join(str(c[v]) for v in cols) + " |")
    if rate:
        out += ["", "## Rate budget", "", "| " + " | ".join(RATE_HEAD) + " |", "|---" * len(RATE_HEAD) + "|"]
        out += ["| " + " | ".join(_md(v) for v in row) + " |" for row in _rate_rows(rate)]
    groups = [g for g in problem_groups(records) if _verdict(g[0]) in ("fail", "error")]
    if groups:
        out += ["", "## Failures, by violated clause", ""]
        for g in groups[:MAX_MD_FAILURES]:
            r = g[0]
            what = f"`{_md(r['violated'])}`" if r.get("violated") else "error"
            more = f" ({len(g)} checks; first shown)" if len(g) > 1 else ""
            out.append(f"- **{_verdict(r)}** {what}{more}: `{_md(r.get('test'))}`: {_md(r.get('message'))}")
            ev = r.get("evidence") if isinstance(r.get("evidence"), dict) else {}
            req, resp = ev.get("request") or {}, ev.get("response") or {}
            if _verdict(r) == "fail" and (req or resp):
                out.append(f"  - `{_md(req.get('method'))} {_md(req.get('url'))}` → {_md(resp.get('status'))}")
            sequence = script(ev, contract_of(str(r.get("provider"))), r.get("recorded_from") or r.get("target"))
            if sequence:
                out += ["  - the whole sequence, as a repro script:", "", "    ```sh",
                        *[f"    {line}" for line in sequence.splitlines()], "    ```", ""]
        if len(groups) > MAX_MD_FAILURES:
            out.append(f"- … and {len(groups) - MAX_MD_FAILURES} more groups (see report.html)")
    for d in drifts:
        from apiconform.report.drift import markdown

        out += ["", markdown(d).rstrip()]
    return "\n".join(out) + "\n"


# -- report.html ---------------------------------------------------------------------------

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}
td.n{text-align:right}td.z{color:#bbb}pre{background:#f6f6f6;padding:6px;overflow:auto;white-space:pre-wrap;max-height:30em}
.v-pass{background:#d4f4d4}.v-fail{background:#f8c8c8}.v-error{background:#f6d0a0}.v-differs{background:#fde8a8}
.v-unsupported{background:#dde3ea}.v-skip{background:#eeeeee}.v-expected{background:#d8e8fb}
.badge{display:inline-block;padding:2px 8px;margin-right:4px;border-radius:3px}
.problem{border:1px solid #ccc;border-left:6px solid #999;padding:4px 10px;margin:1em 0}
details{margin:.3em 0}.repro{background:#eef3fb}.areas td{text-align:center}
.interrupted{background:#fde8a8;padding:6px;font-weight:bold}.writes{color:#a40}
.problem.b-fail{border-left-color:#d33}.problem.b-error{border-left-color:#e80}.problem.b-differs{border-left-color:#db0}
"""


def _e(value: Any) -> str:
    return html.escape(_text(value), quote=True)


def _cls(verdict: str) -> str:
    return re.sub(r"[^a-z]", "", verdict.lower())


def _counts_cells(c: Counter, cols: list[str]) -> str:
    return "".join(f'<td class="n {f"v-{_cls(v)}" if c[v] else "z"}">{c[v]}</td>' for v in cols)


def _exchange_html(label: str, part: Any, first: str) -> str:
    if not isinstance(part, dict):
        return ""
    return (f"<h4>{_e(label)}</h4><pre>{_e(first)}\n{_e(_headers(part.get('headers')))}</pre>"
            + (f"<pre>{_e(part.get('body'))}</pre>" if part.get("body") not in (None, "") else ""))


def _repro_html(r: dict[str, Any], contract: Any, run: dict[str, Any] | None) -> str:
    from apiconform.report.repro import curl, rerun, script, sequence_writes, writes

    ev = r.get("evidence") if isinstance(r.get("evidence"), dict) else None
    command = curl(ev, contract, r.get("recorded_from") or r.get("target"))
    warning = ('<p class="writes">This request writes: sent to a real account, it creates, changes or deletes '
               "data there.</p>") if command and writes(ev) else ""
    sequence = script(ev, contract, r.get("recorded_from") or r.get("target"))
    whole = ("<h4>The whole sequence</h4>" + ('<p class="writes">These requests write: sent to a real account, '
             "they create, change and delete data there.</p>" if sequence_writes(ev) else "")
             + f'<pre class="repro">{_e(sequence)}</pre>') if sequence else ""
    return ("<h4>Reproduce</h4>" + warning + (f'<pre class="repro">{_e(command)}</pre>' if command else "")
            + whole + f'<pre class="repro">{_e(rerun(r, run))}</pre>')


def _problem_html(r: dict[str, Any], clauses: dict[str, Any], contract: Any, run: dict[str, Any] | None) -> str:
    cid = r.get("violated")
    meta = clauses.get(str(cid), {}) if cid else {}
    ev = r.get("evidence") if isinstance(r.get("evidence"), dict) else {}
    parts = [f"<h4>{_e(r.get('test'))}</h4>"]
    if cid:
        parts.append(f"<p>Clause <code>{_e(cid)}</code> ({_e(r.get('provenance') or meta.get('provenance'))}): "
                     f"{_e(meta.get('text'))}</p>")
    parts.append(f"<pre>{_e(r.get('message'))}</pre>")
    if "expected" in ev or "actual" in ev:
        parts.append(f"<table><tr><th>expected</th><th>actual</th></tr><tr><td><pre>{_e(ev.get('expected'))}</pre>"
                     f"</td><td><pre>{_e(ev.get('actual'))}</pre></td></tr></table>")
    req, resp = ev.get("request"), ev.get("response")
    if isinstance(req, dict):
        parts.append(_exchange_html("Request", req, f"{_text(req.get('method'))} {_text(req.get('url'))}"))
    if isinstance(resp, dict):
        parts.append(_exchange_html("Response", resp, f"HTTP {_text(resp.get('status'))}"))
    if r.get("evidence") is not None and not isinstance(r.get("evidence"), dict):
        parts.append(f"<pre>{_e(r.get('evidence'))}</pre>")
    parts.append(_repro_html(r, contract, run))
    return "".join(parts)


def _group_html(group: list[dict[str, Any]], clauses: dict[str, Any], contract: Any, run: dict[str, Any] | None
                ) -> str:
    """One violated clause: its first failure in full, the count, the others folded (each with its repro)."""
    first, v = group[0], _verdict(group[0])
    title = f"<code>{_e(first['violated'])}</code>" if first.get("violated") else _e(_first_line(first.get("message")))
    parts = [f'<div class="problem b-{_cls(v)}"><h3><span class="badge v-{_cls(v)}">{_e(v)}</span> {title} · '
             f"{len(group)} check{'s' if len(group) != 1 else ''}</h3>", _problem_html(first, clauses, contract, run)]
    if len(group) > 1:
        parts.append(f"<details><summary>the other {len(group) - 1} checks with this "
                     f"{'clause' if first.get('violated') else 'error'}</summary>")
        for r in group[1:]:
            parts.append(f"<details><summary>{_e(r.get('test'))}: {_e(_first_line(r.get('message'))[:200])}"
                         f"</summary>{_problem_html(r, clauses, contract, run)}</details>")
        parts.append("</details>")
    return "".join(parts) + "</div>"


def _areas_html(by_provider: dict[str, list[dict[str, Any]]]) -> str:
    """Providers × contract areas: each cell the worst verdict there, with its counts."""
    areas = sorted({_area(r) for recs in by_provider.values() for r in recs})
    worst = ("error", "fail", "differs", "expected", "unsupported", "skip", "pass")
    out = ['<h2 id="areas">Providers × contract areas</h2><table class="areas"><tr><th>provider</th>'
           + "".join(f"<th>{_e(a)}</th>" for a in areas) + "</tr>"]
    for provider, recs in by_provider.items():
        counts = _area_counts(recs)
        cells = []
        for area in areas:
            c = counts.get(area)
            if not c:
                cells.append('<td class="z">–</td>')
                continue
            top = next((v for v in worst if c[v]), _columns(c)[0])
            label = f"{c['pass']}/{sum(c.values())} pass" + "".join(f", {c[v]} {v}" for v in _columns(c)
                                                                    if v != "pass" and c[v])
            cells.append(f'<td class="v-{_cls(top)}">{_e(label)}</td>')
        out.append(f'<tr><th><a href="#{_e(provider)}">{_e(provider)}</a></th>{"".join(cells)}</tr>')
    return "".join(out) + "</table>"


def _report_html(records, by_provider, clauses, mode, generated_at, rate, run, drifts) -> str:
    totals = Counter(_verdict(r) for r in records)
    cols = _columns(totals)
    out = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>apiconform report ({_e(mode)})</title><style>{_CSS}</style></head><body>",
           f"<h1>apiconform report</h1><p>Mode <b>{_e(mode)}</b> · {len(records)} checks · generated "
           f"{_e(generated_at)} · apiconform {_e(apiconform.__version__)}</p><p>"]
    out += [f'<span class="badge v-{_cls(v)}">{_e(v)}: {totals[v]}</span>' for v in cols if totals[v]]
    out.append("</p>")
    out += [f'<p class="{"interrupted" if line.startswith("INTERRUPTED") else "coverage"}">{_e(line)}</p>'
            for line in coverage_lines(records, mode, run)]
    out.append(_areas_html(by_provider))
    if drifts:
        from apiconform.report.drift import html_section

        out += [html_section(d) for d in drifts]
    if rate:
        out.append('<h2 id="rate">Rate budget</h2><table class="rate"><tr>'
                   + "".join(f"<th>{_e(h)}</th>" for h in RATE_HEAD) + "</tr>")
        for row in _rate_rows(rate):
            cells = [f"<td>{_e(v)}</td>" for v in row]
            if int(row[3] or 0):  # unplanned 429s: a defect of the run
                cells[3] = f'<td class="v-fail">{_e(row[3])}</td>'
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</table>")
    header = "".join(f'<th class="v-{_cls(v)}">{_e(v)}</th>' for v in cols)
    clause_cols = cols + [UNREACHED]
    clause_header = header + f'<th title="clauses of a failing check that it stopped before verifying">{UNREACHED}</th>'
    for provider, recs in by_provider.items():
        out.append(f'<h2 id="{_e(provider)}">{_e(provider)}</h2>')
        groups = problem_groups(recs)  # what went wrong first, then the tables
        if groups:
            out.append(f"<h3>Failures, errors and differences ({sum(len(g) for g in groups)} checks, "
                       f"{len(groups)} by violated clause, the largest first)</h3>")
            contract = contract_of(provider)
            out += [_group_html(g, clauses.get(provider, {}), contract, run) for g in groups]
        out.append(f'<h3>Contract areas × verdicts</h3><table class="matrix"><tr><th>area</th>{header}'
                   f"<th>total</th></tr>")
        for area, c in _area_counts(recs).items():
            out.append(f"<tr><th>{_e(area)}</th>{_counts_cells(c, cols)}<td class=\"n\">{sum(c.values())}</td></tr>")
        c = Counter(_verdict(r) for r in recs)
        out.append(f"<tr><th>all</th>{_counts_cells(c, cols)}<td class=\"n\">{len(recs)}</td></tr></table>")
        out.append(f"<h3>Clause coverage</h3><table><tr><th>clause</th><th>area</th><th>provenance</th>"
                   f"<th>text</th>{clause_header}</tr>")
        for cid, m in clauses.get(provider, {}).items():
            out.append(f"<tr><td><code>{_e(cid)}</code></td><td>{_e(m.get('area'))}</td>"
                       f"<td>{_e(m.get('provenance'))}</td><td>{_e(m.get('text'))}</td>"
                       f"{_counts_cells(Counter(m.get('verdicts') or {}), clause_cols)}</tr>")
        out.append("</table>")
    out.append("</body></html>\n")
    return "\n".join(out)


# -- entry points --------------------------------------------------------------------------

def render_summary_line(records: list[dict[str, Any]]) -> str:
    """``mite: 61 pass, 0 fail, 0 error, 2 skip`` per provider, joined by `` | ``."""
    if not records:
        return "no checks ran"
    parts = []
    for provider, recs in _by_provider(records).items():
        c = Counter(_verdict(r) for r in recs)
        shown = ["pass", "fail", "error", "skip"] + [v for v in _columns(c) if c[v] and v not in
                                                     ("pass", "fail", "error", "skip")]
        parts.append(f"{provider}: " + ", ".join(f"{c[v]} {v}" for v in shown))
    return " | ".join(parts)


def write_reports(records: list[dict[str, Any]], out_dir: Path, *, mode: str,
                  rate: dict[str, dict[str, Any]] | None = None, run: dict[str, Any] | None = None
                  ) -> dict[str, Path]:
    """Write results.json, junit.xml, summary.md and report.html into ``out_dir``.

    ``rate`` is the rate budget's counters by provider (:func:`apiconform.http.rate.collect`); ``run``
    the run's target, faults and deviations file (for the rerun commands). A ``drift.json`` that
    ``apiconform drift`` left in ``out_dir`` becomes the report's drift section.

    Returns the written paths keyed ``json``, ``junit``, ``markdown``, ``html``.
    """
    from apiconform.report.drift import load

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = _sorted([r for r in records if isinstance(r, dict)])
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    by_provider = _by_provider(records)
    clauses = _clauses(by_provider)
    drift = load(out_dir)
    drifts = [drift] if drift else []
    files = {
        "json": ("results.json", _results_json(records, mode, generated_at, clauses, rate or {}, run or {})),
        "junit": ("junit.xml", _junit_xml(by_provider, generated_at)),
        "markdown": ("summary.md", _summary_md(records, by_provider, mode, rate or {}, run or {}, drifts)),
        "html": ("report.html", _report_html(records, by_provider, clauses, mode, generated_at, rate or {},
                                             run or {}, drifts)),
    }
    written: dict[str, Path] = {}
    for key, (name, text) in files.items():
        write_atomic(out_dir / name, text)
        written[key] = out_dir / name
    return written


#: What a run writes, and removes before it starts: a run that ends before writing its own reports (a usage
#: error, an interrupt before any verdict) must not leave an older run's beside them to be taken for its own.
#: leftovers.json stays: it lists what a run could not delete, until `apiconform cleanup` has.
REPORT_FILES = ("results.json", "junit.xml", "summary.md", "report.html", "drift.json", "drift.md", "drift.html")


def remove_stale(out_dir: Path) -> None:
    """Remove an earlier run's reports from ``out_dir`` before a new run writes there."""
    for name in REPORT_FILES:
        (Path(out_dir) / name).unlink(missing_ok=True)


def rerender(out_dir: Path) -> None:
    """Write the reports of the run in ``out_dir`` again (after ``apiconform drift`` added drift.json there)."""
    path = Path(out_dir) / "results.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # no run in this folder: drift.md and drift.html stand alone
    write_reports(doc.get("records") or [], Path(out_dir), mode=str(doc.get("mode") or ""), rate=doc.get("rate"),
                  run=doc.get("run"))
