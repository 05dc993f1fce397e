"""Migration flows: batches step by step, resume after a crash, the gate, the ledger, status."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from browser import dump_dom
from killing import kill_when_marked

from nffs_migration.errors import ConfigurationError, SourceError, SourceUnavailable
from nffs_migration.flows.config import load_config
from nffs_migration.flows.ledger import Ledger
from nffs_migration.flows.steps import BatchPlan, GateClosed, ensure_target, run_batch
from nffs_migration.intermediate_format import TABLES
from nffs_migration.loaders import reconcile_package
from nffs_migration.sample_data.generate import DEFAULT_AS_OF, generate


def _service(folder: Path, dirt: str = "none", seed: int = 7, cases: int = 60) -> Path:
    generate("klibnet", folder / "source", cases=cases, seed=seed, dirt=dirt)
    config = {
        "service": {"id": "0942", "name": "Sozialdienst Thun", "communes": [942, 928]},
        "source": {
            "system": "klibnet",
            "url": "sqlite:///source/klibnet.sqlite",
            "documents": "source/share",
        },
        "target": {"url": "sqlite:///target.db", "documents_store": "documents"},
        "ledger": {"url": "sqlite:///ledger.db"},
        "workdir": "work",
        "plan": {"wave": 2, "deltas": 0, "as_of": DEFAULT_AS_OF.isoformat()},
    }
    path = folder / "service.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _rows(database: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(database) as db:
        return {name: db.execute(f"select * from {name} order by 1").fetchall() for name in TABLES}


def test_a_batch_runs_all_steps_and_a_rerun_redoes_nothing(tmp_path: Path) -> None:
    config = load_config(_service(tmp_path))
    ledger = Ledger(config.url(config.ledger, "ledger"))
    ensure_target(config)
    first = run_batch(config, ledger, BatchPlan(1, "full"))
    assert first.outcome == "done" and first.steps == [
        "extract",
        "validate",
        "gate",
        "load",
        "reconcile",
    ]
    batch = ledger.batch("0942", 1)
    assert batch["outcome"] == "done" and batch["step"] == "reconcile" and batch["errors"] == 0
    assert batch["read"] == batch["migrated"] + batch["rejected"] + batch["excluded"]
    again = run_batch(config, ledger, BatchPlan(1, "full"))
    assert "extract" not in again.steps and again.outcome == "done"
    steps = [s for s in ledger.steps("0942", 1) if s["step"] == "load"]
    assert steps[-1]["message"] == "already loaded"
    with sqlite3.connect(tmp_path / "target.db") as db:
        assert db.execute(
            "select count(*) from nffs_load_log where outcome = 'loaded'"
        ).fetchone() == (1,)
    ledger.close()


def test_errors_close_the_gate_with_the_reports_path_and_nothing_is_loaded(tmp_path: Path) -> None:
    config = load_config(_service(tmp_path, dirt="realistic", seed=3, cases=120))
    ledger = Ledger(config.url(config.ledger, "ledger"))
    ensure_target(config)
    with pytest.raises(GateClosed, match=r"reports/validation\.html"):
        run_batch(config, ledger, BatchPlan(1, "full"))
    batch = ledger.batch("0942", 1)
    assert batch["outcome"] == "blocked" and batch["step"] == "gate" and batch["blocking_rule"]
    with sqlite3.connect(tmp_path / "target.db") as db:
        assert db.execute("select count(*) from persons").fetchone() == (0,)
    status = {s.service_id: s for s in ledger.status()}
    assert status["0942"].outcome == "blocked" and status["0942"].errors > 0
    ledger.close()


CHILD = """
import sys, time
from pathlib import Path
from nffs_migration.flows.config import load_config
from nffs_migration.flows.ledger import Ledger
from nffs_migration.flows.steps import BatchPlan, ensure_target, run_batch
from nffs_migration.loaders import load as loader

marker = Path(sys.argv[2])
write = loader.SqliteStager.write

def slow_write(self, name, encoded):
    write(self, name, encoded)
    if name == "journal_entries":
        marker.write_text("loading")
        time.sleep(600)  # killed here, in the middle of the load

