"""The clerks' worklist: every finding and reject once, grouped, keys only, a real workbook.

A generated KLIBnet source with the field's defects is extracted and validated; the
worklist is written as CSV and XLSX (English and German) and read back with the csv
module and openpyxl.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from extractor_kit import extract

from nffs_migration.intermediate_format import open_package
from nffs_migration.intermediate_format.reader import stored_report
from nffs_migration.sample_data.generate import generate
from nffs_migration.validators import validate_package
from nffs_migration.validators.worklist import HEADINGS, worklist


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("worklist")
    source = generate("klibnet", tmp / "source", cases=120, seed=41, dirt="realistic")
    out = tmp / "package"
    options = {
        "source": f"sqlite:///{source.out / 'klibnet.sqlite'}",
        "documents": source.out / "share",
    }
    extract("klibnet", source, lambda _s: options, out)
    validate_package(out)
    return out


def _expected(package: Path) -> Counter[tuple[str, str, str]]:
    """(rule, source key, kind) of every finding and rejected record of the package."""
    expected: Counter[tuple[str, str, str]] = Counter()
    with open_package(package) as opened:
        report = stored_report(opened)
        assert report is not None
        for f in report.findings:
            expected[(f.rule_id, f.source_key or "", "finding")] += 1
        for name in opened.manifest.rejects:
            for row in opened.rejects(name).to_pylist():
                expected[(row["rule"], row["source_key"], "rejected")] += 1
    return expected


def _personal_values(package: Path) -> set[str]:
    with open_package(package) as opened:
        persons = opened.frame("persons")
        addresses = opened.frame("addresses")
        texts = opened.frame("journal_entries")["text"].dropna().head(50)
    values = (
        set(persons["family_name"].dropna())
        | set(persons["given_name"].dropna())
        | set(persons["ahvn13"].dropna())
        | set(addresses["street"].dropna())
        | set(texts)
    )
    return {v for v in values if len(v) > 3}


def test_every_finding_and_reject_is_listed_once(package: Path) -> None:
    items = worklist(package)
    listed = Counter((i.rule_id, i.source_key, i.kind) for i in items)
    assert listed == _expected(package)
    assert any(i.kind == "rejected" for i in items) and any(i.kind == "finding" for i in items)


def test_rows_come_grouped_by_social_worker_then_case(package: Path) -> None:
    items = worklist(package)
    groups = [(i.staff == "", i.staff, i.case_number == "", i.case_number) for i in items]
    assert groups == sorted(groups)
    # Each social worker's rows form one block, each case's rows one block within it.
    blocks = [g for n, g in enumerate(groups) if n == 0 or g != groups[n - 1]]
    assert len(blocks) == len(set(groups))
    assert sum(1 for i in items if i.staff and i.case_number) > len(items) / 2


def test_csv_holds_the_rows_in_the_clerks_language_and_no_personal_value(
    package: Path, cli, tmp_path: Path
) -> None:
    out = tmp_path / "liste.csv"
    result = cli("--lang", "de", "worklist", str(package), "--out", str(out))
    assert result.exit_code == 0, result.stderr
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(text.splitlines(), delimiter=";"))
    assert rows[0][0] != HEADINGS[0] and rows[0][1] != HEADINGS[1]  # German headings
    assert len(rows) - 1 == sum(_expected(package).values())
    german_fix = next(r for r in rows[1:] if r[7] == "talk-without-duration")[9]
    assert german_fix and german_fix != "Record how long the talk lasted."
    assert not [v for v in _personal_values(package) if v in text]


def test_the_workbook_has_a_sheet_per_severity_frozen_and_filtered(
    package: Path, cli, tmp_path: Path
) -> None:
    out = tmp_path / "worklist.xlsx"
    assert cli("worklist", str(package), "--out", str(out)).exit_code == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Errors", "Warnings", "Infos"]
    items = worklist(package)
    cells: list[str] = []
    for sheet, severity in zip(book.worksheets, ("error", "warning", "info"), strict=True):
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:J")
        header = [c.value for c in sheet[1]]
        assert header == list(HEADINGS)
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(rows) == sum(1 for i in items if i.severity == severity)
        cells.extend(str(v) for row in rows for v in row if v is not None)
    text = "\n".join(cells)
    assert not [v for v in _personal_values(package) if v in text]
    assert out.stat().st_mode & 0o077 == 0


def test_a_worklist_is_csv_or_xlsx(package: Path, cli, tmp_path: Path) -> None:
    result = cli("worklist", str(package), "--out", str(tmp_path / "list.pdf"))
    assert result.exit_code == 2 and ".xlsx or .csv" in result.stderr
