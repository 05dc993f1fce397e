"""Status without a shared database: two services' ledgers, signed snapshots, one canton.

Each service keeps its own ledger and exports a signed snapshot; the canton imports
them into its ledger (idempotent, its plan kept), refuses a changed, unsigned or
foreign-signed snapshot, and its dashboard shows plan against actual (checked in
headless Chromium).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from browser import dump_dom

from nffs_migration import i18n
from nffs_migration.flows.ledger import Ledger
from nffs_migration.flows.snapshots import (
    canonical,
    export_snapshot,
    import_snapshots,
    trusted_keys,
    write_snapshot,
)
from nffs_migration.flows.status import (
    EXPORT_HEADINGS,
    dashboard_html,
    plan_versus_actual,
    write_status_table,
)
from nffs_migration.transit.keys import write_keys

STEPS = ("extract", "validate", "gate", "load", "reconcile")


def _run(ledger: Ledger, service: str, system: str, batches: list[tuple[str, str]]) -> None:
    """Batches as a service's runs record them: (kind, outcome) each."""
    start = datetime(2026, 11, 2, 8, tzinfo=UTC)
    for sequence, (kind, outcome) in enumerate(batches, start=1):
        ledger.start_batch(service, sequence, kind, system, final=sequence == len(batches))
        for step in STEPS if outcome == "done" else STEPS[:3]:
            ledger.step(service, sequence, step, "done", started_at=start)
        ledger.update_batch(
            service,
            sequence,
            outcome=outcome,
            finished_at=start + timedelta(days=sequence),
            migrated=1000 * sequence,
            errors=0 if outcome == "done" else 3,
            warnings=12,
            blocking_rule=None if outcome == "done" else "open-case-without-lead",
            findings_by_rule=json.dumps({"talk-without-duration": 12}),
        )


@pytest.fixture
def communes(tmp_path: Path) -> dict[str, Path]:
    """Two services with their own ledgers and keys; their signed snapshots in a folder."""
    keys, outbox = tmp_path / "keys", tmp_path / "snapshots"
    outbox.mkdir()
    for service, system, batches, name in (
        ("0942", "klibnet", [("full", "blocked"), ("full", "done"), ("delta", "done")], "Thun"),
        ("0351", "kiss", [("full", "done")], "Bern"),
    ):
        ledger = Ledger(f"sqlite:///{tmp_path / f'{service}.db'}")
        ledger.plan_service(service, f"Sozialdienst {name}", source_system=system, wave=9)
        _run(ledger, service, system, batches)
        if service == "0942":
            ledger.cut_over(service, "0942-klibnet-delta-0003", by="it@thun")
        write_keys(keys / f"{service}", signing=True)
        document = export_snapshot(ledger, service, signing_key=keys / f"{service}.sign.key")
        write_snapshot(document, outbox / f"{service}-status.json")
        ledger.close()
    trust = tmp_path / "trust"
    trust.mkdir()
    for service in ("0942", "0351"):
        shutil.copy(keys / f"{service}.sign.pub", trust / f"{service}.sign.pub")
    return {"outbox": outbox, "trust": trust, "keys": keys, "tmp": tmp_path}


def _canton(tmp_path: Path) -> Ledger:
    canton = Ledger(f"sqlite:///{tmp_path / 'canton.db'}")
    canton.plan_service(
        "0942",
        "Sozialdienst Thun",
        source_system="klibnet",
        wave=1,
        planned_start=date(2026, 10, 1),
        cutover=date(2026, 11, 1),
    )
    canton.plan_service(
        "0351",
        "Sozialamt Bern",
        source_system="kiss",
        wave=2,
        planned_start=date(2026, 11, 1),
        cutover=date(2027, 3, 1),
    )
    canton.plan_service("0363", "Sozialdienst Köniz", source_system="tutoris", wave=2)
    return canton


def test_snapshots_of_two_services_reach_the_canton_once(communes: dict[str, Path]) -> None:
    canton = _canton(communes["tmp"])
    trusted = trusted_keys(communes["trust"])
    result = import_snapshots(canton, communes["outbox"], trusted=trusted)
    assert sorted(result.imported) == ["0351", "0942"] and not result.refused
    statuses = {s.service_id: s for s in canton.status()}
    thun = statuses["0942"]
    assert thun.journey == ((1, "full", "blocked"), (2, "full", "done"), (3, "delta", "done"))
    assert thun.cut_over_by == "it@thun" and thun.migrated == 3000
    assert thun.wave == 1  # the canton's plan wins over the commune's wave 9
    assert statuses["0363"].outcome is None
    steps = canton.service_steps("0942")
    assert len(steps) == 3 + 5 + 5
    again = import_snapshots(canton, communes["outbox"], trusted=trusted)
    assert again.imported == [] and sorted(again.unchanged) == ["0351", "0942"]
    assert len(canton.service_steps("0942")) == len(steps)
    assert len(canton.batches("0942")) == 3


