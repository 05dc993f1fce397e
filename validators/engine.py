"""Running the checks on a package and writing its validation report.

    outcome = validate_package(Path("packages/0942-full"))
    outcome.report.valid          # no error-severity finding
    outcome.report.summary        # {"passed", "errors", "warnings", "infos"}

`validate_package` opens (and so verifies) the package, runs every check, carries the
extraction's findings in, judges the results under the rule profile, and writes
`reports/validation.json` and `reports/validation.html` into the package (the manifest
is updated to cover them) and, if asked, into a report folder. The tables are read
within a memory budget (`memory_budget=`, `NFFS_VALIDATE_MEMORY` or the machine's
default; `memory.py`), streamed beyond it. `regrade_package`
judges the stored results against another profile without running the checks again.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nffs_migration import __version__
from nffs_migration.errors import PackageError
from nffs_migration.files import private_folder, write_private_text
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.findings import Category, Report, Rule
from nffs_migration.intermediate_format.reader import (
    REPORT_JSON,
    Package,
    add_files,
    open_package,
    verify,
)
from nffs_migration.log import get_logger
from nffs_migration.validators.casework import check_casework
from nffs_migration.validators.conformance import check_conformance, check_integrity
from nffs_migration.validators.domain import check_cases, check_persons
from nffs_migration.validators.judge import judge
from nffs_migration.validators.memory import arrow_pool, format_size
from nffs_migration.validators.memory import memory_budget as resolve_budget
from nffs_migration.validators.profile import Profile, load_profile
from nffs_migration.validators.results import CheckContext, Results
from nffs_migration.validators.segments import SEGMENT_RULES, check_segments, portfolio_report
from nffs_migration.validators.source import PackageSource, TableSource

log = get_logger(__name__)

Check = Callable[[TableSource, CheckContext, Results], None]
#: The checks, in the order their results are reported.
CHECKS: tuple[Check, ...] = (
    check_conformance,
    check_integrity,
    check_cases,
    check_persons,
    check_casework,
    check_segments,
)
#: The checks that run on a second thread beside the others (about half the work).
BESIDE: frozenset[Check] = frozenset({check_conformance, check_persons, check_casework})
REPORT_HTML = "reports/validation.html"
#: Tables whose records belong to a case (findings on them count under its opening year).
CASE_TABLES = frozenset(n for n, t in TABLES.items() if "case_id" in t.column_names)


@dataclass
class ValidationOutcome:
    """A validation: the judged report, the raw results, and what the report pages show."""

    report: Report
    results: Results
    profile: Profile
    as_of: date
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """validation.json: the contract's summary, rules and findings, plus meta and results."""
        data = self.report.to_dict()
        data["meta"] = self.meta
        data["results"] = self.results.to_dict()
        return data


def run_checks(source: TableSource, context: CheckContext) -> Results:
    """Run every check and carry the extraction's findings in."""
    # Some checks run on a second thread beside the others (BESIDE): their heavy parts
    # (Parquet decoding, Arrow and polars kernels) release the GIL, so the two cores
    # share the work. Each check keeps its own results, merged in the order of CHECKS,
    # so the report is the same as if they had run one after the other.
    partial = {check: Results() for check in CHECKS}

    def run(checks: tuple[Check, ...]) -> None:
        for check in checks:
            check(source, context, partial[check])

    second = tuple(check for check in CHECKS if check in BESIDE)
    first = tuple(check for check in CHECKS if check not in BESIDE)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nffs-check") as pool:
        beside = pool.submit(run, second)
        run(first)
        beside.result()
    results = Results()
    for check in CHECKS:
        results.merge(partial[check])
    extraction = source.extract_findings()
    checked = {rule.id: rule.checked for rule in extraction.rules}
    for finding in extraction.findings:
        results.fail_one(
            finding.rule_id, finding.table, finding.record_id, finding.source_key, finding.field
        )
    for rule_id, count in checked.items():
        results.checked(rule_id, count)
    return results


def extraction_rules(source: TableSource) -> dict[str, Rule]:
    """The rule records that came with the extraction's findings."""
    return {
        r.id: Rule(r.id, r.category, r.severity, r.table, r.id, r.description, r.description)
        for r in source.extract_findings().rules
    }


def fill_rates(source: TableSource) -> dict[str, dict[str, float]]:
    """Share of non-empty values per column of every table."""
    return {name: source.fill_rates(name) for name in TABLES}


def findings_by_year(source: TableSource, report: Report) -> dict[str, dict[str, int]]:
    """Findings counted per opening year of the case they concern, and per category."""
    cases = source.frame("cases", ["case_id", "opened_on"])
    opened = pa.array(cases["opened_on"], from_pandas=True)
    years = pc.year(opened) if pa.types.is_temporal(opened.type) else pa.nulls(len(opened))
    # to_pylist, not iterating the Series: that makes an Arrow scalar per value.
    year_of_case = dict(zip(_values(cases["case_id"]), years.to_pylist(), strict=True))
    wanted: dict[str, set[str]] = {}
    for finding in report.findings:
        if finding.record_id and finding.table in CASE_TABLES:
            wanted.setdefault(finding.table, set()).add(finding.record_id)
    # Keyed by table and id: ids of different tables may be equal (source keys repeat).
    case_of: dict[tuple[str, str], str] = {}
    for table, ids in wanted.items():
        if table == "cases":
            case_of.update({(table, i): i for i in ids})
            continue
        key = TABLES[table].primary_key
        frame = source.frame(table, [key, "case_id"])
        frame = frame[frame[key].isin(list(ids)).to_numpy(dtype=bool)]
        case_of.update(
            zip(((table, i) for i in _values(frame[key])), _values(frame["case_id"]), strict=True)
        )
    category = {rule.id: rule.category.value for rule in report.rules}
    other = Category.CONFORMANCE.value
    tally = Counter(
        (
            year_of_case.get(case_of.get((f.table, f.record_id or ""), "")),
            category.get(f.rule_id, other),
        )
        for f in report.findings
    )
    counts: dict[str, dict[str, int]] = {}
    for (year, kind), count in tally.items():
        label = "no case" if year is None else str(year)
        counts.setdefault(label, {c.value: 0 for c in Category})[kind] += count
    return dict(sorted(counts.items()))


