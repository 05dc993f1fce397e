"""Status for project managers: every service at a glance, in the terminal and as a page.

`status_rows()` gives one row per service (system, wave, last batch, step, quality
figures, blocking rule, last activity); `dashboard_html()` a self-contained page with the
progress across services, errors by rule and the trend of findings per batch and
service. `load_canton_plan()` reads the canton's list of organisations and their waves
(CSV or YAML) into the ledger.
"""

from __future__ import annotations

import csv
import html
import json
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from nffs_migration.errors import ConfigurationError
from nffs_migration.flows.ledger import STEP_ORDER, Ledger, ServiceStatus

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:76rem;margin:0 auto;padding:1.5rem}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.88rem}
th,td{border-bottom:1px solid #e2e6ec;padding:.3rem .5rem;text-align:left}th{background:#eef1f6}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.done{color:#2f7d4a;font-weight:600}.blocked{color:#b3261e;font-weight:600}.failed{color:#b3261e}
.running{color:#a15c00}.steps span{display:inline-block;width:1.1rem;height:.6rem;margin-right:2px;border-radius:2px;background:#d5dae2}
.steps span.on{background:#2f7d4a}.steps span.stop{background:#b3261e}
.cards{display:flex;gap:.8rem;flex-wrap:wrap}.card{background:#fff;border-radius:8px;padding:.6rem 1rem;box-shadow:0 1px 2px #0002}
.card b{display:block;font-size:1.4rem}
"""


def status_rows(ledger: Ledger) -> list[ServiceStatus]:
    """Every service's latest state."""
    return ledger.status()


def _progress_cells(status: ServiceStatus) -> str:
    reached = STEP_ORDER.index(status.step) if status.step in STEP_ORDER else -1
    cells = []
    for index, step in enumerate(STEP_ORDER):
        css = ""
        if index < reached or (index == reached and status.outcome == "done"):
            css = "on"
        elif index == reached and status.outcome in ("failed", "blocked"):
            css = "stop"
        cells.append(f'<span class="{css}" title="{step}"></span>')
    return "".join(cells)


def _batch_label(status: ServiceStatus) -> str:
    if status.sequence is None:
        return ""
    return f"{status.sequence} ({html.escape(status.kind or '')})"


def _cutover_cell(status: ServiceStatus) -> str:
    if status.cut_over_at is not None:
        return (
            f"<span class='done'>cut over {status.cut_over_at:%Y-%m-%d}</span> "
            f"({html.escape(status.cut_over_by or '')})"
        )
    if status.planned_cutover is not None:
        return f"planned {html.escape(str(status.planned_cutover))}"
    return ""


def dashboard_html(ledger: Ledger, title: str = "NFFS migration: status of the services") -> str:
    """The status page: progress, errors by rule, findings per batch (self-contained)."""
    e = html.escape
    statuses = ledger.status()
    history = ledger.history()
    done = sum(1 for s in statuses if s.outcome == "done")
    cut_over = sum(1 for s in statuses if s.cut_over_at is not None)
    blocked = sum(1 for s in statuses if s.outcome in ("blocked", "failed"))
    waiting = sum(1 for s in statuses if s.outcome is None)
    rows = []
    for s in statuses:
        outcome = s.outcome or "planned"
        rows.append(
            f"<tr><td>{e(s.service_id)}</td><td>{e(s.name)}</td><td>{e(s.source_system or '')}</td>"
            f"<td class='n'>{s.wave if s.wave is not None else ''}</td>"
            f"<td>{_batch_label(s)}</td>"
            f"<td class='steps'>{_progress_cells(s)}</td><td class='{e(outcome)}'>{e(outcome)}</td>"
            f"<td class='n'>{'' if s.errors is None else s.errors}</td><td class='n'>{'' if s.warnings is None else s.warnings}</td>"
            f"<td>{e(s.blocking_rule or '')}</td><td>{_cutover_cell(s)}</td>"
            f"<td>{e(s.last_activity.strftime('%Y-%m-%d %H:%M') if s.last_activity else '')}</td></tr>"
        )
    by_rule: dict[str, int] = {}
    for batch in history:
        for rule, count in json.loads(batch.get("findings_by_rule") or "{}").items():
            by_rule[rule] = by_rule.get(rule, 0) + count
    top = max(by_rule.values(), default=1)
    rule_rows = "".join(
        f"<tr><td><code>{e(rule)}</code></td><td class='n'>{count:,}</td>"
        f"<td><svg width='200' height='10'><rect width='{count / top * 200:.0f}' height='10' fill='#3b6fb6'/></svg></td></tr>"
        for rule, count in sorted(by_rule.items(), key=lambda item: -item[1])
    )
    trend_rows = "".join(
        f"<tr><td>{e(b['service_id'])}</td><td class='n'>{b['sequence']}</td><td>{e(b['kind'])}</td>"
        f"<td class='n'>{b['errors'] if b['errors'] is not None else ''}</td>"
        f"<td class='n'>{b['warnings'] if b['warnings'] is not None else ''}</td>"
        f"<td class='n'>{b['migrated'] if b['migrated'] is not None else ''}</td><td>{e(b['outcome'])}</td></tr>"
        for b in history
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title><style>{CSS}</style></head>"
        f"<body><main><h1>{e(title)}</h1>"
        f"<div class='cards'><div class='card'><b>{len(statuses)}</b>services</div><div class='card'><b>{done}</b>loaded and reconciled</div>"
        f"<div class='card'><b>{cut_over}</b>cut over</div>"
        f"<div class='card'><b>{blocked}</b>blocked or failed</div><div class='card'><b>{waiting}</b>not started</div></div>"
        "<h2>Services</h2><table id='services'><tr><th>service</th><th>name</th><th>system</th><th>wave</th><th>last batch</th>"
        "<th>steps</th><th>outcome</th><th>errors</th><th>warnings</th><th>blocking rule</th><th>cutover</th><th>last activity</th></tr>"
        + "".join(rows)
        + "</table><h2>Findings by rule, all batches</h2><table id='rules'><tr><th>rule</th><th>findings</th><th></th></tr>"
        + (rule_rows or "<tr><td colspan='3'>none</td></tr>")
        + "</table><h2>Findings per batch and service</h2><table id='trend'><tr><th>service</th><th>batch</th><th>kind</th>"
        "<th>errors</th><th>warnings</th><th>migrated</th><th>outcome</th></tr>"
        + trend_rows
        + "</table></main></body></html>\n"
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
