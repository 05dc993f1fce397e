"""Loading a validated package into the target, exactly once, all or nothing.

`load_package` refuses a package that is damaged or of an unknown format version (the
reader checks every checksum), or whose validation report (stored in the package for
its content) has errors or is missing: validation is a stage of its own, which
`nffs-migrate load` and the flow run first. A package whose content is already
loaded is not loaded again. Everything else happens in one transaction:

1. every table, parents first, is copied into a staging table (PostgreSQL: `COPY` fed by
   Arrow's CSV writer; SQLite: `executemany` in large batches);
2. set-based statements move the staged rows into the target on their stable ids: a
   changed row is updated, a new one inserted, a row the target holds unchanged is left
   as it is (a later full batch rewrites only what changed), never duplicating one
   (a full package whose service and source system have no rows in the target yet is
   copied straight into the target tables: every row is new; a large full package on
   PostgreSQL writes a table whose scope holds rows anew, see `PostgresStager._rewrite`);
3. what left the source leaves the target, so that the scope converges on what a fresh
   full extraction would load: a full package removes the scope's rows it no longer
   holds; a delta with key sets removes the scope's rows its key sets do not list; a
   delta of whole subtrees (`deletions: children`) removes the rows of a delivered parent
   that it did not deliver. Then, table by table, parents first, a row whose required
   reference no longer resolves is removed with its parent, and an optional reference
   to a removed row becomes null (what a full extraction makes of a dangling reference);
4. the load log records the package, its checksum, the counts, the outcome and its place
   in the scope's chain; a final batch records the scope's cutover (`chain.py`).

Meanwhile a thread stores the package's documents (`documents.py`), hashing each once as
it is copied: they are durable before the transaction commits, and a document that fails
its checksum rolls it back. Another thread reads and encodes the next batches of rows
while the database takes the current one (`_ahead`). On a large PostgreSQL load, a second
connection stages the next tables while the transaction moves the one before
(`_Stagehand`).

Before anything is written, the scope's chain is checked (`chain.guard`): batches load in
order, a delta needs a full batch before it, the final batch must be fresh, and a scope
that is cut over takes no more loads until it is reopened. Foreign keys are checked at
commit. A crash at any point leaves the target as it was: the transaction is rolled
back, and the next `load` starts again.
"""

from __future__ import annotations

import io
import json
import os
import threading
import uuid
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Full, Queue
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from nffs_migration.errors import DataErrors, LoadError, TargetUnavailable
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.intermediate_format.reader import Package, open_package, stored_report
from nffs_migration.loaders.chain import DEFAULT_MAX_AGE, cut_over, guard, log_values
from nffs_migration.loaders.documents import DocumentStore, default_store, sync
from nffs_migration.loaders.schema import (
    LOAD_LOG_TABLE,
    METADATA,
    PACKAGE_COLUMN,
    check_target,
    create_target_engine,
)
from nffs_migration.log import get_logger

log = get_logger(__name__)

BATCH_ROWS = 100_000
T = TypeVar("T")
#: progress(table, rows loaded so far in this table)
Progress = Callable[[str, int], None]


@dataclass
class LoadResult:
    """What a load did."""

    package_id: str
    already_loaded: bool = False
    rows: dict[str, dict[str, int]] = field(default_factory=dict)
    documents_new: int = 0
    seconds: float = 0.0
    #: `service_id/source_system` when this final batch cut the scope over.
    cut_over: str | None = None


def _validated(path: Path) -> None:
    """Refuse a package whose stored validation report has errors, or that has none.

    The loader reads the report validation left in the package (`reports/validation.json`
    for the package's content); it never validates itself: the stages talk through the
    package. `nffs-migrate load` and the flow validate first.
    """
    # The checksums are verified once, by the load's own opening of the package, before
    # anything is written: the report counts only for the content the manifest names.
    with open_package(path, verify_checksums=False) as package:
        report = stored_report(package)
    if report is None:
        raise DataErrors(
            f"{path.name} has no validation report for its content; it is not loaded "
            f"(validate it first: nffs-migrate validate {path})"
        )
    if not report.valid:
        raise DataErrors(
            f"{path.name} has {report.summary['errors']:,} validation errors; it is not loaded "
            "(see reports/validation.html)"
        )


def _already_loaded(connection: sa.Connection, manifest: Manifest) -> bool:
    log_table = METADATA.tables[LOAD_LOG_TABLE]
    row = connection.execute(
        sa.select(sa.func.count())
        .select_from(log_table)
        .where(
            log_table.c.content_sha256 == manifest.content_sha256, log_table.c.outcome == "loaded"
        )
    ).scalar_one()
    return bool(row)


def _log(
    engine: sa.Engine,
    manifest: Manifest,
    started: datetime,
    outcome: str,
    message: str,
    rows: dict[str, Any] | None = None,
) -> None:
    log_table = METADATA.tables[LOAD_LOG_TABLE]
    with engine.begin() as connection:
        connection.execute(
            sa.insert(log_table).values(**_log_values(manifest, started, outcome, message, rows))
        )


def _log_values(
    manifest: Manifest, started: datetime, outcome: str, message: str, rows: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "package_id": manifest.package_id,
        "content_sha256": manifest.content_sha256,
        "service_id": manifest.service_id,
        "source_system": manifest.source_system,
        "batch_kind": manifest.batch.kind,
        "batch_sequence": manifest.batch.sequence,
        "started_at": started,
        "finished_at": datetime.now(UTC),
        "outcome": outcome,
        "rows": json.dumps(rows or {}, sort_keys=True),
        "message": message,
    }


def _documents(package: Package) -> list[tuple[Path, str]]:
    """The package's documents to store: (file, SHA-256 of its row), checked, not hashed.

    The package was opened without hashing its documents (`hash_documents=False`): the
    store hashes each once, as it copies it, and refuses a copy whose SHA-256 is not its
    row's. That checksum must be the manifest's for the file, so that what is stored is
    what the package's manifest (and its seal) names; this is checked here, before
    anything is written.
    """
    documents = package.table("documents").select(["document_id", "file", "sha256"])
    files = documents.column("file").to_pylist()
    checksums = documents.column("sha256").to_pylist()
    listed = package.manifest.files
    for row, (file, sha256) in enumerate(zip(files, checksums, strict=True)):
        entry = listed.get(file)
        if entry is None or entry.sha256 != sha256:
            # Named by its record key: a file name may carry a client's name.
            raise LoadError(
                f"{package.name}: document {documents.column('document_id')[row].as_py()} "
                "does not match its checksum in the manifest; nothing was loaded"
            )
    # Every path is checked before anything is copied.
    return [(package.document_path(f), sha256) for f, sha256 in zip(files, checksums, strict=True)]


