"""The validation report as one self-contained HTML page a project manager can read.

A verdict at the top, the findings per category and rule with counts, a chart of
findings by the opening year of the cases they concern, the segment guidelines when the
profile turns them on, fill-rate bars per table, and the first record keys per rule.
Keys only: no names, no AHV numbers, no texts. This module computes the figures and the
charts' geometry; the markup is the template `report.html` of `nffs_migration.pages`
(one layout and stylesheet for every page the toolkit writes).
"""

from __future__ import annotations

from typing import Any

from nffs_migration.i18n import N_, _, text_of
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.rules import fix, title
from nffs_migration.pages import render

KEYS_PER_RULE = 20
COLOURS = {
    "conformance": "#3b6fb6",
    "completeness": "#c77c1e",
    "integrity": "#8a3fb0",
    "plausibility": "#2f8f6b",
    "currency": "#b8404a",
}
#: Words of the report, marked for the catalogs and translated when shown.
CATEGORY_LABELS = {
    "conformance": N_("conformance"),
    "completeness": N_("completeness"),
    "integrity": N_("integrity"),
    "plausibility": N_("plausibility"),
    "currency": N_("currency"),
}
SEVERITY_LABELS = {"error": N_("error"), "warning": N_("warning"), "info": N_("info")}
COUNT_LABELS = {"errors": N_("errors"), "warnings": N_("warnings"), "infos": N_("infos")}
#: The chart of findings by year: bar width, plot height, gap between bars (pixels).
BAR_WIDTH, CHART_HEIGHT, BAR_GAP = 34, 180, 8


def _chart(by_year: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Stacked bars per opening year, one colour per category."""
    top = max((sum(v.values()) for v in by_year.values()), default=0) or 1
    years = []
    for index, (year, counts) in enumerate(by_year.items()):
        y = float(CHART_HEIGHT)
        bars = []
        for category, colour in COLOURS.items():
            count = counts.get(category, 0)
            if not count:
                continue
            height = count / top * (CHART_HEIGHT - 20)
            y -= height
            bars.append(
                {
                    "y": y,
                    "height": height,
                    "colour": colour,
                    "count": count,
                    "category": _(CATEGORY_LABELS[category]),
                }
            )
        label = "–" if year == "no case" else year
        years.append({"x": 40 + index * (BAR_WIDTH + BAR_GAP), "label": label, "bars": bars})
    return {
        "years": years,
        "top": top,
        "width": 60 + len(years) * (BAR_WIDTH + BAR_GAP),
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
        "categories": [
            {"label": _(CATEGORY_LABELS[category]), "colour": colour}
            for category, colour in COLOURS.items()
        ],
    }


def _segments(guidelines: dict[str, Any] | None) -> dict[str, Any] | None:
    """A bar per segment (open cases, those with enough contacts) and the portfolios."""
    if not guidelines:
        return None
    per_segment = guidelines.get("segments", {})
    top = max((v["cases"] for v in per_segment.values()), default=0) or 1
    bars = [
        {
            "segment": segment,
            "y": 10 + index * 34,
            "total": figures["cases"] / top * 360,
            "enough": figures["enough_contacts"] / top * 360,
            "cases": figures["cases"],
            "enough_contacts": figures["enough_contacts"],
        }
        for index, (segment, figures) in enumerate(per_segment.items())
    ]
    return {"bars": bars, "portfolio": guidelines.get("portfolio", [])}


def _keys(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per rule: how many records, and the first of them (keys only)."""
    per_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        per_rule.setdefault(finding["rule_id"], []).append(finding)
    return [
        {
            "id": rule_id,
            "count": len(found),
            "findings": [{**f, "table": table_label(f["table"])} for f in found[:KEYS_PER_RULE]],
        }
        for rule_id, found in per_rule.items()
    ]


def table_label(name: str) -> str:
    """A table's label in the run's language (`*`: the whole package)."""
    return text_of(TABLES[name].label) if name in TABLES else _("the package")


def column_label(table: str, column: str) -> str:
    """A column's label in the run's language (empty for a column the format lacks)."""
    try:
        return text_of(TABLES[table].column(column).label)
    except KeyError:
        return ""


def render_html(data: dict[str, Any]) -> str:
    """The report page for a validation.json structure."""
    summary = data["summary"]
    meta = data.get("meta", {})
    passed = summary["passed"]
    categories: dict[str, int] = {}
    for rule in data["rules"]:
        categories[rule["category"]] = categories.get(rule["category"], 0) + rule["failed"]
    cards = [{"count": summary[k], "label": _(label)} for k, label in COUNT_LABELS.items()]
    cards += [
        {"count": count, "label": _(CATEGORY_LABELS.get(name, name))}
        for name, count in categories.items()
    ]
    rules = [
        {
            **rule,
            "title": _(title(rule["id"])),
            "description": _(fix(rule["id"])) or rule["description"],
            "category_label": _(CATEGORY_LABELS.get(rule["category"], rule["category"])),
            "severity_label": _(SEVERITY_LABELS.get(rule["severity"], rule["severity"])),
            "table_label": table_label(rule["table"]),
            "tolerated": rule.get("tolerated", False),
            "share": rule["failed"] / rule["checked"] if rule["checked"] else 0.0,
        }
        for rule in data["rules"]
        if rule["failed"]
    ]
    rows = meta.get("rows", {})
    return render(
        "report.html",
        title=_("Validation of {package}").format(package=meta.get("package_id", "?")),
        meta={
            "service_id": meta.get("service_id", "?"),
            "source_system": meta.get("source_system", "?"),
            "data_as_of": meta.get("data_as_of", "?"),
            "as_of": meta.get("as_of", "?"),
            "profile": meta.get("profile", {}).get("name", "?"),
            "tool_version": meta.get("tool_version", "?"),
        },
        passed=passed,
        errors=summary["errors"],
        cards=cards,
        rules=rules,
        chart=_chart(meta.get("findings_by_year", {})),
        segments=_segments(meta.get("segment_guidelines")),
        keys=_keys(data["findings"]),
        keys_per_rule=KEYS_PER_RULE,
        fill_rates=[
            {
                "label": table_label(table),
                "rows": rows[table],
                "columns": [
                    {"name": c, "label": column_label(table, c), "rate": rate}
                    for c, rate in columns.items()
                ],
            }
            for table, columns in meta.get("fill_rates", {}).items()
            if rows.get(table)
        ],
    )


__all__ = ["render_html"]
