"""The Prefect flow of a service's migration: its batch plan, each batch step by step.

    migrate_service("0942.yaml")

reads top-down like the migration plan: for each batch (a full one, then the deltas)
extract -> validate -> gate -> load -> reconcile, each a task. Tasks retry on transient
faults (a lost database connection: errors whose `retryable` is true) and never on data
errors; a closed gate stops the batch with the report's path in the message. The work
is done by the library functions of `steps.py`; a re-run resumes where a crash left off.
`migrate_one(config_path, run)` is the plan without Prefect: the flow passes a runner
that submits each step as a task, `canton.migrate_services` calls the steps directly
inside one task per service.

Without a Prefect API URL the flow runs in Prefect's embedded mode; with a server
configured (`PREFECT_API_URL`) runs appear in its UI and can be deployed to work pools.
Tasks take and return keys, paths and counts only, so Prefect stores no record values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from nffs_migration.errors import NffsError
from nffs_migration.flows.config import load_config
from nffs_migration.flows.ledger import Ledger
from nffs_migration.flows.steps import BatchPlan, Runner, batch_plans, ensure_target, run_batch

RETRIES = 2


def _transient(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what a retry can help: the toolkit's retryable errors."""
    try:
        state.result()
    except NffsError as exc:
        return exc.retryable
    except Exception:  # noqa: BLE001 - an unexpected error is not retried
        return False
    return False


def _task_runner(function: Any, *args: Any) -> Any:
    name = function.__name__.removesuffix("_step")
    wrapped = task(
        function,
        name=name,
        retries=RETRIES,
        retry_delay_seconds=2,
        retry_condition_fn=_transient,
        cache_policy=NO_CACHE,
        log_prints=False,
    )
    return wrapped(*args)


def run_directly(function: Runner, *args: Any) -> Any:
    """Call a step in this process (no task): for code that already runs inside a task."""
    return function(*args)


def migrate_one(
    config_path: str, run: Runner = run_directly, batches: int | None = None
) -> list[dict[str, Any]]:
    """Run (or resume) one service's batch plan, each step through `run(function, *args)`.

    The flow `migrate_service` passes a runner that submits every step as a task;
    `canton.migrate_services` runs it inside one task per service with the steps called
    directly. `batches` runs at most that many batches not yet done (the next one: 1),
    so a service can take its batches one at a time, days apart. Returns a small dict
    per batch: sequence, kind, outcome and package id.
    """
    config = load_config(Path(config_path))
    ledger = Ledger(config.url(config.ledger, "ledger"))
    try:
        ledger.plan_service(
            config.service.id,
            config.service.name,
            source_system=config.source.system,
            wave=config.plan.wave,
            cutover=config.plan.cutover,
        )
        ensure_target(config)
        outcomes: list[dict[str, Any]] = []
        previous: dict[str, Any] | None = None
        ran = 0
        for plan in batch_plans(config, ledger):
            recorded = ledger.batch(config.service.id, plan.sequence)
            if recorded is not None and recorded["outcome"] == "done":
                previous = recorded  # done before: not redone
                outcomes.append(
                    {
                        "sequence": plan.sequence,
                        "kind": plan.kind,
                        "outcome": "done",
                        "package_id": recorded["package_id"],
                    }
                )
                continue
            if batches is not None and ran >= batches:
                break
            if plan.kind == "delta" and previous is not None:
                plan = BatchPlan(
                    plan.sequence,
                    plan.kind,
                    since=previous["high_water_mark"],
                    previous=previous["package_id"],
                    final=plan.final,
                )
            outcome = run_batch(config, ledger, plan, run=run)
            ran += 1
            previous = {
                "high_water_mark": outcome.high_water_mark,
                "package_id": outcome.package_id,
            }
            outcomes.append(
                {
                    "sequence": outcome.sequence,
                    "kind": outcome.kind,
                    "outcome": outcome.outcome,
                    "package_id": outcome.package_id,
                }
            )
        return outcomes
    finally:
        ledger.close()


@flow(name="migrate-service", log_prints=False, validate_parameters=False)
def migrate_service(config_path: str, batches: int | None = None) -> list[dict[str, Any]]:
    """Run a service's batch plan, or its next `batches` batches (see the module docstring)."""
    return migrate_one(config_path, run=_task_runner, batches=batches)


__all__ = ["migrate_one", "migrate_service", "run_directly"]
