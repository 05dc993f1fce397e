"""A generated canton of four services (one per system) that share people, extracted once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from extractor_kit import GENERATED_OPTIONS, extract

from nffs_migration.sample_data.canton import generate_canton


@dataclass(frozen=True)
class Canton:
    packages: list[Path]
    truth: dict[str, Any]  # identity-truth.json
    sources: Path


def build_canton(root: Path, *, cases: int, seed: int, dirt: str) -> Canton:
    canton = generate_canton(root / "sources", cases=cases, seed=seed, dirt=dirt)
    packages = []
    for source in canton.sources:
        out = root / "packages" / source.out.name
        extract(source.system, source, GENERATED_OPTIONS[source.system], out)
        packages.append(out)
    truth = json.loads(canton.truth_path.read_text(encoding="utf-8"))
    return Canton(packages, truth, root / "sources")


@pytest.fixture(scope="session")
def canton(tmp_path_factory: pytest.TempPathFactory) -> Canton:
    """Four services of 300 cases each at the realistic dirt level."""
    return build_canton(tmp_path_factory.mktemp("canton"), cases=300, seed=7, dirt="realistic")
