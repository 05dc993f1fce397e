"""What a KLIBnet extraction decides before any row is built: the status maps.

`KlibnetRun` reads the narrow key columns of cases, persons, memberships, staff and
budgets once and decides what is live and what is excluded: soft-deleted persons
(`Geloescht = 1`), cases closed before the retention cut-off with all that hangs on
them, persons whose every case is excluded. In a delta it also knows which persons,
cases and budgets changed, so that their addresses, memberships, measures and budget
positions travel with them. Reading, ids, references and codes come from
`database_family.DatabaseRun`; the table builders (`tables.py`) extend this class.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa

from nffs_migration.extractors.database_family import DatabaseRun
from nffs_migration.extractors.frames import (
    DELETED,
    EXPIRED,
    LIVE,
    MISSING,
    lookup,
    status_series,
)
from nffs_migration.extractors.klibnet.source import CHANGE_MARKER, SYSTEM, TABLES


class KlibnetRun(DatabaseRun):
    """One KLIBnet extraction's shared state: the source, the mapper and the status maps."""

    system = SYSTEM
    source_tables = TABLES
    change_marker = CHANGE_MARKER
    #: tblDossierPerson has no key column: ordered by both halves of its source key.
    row_order: ClassVar[dict[str, tuple[str, ...]]] = {
        "tblDossierPerson": ("DossierID", "KlientID")
    }

    def load_status(self) -> None:
        """Read the narrow key columns once and decide what is live, expired or deleted."""
        cutoff = self.ctx.retention_cutoff
        cases = self.db.read_all("tblDossier", {"DossierID": "int", "Abschluss": "date"})
        closed = cases["Abschluss"].astype(pd.ArrowDtype(pa.date32()))
        expired = (closed < cutoff).fillna(False).to_numpy(dtype=bool)
        self.case_status = status_series(cases["DossierID"], np.where(expired, EXPIRED, LIVE))
        persons = self.db.read_all("tblKlient", {"KlientID": "int", "Geloescht": "bool"})
        members = self.db.read_all("tblDossierPerson", {"DossierID": "int", "KlientID": "int"})
        member_case = lookup(members["DossierID"], self.case_status)
        in_case = set(members["KlientID"][member_case != MISSING].dropna().astype(int))
        live = set(members["KlientID"][member_case == LIVE].dropna().astype(int))
        person_ids = persons["KlientID"].astype(int)
        deleted = persons["Geloescht"].fillna(False).to_numpy(dtype=bool)
        expired_person = person_ids.isin(in_case).to_numpy() & ~person_ids.isin(live).to_numpy()
        codes = np.where(deleted, DELETED, np.where(expired_person, EXPIRED, LIVE))
        self.person_status = status_series(persons["KlientID"], codes)
        staff = self.db.read_all("tblMitarbeiter", {"MitarbeiterID": "int"})
        self.staff_ids = status_series(staff["MitarbeiterID"], LIVE)
        budgets = self.db.read_all("tblBudget", {"BudgetID": "int", "DossierID": "int"})
        self.budget_status = status_series(
            budgets["BudgetID"], lookup(budgets["DossierID"], self.case_status)
        )
        self.changed_persons: set[int] | None = None
        self.changed_cases: set[int] | None = None
        self.changed_budgets: set[int] | None = None
        if self.since is not None:
            self.changed_persons = self.changed_keys("tblKlient", "KlientID")
            self.changed_cases = self.changed_keys("tblDossier", "DossierID")
            self.changed_budgets = self.changed_keys("tblBudget", "BudgetID")


__all__ = ["KlibnetRun"]
