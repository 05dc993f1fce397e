"""Several services at once: the flow `migrate_services`, one task per service, on Dask.

    from nffs_migration.flows.canton import run_services

    run_services(["services/0942.yaml", "services/0351.yaml"], workers=4)
    run_services(paths, cluster_address="tcp://dask-scheduler:8786")
    run_services(paths)                     # Prefect's default runner: threads

`migrate_services(config_paths)` runs each service's batch plan in one task. The task
calls the same library code as `migrate_service` (`migrate.migrate_one`: configuration,
ledger, target schema, then every batch through `steps.run_batch`, resuming after a
crash), but calls the steps directly: inside a Dask worker nothing submits further tasks.
Services therefore convert in parallel, each batch's steps in order. A service whose gate
closes or whose step fails does not stop the others; when all have ended, the flow fails
with one line per stopped service, and the ledger holds the details.

The task runner is `prefect_dask.DaskTaskRunner` when asked: on a local cluster of
`workers` processes (one thread each: the conversion is CPU-bound Python) or on a running
Dask cluster (`cluster_address` of a `dask scheduler` with its `dask worker`s; every
worker needs the toolkit installed and must reach the sources, targets, ledger and files
at the paths in the configurations). Without either, Prefect's default runner runs the
tasks in threads of the flow's process. A deployment, where no code picks the runner,
takes it from the environment when the module is imported: `NFFS_DASK_ADDRESS` (a
scheduler's address) or `NFFS_DASK_WORKERS` (a local cluster of that many processes),
for example as the `env` job variable of a process work pool (see `deploy.py`).

Tasks take a configuration's path and return the service id and, per batch, sequence,
kind, outcome and package id: they pickle small and Prefect stores no record values.
Before the tasks start, the flow checks every configuration, refuses a service given
twice, and creates the ledgers' tables and the targets' schemas once, so parallel tasks
never race to create them. Services that share a SQLite ledger or target take turns at
its write lock; at canton scale both live on PostgreSQL.

In Prefect's embedded mode (no `PREFECT_API_URL`) the local cluster's workers are given
the address of the flow's temporary server, so their task runs are recorded there
instead of each worker starting a server of its own. A script that starts a local
cluster must guard its entry point with `if __name__ == "__main__":` (Dask starts its
worker processes with the `spawn` method, which imports the main module again).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from nffs_migration.errors import ConfigurationError, NffsError
from nffs_migration.flows.config import load_config
from nffs_migration.flows.ledger import Ledger
from nffs_migration.flows.migrate import RETRIES, _transient, migrate_one
from nffs_migration.flows.steps import ensure_target

ADDRESS_ENV = "NFFS_DASK_ADDRESS"
WORKERS_ENV = "NFFS_DASK_WORKERS"
DRAIN_TIMEOUT = 60
FAST_EXIT = "import atexit, gc; atexit.register(gc.freeze)"


def _local_cluster(**kwargs: Any) -> Any:
    """A `LocalCluster` whose workers report to this flow's Prefect API."""
    from distributed import LocalCluster

    context = FlowRunContext.get()
    env = dict(kwargs.pop("env", None) or {})
    if "DASK_LOGGING__DISTRIBUTED" not in os.environ:
        # Dask logs every worker's start and stop at INFO; like Prefect's, keep them quiet
        # (the worker processes read the variable when they import Dask).
        os.environ["DASK_LOGGING__DISTRIBUTED"] = "warning"
        logging.getLogger("distributed").setLevel(logging.WARNING)
    if context is not None and context.client is not None and "PREFECT_API_URL" not in env:
        # In embedded mode the API URL is the flow's temporary server: without it, every
        # worker process would start a temporary server of its own.
        env["PREFECT_API_URL"] = str(context.client.api_url).rstrip("/")
    # A worker process ends with a garbage collection over Prefect's large heap, which on a
    # busy machine outlasts the 4 s Dask grants before killing it: skip that collection.
    kwargs.setdefault("preload", [FAST_EXIT])
    return LocalCluster(env=env, **kwargs)


