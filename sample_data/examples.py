"""Regenerate the committed example sources in `sample_data/examples/<system>/`.

    python -m nffs_migration.sample_data.examples [--check]

Small sources (30 cases, seed 1, realistic dirt) for documentation and quick tests.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from nffs_migration.sample_data.generate import SYSTEMS, generate

EXAMPLES = Path(__file__).parent / "examples"
CASES = 30
SEED = 1


def regenerate(target: Path = EXAMPLES, systems: tuple[str, ...] = SYSTEMS) -> list[Path]:
    """Write every system's example source under `target`, replacing what is there."""
    written = []
    for system in systems:
        with tempfile.TemporaryDirectory() as tmp:
            staged = Path(tmp) / system
            generate(system, staged, cases=CASES, seed=SEED)
            destination = target / system
            if destination.exists():
                shutil.rmtree(destination)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copytree(staged, destination)
            written.append(destination)
    return written


def main() -> None:
    """Command line: regenerate the examples."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("systems", nargs="*", default=list(SYSTEMS))
    args = parser.parse_args()
    for path in regenerate(systems=tuple(args.systems)):
        print(path)  # noqa: T201 - a developer script


if __name__ == "__main__":
    main()
