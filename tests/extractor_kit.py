"""The conformance kit for extractors: one line gives an extractor its standard tests.

    class TestKlibnetConformance(extractor_conformance("klibnet", klibnet_options)):
        pass

The class generates a `realistic` source with the sample-data generator (seeded),
extracts it, and checks what every extractor must do: the accounting identity per
source table, conformance to the pandera schemas, counts and sums per table against
truth.json, every injected defect found, rejected, excluded or normalised as the dirt
catalog expects, identical tables and ids over two runs, bounded chunks, and no
personal value of the source in the log output. Expected values come from the
generator's truth, never from the code under test.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.errors
import pyarrow.parquet as pq
import pytest

from nffs_migration.extractors import get_extractor
from nffs_migration.extractors.run import extract_package
from nffs_migration.intermediate_format import TABLES, open_package
from nffs_migration.sample_data.dirt import KINDS
from nffs_migration.sample_data.generate import GeneratedSource, generate
from nffs_migration.schemas.pandera_schemas import pandera_schema

#: What extraction does with each dirt kind: an extraction finding (rule), a reject
#: (rule), an exclusion (rule), a normalisation (checked on the value), or nothing yet:
#: "validation" kinds are reported by `validate`, checked in the validation tests.
EXTRACTION = {
    "ahvn13-check-digit": ("finding", "ahvn13-check-digit"),
    "name-all-caps": ("finding", "name-all-caps"),
    "birth-date-impossible": ("finding", "date-impossible"),
    "code-unmapped": ("finding", "unmapped-code"),
    "mojibake": ("finding", "encoding-repaired"),
    "person-duplicate-id": ("finding", "duplicate-key"),
    "journal-dangling-staff": ("finding", "dangling-reference"),
    "document-zero-bytes": ("finding", "document-empty"),
    "document-duplicate-content": ("finding", "document-duplicate-content"),
    "document-unlisted-file": ("finding", "document-unlisted-file"),
    "soft-deleted": ("exclude", "soft-deleted"),
    "retention-expired": ("exclude", "retention-expired"),
    "orphan-record": ("reject", "orphan-record"),
    "budget-code-unknown": ("reject", "unmapped-code"),
    "contact-type-unmapped": ("reject", "unmapped-code"),
    "member-dangling-person": ("reject", "dangling-reference"),
    "document-file-missing": ("reject", "document-file-missing"),
    "document-path-unsafe": ("reject", "document-path-unsafe"),
}


def _blank(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


NORMALISED: dict[str, Callable[[dict[str, Any]], bool]] = {
    "name-padding": lambda r: all(
        _blank(r[f]) or r[f] == " ".join(str(r[f]).split()) for f in ("family_name", "given_name")
    ),
    "sex-lower-case": lambda r: r["sex"] in ("1", "2", "3"),
    "birth-date-unknown": lambda r: (
        _blank(r["birth_date"]) and r["birth_date_precision"] == "unknown"
    ),
    "birth-date-time-part": lambda r: (
        not _blank(r["birth_date"]) and r["birth_date_precision"] == "day"
    ),
    "birth-date-year-only": lambda r: (
        r["birth_date_precision"] == "year" and r["birth_date"].month == 1
    ),
    "ahvn13-formatted": lambda r: (
        isinstance(r["ahvn13"], str) and len(r["ahvn13"]) == 13 and r["ahvn13"].isdigit()
    ),
    "ahv-old-number": lambda r: _blank(r["ahvn13"]) and len(r["old_ahv_number"]) == 11,
    "nationality-alpha3": lambda r: (
        isinstance(r["nationality"], str) and len(r["nationality"]) == 2
    ),
    "code-inactive": lambda r: True,
    "address-open-end-9999": lambda r: _blank(r["valid_to"]),
    "journal-rtf": lambda r: (
        not str(r["text"]).lstrip().startswith("{\\rtf") and "\\'" not in str(r["text"])
    ),
    "amount-swiss-format": lambda r: r["amount_chf"] is not None,
}

SourceOptions = Callable[[GeneratedSource], dict[str, Any]]

#: How each system's generated source is read (`generate(...)` output to options).
GENERATED_OPTIONS: dict[str, SourceOptions] = {
    "klibnet": lambda s: {
        "source": f"sqlite:///{s.out / 'klibnet.sqlite'}",
        "documents": s.out / "share",
    },
    "kiss": lambda s: {
        "source": f"sqlite:///{s.out / 'kiss.sqlite'}",
        "documents": s.out / "share",
    },
    "tutoris": lambda s: {"source": str(s.out / "export.xml"), "documents": s.out},
    "custom": lambda s: {
        "source": str(s.out),
        "documents": s.out / "scans",
        "mapping": s.out / "mapping.yaml",
    },
}


def extract(
    system: str, source: GeneratedSource, options: SourceOptions, out: Path, **extra: Any
) -> Any:
    """Extract a generated source as of its truth's date."""
    extractor = get_extractor(system)
    as_of = datetime.fromisoformat(source.truth["generator"]["as_of"])
    opts = extractor.options_class(
        service_id=source.truth["generator"]["service_id"], as_of=as_of, **options(source), **extra
    )
    return extract_package(extractor, opts, out)