async def _drain_prefect_services() -> None:
    """Send a worker's pending Prefect events and logs (task runs' final states)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (EventsWorker, APILogWorker):
        await service.drain_all(timeout=DRAIN_TIMEOUT, at_exit=False)  # type: ignore[misc]


def _flush_workers() -> None:
    """Let every Dask worker send what Prefect still holds, before the cluster closes.

    Prefect sends task runs' states as events from a background thread; a local cluster's
    worker processes are stopped a few seconds after the flow ends, which can be too
    soon for a busy machine (the states would be lost, the stop forced).
    """
    from prefect_dask import DaskTaskRunner

    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    if isinstance(runner, DaskTaskRunner):
        runner.client.run(_drain_prefect_services)


def _check_server(cluster_address: str | None) -> None:
    """A cluster of its own reports to a Prefect server, never to an embedded one."""
    from prefect.settings import PREFECT_API_URL

    if cluster_address and not PREFECT_API_URL.value():
        raise ConfigurationError(
            "a Dask cluster at an address needs a Prefect server: set PREFECT_API_URL for "
            "this process and the Dask workers (otherwise each worker starts a server of its own)"
        )


def dask_task_runner(cluster_address: str | None = None, workers: int = 2) -> TaskRunner[Any]:
    """A `DaskTaskRunner`: on the cluster at `cluster_address`, else a local one.

    Args:
        cluster_address: Address of a running Dask scheduler (`tcp://host:8786`).
        workers: Worker processes of the local cluster (one thread each).
    """
    from prefect_dask import DaskTaskRunner

    if cluster_address:
        runner: TaskRunner[Any] = DaskTaskRunner(address=cluster_address)
        return runner
    if workers < 1:
        raise ConfigurationError("a local Dask cluster needs at least one worker")
    runner = DaskTaskRunner(
        cluster_class=_local_cluster,
        cluster_kwargs={
            "n_workers": workers,
            "processes": True,
            "threads_per_worker": 1,
            "dashboard_address": None,
        },
    )
    return runner


def task_runner(cluster_address: str | None = None, workers: int | None = None) -> TaskRunner[Any]:
    """Dask when asked (an address or a number of local workers), else Prefect's default."""
    if cluster_address or workers:
        return dask_task_runner(cluster_address, workers or 2)
    return ThreadPoolTaskRunner()


def _from_environment() -> TaskRunner[Any]:
    workers = os.environ.get(WORKERS_ENV, "").strip()
    if workers and not workers.isdigit():
        raise ConfigurationError(f"{WORKERS_ENV} must be a number of worker processes")
    return task_runner(os.environ.get(ADDRESS_ENV) or None, int(workers) if workers else None)


@task(
    name="migrate-one-service",
    retries=RETRIES,
    retry_delay_seconds=2,
    retry_condition_fn=_transient,
    cache_policy=NO_CACHE,
    log_prints=False,
)
def service_task(config_path: str) -> dict[str, Any]:
    """One service's batch plan, its steps called directly (no nested tasks)."""
    service_id = load_config(Path(config_path)).service.id
    return {"service_id": service_id, "batches": migrate_one(config_path)}


def _prepare(config_paths: list[str]) -> None:
    """Check the configurations; create ledgers' tables and targets' schemas once."""
    configs = [load_config(Path(path)) for path in config_paths]
    seen: dict[str, str] = {}
    for path, config in zip(config_paths, configs, strict=True):
        if config.service.id in seen:
            raise ConfigurationError(
                f"service {config.service.id} is given twice ({seen[config.service.id]}, {path})"
            )
        seen[config.service.id] = path
    ledgers: set[str] = set()
    targets: set[str] = set()
    for config in configs:
        ledger_url = config.url(config.ledger, "ledger")
        if ledger_url not in ledgers:
            Ledger(ledger_url).close()
            ledgers.add(ledger_url)
        target_url = config.url(config.target, "target")
        if target_url not in targets:
            ensure_target(config)
            targets.add(target_url)


@flow(
    name="migrate-services",
    log_prints=False,
    validate_parameters=False,
    task_runner=_from_environment(),
)
def migrate_services(config_paths: list[str]) -> list[dict[str, Any]]:
    """Run several services' batch plans in parallel, one task each (see the module docstring).

    Args:
        config_paths: The services' configuration files.

    Returns:
        Per service: its id and, per batch, sequence, kind, outcome and package id.
    """
    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    _check_server(getattr(runner, "address", None))
    _prepare(config_paths)
    futures = [service_task.submit(path) for path in config_paths]
    results: list[dict[str, Any]] = []
    stopped: list[tuple[str, BaseException]] = []
    for path, future in zip(config_paths, futures, strict=True):
        try:
            results.append(future.result())
        except Exception as exc:  # noqa: BLE001 - every service ends before the flow reports
            stopped.append((path, exc))
    _flush_workers()
    if stopped:
        lines = "; ".join(
            f"{path}: {exc.message if isinstance(exc, NffsError) else type(exc).__name__}"
            for path, exc in stopped
        )
        first = stopped[0][1]
        summary = f"{len(stopped)} of {len(config_paths)} services stopped: {lines}"
        if isinstance(first, NffsError):
            raise type(first)(summary) from first
        raise RuntimeError(summary) from first
    return results


def run_services(
    config_paths: Iterable[str | Path],
    *,
    cluster_address: str | None = None,
    workers: int | None = None,
) -> list[dict[str, Any]]:
    """Run `migrate_services` with Dask when asked (see the module docstring)."""
    paths = [str(path) for path in config_paths]
    _check_server(cluster_address)
    if cluster_address or workers:
        configured = migrate_services.with_options(
            task_runner=task_runner(cluster_address, workers)
        )
        return configured(paths)
    return migrate_services(paths)


__all__ = [
    "ADDRESS_ENV",
    "WORKERS_ENV",
    "dask_task_runner",
    "migrate_services",
    "run_services",
    "service_task",
    "task_runner",
]