loader.SqliteStager.write = slow_write
config = load_config(Path(sys.argv[1]))
ensure_target(config)
run_batch(config, Ledger(config.url(config.ledger, "ledger")), BatchPlan(1, "full"))
"""


def test_a_flow_killed_during_load_resumes_and_ends_like_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    uninterrupted = tmp_path / "a"
    interrupted = tmp_path / "b"
    for folder in (uninterrupted, interrupted):
        folder.mkdir()
    config_a = load_config(_service(uninterrupted, seed=11))
    shutil.copytree(uninterrupted / "source", interrupted / "source")
    shutil.copy(uninterrupted / "service.yaml", interrupted / "service.yaml")
    ensure_target(config_a)
    run_batch(config_a, Ledger(config_a.url(config_a.ledger, "ledger")), BatchPlan(1, "full"))

    marker = tmp_path / "marker"
    kill_when_marked(
        [sys.executable, "-c", CHILD, str(interrupted / "service.yaml"), str(marker)], marker
    )
    with sqlite3.connect(interrupted / "target.db") as db:
        assert db.execute("select count(*) from persons").fetchone() == (0,)

    config_b = load_config(interrupted / "service.yaml")
    ledger = Ledger(config_b.url(config_b.ledger, "ledger"))
    resumed = run_batch(config_b, ledger, BatchPlan(1, "full"))
    assert resumed.outcome == "done" and "extract" not in resumed.steps
    assert _rows(interrupted / "target.db") == _rows(uninterrupted / "target.db")
    assert reconcile_package(resumed.package, config_b.url(config_b.target, "target")).matches
    ledger.close()


def test_the_prefect_flow_runs_the_plan_and_a_second_run_skips_what_is_done(tmp_path: Path) -> None:
    path = _service(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    script = (
        "import sys; from nffs_migration.flows.prefect_env import prepare; prepare();"
        "from nffs_migration.flows.migrate import migrate_service;"
        "print(migrate_service(sys.argv[1])); print(migrate_service(sys.argv[1]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 2 and all("'outcome': 'done'" in line for line in lines)
    with sqlite3.connect(tmp_path / "ledger.db") as db:
        assert db.execute(
            "select count(*) from ledger_steps where step = 'extract'"
        ).fetchone() == (1,)
    leaked = result.stdout + result.stderr
    with sqlite3.connect(tmp_path / "source" / "klibnet.sqlite") as db:
        names = [n for (n,) in db.execute("select Name from tblKlient limit 50")]
    assert not [n for n in names if len(n.strip()) > 3 and n.strip() in leaked]


def test_tasks_retry_on_transient_faults_only() -> None:
    from nffs_migration.flows.migrate import _transient

    class State:
        def __init__(self, error: Exception) -> None:
            self.error = error

        def result(self) -> None:
            raise self.error

    assert _transient(None, None, State(SourceUnavailable("connection lost")))
    assert not _transient(None, None, State(SourceError("broken file")))
    assert not _transient(None, None, State(ValueError("bug")))


def test_configuration_refuses_secrets_and_names_missing_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _service(tmp_path)
    data = yaml.safe_load(path.read_text())
    data["target"] = {"url": "postgresql+psycopg://loader:geheim@db/nffs"}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigurationError, match="password"):
        load_config(path)
    data["target"] = {"url_env": "NFFS_TEST_TARGET_URL"}
    path.write_text(yaml.safe_dump(data))
    config = load_config(path)
    monkeypatch.delenv("NFFS_TEST_TARGET_URL", raising=False)
    with pytest.raises(ConfigurationError, match="NFFS_TEST_TARGET_URL"):
        config.url(config.target, "target")
    monkeypatch.setenv("NFFS_TEST_TARGET_URL", "sqlite:///t.db")
    assert config.url(config.target, "target").endswith("/t.db")


def test_service_init_writes_a_template_that_loads(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli("service", "init", "--out", str(tmp_path / "s.yaml"))
    assert result.exit_code == 0
    config = load_config(tmp_path / "s.yaml")
    assert config.service.id == "0942" and config.source.url_env == "NFFS_SOURCE_URL"
    assert cli("service", "init", "--out", str(tmp_path / "s.yaml")).exit_code == 2


def test_plan_status_and_dashboard(cli, tmp_path: Path) -> None:
    canton = tmp_path / "organisations.csv"
    canton.write_text(
        "service_id;name;source_system;wave;cutover\n942;Sozialdienst Thun;klibnet;2;2026-09-30\n0351;Sozialamt Bern;kiss;1;\n"
    )
    ledger = f"sqlite:///{tmp_path / 'ledger.db'}"
    assert cli("plan", "--canton", str(canton), "--ledger", ledger).exit_code == 0
    page = tmp_path / "status.html"
    result = cli("status", "--ledger", ledger, "--html", str(page))
    assert result.exit_code == 0
    assert "0942" in result.stdout and "0351" in result.stdout and "planned" in result.stdout
    html = page.read_text()
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    assert "<script" not in html and 'id="services"' in html
    dom = dump_dom(page, tmp_path / "profile")
    assert "Sozialdienst Thun" in dom and "services" in dom


def test_ledger_at_canton_scale_on_postgresql(postgres_database: str) -> None:
    ledger = Ledger(postgres_database)
    ledger.plan_service("0942", "Sozialdienst Thun", source_system="klibnet", wave=2)
    ledger.start_batch("0942", 1, "full", "klibnet")
    ledger.update_batch(
        "0942",
        1,
        outcome="blocked",
        blocking_rule="open-case-without-lead",
        errors=3,
        findings_by_rule={"open-case-without-lead": 3},
    )
    status = ledger.status()
    assert status[0].blocking_rule == "open-case-without-lead" and status[0].wave == 2
    engine = sa.create_engine(postgres_database)
    with engine.connect() as connection:
        assert connection.execute(sa.text("select count(*) from ledger_batches")).scalar_one() == 1
    engine.dispose()
    ledger.close()
