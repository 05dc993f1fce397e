"""The steps of a batch as plain library functions: extract, validate, gate, load, reconcile.

`run_batch` runs them in order for one batch of one service and records every step in
the ledger. It resumes after a crash: a step whose output is already there (a package
whose content checksum the ledger recorded, a validation report for that content, a
load in the target's load log) is not done again, so a load is never redone. The Prefect
flow (`migrate.py`) wraps the same functions as tasks; tests call them directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from nffs_migration.errors import ConfigurationError, DataErrors, NffsError
from nffs_migration.flows.config import ServiceConfig
from nffs_migration.flows.ledger import Ledger, now
from nffs_migration.intermediate_format.reader import open_package
from nffs_migration.log import get_logger

log = get_logger(__name__)


class GateClosed(DataErrors):
    """Validation found errors: the batch stops before loading."""


@dataclass
class BatchPlan:
    """One batch of a service's plan."""

    sequence: int
    kind: str  # full or delta
    since: str | None = None
    #: The package id of the batch a delta follows.
    previous: str | None = None
    #: The last batch before cutover.
    final: bool = False


@dataclass
class BatchOutcome:
    """What happened to a batch."""

    sequence: int
    kind: str
    package: Path | None = None
    package_id: str | None = None
    high_water_mark: str | None = None
    outcome: str = "running"
    steps: list[str] = field(default_factory=list)
    message: str = ""


def package_path(config: ServiceConfig, plan: BatchPlan) -> Path:
    """Where a batch's package is written (deterministic, so a re-run finds it)."""
    workdir = config.path(config.workdir)
    assert workdir is not None  # noqa: S101
    return (
        workdir
        / "packages"
        / f"{config.service.id}-{config.source.system}-{plan.sequence:04d}-{plan.kind}"
    )


