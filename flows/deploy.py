"""Deploy the migration flows to a Prefect server, where workers of a process work pool run them.

    prefect server start --host 0.0.0.0 --port 4200
    export PREFECT_API_URL=http://prefect-host:4200/api
    prefect work-pool create nffs --type process
    python -m nffs_migration.flows.deploy --pool nffs
    prefect worker start --pool nffs            # on each machine that migrates
    prefect deployment run migrate-service/nffs --param config_path=/srv/nffs/services/0942.yaml

`deploy()` registers two deployments in the work pool: `migrate-service/<name>` (one
service's batch plan, `migrate.migrate_service`) and `migrate-services/<name>` (several
services in parallel, `canton.migrate_services`). They point at the installed package by
module path (`nffs_migration.flows.migrate.migrate_service`), so a worker needs nothing
but the toolkit installed in its Python environment: no Docker image, no code storage,
no checkout. The configuration paths given to a run are read on the worker's machine;
secrets come from its environment (`url_env`) or from Prefect Secret blocks (`url_block`).

A `migrate-services` deployment converts on Dask when its runs see `NFFS_DASK_ADDRESS`
(a running scheduler) or `NFFS_DASK_WORKERS` (a local cluster on the worker's machine):
`--dask-address` and `--dask-workers` put them into the deployment's `env` job variable.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

DEFAULT_NAME = "nffs"
DEFAULT_POOL = "nffs"


@contextmanager
def _api(server_url: str | None) -> Iterator[None]:
    """Talk to that server (never to the embedded one: its deployments would vanish)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from nffs_migration.errors import ConfigurationError

    if server_url is None:
        if not PREFECT_API_URL.value():
            raise ConfigurationError(
                "no Prefect server: set PREFECT_API_URL (http://host:4200/api) or give --api-url"
            )
        yield
        return
    with temporary_settings({PREFECT_API_URL: server_url}):
        yield


def ensure_work_pool(work_pool: str) -> None:
    """Create a process work pool of that name unless it exists."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client, suppress(ObjectAlreadyExists):
        client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))


def deploy(
    work_pool: str = DEFAULT_POOL,
    *,
    server_url: str | None = None,
    name: str = DEFAULT_NAME,
    dask_address: str | None = None,
    dask_workers: int | None = None,
    create_pool: bool = True,
) -> dict[str, str]:
    """Register `migrate-service/<name>` and `migrate-services/<name>` in a process work pool.

    Args:
        work_pool: The work pool whose workers run the flows.
        server_url: The Prefect API (`http://host:4200/api`); default: `PREFECT_API_URL`.
        name: The deployments' name.
        dask_address: A Dask scheduler for `migrate-services` (`tcp://host:8786`).
        dask_workers: Or a local Dask cluster of that many processes per run.
        create_pool: Create the work pool (type `process`) when it does not exist.

    Returns:
        The deployments' full names and ids.
    """
    from prefect.deployments.runner import EntrypointType

    from nffs_migration import __version__
    from nffs_migration.flows.canton import ADDRESS_ENV, WORKERS_ENV, migrate_services
    from nffs_migration.flows.migrate import migrate_service

    env: dict[str, str] = {}
    if dask_address:
        env[ADDRESS_ENV] = dask_address
    elif dask_workers:
        env[WORKERS_ENV] = str(dask_workers)
    flows: list[tuple[Any, dict[str, Any], str]] = [
        (migrate_service, {}, "One social service's batch plan: extract, validate, load."),
        (
            migrate_services,
            {"env": env} if env else {},
            "Several services' batch plans in parallel, one task per service.",
        ),
    ]
    ids: dict[str, str] = {}
    with _api(server_url):
        if create_pool:
            ensure_work_pool(work_pool)
        for flow, job_variables, description in flows:
            deployment = flow.to_deployment(
                name=name,
                description=description,
                version=__version__,
                job_variables=job_variables,
                entrypoint_type=EntrypointType.MODULE_PATH,
                tags=["nffs"],
            )
            ids[f"{flow.name}/{name}"] = str(deployment.apply(work_pool_name=work_pool))
    return ids


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m nffs_migration.flows.deploy`: deploy the flows (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m nffs_migration.flows.deploy",
        description="Deploy migrate-service and migrate-services to a Prefect work pool.",
    )
    parser.add_argument("--pool", default=DEFAULT_POOL, help="work pool (type process)")
    parser.add_argument("--api-url", help="Prefect API URL; default: $PREFECT_API_URL")
    parser.add_argument("--name", default=DEFAULT_NAME, help="name of the deployments")
    parser.add_argument("--dask-address", help="Dask scheduler for migrate-services")
    parser.add_argument("--dask-workers", type=int, help="or a local Dask cluster's processes")
    args = parser.parse_args(argv)

    from nffs_migration.errors import NffsError
    from nffs_migration.flows.prefect_env import prepare
    from nffs_migration.ui import err_console, out_console

    prepare()
    try:
        deployed = deploy(
            args.pool,
            server_url=args.api_url,
            name=args.name,
            dask_address=args.dask_address,
            dask_workers=args.dask_workers,
        )
    except NffsError as exc:
        err_console.print(f"error: {exc.message}", markup=False, highlight=False)
        return exc.exit_code
    for full_name, deployment_id in deployed.items():
        out_console.print(f"deployed {full_name} ({deployment_id}) to work pool {args.pool}")
    return 0


__all__ = ["deploy", "ensure_work_pool", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