def extractor_conformance(
    system: str, options: SourceOptions, *, cases: int = 120, seed: int = 21
) -> type:
    """A pytest class with the standard tests of an extractor for `system`."""

    class Conformance:
        @pytest.fixture(scope="class")
        @classmethod
        def source(cls, tmp_path_factory: pytest.TempPathFactory) -> GeneratedSource:
            return generate(
                system, tmp_path_factory.mktemp(system) / "source", cases=cases, seed=seed
            )

        @pytest.fixture(scope="class")
        @classmethod
        def package(cls, source: GeneratedSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
            out = tmp_path_factory.mktemp("pkg") / "package"
            extract(system, source, options, out)
            return out

        @pytest.fixture(scope="class")
        @classmethod
        def tables(cls, package: Path) -> dict[str, pd.DataFrame]:
            with open_package(package) as opened:
                return {name: opened.frame(name) for name in TABLES}

        @pytest.fixture(scope="class")
        @classmethod
        def findings(cls, package: Path) -> list[dict[str, Any]]:
            return json.loads((package / "reports" / "extract-findings.json").read_text())[
                "findings"
            ]

        @pytest.fixture(scope="class")
        @classmethod
        def rejects(cls, package: Path) -> pd.DataFrame:
            frames = [
                pq.read_table(p).to_pandas()
                for p in sorted((package / "rejects").glob("*.parquet"))
            ]
            for path, frame in zip(
                sorted((package / "rejects").glob("*.parquet")), frames, strict=True
            ):
                frame["table"] = path.stem
            columns = ["source_key", "source_table", "rule", "reason", "table"]
            return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)

        def test_accounting_identity_holds_for_every_source_table(self, package: Path) -> None:
            with open_package(package) as opened:
                accounting = opened.manifest.accounting
            assert accounting
            for name, counts in accounting.items():
                assert counts.read == counts.migrated + counts.rejected + counts.excluded, name
                assert counts.balanced, name

        def test_tables_conform_to_the_pandera_schemas(
            self, tables: dict[str, pd.DataFrame]
        ) -> None:
            for name, frame in tables.items():
                try:
                    pandera_schema(name).validate(frame, lazy=True)
                except pandera.errors.SchemaErrors as exc:
                    cases = exc.failure_cases
                    # Formats beyond the type (postal codes) are validation's business; types,
                    # required columns, code lists and unique ids are the extractor's.
                    hard = cases[~cases["check"].isin(["format", "range", "check_digit"])]
                    assert hard.empty, (
                        name,
                        hard[["column", "check"]].drop_duplicates().to_dict("records"),
                    )

        def test_rows_per_table_match_truth(self, source: GeneratedSource, package: Path) -> None:
            expected = source.truth["expected"]
            with open_package(package) as opened:
                manifest = opened.manifest
            for name in TABLES:
                assert manifest.tables[name].rows == expected[name]["migrated"], name
                rejected = manifest.rejects[name].rows if name in manifest.rejects else 0
                assert rejected == expected[name]["rejected"], name
            excluded: dict[str, int] = {}
            for counts in manifest.accounting.values():
                for rule, count in counts.excluded_by_rule.items():
                    excluded[rule] = excluded.get(rule, 0) + count
            expected_excluded: dict[str, int] = {}
            for entry in expected.values():
                for rule, count in entry.get("excluded_by_rule", {}).items():
                    expected_excluded[rule] = expected_excluded.get(rule, 0) + count
            assert excluded == expected_excluded

        def test_amounts_sum_to_the_centime(
            self, source: GeneratedSource, tables: dict[str, pd.DataFrame]
        ) -> None:
            for name in ("budget_items", "payments"):
                total = sum(
                    (Decimal(str(v)) for v in tables[name]["amount_chf"].dropna()), Decimal("0.00")
                )
                assert total == Decimal(source.truth["expected"][name]["amount_chf_sum"]), name

        def test_every_injected_defect_is_accounted_for(
            self,
            source: GeneratedSource,
            tables: dict[str, pd.DataFrame],
            findings: list[dict[str, Any]],
            rejects: pd.DataFrame,
            package: Path,
        ) -> None:
            found = {(f["rule_id"], f["source_key"]) for f in findings}
            rejected = {(r.rule, r.source_key) for r in rejects.itertuples()}
            checked = 0
            for kind, entry in source.truth["dirt"].items():
                keys = entry["source_keys"]
                action = EXTRACTION.get(kind)
                if action is None and kind in NORMALISED:
                    frame = tables[KINDS[kind].table].set_index("source_key")
                    for key in keys:
                        if key in frame.index:  # excluded records are not in the table
                            row = frame.loc[key]
                            row = row.iloc[0] if isinstance(row, pd.DataFrame) else row
                            assert NORMALISED[kind]({**row.to_dict(), "source_key": key}), (
                                kind,
                                key,
                            )
                            checked += 1
                    continue
                if action is None:
                    continue  # reported by validation: see the validation tests
                how, rule = action
                if how == "finding":
                    missing = [k for k in keys if (rule, k) not in found]
                    assert not missing, (kind, rule, missing[:5])
                elif how == "reject":
                    missing = [k for k in keys if (rule, k) not in rejected]
                    assert not missing, (kind, rule, missing[:5])
                else:
                    assert entry["count"] > 0
                checked += len(keys)
            assert checked > 0

        def test_same_source_gives_identical_tables_and_ids(
            self, source: GeneratedSource, package: Path, tmp_path: Path
        ) -> None:
            again = tmp_path / "again"
            extract(system, source, options, again)
            for name in TABLES:
                first = (package / "tables" / f"{name}.parquet").read_bytes()
                second = (again / "tables" / f"{name}.parquet").read_bytes()
                assert first == second, name
            one = json.loads((package / "manifest.json").read_text())
            two = json.loads((again / "manifest.json").read_text())
            assert (
                one["package_id"] == two["package_id"]
                and one["content_sha256"] == two["content_sha256"]
            )

        def test_chunks_are_bounded(self, source: GeneratedSource, tmp_path: Path) -> None:
            from nffs_migration.extractors.base import Chunk
            from nffs_migration.extractors.mapping import CodeMapper
            from nffs_migration.extractors.run import ExtractContext
            from nffs_migration.intermediate_format import PackageWriter

            extractor = get_extractor(system)
            as_of = datetime.fromisoformat(source.truth["generator"]["as_of"])
            opts = extractor.options_class(
                service_id=source.truth["generator"]["service_id"],
                as_of=as_of,
                chunk_rows=200,
                **options(source),
            )
            info = extractor.describe(opts)
            with PackageWriter(
                tmp_path / "p",
                service_id=opts.service_id,
                source_system=system,
                data_as_of=info.data_as_of,
            ) as writer:
                context = ExtractContext(
                    opts, info, CodeMapper.load(extractor.mappings_dir), writer
                )
                sizes = [
                    chunk.read
                    for chunk in extractor.extract(opts, context)
                    if isinstance(chunk, Chunk)
                ]
            assert sizes and max(sizes) <= 200 and len(sizes) > len(TABLES)

        def test_no_personal_value_reaches_the_log(
            self,
            source: GeneratedSource,
            tables: dict[str, pd.DataFrame],
            tmp_path: Path,
            caplog: pytest.LogCaptureFixture,
        ) -> None:
            caplog.set_level(logging.DEBUG)
            extract(system, source, options, tmp_path / "logged")
            text = "\n".join(record.getMessage() for record in caplog.records)
            persons = tables["persons"]
            values = set(persons["family_name"].dropna()) | set(persons["ahvn13"].dropna())
            values |= set(tables["journal_entries"]["text"].dropna().head(50))
            values |= set(tables["addresses"]["street"].dropna().head(50))
            leaked = [v for v in values if len(str(v)) > 3 and str(v) in text]
            assert not leaked

    Conformance.__name__ = f"{system.capitalize()}Conformance"
    return Conformance
