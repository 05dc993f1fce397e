"""Validation end to end: generated sources, the command, profiles, reports, other tools' packages."""

from __future__ import annotations

import json
import re
import shutil
import stat
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from browser import dump_dom
from extractor_kit import GENERATED_OPTIONS as SOURCES
from extractor_kit import extract
from package_tools import reseal

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format import open_package
from nffs_migration.sample_data.generate import GeneratedSource, generate
from nffs_migration.validators import validate_package
from nffs_migration.validators.profile import load_profile

#: Dirt kind -> the validation rule that must report it, on the injected source key.
VALIDATION = {
    "case-without-lead": "open-case-without-lead",
    "case-two-leads": "case-several-leads",
    "case-without-staff": "open-case-without-social-worker",
    "case-without-segment": "open-case-without-segment",
    "case-number-duplicate": "case-number-duplicate",
    "case-closed-without-reason": "closed-case-without-reason",
    "case-contact-overdue": "contact-overdue",
    "case-without-current-budget": "open-case-without-current-budget",
    "lead-without-current-address": "lead-without-current-address",
    "address-overlap": "address-periods-overlap",
    "budget-amount-negative": "amount-out-of-range",
    "budget-overlap": "budget-periods-overlap",
    "talk-without-duration": "talk-without-duration",
    "duration-on-note": "duration-on-non-contact",
}


def _package(
    system: str, tmp: Path, dirt: str, seed: int = 31, cases: int = 150
) -> tuple[GeneratedSource, Path]:
    source = generate(system, tmp / "source", cases=cases, seed=seed, dirt=dirt)
    out = tmp / "package"
    extract(system, source, SOURCES[system], out)
    return source, out


@pytest.fixture(scope="module", params=sorted(SOURCES))
def every_system(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    source, package = _package(request.param, tmp_path_factory.mktemp("v"), "realistic")
    return source, package, validate_package(package)


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory):
    source, package = _package("klibnet", tmp_path_factory.mktemp("v"), "realistic")
    return source, package, validate_package(package)


@pytest.mark.parametrize("system", sorted(SOURCES))
def test_clean_source_gives_no_error_and_no_warning(system: str, tmp_path: Path) -> None:
    _, package = _package(system, tmp_path, "none")
    summary = validate_package(package).report.summary
    assert summary["errors"] == 0 and summary["warnings"] == 0, summary


def test_every_injected_defect_is_reported_by_its_rule(every_system) -> None:
    source, _, outcome = every_system
    found: dict[str, set[str]] = {}
    for finding in outcome.report.findings:
        found.setdefault(finding.rule_id, set()).add(finding.source_key or "")
    checked = 0
    for kind, rule in VALIDATION.items():
        keys = set(source.truth["dirt"].get(kind, {}).get("source_keys", []))
        missing = keys - found.get(rule, set())
        assert not missing, (kind, rule, sorted(missing)[:5])
        checked += len(keys)
    assert checked > 10


def test_reports_are_in_the_package_and_covered_by_the_manifest(realistic) -> None:
    _, package, outcome = realistic
    with open_package(package) as opened:
        assert "reports/validation.json" in opened.manifest.files
        assert "reports/validation.html" in opened.manifest.files
    data = json.loads((package / "reports" / "validation.json").read_text())
    assert set(data) >= {"summary", "rules", "findings", "meta", "results"}
    assert data["summary"] == outcome.report.summary
    assert data["meta"]["content_sha256"]
    with_findings = {f["rule_id"] for f in data["findings"]}
    assert with_findings <= {r["id"] for r in data["rules"]}


def test_findings_hold_keys_never_values(realistic, tmp_path: Path) -> None:
    _, package, _ = realistic
    with open_package(package) as opened:
        persons = opened.frame("persons")
        texts = opened.frame("journal_entries")["text"].dropna().head(30)
    page = (package / "reports" / "validation.html").read_text() + (
        package / "reports" / "validation.json"
    ).read_text()
    values = set(persons["family_name"].dropna()) | set(persons["ahvn13"].dropna()) | set(texts)
    assert not [v for v in values if len(v) > 3 and v in page]


def test_changing_the_stored_report_makes_the_package_unreadable(realistic, tmp_path: Path) -> None:
    _, package, _ = realistic
    copy = tmp_path / "copy"
    shutil.copytree(package, copy)
    path = copy / "reports" / "validation.json"
    path.write_text(path.read_text().replace('"passed": false', '"passed": true'))
    from nffs_migration.errors import PackageError

    with pytest.raises(PackageError, match=r"validation\.json"):
        open_package(copy)


