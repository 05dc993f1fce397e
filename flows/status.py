"""Status for project managers: every service at a glance, in the terminal and as a page.

`status_rows()` gives one row per service (system, wave, last batch, step, quality
figures, blocking rule, last activity); `dashboard_html()` a self-contained page with the
progress across services, errors by rule and the trend of findings per batch and
service. `load_canton_plan()` reads the canton's list of organisations and their waves
(CSV or YAML) into the ledger.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from nffs_migration.errors import ConfigurationError
from nffs_migration.flows.ledger import STEP_ORDER, Ledger, ServiceStatus
from nffs_migration.pages import render


def status_rows(ledger: Ledger) -> list[ServiceStatus]:
    """Every service's latest state."""
    return ledger.status()


def _steps(status: ServiceStatus) -> list[dict[str, str]]:
    """The pipeline's steps with how far the service got: done (`on`), stopped, not yet."""
    reached = STEP_ORDER.index(status.step) if status.step in STEP_ORDER else -1
    steps = []
    for index, step in enumerate(STEP_ORDER):
        state = ""
        if index < reached or (index == reached and status.outcome == "done"):
            state = "on"
        elif index == reached and status.outcome in ("failed", "blocked"):
            state = "stop"
        steps.append({"name": step, "state": state})
    return steps


def dashboard_html(ledger: Ledger, title: str = "NFFS migration: status of the services") -> str:
    """The status page: progress, errors by rule, findings per batch (self-contained)."""
    statuses = ledger.status()
    history = ledger.history()
    by_rule: dict[str, int] = {}
    for batch in history:
        for rule, count in json.loads(batch.get("findings_by_rule") or "{}").items():
            by_rule[rule] = by_rule.get(rule, 0) + count
    top = max(by_rule.values(), default=1)
    cards = [
        (len(statuses), "services"),
        (sum(1 for s in statuses if s.outcome == "done"), "loaded and reconciled"),
        (sum(1 for s in statuses if s.cut_over_at is not None), "cut over"),
        (sum(1 for s in statuses if s.outcome in ("blocked", "failed")), "blocked or failed"),
        (sum(1 for s in statuses if s.outcome is None), "not started"),
    ]
    return render(
        "status.html",
        title=title,
        cards=[{"count": count, "label": label} for count, label in cards],
        services=[
            {**vars(s), "outcome": s.outcome or "planned", "steps": _steps(s)} for s in statuses
        ],
        rules=[
            {"id": rule, "count": count, "width": count / top * 200}
            for rule, count in sorted(by_rule.items(), key=lambda item: -item[1])
        ],
        history=history,
    )


def load_canton_plan(ledger: Ledger, path: Path) -> int:
    """Read the canton's organisations and waves (CSV or YAML) into the ledger.

    Columns or keys: `service_id`, `name`, `source_system`, `wave`, `planned_start`,
    `cutover` (dates as YYYY-MM-DD); only `service_id` and `name` are required.
    """
    if path.suffix.lower() in (".yaml", ".yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = data.get("services", data) if isinstance(data, dict) else data
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            entries = list(csv.DictReader(handle, delimiter=";" if ";" in first else ","))
    if not isinstance(entries, list):
        raise ConfigurationError(f"{path}: expected a list of services")
    count = 0
    for line, entry in enumerate(entries, start=2):
        service_id = str(entry.get("service_id") or "").strip().zfill(4)
        name = str(entry.get("name") or "").strip()
        if not service_id.isdigit() or len(service_id) != 4 or not name:
            raise ConfigurationError(
                f"{path}: entry {line - 1} needs a 4-digit service_id and a name"
            )

        def day(key: str, entry: dict[str, Any] = entry) -> date | None:
            value = entry.get(key)
            return date.fromisoformat(str(value)) if value else None

        wave = entry.get("wave")
        ledger.plan_service(
            service_id,
            name,
            source_system=(entry.get("source_system") or None),
            wave=int(wave) if wave not in (None, "") else None,
            planned_start=day("planned_start"),
            cutover=day("cutover"),
        )
        count += 1
    return count


__all__ = ["dashboard_html", "load_canton_plan", "status_rows"]
