"""No personal value of the source in logs, errors, reports, ledger rows or Prefect's records.

A whole migration of four generated sources (one per system, with the field's defects)
runs with debug logging on, Prefect's included; then every log line, report, manifest,
reject file, ledger row and row of Prefect's database is searched for the names, AHV
numbers, addresses and journal texts of the source.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from nffs_migration.sample_data.generate import DEFAULT_AS_OF, generate

SYSTEMS = {
    "0942": (
        "klibnet",
        lambda o: {"url": f"sqlite:///{o}/klibnet.sqlite", "documents": str(o / "share")},
    ),
    "0351": (
        "kiss",
        lambda o: {"url": f"sqlite:///{o}/kiss.sqlite", "documents": str(o / "share")},
    ),
    "0371": ("tutoris", lambda o: {"url": str(o / "export.xml"), "documents": str(o)}),
    "0355": (
        "custom",
        lambda o: {
            "url": str(o),
            "documents": str(o / "scans"),
            "mapping": str(o / "mapping.yaml"),
        },
    ),
}


def _configs(tmp: Path, dirt: str) -> list[Path]:
    paths = []
    for index, (service, (system, source)) in enumerate(SYSTEMS.items()):
        folder = tmp / "sources" / system
        generate(system, folder, cases=40, seed=40 + index, service_id=service, dirt=dirt)
        config = {
            "service": {"id": service, "name": f"Demo {system}"},
            "source": {"system": system, **source(folder.resolve())},
            "target": {
                "url": f"sqlite:///{tmp.resolve()}/target-{service}.db",
                "documents_store": str(tmp / "documents"),
            },
            "ledger": {"url": f"sqlite:///{tmp.resolve()}/ledger.db"},
            "workdir": str(tmp / "work" / service),
            "plan": {"as_of": DEFAULT_AS_OF.isoformat()},
        }
        path = tmp / f"{service}.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True))
        paths.append(path)
    return paths


def _personal_values(tmp: Path) -> set[str]:
    """Names, AHV numbers, addresses, texts and titles, read from the packages written."""
    values: set[str] = set()
    for package in (tmp / "work").glob("*/packages/*"):
        tables = package / "tables"
        persons = pq.read_table(tables / "persons.parquet").to_pylist()
        for row in persons:
            values.update(
                v
                for v in (
                    row["family_name"],
                    row["given_name"],
                    row["ahvn13"],
                    row["old_ahv_number"],
                )
                if v
            )
            if row["ahvn13"]:
                ahv = row["ahvn13"]
                values.add(f"{ahv[:3]}.{ahv[3:7]}.{ahv[7:11]}.{ahv[11:]}")
        staff = pq.read_table(tables / "staff.parquet").to_pylist()
        values.update(v for row in staff for v in (row["family_name"], row["given_name"]) if v)
        for row in pq.read_table(tables / "addresses.parquet").to_pylist():
            if row["street"] and row["house_number"]:
                values.add(f"{row['street']} {row['house_number']}")
        for row in pq.read_table(tables / "journal_entries.parquet").to_pylist():
            if row["text"]:
                values.add(row["text"])
        for row in pq.read_table(tables / "payments.parquet").to_pylist():
            if row["recipient"] and row["recipient"] != "Klient/in":
                values.add(row["recipient"])
    return {v for v in values if len(v) >= 4}


def _text_of_databases(paths: list[Path]) -> str:
    parts = []
    for path in paths:
        with sqlite3.connect(path) as db:
            for (table,) in db.execute("select name from sqlite_master where type='table'"):
                for row in db.execute(f'select * from "{table}"'):
                    parts.extend(str(cell) for cell in row if isinstance(cell, str | bytes))
    return "\n".join(parts)


def _leaks(values: set[str], text: str) -> list[str]:
    found = []
    for value in values:
        pattern = r"(?<!\w)" + re.escape(value) + r"(?!\w)"
        if re.search(pattern, text):
            found.append(value)
    return found


@pytest.mark.slow
def test_no_personal_value_leaves_the_data_in_a_debug_run_of_all_four_systems(
    tmp_path: Path,
) -> None:
    configs = _configs(tmp_path, "realistic")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_LOGGING_LEVEL="DEBUG", COLUMNS="200")
    command = [sys.executable, "-m", "nffs_migration", "--debug", "-vv", "migrate"]
    for path in configs:
        command += ["--config", str(path)]
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert "internal error" not in result.stderr, result.stderr[-3000:]
    assert (tmp_path / "ledger.db").exists()
    values = _personal_values(tmp_path)
    assert len(values) > 200  # the scan has something to look for

    logs = result.stdout + result.stderr
    assert not _leaks(values, logs), "personal values in the command's output"

    reports = []
    for path in (tmp_path / "work").rglob("*"):
        if path.suffix in (".json", ".html") and path.is_file():
            reports.append(path.read_text(encoding="utf-8"))
        if path.is_file() and path.parent.name == "rejects":
            reports.extend(str(v) for row in pq.read_table(path).to_pylist() for v in row.values())
    assert not _leaks(values, "\n".join(reports)), (
        "personal values in reports, manifests or rejects"
    )

    assert not _leaks(values, _text_of_databases([tmp_path / "ledger.db"])), (
        "personal values in the ledger"
    )
    prefect_db = next((tmp_path / "prefect").rglob("*.db"), None)
    assert prefect_db is not None, "Prefect's database was not found"
    assert not _leaks(values, _text_of_databases([prefect_db])), (
        "personal values in Prefect's run records"
    )