def extract_step(config: ServiceConfig, plan: BatchPlan, out: Path) -> dict[str, Any]:
    """Extract the batch's package from the legacy source (replacing an older one)."""
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.run import extract_package

    extractor = get_extractor(config.source.system)
    as_of = datetime.fromisoformat(config.plan.as_of) if config.plan.as_of else None
    source = config.url(config.source, "source")
    delta_export = config.path(config.source.delta_export)
    if plan.kind == "delta" and delta_export is not None:
        source = str(delta_export)  # a delta export of its own (Tutoris)
    options = extractor.options_class(
        source=source,
        service_id=config.service.id,
        documents=config.path(config.source.documents),
        mapping=config.path(config.source.mapping),
        as_of=as_of,
        since=plan.since if plan.kind == "delta" and delta_export is None else None,
        overlap_minutes=config.source.overlap_minutes,
        previous=plan.previous if plan.kind == "delta" else None,
        final=plan.final,
        sequence=plan.sequence,
        retention_years=config.retention_years,
        service_name=config.service.name,
        commune_numbers=config.service.communes or None,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    result = extract_package(extractor, options, out, overwrite=True)
    manifest = result.manifest
    totals = {
        k: sum(getattr(c, k) for c in manifest.accounting.values())
        for k in ("read", "migrated", "rejected", "excluded")
    }
    if manifest.batch.kind != plan.kind:
        raise ConfigurationError(
            f"batch {plan.sequence} is planned as a {plan.kind} batch, but the source gave a "
            f"{manifest.batch.kind} one (a Tutoris export says what it is: vollExport)"
        )
    return {
        "package_id": manifest.package_id,
        "content_sha256": manifest.content_sha256,
        "high_water_mark": manifest.batch.high_water_mark,
        **totals,
    }


def validate_step(config: ServiceConfig, package: Path) -> dict[str, Any]:
    """Validate the package and write its reports; returns counts and the blocking rule."""
    from nffs_migration.validators import stored_report, validate_package

    with open_package(package) as opened:
        report = stored_report(opened)
    if report is None or config.validation.as_of or config.validation.profile:
        report = validate_package(
            package,
            as_of=config.validation.as_of,
            profile_path=config.path(config.validation.profile),
        ).report
    errors_by_rule: dict[str, int] = {}
    by_rule: dict[str, int] = {}
    for finding in report.findings:
        by_rule[finding.rule_id] = by_rule.get(finding.rule_id, 0) + 1
        if finding.severity.value == "error":
            errors_by_rule[finding.rule_id] = errors_by_rule.get(finding.rule_id, 0) + 1
    blocking = (
        max(errors_by_rule, key=lambda rule: errors_by_rule[rule]) if errors_by_rule else None
    )
    return {**report.summary, "blocking_rule": blocking, "findings_by_rule": by_rule}


def gate_step(summary: dict[str, Any], package: Path) -> None:
    """Stop the batch when validation found errors, naming the report."""
    if not summary["passed"]:
        raise GateClosed(
            f"{summary['errors']:,} validation errors (mostly {summary['blocking_rule']}); "
            f"see {package / 'reports' / 'validation.html'}"
        )


def load_step(config: ServiceConfig, package: Path) -> dict[str, Any]:
    """Load the package into the target (does nothing when it is already loaded)."""
    from nffs_migration.loaders import load_package

    hours = config.plan.max_age_hours
    result = load_package(
        package,
        config.url(config.target, "target"),
        documents_store=config.path(config.target.documents_store),
        max_age=timedelta(hours=hours) if hours else None,
        by=operator(),
    )
    return {
        "already_loaded": result.already_loaded,
        "rows": result.rows,
        "cut_over": result.cut_over,
    }


def operator() -> str:
    """Who runs the migration: $NFFS_OPERATOR, else the system user."""
    import getpass
    import os

    try:
        return os.environ.get("NFFS_OPERATOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def reconcile_step(config: ServiceConfig, package: Path) -> None:
    """Compare the package with the target; raise on any difference."""
    from nffs_migration.loaders import reconcile_package

    result = reconcile_package(package, config.url(config.target, "target"))
    if not result.matches:
        raise DataErrors(
            f"the target differs from {package.name}: " + "; ".join(result.differences()[:3])
        )


def ensure_target(config: ServiceConfig) -> None:
    """Create the target schema when it does not exist yet."""
    from nffs_migration.loaders import create_target_engine, init_target

    engine = create_target_engine(config.url(config.target, "target"))
    try:
        init_target(engine)
    finally:
        engine.dispose()


Runner = Callable[..., Any]


def _direct(function: Runner, *args: Any) -> Any:
    return function(*args)


def run_batch(
    config: ServiceConfig, ledger: Ledger, plan: BatchPlan, run: Runner = _direct
) -> BatchOutcome:
    """Run (or resume) one batch: extract, validate, gate, load, reconcile.

    `run(function, *args)` executes a step; the Prefect flow passes a runner that submits
    the step as a task with retries on transient faults.
    """
    service = config.service.id
    outcome = BatchOutcome(plan.sequence, plan.kind)
    out = package_path(config, plan)
    outcome.package = out
    ledger.start_batch(service, plan.sequence, plan.kind, config.source.system, final=plan.final)

    def step(name: str, function: Runner, *args: Any) -> Any:
        started = now()
        try:
            result = run(function, *args)
        except NffsError as exc:
            ledger.step(
                service, plan.sequence, name, "failed", started_at=started, message=exc.message
            )
            outcome.outcome = "blocked" if isinstance(exc, GateClosed) else "failed"
            ledger.update_batch(
                service,
                plan.sequence,
                outcome=outcome.outcome,
                finished_at=now(),
                message=exc.message,
            )
            raise
        outcome.steps.append(name)
        return result, started

    # extract (skipped when the package the ledger recorded is still there, unchanged)
    done = ledger.completed(service, plan.sequence, "extract")
    reuse = done is not None and _content(out) == done["output_sha256"]
    if reuse:
        log.info("batch %s/%s: package already extracted", service, plan.sequence)
        with open_package(out) as package:
            manifest = package.manifest
            outcome.package_id, outcome.high_water_mark = (
                manifest.package_id,
                manifest.batch.high_water_mark,
            )
    else:
        extracted, started = step("extract", extract_step, config, plan, out)
        outcome.package_id = extracted["package_id"]
        outcome.high_water_mark = extracted["high_water_mark"]
        ledger.step(
            service,
            plan.sequence,
            "extract",
            "done",
            started_at=started,
            output_sha256=extracted["content_sha256"],
        )
        ledger.update_batch(
            service,
            plan.sequence,
            package_id=extracted["package_id"],
            content_sha256=extracted["content_sha256"],
            high_water_mark=extracted["high_water_mark"],
            read=extracted["read"],
            migrated=extracted["migrated"],
            rejected=extracted["rejected"],
            excluded=extracted["excluded"],
        )
    # validate (the package keeps its report for its content; validation reruns otherwise)
    summary, started = step("validate", validate_step, config, out)
    ledger.step(service, plan.sequence, "validate", "done", started_at=started)
    ledger.update_batch(
        service,
        plan.sequence,
        errors=summary["errors"],
        warnings=summary["warnings"],
        infos=summary["infos"],
        blocking_rule=summary["blocking_rule"],
        findings_by_rule=summary["findings_by_rule"],
    )
    # gate
    _, started = step("gate", gate_step, summary, out)
    ledger.step(service, plan.sequence, "gate", "done", started_at=started)
    # load (the target's load log makes a second load a no-op)
    loaded, started = step("load", load_step, config, out)
    ledger.step(
        service,
        plan.sequence,
        "load",
        "done",
        started_at=started,
        message="already loaded" if loaded["already_loaded"] else None,
    )
    # reconcile
    _, started = step("reconcile", reconcile_step, config, out)
    ledger.step(service, plan.sequence, "reconcile", "done", started_at=started)
    ledger.update_batch(service, plan.sequence, outcome="done", finished_at=now(), message=None)
    if plan.final:
        ledger.cut_over(service, outcome.package_id, by=operator())
    outcome.outcome = "done"
    return outcome


def _content(path: Path) -> str | None:
    try:
        with open_package(path) as package:
            return package.manifest.content_sha256
    except NffsError:
        return None


def batch_plans(config: ServiceConfig, ledger: Ledger) -> list[BatchPlan]:
    """The service's batches: a full one, then the configured deltas, numbered by attempt.

    Every attempt keeps its number in the ledger. A batch the gate stopped (`blocked`)
    stays there as it was, and the plan goes on with a new batch of the kind still
    needed (a full one, while none has loaded) under the next number: the source is
    fixed and read again. A batch a crash or a lost connection interrupted resumes under
    its own number. Loaded batches (`done`) are listed so that the flow skips them.

    With a cutover date the last batch is final. A family whose deltas cannot show
    deletions (`deletions = "children"`, Tutoris delta exports) ends with a full batch;
    one without deltas (`deletions = None`, a self-built source) runs full batches only.
    """
    from nffs_migration.extractors import get_extractor

    deletions = getattr(get_extractor(config.source.system), "deletions", None)
    recorded = ledger.batches(config.service.id)
    plans = [
        BatchPlan(r["sequence"], r["kind"], final=bool(r.get("final")))
        for r in recorded
        if r["outcome"] == "done"
    ]
    kinds = ["full"] + ["delta" if deletions else "full"] * config.plan.deltas
    if deletions == "children" and len(kinds) > 1:
        kinds[-1] = "full"  # the only batch that shows what was removed whole
    wanted = kinds[len(plans) :]
    next_sequence = recorded[-1]["sequence"] + 1 if recorded else 1
    last = recorded[-1] if recorded else None
    interrupted = last is not None and last["outcome"] not in ("done", "blocked")
    pending: list[tuple[int, str]] = []
    if interrupted and wanted and last is not None and last["kind"] == wanted[0]:
        pending.append((last["sequence"], wanted.pop(0)))  # resume the interrupted one
    for kind in wanted:
        pending.append((next_sequence, kind))
        next_sequence += 1
    final = config.plan.cutover is not None
    for position, (sequence, kind) in enumerate(pending):
        plans.append(BatchPlan(sequence, kind, final=final and position == len(pending) - 1))
    return plans


__all__ = [
    "BatchOutcome",
    "BatchPlan",
    "GateClosed",
    "batch_plans",
    "ensure_target",
    "extract_step",
    "gate_step",
    "load_step",
    "operator",
    "package_path",
    "reconcile_step",
    "run_batch",
    "validate_step",
]
