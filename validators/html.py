"""The validation report as one self-contained HTML page a project manager can read.

A verdict at the top, the findings per category and rule with counts, a chart of
findings by the opening year of the cases they concern, fill-rate bars per table, and
the first record keys per rule. Keys only: no names, no AHV numbers, no texts. No
scripts, fonts or images from elsewhere: the page works offline and in an e-mail.
"""

from __future__ import annotations

import html
from typing import Any

KEYS_PER_RULE = 20
COLOURS = {
    "conformance": "#3b6fb6",
    "completeness": "#c77c1e",
    "integrity": "#8a3fb0",
    "plausibility": "#2f8f6b",
    "currency": "#b8404a",
}
SEVERITY_COLOURS = {"error": "#b3261e", "warning": "#a15c00", "info": "#4a5568"}

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:70rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.4rem;margin:.2rem 0}h2{font-size:1.1rem;margin-top:2rem}
.meta{color:#4a5568;font-size:.9rem}
.verdict{padding:1rem 1.2rem;border-radius:8px;color:#fff;margin:1rem 0;font-size:1.2rem}
.verdict.pass{background:#2f7d4a}.verdict.fail{background:#b3261e}
.cards{display:flex;gap:.8rem;flex-wrap:wrap}.card{background:#fff;border-radius:8px;padding:.6rem 1rem;
box-shadow:0 1px 2px #0002;min-width:7rem}.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.88rem}
th,td{border-bottom:1px solid #e2e6ec;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
.sev{display:inline-block;padding:0 .4rem;border-radius:4px;color:#fff;font-size:.8rem}
.bar{background:#e2e6ec;border-radius:3px;height:.7rem;width:10rem;display:inline-block;vertical-align:middle}
.bar i{display:block;height:100%;border-radius:3px;background:#3b6fb6}
details{background:#fff;margin:.3rem 0;padding:.3rem .6rem;border-radius:6px}
summary{cursor:pointer}code{font-size:.82rem}
.legend span{display:inline-block;margin-right:1rem;font-size:.85rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _chart(by_year: dict[str, dict[str, int]]) -> str:
    if not by_year:
        return "<p>No findings.</p>"
    years = list(by_year)
    top = max(sum(v.values()) for v in by_year.values()) or 1
    width, height, gap = 34, 180, 8
    bars = []
    for index, year in enumerate(years):
        x = 40 + index * (width + gap)
        y = float(height)
        for category, colour in COLOURS.items():
            count = by_year[year].get(category, 0)
            if not count:
                continue
            h = count / top * (height - 20)
            y -= h
            bars.append(
                f'<rect x="{x}" y="{y:.1f}" width="{width}" height="{h:.1f}" fill="{colour}">'
                f"<title>{_e(year)}: {count} {category}</title></rect>"
            )
        label = _e(year if year != "no case" else "–")
        bars.append(
            f'<text x="{x + width / 2}" y="{height + 14}" font-size="10" text-anchor="middle">{label}</text>'
        )
    total_width = 60 + len(years) * (width + gap)
    axis = f'<text x="0" y="12" font-size="10">{top}</text><line x1="36" y1="{height}" x2="{total_width}" y2="{height}" stroke="#999"/>'
    legend = "".join(f'<span><i style="background:{c}"></i>{k}</span>' for k, c in COLOURS.items())
    return (
        f'<svg role="img" aria-label="findings by case opening year" width="{total_width}" height="{height + 24}" '
        f'xmlns="http://www.w3.org/2000/svg">{axis}{"".join(bars)}</svg><div class="legend">{legend}</div>'
        '<p class="meta">Findings on records that belong to no case (persons, addresses, the package) are under –.</p>'
    )


def _rules(data: dict[str, Any]) -> str:
    rows = []
    for rule in data["rules"]:
        if not rule["failed"]:
            continue
        colour = SEVERITY_COLOURS.get(rule["severity"], "#4a5568")
        share = rule["failed"] / rule["checked"] if rule["checked"] else 0
        tolerated = " (tolerated)" if rule.get("tolerated") else ""
        rows.append(
            f"<tr><td><code>{_e(rule['id'])}</code></td><td>{_e(rule['category'])}</td>"
            f'<td><span class="sev" style="background:{colour}">{_e(rule["severity"])}</span>{tolerated}</td>'
            f"<td>{_e(rule['table'])}</td><td>{_e(rule['description'])}</td>"
            f'<td class="n">{rule["failed"]:,}</td><td class="n">{rule["checked"]:,}</td><td class="n">{share:.1%}</td></tr>'
        )
    if not rows:
        return "<p>No rule has a finding.</p>"
    return (
        '<table id="rules"><tr><th>rule</th><th>category</th><th>severity</th><th>table</th><th>what</th>'
        "<th>failed</th><th>checked</th><th>share</th></tr>" + "".join(rows) + "</table>"
    )


def _keys(data: dict[str, Any]) -> str:
    per_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in data["findings"]:
        per_rule.setdefault(finding["rule_id"], []).append(finding)
    parts = []
    for rule_id, findings in per_rule.items():
        rows = "".join(
            f"<tr><td>{_e(f['table'])}</td><td><code>{_e(f['record_id'] or '')}</code></td>"
            f"<td><code>{_e(f['source_key'] or '')}</code></td><td>{_e(f['field'] or '')}</td></tr>"
            for f in findings[:KEYS_PER_RULE]
        )
        more = (
            f"<p class='meta'>… and {len(findings) - KEYS_PER_RULE:,} more (see validation.json)</p>"
            if len(findings) > KEYS_PER_RULE
            else ""
        )
        parts.append(
            f"<details><summary><code>{_e(rule_id)}</code>: {len(findings):,} records</summary>"
            f"<table><tr><th>table</th><th>record id</th><th>source key</th><th>field</th></tr>{rows}</table>{more}</details>"
        )
    return "".join(parts) or "<p>None.</p>"


def _fill_rates(rates: dict[str, dict[str, float]], rows: dict[str, int]) -> str:
    parts = []
    for table, columns in rates.items():
        if not rows.get(table):
            continue
        lines = "".join(
            f'<tr><td><code>{_e(column)}</code></td><td><span class="bar"><i style="width:{rate * 100:.0f}%"></i></span></td>'
            f'<td class="n">{rate:.0%}</td></tr>'
            for column, rate in columns.items()
        )
        parts.append(
            f"<details><summary>{_e(table)} ({rows[table]:,} rows)</summary><table>{lines}</table></details>"
        )
    return "".join(parts)


def _segments(guidelines: dict[str, Any] | None) -> str:
    """The segment guidelines: a bar per segment and a portfolio row per social worker."""
    if not guidelines:
        return ""
    per_segment = guidelines.get("segments", {})
    top = max((v["cases"] for v in per_segment.values()), default=0) or 1
    bars = []
    for index, (segment, figures) in enumerate(per_segment.items()):
        y = 10 + index * 34
        total = figures["cases"] / top * 360
        enough = figures["enough_contacts"] / top * 360
        bars.append(
            f'<text x="0" y="{y + 15}" font-size="13">{_e(segment)}</text>'
            f'<rect x="24" y="{y}" width="{total:.1f}" height="22" fill="#cbd5e0">'
            f"<title>{figures['cases']} open cases in segment {_e(segment)}</title></rect>"
            f'<rect x="24" y="{y}" width="{enough:.1f}" height="22" fill="#2f855a">'
            f"<title>{figures['enough_contacts']} with the guide value of personal contacts"
            "</title></rect>"
            f'<text x="{30 + total:.1f}" y="{y + 15}" font-size="11">'
            f"{figures['enough_contacts']} of {figures['cases']}</text>"
        )
    chart = (
        f'<svg role="img" aria-label="cases per segment" width="480" '
        f'height="{20 + 34 * len(per_segment)}" xmlns="http://www.w3.org/2000/svg">'
        f"{''.join(bars)}</svg><p class='meta'>Open segmented cases per segment; in green those "
        "with at least the segment's guide value of personal contacts in its window.</p>"
    )
    rows = "".join(
        f"<tr><td><code>{_e(r['staff_key'])}</code></td><td class='n'>{r['cases']}</td>"
        f"<td class='n'>{r['A']}</td><td class='n'>{r['B']}</td><td class='n'>{r['C']}</td>"
        f"<td class='n'>{r['share_a']:.0f} %</td><td class='n'>{r['share_c']:.0f} %</td></tr>"
        for r in guidelines.get("portfolio", [])
    )
    table = (
        "<table id='portfolio'><tr><th>staff (key)</th><th>cases</th><th>A</th><th>B</th>"
        "<th>C</th><th>share A (at least 10 %)</th><th>share C (at most 40 %)</th></tr>"
        f"{rows}</table>"
        if rows
        else "<p>No open segmented case has a responsible social worker.</p>"
    )
    return f"<h2>Segment guidelines</h2>{chart}<h3>Portfolio per social worker</h3>{table}"


def render_html(data: dict[str, Any]) -> str:
    """The report page for a validation.json structure."""
    summary = data["summary"]
    meta = data.get("meta", {})
    passed = summary["passed"]
    verdict = (
        "Passed: no errors; the package can be loaded."
        if passed
        else f"Failed: {summary['errors']:,} errors block loading."
    )
    categories: dict[str, int] = {}
    for rule in data["rules"]:
        categories[rule["category"]] = categories.get(rule["category"], 0) + rule["failed"]
    cards = "".join(
        f'<div class="card"><b>{summary[k]:,}</b>{label}</div>'
        for k, label in (("errors", "errors"), ("warnings", "warnings"), ("infos", "infos"))
    ) + "".join(
        f'<div class="card"><b>{count:,}</b>{_e(name)}</div>' for name, count in categories.items()
    )
    title = f"Validation of {meta.get('package_id', 'a package')}"
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{CSS}</style></head><body><main>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="meta">service {_e(meta.get("service_id", "?"))}, {_e(meta.get("source_system", "?"))}, '
        f"data as of {_e(meta.get('data_as_of', '?'))}, judged as of {_e(meta.get('as_of', '?'))}, "
        f"profile {_e(meta.get('profile', {}).get('name', '?'))}, nffs-migration {_e(meta.get('tool_version', '?'))}</p>"
        f'<div id="verdict" class="verdict {"pass" if passed else "fail"}">{_e(verdict)}</div>'
        f'<div class="cards">{cards}</div>'
        f"<h2>Rules with findings</h2>{_rules(data)}"
        f"<h2>Findings by case opening year</h2>{_chart(meta.get('findings_by_year', {}))}"
        f"{_segments(meta.get('segment_guidelines'))}"
        f"<h2>Records per rule (first {KEYS_PER_RULE}, keys only)</h2>{_keys(data)}"
        f"<h2>Fill rates</h2>{_fill_rates(meta.get('fill_rates', {}), meta.get('rows', {}))}"
        "</main></body></html>\n"
    )


__all__ = ["render_html"]
