"""What a KiSS extraction decides before any row is built: the status maps.

`KissRun` reads the narrow key columns of the services, files, plans, persons and
budgets once and decides what is live and what is excluded by its parent: services
closed before the retention cut-off, persons whose every service is, and all that hangs
on them. In a delta it also knows which services, plans and budgets changed, so their
children travel with them. Reading, ids, references and codes come from
`database_family.DatabaseRun`; the table builders (`tables.py`) extend this class.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from nffs_migration.extractors import normalise
from nffs_migration.extractors.database_family import STRING, DatabaseRun
from nffs_migration.extractors.frames import EXPIRED, LIVE, MISSING, lookup, status_series
from nffs_migration.extractors.kiss.source import CHANGE_MARKER, SYSTEM, TABLES
from nffs_migration.extractors.normalise import legacy_dates

#: Key prefix of a service-specific budget position type in the mapping lists.
POSITIONSART = "positionsart:"


def keyed(keys: pd.Series, values: pd.Series | np.ndarray) -> pd.Series:
    """A lookup series from a key column to values (the last of duplicate keys wins)."""
    index = pd.Index(keys.to_numpy(dtype=object, na_value=None))
    series = pd.Series(values.array if isinstance(values, pd.Series) else values, index=index)
    return series[~series.index.duplicated(keep="last")]


def pick(mapping: pd.Series, keys: pd.Series) -> pd.Series:
    """The values of `mapping` for a column of keys, aligned with it (null where not found)."""
    found = mapping.reindex(keys.to_numpy(dtype=object, na_value=None))
    return pd.Series(found.array, index=keys.index)


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


class KissRun(DatabaseRun):
    """One KiSS extraction's shared state: the source, the mapper and the status maps."""

    system = SYSTEM
    source_tables = TABLES
    change_marker = CHANGE_MARKER
    #: A plan's member rows have no key column: ordered by the whole source key.
    row_order: ClassVar[dict[str, tuple[str, ...]]] = {
        "BgFinanzplan_BaPerson": ("BgFinanzplanID", "BaPersonID", "IstUnterstuetzt")
    }

    # -- values ------------------------------------------------------------------------

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
        expired = (legacy_dates(services["DatumBis"]) < self.ctx.retention_cutoff).fillna(False)
        codes = np.where(expired.to_numpy(dtype=bool), EXPIRED, LIVE)
        self.case_status = status_series(services["FaLeistungID"], codes)
        self.service_lead = keyed(services["FaLeistungID"], services["BaPersonID"])
        self.service_from = keyed(services["FaLeistungID"], legacy_dates(services["DatumVon"]))
        self.service_to = keyed(services["FaLeistungID"], legacy_dates(services["DatumBis"]))
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
        self.plan_from = keyed(plans["BgFinanzplanID"], legacy_dates(plans["DatumVon"]))
        self.plan_to = keyed(plans["BgFinanzplanID"], legacy_dates(plans["DatumBis"]))
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
        self.changed_budgets = self.changed_keys("BgBudget", "BgBudgetID")


__all__ = ["POSITIONSART", "KissRun", "keyed", "pattern_key", "pick"]
