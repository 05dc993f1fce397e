"""Schemas from the definition: pandera, Table Schemas checked by frictionless, reference."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pandera.errors
import pyarrow as pa
import pytest
from format_strategies import frame_strategy, table_strategy
from hypothesis import given, settings

from nffs_migration.intermediate_format import CODE_LISTS, TABLES, PackageWriter
from nffs_migration.schemas.export import export_schemas, reference_markdown
from nffs_migration.schemas.pandera_schemas import pandera_schema

REPO = Path(__file__).resolve().parents[2]
AS_OF = datetime(2026, 3, 14, tzinfo=UTC)


@pytest.mark.parametrize("name", list(TABLES))
@settings(max_examples=10, deadline=None)
@given(data=__import__("hypothesis").strategies.data())
def test_generated_valid_rows_pass_the_pandera_schema(name: str, data) -> None:
    frame = data.draw(frame_strategy(TABLES[name], max_rows=10))
    pandera_schema(name).validate(frame, lazy=True)


def _persons(**overrides: list[object]) -> pd.DataFrame:
    columns = {c.name: [None, None] for c in TABLES["persons"].columns}
    columns.update(
        person_id=["0942:klibnet:1", "0942:klibnet:2"],
        source_system=["klibnet", "klibnet"],
        source_key=["1", "2"],
        service_id=["0942", "0942"],
        birth_date_precision=["day", "day"],
        sex=["1", "2"],
    )
    columns.update(overrides)
    table = pa.Table.from_pydict(columns, schema=TABLES["persons"].arrow_schema)
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def _failures(frame: pd.DataFrame) -> set[tuple[str, str, int]]:
    with pytest.raises(pandera.errors.SchemaErrors) as caught:
        pandera_schema("persons").validate(frame, lazy=True)
    cases = caught.value.failure_cases
    return {
        (row.column, row.check, int(row.index))
        for row in cases.itertuples()
        if row.index is not None
    }


def test_pandera_reports_every_failure_with_column_check_and_row() -> None:
    frame = _persons(
        sex=["1", "7"],
        ahvn13=["7561234567890", "7561234567897"],
        nationality=["Eritrea", "ER"],
        person_id=["0942:klibnet:1", "0942:klibnet:1"],
    )
    failures = _failures(frame)
    assert ("sex", "codes", 1) in failures
    assert ("ahvn13", "check_digit", 0) in failures
    assert ("nationality", "codes", 0) in failures
    assert {f for f in failures if f[0] == "person_id" and f[1] == "field_uniqueness"}
    assert not {f for f in failures if f[2] == 1 and f[0] == "ahvn13"}


def test_pandera_refuses_nulls_in_required_columns() -> None:
    frame = _persons()
    frame["sex"] = pd.array([None, "1"], dtype=frame["sex"].dtype)
    assert ("sex", "not_nullable", 0) in _failures(frame)


def test_code_lists_hold_the_contracts_codes() -> None:
    assert CODE_LISTS["marital_status"].values == ("1", "2", "3", "4", "5", "6", "7", "9")
    assert CODE_LISTS["sex"].values == ("1", "2", "3")
    assert CODE_LISTS["residence_permit"].values == ("CH", "C", "B", "F", "N", "L", "S")
    assert {"CH", "ER", "DE", "XX"} <= set(CODE_LISTS["country"].values)
    assert {"de", "fr", "it", "en", "ti"} <= set(CODE_LISTS["language"].values)
    positions = "GBL MIETE NK KVG SIL EFB IZU LOHN AHV_IV ALV ALIM UEBR".split()
    assert list(CODE_LISTS["budget_position"].values) == positions
    assert CODE_LISTS["country"].label("CH").de == "Schweiz"  # type: ignore[union-attr]


def _frictionless(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("frictionless")
    return subprocess.run(
        [str(exe), "validate", *args, "--limit-errors", "100000", "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _package_with_exported_schemas(tmp_path: Path, tables: dict[str, pa.Table]) -> Path:
    exported = tmp_path / "published"
    export_schemas(exported)
    package = tmp_path / "package"
    with PackageWriter(
        package, service_id="0942", source_system="klibnet", data_as_of=AS_OF
    ) as writer:
        for name, table in tables.items():
            writer.write(name, table)
    # A vendor's view: the package's tables checked against the *published* schemas.
    shutil.copytree(exported / "table-schemas", package / "published-schemas")
    descriptor = {
        "name": "vendor-check",
        "resources": [
            {
                "name": name,
                "path": f"tables/{name}.parquet",
                "format": "parquet",
                "schema": f"published-schemas/{name}.json",
            }
            for name in TABLES
        ],
    }
    (package / "vendor.json").write_text(json.dumps(descriptor))
    return package


@settings(max_examples=1, deadline=None)
@given(
    persons=table_strategy(TABLES["persons"], max_rows=10),
    cases=table_strategy(TABLES["cases"], max_rows=10),
)
def test_exported_table_schemas_validate_a_written_package_with_frictionless(
    persons: pa.Table, cases: pa.Table, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tmp_path = tmp_path_factory.mktemp("fl")
    cases = cases.set_column(
        cases.schema.get_field_index("responsible_staff_id"),
        "responsible_staff_id",
        pa.nulls(cases.num_rows, pa.string()),
    )
    package = _package_with_exported_schemas(tmp_path, {"persons": persons, "cases": cases})
    result = _frictionless("vendor.json", cwd=package)
    report = json.loads(result.stdout)
    assert report["valid"], [t.get("errors") for t in report["tasks"]]
    assert len(report["tasks"]) == len(TABLES)


def test_frictionless_with_exported_schemas_finds_a_bad_code(tmp_path: Path) -> None:
    bad = _persons(sex=["1", "7"]).pipe(pa.Table.from_pandas, preserve_index=False)
    package = tmp_path / "p"
    package.mkdir()
    table_path = package / "persons.parquet"
    import pyarrow.parquet as pq

    pq.write_table(bad.cast(TABLES["persons"].arrow_schema), table_path)
    export_schemas(tmp_path / "published")
    shutil.copy(
        tmp_path / "published" / "table-schemas" / "persons.json", package / "persons.schema.json"
    )
    result = _frictionless("persons.parquet", "--schema", "persons.schema.json", cwd=package)
    report = json.loads(result.stdout)
    assert not report["valid"]
    errors = report["tasks"][0]["errors"]
    assert [(e["type"], e["fieldName"], e["rowNumber"]) for e in errors] == [
        ("constraint-error", "sex", 3)
    ]


def test_committed_reference_matches_the_definition() -> None:
    committed = (REPO / "docs" / "format-reference.md").read_text(encoding="utf-8")
    assert committed == reference_markdown(), (
        "docs/format-reference.md is stale: run `nffs-migrate schema export --out /tmp/s` "
        "and copy reference.md to docs/format-reference.md"
    )


def test_export_writes_manifest_schema_table_schemas_and_self_contained_reference(
    tmp_path: Path,
) -> None:
    written = export_schemas(tmp_path)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {
        "manifest.schema.json",
        "validation-report.schema.json",
        "reference.md",
        "reference.html",
    } <= names
    assert {f"table-schemas/{name}.json" for name in TABLES} <= names
    html = (tmp_path / "reference.html").read_text()
    assert "<script" not in html and "http" not in html.split("</style>")[0]
    assert "ahvn13" in html and "Zivilstand" in html
    manifest_schema = json.loads((tmp_path / "manifest.schema.json").read_text())
    assert {"tables", "accounting", "batch", "files"} <= set(manifest_schema["properties"])


def test_manifest_json_schema_accepts_a_written_manifest(tmp_path: Path) -> None:
    import jsonschema

    with PackageWriter(
        tmp_path / "p", service_id="0942", source_system="tutoris", data_as_of=AS_OF
    ) as writer:
        writer.account("Person", read=1, excluded=1, excluded_by_rule={"test-record": 1})
    export_schemas(tmp_path / "s")
    schema = json.loads((tmp_path / "s" / "manifest.schema.json").read_text())
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    jsonschema.validate(manifest, schema)
    report_schema = json.loads((tmp_path / "s" / "validation-report.schema.json").read_text())
    jsonschema.validate(
        json.loads((tmp_path / "p" / "reports" / "extract-findings.json").read_text()),
        report_schema,
    )
