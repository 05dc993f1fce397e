"""The demo: the life of a migration for four services, one per source system.

`run_demo()` generates a small source for KLIBnet, KiSS, Tutoris and a self-built system
(sample data, seeded, as of three hours ago), writes a service configuration for each
with a batch plan and a cutover today, and runs each service's batches one at a time
with Prefect in its embedded mode, the service's daily work in between:

- KLIBnet carries the field's usual defects: the gate stops its full batch and the report
  names the rule; a clerk mends at the source what the report names
  (`sample_data.clerk`), and the next full batch loads; then a round of work (renames,
  soft deletes, deleted journal entries and payments, a budget re-saved with a position
  fewer, a new case) and a delta, another round and the final delta, which cuts over;
- KiSS: full batch, work, delta, work, final delta;
- Tutoris: full export, work, delta export, work, and a final full export (a delta
  export cannot show a case removed whole);
- the self-built source: one final full batch.

In the end the target holds the cases of all four systems, every service is cut over,
and the ledger keeps each service's journey (the stopped batch beside the ones that
loaded). Everything lands in one folder (`nffs-demo/` by default): sources, packages with
their reports, the target, the documents, the ledger. Running the demo again resumes
where it stopped and redoes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from nffs_migration.sample_data.generate import generate


@dataclass(frozen=True)
class DemoService:
    """One service of the demo."""

    service_id: str
    name: str
    system: str
    dirt: str
    deltas: int


SERVICES = (
    DemoService("0942", "Sozialdienst Thun", "klibnet", "realistic", 2),
    DemoService("0351", "Sozialamt der Stadt Bern", "kiss", "none", 2),
    DemoService("0371", "Service social de Bienne / Sozialdienst Biel", "tutoris", "none", 2),
    DemoService("0355", "Sozialdienst Köniz", "custom", "none", 0),
)
#: The sources are generated as of this long ago; the rounds of work follow hourly.
HEAD_START = timedelta(hours=3)


def _source(service: DemoService, folder: Path) -> dict[str, object]:
    if service.system in ("klibnet", "kiss"):
        return {
            "url": f"sqlite:///{folder}/{service.system}.sqlite",
            "documents": str(folder / "share"),
        }
    if service.system == "tutoris":
        return {
            "url": str(folder / "export.xml"),
            "delta_export": str(folder / "export-delta.xml"),
            "documents": str(folder),
        }
    return {
        "url": str(folder),
        "documents": str(folder / "scans"),
        "mapping": str(folder / "mapping.yaml"),
    }


def _folder(workdir: Path, service: DemoService) -> Path:
    return (workdir / "sources" / f"{service.service_id}-{service.system}").resolve()


def anchor(folder: Path) -> datetime:
    """The moment a demo source was generated as of (local time, as the sources keep it)."""
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    return datetime.fromisoformat(truth["generator"]["as_of"])


def prepare(
    workdir: Path, cases: int = 60, say: Callable[[str], None] = lambda _: None
) -> list[Path]:
    """Generate the sources (if not there yet) and write the service configurations."""
    configs = []
    start = (datetime.now() - HEAD_START).replace(second=0, microsecond=0)  # noqa: DTZ005
    for index, service in enumerate(SERVICES):
        folder = _folder(workdir, service)
        if not (folder / "truth.json").exists():
            say(f"generating a {service.system} source for {service.name} ({cases} cases)")
            generate(
                service.system,
                folder,
                cases=cases,
                seed=index + 1,
                service_id=service.service_id,
                dirt=service.dirt,
                as_of=start,
            )
        config = {
            "service": {"id": service.service_id, "name": service.name},
            "source": {"system": service.system, **_source(service, folder)},
            "target": {
                "url": f"sqlite:///{(workdir / 'target.db').resolve()}",
                "documents_store": str((workdir / "documents").resolve()),
            },
            "ledger": {"url": f"sqlite:///{(workdir / 'ledger.db').resolve()}"},
            "workdir": str((workdir / "runs" / service.service_id).resolve()),
            "plan": {
                "wave": 1 + index // 2,
                "deltas": service.deltas,
                "cutover": anchor(folder).date().isoformat(),
            },
        }
        path = workdir / "services" / f"{service.service_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# Demo service, written by `nffs-migrate demo`.\n"
            + yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
        configs.append(path)
    return configs


def run_demo(workdir: Path, cases: int = 60, say: Callable[[str], None] = lambda _: None) -> str:
    """Prepare and migrate the four demo services, batch by batch; returns the ledger URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    configs = prepare(workdir, cases, say)
    for service, path in zip(SERVICES, configs, strict=True):
        _life(service, path, _folder(workdir, service), say)
    return f"sqlite:///{(workdir / 'ledger.db').resolve()}"


