"""`mapping init`: a first mapping proposed from the headers of a source folder.

Headers are matched (rapidfuzz) against the German, French and English labels of the
format's fields, their names, and a few terms services use for the same thing
(`TERMS`); an abbreviation such as `Geb.datum` or `Zivilst.` counts when its parts start
the label's. Each file or sheet goes to the table whose fields its headers match best.
The YAML says, in comments, what was guessed and how sure it is (0-100), leaves
`# TODO` where a required field found no column, and never writes a value map it
cannot know: the distinct values of a column matched to a code field are listed as
commented entries with their counts, for a person to fill in. Values of other columns
(names, AHV numbers, texts, dates) never appear in the proposal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from nffs_migration.extractors.custom.scan import ColumnScan, SourceScan, scan_folder
from nffs_migration.intermediate_format.definition import CODE_LISTS, TABLES
from nffs_migration.intermediate_format.model import Column, Kind

#: A header matches a field at this score or better.
THRESHOLD = 80
#: Terms in use for a field beside its labels (German lists, mostly).
TERMS: dict[str, tuple[str, ...]] = {
    "person_id": ("Klient", "Klient Nr", "Klientin", "Klient/in", "client"),
    "responsible_staff_id": ("SA", "Sozialarbeiter/in", "Fallführer/in"),
    "staff_id": ("SA", "Sozialarbeiter/in", "Visum"),
    "residence_permit": ("Bewilligung", "Ausweis", "Aufenthalt"),
    "death_date": ("gestorben", "Todesdatum"),
    "opened_on": ("eröffnet", "Eröffnungsdatum"),
    "closed_on": ("abgeschlossen", "Abschlussdatum"),
    "closing_reason": ("Grund", "Abschlussgrund"),
    "valid_from": ("von", "ab"),
    "valid_to": ("bis",),
    "value_date": ("Datum", "Zahldatum"),
    "created_at": ("Datum", "Scandatum"),
    "street": ("Adresse", "Strasse Nr"),
    "case_number": ("Dossier", "Dossier Nr", "Dossiernr"),
}
#: Names of files and sheets in use for a table beside its labels.
TABLE_TERMS: dict[str, tuple[str, ...]] = {
    "persons": ("Klienten", "Klientinnen", "Personen", "clients"),
    "case_members": ("Haushalt", "Haushalte", "Dossierpersonen", "ménages"),
    "cases": ("Dossiers", "Fälle"),
    "staff": ("Mitarbeiter", "Personal"),
    "payments": ("Auszahlungen", "Zahlungen", "paiements"),
    "journal_entries": ("Notizen", "Journal", "notes"),
    "documents": ("Dokumente", "Scans", "index"),
    "budgets": ("Budgets",),
    "budget_items": ("Budgetpositionen", "Positionen"),
    "measures": ("Massnahmen", "mesures"),
}
#: Fields the extractor fills, and tables not proposed from a file.
DERIVED = {"media_type", "size_bytes", "sha256"}


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[._/\-()]+", " ", text.lower()).split())


@lru_cache(maxsize=65_536)
def score(header: str, candidate: str) -> float:
    """How well a header matches a label or term (0-100)."""
    h, c = _norm(header), _norm(candidate)
    if not h or not c:
        return 0.0
    if h == c or h.replace(" ", "") == c.replace(" ", ""):
        return 100.0
    tokens = h.split()
    squeezed = c.replace(" ", "")
    abbreviation = ".*?".join(re.escape(t) for t in tokens) + ".*"
    if (
        len(h.replace(" ", "")) >= 3
        and squeezed.startswith(tokens[0])
        and re.fullmatch(abbreviation, squeezed)
    ):
        return 90.0
    return float(fuzz.ratio(h, c))


def field_score(header: str, column: Column) -> float:
    """The best score of a header against a field's labels, name and terms."""
    label = column.label
    candidates = (label.de, label.fr, label.en, column.name, *TERMS.get(column.name, ()))
    return max(score(header, candidate) for candidate in candidates)


@dataclass
class Match:
    """A header assigned to a field, with its score."""

    field: Column
    column: ColumnScan
    score: float


@dataclass
class Proposal:
    """One source proposed for one table."""

    table: str
    source: SourceScan
    matches: dict[str, Match] = field(default_factory=dict)
    name_score: float = 0.0

    @property
    def weight(self) -> float:
        """How well the source fits the table."""
        bonus = 3.0 if self.name_score >= THRESHOLD else 0.0
        return sum(m.score for m in self.matches.values()) / 100 + bonus


def _fields(table: str) -> list[Column]:
    return [c for c in TABLES[table].columns if not c.lineage and c.name not in DERIVED]