def _store_documents(items: list[tuple[Path, str]], store: DocumentStore) -> int:
    """Store documents on a few threads; returns how many the store did not hold yet."""
    new = store.put_many(items)
    if new:
        sync(store.root)  # documents are durable before the rows that name them commit
    return new


def load_package(
    path: Path,
    target_url: str,
    *,
    documents_store: Path | None = None,
    progress: Progress | None = None,
    validate: bool = True,
    require_signer: Path | None = None,
    max_age: timedelta | None = DEFAULT_MAX_AGE,
    by: str | None = None,
) -> LoadResult:
    """Load a package into the target (see the module docstring for the guarantees).

    With `require_signer`, a package is loaded only when its seal (`PKG.seal.json`) is a
    valid signature by that key over its manifest (docs/sealing.md). `max_age` is the
    freshness limit of a final batch (None: no limit); `by` names who cuts over (default:
    the user running the load).
    """
    import time

    clock = time.perf_counter()
    if require_signer is not None:
        from nffs_migration.transit.sealing import require_signature

        require_signature(path, require_signer)
    if validate:
        _validated(path)
    engine = create_target_engine(target_url)
    try:
        check_target(engine)
        # Documents are hashed once, as they are stored (`_documents`).
        with open_package(path, hash_documents=False) as package:
            manifest = package.manifest
            with engine.connect() as connection:
                if _already_loaded(connection, manifest):
                    log.info("package %s is already loaded", manifest.package_id)
                    return LoadResult(manifest.package_id, already_loaded=True)
                guard(connection, manifest, max_age=max_age)
            store = DocumentStore(documents_store or default_store(target_url))
            items = _documents(package)
            started = datetime.now(UTC)
            # The documents are stored while the rows load (on the database's side, most
            # of it) and are durable before the transaction commits; a document that
            # fails its checksum rolls the rows back.
            documents = ThreadPoolExecutor(max_workers=1, thread_name_prefix="documents")
            stored = documents.submit(_store_documents, items, store)
            try:
                rows = _load_tables(
                    engine, package, progress, max_age=max_age, by=by, before_commit=stored.result
                )
                new_documents = stored.result()
            except sa.exc.OperationalError as exc:
                _log(
                    engine,
                    manifest,
                    started,
                    "failed",
                    f"connection lost ({type(exc.orig).__name__})",
                )
                raise TargetUnavailable(
                    f"loading {manifest.package_id} failed: the target was lost "
                    f"({type(exc.orig).__name__})"
                ) from None
            except sa.exc.IntegrityError as exc:
                table = _constraint_table(str(exc.orig))
                if "unique" in str(exc.orig).lower() or "duplicate key" in str(exc.orig).lower():
                    message = (
                        f"an id of {table or 'a table'} is already in the target "
                        "for another service or source system"
                    )
                else:
                    message = f"a reference in {table or 'a table'} does not resolve in the target"
                _log(engine, manifest, started, "failed", message)
                raise LoadError(
                    f"loading {manifest.package_id} failed: {message}; nothing was loaded"
                ) from None
            except sa.exc.ProgrammingError as exc:
                denied = _denied(exc)
                if denied is None:
                    raise
                with suppress(sa.exc.DBAPIError):  # the log may be what is denied
                    _log(engine, manifest, started, "failed", denied)
                raise LoadError(
                    f"loading {manifest.package_id} failed: {denied}; nothing was loaded"
                ) from None
            finally:
                documents.shutdown(wait=True)
            return LoadResult(
                manifest.package_id,
                rows=rows,
                documents_new=new_documents,
                seconds=time.perf_counter() - clock,
                cut_over=(
                    f"{manifest.service_id}/{manifest.source_system}"
                    if manifest.batch.final
                    else None
                ),
            )
    except sa.exc.ProgrammingError as exc:  # before the load started (its checks)
        denied = _denied(exc)
        if denied is None:
            raise
        raise LoadError(f"loading {Path(path).name} failed: {denied}; nothing was loaded") from None
    finally:
        engine.dispose()


#: SQLSTATE of a statement the user has no right to run (PostgreSQL).
INSUFFICIENT_PRIVILEGE = "42501"


