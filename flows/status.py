"""Status for project managers: every service at a glance, in the terminal and as a page.

`status_rows()` gives one row per service (system, wave, last batch, step, quality
figures, blocking rule, last activity); `plan_versus_actual()` each service's planned
start and cutover against what happened (days late, days since the last load);
`dashboard_html()` a self-contained page with the progress across services and per
wave, plan against actual, errors by rule and the trend of findings per batch and
service; `write_status_table()` the plan against actual as XLSX or CSV for the steering
committee. `load_canton_plan()` reads the canton's list of organisations and their waves
(CSV or YAML) into the ledger.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from nffs_migration.errors import ConfigurationError
from nffs_migration.files import open_private
from nffs_migration.flows.ledger import STEP_ORDER, Ledger, ServiceStatus
from nffs_migration.i18n import N_, _
from nffs_migration.intermediate_format.rules import title as rule_title
from nffs_migration.pages import render


def status_rows(ledger: Ledger) -> list[ServiceStatus]:
    """Every service's latest state."""
    return ledger.status()


#: Words of the dashboard, marked for the catalogs and translated when shown.
STEP_LABELS = {
    "extract": N_("extract"),
    "validate": N_("validate"),
    "gate": N_("gate"),
    "load": N_("load"),
    "reconcile": N_("reconcile"),
}
OUTCOME_LABELS = {
    "planned": N_("planned"),
    "running": N_("running"),
    "done": N_("done"),
    "blocked": N_("blocked"),
    "failed": N_("failed"),
}
KIND_LABELS = {"full": N_("full"), "delta": N_("delta")}


def _label(labels: dict[str, str], value: str | None) -> str:
    return _(labels[value]) if value in labels else (value or "")


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
        steps.append({"label": _(STEP_LABELS[step]), "state": state})
    return steps


SWISS_TIME = ZoneInfo("Europe/Zurich")


def _day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(SWISS_TIME).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


@dataclass(frozen=True)
class PlanVersusActual:
    """One service's plan against what happened (for the dashboard and the exports)."""

    service_id: str
    name: str
    source_system: str
    wave: int | None
    planned_start: date | None
    planned_cutover: date | None
    cut_over_on: date | None
    #: Days past the planned cutover (cut over late, or not yet and the day has passed).
    days_late: int | None
    last_loaded_on: date | None
    #: Days since the last batch went through: how fresh the target's data is.
    days_since_load: int | None
    outcome: str
    blocking_rule: str
    errors: int | None
    warnings: int | None


def plan_versus_actual(ledger: Ledger, today: date | None = None) -> list[PlanVersusActual]:
    """Every service's plan against what happened, as of `today` (default: today)."""
    today = today or datetime.now(SWISS_TIME).date()
    rows = []
    for s in ledger.status():
        planned = _day(s.planned_cutover)
        done = _day(s.cut_over_at)
        late = None
        if planned is not None:
            late = max(((done or today) - planned).days, 0)
        loaded = _day(s.last_loaded_at)
        rows.append(
            PlanVersusActual(
                s.service_id,
                s.name,
                s.source_system or "",
                s.wave,
                _day(s.planned_start),
                planned,
                done,
                late,
                loaded,
                (today - loaded).days if loaded else None,
                "cut over" if done else (s.outcome or "planned"),
                s.blocking_rule or "",
                s.errors,
                s.warnings,
            )
        )
    return rows


#: How a service stands in its wave, in the order of the wave chart.
STANDINGS = ("cut over", "done", "running", "blocked", "planned")
STANDING_LABELS = {
    "cut over": N_("cut over"),
    "done": N_("loaded, not cut over"),
    "running": N_("in progress"),
    "blocked": N_("blocked or failed"),
    "planned": N_("not started"),
}
STANDING_COLOURS = {
    "cut over": "#2f7d4a",
    "done": "#7fb98f",
    "running": "#e0a030",
    "blocked": "#b3261e",
    "planned": "#cbd5e0",
}


def _standing(outcome: str) -> str:
    if outcome in ("blocked", "failed"):
        return "blocked"
    return outcome if outcome in STANDINGS else "planned"


