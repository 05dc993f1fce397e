"""The clerks' worklist: what to fix in the legacy system, per social worker and case.

One row per finding of the stored validation report and per rejected record of the
package, with what a clerk needs to find the record in the legacy system and to know
what to do: the responsible social worker's short name, the case number, the table and
the source key, the rule's title and what to fix (in the run's language), the severity.
Rows are sorted by social worker, case, severity, table and key, so that each social
worker's cases come together; records that belong to no case (a rejected row whose
parent is missing, a staff member's portfolio) come last.

Keys, case numbers and staff short names only: never a client's name, AHV number,
address or text. A rejected record is not in the package's tables, so its case is known
only when its source key starts with a case's source key (`<case>/…`); otherwise it
stays unassigned.

    write_worklist(package, Path("worklist.xlsx"))   # or .csv
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc

from nffs_migration.errors import ConfigurationError, PackageError
from nffs_migration.files import open_private
from nffs_migration.i18n import N_, _, text_of
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.reader import Package, open_package, stored_report
from nffs_migration.intermediate_format.rules import fix, title

#: The order of severities in the list and in the workbook's sheets.
SEVERITIES = ("error", "warning", "info")
SEVERITY_LABELS = {"error": N_("errors"), "warning": N_("warnings"), "info": N_("infos")}
SEVERITY_NAMES = {"error": N_("error"), "warning": N_("warning"), "info": N_("info")}
KIND_LABELS = {"finding": N_("finding"), "rejected": N_("rejected record")}
#: The columns of a row, with their headings.
HEADINGS = (
    N_("social worker"),
    N_("case number"),
    N_("severity"),
    N_("kind"),
    N_("table"),
    N_("source key"),
    N_("field"),
    N_("rule"),
    N_("rule title"),
    N_("what to do"),
)
#: How a table's records reach their case: (column, table it names) until `cases`.
TO_CASE = {
    "cases": None,
    "case_members": ("case_id", "cases"),
    "budgets": ("case_id", "cases"),
    "budget_items": ("budget_id", "budgets"),
    "payments": ("case_id", "cases"),
    "journal_entries": ("case_id", "cases"),
    "measures": ("case_id", "cases"),
    "documents": ("case_id", "cases"),
}


@dataclass(frozen=True, order=True)
class WorkItem:
    """One row of the worklist (keys and case numbers only)."""

    staff: str
    case_number: str
    severity: str
    kind: str
    table: str
    source_key: str
    field: str
    rule_id: str


class _Cases:
    """From a record to its case number and the case's responsible social worker."""

    def __init__(self, package: Package) -> None:
        self.package = package
        staff = package.table("staff")
        short = dict(
            zip(staff["staff_id"].to_pylist(), staff["short_name"].to_pylist(), strict=True)
        )
        cases = package.table("cases")
        self.case: dict[str, tuple[str, str]] = {}
        self.by_source_key: dict[str, str] = {}
        for case_id, number, responsible, key in zip(
            cases["case_id"].to_pylist(),
            cases["case_number"].to_pylist(),
            cases["responsible_staff_id"].to_pylist(),
            cases["source_key"].to_pylist(),
            strict=True,
        ):
            self.case[case_id] = (number or "", short.get(responsible) or "")
            self.by_source_key[key] = case_id
        self.staff_short = short
        self.parents: dict[str, dict[str, str | None]] = {}
        self.person_case = self._person_cases()

    def _links(self, table: str) -> dict[str, str | None]:
        """Record id → the id its path to the case names next."""
        if table not in self.parents:
            column = TO_CASE[table]
            if column is None:
                self.parents[table] = {}
            else:
                rows = self.package.table(table).select([TABLES[table].primary_key, column[0]])
                self.parents[table] = dict(
                    zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True)
                )
        return self.parents[table]

    def _person_cases(self) -> dict[str, str]:
        """A person's case: where the person is the lead, else the first case listed."""
        members = self.package.table("case_members")
        lead = pc.fill_null(pc.equal(members["role"], "lead"), False)
        ordered = members.append_column("lead", lead).sort_by([("lead", "ascending")])
        found: dict[str, str] = {}
        for person, case in zip(
            ordered["person_id"].to_pylist(), ordered["case_id"].to_pylist(), strict=True
        ):
            found[person] = case  # leads come last and win
        return found

    def case_of(self, table: str, record_id: str | None) -> str | None:
        """The case id a record belongs to, when there is one."""
        if record_id is None:
            return None
        if table in ("persons", "addresses"):
            person = record_id
            if table == "addresses":
                if "addresses" not in self.parents:  # read once, on the first address
                    rows = self.package.table("addresses").select(["address_id", "person_id"])
                    self.parents["addresses"] = dict(
                        zip(rows.column(0).to_pylist(), rows.column(1).to_pylist(), strict=True)
                    )
                person = self.parents["addresses"].get(record_id) or ""
            return self.person_case.get(person)
        current: str | None = record_id
        link = TO_CASE.get(table)
        while link is not None and current is not None:
            current = self._links(table).get(current)
            table = link[1]
            link = TO_CASE.get(table)
        return current if table == "cases" else None

    def place(self, table: str, record_id: str | None) -> tuple[str, str]:
        """(case number, responsible social worker's short name) of a record."""
        if table == "staff" and record_id is not None:
            return "", self.staff_short.get(record_id) or ""
        case = self.case_of(table, record_id)
        return self.case.get(case, ("", "")) if case is not None else ("", "")

    def place_of_source_key(self, source_key: str) -> tuple[str, str]:
        """For a rejected record: its case when its key begins with a case's source key."""
        head = source_key.split("/", 1)[0]
        case = self.by_source_key.get(head)
        return self.case.get(case, ("", "")) if case is not None else ("", "")


