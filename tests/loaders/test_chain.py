"""Batches load in order, the last one is fresh, cutover sticks, reconcile sees stale rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from convergence import SERVICE, Service, days, load, target

from nffs_migration.extractors.base import SWISS_TIME
from nffs_migration.loaders import create_target_engine
from nffs_migration.sample_data.changes import change_source
from nffs_migration.sample_data.generate import DEFAULT_AS_OF, generate

T0 = DEFAULT_AS_OF.replace(tzinfo=SWISS_TIME)


@pytest.fixture
def service(tmp_path: Path) -> Service:
    folder = tmp_path / "source"
    generate("klibnet", folder, cases=30, seed=6, service_id=SERVICE, dirt="none")
    return Service(
        "klibnet", f"sqlite:///{folder / 'klibnet.sqlite'}", folder / "share", tmp_path / "p", []
    )


@pytest.fixture
def url(tmp_path: Path) -> str:
    return target(f"sqlite:///{tmp_path / 'target.db'}")


def _change(tmp_path: Path, day: float, round_no: int = 1) -> None:
    change_source("klibnet", tmp_path / "source", days(T0, day), seed=6, round_no=round_no)


def _load(cli, package: Path, url: str, *extra: str):
    return cli("load", str(package), "--target", url, *extra)


def test_a_delta_into_a_target_without_its_full_batch_is_refused(cli, service, url, tmp_path):
    service.extract(T0, delta=False)
    _change(tmp_path, 1)
    delta = service.extract(days(T0, 1))
    result = _load(cli, delta.out, url)
    assert result.exit_code == 1
    assert "is a delta, but service 0942 (klibnet) has no full batch in the target yet" in (
        result.stderr
    )


def test_a_skipped_delta_is_refused_naming_the_batch_expected(cli, service, url, tmp_path):
    full = service.extract(T0, delta=False)
    assert _load(cli, full.out, url).exit_code == 0
    _change(tmp_path, 1)
    service.extract(days(T0, 1))  # delta 2, never loaded
    _change(tmp_path, 2, round_no=2)
    third = service.extract(days(T0, 2))
    result = _load(cli, third.out, url)
    assert result.exit_code == 1
    assert f"expected a delta that follows {full.manifest.package_id}" in result.stderr


def test_an_older_package_is_refused_and_the_same_one_again_changes_nothing(
    cli, service, url, tmp_path
):
    full = service.extract(T0, delta=False)
    load(full.out, url)
    _change(tmp_path, 1)
    early = service.extract(days(T0, 1), name="early")
    service.batches.pop()  # a second extraction of the same batch, after more work
    _change(tmp_path, 1.5, round_no=2)
    late = service.extract(days(T0, 1.5), name="late")
    assert early.manifest.batch.sequence == late.manifest.batch.sequence == 2
    assert _load(cli, late.out, url).exit_code == 0
    again = _load(cli, late.out, url)
    assert again.exit_code == 0 and "is already loaded; nothing to do" in again.stdout
    result = _load(cli, early.out, url)
    assert result.exit_code == 1
    assert "is batch 2, older than" in result.stderr and late.manifest.package_id in result.stderr


def test_a_delta_whose_since_leaves_a_gap_is_refused(cli, service, url, tmp_path):
    full = service.extract(T0, delta=False)
    load(full.out, url)
    _change(tmp_path, 1)
    gap = service.extract(days(T0, 1))
    assert gap.manifest.batch.since == full.manifest.batch.high_water_mark
    # The same delta asked from a later mark: the rows between would be lost.
    service.batches = [full]
    mark = datetime.fromisoformat(full.manifest.batch.high_water_mark) + timedelta(hours=6)
    late = service.extract(days(T0, 1), name="gap", since_override=mark.isoformat())
    result = _load(cli, late.out, url)
    assert result.exit_code == 1
    assert "the changes between would be lost" in result.stderr


def test_a_row_committed_late_with_an_earlier_marker_is_not_lost(service, url, tmp_path):
    full = service.extract(T0, delta=False)
    load(full.out, url)
    mark = datetime.fromisoformat(full.manifest.batch.high_water_mark)
    # A long transaction commits after the full batch read, with a marker 2 minutes older.
    engine = sa.create_engine(service.source)
    with engine.begin() as db:
        payment = db.execute(
            sa.text(
                "SELECT MIN(ZahlungID) FROM tblZahlung WHERE DossierID IN "
                "(SELECT DossierID FROM tblDossier WHERE Abschluss IS NULL)"
            )
        ).scalar_one()
        db.execute(
            sa.text("UPDATE tblZahlung SET Betrag = 4321.5, MutDatum = :m WHERE ZahlungID = :z"),
            {"m": (mark - timedelta(minutes=2)).strftime("%Y-%m-%d %H:%M:%S.%f"), "z": payment},
        )
    engine.dispose()
    delta = service.extract(days(T0, 1))
    assert delta.manifest.batch.read_from == (mark - timedelta(minutes=5)).isoformat()
    load(delta.out, url)
    engine = create_target_engine(url)
    with engine.connect() as db:
        amount = db.execute(
            sa.text("SELECT amount_chf FROM payments WHERE payment_id = :p"),
            {"p": f"0942:klibnet:{payment}"},
        ).scalar_one()
    engine.dispose()
    assert float(amount) == 4321.5
    # Without the overlap window the same delta misses it.
    service.batches = [full]
    blind = service.extract(days(T0, 1), name="blind", overlap_minutes=0)
    ids = blind.manifest.tables["payments"].rows
    assert ids == 0


def test_a_stale_final_batch_is_refused_and_a_fresh_one_cuts_over(cli, service, url, tmp_path):
    load(service.extract(T0, delta=False).out, url)
    _change(tmp_path, 1)
    stale = service.extract(days(T0, 1), name="stale", final=True)
    result = _load(cli, stale.out, url)
    assert result.exit_code == 1
    assert (
        "is the final batch, but its data is" in result.stderr and "limit is 24 h" in result.stderr
    )
    assert "[red]" not in result.stderr
    # Fresh enough under a limit the service sets, and the scope is cut over.
    result = _load(cli, stale.out, url, "--max-age-hours", "100000", "--by", "m.muster")
    assert result.exit_code == 0, result.stderr
    assert "cut over" in result.stdout
    engine = create_target_engine(url)
    with engine.connect() as db:
        event = db.execute(sa.text("SELECT event, by, package_id FROM nffs_scope_log")).one()
    engine.dispose()
    assert event == ("cutover", "m.muster", stale.manifest.package_id)


def test_after_cutover_loads_are_refused_until_reopened_with_a_reason(cli, service, url, tmp_path):
    load(service.extract(T0, delta=False).out, url)
    _change(tmp_path, 1)
    final = service.extract(datetime.now(UTC), name="final", final=True)
    assert _load(cli, final.out, url).exit_code == 0
    _change(tmp_path, 2, round_no=2)
    late = service.extract(datetime.now(UTC) + timedelta(minutes=1), name="late")
    refused = _load(cli, late.out, url)
    assert refused.exit_code == 1 and "was cut over on" in refused.stderr
    no_reason = cli(
        "target",
        "reopen",
        "--service",
        SERVICE,
        "--system",
        "klibnet",
        "--reason",
        " ",
        "--target",
        url,
    )
    assert no_reason.exit_code == 2 and "say why" in no_reason.stderr
    reopened = cli(
        "target",
        "reopen",
        "--service",
        SERVICE,
        "--system",
        "klibnet",
        "--reason",
        "late payments of December",
        "--target",
        url,
        "--by",
        "canton",
    )
    assert reopened.exit_code == 0, reopened.stderr
    assert _load(cli, late.out, url).exit_code == 0
    engine = create_target_engine(url)
    with engine.connect() as db:
        events = db.execute(
            sa.text("SELECT event, by, reason FROM nffs_scope_log ORDER BY event_id")
        ).all()
    engine.dispose()
    assert [tuple(e) for e in events][1] == ("reopen", "canton", "late payments of December")


def test_reconcile_catches_a_stale_row_of_the_scope(cli, service, url, tmp_path):
    load(service.extract(T0, delta=False).out, url)
    _change(tmp_path, 1)
    delta = service.extract(days(T0, 1))
    load(delta.out, url)
    assert cli("reconcile", str(delta.out), "--target", url).exit_code == 0
    engine = create_target_engine(url)
    with engine.begin() as db:  # a row the source no longer holds, left by an older tool
        db.execute(
            sa.text(
                "INSERT INTO staff (staff_id, source_system, source_key, service_id, short_name, "
                "family_name, role, active, loaded_package_id) VALUES ('0942:klibnet:999', "
                "'klibnet', '999', '0942', 'XX', 'Gone', 'other', 1, 'old')"
            )
        )
    engine.dispose()
    result = cli("reconcile", str(delta.out), "--target", url)
    assert result.exit_code == 1
    assert "staff: 1 rows of the scope that the source no longer holds (stale)" in result.stdout


def test_a_pseudonymised_delta_keeps_its_chain_and_key_sets(service, tmp_path):
    from nffs_migration.intermediate_format import open_package
    from nffs_migration.transit.pseudonymize import pseudonymize_package

    service.extract(T0, delta=False)
    _change(tmp_path, 1)
    delta = service.extract(days(T0, 1))
    copy = tmp_path / "pseudonymised"
    pseudonymize_package(delta.out, copy, b"k" * 32)
    with open_package(delta.out) as original, open_package(copy) as fake:
        assert fake.manifest.batch == original.manifest.batch
        assert set(fake.manifest.key_sets) == set(original.manifest.key_sets)
        for name in original.manifest.key_sets:
            assert fake.key_set(name).equals(original.key_set(name)), name