def wave_progress(rows: list[PlanVersusActual]) -> list[dict[str, Any]]:
    """Per wave (no wave last): how many services stand where, with bar geometry."""
    waves: dict[int | None, dict[str, int]] = {}
    for row in rows:
        counts = waves.setdefault(row.wave, dict.fromkeys(STANDINGS, 0))
        counts[_standing(row.outcome)] += 1
    largest = max((sum(c.values()) for c in waves.values()), default=1) or 1
    result = []
    for index, wave in enumerate(sorted(waves, key=lambda w: (w is None, w or 0))):
        counts = waves[wave]
        x = 80.0
        segments = []
        for standing in STANDINGS:
            width = counts[standing] / largest * 400
            if counts[standing]:
                segments.append(
                    {
                        "x": x,
                        "width": width,
                        "count": counts[standing],
                        "colour": STANDING_COLOURS[standing],
                        "label": _(STANDING_LABELS[standing]),
                    }
                )
            x += width
        result.append(
            {
                "wave": wave,
                "y": 10 + index * 30,
                "services": sum(counts.values()),
                "cut_over": counts["cut over"],
                "segments": segments,
            }
        )
    return result


#: The columns of the steering committee's export, with their headings.
EXPORT_HEADINGS = (
    ("service_id", N_("service")),
    ("name", N_("name")),
    ("source_system", N_("system")),
    ("wave", N_("wave")),
    ("planned_start", N_("planned start")),
    ("planned_cutover", N_("planned cutover")),
    ("cut_over_on", N_("cut over on")),
    ("days_late", N_("days late")),
    ("last_loaded_on", N_("last loaded on")),
    ("days_since_load", N_("days since the last load")),
    ("outcome", N_("outcome")),
    ("blocking_rule", N_("blocking rule")),
    ("errors", N_("errors")),
    ("warnings", N_("warnings")),
)


def write_status_table(ledger: Ledger, out: Path, today: date | None = None) -> int:
    """Plan against actual per service as `.xlsx` or `.csv` (steering committee); rows."""
    rows = plan_versus_actual(ledger, today)
    headings = [_(heading) for _name, heading in EXPORT_HEADINGS]

    def cells(row: PlanVersusActual) -> list[Any]:
        values = []
        for name, _heading in EXPORT_HEADINGS:
            value = getattr(row, name)
            if name == "outcome":
                value = _(STANDING_LABELS.get(_standing(value), value))
            values.append(value.isoformat() if isinstance(value, date) else value)
        return values

    suffix = out.suffix.lower()
    if suffix == ".csv":
        with open_private(out, newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle, delimiter=";")
            writer.writerow(headings)
            writer.writerows(cells(row) for row in rows)
    elif suffix == ".xlsx":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(out), {"strings_to_formulas": False})
        try:
            sheet = book.add_worksheet(_("services")[:31])
            sheet.write_row(0, 0, headings, book.add_format({"bold": True, "bg_color": "#EEF1F6"}))
            for index, row in enumerate(rows, start=1):
                sheet.write_row(index, 0, cells(row))
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(rows), 1), len(headings) - 1)
            sheet.set_column(0, len(headings) - 1, 16)
        finally:
            book.close()
        out.chmod(0o600)
    else:
        raise ConfigurationError(f"{out.name}: the status table is written as .xlsx or .csv")
    return len(rows)


#: The dashboard's default title.
TITLE = N_("NFFS migration: status of the services")


def dashboard_html(ledger: Ledger, title: str = TITLE) -> str:
    """The status page: progress, errors by rule, findings per batch (self-contained)."""
    statuses = ledger.status()
    history = ledger.history()
    by_rule: dict[str, int] = {}
    for batch in history:
        for rule, count in json.loads(batch.get("findings_by_rule") or "{}").items():
            by_rule[rule] = by_rule.get(rule, 0) + count
    top = max(by_rule.values(), default=1)
    cards = [
        (len(statuses), N_("services")),
        (sum(1 for s in statuses if s.outcome == "done"), N_("loaded and reconciled")),
        (sum(1 for s in statuses if s.cut_over_at is not None), N_("cut over")),
        (sum(1 for s in statuses if s.outcome in ("blocked", "failed")), N_("blocked or failed")),
        (sum(1 for s in statuses if s.outcome is None), N_("not started")),
    ]
    plan = plan_versus_actual(ledger)
    return render(
        "status.html",
        title=_(title),
        plan=plan,
        waves=wave_progress(plan),
        cards=[{"count": count, "label": _(label)} for count, label in cards],
        services=[
            {
                **vars(s),
                "outcome": s.outcome or "planned",
                "outcome_label": _label(OUTCOME_LABELS, s.outcome or "planned"),
                "kind_label": _label(KIND_LABELS, s.kind),
                "steps": _steps(s),
            }
            for s in statuses
        ],
        rules=[
            {"id": rule, "title": _(rule_title(rule)), "count": count, "width": count / top * 200}
            for rule, count in sorted(by_rule.items(), key=lambda item: -item[1])
        ],
        history=[
            {
                **batch,
                "kind_label": _label(KIND_LABELS, batch["kind"]),
                "outcome_label": _label(OUTCOME_LABELS, batch["outcome"]),
            }
            for batch in history
        ],
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
