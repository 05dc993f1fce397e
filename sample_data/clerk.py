"""A clerk at the source: mend what a validation report says blocks the gate.

After a batch is stopped by the gate, a clerk of the service reads the report's errors
(rule and source key, never a value) and mends the records in the legacy system. The
demo plays that clerk on a generated KLIBnet source: where the source no longer holds
the answer (a dossier whose lead person or social worker was removed), the clerk takes
it from the paper file, which for a generated source is `truth.json`'s `repairs`. Each
mended row gets a new change marker (`MutDatum`), as the legacy application would set
it, so that a later delta sees the change. What the clerk did is appended to
`fixes.json` beside the source; `truth.json` keeps describing the source as generated.

Only KLIBnet, and only the rules a clerk mends from the case file, are known here:
`open-case-without-lead` (the lead is entered again, `tblDossierPerson.Rolle = 1`) and
`open-case-without-social-worker` (`tblDossier.FallfuehrerID`). Other errors stay, and
`fix_klibnet` says which.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

#: Rule of the report -> the dirt kind whose repairs hold the clerk's answer.
MENDABLE = {
    "open-case-without-lead": "case-without-lead",
    "open-case-without-social-worker": "case-without-staff",
}


@dataclass
class Fixes:
    """What a clerk mended, and which errors were left for someone else."""

    mended: list[tuple[str, str]] = field(default_factory=list)
    left: list[tuple[str, str | None]] = field(default_factory=list)


def error_findings(report: Path) -> list[dict[str, Any]]:
    """The error findings of a validation report (`reports/validation.json`)."""
    data = json.loads(report.read_text(encoding="utf-8"))
    return [f for f in data["findings"] if f["severity"] == "error"]


def fix_klibnet(source: Path, findings: list[dict[str, Any]], at: datetime) -> Fixes:
    """Mend a generated KLIBnet source (`source` holds klibnet.sqlite and truth.json)."""
    truth = json.loads((source / "truth.json").read_text(encoding="utf-8"))
    fixes = Fixes()
    connection = sqlite3.connect(source / "klibnet.sqlite")
    try:
        with connection:
            for finding in findings:
                rule, key = finding["rule_id"], finding["source_key"]
                kind = MENDABLE.get(rule)
                repair = truth["dirt"].get(kind, {}).get("repairs", {}).get(key) if kind else None
                if repair is None:
                    fixes.left.append((rule, key))
                    continue
                if rule == "open-case-without-lead":
                    connection.execute(
                        "INSERT INTO tblDossierPerson (DossierID, KlientID, Rolle, VonDatum, "
                        "BisDatum) VALUES (?, ?, 1, ?, NULL)",
                        (int(key), int(repair["person"]), repair["valid_from"]),
                    )
                else:
                    connection.execute(
                        "UPDATE tblDossier SET FallfuehrerID = ? WHERE DossierID = ?",
                        (int(repair["staff"]), int(key)),
                    )
                # Child rows travel with their dossier: its marker says it changed.
                connection.execute(
                    "UPDATE tblDossier SET MutDatum = ? WHERE DossierID = ?",
                    (at.strftime("%Y-%m-%d %H:%M:%S.%f"), int(key)),
                )
                fixes.mended.append((rule, key))
    finally:
        connection.close()
    log = source / "fixes.json"
    done = json.loads(log.read_text(encoding="utf-8")) if log.exists() else []
    done += [{"rule": rule, "source_key": key, "at": at.isoformat()} for rule, key in fixes.mended]
    log.write_text(json.dumps(done, indent=2) + "\n", encoding="utf-8")
    return fixes


__all__ = ["MENDABLE", "Fixes", "error_findings", "fix_klibnet"]