def match(table: str, source: SourceScan) -> Proposal:
    """Assign a source's headers to a table's fields, best pairs first, each used once."""
    pairs = []
    for column in _fields(table):
        for scan in source.columns:
            if scan.name:
                value = field_score(scan.name, column)
                if value >= THRESHOLD:
                    pairs.append((value, column.name, scan.name, column, scan))
    proposal = Proposal(table, source)
    used: set[str] = set()
    for value, name, header, column, scan in sorted(pairs, key=lambda p: (-p[0], p[1], p[2])):
        if name in proposal.matches or header in used:
            continue
        proposal.matches[name] = Match(column, scan, value)
        used.add(header)
    label = TABLES[table].label
    names = (label.de, label.fr, label.en, table, *TABLE_TERMS.get(table, ()))
    proposal.name_score = max(score(source.stem, n) for n in names)
    return proposal


def assign(sources: list[SourceScan]) -> list[Proposal]:
    """Each source to its best table, each table from one source, best fits first."""
    candidates = [
        match(table, source) for source in sources for table in TABLES if table != "organisation"
    ]
    chosen: list[Proposal] = []
    tables: set[str] = set()
    taken: set[str] = set()
    for proposal in sorted(candidates, key=lambda p: (-p.weight, p.table, p.source.label)):
        enough = len(proposal.matches) >= 2 or (
            proposal.name_score >= THRESHOLD and proposal.matches
        )
        if not enough or proposal.table in tables or proposal.source.label in taken:
            continue
        chosen.append(proposal)
        tables.add(proposal.table)
        taken.add(proposal.source.label)
    order = list(TABLES)
    return sorted(chosen, key=lambda p: order.index(p.table))


# -- writing ---------------------------------------------------------------------------