def _values(series: pd.Series) -> list[Any]:
    return pa.array(series, from_pandas=True).to_pylist()


def validate(
    source: TableSource,
    as_of: date,
    profile: Profile,
    *,
    package_meta: dict[str, Any] | None = None,
) -> ValidationOutcome:
    """Check, judge and describe a package's tables (the library core of `validate`)."""
    manifest = source.manifest
    context = CheckContext(
        as_of=as_of,
        params=profile.params,
        delta=manifest is not None and manifest.batch.kind == "delta",
        not_kept=frozenset(manifest.not_kept if manifest is not None else ()),
        enabled=profile.enabled,
    )
    results = run_checks(source, context)
    report = judge(results, profile, extraction_rules(source))
    meta: dict[str, Any] = {
        **(package_meta or {}),
        "as_of": as_of.isoformat(),
        "profile": profile.describe(),
        "validated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tool_version": __version__,
        "rows": {name: source.rows(name) for name in TABLES},
        "fill_rates": fill_rates(source),
    }
    meta["findings_by_year"] = findings_by_year(source, report)
    if context.enabled & SEGMENT_RULES and not context.delta:
        meta["segment_guidelines"] = portfolio_report(source, context)
    report.meta = meta
    return ValidationOutcome(report, results, profile, as_of, meta)


def _package_meta(package: Package) -> dict[str, Any]:
    manifest = package.manifest
    return {
        "package_id": manifest.package_id,
        "content_sha256": manifest.content_sha256,
        "service_id": manifest.service_id,
        "source_system": manifest.source_system,
        "batch": manifest.batch.model_dump(),
        "data_as_of": manifest.data_as_of.isoformat(),
    }


def write_reports(path: Path, outcome: ValidationOutcome, report_dir: Path | None = None) -> None:
    """Write validation.json and validation.html into the package (and a report folder)."""
    from nffs_migration.validators.html import render_html

    data = outcome.to_dict()
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    page = render_html(data)
    add_files(path, {REPORT_JSON: text.encode(), REPORT_HTML: page.encode()})
    if report_dir is not None:
        private_folder(report_dir)
        write_private_text(report_dir / "validation.json", text)
        write_private_text(report_dir / "validation.html", page)


def validate_package(
    path: Path,
    *,
    as_of: date | None = None,
    profile_path: Path | None = None,
    report_dir: Path | None = None,
    write: bool = True,
    memory_budget: int | str | None = None,
) -> ValidationOutcome:
    """Validate a package on disk and write its reports.

    `memory_budget` bounds the table data held at once (bytes or a size like `1.5G`;
    default: `NFFS_VALIDATE_MEMORY`, else from the machine's memory, see `memory.py`);
    beyond it tables are streamed. The findings are the same whatever the budget.
    """
    budget = resolve_budget(memory_budget)
    profile = load_profile(profile_path)
    # The tables are decoded in the background while the files are verified; nothing is
    # checked or reported before the verification has passed.
    with arrow_pool(), open_package(path, verify_checksums=False) as package:
        day = as_of or package.manifest.data_as_of.date()
        source = PackageSource(package, budget)
        log.debug("validating %s within %s", path.name, format_size(budget))
        try:
            source.prefetch(list(TABLES))
            verify(package.root, package.manifest, package.name)
            outcome = validate(source, day, profile, package_meta=_package_meta(package))
        finally:
            source.close()
    if write:
        write_reports(path, outcome, report_dir)
    log.info("validated %s: %s", path.name, outcome.report.summary)
    return outcome


def regrade_package(
    path: Path, *, profile_path: Path | None = None, report_dir: Path | None = None
) -> ValidationOutcome:
    """Judge a package's stored check results against another profile, without re-checking."""
    profile = load_profile(profile_path)
    with open_package(path) as package:
        stored = package.root / REPORT_JSON
        if not stored.exists():
            raise PackageError(f"{path.name}: has no {REPORT_JSON} to regrade; run validate first")
        data = json.loads(stored.read_text(encoding="utf-8"))
        if data.get("meta", {}).get("content_sha256") != package.manifest.content_sha256:
            raise PackageError(
                f"{path.name}: {REPORT_JSON} belongs to other content; validate again"
            )
        results = Results.from_dict(data["results"])
        extraction = extraction_rules(PackageSource(package))
        report = judge(results, profile, extraction)
        meta = {
            **data["meta"],
            "profile": profile.describe(),
            "regraded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        report.meta = meta
        outcome = ValidationOutcome(
            report, results, profile, date.fromisoformat(meta["as_of"]), meta
        )
    write_reports(path, outcome, report_dir)
    return outcome


__all__ = [
    "ValidationOutcome",
    "regrade_package",
    "run_checks",
    "validate",
    "validate_package",
]
