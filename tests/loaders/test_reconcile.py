"""Reconcile: the id hash, and differences in a full load found on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from nffs_migration.loaders import load_package, reconcile_package
from nffs_migration.loaders.reconcile import IdHash

ids = st.lists(st.text(min_size=1, max_size=30), unique=True, max_size=200)


def _digest(*parts: list[str] | pa.Array) -> str:
    hashed = IdHash()
    for part in parts:
        hashed.add(part)
    return hashed.hexdigest()


@given(ids, st.randoms())
def test_the_id_hash_ignores_order_and_chunking(values: list[str], random) -> None:
    shuffled = list(values)
    random.shuffle(shuffled)
    cut = len(shuffled) // 2
    assert _digest(values) == _digest(shuffled[:cut], shuffled[cut:])
    assert _digest(values) == _digest(pa.array(values, pa.string()))


@given(ids.filter(bool), st.text(min_size=1, max_size=30))
def test_the_id_hash_sees_a_changed_or_missing_id(values: list[str], other: str) -> None:
    assert _digest(values) != _digest(values[1:])
    if other not in values:
        assert _digest(values) != _digest([other, *values[1:]])


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from extractor_kit import GENERATED_OPTIONS, extract

    from nffs_migration.sample_data.generate import generate
    from nffs_migration.validators import validate_package

    folder = tmp_path_factory.mktemp("reconcile")
    source = generate("klibnet", folder / "source", cases=60, seed=23, dirt="none")
    extract("klibnet", source, GENERATED_OPTIONS["klibnet"], folder / "full")
    validate_package(folder / "full")
    return folder / "full"


@pytest.mark.parametrize("where", ["sqlite", "postgres"])
def test_reconcile_names_a_changed_amount_a_lost_row_and_a_foreign_id(
    clean: Path, where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from nffs_migration.loaders import create_target_engine, init_target

    if where == "sqlite":
        url = f"sqlite:///{tmp_path / 'target.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
    engine = create_target_engine(url)
    init_target(engine)
    engine.dispose()
    package = clean
    load_package(package, url, documents_store=tmp_path / "docs")
    assert reconcile_package(package, url).matches
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE payments SET amount_chf = amount_chf + 0.05 WHERE payment_id = "
                "(SELECT min(payment_id) FROM payments)"
            )
        )
        connection.execute(
            sa.text(
                "DELETE FROM journal_entries WHERE journal_entry_id = "
                "(SELECT min(journal_entry_id) FROM journal_entries)"
            )
        )
        connection.execute(
            sa.text(
                "UPDATE staff SET staff_id = staff_id || '-x' WHERE staff_id = "
                "(SELECT min(staff_id) FROM staff WHERE staff_id NOT IN "
                "(SELECT responsible_staff_id FROM cases WHERE responsible_staff_id IS NOT NULL) "
                "AND staff_id NOT IN (SELECT staff_id FROM journal_entries "
                "WHERE staff_id IS NOT NULL) AND staff_id NOT IN "
                "(SELECT mandate_holder_staff_id FROM measures "
                "WHERE mandate_holder_staff_id IS NOT NULL))"
            )
        )
    engine.dispose()
    lines = reconcile_package(package, url).differences()
    assert any(line.startswith("payments.amount_chf: sum") for line in lines), lines
    assert any(line.startswith("journal_entries:") and "rows" in line for line in lines), lines
    assert "staff: the same number of rows but other ids" in lines, lines