def _denied(exc: sa.exc.DBAPIError) -> str | None:
    """What the loading user may not do, where a statement failed for a missing right."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if state != INSUFFICIENT_PRIVILEGE:
        return None
    # PostgreSQL names the right and the table or schema, never a value.
    denied = (str(orig).strip().splitlines() or ["permission denied"])[0]
    return f"the loading user lacks a right on the target ({denied})"


def _constraint_table(message: str) -> str | None:
    for name in TABLES:
        if f'"{name}"' in message or f" {name} " in message or f"table {name}" in message:
            return name
        if f'"{name}_pkey"' in message or f" {name}." in message:  # PostgreSQL, SQLite
            return name
    return None


def _load_tables(
    engine: sa.Engine,
    package: Package,
    progress: Progress | None,
    *,
    max_age: timedelta | None,
    by: str | None,
    before_commit: Callable[[], object] | None = None,
) -> dict[str, dict[str, int]]:
    manifest = package.manifest
    scope = (manifest.service_id, manifest.source_system)
    started = datetime.now(UTC)
    stagehand: _Stagehand | None = None
    try:
        with engine.begin() as connection:
            guard(connection, manifest, max_age=max_age)  # again, inside the transaction
            stager = (
                PostgresStager(connection)
                if connection.dialect.name == "postgresql"
                else SqliteStager(connection)
            )
            relations = _SetwiseForeignKeys.when_worth_it(connection, manifest)
            if relations is not None:
                relations.drop()
                stager.large = True
            full = manifest.batch.kind == "full"
            # A full package removes the rows of its scope that it no longer holds; where the
            # scope held nothing before (a first load), there is nothing to remove.
            held = {name: full and stager.scope_has_rows(name, *scope) for name in TABLES}
            # Where the scope holds nothing yet (a first full load), every row is new: the
            # rows go straight into the target, with no staging table and no upsert.
            direct = {name: full and not held[name] for name in TABLES}
            for name in TABLES:
                if direct[name]:
                    stager.use_target(name, manifest.package_id)
            if isinstance(stager, PostgresStager):
                stager.plan_rewrites(manifest, held)
                staging = [name for name in TABLES if not direct[name]]
                if stager.large and staging and _read_committed(connection):
                    stagehand = _Stagehand.start(
                        engine, stager, package, staging, _serialised(progress)
                    )
                    if stagehand is not None:
                        progress = stagehand.progress
            counts = _stage_tables(stager, package, direct, progress, stagehand)
            if full:
                for name in reversed(list(TABLES)):
                    if name in stager.rewritten_deleted:
                        counts[name]["deleted"] = stager.rewritten_deleted[name]
                        continue
                    # Every staged row of the scope is now the target's: where the scope holds
                    # no more rows than that, none is missing from the package (two counts
                    # instead of a join of the whole scope).
                    if held[name] and stager.scope_rows(name, *scope) > stager.scope_rows(
                        name, *scope, staged=True
                    ):
                        counts[name]["deleted"] = stager.delete_missing(name, *scope)
            else:
                _converge(stager, package, counts)
            stager.drop_scratch()
            if relations is not None:
                relations.restore()
            log_table = METADATA.tables[LOAD_LOG_TABLE]
            connection.execute(
                sa.insert(log_table).values(
                    **_log_values(manifest, started, "loaded", "", counts), **log_values(manifest)
                )
            )
            if manifest.batch.final:
                cut_over(connection, manifest, by)
            if before_commit is not None:
                before_commit()  # raising here rolls the transaction back
        return counts
    finally:
        if stagehand is not None:
            stagehand.close()


#: A package of at least this many rows (`NFFS_SETWISE_ROWS` overrides it), and this share
#: of the target's rows, has its foreign keys checked set-wise (PostgreSQL).
SETWISE_ROWS = 100_000
SETWISE_SHARE = 0.05
#: A large full batch writes a table anew where at least this share of its rows changed,
#: came or went (`PostgresStager._rewrite`); below it, updating them costs less.
REWRITE_SHARE = 0.5
#: PostgreSQL memory for a large load's joins and index builds (per operation).
WORK_MEM = "256MB"
MAINTENANCE_MEM = "512MB"


def _setwise_rows() -> int:
    value = os.environ.get("NFFS_SETWISE_ROWS")
    return int(value) if value and value.isdigit() else SETWISE_ROWS


class _SetwiseForeignKeys:
    """PostgreSQL: a large load's foreign keys checked once per relation, not once per row.

    A deferred foreign key queues a trigger event per inserted row and checks each at
    commit, and every index is maintained row by row. For a large package the loader
    instead, inside its transaction, locks the target's tables, drops their foreign keys,
    secondary indexes and primary keys, loads (its joins are hash joins over whole
    tables, which need no index), adds the primary keys and builds the indexes again (one
    sort each, which also checks that ids are unique) and adds the foreign keys again:
    adding a foreign key checks every row of the table in one query (an anti-join). The
    keys are the same before and after, a row that does not resolve or an id held twice
    fails the load exactly as at commit, and a crash rolls everything back, the dropped
    keys included. Other loads into the same target wait for the lock meanwhile.
    """

    def __init__(
        self,
        connection: sa.Connection,
        keys: list[tuple[str, str, str]],
        indexes: list[tuple[str, str]],
        primary: list[tuple[str, str, str]] | None = None,
    ) -> None:
        self.connection = connection
        self.keys = keys
        self.indexes = indexes
        self.primary = primary or []

    @classmethod
    def when_worth_it(
        cls, connection: sa.Connection, manifest: Manifest
    ) -> _SetwiseForeignKeys | None:
        """The target's foreign keys, when the package is large enough to gain."""
        if connection.dialect.name != "postgresql":
            return None
        rows = sum(entry.rows for entry in manifest.tables.values())
        least = _setwise_rows()
        if rows < least:
            return None
        names = list(TABLES)
        # Dropping and adding keys takes the tables' owner (or a member of its role) and
        # the right to create in the schema (an index is created there): a user who loads
        # without them loads row by row, as a small package does.
        allowed = connection.execute(
            sa.text(
                "SELECT coalesce(has_schema_privilege(current_schema(), 'CREATE'), false) "
                "AND coalesce(bool_and(pg_has_role(relowner, 'USAGE')), false) FROM pg_class "
                "WHERE relkind = 'r' AND relname = ANY(:names) "
                "AND relnamespace = current_schema()::regnamespace"
            ),
            {"names": names},
        ).scalar_one()
        if not allowed:
            return None
        held = connection.execute(
            sa.text(
                "SELECT coalesce(sum(greatest(reltuples, 0)), 0) FROM pg_class "
                "WHERE relkind = 'r' AND relname = ANY(:names) "
                "AND relnamespace = current_schema()::regnamespace"
            ),
            {"names": names},
        ).scalar_one()
        if least and rows < SETWISE_SHARE * float(held):
            return None
        constraints = connection.execute(
            sa.text(
                "SELECT c.contype, c.conrelid::regclass::text, c.conname, "
                "pg_get_constraintdef(c.oid) "
                "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
                "WHERE c.contype IN ('f', 'p') AND t.relname = ANY(:names) "
                "AND t.relnamespace = current_schema()::regnamespace ORDER BY 1, 2, 3"
            ),
            {"names": names},
        ).all()
        # The secondary indexes (foreign keys, service): built again after the rows are in,
        # one sort each, instead of maintained row by row. Primary keys stay.
        indexes = connection.execute(
            sa.text(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
                "WHERE t.relname = ANY(:names) AND NOT x.indisprimary AND NOT x.indisunique "
                "AND t.relnamespace = current_schema()::regnamespace ORDER BY 1"
            ),
            {"names": names},
        ).all()
        return cls(
            connection,
            [(str(t), str(n), str(d)) for kind, t, n, d in constraints if kind == "f"],
            [(str(n), str(d)) for n, d in indexes],
            # Primary keys added again parents first, so an id held twice is found where
            # a row-by-row load would have found it.
            sorted(
                ((str(t), str(n), str(d)) for kind, t, n, d in constraints if kind == "p"),
                key=lambda entry: list(TABLES).index(entry[0]) if entry[0] in TABLES else 0,
            ),
        )

    def drop(self) -> None:
        """Lock the tables (in the format's order) and drop their foreign keys."""
        preparer = self.connection.dialect.identifier_preparer
        listed = ", ".join(preparer.quote(name) for name in TABLES)
        # DDL takes no parameters; every name is the format's or the catalogue's own.
        self.connection.exec_driver_sql(f"LOCK TABLE {listed} IN SHARE ROW EXCLUSIVE MODE")
        # Memory for this transaction's joins and index builds (the defaults spill a
        # million-row hash join to disk): released at its end.
        self.connection.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
        self.connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_MEM}'")
        for table, name, _definition in self.keys:
            self.connection.exec_driver_sql(
                f"ALTER TABLE {table} DROP CONSTRAINT {preparer.quote(name)}"
            )
        for name, _definition in self.indexes:
            self.connection.exec_driver_sql(f"DROP INDEX {preparer.quote(name)}")
        for table, name, _definition in self.primary:
            self.connection.exec_driver_sql(
                f"ALTER TABLE {table} DROP CONSTRAINT {preparer.quote(name)}"
            )

    def restore(self) -> None:
        """Add the primary keys and build the indexes again, then add every foreign key."""
        preparer = self.connection.dialect.identifier_preparer
        # A primary key added again checks that the ids are unique (one sort per table): an
        # id another scope holds fails the load here, as it would have on insert.
        for table, name, definition in self.primary:
            self.connection.exec_driver_sql(
                f"ALTER TABLE {table} ADD CONSTRAINT {preparer.quote(name)} {definition}"
            )
        for _name, definition in self.indexes:
            self.connection.exec_driver_sql(definition)
        for table, name, definition in self.keys:
            self.connection.exec_driver_sql(
                f"ALTER TABLE {table} ADD CONSTRAINT {preparer.quote(name)} {definition}"
            )


