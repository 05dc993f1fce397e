"""The extraction's health, read off the manifest: alarms that close the gate.

Dirty data rejects a few records; a wrong installation or configuration rejects most
of them. Three signs in a package's manifest tell the second apart, and each is an
error rule, so the gate stays closed until someone has looked:

- `reject-rate-high`: a source table sent more than `max_reject_percent` (a profile
  parameter, 20 by default, settable in a service's profile) of the records it would
  migrate to the rejects (`rejected / (migrated + rejected)`; excluded records do not
  count, they left by a documented rule);
- `code-list-unmapped`: a code list met values but translated none of them
  (`unmapped_codes` against `mapped_codes`; a producer that does not count translations
  leaves `mapped_codes` out and is not judged by this rule);
- `documents-not-found`: the source lists documents but none reached the package (a
  wrong, empty or unreadable document share).

`alarms()` is the one place that decides; `nffs-migrate extract` prints the same alarms
as one plain line each, and validation records them as findings (keys only: a source
table's or a code list's name, never a value).
"""

from __future__ import annotations

from dataclasses import dataclass

from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.validators.results import CheckContext, Results
from nffs_migration.validators.source import TableSource


@dataclass(frozen=True)
class Alarm:
    """One sign that an extraction went wrong as a whole."""

    rule_id: str
    #: The format's table the alarm concerns, or `*`.
    table: str
    #: The source table or code list it concerns (no value of a record).
    key: str | None
    #: One plain line for a person.
    text: str


def reject_share(migrated: int, rejected: int) -> float:
    """The share of the records a source table would migrate that went to the rejects."""
    candidates = migrated + rejected
    return rejected / candidates if candidates else 0.0


def alarms(manifest: Manifest, max_reject_percent: int) -> tuple[list[Alarm], dict[str, int]]:
    """The alarms of a package, and per rule how many things were looked at."""
    found: list[Alarm] = []
    checked = {"reject-rate-high": 0, "code-list-unmapped": 0, "documents-not-found": 0}
    limit = max_reject_percent / 100
    for source_table, counts in manifest.accounting.items():
        if counts.migrated + counts.rejected == 0:
            continue
        checked["reject-rate-high"] += 1
        share = reject_share(counts.migrated, counts.rejected)
        if share > limit:
            found.append(
                Alarm(
                    "reject-rate-high",
                    "*",
                    source_table,
                    f"{source_table}: {counts.rejected:,} of "
                    f"{counts.migrated + counts.rejected:,} records rejected ({share:.0%}, "
                    f"more than {max_reject_percent} %); see rejects/ before going on",
                )
            )
    if manifest.mapped_codes is not None:
        for name, values in manifest.unmapped_codes.items():
            unmapped = sum(values.values())
            if not unmapped:
                continue
            checked["code-list-unmapped"] += 1
            if manifest.mapped_codes.get(name, 0) == 0:
                found.append(
                    Alarm(
                        "code-list-unmapped",
                        "*",
                        name,
                        f"code list {name}: none of its {unmapped:,} values "
                        f"({len(values):,} distinct) was translated; check the mapping files",
                    )
                )
    documents = manifest.tables.get("documents")
    rejected = manifest.rejects.get("documents")
    listed = (documents.rows if documents else 0) + (rejected.rows if rejected else 0)
    if listed:
        checked["documents-not-found"] += 1
        if documents is None or documents.rows == 0:
            found.append(
                Alarm(
                    "documents-not-found",
                    "documents",
                    None,
                    f"documents: the source lists {listed:,} and none of their files was found; "
                    "check the document share (--documents)",
                )
            )
    return found, checked


def check_health(source: TableSource, context: CheckContext, results: Results) -> None:
    """Record the manifest's alarms as failures (a package without manifest has none)."""
    if source.manifest is None:
        return
    found, checked = alarms(source.manifest, context.params.max_reject_percent)
    for rule_id, count in checked.items():
        results.checked(rule_id, count)
    for alarm in found:
        results.fail_one(alarm.rule_id, alarm.table, None, alarm.key, None)


__all__ = ["Alarm", "alarms", "check_health", "reject_share"]
