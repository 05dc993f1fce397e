"""The state every table of a KiSS extraction shares: reading, ids, codes, status maps.

`KissRun` reads the tables of `tables.py` in chunks (for a delta, the rows whose
`Modified` is later than the high-water mark), builds stable ids, maps codes (reject or
finding) and holds the status maps that decide exclusion by the parent: services closed
before the retention cut-off, persons whose every service is, and all that hangs on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

from nffs_migration.errors import SourceError, SourceUnavailable
from nffs_migration.extractors import normalise
from nffs_migration.extractors.base import SWISS_TIME, ExtractOptions
from nffs_migration.extractors.database import Database, typed_frame
from nffs_migration.extractors.frames import (
    EXPIRED,
    LIVE,
    MISSING,
    Batch,
    lookup,
    status_series,
)
from nffs_migration.extractors.kiss.tables import CHANGE_MARKER, TABLES
from nffs_migration.extractors.run import ExtractContext

STRING = pd.ArrowDtype(pa.string())
SYSTEM = "kiss"
#: Key prefix of a service-specific budget position type in the mapping lists.
POSITIONSART = "positionsart:"


def dates(series: pd.Series) -> pd.Series:
    """Dates with the field's sentinels (1900-01-01 unknown, 9999-12-31 open end) as null."""
    values = series.astype(pd.ArrowDtype(pa.date32()))
    sentinel = values.isin([normalise.UNKNOWN_DATE, normalise.OPEN_END]).fillna(False).astype(bool)
    return values.mask(sentinel)


def keyed(keys: pd.Series, values: pd.Series | np.ndarray) -> pd.Series:
    """A lookup series from a key column to values (the last of duplicate keys wins)."""
    index = pd.Index(keys.to_numpy(dtype=object, na_value=None))
    series = pd.Series(values.array if isinstance(values, pd.Series) else values, index=index)
    return series[~series.index.duplicated(keep="last")]


def pick(mapping: pd.Series, keys: pd.Series) -> pd.Series:
    """The values of `mapping` for a column of keys, aligned with it (null where not found)."""
    found = mapping.reindex(keys.to_numpy(dtype=object, na_value=None))
    return pd.Series(found.array, index=keys.index)


def present(keys: pd.Series, known: pd.Series) -> np.ndarray:
    """True where a key is null or names a record of `known` (a lookup series)."""
    values = pd.Series(keys.to_numpy(dtype=object, na_value=None))
    return np.asarray(keys.isna().to_numpy() | values.isin(known.index).to_numpy(), dtype=bool)


def pattern_key(name: str | None, table: dict[str, str]) -> str | None:
    """The mapping key for a name: itself, else the longest `prefix*` rule, else `*`."""
    if name is not None and name in table:
        return name
    if name is not None:
        rules = [k for k in table if k.endswith("*") and len(k) > 1 and name.startswith(k[:-1])]
        if rules:
            return max(rules, key=len)
    if "*" in table:
        return "*"
    return name


def _local(since: str | None) -> datetime | None:
    """The high-water mark as the naive local time the source's `Modified` holds."""
    if not since:
        return None
    moment = datetime.fromisoformat(since)
    if moment.tzinfo is not None:
        moment = moment.astimezone(SWISS_TIME).replace(tzinfo=None)
    return moment


