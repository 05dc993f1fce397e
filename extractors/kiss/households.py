"""KiSS households: who is a member of a case (a service), and in which role.

The members of a service are the rows of `BgFinanzplan_BaPerson` of its financial plans
(source key `<BgFinanzplanID>/<BaPersonID>`), whatever `IstUnterstuetzt` says (kept as
`supported`), dated with the plan's period. A service without a financial plan has its
lead (`FaLeistung.BaPersonID`) as its only member (source key
`<FaLeistungID>/lead/<BaPersonID>`, accounted as source table `FaLeistung.BaPersonID`),
dated with the service's period; a service with neither has no members. The role comes
from `BaPerson_Relation` between the member and the service's lead (for a service without
lead: the lead person of its file, `FaFall.BaPersonID`), through the `member_role`
mapping. The same person twice in one case is rejected (`duplicate-key`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from nffs_migration.extractors.base import Chunk
from nffs_migration.extractors.frames import Batch, lookup
from nffs_migration.extractors.kiss.index import KissRun, pick
from nffs_migration.extractors.kiss.source import TABLES

#: The source table the lead-only members are accounted under.
LEAD_SOURCE = "FaLeistung.BaPersonID"
NONE = -1


def _numbers(values: pd.Series) -> np.ndarray:
    """Integer keys as int64, null as -1 (for index lookups)."""
    return values.astype("Int64").fillna(NONE).to_numpy(dtype=np.int64)


class Households:
    """Member rows of the cases, from plan rows and from the leads of services without a plan."""

    def __init__(self, run: KissRun) -> None:
        self.run = run
        self.relations = self._relations()
        self.seen: set[tuple[int, int]] = set()

    def _relations(self) -> pd.Series:
        """Relation keys by (lead, member): `<code>` from the lead, `inverse:<code>` to it."""
        frame = self.run.db.read_all("BaPerson_Relation", TABLES["BaPerson_Relation"])
        frame = frame.dropna(subset=["BaPersonID_1", "BaPersonID_2", "BaRelationCode"])
        first, second = _numbers(frame["BaPersonID_1"]), _numbers(frame["BaPersonID_2"])
        code = frame["BaRelationCode"].astype("Int64").astype(str).to_numpy()
        order = frame["BaPerson_RelationID"].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
        both = pd.DataFrame(
            {
                "lead": np.concatenate([first, second]),
                "member": np.concatenate([second, first]),
                "key": np.concatenate([code, np.char.add("inverse:", code.astype(str))]),
                "order": np.concatenate([order, order]),
            }
        )
        # Two relations between the same pair: the older (lower id) one decides.
        both = both.sort_values("order", kind="stable").drop_duplicates(["lead", "member"])
        index = pd.MultiIndex.from_arrays([both["lead"], both["member"]])
        return pd.Series(both["key"].to_numpy(dtype=object), index=index)

    def role_keys(self, services: pd.Series, persons: pd.Series) -> pd.Series:
        """The `member_role` mapping key of each member of a service.

        The service's lead is `lead`; the others are related to the lead, or, where the
        service has no lead (a badly converted record), to the lead person of its file.
        """
        run = self.run
        lead = _numbers(pick(run.service_lead, services))
        reference = np.where(lead != NONE, lead, _numbers(pick(run.service_file_lead, services)))
        person = _numbers(persons)
        found = self.relations.reindex(pd.MultiIndex.from_arrays([reference, person]))
        keys = np.where(
            (lead == person) & (lead != NONE),
            "lead",
            found.fillna("none").to_numpy(dtype=object),
        )
        return pd.Series(keys, index=persons.index, dtype=object)

    def chunks(self) -> Iterator[Chunk]:
        """Plan members first, then the leads of services without a plan."""
        yield from self.plan_members()
        yield from self.lead_members()

    def plan_members(self) -> Iterator[Chunk]:
        """The rows of the financial plans (with their plan or service in a delta)."""
        run = self.run
        for frame in run.read("BgFinanzplan_BaPerson"):
            service = pick(run.plan_service, frame["BgFinanzplanID"])
            if run.changed_plans is not None and run.changed_services is not None:
                travels = frame["BgFinanzplanID"].isin(run.changed_plans).fillna(False) | (
                    service.isin(run.changed_services).fillna(False)
                )
                mask = travels.to_numpy(dtype=bool)
                frame = frame[mask].reset_index(drop=True)
                service = service[mask].reset_index(drop=True)
            plans = frame["BgFinanzplanID"]
            keys = (
                plans.astype("Int64").astype(str)
                + "/"
                + frame["BaPersonID"].astype("Int64").astype(str)
            )
            batch = Batch("case_members", "BgFinanzplan_BaPerson", frame, keys)
            batch.apply_status(
                lookup(plans, run.plan_status),
                orphan_reason="the financial plan or its service does not exist",
            )
            batch.apply_status(
                lookup(frame["BaPersonID"], run.person_status),
                orphan_reason="the person does not exist",
            )
            yield self._chunk(
                batch,
                service,
                frame["BaPersonID"],
                valid=(pick(run.plan_from, plans), pick(run.plan_to, plans)),
                supported=frame["IstUnterstuetzt"],
            )

    def lead_members(self) -> Iterator[Chunk]:
        """The lead of each service without a financial plan, as its only member."""
        run = self.run
        leads = run.service_lead.dropna()
        services = pd.Series(leads.index.to_numpy(dtype=object))
        alone = ~services.isin(run.planned_services).to_numpy(dtype=bool)
        if run.changed_services is not None:
            alone &= services.isin(run.changed_services).to_numpy(dtype=bool)
        frame = pd.DataFrame(
            {
                "FaLeistungID": services[alone].astype("int64").to_numpy(),
                "BaPersonID": leads[alone].astype("int64").to_numpy(),
            }
        ).sort_values("FaLeistungID", kind="stable")
        size = run.options.chunk_rows
        for start in range(0, len(frame), size):
            part = frame.iloc[start : start + size].reset_index(drop=True)
            service = part["FaLeistungID"].astype("Int64")
            person = part["BaPersonID"].astype("Int64")
            keys = service.astype(str) + "/lead/" + person.astype(str)
            batch = Batch("case_members", LEAD_SOURCE, part, keys)
            batch.apply_status(lookup(service, run.case_status))
            batch.apply_status(
                lookup(person, run.person_status), orphan_reason="the person does not exist"
            )
            yield self._chunk(
                batch,
                service,
                person,
                valid=(pick(run.service_from, service), pick(run.service_to, service)),
                supported=None,
            )

    def _chunk(
        self,
        batch: Batch,
        service: pd.Series,
        person: pd.Series,
        *,
        valid: tuple[pd.Series, pd.Series],
        supported: pd.Series | None,
    ) -> Chunk:
        run = self.run
        role = run.code(
            batch, "member_role", self.role_keys(service, person), "role", required=True
        )
        services, persons = _numbers(service), _numbers(person)
        duplicate = np.zeros(batch.read, dtype=bool)
        for index in np.flatnonzero(batch.keep):
            pair = (int(services[index]), int(persons[index]))
            if pair in self.seen:
                duplicate[index] = True
            else:
                self.seen.add(pair)
        batch.reject(duplicate, "duplicate-key", "the person is listed twice in the case")
        return run.rows(
            batch,
            run.ctx.record_ids(batch.keys),
            {
                "case_id": run.ids(service),
                "person_id": run.ids(person),
                "role": role,
                "valid_from": valid[0],
                "valid_to": valid[1],
                "supported": supported,
            },
        )


__all__ = ["LEAD_SOURCE", "Households"]
