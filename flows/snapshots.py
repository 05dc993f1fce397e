"""Status snapshots: a service's migration status carried to the canton without a shared database.

A commune's runs keep their own ledger. `export_snapshot` writes one service's plan,
batches, steps, counts, blocking rules and cutover as one JSON file (keys, counts and
rule ids only, like the ledger: no record's values), signed with the service's Ed25519
key (`nffs-migrate package keygen`) where sealing is configured. The canton collects the
files in a folder and `import_snapshots` puts each service's history into its own
ledger:

- idempotent: a snapshot already imported, or older than the one imported, changes
  nothing; a newer one replaces the service's batches and steps;
- the canton's plan (wave, planned start, planned cutover) wins over the snapshot's;
- with trusted keys (`--trust DIR` holding `<service_id>.sign.pub` per service), every
  snapshot must carry a valid signature by its service's key: an unsigned, tampered or
  foreign-signed snapshot is refused and changes nothing.

The file:

    {"snapshot_format": 1,
     "snapshot": {"service_id": "0942", "exported_at": "...", "service": {...},
                  "batches": [...], "steps": [...], "tool_version": "..."},
     "sha256": "<of the canonical snapshot>",
     "signature": {"algorithm": "ed25519", "signer": "<fingerprint>", "value": "<base64>"}}

The shared-ledger mode (every commune writing into the canton's database) keeps working;
snapshots are for the communes that cannot reach it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from nffs_migration import __version__
from nffs_migration.errors import ConfigurationError, PackageError
from nffs_migration.files import write_private_text
from nffs_migration.flows.ledger import Ledger, now
from nffs_migration.transit.keys import fingerprint, load_signer, load_signing_key

SNAPSHOT_FORMAT = 1
#: Columns whose values are moments or days (written as ISO text, read back as such).
MOMENTS = {"updated_at", "cut_over_at", "started_at", "finished_at", "snapshot_at"}
DAYS = {"planned_start", "cutover"}


def _plain(row: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if key in drop:
            continue
        out[key] = value.isoformat() if isinstance(value, datetime | date) else value
    return out


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key, value in row.items():
        if value is None or not isinstance(value, str):
            continue
        if key in MOMENTS:
            out[key] = datetime.fromisoformat(value)
        elif key in DAYS:
            out[key] = date.fromisoformat(value)
    return out


def canonical(snapshot: dict[str, Any]) -> bytes:
    """The bytes that are hashed and signed: sorted keys, no blanks, UTF-8."""
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def export_snapshot(
    ledger: Ledger,
    service_id: str,
    *,
    signing_key: Path | None = None,
    passphrase: bytes | None = None,
) -> dict[str, Any]:
    """One service's status as a snapshot document (signed when a key is given)."""
    service = ledger.service(service_id)
    if service is None:
        raise ConfigurationError(f"service {service_id} is not in the ledger")
    snapshot = {
        "service_id": service_id,
        "exported_at": now().isoformat(),
        "tool_version": __version__,
        "service": _plain(service, drop=("snapshot_at",)),
        "batches": [_plain(b, drop=("batch_id",)) for b in ledger.batches(service_id)],
        "steps": [_plain(s, drop=("step_id",)) for s in ledger.service_steps(service_id)],
    }
    body = canonical(snapshot)
    document: dict[str, Any] = {
        "snapshot_format": SNAPSHOT_FORMAT,
        "snapshot": snapshot,
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    if signing_key is not None:
        key = load_signing_key(signing_key, passphrase)
        document["signature"] = {
            "algorithm": "ed25519",
            "signer": fingerprint(key.public_key()),
            "value": base64.b64encode(key.sign(body)).decode(),
        }
    return document


def write_snapshot(document: dict[str, Any], out: Path) -> None:
    """Write a snapshot owner-only."""
    write_private_text(out, json.dumps(document, indent=1, ensure_ascii=False) + "\n")


@dataclass
class ImportResult:
    """What an import did, file by file."""

    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def trusted_keys(folder: Path) -> dict[str, Ed25519PublicKey]:
    """The services' public keys: `<service_id>.sign.pub` (or `<service_id>.pub`) files."""
    if not folder.is_dir():
        raise ConfigurationError(f"{folder}: not a folder of public keys")
    keys = {}
    for path in sorted(folder.glob("*.pub")):
        service_id = path.name.split(".", 1)[0]
        if service_id.isdigit() and len(service_id) == 4:
            keys[service_id] = load_signer(path)
    if not keys:
        raise ConfigurationError(f"{folder}: no <service_id>.sign.pub files")
    return keys


def read_snapshot(path: Path, trusted: dict[str, Ed25519PublicKey] | None = None) -> dict[str, Any]:
    """A snapshot file, checked: format, digest and (with trusted keys) signature.

    Raises:
        PackageError: The file is not a snapshot, its digest or signature does not hold,
            or (with trusted keys) it is unsigned or signed by another key.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        snapshot = document["snapshot"]
        service_id = snapshot["service_id"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PackageError(f"{path.name}: not a status snapshot ({type(exc).__name__})") from None
    if document.get("snapshot_format") != SNAPSHOT_FORMAT:
        raise PackageError(f"{path.name}: snapshot format {document.get('snapshot_format')!r}")
    body = canonical(snapshot)
    if hashlib.sha256(body).hexdigest() != document.get("sha256"):
        raise PackageError(f"{path.name}: the snapshot does not match its digest (changed)")
    if trusted is None:
        return snapshot
    key = trusted.get(service_id)
    if key is None:
        raise PackageError(f"{path.name}: no trusted key for service {service_id}")
    signature = document.get("signature") or {}
    if signature.get("signer") != fingerprint(key):
        raise PackageError(f"{path.name}: not signed by service {service_id}'s key")
    try:
        key.verify(base64.b64decode(signature.get("value", "")), body)
    except (InvalidSignature, ValueError):
        raise PackageError(f"{path.name}: the signature does not hold (changed)") from None
    return snapshot


def import_snapshots(
    ledger: Ledger, folder: Path, *, trusted: dict[str, Ed25519PublicKey] | None = None
) -> ImportResult:
    """Put every snapshot of a folder into the ledger (see the module docstring)."""
    result = ImportResult()
    files = sorted(folder.glob("*.json")) if folder.is_dir() else [folder]
    for path in files:
        try:
            snapshot = read_snapshot(path, trusted)
        except PackageError as exc:
            result.refused.append((path.name, exc.message))
            continue
        service_id = snapshot["service_id"]
        moment = datetime.fromisoformat(snapshot["exported_at"])
        current = ledger.service(service_id)
        seen = current.get("snapshot_at") if current else None
        if seen is not None and seen.tzinfo is None:
            seen = seen.replace(tzinfo=moment.tzinfo)
        if seen is not None and seen >= moment:
            result.unchanged.append(service_id)
            continue
        ledger.replace_history(
            _typed({**snapshot["service"], "service_id": service_id}),
            [_typed({**b, "service_id": service_id}) for b in snapshot["batches"]],
            [_typed({**s, "service_id": service_id}) for s in snapshot["steps"]],
            moment,
        )
        result.imported.append(service_id)
    return result


__all__ = [
    "SNAPSHOT_FORMAT",
    "ImportResult",
    "export_snapshot",
    "import_snapshots",
    "read_snapshot",
    "trusted_keys",
    "write_snapshot",
]