def _stage_tables(
    stager: _Stager,
    package: Package,
    direct: dict[str, bool],
    progress: Progress | None,
    stagehand: _Stagehand | None = None,
) -> dict[str, dict[str, int]]:
    """Stage every table, parents first, and move it into the target; the counts per table.

    The next batches are read and encoded on a thread while this one is written. With a
    `stagehand`, the tables that are not written straight into the target are staged by
    it, on its own connection, while the table before is moved.
    """
    package_id = package.manifest.package_id
    counts: dict[str, dict[str, int]] = {}
    batches = (
        (name, batch.num_rows, stager.encode(name, batch))
        for name in TABLES
        if stagehand is None or direct[name]
        for batch in package.iter_batches(name, BATCH_ROWS)
    )
    with closing(_ahead(batches)) as encoded:
        pending = next(encoded, None)
        for name in TABLES:
            staged = 0
            if stagehand is not None and not direct[name]:
                staged = stagehand.take(name)
            elif not direct[name]:
                stager.create(name)
            while pending is not None and pending[0] == name:
                stager.write(name, pending[2])
                staged += pending[1]
                if progress is not None:
                    progress(name, staged)
                pending = next(encoded, None)
            inserted, updated, unchanged = (
                (staged, 0, 0) if direct[name] else stager.upsert(name, package_id, staged)
            )
            counts[name] = {
                "rows": staged,
                "inserted": inserted,
                "updated": updated,
                "unchanged": unchanged,
                "deleted": 0,
            }
    return counts


#: Scratch tables that a `_Stagehand` commits: `nffs_scratch_<backend pid>_<table>_<random>`.
SCRATCH_PREFIX = "nffs_scratch_"


class _Stagehand:
    """PostgreSQL, large loads: the next table staged on a second connection meanwhile.

    A backend runs one statement at a time, on one core. While the load's transaction
    moves a staged table into the target (its joins, its inserts), a second connection
    copies the next table of the package into an unlogged scratch table of its own,
    analyses it and commits it, so that the load's transaction (read committed) sees it
    at its next statement; the target's tables are the load's alone, locked from its
    start. Scratch tables are named after the stagehand's backend, are dropped when the
    load ends, committed or rolled back, and those of a load that was killed (its backend
    gone) are dropped by the same user's next large load before it stages. Until then
    they hold the package's rows, as the target itself will once that load succeeds. A
    load that gets no second connection stages on its own (`start`).
    """

    def __init__(
        self,
        engine: sa.Engine,
        connection: sa.Connection,
        stager: PostgresStager,
        package: Package,
        names: list[str],
        progress: Progress | None,
    ) -> None:
        self.engine = engine
        self.stager = stager
        self.package = package
        self.names = names
        self.progress = progress
        #: Each staged table in order, or the error that stopped the staging.
        self.staged: Queue[tuple[bool, Any]] = Queue()
        self.stop = threading.Event()
        #: The scratch tables created (committed or not), to drop at the end.
        self.made: list[str] = []
        self.thread = threading.Thread(
            target=self._run, args=(connection,), name="stagehand", daemon=True
        )
        self.thread.start()

    @classmethod
    def start(
        cls,
        engine: sa.Engine,
        stager: PostgresStager,
        package: Package,
        names: list[str],
        progress: Progress | None,
    ) -> _Stagehand | None:
        """A stagehand on a connection of its own; None where none can be had.

        A target that allows the loading user one connection (a role's `CONNECTION
        LIMIT`, a full server) is loaded on the load's own connection, as before.
        """
        try:
            connection = engine.connect()
        except sa.exc.OperationalError as exc:
            log.info(
                "tables staged on the load's own connection: no second connection (%s)",
                type(exc.orig).__name__,
            )
            return None
        return cls(engine, connection, stager, package, names, progress)

    def take(self, name: str) -> int:
        """Wait for a table to be staged; make it the stager's; the rows staged."""
        ok, item = self.staged.get()
        if not ok:
            raise item
        staged_name, table, rows = item
        if staged_name != name:  # pragma: no cover - the order is the format's, both sides
            raise LoadError(f"staged {staged_name} where {name} was expected")
        self.stager.tables[name] = table
        self.stager.analysed.add(name)
        return int(rows)

    def _run(self, connection: sa.Connection) -> None:
        try:
            with connection:
                pid = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
                _drop_leftover_scratch(connection)
                connection.commit()
                for name in self.names:
                    if self.stop.is_set():
                        return
                    table, rows = self._stage(name, connection, pid)
                    self.staged.put((True, (name, table, rows)))
        except BaseException as exc:  # noqa: BLE001 - handed to the load, raised there
            self.staged.put((False, exc))

    def _stage(self, name: str, connection: sa.Connection, pid: int) -> tuple[sa.Table, int]:
        table = sa.Table(
            f"{SCRATCH_PREFIX}{pid}_{name}_{uuid.uuid4().hex[:8]}",
            sa.MetaData(),
            *self.stager.stage_columns(name),
            prefixes=["UNLOGGED"],
        )
        self.made.append(table.name)
        rows = 0
        batches = (
            (batch.num_rows, self.stager.encode(name, batch))
            for batch in self.package.iter_batches(name, BATCH_ROWS)
        )
        with connection.begin(), closing(_ahead(batches)) as encoded:
            table.create(connection)
            for count, data in encoded:
                if self.stop.is_set():
                    raise LoadError("staging stopped: the load ended")
                _copy_rows(connection, table.name, data)
                rows += count
                if self.progress is not None:
                    self.progress(name, rows)
            preparer = connection.dialect.identifier_preparer
            connection.exec_driver_sql(f"ANALYZE {preparer.quote(table.name)}")
        return table, rows

    def close(self) -> None:
        """Stop staging and drop the scratch tables (once the load's transaction ended)."""
        self.stop.set()
        self.thread.join()
        if not self.made:
            return
        preparer = self.engine.dialect.identifier_preparer
        try:
            with self.engine.connect() as connection:
                for name in self.made:
                    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {preparer.quote(name)}")
                connection.commit()
        except sa.exc.DBAPIError as exc:
            # The load's own error (a lost target, most likely) is the one to raise; the
            # next large load drops what is left.
            log.warning(
                "scratch tables left for the next load to drop (%s)", type(exc.orig).__name__
            )


