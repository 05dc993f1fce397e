"""The demo: four services, one per source system, from generated sources to a SQLite target.

`run_demo()` generates a small source for KLIBnet, KiSS, Tutoris and a self-built system
(sample data, seeded), writes a service configuration for each, and runs the migration
flow for all four with Prefect in its embedded mode. The KLIBnet source carries the
field's usual defects, so the gate stops its first batch and the report names the
rule; a clerk then mends the records the report names at the source
(`sample_data.clerk`), and the service's next batch passes, loads and reconciles. The
other three load and reconcile at once. In the end the target holds the cases of all
four systems, and the ledger keeps the stopped batch beside the one that loaded.
Everything lands in one folder (`nffs-demo/` by default): sources, packages with their
reports, the target, the documents, the ledger. Running the demo again reuses what is
there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from nffs_migration.sample_data.generate import DEFAULT_AS_OF, generate


@dataclass(frozen=True)
class DemoService:
    """One service of the demo."""

    service_id: str
    name: str
    system: str
    dirt: str


SERVICES = (
    DemoService("0942", "Sozialdienst Thun", "klibnet", "realistic"),
    DemoService("0351", "Sozialamt der Stadt Bern", "kiss", "none"),
    DemoService("0371", "Service social de Bienne / Sozialdienst Biel", "tutoris", "none"),
    DemoService("0355", "Sozialdienst Köniz", "custom", "none"),
)


def _source(service: DemoService, folder: Path) -> dict[str, object]:
    if service.system in ("klibnet", "kiss"):
        return {
            "url": f"sqlite:///{folder}/{service.system}.sqlite",
            "documents": str(folder / "share"),
        }
    if service.system == "tutoris":
        return {"url": str(folder / "export.xml"), "documents": str(folder)}
    return {
        "url": str(folder),
        "documents": str(folder / "scans"),
        "mapping": str(folder / "mapping.yaml"),
    }


def prepare(
    workdir: Path, cases: int = 60, say: Callable[[str], None] = lambda _: None
) -> list[Path]:
    """Generate the sources (if not there yet) and write the service configurations."""
    configs = []
    for index, service in enumerate(SERVICES):
        folder = (workdir / "sources" / f"{service.service_id}-{service.system}").resolve()
        if not (folder / "truth.json").exists():
            say(f"generating a {service.system} source for {service.name} ({cases} cases)")
            generate(
                service.system,
                folder,
                cases=cases,
                seed=index + 1,
                service_id=service.service_id,
                dirt=service.dirt,
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
            "plan": {"wave": 1 + index // 2, "deltas": 0, "as_of": DEFAULT_AS_OF.isoformat()},
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
    """Prepare and migrate the four demo services; returns the ledger URL."""
    from nffs_migration.errors import NffsError
    from nffs_migration.flows.migrate import migrate_service
    from nffs_migration.flows.steps import GateClosed

    workdir.mkdir(parents=True, exist_ok=True)
    configs = prepare(workdir, cases, say)
    for path in configs:
        say(f"migrating {path.stem}")
        try:
            migrate_service(str(path))
        except GateClosed as exc:
            say(f"  {path.stem}: the gate stopped the batch: {exc.message}")
            if not _clerk_mends(path, say):
                continue
            say(f"migrating {path.stem} again, from the mended source")
            try:
                migrate_service(str(path))
            except NffsError as again:
                say(f"  {path.stem}: {again.message}")
        except NffsError as exc:
            say(f"  {path.stem}: {exc.message}")
    return f"sqlite:///{(workdir / 'ledger.db').resolve()}"


def _clerk_mends(config_path: Path, say: Callable[[str], None]) -> bool:
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
    source = Path(config.url(config.source, "source").removeprefix("sqlite:///")).parent
    fixes = fix_klibnet(source, findings, at=DEFAULT_AS_OF)
    rules = sorted({rule for rule, _ in fixes.mended})
    say(
        f"  a clerk of {config.service.name} mends {len(fixes.mended)} records at the source "
        f"({', '.join(rules) or 'none'}); {len(fixes.left)} errors are left"
    )
    return bool(fixes.mended) and not fixes.left


__all__ = ["SERVICES", "prepare", "run_demo"]
