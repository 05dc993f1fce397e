"""A large full batch on PostgreSQL writes its tables anew instead of updating every row.

The rewrite (`PostgresStager._rewrite`) must leave the target exactly as the row-by-row
upsert leaves it: the same rows, the same `loaded_package_id` (a row held unchanged keeps
the package that last wrote it), the same counts, and another scope's rows untouched.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from convergence import Service, days, load, target
from killing import kill_when_marked

from nffs_migration.errors import LoadError
from nffs_migration.extractors.base import SWISS_TIME
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.loaders import create_target_engine
from nffs_migration.loaders import load as load_module
from nffs_migration.loaders.load import PostgresStager
from nffs_migration.sample_data.changes import change_source
from nffs_migration.sample_data.generate import DEFAULT_AS_OF, generate

T0 = DEFAULT_AS_OF.replace(tzinfo=SWISS_TIME)

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def _large_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every load of these tests is a large one (a child process inherits it)."""
    monkeypatch.setenv("NFFS_SETWISE_ROWS", "0")


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, every column (the loader's own included), by key."""
    engine = create_target_engine(url)
    try:
        metadata = sa.MetaData()
        metadata.reflect(engine, only=list(TABLES))
        with engine.connect() as connection:
            return {
                name: [
                    tuple(row)
                    for row in connection.execute(
                        metadata.tables[name]
                        .select()
                        .order_by(metadata.tables[name].c[table.primary_key])
                    )
                ]
                for name, table in TABLES.items()
            }
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Another scope's package; a service's full batch; its next full batch after work."""
    folder = tmp_path_factory.mktemp("rewrite")

    def service(system: str, cases: int, seed: int, dirt: str) -> Service:
        generate(system, folder / system, cases=cases, seed=seed, dirt=dirt)
        source = f"sqlite:///{folder / system / f'{system}.sqlite'}"
        return Service(system, source, folder / system / "share", folder / f"{system}-out", [])

    other = service("kiss", 8, 9, "none")
    klibnet = service("klibnet", 40, 5, "realistic")
    first = klibnet.extract(T0, delta=False).out
    changes = change_source("klibnet", folder / "klibnet", days(T0, 1), seed=5, round_no=1)
    assert changes.count() > 8  # renames, removals, new rows: some rows change, most stay
    second = klibnet.extract(days(T0, 1), delta=False).out
    return other.extract(T0, delta=False).out, first, second


def _life(
    url: str, batches: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, dict[str, int]], list[str]]:
    """Load the three batches; the last load's counts and the tables it wrote anew."""
    rewritten: list[str] = []
    rewrite: Callable[..., Any] = PostgresStager._rewrite

    def spy(self: PostgresStager, name: str, *args: Any) -> Any:
        result = rewrite(self, name, *args)
        if name in self.rewritten_deleted:  # written anew, not upserted
            rewritten.append(name)
        return result

    monkeypatch.setattr(PostgresStager, "_rewrite", spy)
    other, first, second = batches
    load(other, url)
    load(first, url)
    counts = load(second, url)
    return counts, rewritten


def test_a_rewrite_leaves_the_target_as_the_upsert_does(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(load_module, "REWRITE_SHARE", 0.0)  # however few rows changed
    rewritten_url = target(postgres_databases())
    counts, rewrites = _life(rewritten_url, batches, monkeypatch)
    assert sorted(rewrites) == sorted(TABLES)  # every table of the scope held rows
    monkeypatch.setattr(PostgresStager, "plan_rewrites", lambda *_args: None)
    upserted_url = target(postgres_databases())
    upsert_counts, none = _life(upserted_url, batches, monkeypatch)
    assert none == []
    assert counts == upsert_counts
    assert sum(c["updated"] for c in counts.values()) > 0
    assert sum(c["deleted"] for c in counts.values()) > 0
    assert sum(c["unchanged"] for c in counts.values()) > sum(c["updated"] for c in counts.values())
    rewritten, upserted = _dump(rewritten_url), _dump(upserted_url)
    assert rewritten == upserted
    packages = {row[-1] for rows in rewritten.values() for row in rows}
    assert len(packages) == 3  # the other scope's, and unchanged rows kept the first's


def test_a_batch_that_changes_few_rows_updates_them_instead(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = target(postgres_databases())
    counts, rewrites = _life(url, batches, monkeypatch)
    # A few renames and removals: far below REWRITE_SHARE in the large tables (a small
    # one may have changed for the most part).
    assert {"cases", "persons", "budget_items", "payments", "journal_entries"}.isdisjoint(rewrites)
    assert sum(c["updated"] for c in counts.values()) > 0
    assert sum(c["deleted"] for c in counts.values()) > 0


@pytest.mark.parametrize(
    "statements",
    [
        [  # a rewrite would fire no row trigger
            "CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RETURN NEW; END $$",
            "CREATE TRIGGER audit_cases AFTER UPDATE ON cases FOR EACH ROW "
            "EXECUTE FUNCTION audit()",
        ],
        # TRUNCATE passes over row security policies
        ["ALTER TABLE payments ENABLE ROW LEVEL SECURITY"],
    ],
    ids=["trigger", "row-security"],
)
def test_tables_with_triggers_or_row_security_are_updated_row_by_row(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    statements: list[str],
) -> None:
    monkeypatch.setattr(load_module, "REWRITE_SHARE", 0.0)
    url = target(postgres_databases())
    engine = create_target_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()
    counts, rewrites = _life(url, batches, monkeypatch)
    assert rewrites == []
    assert sum(c["updated"] for c in counts.values()) > 0


KILLED = """
import sys, time
from pathlib import Path
from nffs_migration.loaders import load as load_module, load_package

load_module.REWRITE_SHARE = 0.0  # every table is written anew
rewritten = []
rewrite = load_module.PostgresStager._rewrite

def spy(self, name, *args):
    if name == "journal_entries":  # cases, persons, budgets ... are rewritten by now
        Path(sys.argv[3]).write_text(",".join(rewritten))
        time.sleep(600)
    result = rewrite(self, name, *args)
    rewritten.append(name)
    return result

load_module.PostgresStager._rewrite = spy

load_package(
    Path(sys.argv[1]), sys.argv[2], documents_store=Path(sys.argv[4]), validate=False,
)
"""


def _rows(url: str, query: str) -> list[tuple[Any, ...]]:
    engine = create_target_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(query))]
    finally:
        engine.dispose()


def _definitions(url: str) -> list[tuple[str, str]]:
    """The target's keys and indexes with their definitions."""
    rows = _rows(
        url,
        "select conname, pg_get_constraintdef(oid) from pg_constraint "
        "where contype in ('f', 'p') union all select indexname, indexdef "
        "from pg_indexes where schemaname = current_schema() order by 1",
    )
    return [(str(name), str(definition)) for name, definition in rows]


def _scratch(url: str) -> list[str]:
    """The loader's scratch tables left in the schema (none, after any load)."""
    rows = _rows(
        url,
        "select relname from pg_class where relname like 'nffs\\_scratch\\_%' "
        "and relnamespace = current_schema()::regnamespace",
    )
    return [str(name) for (name,) in rows]


def test_a_rewrite_killed_midway_leaves_the_target_as_it_was(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    url = target(postgres_databases())
    other, first, second = batches
    load(other, url)
    load(first, url)
    before, keys = _dump(url), _definitions(url)
    marker = tmp_path / "marker"
    kill_when_marked(
        [sys.executable, "-c", KILLED, str(second), url, str(marker), str(tmp_path / "docs")],
        marker,
    )
    assert "cases" in marker.read_text().split(",")  # truncated and written again
    assert _definitions(url) == keys
    assert _dump(url) == before  # truncated tables and all, rolled back
    assert _scratch(url)  # the tables staged ahead and committed, left by the killed load
    counts = load(second, url)
    assert sum(c["updated"] for c in counts.values()) > 0
    assert _scratch(url) == []  # dropped by the next large load


def _as_role(url: str, role: str) -> str:
    return sa.make_url(url).set(username=role).render_as_string(hide_password=False)


@contextmanager
def _loading_role(
    url: str, *, owner: bool = True, create: bool = True, limit: int = -1
) -> Iterator[str]:
    """A login role that loads into the target at `url`, dropped afterwards.

    `owner`: it owns the tables (else it is granted the rights to read and write them);
    `create`: it may create in the schema (PostgreSQL 15 grants that to no other user);
    `limit`: its connection limit (-1: none).
    """
    role = f"nffs_loader_{uuid.uuid4().hex[:8]}"
    engine = create_target_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT {limit}")
            connection.exec_driver_sql(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}")
            if create:
                connection.exec_driver_sql(f"GRANT CREATE ON SCHEMA public TO {role}")
            tables = connection.execute(
                sa.text("select tablename from pg_tables where schemaname = 'public'")
            ).scalars()
            for table in tables:
                if owner:
                    connection.exec_driver_sql(f'ALTER TABLE "{table}" OWNER TO {role}')
                else:
                    connection.exec_driver_sql(
                        f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON "{table}" TO {role}'
                    )
            connection.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        yield role
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql(f"DROP OWNED BY {role}")
            connection.exec_driver_sql(f"DROP ROLE {role}")
        engine.dispose()


@pytest.mark.parametrize("owner", [True, False], ids=["owner", "granted"])
def test_a_user_who_may_not_rebuild_the_keys_loads_row_by_row(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    owner: bool,
) -> None:
    """A large load drops and adds keys: it takes the tables' owner and CREATE on the schema.

    A user who owns the tables but may not create in the schema, or who was only granted
    the rights to read and write them, loads as a small package loads.
    """
    monkeypatch.setattr(load_module, "REWRITE_SHARE", 0.0)
    url = target(postgres_databases())
    large: list[bool] = []
    drop = load_module._Stager.drop_scratch

    def spy(self: load_module._Stager) -> None:
        large.append(self.large)
        drop(self)

    monkeypatch.setattr(load_module._Stager, "drop_scratch", spy)
    with _loading_role(url, owner=owner, create=False) as role:
        counts, rewrites = _life(_as_role(url, role), batches, monkeypatch)
    assert large == [False, False, False]
    assert rewrites == []
    assert sum(c["updated"] for c in counts.values()) > 0
    assert sum(c["deleted"] for c in counts.values()) > 0
    assert _scratch(url) == []


def _started(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each stagehand asked for was started (it had a connection of its own)."""
    started: list[bool] = []
    start = load_module._Stagehand.start.__func__  # type: ignore[attr-defined]

    def spy(cls: type, *args: Any) -> Any:
        stagehand = start(cls, *args)
        started.append(stagehand is not None)
        return stagehand

    monkeypatch.setattr(load_module._Stagehand, "start", classmethod(spy))
    return started


@pytest.mark.parametrize("without", ["read committed", "a second connection"])
def test_a_load_without_a_stagehand_stages_on_its_own(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    without: str,
) -> None:
    """A transaction that does not see what others commit meanwhile (repeatable read)
    cannot use the tables a stagehand commits, and a user allowed one connection has none
    to give it: such a load stages the tables itself, into unlogged tables of its own."""
    monkeypatch.setattr(load_module, "REWRITE_SHARE", 0.0)
    url = target(postgres_databases())
    started = _started(monkeypatch)
    if without == "read committed":
        engine = create_target_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{sa.make_url(url).database}" '
                "SET default_transaction_isolation = 'repeatable read'"
            )
        engine.dispose()
        counts, rewrites = _life(url, batches, monkeypatch)
        assert started == []  # not even asked for
    else:
        with _loading_role(url, limit=1) as role:
            counts, rewrites = _life(_as_role(url, role), batches, monkeypatch)
        assert started == [False]  # the second batch: asked for, refused by the server
    assert sorted(rewrites) == sorted(TABLES)  # a large load all the same
    assert sum(c["updated"] for c in counts.values()) > 0
    assert _scratch(url) == []


def test_a_load_leaves_another_users_leftover_scratch_tables_alone(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It may not drop them: it loads, and that user's next load drops them."""
    url = target(postgres_databases())
    other = "nffs_scratch_1_cases_0a1b2c3d"  # backend 1 is no PostgreSQL backend: gone
    with _loading_role(url) as someone, _loading_role(url) as role:
        engine = create_target_engine(url)
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE UNLOGGED TABLE {other} (id text)")
            connection.exec_driver_sql(f"ALTER TABLE {other} OWNER TO {someone}")
        engine.dispose()
        started = _started(monkeypatch)
        counts, _rewrites = _life(_as_role(url, role), batches, monkeypatch)
        assert started == [True]
        assert sum(c["updated"] for c in counts.values()) > 0
        assert _scratch(url) == [other]


def test_a_large_load_stages_ahead_into_unlogged_tables_that_it_drops(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(load_module, "REWRITE_SHARE", 0.0)
    url = target(postgres_databases())
    persistence: dict[str, str] = {}
    take = load_module._Stagehand.take

    def spy(self: load_module._Stagehand, name: str) -> int:
        rows = take(self, name)
        table = self.stager.tables[name].name
        persistence[name] = self.stager.connection.execute(
            sa.text("select relpersistence from pg_class where relname = :name"), {"name": table}
        ).scalar_one()
        assert rows == self.stager.scope_rows(name, *self.stager._scope_ids, staged=True)
        return rows

    monkeypatch.setattr(load_module._Stagehand, "take", spy)
    counts, _rewrites = _life(url, batches, monkeypatch)
    # Staged ahead on the stagehand's connection, committed, seen by the load's
    # transaction; unlogged tables, which PostgreSQL scans in parallel.
    assert sorted(persistence) == sorted(TABLES)
    assert set(persistence.values()) == {"u"}
    assert sum(c["updated"] for c in counts.values()) > 0
    assert _scratch(url) == []


@pytest.mark.parametrize("where", ["stagehand", "load"])
def test_a_load_that_fails_while_staging_ahead_leaves_the_target_and_no_scratch(
    batches: tuple[Path, Path, Path],
    postgres_databases: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    url = target(postgres_databases())
    other, first, second = batches
    load(other, url)
    load(first, url)
    before = _dump(url)
    if where == "stagehand":
        copy = load_module._copy_rows

        def failing(connection: sa.Connection, table: str, encoded: Any) -> None:
            if "_payments_" in table:
                raise LoadError("the COPY failed")
            copy(connection, table, encoded)

        monkeypatch.setattr(load_module, "_copy_rows", failing)
    else:
        upsert = PostgresStager.upsert

        def failing_upsert(self: PostgresStager, name: str, *args: Any) -> Any:
            if name == "cases":  # the stagehand is staging the tables after it
                raise LoadError("the upsert failed")
            return upsert(self, name, *args)

        monkeypatch.setattr(PostgresStager, "upsert", failing_upsert)
    with pytest.raises(LoadError, match="failed"):
        load(second, url)
    assert _dump(url) == before
    assert _scratch(url) == []