def leftover_scratch(connection: sa.Connection, *, own: bool = False) -> list[str]:
    """The scratch tables of stagehands whose backend is gone (a killed load; PostgreSQL).

    With `own`, only those the current user may drop (it owns them, or its role does).
    """
    pattern = f"^{SCRATCH_PREFIX}([0-9]+)_"
    names = connection.execute(
        sa.text(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname ~ :pattern "
            "AND relnamespace = current_schema()::regnamespace AND NOT EXISTS ("
            "SELECT FROM pg_stat_activity a "
            "WHERE a.pid = substring(relname from :pattern)::int) "
            "AND (NOT :own OR pg_has_role(relowner, 'USAGE')) ORDER BY 1"
        ),
        {"pattern": pattern, "own": own},
    ).scalars()
    return [str(name) for name in names]


def _drop_leftover_scratch(connection: sa.Connection) -> None:
    """Drop the scratch tables of stagehands whose backend is gone (a killed load).

    Another user's are left to that user's next load (and `doctor` counts them).
    """
    preparer = connection.dialect.identifier_preparer
    for name in leftover_scratch(connection, own=True):
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {preparer.quote(name)}")


def _read_committed(connection: sa.Connection) -> bool:
    """Whether each statement of the transaction sees what others committed before it."""
    level = connection.exec_driver_sql("SHOW transaction_isolation").scalar_one()
    return str(level) == "read committed"


def _serialised(progress: Progress | None) -> Progress | None:
    """A progress callback that two threads may call (the load's and its stagehand's)."""
    if progress is None:
        return None
    lock = threading.Lock()

    def report(table: str, rows: int) -> None:
        with lock:
            progress(table, rows)

    return report


