"""Prefect flows that run extract, validate, gate, load and reconcile per service and batch.

- `config`: the service configuration file (one YAML per service, secrets from the environment);
- `steps`: the steps as library functions and `run_batch`, which resumes after a crash;
- `migrate`: the Prefect flow `migrate_service` (imports Prefect; import it only to run flows);
- `canton`: several services in parallel (`migrate_services`), on a Dask cluster if asked;
- `deploy`: deployments to a Prefect server with a process work pool;
- `ledger`: the migration ledger; `status`: the overview for the canton; `demo`: the demo.
"""
