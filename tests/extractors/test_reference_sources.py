"""Hand-written reference sources: what each extractor must make of them, row by row.

`tests/reference/<system>/` holds a small, clean source of each system, written by hand
from `shared/legacy-systems/` (not by `sample_data/`, so a mistake the generator and an
extractor share cannot hide here), and `expected.yaml`: every row of every table of
the package, written out. The tests extract each source and compare the package with
those rows, check the accounting, and validate it: a clean source gives no error and no
warning under the canton's default profile.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from package_digests import reference_source

from nffs_migration.extractors import get_extractor
from nffs_migration.extractors.base import SWISS_TIME
from nffs_migration.extractors.run import extract_package
from nffs_migration.intermediate_format import open_package
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.validators import validate_package

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
SYSTEMS = sorted(p.name for p in REFERENCE.iterdir() if (p / "expected.yaml").is_file())


def _expected(system: str) -> dict[str, Any]:
    return yaml.safe_load((REFERENCE / system / "expected.yaml").read_text(encoding="utf-8"))


def _build(system: str, where: Path) -> dict[str, Any]:
    """The source in a folder of its own, and the extraction options for it."""
    return reference_source(system, where)[0]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


@pytest.fixture(scope="module", params=SYSTEMS)
def extracted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    system = request.param
    expected = _expected(system)
    where = tmp_path_factory.mktemp(system)
    options = _build(system, where / "source")
    extractor = get_extractor(system)
    as_of = datetime.fromisoformat(expected["as_of"]).replace(tzinfo=SWISS_TIME)
    opts = extractor.options_class(service_id="0942", as_of=as_of, **options)
    result = extract_package(extractor, opts, where / "package")
    return system, expected, result.out


def test_every_row_of_the_package_is_the_one_written_out(extracted) -> None:
    system, expected, package = extracted
    prefix = f"0942:{system}:"
    with open_package(package) as opened:
        for name, table in TABLES.items():
            spec = expected["tables"].get(name, {"columns": ["source_key"], "rows": []})
            references = {c.name for c in table.columns if c.foreign_key is not None}
            want = {}
            for row in spec["rows"]:
                values = dict(zip(spec["columns"], row, strict=True))
                for column in references & set(values):
                    if values[column] is not None:
                        values[column] = prefix + values[column]
                want[prefix + values["source_key"]] = values
            got = {}
            for row in opened.table(name).to_pylist():
                assert row["source_system"] == system and row["service_id"] == "0942", name
                got[row[table.primary_key]] = {c: _plain(row[c]) for c in spec["columns"]}
            assert sorted(got) == sorted(want), name
            for key, values in want.items():
                assert got[key] == values, (name, key)


def test_every_source_record_is_migrated_and_accounted_for(extracted) -> None:
    _, _, package = extracted
    with open_package(package) as opened:
        accounting = opened.manifest.accounting
        assert accounting
        for source_table, counts in accounting.items():
            assert counts.balanced, source_table
            assert counts.rejected == 0 and counts.excluded == 0, source_table
        assert not opened.manifest.rejects or all(
            entry.rows == 0 for entry in opened.manifest.rejects.values()
        )


def test_a_clean_reference_source_gives_no_error_and_no_warning(extracted) -> None:
    _, _, package = extracted
    report = validate_package(package).report
    noisy = [
        (f.rule_id, f.table, f.source_key) for f in report.findings if f.severity.value != "info"
    ]
    assert noisy == []
    assert report.summary["errors"] == 0 and report.summary["warnings"] == 0