def _ahead(items: Iterator[T], depth: int = 2) -> Generator[T, None, None]:
    """`items`, produced on a thread at most `depth` items ahead of the consumer.

    Reading Parquet and encoding a batch (Arrow, which releases the GIL) overlap the
    database's work on the batch before. An error of the producer is raised to the
    consumer; a consumer that stops early (an error of its own) stops the producer.
    """
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def put(item: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
            except Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((True, item)):
                    return
            put((True, end))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            put((False, exc))

    thread = threading.Thread(target=produce, name="encode", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = queue.get()
            if not ok:
                raise item
            if item is end:
                return
            yield item
    finally:
        stop.set()
        thread.join()


def _converge(stager: _Stager, package: Package, counts: dict[str, dict[str, int]]) -> None:
    """Remove what left the source, then mend references to removed rows (parents first)."""
    manifest = package.manifest
    scope = (manifest.service_id, manifest.source_system)
    batch = manifest.batch
    for name in TABLES:
        removed = 0
        if batch.deletions == "key_sets":
            ids = package.key_set(name)
            if ids is None:
                raise LoadError(
                    f"{manifest.package_id}: a delta with key sets lacks keys/{name}.parquet"
                )
            stager.stage_keys(name, ids)
            removed += stager.delete_not_listed(name, *scope)
        elif batch.deletions == "children" and name in batch.replaces:
            removed += stager.delete_replaced(name, batch.replaces[name], *scope)
        gone, nulled = stager.mend_references(name, manifest.package_id, *scope)
        counts[name]["deleted"] = removed + gone
        counts[name]["updated"] += nulled


def _columns(name: str) -> list[str]:
    return list(TABLES[name].column_names)


class _Stager:
    """Staging tables and set-based statements (SQLAlchemy Core, both databases)."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.metadata = sa.MetaData()
        #: Where each table's rows are written: its staging table, or the target table.
        self.tables: dict[str, sa.Table] = {}
        #: The package id written with each row, for tables written straight to the target.
        self.package_ids: dict[str, str] = {}
        #: A delta's key sets, staged.
        self.keys: dict[str, sa.Table] = {}
        #: A large load (`_SetwiseForeignKeys`): staging tables without a key, joined whole.
        self.large = False
        #: Rows of the scope that a table written anew no longer holds (PostgreSQL).
        self.rewritten_deleted: dict[str, int] = {}
        #: Staging tables that are unlogged tables of the schema (`_temporary`): dropped by
        #: `drop_scratch` before the commit, and with everything else on a rollback.
        self.scratch: list[sa.Table] = []

    def use_target(self, name: str, package_id: str) -> None:
        """Write this table's rows straight into the target table, with the package id."""
        self.tables[name] = METADATA.tables[name]
        self.package_ids[name] = package_id

    def columns(self, name: str, batch: pa.Table) -> tuple[list[str], pa.Table]:
        """The columns to write and the batch to write them from."""
        columns = _columns(name)
        package_id = self.package_ids.get(name)
        if package_id is None:
            return columns, batch.select(columns)
        ids = pa.array([package_id] * batch.num_rows, pa.string())
        return [*columns, PACKAGE_COLUMN], batch.select(columns).append_column(PACKAGE_COLUMN, ids)

    def _temporary(self, name: str, *columns: sa.Column[Any]) -> sa.Table:
        """A table of this transaction only.

        Temporary (dropped at its end on PostgreSQL), or on a large PostgreSQL load an
        unlogged scratch table of the schema (`PostgresStager._unlogged`).
        """
        if self._unlogged():
            # A scratch table of the schema, named apart from any other load's: created in
            # this transaction, it is seen by no other session, and a rollback removes it.
            table = sa.Table(
                f"nffs_scratch_{name}_{uuid.uuid4().hex[:12]}",
                self.metadata,
                *columns,
                prefixes=["UNLOGGED"],
            )
            table.create(self.connection)
            self.scratch.append(table)
            return table
        options: dict[str, Any] = (
            {"postgresql_on_commit": "DROP"} if self.connection.dialect.name == "postgresql" else {}
        )
        table = sa.Table(name, self.metadata, *columns, prefixes=["TEMPORARY"], **options)
        table.drop(self.connection, checkfirst=True)
        table.create(self.connection)
        return table

    def _unlogged(self) -> bool:
        """Whether staging tables are unlogged tables of the schema (`PostgresStager`)."""
        return False

    def drop_scratch(self) -> None:
        """Drop the scratch tables (before the commit: they hold the package's rows)."""
        while self.scratch:
            self.scratch.pop().drop(self.connection)

    def create(self, name: str) -> None:
        """A temporary staging table with the target table's columns."""
        self.tables[name] = self._temporary(f"stage_{name}", *self.stage_columns(name))

    def stage_columns(self, name: str) -> list[sa.Column[Any]]:
        """The columns of a staging table: the target table's, without the package id."""
        # A large load joins its staging tables whole (hash joins): a key would only cost
        # its upkeep. Validation has refused a package with an id twice.
        return [
            sa.Column(
                c.name, c.type, primary_key=not self.large and c.name == TABLES[name].primary_key
            )
            for c in METADATA.tables[name].columns
            if c.name != PACKAGE_COLUMN
        ]

    def encode(self, name: str, batch: pa.Table) -> Any:
        """A batch in the form `write` sends; safe to run on another thread."""
        raise NotImplementedError

    def write(self, name: str, encoded: Any) -> None:
        """Send an encoded batch to the database (on the connection's thread)."""
        raise NotImplementedError

    def upsert(self, name: str, package_id: str, staged: int) -> tuple[int, int, int]:
        """Move the `staged` rows into the target: (inserted, updated, unchanged).

        A row whose values the target holds already is left as it is (it keeps the id of
        the package that last changed it); a changed row is updated, a new one inserted.
        """
        target = METADATA.tables[name]
        stage = self.tables[name]
        key = TABLES[name].primary_key
        columns = _columns(name)
        present = sa.exists().where(target.c[key] == stage.c[key])
        values = [c for c in columns if c != key]
        changed = sa.or_(*(target.c[c].is_distinct_from(stage.c[c]) for c in values))
        update = (
            sa.update(target)
            .where(target.c[key] == stage.c[key], changed)
            .values({**{c: stage.c[c] for c in values}, PACKAGE_COLUMN: package_id})
        )
        updated = int(self.connection.execute(update).rowcount or 0)
        new = sa.select(*(stage.c[c] for c in columns), sa.literal(package_id)).where(~present)
        insert = sa.insert(target).from_select([*columns, PACKAGE_COLUMN], new)
        inserted = self.connection.execute(insert.execution_options(preserve_rowcount=True))
        inserted_rows = int(inserted.rowcount)
        return inserted_rows, updated, staged - inserted_rows - updated

    def scope_has_rows(self, name: str, service_id: str, source_system: str) -> bool:
        """Whether the target holds any row of this service and source system."""
        target = METADATA.tables[name]
        scope = sa.exists().where(
            target.c.service_id == service_id, target.c.source_system == source_system
        )
        return bool(self.connection.execute(sa.select(scope)).scalar())

    def scope_rows(
        self, name: str, service_id: str, source_system: str, *, staged: bool = False
    ) -> int:
        """How many rows of this service and source system the target (or stage) holds."""
        table = self.tables[name] if staged else METADATA.tables[name]
        count = sa.select(sa.func.count()).where(self._scope(table, service_id, source_system))
        return int(self.connection.execute(count).scalar_one())

    def stage_keys(self, name: str, ids: pa.Array) -> None:
        """A temporary table `keys_<name>` with a delta's key set of a table."""
        keys = self._temporary(f"keys_{name}", sa.Column("id", sa.String(200), primary_key=True))
        self.keys[name] = keys
        for start in range(0, len(ids), BATCH_ROWS):
            self.stage_ids(keys, ids.slice(start, BATCH_ROWS))

    def stage_ids(self, keys: sa.Table, ids: pa.Array) -> None:
        """Write ids into a key table."""
        raise NotImplementedError

    def _scope(self, target: sa.Table, service_id: str, source_system: str) -> Any:
        return (target.c.service_id == service_id) & (target.c.source_system == source_system)

    def delete_not_listed(self, name: str, service_id: str, source_system: str) -> int:
        """Remove the scope's rows that the delta's key set of the table does not list."""
        target = METADATA.tables[name]
        keys = self.keys[name]
        key = TABLES[name].primary_key
        statement = sa.delete(target).where(
            self._scope(target, service_id, source_system),
            ~sa.exists().where(keys.c.id == target.c[key]),
        )
        return int(self.connection.execute(statement).rowcount or 0)

    def delete_replaced(
        self, name: str, parent_column: str, service_id: str, source_system: str
    ) -> int:
        """Remove the rows of a delivered parent that the delta did not deliver again."""
        target = METADATA.tables[name]
        reference = TABLES[name].column(parent_column).foreign_key
        if reference is None:
            raise LoadError(f"{name}.{parent_column} names no parent table")
        parents = self.tables[reference.table]
        delivered = self.tables[name]
        key = TABLES[name].primary_key
        statement = sa.delete(target).where(
            self._scope(target, service_id, source_system),
            target.c[parent_column].in_(sa.select(parents.c[reference.column])),
            ~sa.exists().where(delivered.c[key] == target.c[key]),
        )
        return int(self.connection.execute(statement).rowcount or 0)

    def mend_references(
        self, name: str, package_id: str, service_id: str, source_system: str
    ) -> tuple[int, int]:
        """Rows whose reference no longer resolves: removed (required) or set to null."""
        target = METADATA.tables[name]
        removed = nulled = 0
        for column in TABLES[name].foreign_keys:
            reference = column.foreign_key
            assert reference is not None  # noqa: S101
            parent = METADATA.tables[reference.table]
            dangling = (
                self._scope(target, service_id, source_system)
                & target.c[column.name].is_not(None)
                & ~sa.exists().where(parent.c[reference.column] == target.c[column.name])
            )
            if column.required:
                result = self.connection.execute(sa.delete(target).where(dangling))
                removed += int(result.rowcount or 0)
            else:
                result = self.connection.execute(
                    sa.update(target)
                    .where(dangling)
                    .values({column.name: None, PACKAGE_COLUMN: package_id})
                )
                nulled += int(result.rowcount or 0)
        return removed, nulled

    def delete_missing(self, name: str, service_id: str, source_system: str) -> int:
        """Remove the scope's rows that the full package no longer holds."""
        target = METADATA.tables[name]
        stage = self.tables[name]
        key = TABLES[name].primary_key
        statement = sa.delete(target).where(
            target.c.service_id == service_id,
            target.c.source_system == source_system,
            ~sa.exists().where(stage.c[key] == target.c[key]),
        )
        return int(self.connection.execute(statement).rowcount or 0)


@contextmanager
def _driver_errors(connection: sa.Connection, statement: str) -> Iterator[None]:
    """Errors of the driver, used directly (COPY, executemany), as SQLAlchemy raises them.

    `load_package` turns SQLAlchemy's integrity and connection errors into its own; a
    driver's exception passing around SQLAlchemy would reach the user as a traceback.
    """
    dbapi = connection.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as exc:
        raise sa.exc.DBAPIError.instance(statement, None, exc, dbapi.Error) from exc


def _copy_rows(connection: sa.Connection, table: str, encoded: tuple[list[str], bytes]) -> None:
    """COPY an encoded batch (`PostgresStager.encode`) into a table."""
    columns, data = encoded
    preparer = connection.dialect.identifier_preparer
    listed = ", ".join(preparer.quote(c) for c in columns)
    # COPY takes no bound parameters; the names come from the format definition.
    statement = f"COPY {preparer.quote(table)} ({listed}) FROM STDIN (FORMAT csv)"
    cursor = connection.connection.cursor()
    with _driver_errors(connection, statement), cursor.copy(statement) as copy:
        copy.write(data)


class PostgresStager(_Stager):
    """PostgreSQL: staging tables fed by COPY of Arrow-written CSV."""

    def __init__(self, connection: sa.Connection) -> None:
        super().__init__(connection)
        #: Tables a large full batch rewrites instead of updating (`plan_rewrites`).
        self.rewrite: set[str] = set()
        self._scope_ids = ("", "")
        #: Staging tables analysed already (by the `_Stagehand` that filled them).
        self.analysed: set[str] = set()

    def _unlogged(self) -> bool:
        """A large load stages into unlogged tables of the schema, not temporary ones.

        PostgreSQL scans no temporary table in parallel: the joins of a large load over
        millions of staged rows would run on one core. An unlogged table (no WAL, like a
        temporary one) created inside the load's transaction is seen by no other session
        until it commits, and `drop_scratch` drops it before that. A large load may
        create tables in the schema (`_SetwiseForeignKeys.when_worth_it`).
        """
        return self.large

    def plan_rewrites(self, manifest: Manifest, held: dict[str, bool]) -> None:
        """Choose the tables a large full batch may write anew (see `_rewrite`).

        Those whose scope holds rows; none where the target's tables carry triggers of
        their own (a rewrite fires no row trigger) or row security policies, are
        referenced by a table outside the format, or may not be truncated by this user:
        those are upserted as before.
        """
        if not self.large or manifest.batch.kind != "full":
            return
        self._scope_ids = (manifest.service_id, manifest.source_system)
        names = list(TABLES)
        blocked = self.connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_class t WHERE t.relname = ANY(:names) "
                "AND t.relnamespace = current_schema()::regnamespace AND ("
                "EXISTS (SELECT FROM pg_trigger g WHERE g.tgrelid = t.oid AND NOT g.tgisinternal)"
                " OR EXISTS (SELECT FROM pg_constraint c JOIN pg_class o ON o.oid = c.conrelid "
                "WHERE c.contype = 'f' AND c.confrelid = t.oid "
                "AND NOT (o.relname = ANY(:names) AND o.relnamespace = t.relnamespace))"
                " OR t.relrowsecurity OR NOT has_table_privilege(t.oid, 'TRUNCATE'))"
            ),
            {"names": names},
        ).scalar_one()
        if blocked:
            return
        self.rewrite = {name for name in names if held[name]}

    def upsert(self, name: str, package_id: str, staged: int) -> tuple[int, int, int]:
        if self.large and name not in self.analysed:
            # A temporary table has no statistics until analysed: without them the joins
            # of a large load may be planned as nested loops over millions of rows.
            preparer = self.connection.dialect.identifier_preparer
            self.connection.exec_driver_sql(f"ANALYZE {preparer.quote(self.tables[name].name)}")
        if name in self.rewrite:
            return self._rewrite(name, package_id, staged)
        return super().upsert(name, package_id, staged)

    def _rewrite(self, name: str, package_id: str, staged: int) -> tuple[int, int, int]:
        """Write the table anew, as a first load would: (inserted, updated, unchanged).

        An `UPDATE` writes a second version of every row it changes and leaves the first
        behind (MVCC), and the keys and indexes a large load rebuilds are then built over
        both. Here, inside the transaction, the staged rows are first counted against the
        scope's (one join): where fewer than `REWRITE_SHARE` of the rows changed, came or
        went, or other scopes hold more rows than the package brings, the table is
        upserted as usual. Otherwise the rows the scope holds unchanged
        are noted with the package that last wrote them (they keep it), the rows of other
        scopes are copied aside, the table is truncated (rolled back with everything else
        on failure) and written again: the staged rows, then the others. The result, row
        for row, is what upserting and removing the scope's missing rows gives. A staged
        id that another scope holds fails at the primary key, as on a first load.
        """
        target = METADATA.tables[name]
        stage = self.tables[name]
        key = TABLES[name].primary_key
        columns = _columns(name)
        values = [c for c in columns if c != key]
        scope = self._scope(target, *self._scope_ids)
        execute = self.connection.execute
        same = sa.and_(*(target.c[c].is_not_distinct_from(stage.c[c]) for c in values))
        matched = stage.join(target, sa.and_(target.c[key] == stage.c[key], scope))
        found, unchanged = (
            int(value or 0)
            for value in execute(
                sa.select(sa.func.count(), sa.func.count().filter(same)).select_from(matched)
            ).one()
        )
        held, others = (
            int(value or 0)
            for value in execute(
                sa.select(
                    sa.func.count().filter(scope), sa.func.count().filter(~scope)
                ).select_from(target)
            ).one()
        )
        moved = (found - unchanged) + (staged - found) + (held - found)
        if moved < REWRITE_SHARE * max(staged, held) or others > staged:
            # Few rows to write again, or more rows of other scopes to copy aside and
            # back than the package brings: updating costs less.
            return super().upsert(name, package_id, staged)
        kept = None
        if unchanged:
            kept = self._temporary(
                f"kept_{name}",
                sa.Column("id", sa.String(200)),
                sa.Column("package", target.c[PACKAGE_COLUMN].type),
            )
            execute(
                sa.insert(kept).from_select(
                    ["id", "package"],
                    sa.select(stage.c[key], target.c[PACKAGE_COLUMN])
                    .select_from(matched)
                    .where(same),
                )
            )
        aside = None
        if others:
            aside = self._temporary(
                f"aside_{name}", *(sa.Column(c.name, c.type) for c in target.columns)
            )
            execute(
                sa.insert(aside).from_select(
                    list(target.columns.keys()), target.select().where(~scope)
                )
            )
        preparer = self.connection.dialect.identifier_preparer
        # The table's rows go; rolled back with the transaction (no other load can see
        # the table meanwhile: a large load holds its lock from the start).
        self.connection.exec_driver_sql(f"TRUNCATE {preparer.quote(target.name)}")
        rows = sa.select(*(stage.c[c] for c in columns), sa.literal(package_id))
        if kept is not None:
            rows = sa.select(
                *(stage.c[c] for c in columns),
                sa.func.coalesce(kept.c.package, sa.literal(package_id)),
            ).select_from(stage.outerjoin(kept, kept.c.id == stage.c[key]))
        execute(sa.insert(target).from_select([*columns, PACKAGE_COLUMN], rows))
        if aside is not None:
            execute(sa.insert(target).from_select(list(target.columns.keys()), aside.select()))
        self.rewritten_deleted[name] = held - found
        return staged - found, found - unchanged, unchanged

    def encode(self, name: str, batch: pa.Table) -> tuple[list[str], bytes]:
        columns, batch = self.columns(name, batch)
        buffer = io.BytesIO()
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        pacsv.write_csv(batch, buffer, write_options=options)
        return columns, buffer.getvalue()

    def write(self, name: str, encoded: tuple[list[str], bytes]) -> None:
        _copy_rows(self.connection, self.tables[name].name, encoded)

    def stage_ids(self, keys: sa.Table, ids: pa.Array) -> None:
        buffer = io.BytesIO()
        options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
        pacsv.write_csv(pa.table({"id": ids}), buffer, write_options=options)
        preparer = self.connection.dialect.identifier_preparer
        statement = f"COPY {preparer.quote(keys.name)} (id) FROM STDIN (FORMAT csv)"
        cursor = self.connection.connection.cursor()
        with _driver_errors(self.connection, statement), cursor.copy(statement) as copy:
            copy.write(buffer.getvalue())


