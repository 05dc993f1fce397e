"""Beyond one machine: a real Prefect server with a work pool and a worker; Dask for many services.

The server test starts `prefect server start` on 127.0.0.1 (a free port, a temporary
PREFECT_HOME), creates a process work pool, deploys the flows with
`python -m nffs_migration.flows.deploy`, triggers a run with `prefect deployment run` and
lets `prefect worker start --run-once` run it; the ledger then shows the batch done.
The Dask test runs `migrate_services` for three services on a local cluster of two worker
processes, in Prefect's embedded mode, in a subprocess with the session's PREFECT_HOME:
two load and reconcile, in parallel; the third stops at its gate without stopping them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from nffs_migration.errors import ConfigurationError
from nffs_migration.flows.config import load_config
from nffs_migration.flows.ledger import Ledger
from nffs_migration.flows.steps import BatchPlan, package_path
from nffs_migration.loaders import reconcile_package
from nffs_migration.sample_data.generate import DEFAULT_AS_OF, generate

SERVER_START_TIMEOUT = 240
RUN_TIMEOUT = 300


def _service(
    folder: Path,
    service_id: str = "0942",
    seed: int = 7,
    ledger: Path | None = None,
    dirt: str = "none",
    cases: int = 60,
) -> Path:
    """A small generated KLIBnet source (no defects by default) and its configuration."""
    generate("klibnet", folder / "source", cases=cases, seed=seed, service_id=service_id, dirt=dirt)
    config = {
        "service": {"id": service_id, "name": f"Sozialdienst {service_id}"},
        "source": {
            "system": "klibnet",
            "url": "sqlite:///source/klibnet.sqlite",
            "documents": "source/share",
        },
        "target": {"url": "sqlite:///target.db", "documents_store": "documents"},
        "ledger": {"url": f"sqlite:///{ledger}" if ledger else "sqlite:///ledger.db"},
        "workdir": "work",
        "plan": {"wave": 2, "deltas": 0, "as_of": DEFAULT_AS_OF.isoformat()},
    }
    path = folder / "service.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _clean_environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DASK_"))}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
    )
    return env


@pytest.fixture(scope="session")
def embedded_prefect(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run a script with Prefect embedded, one PREFECT_HOME for the session (a fast restart)."""
    env = _clean_environment(tmp_path_factory.mktemp("prefect-home"))

    def run(script: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


def _names(source: Path) -> list[str]:
    with sqlite3.connect(source) as db:
        names = [n for (n,) in db.execute("select Name from tblKlient limit 50")]
    return [n.strip() for n in names if len(n.strip()) > 3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Stop a process and everything it started (it leads its own process group).

    SIGINT first, as Ctrl-C would: a `prefect worker` (3.8) kept running after SIGTERM
    here and stops on SIGINT.
    """
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGINT, 15), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A real `prefect server start` on 127.0.0.1; yields the clients' environment."""
    port = _free_port()
    env = _clean_environment(tmp_path / "prefect-home")
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ui",
            "--analytics-off",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        yield {**env, "PREFECT_API_URL": api}
    finally:
        _stop(server)
        log.close()


def _wait_for_health(api: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"the Prefect server did not answer: {log.read_text()[-3000:]}")


def _prefect(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "prefect", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"prefect {' '.join(args)}: {result.stderr[-3000:]}"
    return result.stdout + result.stderr


@pytest.mark.slow
def test_a_worker_of_a_process_pool_runs_the_deployed_flow_on_a_real_server(
    tmp_path: Path, prefect_server: dict[str, str]
) -> None:
    env = prefect_server
    api = env["PREFECT_API_URL"]
    config = _service(tmp_path / "0942")  # generated while the server starts
    _wait_for_health(api, tmp_path / "server.log")

    _prefect(env, "work-pool", "create", "nffs-test", "--type", "process")
    deployed = subprocess.run(
        [
            sys.executable,
            "-m",
            "nffs_migration.flows.deploy",
            "--pool",
            "nffs-test",
            "--dask-workers",
            "2",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert deployed.returncode == 0, deployed.stderr[-3000:]
    assert "migrate-service/nffs" in deployed.stdout
    assert "migrate-services/nffs" in deployed.stdout
    services = httpx.get(f"{api}/deployments/name/migrate-services/nffs", timeout=10).json()
    assert services["job_variables"] == {"env": {"NFFS_DASK_WORKERS": "2"}}
    assert services["entrypoint"] == "nffs_migration.flows.canton.migrate_services"

    triggered = _prefect(
        env, "deployment", "run", "migrate-service/nffs", "--param", f"config_path={config}"
    )
    found = re.search(r"UUID: ([0-9a-f-]{36})", triggered)
    assert found, triggered
    flow_run = f"{api}/flow_runs/{found.group(1)}"

    deadline = time.monotonic() + RUN_TIMEOUT
    state = None
    while time.monotonic() < deadline:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "prefect",
                "worker",
                "start",
                "--pool",
                "nffs-test",
                "--run-once",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = worker.communicate(timeout=max(deadline - time.monotonic(), 1))
        except subprocess.TimeoutExpired:
            output = ""
        finally:
            _stop(worker)
        state = httpx.get(flow_run, timeout=10).json()["state_type"]
        if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            break
    assert state == "COMPLETED", f"flow run {state}: {output[-3000:]}"

    settings = load_config(config)
    ledger = Ledger(settings.url(settings.ledger, "ledger"))
    try:
        batch = ledger.batch("0942", 1)
        assert batch is not None and batch["outcome"] == "done"
        assert batch["step"] == "reconcile" and batch["errors"] == 0
    finally:
        ledger.close()
    tasks = httpx.post(f"{api}/task_runs/filter", json={}, timeout=10).json()
    assert {t["name"].rsplit("-", 1)[0] for t in tasks} == {
        "extract",
        "validate",
        "gate",
        "load",
        "reconcile",
    }
    assert all(t["state_type"] == "COMPLETED" for t in tasks)
    records = httpx.post(f"{api}/logs/filter", json={}, timeout=10).text + json.dumps(tasks)
    assert not [n for n in _names(tmp_path / "0942" / "source" / "klibnet.sqlite") if n in records]


DASK = """
import json, sys
from nffs_migration.errors import NffsError
from nffs_migration.flows.prefect_env import prepare
prepare()
from nffs_migration.flows.canton import run_services

if __name__ == "__main__":
    try:
        print("result", json.dumps(run_services(sys.argv[1:], workers=2)))
    except NffsError as exc:
        print("stopped", type(exc).__name__, exc.message)
"""


@pytest.mark.slow
def test_services_convert_in_parallel_on_a_local_dask_cluster_and_a_closed_gate_stops_one(
    tmp_path: Path, embedded_prefect: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    ledger_file = tmp_path / "canton-ledger.db"
    configs = [
        _service(tmp_path / "0942", "0942", seed=7, ledger=ledger_file),
        _service(tmp_path / "0351", "0351", seed=8, ledger=ledger_file),
    ]
    blocked = _service(
        tmp_path / "0371", "0371", seed=3, ledger=ledger_file, dirt="realistic", cases=40
    )
    result = embedded_prefect(DASK, *map(str, configs), str(blocked))
    assert result.returncode == 0, result.stderr[-3000:]
    line = next((x for x in result.stdout.splitlines() if x.startswith("stopped ")), "")
    assert line, result.stdout[-3000:]
    assert line.startswith("stopped GateClosed 1 of 3 services stopped: ")
    assert f"{blocked}: " in line and "reports/validation.html" in line

    ledger = Ledger(f"sqlite:///{ledger_file}")
    try:
        batches = {sid: ledger.batch(sid, 1) for sid in ("0942", "0351", "0371")}
    finally:
        ledger.close()
    assert batches["0371"] is not None and batches["0371"]["outcome"] == "blocked"
    for service_id in ("0942", "0351"):
        batch = batches[service_id]
        assert batch is not None and batch["outcome"] == "done" and batch["errors"] == 0
    spans = [(b["started_at"], b["finished_at"]) for b in batches.values() if b is not None]
    assert any(  # two services converted at the same time, in two worker processes
        a[0] < b[1] and b[0] < a[1] for i, a in enumerate(spans) for b in spans[i + 1 :]
    )
    for path in configs:
        config = load_config(path)
        package = package_path(config, BatchPlan(1, "full"))
        assert reconcile_package(package, config.url(config.target, "target")).matches
    leaked = result.stdout + result.stderr
    for config in [*configs, blocked]:
        assert not [n for n in _names(config.parent / "source" / "klibnet.sqlite") if n in leaked]


def test_the_runner_is_dask_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    from nffs_migration.flows import canton

    assert isinstance(canton.task_runner(), ThreadPoolTaskRunner)
    local = canton.task_runner(workers=2)
    assert isinstance(local, DaskTaskRunner) and local.cluster_kwargs == {
        "n_workers": 2,
        "processes": True,
        "threads_per_worker": 1,
        "dashboard_address": None,
    }
    remote = canton.task_runner("tcp://127.0.0.1:8786")
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://127.0.0.1:8786"
    monkeypatch.setenv(canton.WORKERS_ENV, "3")
    from_env = canton._from_environment()
    assert isinstance(from_env, DaskTaskRunner) and from_env.cluster_kwargs["n_workers"] == 3
    monkeypatch.setenv(canton.WORKERS_ENV, "many")
    with pytest.raises(ConfigurationError, match=canton.WORKERS_ENV):
        canton._from_environment()


def test_a_service_given_twice_is_refused_before_anything_runs(tmp_path: Path) -> None:
    from nffs_migration.flows.canton import _prepare

    config = tmp_path / "a" / "service.yaml"
    config.parent.mkdir()
    config.write_text(
        yaml.safe_dump(
            {
                "service": {"id": "0942", "name": "Sozialdienst Thun"},
                "source": {"system": "klibnet", "url": "sqlite:///source.sqlite"},
            }
        )
    )
    other = tmp_path / "b.yaml"
    other.write_text(config.read_text())
    with pytest.raises(ConfigurationError, match="0942 is given twice"):
        _prepare([str(config), str(other)])


def test_the_service_task_pickles_small() -> None:
    import cloudpickle

    from nffs_migration.flows.canton import service_task

    pickled = cloudpickle.dumps(service_task)  # as Dask sends it to a worker
    assert len(pickled) < 20_000
    again = cloudpickle.loads(pickled)
    assert again.name == "migrate-one-service" and again.fn.__module__ == service_task.fn.__module__


def test_deploy_refuses_to_deploy_to_the_embedded_server(tmp_path: Path) -> None:
    env = _clean_environment(tmp_path / "prefect-home")
    result = subprocess.run(
        [sys.executable, "-m", "nffs_migration.flows.deploy", "--pool", "nffs"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "PREFECT_API_URL" in result.stderr