class KissRun:
    """One extraction's shared state: the source, the mapper and the status maps."""

    def __init__(self, db: Database, options: ExtractOptions, context: ExtractContext) -> None:
        self.db = db
        self.options = options
        self.ctx = context
        self.mapper = context.mapper
        self.since = _local(options.since)

    # -- reading -----------------------------------------------------------------------

    def read(
        self, name: str, *, changed: bool = True, order: tuple[str, ...] = ()
    ) -> Iterator[pd.DataFrame]:
        """A table in chunks; in a delta (`changed`), only rows changed after `since`."""
        columns = TABLES[name]
        where = None
        if changed and self.since is not None and CHANGE_MARKER in columns:
            where = self.changed_after()
        chunks = (
            self._ordered(name, columns, where, order)
            if len(order) > 1
            else self.db.read_chunks(
                name,
                columns,
                where=where,
                order_by=order[0] if order else None,
                chunk_rows=self.options.chunk_rows,
            )
        )
        for frame in chunks:
            if changed or self.since is None:
                self.track(frame)
            yield frame

    def _ordered(
        self,
        name: str,
        columns: dict[str, str],
        where: sa.ColumnElement[bool] | None,
        order: tuple[str, ...],
    ) -> Iterator[pd.DataFrame]:
        """Like `Database.read_chunks`, ordered by several columns (keyless tables)."""
        clause = self.db.table(name, list(columns))
        statement = sa.select(*(clause.c[c] for c in columns))
        if where is not None:
            statement = statement.where(where)
        statement = statement.order_by(*(clause.c[c] for c in order))
        rows = self.options.chunk_rows
        try:
            with self.db.engine.connect() as connection:
                result = connection.execution_options(stream_results=True, yield_per=rows).execute(
                    statement
                )
                for partition in result.partitions(rows):
                    yield typed_frame(partition, columns)
        except sa.exc.OperationalError as exc:
            raise SourceUnavailable(
                f"reading {name} failed ({type(exc.orig).__name__}); the connection may be lost"
            ) from None
        except sa.exc.DBAPIError as exc:
            raise SourceError(f"reading {name} failed ({type(exc.orig).__name__})") from None

    def changed_after(self) -> sa.ColumnElement[bool]:
        """`Modified > since`, on an unbound column of the one table read.

        (`Database.column` binds a second table clause of the same name, which makes a
        cartesian product in the statement.)
        """
        return sa.column(CHANGE_MARKER) > self.since

    def track(self, frame: pd.DataFrame) -> None:
        """Note the latest change marker of rows that go into the batch."""
        if CHANGE_MARKER in frame and frame[CHANGE_MARKER].notna().any():
            self.ctx.saw_change(frame[CHANGE_MARKER].max())

    def changed_rows(self, frame: pd.DataFrame) -> pd.DataFrame:
        """In a delta, the rows changed after `since` (all rows in a full batch)."""
        if self.since is None:
            return frame
        mask = (frame[CHANGE_MARKER] > self.since).fillna(False).to_numpy(dtype=bool)
        return frame[mask].reset_index(drop=True)

    def with_parent(
        self, frame: pd.DataFrame, column: str, changed: set[int] | None
    ) -> pd.DataFrame:
        """In a delta, child rows travel with their changed parent."""
        if changed is None:
            return frame
        mask = frame[column].isin(changed).fillna(False).to_numpy(dtype=bool)
        return frame[mask].reset_index(drop=True)

    # -- values ------------------------------------------------------------------------

    def ids(self, keys: pd.Series) -> pd.Series:
        """Stable record ids for a column of integer keys."""
        return self.ctx.record_ids(keys.astype("Int64").astype(STRING))

    def ref_ids(self, keys: pd.Series, known: pd.Series, batch: Batch, field: str) -> pd.Series:
        """Ids of referenced records; a reference to a missing record: null and a finding."""
        dangling = ~present(keys, known)
        for key in batch.kept_keys(dangling):
            batch.findings.append(self.ctx.finding("dangling-reference", batch.table, key, field))
        return self.ids(keys.mask(dangling))

    def code(
        self, batch: Batch, list_name: str, values: pd.Series, field: str, *, required: bool
    ) -> pd.Series:
        """Map a code column; unmapped: reject (required) or null with a finding (optional)."""
        mapped, missing = self.mapper.map_series(list_name, values)
        if required:
            batch.reject(
                missing | values.isna().to_numpy(),
                "unmapped-code",
                f"{field}: no mapping covers the source code",
            )
        else:
            for key in batch.kept_keys(missing):
                batch.findings.append(
                    self.ctx.finding(
                        "unmapped-code",
                        batch.table,
                        key,
                        field,
                        f"{field}: no mapping covers the source code ({list_name})",
                    )
                )
        return mapped

    def position_keys(self, list_name: str, type_ids: pd.Series) -> pd.Series:
        """Mapping keys of budget position types: `positionsart:<id>` overrides, else SkosKey."""
        table = self.mapper.tables.get(list_name, {})
        keys: dict[int, str] = {}
        for type_id, skos in self.position_types["SkosKey"].items():
            own = f"{POSITIONSART}{type_id}"
            skos_key = None if pd.isna(skos) else str(skos).strip() or None
            keys[int(type_id)] = own if own in table or skos_key is None else skos_key
        lookup_keys = pd.Series(list(keys.values()), index=pd.Index(list(keys), dtype=object))
        return pick(lookup_keys.astype(STRING), type_ids)

    # -- status maps -------------------------------------------------------------------

    def load_status(self) -> None:
        """Read the narrow key columns once and decide what is live, expired or missing."""
        if self.since is not None:
            self.ctx.saw_change(self.since)  # a delta without changes keeps the mark it had
        read = self.db.read_all
        services = read(
            "FaLeistung",
            {
                "FaLeistungID": "int",
                "FaFallID": "int",
                "BaPersonID": "int",
                "DatumVon": "date",
                "DatumBis": "date",
                "Modified": "datetime",
            },
        )
        expired = (dates(services["DatumBis"]) < self.ctx.retention_cutoff).fillna(False)
        codes = np.where(expired.to_numpy(dtype=bool), EXPIRED, LIVE)
        self.case_status = status_series(services["FaLeistungID"], codes)
        self.service_lead = keyed(services["FaLeistungID"], services["BaPersonID"])
        self.service_from = keyed(services["FaLeistungID"], dates(services["DatumVon"]))
        self.service_to = keyed(services["FaLeistungID"], dates(services["DatumBis"]))
        files = read(
            "FaFall",
            {"FaFallID": "int", "BaPersonID": "int", "FallNr": "str", "Modified": "datetime"},
        )
        self.file_numbers = keyed(files["FaFallID"], normalise.names(files["FallNr"]))
        # The file's lead person: the reference for household roles of a service without lead.
        self.service_file_lead = keyed(
            services["FaLeistungID"],
            pick(keyed(files["FaFallID"], files["BaPersonID"]), services["FaFallID"]),
        )
        per_file = services["FaFallID"].dropna().astype(int).value_counts()
        self.services_per_file = pd.Series(per_file.to_numpy(), index=per_file.index.astype(object))
        plans = read(
            "BgFinanzplan",
            {
                "BgFinanzplanID": "int",
                "FaLeistungID": "int",
                "DatumVon": "date",
                "DatumBis": "date",
                "Modified": "datetime",
            },
        )
        self.plan_service = keyed(plans["BgFinanzplanID"], plans["FaLeistungID"])
        self.plan_from = keyed(plans["BgFinanzplanID"], dates(plans["DatumVon"]))
        self.plan_to = keyed(plans["BgFinanzplanID"], dates(plans["DatumBis"]))
        self.plan_status = status_series(
            plans["BgFinanzplanID"], lookup(plans["FaLeistungID"], self.case_status)
        )
        self.planned_services = set(plans["FaLeistungID"].dropna().astype(int))
        self._person_status(services)
        staff = read("XUser", {"UserID": "int"})
        self.staff_ids = status_series(staff["UserID"], LIVE)
        budgets = read("BgBudget", {"BgBudgetID": "int", "BgFinanzplanID": "int"})
        self.budget_status = status_series(
            budgets["BgBudgetID"], lookup(budgets["BgFinanzplanID"], self.plan_status)
        )
        self.budget_plan = keyed(budgets["BgBudgetID"], budgets["BgFinanzplanID"])
        types = read("BgPositionsart", TABLES["BgPositionsart"])
        self.position_types = pd.DataFrame(
            {
                "SkosKey": types["SkosKey"].to_numpy(dtype=object, na_value=None),
                "BgKategorieCode": types["BgKategorieCode"].to_numpy(dtype=object, na_value=None),
            },
            index=pd.Index(types["BgPositionsartID"].to_numpy(dtype=object)),
        )
        self._delta_sets(services, files, plans)

    def _person_status(self, services: pd.DataFrame) -> None:
        """Persons whose every service is past retention are excluded; others are live.

        Membership as the extraction derives it: the rows of the financial plans, and the
        lead of a service without a plan. A person in no service at all is migrated.
        """
        rows = self.db.read_all(
            "BgFinanzplan_BaPerson", {"BgFinanzplanID": "int", "BaPersonID": "int"}
        )
        plan_member_status = lookup(rows["BgFinanzplanID"], self.plan_status)
        lead_only = services[
            ~services["FaLeistungID"].isin(self.planned_services).fillna(False).to_numpy(dtype=bool)
            & services["BaPersonID"].notna().to_numpy(dtype=bool)
        ]
        lead_status = lookup(lead_only["FaLeistungID"], self.case_status)
        people = pd.concat([rows["BaPersonID"], lead_only["BaPersonID"]], ignore_index=True)
        status = np.concatenate([plan_member_status, lead_status])
        people_np = people.to_numpy(dtype=object, na_value=None)
        in_case = {
            p for p, s in zip(people_np, status, strict=True) if p is not None and s != MISSING
        }
        live = {p for p, s in zip(people_np, status, strict=True) if p is not None and s == LIVE}
        persons = self.db.read_all("BaPerson", {"BaPersonID": "int"})
        numbers = persons["BaPersonID"].to_numpy(dtype=object)
        expired = np.array([n in in_case and n not in live for n in numbers], dtype=bool)
        self.person_status = status_series(persons["BaPersonID"], np.where(expired, EXPIRED, LIVE))

    def _delta_sets(self, services: pd.DataFrame, files: pd.DataFrame, plans: pd.DataFrame) -> None:
        """For a delta: the services, plans and budgets whose children travel with them."""
        self.changed_services: set[int] | None = None
        self.changed_plans: set[int] | None = None
        self.changed_budgets: set[int] | None = None
        changed_files = self.changed_rows(files)
        changed_plans = self.changed_rows(plans)
        self.track(changed_files)
        self.track(changed_plans)
        if self.since is None:
            return
        file_ids = set(changed_files["FaFallID"].astype(int))
        service_changed = (services[CHANGE_MARKER] > self.since).fillna(False).to_numpy(dtype=bool)
        in_changed_file = services["FaFallID"].isin(file_ids).fillna(False).to_numpy(dtype=bool)
        self.changed_services = set(
            services["FaLeistungID"][service_changed | in_changed_file].astype(int)
        )
        self.changed_plans = set(changed_plans["BgFinanzplanID"].astype(int))
        where = self.changed_after()
        budgets = self.db.read_all("BgBudget", {"BgBudgetID": "int"}, where=where)
        self.changed_budgets = set(budgets["BgBudgetID"].astype(int))


__all__ = [
    "POSITIONSART",
    "STRING",
    "SYSTEM",
    "KissRun",
    "dates",
    "keyed",
    "pattern_key",
    "pick",
    "present",
]
