"""Loading into SQLite and the real PostgreSQL: full, repeated, delta, refused, crash, reconcile."""

from __future__ import annotations

import shutil
import sqlite3
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from extractor_kit import extract
from killing import kill_when_marked
from package_tools import reseal

from nffs_migration.errors import DataErrors, LoadError, PackageError
from nffs_migration.intermediate_format import TABLES, open_package
from nffs_migration.loaders import (
    create_target_engine,
    init_target,
    load_package,
    reconcile_package,
)
from nffs_migration.sample_data.generate import generate
from nffs_migration.validators import validate_package

KLIBNET = {
    "klibnet": lambda s: {
        "source": f"sqlite:///{s.out / 'klibnet.sqlite'}",
        "documents": s.out / "share",
    }
}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("load")
    source = generate("klibnet", folder / "source", cases=120, seed=17, dirt="none")
    extract("klibnet", source, KLIBNET["klibnet"], folder / "full")
    validate_package(folder / "full")  # the loader gates on the report stored in the package
    return source, folder / "full"


@pytest.fixture(params=["sqlite", "postgres", "postgres-setwise"])
def target(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A target; `postgres-setwise` checks foreign keys per relation even for small loads."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'target.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
    if request.param == "postgres-setwise":
        monkeypatch.setenv("NFFS_SETWISE_ROWS", "0")  # children inherit it
    engine = create_target_engine(url)
    init_target(engine)
    engine.dispose()
    return url


def _foreign_keys(url: str) -> list[tuple[str, str]]:
    """The target's foreign keys and indexes with their definitions (PostgreSQL only)."""
    if not url.startswith("postgresql"):
        return []
    engine = create_target_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "select conname, pg_get_constraintdef(oid) from pg_constraint "
                "where contype = 'f' union all "
                "select indexname, indexdef from pg_indexes where schemaname = current_schema() "
                "order by 1"
            )
        ).all()
    engine.dispose()
    return [(str(name), str(definition)) for name, definition in rows]


def _count(url: str, table: str, where: str = "") -> int:
    engine = create_target_engine(url)
    with engine.connect() as connection:
        value = connection.execute(sa.text(f"select count(*) from {table} {where}")).scalar_one()
    engine.dispose()
    return int(value)


def test_full_load_reconciles_and_a_second_load_changes_nothing(
    clean, target: str, tmp_path: Path
) -> None:
    _, package = clean
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    keys = _foreign_keys(target)
    result = load_package(copy, target, documents_store=tmp_path / "docs")
    assert not result.already_loaded
    assert _foreign_keys(target) == keys  # the same keys, whichever way they were checked
    with open_package(copy) as opened:
        expected = {name: entry.rows for name, entry in opened.manifest.tables.items()}
        documents = opened.frame("documents")
    for name in TABLES:
        assert _count(target, name) == expected[name], name
    assert reconcile_package(copy, target).matches
    stored = list((tmp_path / "docs" / "sha256").rglob("*"))
    assert len([p for p in stored if p.is_file()]) == documents["sha256"].nunique()
    again = load_package(copy, target, documents_store=tmp_path / "docs")
    assert again.already_loaded
    for name in TABLES:
        assert _count(target, name) == expected[name], name
    assert _count(target, "nffs_load_log", "where outcome = 'loaded'") == 1


