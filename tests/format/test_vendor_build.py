"""The vendor kit: tables written by another tool become a package that validates.

A clean KiSS package's tables are written out the way a vendor would: some as CSV by
DuckDB, the others as Parquet by plain pyarrow, with the documents' files and an
accounting. `nffs-migrate package build` makes a package of them; it validates, and its
tables hold what the original held. Wrong accountings, columns and types are refused
with the table and column, never a value.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from extractor_kit import extract

from nffs_migration.errors import PackageError
from nffs_migration.intermediate_format import open_package
from nffs_migration.intermediate_format.build import build_package
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.sample_data.generate import generate
from nffs_migration.validators import validate_package

AS_CSV = ("persons", "cases", "journal_entries", "budget_items", "organisation")


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("vendor")
    source = generate("kiss", tmp / "source", cases=40, seed=7, dirt="none")
    options = {
        "source": f"sqlite:///{source.out / 'kiss.sqlite'}",
        "documents": source.out / "share",
    }
    extract("kiss", source, lambda _s: options, tmp / "package")
    return tmp / "package"


def _vendor_export(package: Path, folder: Path) -> None:
    """What a vendor's own tools write: CSV from DuckDB, Parquet from pyarrow, an accounting."""
    folder.mkdir()
    connection = duckdb.connect()
    with open_package(package) as opened:
        for name in TABLES:
            path = opened.root / "tables" / f"{name}.parquet"
            if name in AS_CSV:
                connection.execute(
                    f"COPY (SELECT * FROM read_parquet('{path}')) TO '{folder / name}.csv' "
                    "(HEADER, DELIMITER ',')"
                )
            else:
                pq.write_table(pq.read_table(path), folder / f"{name}.parquet")
        with (folder / "accounting.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(
                ["source_table", "read", "migrated", "rejected", "excluded", "excluded_by_rule"]
            )
            for table, c in opened.manifest.accounting.items():
                by_rule = json.dumps(c.excluded_by_rule)
                writer.writerow([table, c.read, c.migrated, c.rejected, c.excluded, by_rule])
        shutil.copytree(opened.root / "documents", folder.parent / "documents")


def test_a_vendors_tables_become_a_package_that_validates(
    original: Path, tmp_path: Path, cli
) -> None:
    _vendor_export(original, tmp_path / "export")
    out = tmp_path / "built"
    result = cli(
        "package",
        "build",
        "--tables",
        str(tmp_path / "export"),
        "--documents",
        str(tmp_path / "documents"),
        "--service",
        "0942",
        "--system",
        "kiss",
        "--as-of",
        "2026-11-30T18:00",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.stderr
    assert validate_package(out).report.summary["passed"]
    with open_package(original) as ours, open_package(out) as theirs:
        for name in TABLES:
            key = TABLES[name].primary_key
            a = ours.table(name).sort_by(key).to_pylist()
            b = theirs.table(name).sort_by(key).to_pylist()
            assert a == b, name
        assert theirs.manifest.documents.count == ours.manifest.documents.count > 0
        assert theirs.manifest.accounting == ours.manifest.accounting


def test_an_accounting_that_does_not_add_up_is_refused(original: Path, tmp_path: Path) -> None:
    _vendor_export(original, tmp_path / "export")
    accounting = tmp_path / "export" / "accounting.csv"
    lines = accounting.read_text().splitlines()
    table, read, migrated, rejected, excluded, by_rule = next(csv.reader([lines[1]]))
    lines[1] = _csv_line(
        [table, str(int(read) + 1), str(int(migrated) + 1), rejected, excluded, by_rule]
    )
    accounting.write_text("\n".join(lines) + "\n")
    with pytest.raises(PackageError, match="migrated, the tables hold"):
        _build(tmp_path, "built")
    lines[1] = _csv_line([table, read, str(int(migrated) + 1), rejected, excluded, by_rule])
    accounting.write_text("\n".join(lines) + "\n")
    with pytest.raises(PackageError, match="does not balance"):
        _build(tmp_path, "built")


def test_wrong_columns_and_types_name_the_column_never_the_value(
    original: Path, tmp_path: Path
) -> None:
    _vendor_export(original, tmp_path / "export")
    persons = tmp_path / "export" / "persons.csv"
    text = persons.read_text()
    header, first, *rest = text.splitlines()
    columns = header.split(",")
    cells = next(csv.reader([first]))
    birth = columns.index("birth_date")
    value = "not-a-date-Muster"
    cells[birth] = value
    persons.write_text("\n".join([header, _csv_line(cells), *rest]) + "\n")
    with pytest.raises(PackageError) as caught:
        _build(tmp_path, "built")
    assert "birth_date" in caught.value.message and value not in caught.value.message
    persons.write_text(text.replace("birth_date", "geburtsdatum", 1))
    with pytest.raises(PackageError, match="columns the format does not have: geburtsdatum"):
        _build(tmp_path, "built2")


def _csv_line(cells: list[str]) -> str:
    import io

    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue().rstrip("\r\n")


def _build(tmp_path: Path, out: str) -> object:
    return build_package(
        tmp_path / "export",
        tmp_path / out,
        service_id="0942",
        source_system="kiss",
        data_as_of=_moment(),
        documents=tmp_path / "documents",
    )


def _moment():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(2026, 11, 30, 18, tzinfo=ZoneInfo("Europe/Zurich"))


def test_a_package_is_refused_without_accounting(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    pq.write_table(pa.table({"x": [1]}), tmp_path / "export" / "unrelated.parquet")
    from nffs_migration.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"no accounting\.csv"):
        build_package(
            tmp_path / "export",
            tmp_path / "built",
            service_id="0942",
            source_system="kiss",
            data_as_of=_moment(),
        )
