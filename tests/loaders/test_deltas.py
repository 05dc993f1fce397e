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
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.loaders import load as load_module
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


def _life(service: Service, folder: Path, converged: str, seed: int = 3) -> None:
    load(service.extract(T0, delta=False).out, converged)
    for round_no in (1, 2):
        moment = days(T0, round_no)
        changes = change_source(service.system, folder, moment, seed=seed, round_no=round_no)
        assert changes.count() > 8
        load(service.extract(moment).out, converged)


@pytest.mark.parametrize("system", ["klibnet", "kiss", "tutoris"])
def test_deltas_converge_on_a_fresh_full_load_sqlite(tmp_path: Path, system: str) -> None:
    service = _service(tmp_path, system)
    converged = target(f"sqlite:///{tmp_path / 'converged.db'}")
    _life(service, tmp_path / "source", converged)
    fresh = target(f"sqlite:///{tmp_path / 'fresh.db'}")
    final = service.extract(days(T0, 2), delta=False, name="fresh")
    load(final.out, fresh)
    assert differences(converged, fresh, system) == []


@pytest.mark.postgres
@pytest.mark.parametrize("large", [False, True], ids=["row-by-row", "large"])
@pytest.mark.parametrize("system", ["klibnet", "kiss", "tutoris"])
def test_deltas_converge_on_a_fresh_full_load_postgres(
    tmp_path: Path, system: str, large: bool, postgres_databases, monkeypatch
) -> None:
    """`large`: every load takes the large path (keys rebuilt, tables staged ahead by the
    stagehand on its own connection), deltas included."""
    staged_ahead: list[str] = []
    if large:
        monkeypatch.setenv("NFFS_SETWISE_ROWS", "0")
        take = load_module._Stagehand.take

        def spy(self: load_module._Stagehand, name: str) -> int:
            staged_ahead.append(name)
            return take(self, name)

        monkeypatch.setattr(load_module._Stagehand, "take", spy)
    service = _service(tmp_path, system, seed=4)
    converged = target(postgres_databases())
    _life(service, tmp_path / "source", converged, seed=4)
    assert (len(staged_ahead) >= 2 * len(TABLES)) == large  # both deltas, every table
    fresh = target(postgres_databases())
    load(service.extract(days(T0, 2), delta=False, name="fresh").out, fresh)
    assert differences(converged, fresh, system) == []


def test_a_tutoris_delta_cannot_show_a_removed_case_and_the_final_full_batch_can(
    tmp_path: Path,
) -> None:
    service = _service(tmp_path, "tutoris")
    converged = target(f"sqlite:///{tmp_path / 'converged.db'}")
    load(service.extract(T0, delta=False).out, converged)
    changes = change_source("tutoris", tmp_path / "source", days(T0, 1), seed=3, drop_case=True)
    (dropped,) = changes.deleted["Fall"]
    delta = service.extract(days(T0, 1))
    assert delta.manifest.batch.deletions == "children"
    load(delta.out, converged)
    fresh = target(f"sqlite:///{tmp_path / 'fresh.db'}")
    load(service.extract(days(T0, 1), delta=False, name="fresh").out, fresh)
    stale = differences(converged, fresh, "tutoris")
    assert f"cases: 0942:tutoris:{dropped} only after the deltas (stale)" in stale
    # The last batch of a Tutoris service is a full one: it removes what no delta showed.
    load(service.extract(days(T0, 1), delta=False, name="last").out, converged)
    assert differences(converged, fresh, "tutoris") == []
