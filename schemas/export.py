"""Published artefacts for vendors, generated from the format definition.

`export_schemas(out)` writes what a vendor needs to produce packages without our code:

    manifest.schema.json            JSON Schema of manifest.json
    validation-report.schema.json   JSON Schema of reports/*.json (findings and rules)
    datapackage.json                Frictionless Data Package descriptor of every table
    table-schemas/<table>.json      one Frictionless Table Schema per table (and rejects)
    reference.md, reference.html    every table, column, type, code list and meaning
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from nffs_migration import __version__
from nffs_migration.intermediate_format.codes import CODE_LISTS
from nffs_migration.intermediate_format.definition import FORMAT_VERSION, REJECTS, TABLES
from nffs_migration.intermediate_format.findings import Category, Severity
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.intermediate_format.model import TABLE_SCHEMA_TYPES, Column, Table
from nffs_migration.intermediate_format.tableschema import data_package, table_schema

#: Code lists longer than this are listed in a collapsed block in the HTML reference.
LONG_CODE_LIST = 20


def manifest_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of manifest.json."""
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"NFFS intermediate package manifest, format {FORMAT_VERSION}"
    return schema


def report_json_schema() -> dict[str, Any]:
    """JSON Schema of a findings report (extract-findings.json, validation.json)."""
    severity = {"type": "string", "enum": [str(s) for s in Severity]}
    nullable = {"type": ["string", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"NFFS findings report, format {FORMAT_VERSION}",
        "type": "object",
        "required": ["summary", "rules", "findings"],
        "properties": {
            "summary": {
                "type": "object",
                "required": ["passed", "errors", "warnings", "infos"],
                "properties": {
                    "passed": {
                        "type": "boolean",
                        "description": "True when no finding is an error.",
                    },
                    "errors": {"type": "integer", "minimum": 0},
                    "warnings": {"type": "integer", "minimum": 0},
                    "infos": {"type": "integer", "minimum": 0},
                },
            },
            "rules": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "id",
                        "category",
                        "severity",
                        "table",
                        "description",
                        "checked",
                        "failed",
                    ],
                    "properties": {
                        "id": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
                        "category": {"type": "string", "enum": [str(c) for c in Category]},
                        "severity": severity,
                        "table": {"type": "string"},
                        "description": {"type": "string"},
                        "checked": {"type": "integer", "minimum": 0},
                        "failed": {"type": "integer", "minimum": 0},
                    },
                },
            },
            "findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "rule_id",
                        "severity",
                        "table",
                        "record_id",
                        "source_key",
                        "field",
                        "message",
                    ],
                    "properties": {
                        "rule_id": {"type": "string"},
                        "severity": severity,
                        "table": {"type": "string"},
                        "record_id": nullable,
                        "source_key": nullable,
                        "field": nullable,
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }


def _constraint_text(column: Column) -> str:
    parts = []
    if column.codes:
        parts.append(f"codes: [{column.codes}](#code-list-{column.codes.replace('_', '-')})")
    if column.fmt:
        parts.append(f"format {column.fmt.name}: `{column.fmt.pattern}`")
    if column.foreign_key:
        fk = column.foreign_key
        parts.append(f"refers to [{fk.table}](#table-{fk.table.replace('_', '-')}).{fk.column}")
    if column.unique:
        parts.append("unique")
    if column.minimum is not None or column.maximum is not None:
        low = "" if column.minimum is None else str(column.minimum)
        high = "" if column.maximum is None else str(column.maximum)
        parts.append(f"range {low}..{high}")
    return "; ".join(parts)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table_section(table: Table) -> list[str]:
    lines = [
        f'<a id="table-{table.name.replace("_", "-")}"></a>',
        f"### `{table.name}`: {table.label.en} (de: {table.label.de}; fr: {table.label.fr})",
        "",
        table.description,
        "",
        f"File `tables/{table.name}.parquet`; primary key `{table.primary_key}`.",
        "",
        "| column | type | required | constraints | de | fr | meaning |",
        "|---|---|---|---|---|---|---|",
    ]
    for column in table.columns:
        meaning = column.label.en + (f": {column.description}" if column.description else "")
        lines.append(
            f"| `{column.name}` | {column.kind.value} (`{column.arrow_type}`, "
            f"{TABLE_SCHEMA_TYPES[column.kind]}) | {'yes' if column.required else ''} | "
            f"{_cell(_constraint_text(column))} | {_cell(column.label.de)} | "
            f"{_cell(column.label.fr)} | {_cell(meaning)} |"
        )
    lines.append("")
    return lines