def _q(value: Any) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML."""
    return json.dumps(value, ensure_ascii=False)


def _key(proposal: Proposal) -> tuple[str, str]:
    """The key template and how it was found."""
    matched = {m.column.name for m in proposal.matches.values()}
    columns = [c for c in proposal.source.columns if c.name and c.filled == proposal.source.rows]
    for column in columns:
        if column.unique and (column.name not in matched or column.name in _identifying(proposal)):
            return (
                "{" + column.name + "}",
                "guessed: the first column whose values are all different",
            )
    case = proposal.matches.get("case_id")
    if case is not None:
        entity = TABLES[proposal.table].entity
        return (
            "{" + case.column.name + "}/" + entity + "/{seq}",
            "TODO: no column is a key; records are numbered per case in file order",
        )
    return "TODO", 'TODO: no column is a key: write a template such as "{Nr}"'


def _identifying(proposal: Proposal) -> set[str]:
    names = ("case_number", "short_name", "file")
    return {m.column.name for n, m in proposal.matches.items() if n in names}


def _rule(proposal: Proposal, match_: Match, maps: dict[str, list[str]]) -> tuple[str, str]:
    column, scan = match_.field, match_.column
    parts = [f"column: {_q(scan.name)}"]
    note = f"score {match_.score:.0f}"
    if column.kind in (Kind.DATE, Kind.TIMESTAMP):
        found = scan.date_format_guess()
        if found:
            parts.append("format: " + (_q(found[0]) if len(found) == 1 else _q(found)))
            note += "; format seen in the data"
        else:
            note += "; TODO: format (no date seen)"
    elif column.kind is Kind.MONEY:
        found = scan.amount_format_guess()
        if found:
            parts.append("format: " + (_q(found[0]) if len(found) == 1 else _q(found)))
            note += "; format seen in the data"
    elif column.kind in (Kind.CODE, Kind.BOOLEAN) and scan.values is not None:
        codes = set(CODE_LISTS[column.codes].values) if column.codes else set()
        if scan.values and set(scan.values) <= codes:
            note += "; the values are codes of the format already"
        elif scan.code_like:
            name = _map_name(proposal, scan.name, maps)
            parts.append(f"map: {name}")
            maps[name] = _map_lines(proposal, column, scan)
            note += f"; TODO: fill in value map {name}"
    elif column.kind in (Kind.CODE, Kind.BOOLEAN):
        note += "; TODO: too many distinct values for a code: check the column"
    return "{" + ", ".join(parts) + "}", note


def _map_name(proposal: Proposal, header: str, maps: dict[str, list[str]]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", _norm(header)).strip("_") or "werte"
    name, number = base, 2
    while name in maps:
        name, number = f"{base}_{number}", number + 1
    return name


def _map_lines(proposal: Proposal, column: Column, scan: ColumnScan) -> list[str]:
    if column.kind is Kind.BOOLEAN:
        targets = "true or false"
    else:
        codes = CODE_LISTS[column.codes].values if column.codes else ()
        targets = ", ".join(codes[:20]) + (", …" if len(codes) > 20 else "")
    lines = [
        f"  # TODO: {proposal.source.label}, column {_q(scan.name)} -> {proposal.table}."
        f"{column.name}; codes: {targets}",
        "  # Uncomment each line and write its code; an unlisted value stays unmapped.",
    ]
    assert scan.values is not None  # noqa: S101 - only code-like columns get a map
    for value, count in sorted(scan.values.items(), key=lambda item: (-item[1], item[0])):
        lines.append(f"    # {_q(value)}: TODO    # {count} rows")
    return lines


def _table_lines(proposal: Proposal, maps: dict[str, list[str]], service: str) -> list[str]:
    source = proposal.source
    spec = [f"file: {_q(source.file)}"]
    if source.sheet is not None:
        spec.append(f"sheet: {_q(source.sheet)}")
    spec.append(f"header_row: {source.header_row}")
    key, key_note = _key(proposal)
    lines = [
        f"  {proposal.table}:",
        f"    # from {source.label}: {len(proposal.matches)} of {len(source.columns)} columns "
        f"matched (fit {proposal.weight:.1f})",
        "    source: {" + ", ".join(spec) + "}",
        f"    key: {_q(key)}    # {key_note}",
    ]
    key_columns = re.findall(r"\{([^{}]+)\}", key)
    blank = [c for c in key_columns if c not in ("seq", "parent")]
    if blank:
        lines.append("    skip_rows: {blank: [" + ", ".join(_q(c) for c in blank) + "]}")
    lines.append("    fields:")
    for column in _fields(proposal.table):
        found = proposal.matches.get(column.name)
        if found is not None:
            rule, note = _rule(proposal, found, maps)
            lines.append(f"      {column.name}: {rule}    # {note}")
        elif column.name == "birth_date_precision" and "birth_date" in proposal.matches:
            lines.append(f"      {column.name}: {{precision_of: birth_date}}")
        elif column.required:
            lines.append(
                f"      # TODO: {column.name} (required, {column.label.de}): no column matched; "
                "give {column: …} or {value: …}"
            )
    used = {m.column.name for m in proposal.matches.values()} | set(blank)
    rest = [c.name for c in source.columns if c.name and c.name not in used]
    if rest:
        lines.append(f"    # columns not matched: {', '.join(_q(c) for c in rest)}")
    return lines


def propose_mapping(root: Path, service_id: str | None = None) -> str:
    """The text of a proposed `mapping.yaml` for the CSV and XLSX files in `root`."""
    sources, notes = scan_folder(root)
    proposals = assign(sources)
    service = service_id or "0000"
    todo = "" if service_id else "    # TODO: the service's BFS number (4 digits)"
    lines = [
        "# Proposed by `nffs-migrate mapping init`: every entry is a guess; check each one.",
        "# Scores are 0-100 (how well a header matches the field's label, rapidfuzz).",
        "# Format of this file: docs/custom-mapping.md. Then: nffs-migrate mapping check.",
        "mapping_format: 1",
        f"service_id: {_q(service)}{todo}",
        "",
        "files:",
    ]
    for source in {s.file: s for s in sources}.values():
        if source.kind == "xlsx":
            lines.append(f"  {_q(source.file)}: {{type: xlsx}}")
        else:
            encoding = {"cp1252": "windows-1252"}.get(source.encoding or "", source.encoding)
            lines.append(
                f"  {_q(source.file)}: {{type: csv, encoding: {_q(encoding)}, "
                f"delimiter: {_q(source.delimiter)}, quote: {_q(source.quote)}}}"
            )
    documents = next((p for p in proposals if p.table == "documents"), None)
    if documents is not None:
        folder = Path(documents.source.file).parent.as_posix()
        lines += ["", f"documents_folder: {_q(folder)}    # guessed: the folder of the index"]
    lines += [
        "",
        "tables:",
        "  organisation:",
        f"    key: {_q(service)}",
        "    fields:",
        '      name: {value: "TODO"}    # TODO: the name of the service',
        "      commune_numbers: {value: []}    # TODO: BFS numbers of the communes served",
        '      data_as_of: {value: "TODO", format: "DD.MM.YYYY hh:mm"}    '
        "# TODO: the moment of the export",
    ]
    maps: dict[str, list[str]] = {}
    for proposal in proposals:
        lines.append("")
        lines.extend(_table_lines(proposal, maps, service))
    missing = [t for t in TABLES if t != "organisation" and t not in {p.table for p in proposals}]
    if missing:
        lines += ["", f"  # not proposed (no file matched): {', '.join(missing)}"]
    for note in notes:
        lines.append(f"  # {note}")
    if maps:
        lines += ["", "value_maps:"]
        for name, entries in maps.items():
            lines.extend(entries[:2])
            lines.append(f"  {name}:")
            lines.extend(entries[2:])
    return "\n".join(lines) + "\n"


__all__ = ["TERMS", "assign", "field_score", "match", "propose_mapping", "score"]