@pytest.mark.parametrize("damaged", ["tables/budget_items.parquet", "document"])
def test_validate_refuses_a_damaged_package_before_checking(
    realistic, tmp_path: Path, damaged: str
) -> None:
    # The tables are decoded while the files are verified: a damaged file must still stop
    # validation with the reader's error, write no report, and leave no reading thread.
    import threading

    from nffs_migration.errors import PackageError

    _, package, _ = realistic
    copy = tmp_path / "copy"
    shutil.copytree(package, copy)
    if damaged == "document":
        damaged = (
            next(p for p in sorted(copy.glob("documents/**/*")) if p.is_file())
            .relative_to(copy)
            .as_posix()
        )
    target = copy / damaged
    content = bytearray(target.read_bytes())
    content[len(content) // 2] ^= 0xFF
    target.write_bytes(bytes(content))
    report = copy / "reports" / "validation.html"
    before = report.read_bytes() if report.exists() else None
    with pytest.raises(PackageError, match=re.escape(damaged)):
        validate_package(copy)
    assert (report.read_bytes() if report.exists() else None) == before
    assert not [t for t in threading.enumerate() if t.name.startswith("nffs-")]


def test_validate_command_exit_codes_and_csv_export(cli, realistic, tmp_path: Path) -> None:
    _, package, outcome = realistic
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    result = cli(
        "validate",
        str(copy),
        "--export-findings",
        str(tmp_path / "f.csv"),
        "--report-dir",
        str(tmp_path / "r"),
    )
    assert result.exit_code == (0 if outcome.report.valid else 1)
    lines = (tmp_path / "f.csv").read_text().splitlines()
    assert lines[0] == (
        "rule_id,severity,table,record_id,source_key,field,message,title,what_to_do"
    )
    assert len(lines) == len(outcome.report.findings) + 1
    assert (tmp_path / "r" / "validation.html").exists()
    # reports and exports outside the package are for their owner only
    assert stat.S_IMODE((tmp_path / "r").stat().st_mode) == 0o700
    for written in (tmp_path / "f.csv", tmp_path / "r" / "validation.json"):
        assert stat.S_IMODE(written.stat().st_mode) == 0o600, written
    (tmp_path / "f.csv").chmod(0o644)
    cli("validate", str(copy), "--export-findings", str(tmp_path / "f.csv"))
    assert stat.S_IMODE((tmp_path / "f.csv").stat().st_mode) == 0o600
    cli("--lang", "fr", "validate", str(copy), "--export-findings", str(tmp_path / "fr.csv"))
    header, *rows = (tmp_path / "fr.csv").read_text().splitlines()
    assert header.startswith("règle,gravité,") and header.endswith(",que faire")
    talk = next(r for r in rows if r.startswith("talk-without-duration,"))
    assert "Entretien sans durée" in talk
    assert cli("validate", str(tmp_path / "nothing")).exit_code == 2


def test_show_values_is_refused_unless_stdout_is_a_terminal(cli, realistic, tmp_path: Path) -> None:
    _, package, _ = realistic
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    before = sorted(p.name for p in (copy / "reports").iterdir())
    result = cli("validate", str(copy), "--show-values")
    assert result.exit_code == 2 and "terminal only" in result.stderr
    assert sorted(p.name for p in (copy / "reports").iterdir()) == before
    assert cli("validate", str(copy), "--rule", "ahvn13-check-digit").exit_code == 2


def test_show_values_prints_the_value_of_each_finding_in_the_terminal_only(
    cli, realistic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    from nffs_migration.cli import validate as validate_command

    _, package, outcome = realistic
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    monkeypatch.setattr(validate_command, "_stdout_is_terminal", lambda: True)
    monkeypatch.setenv("COLUMNS", "400")
    with_field = [
        f for f in outcome.report.findings if f.table == "persons" and f.field and f.record_id
    ]
    assert with_field, "the realistic source has findings on persons' fields"
    finding = with_field[0]
    with open_package(copy) as opened:
        persons = opened.frame("persons").set_index("person_id")
    value = persons.loc[finding.record_id, finding.field]
    expected = "(empty)" if value is None or value is pd.NA else str(value)

    result = cli(
        "-vv", "validate", str(copy), "--show-values", "--rule", finding.rule_id, "--per-rule", "50"
    )
    assert result.exit_code in (0, 1), result.stderr
    shown = result.stdout.split("values behind the findings", 1)[1]
    rows = [line for line in shown.splitlines() if finding.record_id in line]
    assert rows and expected in rows[0]
    # only the asked rule, and the value is in no log record, report or stderr
    other_rules = {f.rule_id for f in outcome.report.findings} - {finding.rule_id}
    assert not [r for r in other_rules if f" {r} " in shown]
    if expected != "(empty)":
        assert expected not in result.stderr
        assert expected not in caplog.text
        reports = copy / "reports"
        assert not [p for p in reports.iterdir() if expected in p.read_text(errors="replace")]


def test_zip_package_is_validated_and_rewritten(tmp_path: Path) -> None:
    source = generate("klibnet", tmp_path / "s", cases=30, seed=2, dirt="none")
    extract("klibnet", source, SOURCES["klibnet"], tmp_path / "p.zip")
    outcome = validate_package(tmp_path / "p.zip")
    assert outcome.report.valid
    with open_package(tmp_path / "p.zip") as opened:
        assert (opened.root / "reports" / "validation.json").exists()


def test_regrade_with_a_threshold_tolerates_and_a_silent_downgrade_is_refused(
    realistic, tmp_path: Path
) -> None:
    _, package, outcome = realistic
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    profile = tmp_path / "service.yaml"
    profile.write_text(
        "profile: 0942-thun\nextends: canton-default\nrules:\n"
        "  open-case-without-lead: {severity: error, threshold: 0.5, allowed_by: 'GSI, 2026-05-02'}\n"
        "  open-case-without-social-worker: {severity: warning, allowed_by: 'GSI, 2026-05-02'}\n"
    )
    from nffs_migration.validators import regrade_package

    regraded = regrade_package(copy, profile_path=profile)
    rules = {r.id: r for r in regraded.report.rules}
    assert rules["open-case-without-lead"].tolerated
    assert {
        f.severity.value for f in regraded.report.findings if f.rule_id == "open-case-without-lead"
    } <= {"info"}
    assert rules["open-case-without-social-worker"].severity.value == "warning"
    assert regraded.results.to_dict() == outcome.results.to_dict()  # same checks, new verdict
    silent = tmp_path / "silent.yaml"
    silent.write_text(
        "profile: x\nextends: canton-default\nrules:\n  open-case-without-lead: {severity: warning}\n"
    )
    with pytest.raises(ConfigurationError, match="allowed_by"):
        load_profile(silent)


def test_as_of_moves_the_currency_rules(realistic, tmp_path: Path) -> None:
    _, package, outcome = realistic
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    later = validate_package(copy, as_of=date(2027, 6, 30))
    overdue = {r.id: r.failed for r in later.report.rules}
    before = {r.id: r.failed for r in outcome.report.rules}
    assert overdue["contact-overdue"] > before.get("contact-overdue", 0)
    assert overdue["open-case-without-current-budget"] > before.get(
        "open-case-without-current-budget", 0
    )


def test_a_package_written_by_duckdb_validates_the_same(realistic, tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    _, package, outcome = realistic
    vendor = tmp_path / "vendor"
    shutil.copytree(package, vendor)
    (vendor / "reports" / "validation.json").unlink()
    (vendor / "reports" / "validation.html").unlink()
    connection = duckdb.connect()
    for path in sorted((vendor / "tables").glob("*.parquet")):
        rewritten = path.with_suffix(".duck")
        connection.execute(
            f"COPY (SELECT * FROM read_parquet('{path}')) TO '{rewritten}' (FORMAT parquet, COMPRESSION zstd)"
        )
        rewritten.replace(path)
    reseal(vendor)
    theirs = validate_package(vendor)
    ours = outcome.report
    assert theirs.report.summary == ours.summary
    assert sorted(theirs.report.flatten(("rule_id", "source_key"))) == sorted(
        ours.flatten(("rule_id", "source_key"))
    )


def test_the_report_page_renders_offline_in_headless_chromium(realistic, tmp_path: Path) -> None:
    _, package, _ = realistic
    page = (package / "reports" / "validation.html").read_text()
    assert "<script" not in page and "@import" not in page and "src=" not in page
    dom = dump_dom(package / "reports" / "validation.html", tmp_path / "profile")
    assert 'id="verdict"' in dom and ("Passed" in dom or "Failed" in dom)
    assert 'id="rules"' in dom and "open-case-without-lead" in dom