def _done(config_path: Path) -> list[dict[str, object]]:
    from nffs_migration.flows.config import load_config
    from nffs_migration.flows.ledger import Ledger

    config = load_config(config_path)
    ledger = Ledger(config.url(config.ledger, "ledger"))
    try:
        return [b for b in ledger.batches(config.service.id) if b["outcome"] == "done"]
    finally:
        ledger.close()


def _life(service: DemoService, path: Path, folder: Path, say: Callable[[str], None]) -> None:
    """One service's batches, one at a time, with a round of work before each delta."""
    from nffs_migration.errors import NffsError
    from nffs_migration.flows.migrate import migrate_service
    from nffs_migration.flows.steps import GateClosed

    total = 1 + service.deltas
    done = len(_done(path))
    while done < total:
        if done:
            _work(service, folder, done, say)
        say(f"{service.service_id} {service.system}: the plan's batch {done + 1} of {total}")
        try:
            migrate_service(str(path), batches=1)
        except GateClosed as exc:
            say(f"  the gate stopped the batch: {exc.message}")
            if not _clerk_mends(path, folder, say):
                return
            continue
        except NffsError as exc:
            say(f"  {exc.message}")
            return
        done = len(_done(path))
    say(f"  {service.service_id} is cut over")


def _work(service: DemoService, folder: Path, round_no: int, say: Callable[[str], None]) -> None:
    """A round of the service's daily work at the source, once (recorded beside it)."""
    from nffs_migration.sample_data.changes import change_source

    record = folder / "rounds.json"
    applied = json.loads(record.read_text(encoding="utf-8")) if record.exists() else []
    if round_no in applied:
        return
    at = anchor(folder) + timedelta(hours=round_no)
    changes = change_source(service.system, folder, at, seed=7, round_no=round_no)
    record.write_text(json.dumps([*applied, round_no]) + "\n", encoding="utf-8")
    say(f"  a day of work at the source: {changes.count()} records changed, added or deleted")


def _clerk_mends(config_path: Path, folder: Path, say: Callable[[str], None]) -> bool:
    """Play the service's clerk: mend at the source what the stopped batch's report names."""
    from nffs_migration.flows.config import load_config
    from nffs_migration.flows.ledger import Ledger
    from nffs_migration.flows.steps import BatchPlan, package_path
    from nffs_migration.sample_data.clerk import error_findings, fix_klibnet

    config = load_config(config_path)
    if config.source.system != "klibnet":
        return False
    ledger = Ledger(config.url(config.ledger, "ledger"))
    try:
        last = ledger.batches(config.service.id)[-1]
    finally:
        ledger.close()
    report = package_path(config, BatchPlan(last["sequence"], last["kind"]))
    findings = error_findings(report / "reports" / "validation.json")
    fixes = fix_klibnet(folder, findings, at=anchor(folder) + timedelta(minutes=30))
    rules = sorted({rule for rule, _ in fixes.mended})
    say(
        f"  a clerk of {config.service.name} mends {len(fixes.mended)} records at the source "
        f"({', '.join(rules) or 'none'}); {len(fixes.left)} errors are left"
    )
    return bool(fixes.mended) and not fixes.left


__all__ = ["SERVICES", "anchor", "prepare", "run_demo"]
