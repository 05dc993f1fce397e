"""`nffs-migrate validate`: check a package and write the report people read."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from nffs_migration.cli.app import app, example
from nffs_migration.errors import DataErrors, UsageError
from nffs_migration.files import open_private
from nffs_migration.i18n import N_, _, number
from nffs_migration.ui import err_console, out_console

if TYPE_CHECKING:
    from nffs_migration.intermediate_format.findings import Finding

STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}
#: The findings export: machine names (the English header) and headings (German, French).
FINDINGS_COLUMNS = (
    ("rule_id", N_("rule")),
    ("severity", N_("severity")),
    ("table", N_("table")),
    ("record_id", N_("record id")),
    ("source_key", N_("source key")),
    ("field", N_("field")),
    ("message", N_("message")),
    ("title", N_("rule title")),
    ("what_to_do", N_("what to do")),
)


def _export_findings(findings: list[Finding], path: Path) -> None:
    """Every finding as CSV for the clerks, with the rule's title and what to do about it.

    The header holds the columns' names in English and their headings in German or
    French; the rule's title and what to do are in the run's language.
    """
    from nffs_migration.i18n import language
    from nffs_migration.intermediate_format.rules import fix, title

    with open_private(path, newline="") as handle:
        writer = csv.writer(handle)
        english = language() == "en"
        writer.writerow([name if english else _(heading) for name, heading in FINDINGS_COLUMNS])
        for f in findings:
            todo = fix(f.rule_id)
            writer.writerow(
                [
                    f.rule_id,
                    f.severity.value,
                    f.table,
                    f.record_id,
                    f.source_key,
                    f.field,
                    f.message,
                    _(title(f.rule_id)),
                    _(todo) if todo else "",
                ]
            )


@app.command(
    epilog=example(
        "nffs-migrate validate packages/0942-full",
        "nffs-migrate validate packages/0942-full --as-of 2026-06-30 --report-dir reports/0942",
        "nffs-migrate validate packages/0942-full --regrade --profile 0942-profile.yaml",
        "nffs-migrate validate packages/0942-full --export-findings findings.csv",
        "nffs-migrate validate packages/0942-full --show-values --rule ahvn13-check-digit",
        "nffs-migrate validate packages/0942-full --memory 512M",
    ),
)
def validate(
    package: Annotated[Path, typer.Argument(help="A package folder or .zip.")],
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", help="Judge currency against this date (default: data_as_of)."),
    ] = None,
    profile: Annotated[
        Path | None, typer.Option("--profile", help="Rule profile (YAML); default: the canton's.")
    ] = None,
    report_dir: Annotated[
        Path | None, typer.Option("--report-dir", help="Also write validation.json and .html here.")
    ] = None,
    regrade: Annotated[
        bool,
        typer.Option(
            "--regrade", help="Judge the stored results against --profile, without re-checking."
        ),
    ] = False,
    export_findings: Annotated[
        Path | None,
        typer.Option("--export-findings", help="Write every finding as CSV (for the clerks)."),
    ] = None,
    show_values: Annotated[
        bool,
        typer.Option(
            "--show-values",
            help="Also print the value behind each finding (personal data): to a terminal "
            "only, never to a file, a pipe, a report or the logs.",
        ),
    ] = False,
    rules: Annotated[
        list[str] | None,
        typer.Option("--rule", help="With --show-values: only this rule (repeatable)."),
    ] = None,
    per_rule: Annotated[
        int,
        typer.Option("--per-rule", min=1, help="With --show-values: findings shown per rule."),
    ] = 20,
    memory: Annotated[
        str | None,
        typer.Option(
            "--memory",
            envvar="NFFS_VALIDATE_MEMORY",
            help="Memory for the tables held at once, like 1.5G or 800M (default: an eighth "
            "of the machine's memory, at most 768M). Larger tables are streamed: the same "
            "findings, more time.",
        ),
    ] = None,
) -> None:
    """Check a package: conformance, completeness, integrity, plausibility, currency.

    Writes reports/validation.json and reports/validation.html into the package. Exit 0
    when no finding is an error, 1 when there are errors, 2 when the package cannot be read.
    """
    from nffs_migration.validators import regrade_package, validate_package

    if show_values and not _stdout_is_terminal():
        raise UsageError(
            "--show-values prints personal data to a terminal only, and stdout is "
            "redirected or piped; run it in a terminal, or use --export-findings for keys"
        )
    if (rules or per_rule != 20) and not show_values:
        raise UsageError("--rule and --per-rule go with --show-values")
    if regrade:
        outcome = regrade_package(package, profile_path=profile, report_dir=report_dir)
    else:
        day: date | None = as_of.date() if as_of else None
        with err_console.status(f"validating {package.name}"):
            outcome = validate_package(
                package,
                as_of=day,
                profile_path=profile,
                report_dir=report_dir,
                memory_budget=memory,
            )
    report = outcome.report
    table = Table(
        "rule",
        "category",
        "severity",
        "failed",
        "checked",
        title=_("{package}: rules with findings").format(package=package.name),
    )
    for rule in report.rules:
        if rule.failed:
            severity = (
                "info (tolerated)" if getattr(rule, "tolerated", False) else rule.severity.value
            )
            table.add_row(
                rule.id,
                rule.category.value,
                f"[{STYLE[rule.severity.value]}]{severity}[/]",
                f"{rule.failed:,}",
                f"{rule.checked:,}",
            )
    if table.row_count:
        out_console.print(table)
    summary = report.summary
    if show_values:
        _print_values(package, report.findings, rules or [], per_rule)
    if export_findings is not None:
        _export_findings(report.findings, export_findings)
        out_console.print(
            _("wrote {count} findings to {file}").format(
                count=number(len(report.findings)), file=export_findings
            )
        )
    passed_word, failed_word = _("passed"), _("failed")
    verdict = (
        f"[bold green]{passed_word}[/]" if summary["passed"] else f"[bold red]{failed_word}[/]"
    )
    out_console.print(
        _(
            "{verdict}: {errors} errors, {warnings} warnings, {infos} infos (as of {as_of}); "
            "report in {report}"
        ).format(
            verdict=verdict,
            errors=number(summary["errors"]),
            warnings=number(summary["warnings"]),
            infos=number(summary["infos"]),
            as_of=outcome.as_of,
            report=f"{package}/reports/validation.html",
        )
    )
    if not summary["passed"]:
        raise DataErrors(
            _("{package} has {errors} errors; loading is blocked").format(
                package=package.name, errors=number(summary["errors"])
            )
        )


def _stdout_is_terminal() -> bool:
    return out_console.is_terminal


def _print_values(package: Path, findings: list[Finding], rules: list[str], per_rule: int) -> None:
    """Print each finding with its value, a few per rule, to the terminal (never logged)."""
    from nffs_migration.validators.values import finding_values, first_per_rule

    unknown = sorted(set(rules) - {f.rule_id for f in findings})
    if unknown:
        err_console.print(f"[yellow]no findings of rule {', '.join(unknown)}[/]")
    chosen = first_per_rule((f for f in findings if not rules or f.rule_id in rules), per_rule)
    table = Table(
        title=f"values behind the findings ({per_rule} per rule at most; personal data: "
        "do not copy it into tickets or mails)",
    )
    table.add_column("rule", overflow="fold")
    table.add_column("record", overflow="fold")
    table.add_column("source key", overflow="fold")
    table.add_column("field", overflow="fold")
    table.add_column("value", overflow="fold")
    for shown in finding_values(package, chosen):
        f = shown.finding
        if shown.value is not None:
            value = escape(shown.value)
        elif f.record_id is None:
            value = "[dim](in the source only)[/]"
        else:
            value = "[dim](the whole record)[/]"
        field = f"{f.table}.{f.field}" if f.field else f.table
        table.add_row(f.rule_id, f.record_id or "", f.source_key or "", field, value)
    out_console.print(table)


@app.command(
    epilog=example(
        "nffs-migrate rules",
        "nffs-migrate rules --profile 0942-profile.yaml --markdown rules.md",
    ),
)
def rules(
    profile: Annotated[
        Path | None, typer.Option("--profile", help="Rule profile (YAML); default: the canton's.")
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option("--markdown", help="Also write the rule reference with its examples."),
    ] = None,
) -> None:
    """List every rule, of extraction and validation: category, severity under the profile.

    Optional rules (the segment guidelines) show as off unless the profile turns them on
    (`--profile segment-guidelines`). The examples come from the rule cases shipped with
    the toolkit (one file per rule); a missing case file is an installation fault and
    exits 2, naming the file.
    """
    from nffs_migration.intermediate_format.rules import OPTIONAL_RULES, RULES
    from nffs_migration.validators.cases import load_cases
    from nffs_migration.validators.profile import load_profile
    from nffs_migration.validators.reference import rules_markdown, stage

    settings = load_profile(profile)
    examples: dict[str, int] = {}
    for rule_id, _case in load_cases():
        examples[rule_id] = examples.get(rule_id, 0) + 1
    view = Table(
        "rule", "category", "severity", "stage", "cases", "what it checks", title=settings.name
    )
    for rule in RULES.values():
        severity = (settings.setting(rule.id).severity or rule.severity).value
        shown = f"[{STYLE[severity]}]{severity}[/]"
        if rule.id in OPTIONAL_RULES and rule.id not in settings.enabled:
            shown = "[dim]off[/]"
        view.add_row(
            rule.id,
            rule.category.value,
            shown,
            stage(rule.id),
            str(examples.get(rule.id, "")),
            rule.description,
        )
    out_console.print(view)
    if markdown is not None:
        markdown.write_text(rules_markdown(profile), encoding="utf-8")
        out_console.print(f"wrote {markdown}")


def validate_first(package: Path, profile: Path | None = None) -> None:
    """Validate a package that has no current validation report (the next step reads it)."""
    from nffs_migration.intermediate_format import open_package
    from nffs_migration.intermediate_format.reader import stored_report
    from nffs_migration.validators import validate_package

    with open_package(package) as opened:
        validated = stored_report(opened) is not None
    if not validated:
        with err_console.status(_("validating {package} first").format(package=package.name)):
            validate_package(package, profile_path=profile)


@app.command(
    epilog=example(
        "nffs-migrate worklist packages/0942-full --out worklist.xlsx",
        "nffs-migrate --lang fr worklist packages/0942-full --out liste.csv",
    ),
)
def worklist(
    package: Annotated[Path, typer.Argument(help="A package folder or .zip.")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The file: .xlsx (a sheet per severity) or .csv."),
    ],
    profile: Annotated[
        Path | None,
        typer.Option("--profile", help="Rule profile when the package is validated first."),
    ] = None,
) -> None:
    """The clerks' worklist: every finding and rejected record, by social worker and case.

    One row per finding and per rejected record: the social worker's short name, the case
    number, severity, table and source key, the rule's title and what to fix in the
    legacy system, in the run's language (`--lang de|fr`). Keys and case numbers only,
    never a client's name, AHV number, address or text. A package without a current
    validation report is validated first.
    """
    from nffs_migration.validators.worklist import write_worklist

    validate_first(package, profile)
    items = write_worklist(package, out)
    counts = {s: sum(1 for i in items if i.severity == s) for s in ("error", "warning", "info")}
    out_console.print(
        _("wrote {out}: {errors} errors, {warnings} warnings, {infos} infos").format(
            out=out,
            errors=number(counts["error"]),
            warnings=number(counts["warning"]),
            infos=number(counts["info"]),
        )
    )
