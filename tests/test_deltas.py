"""Deltas converge: after a full batch and deltas the target equals a fresh full load.

Per delta-capable system, a generated source goes through a service's life: full batch;
a round of work (renames, soft deletes, hard deletes, budgets re-saved with a position
fewer, a new case); a delta; a second round; a second delta. The target must then hold,
row by row in every table, what a fresh full extraction of the final source loads into
an empty target, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from convergence import Service, days, differences, load, target

from nffs_migration.extractors.base import SWISS_TIME
from nffs_migration.sample_data.changes import change_source
from nffs_migration.sample_data.generate import DEFAULT_AS_OF, generate

T0 = DEFAULT_AS_OF.replace(tzinfo=SWISS_TIME)


def _service(tmp_path: Path, system: str, seed: int = 3) -> Service:
    folder = tmp_path / "source"
    generate(system, folder, cases=40, seed=seed, service_id="0942", dirt="realistic")
    if system == "tutoris":
        return Service(system, str(folder / "export.xml"), folder, tmp_path / "packages", [])
    database = folder / f"{system}.sqlite"
    return Service(system, f"sqlite:///{database}", folder / "share", tmp_path / "packages", [])


def _life(service: Service, folder: Path, converged: str) -> None:
    load(service.extract(T0, delta=False).out, converged)
    for round_no in (1, 2):
        moment = days(T0, round_no)
        changes = change_source(service.system, folder, moment, seed=3, round_no=round_no)
        assert changes.count() > 8
        load(service.extract(moment).out, converged)


@pytest.mark.parametrize("system", ["klibnet", "kiss"])
def test_deltas_converge_on_a_fresh_full_load_sqlite(tmp_path: Path, system: str) -> None:
    service = _service(tmp_path, system)
    converged = target(f"sqlite:///{tmp_path / 'converged.db'}")
    _life(service, tmp_path / "source", converged)
    fresh = target(f"sqlite:///{tmp_path / 'fresh.db'}")
    final = service.extract(days(T0, 2), delta=False, name="fresh")
    load(final.out, fresh)
    assert differences(converged, fresh, system) == []