class SqliteStager(_Stager):
    """SQLite: staging tables filled with executemany in large batches."""

    def encode(self, name: str, batch: pa.Table) -> tuple[list[str], list[pa.ChunkedArray]]:
        # Arrow's conversions only: Python tuples of a batch ahead would cost several
        # times the batch's memory, and building them needs the GIL the writer holds.
        names, batch = self.columns(name, batch)
        return names, [_sqlite_column(batch.column(c)) for c in names]

    def write(self, name: str, encoded: tuple[list[str], list[pa.ChunkedArray]]) -> None:
        names, columns = encoded
        rows = list(zip(*(column.to_pylist() for column in columns), strict=True))
        table = self.tables[name]
        statement = str(
            sa.insert(table)
            .values({c: sa.bindparam(c) for c in names})
            .compile(dialect=self.connection.dialect)
        )
        cursor = self.connection.connection.cursor()
        try:
            with _driver_errors(self.connection, statement):
                cursor.executemany(statement, rows)
        finally:
            cursor.close()

    def stage_ids(self, keys: sa.Table, ids: pa.Array) -> None:
        statement = f"INSERT INTO {keys.name} (id) VALUES (?)"  # noqa: S608 - a name of ours
        cursor = self.connection.connection.cursor()
        try:
            with _driver_errors(self.connection, statement):
                cursor.executemany(statement, [(value,) for value in ids.to_pylist()])
        finally:
            cursor.close()


def _sqlite_column(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column in the Arrow types whose Python values SQLAlchemy's SQLite types store."""
    kind = column.type
    if pa.types.is_decimal(kind):
        column = column.cast(pa.float64())
    elif pa.types.is_date(kind):
        column = column.cast(pa.string())
    elif pa.types.is_timestamp(kind):
        column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S")  # %S carries the microseconds
    return column


__all__ = ["LoadResult", "load_package"]