def worklist(package_path: Path) -> list[WorkItem]:
    """Every finding and rejected record of a validated package, sorted for the clerks."""
    with open_package(package_path) as package:
        report = stored_report(package)
        if report is None:
            raise PackageError(
                f"{package.name} has no current validation report: run nffs-migrate validate "
                "first (the worklist lists its findings)"
            )
        places = _Cases(package)
        items = []
        for finding in report.findings:
            number, staff = places.place(finding.table, finding.record_id)
            items.append(
                WorkItem(
                    staff,
                    number,
                    str(finding.severity),
                    "finding",
                    finding.table,
                    finding.source_key or "",
                    finding.field or "",
                    finding.rule_id,
                )
            )
        for name in package.manifest.rejects:
            rejected = package.rejects(name)
            for key, source_table, rule in zip(
                rejected["source_key"].to_pylist(),
                rejected["source_table"].to_pylist(),
                rejected["rule"].to_pylist(),
                strict=True,
            ):
                number, staff = places.place_of_source_key(key or "")
                items.append(
                    WorkItem(staff, number, "error", "rejected", source_table, key or "", "", rule)
                )
    return sorted(items, key=_order)


def _order(item: WorkItem) -> tuple[object, ...]:
    return (
        item.staff == "",
        item.staff,
        item.case_number == "",
        item.case_number,
        SEVERITIES.index(item.severity) if item.severity in SEVERITIES else len(SEVERITIES),
        item.table,
        item.source_key,
        item.rule_id,
    )


def _row(item: WorkItem) -> list[str]:
    """A row as the clerk reads it, in the run's language."""
    table = text_of(TABLES[item.table].label) if item.table in TABLES else item.table
    return [
        item.staff,
        item.case_number,
        _(SEVERITY_NAMES.get(item.severity, item.severity)),
        _(KIND_LABELS[item.kind]),
        table,
        item.source_key,
        item.field,
        item.rule_id,
        _(title(item.rule_id)),
        _(fix(item.rule_id)) if fix(item.rule_id) else "",
    ]


def write_worklist(package: Path, out: Path) -> list[WorkItem]:
    """Write the worklist as `.xlsx` (a sheet per severity) or `.csv`; return its rows."""
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ConfigurationError(f"{out.name}: the worklist is written as .xlsx or .csv")
    items = worklist(package)
    if suffix == ".csv":
        _write_csv(items, out)
    else:
        _write_xlsx(items, out)
    return items


def _write_csv(items: Iterable[WorkItem], out: Path) -> None:
    # Semicolons and a byte-order mark: what Excel in Switzerland opens without a wizard.
    with open_private(out, newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([_(heading) for heading in HEADINGS])
        writer.writerows([_inert(cell) for cell in _row(item)] for item in items)


def _inert(cell: str) -> str:
    """A cell a spreadsheet never runs as a formula (a key may begin with `=` or `@`)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _write_xlsx(items: list[WorkItem], out: Path) -> None:
    import xlsxwriter

    out.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        bold = book.add_format({"bold": True, "bg_color": "#EEF1F6", "border": 1})
        widths = (14, 16, 10, 16, 18, 22, 18, 30, 34, 70)
        for severity in SEVERITIES:
            rows = [_row(item) for item in items if item.severity == severity]
            sheet = book.add_worksheet(_(SEVERITY_LABELS[severity]).capitalize()[:31])
            sheet.write_row(0, 0, [_(heading) for heading in HEADINGS], bold)
            for index, row in enumerate(rows, start=1):
                sheet.write_row(index, 0, row)
            for column, width in enumerate(widths):
                sheet.set_column(column, column, width)
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(rows), 1), len(HEADINGS) - 1)
    finally:
        book.close()
    out.chmod(0o600)


__all__ = ["HEADINGS", "WorkItem", "worklist", "write_worklist"]