def test_a_changed_unsigned_or_foreign_snapshot_is_refused(communes: dict[str, Path]) -> None:
    outbox, trust = communes["outbox"], communes["trust"]
    path = outbox / "0942-status.json"
    document = json.loads(path.read_text())
    document["snapshot"]["batches"][0]["errors"] = 0  # hide the blocked batch's errors
    document["sha256"] = hashlib.sha256(canonical(document["snapshot"])).hexdigest()
    path.write_text(json.dumps(document))
    unsigned = json.loads((outbox / "0351-status.json").read_text())
    del unsigned["signature"]
    (outbox / "0351-unsigned.json").write_text(json.dumps(unsigned))
    canton = _canton(communes["tmp"])
    foreign = Ledger(f"sqlite:///{communes['tmp'] / '0351.db'}")
    signed_by_thun = export_snapshot(
        foreign, "0351", signing_key=communes["keys"] / "0942.sign.key"
    )
    foreign.close()
    write_snapshot(signed_by_thun, outbox / "0351-foreign.json")
    result = import_snapshots(canton, outbox, trusted=trusted_keys(trust))
    refused = dict(result.refused)
    assert set(refused) == {"0942-status.json", "0351-unsigned.json", "0351-foreign.json"}
    assert "signature does not hold" in refused["0942-status.json"]
    assert "not signed by service 0351" in refused["0351-foreign.json"]
    assert result.imported == ["0351"]
    assert canton.batches("0942") == []  # nothing of the changed snapshot landed


def test_the_command_line_round_trip(cli, communes: dict[str, Path]) -> None:
    tmp = communes["tmp"]
    out = tmp / "fresh.json"
    ledger = f"sqlite:///{tmp / '0351.db'}"
    result = cli("status", "--ledger", ledger, "export", "--service", "351", "--out", str(out))
    assert result.exit_code == 0 and "not signed" in result.stdout
    canton = f"sqlite:///{tmp / 'canton-cli.db'}"
    imported = cli("status", "--ledger", canton, "import", str(communes["outbox"]))
    assert imported.exit_code == 0 and "imported 2" in imported.stdout
    (communes["outbox"] / "broken.json").write_text("{}")
    refused = cli(
        "status",
        "--ledger",
        canton,
        "import",
        str(communes["outbox"]),
        "--trust",
        str(communes["trust"]),
    )
    assert refused.exit_code == 1 and "broken.json" in refused.stdout


def test_plan_against_actual_in_the_dashboard_and_the_export(
    communes: dict[str, Path], tmp_path: Path
) -> None:
    canton = _canton(communes["tmp"])
    import_snapshots(canton, communes["outbox"], trusted=trusted_keys(communes["trust"]))
    today = date(2026, 12, 1)
    rows = {r.service_id: r for r in plan_versus_actual(canton, today)}
    thun, bern, koeniz = rows["0942"], rows["0351"], rows["0363"]
    assert (
        thun.cut_over_on is not None
        and thun.days_late == (thun.cut_over_on - date(2026, 11, 1)).days
    )
    assert bern.days_late == 0 and bern.days_since_load == (today - date(2026, 11, 3)).days
    assert koeniz.days_late is None and koeniz.outcome == "planned"
    table = tmp_path / "steering.csv"
    assert write_status_table(canton, table, today) == 3
    assert len(table.read_text(encoding="utf-8-sig").splitlines()) == 4
    # The steering committee's workbook in German: headings and standings translated.
    i18n.set_language("de")
    try:
        workbook = tmp_path / "steering.xlsx"
        write_status_table(canton, workbook, today)
        sheet = openpyxl.load_workbook(workbook).worksheets[0]
        header = [c.value for c in sheet[1]]
        english = [str(heading) for _name, heading in EXPORT_HEADINGS]
        assert header[0] != english[0] and header[5] != english[5] and sheet.freeze_panes == "A2"
        standings = {row[10] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert "planned" not in standings and "cut over" not in standings
    finally:
        i18n.set_language("en")
    page = tmp_path / "status.html"
    page.write_text(dashboard_html(canton))
    html = page.read_text()
    assert 'id="plan"' in html and "Progress per wave" in html and "2026-11-01" in html
    dom = dump_dom(page, tmp_path / "profile")
    assert 'id="plan"' in dom and "Sozialdienst Thun" in dom and "of 2 cut over" in dom