def reference_markdown() -> str:
    """The human-readable reference of the format in Markdown."""
    lines = [
        f"# NFFS intermediate format {FORMAT_VERSION}: reference",
        "",
        f"Generated by nffs-migration {__version__} from the format definition; do not edit.",
        "",
        "A package is one batch of one service from one source: `manifest.json`, "
        "`datapackage.json`, `tables/<table>.parquet` (zstd), `rejects/<table>.parquet`, "
        "`documents/…` and `reports/` (`extract-findings.json`, `validation.json`, "
        "`validation.html`). Every table of the format is in every package, empty where "
        "the source has none. Ids are `{service_id}:{source_system}:{source_key}`. Amounts "
        "are decimals with two places (CHF); timestamps are local civil time in "
        "Switzerland without offset; `manifest.json` times carry an offset.",
        "",
        "Per source table the manifest's accounting holds: "
        "`read = migrated + rejected + excluded`.",
        "",
        "## Tables",
        "",
    ]
    for table in TABLES.values():
        lines.extend(_table_section(table))
    lines.extend(_table_section(REJECTS)[:1])
    lines.extend(
        [
            "### Reject files `rejects/<table>.parquet`",
            "",
            REJECTS.description + " They hold keys and reasons, never the record's values.",
            "",
            "| column | type | required | meaning |",
            "|---|---|---|---|",
            *(
                f"| `{c.name}` | {c.kind.value} | yes | {_cell(c.description)} |"
                for c in REJECTS.columns
            ),
            "",
            "## Code lists",
            "",
        ]
    )
    for code_list in CODE_LISTS.values():
        anchor = code_list.name.replace("_", "-")
        lines.append(f'<a id="code-list-{anchor}"></a>')
        lines.append(f"### `{code_list.name}`")
        lines.append("")
        standard = f" Standard: {code_list.standard}." if code_list.standard else ""
        lines.append(code_list.description + standard)
        lines.append("")
        if len(code_list.codes) > LONG_CODE_LIST:
            lines.append(f"<details><summary>{len(code_list.codes)} codes</summary>")
            lines.append("")
        lines.append("| code | en | de | fr |")
        lines.append("|---|---|---|---|")
        for code in code_list.codes:
            lines.append(
                f"| `{code.value}` | {_cell(code.label.en)} | {_cell(code.label.de)} | "
                f"{_cell(code.label.fr)} |"
            )
        if len(code_list.codes) > LONG_CODE_LIST:
            lines.append("")
            lines.append("</details>")
        lines.append("")
    return "\n".join(lines)


def reference_html() -> str:
    """The reference as one self-contained HTML page (no external scripts, styles or fonts)."""
    from markupsafe import Markup

    from nffs_migration.pages import render

    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(reference_markdown())
    # The Markdown is the toolkit's own text (the definition's names and descriptions).
    page = Markup(body)  # noqa: S704
    return render("reference.html", title=f"NFFS intermediate format {FORMAT_VERSION}", body=page)


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def export_schemas(out: Path) -> list[Path]:
    """Write every published artefact into `out` (created if needed); return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put_json(relative: str, data: Any) -> None:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_json(path, data)
        written.append(path)

    put_json("manifest.schema.json", manifest_json_schema())
    put_json("validation-report.schema.json", report_json_schema())
    put_json("datapackage.json", data_package("nffs-intermediate-package"))
    for table in TABLES.values():
        put_json(f"table-schemas/{table.name}.json", table_schema(table))
    put_json("table-schemas/rejects.json", table_schema(REJECTS))
    for name, text in (
        ("reference.md", reference_markdown()),
        ("reference.html", reference_html()),
    ):
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


__all__ = [
    "export_schemas",
    "manifest_json_schema",
    "reference_html",
    "reference_markdown",
    "report_json_schema",
]
