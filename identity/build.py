"""`build_identity`: read the records, link them, find the conflicts, write the outputs.

The one library call behind `nffs-migrate identity build`. The threshold comes from the
caller, else from the canton's settings file (YAML, `identity: {threshold, floor}`), else
the default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from nffs_migration.errors import ConfigurationError, UsageError
from nffs_migration.identity.conflicts import find_conflicts
from nffs_migration.identity.link import DEFAULT_FLOOR, DEFAULT_THRESHOLD, Linkage, link
from nffs_migration.identity.output import write_outputs, write_target
from nffs_migration.identity.records import Records, engine_for, read_packages, read_target


@dataclass(frozen=True)
class IdentityResult:
    """What a run produced: the linkage, its conflicts, the figures, the target's rows."""

    linkage: Linkage
    conflicts: pl.DataFrame
    figures: dict[str, Any]
    target_rows: dict[str, int]


def read_settings(path: Path) -> dict[str, float]:
    """The identity part of a canton settings file (threshold and floor)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(
            f"{path}: cannot read the settings ({type(exc).__name__})"
        ) from None
    section = data.get("identity", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise ConfigurationError(f"{path}: expected a mapping `identity: {{threshold, floor}}`")
    unknown = sorted(set(section) - {"threshold", "floor"})
    if unknown:
        raise ConfigurationError(f"{path}: unknown identity settings {', '.join(unknown)}")
    settings: dict[str, float] = {}
    for name in ("threshold", "floor"):
        if name in section:
            try:
                settings[name] = float(section[name])
            except (TypeError, ValueError):
                raise ConfigurationError(f"{path}: identity.{name} must be a number") from None
    return settings


def check_scores(threshold: float, floor: float) -> None:
    """Refuse a threshold or floor outside 0..1, or a floor above the threshold."""
    if not (0.0 < threshold <= 1.0 and 0.0 <= floor <= threshold):
        raise UsageError(
            f"the threshold ({threshold}) must be in (0, 1] and the floor ({floor}) in "
            "[0, threshold]"
        )


def build_identity(
    packages: Sequence[Path],
    out: Path,
    *,
    target_url: str | None = None,
    threshold: float | None = None,
    floor: float | None = None,
    settings: Path | None = None,
    overwrite: bool = False,
    step: Callable[[str], None] | None = None,
) -> IdentityResult:
    """Link the persons of `packages` and/or of the target; write outputs (and the target).

    Raises:
        UsageError: Neither packages nor a target, or a bad threshold.
        PackageError: A package is unreadable (names the file).
        TargetUnavailable: The target cannot be reached.
    """
    if not packages and target_url is None:
        raise UsageError("give one or more packages, or --target URL; see --help")
    configured = read_settings(settings) if settings is not None else {}
    threshold = (
        threshold if threshold is not None else configured.get("threshold", DEFAULT_THRESHOLD)
    )
    floor = floor if floor is not None else configured.get("floor", DEFAULT_FLOOR)
    floor = min(floor, threshold)
    check_scores(threshold, floor)
    parts: list[Records] = []
    if packages:
        parts.append(
            read_packages(packages, advance=(lambda name: step(f"read {name}")) if step else None)
        )
    engine = engine_for(target_url) if target_url is not None else None
    if engine is not None:
        parts.append(read_target(engine))
        if step is not None:
            step("read the target")
    records = (
        parts[0]
        if len(parts) == 1
        else Records.of(
            pl.concat([p.persons for p in parts]),
            pl.concat([p.memberships for p in parts]),
            [s for p in parts for s in p.sources],
        )
    )
    linkage = link(records, threshold=threshold, floor=floor, phase=step)
    conflicts = find_conflicts(records, linkage)
    figures = write_outputs(out, records, linkage, conflicts, overwrite=overwrite)
    target_rows: dict[str, int] = {}
    if engine is not None:
        target_rows = write_target(engine, linkage, conflicts)
        engine.dispose()
    return IdentityResult(linkage, conflicts, figures, target_rows)


__all__ = ["IdentityResult", "build_identity", "check_scores", "read_settings"]
