"""Digests of the packages extracted from fixed sources: a guard for refactoring.

The packages of generated sources (every system, realistic dirt), of a delta batch after
a round of work on them (the systems with deltas) and of the hand-written reference
sources are reduced to one SHA-256 per table (its rows, in file order, as
canonical JSON), per reject table, per key set, and of the manifest's accounting. Their content, not
their Parquet bytes: a newer pyarrow writes other metadata, the same rows.

    python tests/package_digests.py --write   # after a change that means to change output

`tests/extractors/test_package_stability.py` compares a fresh extraction with the committed
`tests/package_digests.json`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import sys
import tempfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
DIGESTS = HERE / "package_digests.json"
REFERENCE = HERE / "reference"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def digest_package(path: Path) -> dict[str, str]:
    """One digest per table, per reject table, and of the accounting."""
    from nffs_migration.intermediate_format import open_package
    from nffs_migration.intermediate_format.definition import TABLES

    found = {}
    with open_package(path) as package:
        manifest = package.manifest
        for name in TABLES:
            rows = [{k: _plain(v) for k, v in r.items()} for r in package.table(name).to_pylist()]
            found[f"tables/{name}"] = _sha(rows)
        for name in sorted(manifest.rejects):
            found[f"rejects/{name}"] = _sha(package.rejects(name).to_pylist())
        for name in sorted(manifest.key_sets):
            keys = package.key_set(name)
            found[f"keys/{name}"] = _sha(sorted(keys.to_pylist()) if keys is not None else None)
        found["accounting"] = _sha(
            {k: v.model_dump() for k, v in sorted(manifest.accounting.items())}
        )
    return found


def _sha(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _generated(system: str, work: Path, *, delta: bool = False) -> Path:
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.base import SWISS_TIME
    from nffs_migration.extractors.run import extract_package
    from nffs_migration.sample_data.generate import generate

    source = generate(system, work / "source", cases=60, seed=21, dirt="realistic")
    out = source.out
    options = {
        "klibnet": {"source": f"sqlite:///{out / 'klibnet.sqlite'}", "documents": out / "share"},
        "kiss": {"source": f"sqlite:///{out / 'kiss.sqlite'}", "documents": out / "share"},
        "tutoris": {"source": str(out / "export.xml"), "documents": out},
        "custom": {"source": str(out), "documents": out / "scans", "mapping": out / "mapping.yaml"},
    }[system]
    as_of = datetime.fromisoformat(source.truth["generator"]["as_of"]).replace(tzinfo=SWISS_TIME)
    extractor = get_extractor(system)
    opts = extractor.options_class(service_id="0942", as_of=as_of, **options)
    full = extract_package(extractor, opts, work / "package")
    if not delta:
        return full.out
    # A round of work a day later, then the delta batch that carries it.
    from nffs_migration.sample_data.changes import change_source

    later = as_of + timedelta(days=1)
    change_source(system, out if system == "tutoris" else options["source"], later, seed=21)
    if system == "tutoris":
        options["source"] = str(out / "export-delta.xml")
    since = None if system == "tutoris" else full.manifest.batch.high_water_mark
    opts = extractor.options_class(
        service_id="0942",
        as_of=later,
        since=since,
        previous=full.manifest.package_id,
        sequence=2,
        **options,
    )
    return extract_package(extractor, opts, work / "delta").out


def _delta(system: str, work: Path) -> Path:
    return _generated(system, work, delta=True)


def reference_source(system: str, where: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """A hand-written reference source set up in `where`: its extraction options and
    its `expected.yaml`."""
    folder = REFERENCE / system
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    shutil.copytree(folder, where, ignore=shutil.ignore_patterns("expected.yaml", "*.sql"))
    options: dict[str, Any] = {"documents": where / expected["documents"]}
    if (folder / "source.sql").exists():
        database = where / f"{system}.sqlite"
        with sqlite3.connect(database) as connection:
            connection.executescript((folder / "source.sql").read_text(encoding="utf-8"))
        options["source"] = f"sqlite:///{database}"
    else:
        options["source"] = str(where / expected["source"])
    if "mapping" in expected:
        options["mapping"] = where / expected["mapping"]
    return options, expected


def _reference(system: str, work: Path) -> Path:
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.base import SWISS_TIME
    from nffs_migration.extractors.run import extract_package

    options, expected = reference_source(system, work / "source")
    as_of = datetime.fromisoformat(expected["as_of"]).replace(tzinfo=SWISS_TIME)
    extractor = get_extractor(system)
    opts = extractor.options_class(service_id="0942", as_of=as_of, **options)
    return extract_package(extractor, opts, work / "package").out


SYSTEMS = ("klibnet", "kiss", "tutoris", "custom")
#: The families with delta batches (custom sources are re-read whole).
DELTA_SYSTEMS = ("klibnet", "kiss", "tutoris")


def all_digests() -> dict[str, dict[str, str]]:
    """The digests of every fixed source's package."""
    result = {}
    for kind, make, systems in (
        ("generated", _generated, SYSTEMS),
        ("reference", _reference, SYSTEMS),
        ("delta", _delta, DELTA_SYSTEMS),
    ):
        for system in systems:
            with tempfile.TemporaryDirectory() as tmp:
                result[f"{kind}/{system}"] = digest_package(make(system, Path(tmp)))
    return result


if __name__ == "__main__":
    current = all_digests()
    if "--write" in sys.argv:
        DIGESTS.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {DIGESTS}")
    else:
        print(json.dumps(current, indent=1, sort_keys=True))