def test_delta_updates_and_inserts_without_duplicates(clean, target: str, tmp_path: Path) -> None:
    source, package = clean
    work = tmp_path / "source"
    shutil.copytree(source.out, work)
    full = tmp_path / "full"
    shutil.copytree(package, full)
    load_package(full, target, documents_store=tmp_path / "docs")
    with open_package(full) as opened:
        mark = opened.manifest.batch.high_water_mark
        payments = opened.manifest.tables["payments"].rows
    assert mark
    later = (datetime.fromisoformat(mark).replace(microsecond=0)).isoformat(" ") + ".500000"
    with sqlite3.connect(work / "klibnet.sqlite") as db:
        person, family = db.execute(
            "select KlientID, Name from tblKlient where Geloescht = 0 order by KlientID limit 1"
        ).fetchone()
        db.execute(
            "update tblKlient set Name = ?, MutDatum = ? where KlientID = ?",
            ("Neuname", later, person),
        )
        dossier = db.execute(
            "select DossierID from tblDossier where Abschluss is null order by DossierID limit 1"
        ).fetchone()[0]
        db.execute(
            "insert into tblZahlung values (?, ?, ?, ?, ?, ?, ?, ?)",
            (990001, dossier, "2026-03-10", 123.45, "SIL", "Klient/in", 0, later),
        )
    delta = tmp_path / "delta"
    moved = type(source)(source.system, work, source.paths, source.truth)
    extract("klibnet", moved, KLIBNET["klibnet"], delta, since=mark, sequence=2)
    validate_package(delta)
    with open_package(delta) as opened:
        assert opened.manifest.batch.kind == "delta" and opened.manifest.batch.sequence == 2
        assert opened.manifest.tables["persons"].rows == 1
        assert opened.manifest.tables["payments"].rows == 1
    result = load_package(delta, target, documents_store=tmp_path / "docs")
    assert result.rows["persons"]["updated"] == 1 and result.rows["payments"]["inserted"] == 1
    assert _count(target, "payments") == payments + 1
    engine = create_target_engine(target)
    with engine.connect() as connection:
        names = (
            connection.execute(
                sa.text("select family_name from persons where source_key = :k"), {"k": str(person)}
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert names == ["Neuname"] and family != "Neuname"
    assert reconcile_package(delta, target).matches
    assert load_package(delta, target, documents_store=tmp_path / "docs").already_loaded


def test_a_later_full_package_removes_the_rows_it_no_longer_holds(
    clean, target: str, tmp_path: Path
) -> None:
    source, package = clean
    work = tmp_path / "source"
    shutil.copytree(source.out, work)
    first = tmp_path / "first"
    shutil.copytree(package, first)
    result = load_package(first, target, documents_store=tmp_path / "docs")
    assert all(counts.get("deleted", 0) == 0 for counts in result.rows.values())
    with open_package(first) as opened:
        payments = opened.manifest.tables["payments"].rows
    with sqlite3.connect(work / "klibnet.sqlite") as db:
        gone = db.execute("select min(ZahlungID) from tblZahlung").fetchone()[0]
        db.execute("delete from tblZahlung where ZahlungID = ?", (gone,))
    second = tmp_path / "second"
    moved = type(source)(source.system, work, source.paths, source.truth)
    extract("klibnet", moved, KLIBNET["klibnet"], second, sequence=2)  # the scope's next batch
    validate_package(second)
    result = load_package(second, target, documents_store=tmp_path / "docs")
    assert result.rows["payments"]["deleted"] == 1
    # The rows the later batch holds unchanged are left as they are, not rewritten.
    assert result.rows["payments"]["updated"] == 0
    assert result.rows["payments"]["unchanged"] == payments - 1
    assert _count(target, "payments") == payments - 1
    assert _count(target, "payments", f"where source_key = '{gone}'") == 0
    assert reconcile_package(second, target).matches


def test_tampered_package_is_refused(clean, target: str, tmp_path: Path) -> None:
    _, package = clean
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    path = copy / "tables" / "payments.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(PackageError, match=r"payments\.parquet"):
        load_package(copy, target, documents_store=tmp_path / "docs")
    assert _count(target, "persons") == 0


def test_package_with_validation_errors_is_refused(target: str, tmp_path: Path) -> None:
    source = generate("klibnet", tmp_path / "s", cases=60, seed=4)
    extract("klibnet", source, KLIBNET["klibnet"], tmp_path / "p")
    # The loader never validates: a package without its report is refused...
    with pytest.raises(DataErrors, match="has no validation report for its content"):
        load_package(tmp_path / "p", target, documents_store=tmp_path / "docs")
    validate_package(tmp_path / "p")
    # ...and one whose stored report has errors too.
    with pytest.raises(DataErrors, match="validation errors"):
        load_package(tmp_path / "p", target, documents_store=tmp_path / "docs")
    assert _count(target, "persons") == 0


def test_load_command_exit_codes(cli, clean, tmp_path: Path) -> None:
    _, package = clean
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert cli("target", "init", "--target", url).exit_code == 0
    assert cli("load", str(copy), "--target", url).exit_code == 0
    second = cli("load", str(copy), "--target", url)
    assert second.exit_code == 0 and "already loaded" in second.stdout
    assert cli("reconcile", str(copy), "--target", url).exit_code == 0
    assert cli("load", str(tmp_path / "missing"), "--target", url).exit_code == 2
    uninitialised = f"sqlite:///{tmp_path / 'empty.db'}"
    result = cli("load", str(copy), "--target", uninitialised)
    assert result.exit_code == 2 and "target init" in result.stderr


CHILD = """
import sys, time
from pathlib import Path
from nffs_migration.loaders import load_package

marker = Path(sys.argv[3])

def progress(table, rows):
    if table == "journal_entries":
        marker.write_text("staging")
        time.sleep(600)  # killed here, in the middle of the transaction

load_package(Path(sys.argv[1]), sys.argv[2], documents_store=Path(sys.argv[4]), progress=progress)
"""


def test_a_load_killed_midway_leaves_nothing_and_the_next_load_completes(
    clean, target: str, tmp_path: Path
) -> None:
    _, package = clean
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    from nffs_migration.validators import validate_package

    validate_package(copy)
    keys = _foreign_keys(target)
    marker = tmp_path / "marker"
    kill_when_marked(
        [sys.executable, "-c", CHILD, str(copy), target, str(marker), str(tmp_path / "docs")],
        marker,
    )
    assert _foreign_keys(target) == keys  # the dropped keys came back with the rollback
    with open_package(copy) as opened:
        package_id = opened.manifest.package_id
    for name in TABLES:
        assert _count(target, name) == 0, name
    assert _count(target, "nffs_load_log", "where outcome = 'loaded'") == 0
    result = load_package(copy, target, documents_store=tmp_path / "docs")
    assert result.package_id == package_id and not result.already_loaded
    assert reconcile_package(copy, target).matches


def test_target_init_is_idempotent_and_refuses_another_major_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    engine = create_target_engine(url)
    assert "created" in init_target(engine)
    assert "up to date" in init_target(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("update nffs_schema_version set format_version = '9.0.0'"))
    from nffs_migration.errors import LoadError

    with pytest.raises(LoadError, match="major"):
        init_target(engine)
    engine.dispose()


def test_a_reference_that_does_not_resolve_fails_the_load_either_way(
    clean, target: str, tmp_path: Path
) -> None:
    """A payment of a case the package lacks: refused by the target's foreign key, whether
    it is checked row by row at commit or per relation (set-wise), and nothing stays."""
    _, package = clean
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    payments = copy / "tables" / "payments.parquet"
    table = pq.read_table(payments)
    column = table.schema.get_field_index("case_id")
    broken = table.set_column(
        column, "case_id", pa.array(["0942:klibnet:no-such-case"] * table.num_rows)
    )
    pq.write_table(broken, payments, compression="zstd")
    reseal(copy)
    from nffs_migration.errors import LoadError

    keys = _foreign_keys(target)
    with pytest.raises(LoadError) as caught:
        load_package(copy, target, documents_store=tmp_path / "docs", validate=False)
    assert "does not resolve" in caught.value.message
    for name in TABLES:
        assert _count(target, name) == 0, name
    assert _foreign_keys(target) == keys  # keys and indexes as they were


def test_an_id_another_scope_holds_fails_the_load_either_way(
    clean, target: str, tmp_path: Path
) -> None:
    """The same ids under another service: refused by the primary key, whether it is
    kept during the load or added again after it (set-wise), and the first scope stays."""
    _, package = clean
    load_package(package, target, documents_store=tmp_path / "docs")
    counts = {name: _count(target, name) for name in TABLES}
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    for path in (copy / "tables").glob("*.parquet"):
        table = pq.read_table(path)
        if "service_id" in table.column_names:
            column = table.schema.get_field_index("service_id")
            table = table.set_column(column, "service_id", pa.array(["0351"] * table.num_rows))
            pq.write_table(table, path, compression="zstd")
    manifest = (copy / "manifest.json").read_text()
    (copy / "manifest.json").write_text(manifest.replace('"0942"', '"0351"'))
    reseal(copy)
    from nffs_migration.errors import LoadError

    keys = _foreign_keys(target)
    with pytest.raises(LoadError) as caught:
        load_package(copy, target, documents_store=tmp_path / "docs", validate=False)
    assert "is already in the target for another service" in caught.value.message
    assert "an id of organisation" in caught.value.message  # the first table it reaches
    assert {name: _count(target, name) for name in TABLES} == counts
    assert _foreign_keys(target) == keys


@pytest.mark.postgres
@pytest.mark.parametrize("rights", ["read only", "none"])
def test_a_user_without_the_rights_to_load_gets_a_load_error(
    clean, postgres_database: str, tmp_path: Path, rights: str
) -> None:
    """Not an internal error: the message says which right is missing, and nothing loads."""
    _, package = clean
    engine = create_target_engine(postgres_database)
    init_target(engine)
    role = f"nffs_reader_{uuid.uuid4().hex[:8]}"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        if rights == "read only":
            connection.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        url = sa.make_url(postgres_database).set(username=role)
        with pytest.raises(LoadError, match=r"lacks a right on the target \(permission denied"):
            load_package(
                package, url.render_as_string(hide_password=False), documents_store=tmp_path
            )
        for name in TABLES:
            assert _count(postgres_database, name) == 0, name
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP OWNED BY {role}")
            connection.exec_driver_sql(f"DROP ROLE {role}")
        engine.dispose()
