"""Generate a legacy source of any system: the one entry point for CLI, tests and benchmarks.

    source = generate("klibnet", Path("sources/klibnet"), cases=200, seed=7)
    source.truth["expected"]["persons"]["migrated"]

Writes the source (database, export file or spreadsheets, documents) and `truth.json`
into the output folder. The same arguments give the same bytes.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nffs_migration import __version__
from nffs_migration.errors import ConfigurationError
from nffs_migration.sample_data.dirt import Dirt, Level
from nffs_migration.sample_data.records import Settings
from nffs_migration.sample_data.truth import Truth

SYSTEMS = ("klibnet", "kiss", "tutoris", "custom")
DEFAULT_AS_OF = Settings().as_of


@dataclass(frozen=True)
class GeneratedSource:
    """A generated source: where its parts are and what is true about it."""

    system: str
    out: Path
    paths: dict[str, str]
    truth: dict[str, Any]

    @property
    def truth_path(self) -> Path:
        return self.out / "truth.json"


def generate(
    system: str,
    out: Path,
    *,
    cases: int = 100,
    seed: int = 1,
    service_id: str = "0942",
    dirt: str = "realistic",
    url: str | None = None,
    as_of: datetime | None = None,
    identities: Any = None,
) -> GeneratedSource:
    """Generate one legacy source of `system` into `out` with its truth.json.

    Raises:
        ConfigurationError: Unknown system or dirt level, bad service id, or an output
            folder that already holds a source.
    """
    if system not in SYSTEMS:
        raise ConfigurationError(f"unknown system {system!r}; choose one of {', '.join(SYSTEMS)}")
    try:
        level = Level(dirt)
    except ValueError:
        raise ConfigurationError(
            f"unknown dirt level {dirt!r}; choose none, realistic or heavy"
        ) from None
    if not (len(service_id) == 4 and service_id.isdigit()):
        raise ConfigurationError(f"service id {service_id!r} must be four digits (BFS number)")
    if url is not None and system not in ("klibnet", "kiss"):
        raise ConfigurationError(f"--url is for database systems; {system} writes files into --out")
    if cases < 1:
        raise ConfigurationError("--cases must be at least 1")
    if out.exists() and any(out.iterdir()):
        raise ConfigurationError(f"{out} is not empty; choose a new folder for the source")
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        seed=seed,
        cases=cases,
        service_id=service_id,
        as_of=as_of or DEFAULT_AS_OF,
        identities=identities,  # canton.IdentityPlan: several services sharing people
    )
    service = settings.service
    meta = {
        "tool_version": __version__,
        "system": system,
        "seed": seed,
        "cases": cases,
        "dirt": level.value,
        "service_id": service_id,
        "service_name": service.name,
        "communes": list(service.communes),
        "as_of": settings.as_of.isoformat(),
        "retention": {
            "years": settings.retention_years,
            "cutoff": settings.retention_cutoff.isoformat(),
        },
    }
    truth = Truth(meta)
    renderer = importlib.import_module(f"nffs_migration.sample_data.{system}")
    paths: dict[str, str] = renderer.generate(settings, out, Dirt(level, seed, system, truth), url)
    truth.extra["source"] = {key: _relative(value, out) for key, value in paths.items()}
    truth.write(out / "truth.json")
    return GeneratedSource(system, out, paths, json.loads((out / "truth.json").read_text("utf-8")))


def _relative(value: str, out: Path) -> str:
    path = Path(value)
    if path.is_absolute() and path.is_relative_to(out.resolve()):
        return path.relative_to(out.resolve()).as_posix()
    if value.startswith("sqlite:///"):
        database = Path(value.removeprefix("sqlite:///"))
        if database.resolve().is_relative_to(out.resolve()):
            return "sqlite:///" + database.resolve().relative_to(out.resolve()).as_posix()
    return value
