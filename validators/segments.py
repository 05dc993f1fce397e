"""The segment guidelines of the canton's case-management concept (seed 004), optional.

Open economic-aid cases in segment A, B or C, judged against the concept's guide
values. The rules are off in the canton's default profile; a service adopts them with
the profile `segment-guidelines` (`validators/profiles/segment-guidelines.yaml`), and
they are warnings and infos only:

- `segment-contact-frequency`: fewer personal contacts (a `personal_talk` or a
  `home_visit`, the contract's term) in the window before the data's date than the
  segment's minimum: A 4 in a semester (`window_a_days`), B 3 and C 1 in a year
  (`window_bc_days`). Judged once the case has been in its segment for the whole window.
- `segment-time-limit`: the case has been in its segment longer than the concept's
  limit since `segment_since` (A 6 months, B 24, C 36): a review is due. Exactly the
  limit is not yet over it. Not judged where the source keeps no segment date.
- `segment-personal-share`: of the contacts in the window, fewer than 80 % (A, B) or
  100 % (C) were physical: talks, home visits and network meetings count as physical,
  calls, e-mails and letters as other contacts; notes are no contact.
- `portfolio-few-in-a`, `portfolio-many-in-c`: per responsible social worker, fewer than
  10 % of their segmented cases in A, or more than 40 % in C (infos, by staff key).

The thresholds are profile parameters (`segment_*`, `personal_share_*`, `portfolio_*`).
`segment_portfolio()` gives the report its portfolio table and per-segment figures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from nffs_migration.intermediate_format.rules import OPTIONAL_RULES
from nffs_migration.validators.domain import PERSONAL_CONTACT, _dates, _on, _open_cases
from nffs_migration.validators.results import CheckContext, Params, Results
from nffs_migration.validators.source import TableSource

#: The rules of this module: off unless a profile turns them on.
SEGMENT_RULES = OPTIONAL_RULES
PHYSICAL = ("personal_talk", "home_visit", "network_meeting")
CONTACTS = (*PHYSICAL, "phone", "email", "letter")
SEGMENTS = ("A", "B", "C")


def _minimum(params: Params, segment: str) -> int:
    return {
        "A": params.segment_a_min_contacts,
        "B": params.segment_b_min_contacts,
        "C": params.segment_c_min_contacts,
    }[segment]


def _months(params: Params, segment: str) -> int:
    return {
        "A": params.segment_a_months,
        "B": params.segment_b_months,
        "C": params.segment_c_months,
    }[segment]


def _share(params: Params, segment: str) -> int:
    return params.personal_share_c if segment == "C" else params.personal_share_ab


def _segmented(source: TableSource, context: CheckContext) -> pd.DataFrame:
    """Open economic-aid cases with a segment, with the start of their judging window."""
    cases = source.frame(
        "cases",
        [
            "case_id",
            "source_key",
            "domain",
            "opened_on",
            "closed_on",
            "responsible_staff_id",
            "segment",
            "segment_since",
        ],
    )
    open_aid = _open_cases(cases, context.as_of) & (cases["domain"] == "economic_aid").fillna(
        False
    ).to_numpy(dtype=bool)
    segmented = open_aid & cases["segment"].isin(SEGMENTS).fillna(False).to_numpy(dtype=bool)
    chosen = cases[segmented].copy()
    days = np.where(
        (chosen["segment"] == "A").to_numpy(dtype=bool),
        context.params.window_a_days,
        context.params.window_bc_days,
    )
    chosen["window_start"] = _on(context.as_of) - pd.to_timedelta(days, unit="D")
    chosen["since"] = _dates(chosen["segment_since"]).fillna(_dates(chosen["opened_on"]))
    return chosen


def _contacts_in_window(
    source: TableSource, context: CheckContext, cases: pd.DataFrame
) -> pd.DataFrame:
    """Per case: personal contacts, physical contacts and all contacts in its window."""
    journal = source.frame("journal_entries", ["case_id", "occurred_at", "contact_type"])
    moment = pd.Timestamp(datetime.combine(context.as_of, datetime.max.time()))
    at = _dates(journal["occurred_at"])
    kind = journal["contact_type"]
    frame = pd.DataFrame(
        {
            "case_id": journal["case_id"].to_numpy(dtype=object, na_value=None),
            "at": at.to_numpy(),
            "personal": kind.isin(PERSONAL_CONTACT).fillna(False).to_numpy(dtype=bool),
            "physical": kind.isin(PHYSICAL).fillna(False).to_numpy(dtype=bool),
            "contact": kind.isin(CONTACTS).fillna(False).to_numpy(dtype=bool),
        }
    )
    starts = pd.Series(
        cases["window_start"].to_numpy(), index=cases["case_id"].to_numpy(dtype=object)
    )
    frame = frame[frame["case_id"].isin(starts.index)]
    start = starts.reindex(frame["case_id"].to_numpy()).to_numpy()
    inside = (frame["at"].to_numpy() >= start) & (frame["at"].to_numpy() <= moment.to_numpy())
    counted = frame[inside].groupby("case_id")[["personal", "physical", "contact"]].sum()
    return counted.reindex(cases["case_id"].to_numpy(dtype=object)).fillna(0).astype(int)


def check_segments(source: TableSource, context: CheckContext, results: Results) -> None:
    """The segment guidelines, where the profile turns them on (see the module docstring)."""
    if context.delta or not (context.enabled & SEGMENT_RULES):
        return
    params = context.params
    cases = _segmented(source, context)
    counts = _contacts_in_window(source, context, cases)
    segment = cases["segment"].to_numpy(dtype=object)
    in_clock = (cases["since"] <= cases["window_start"]).fillna(False).to_numpy(dtype=bool)

    if "segment-contact-frequency" in context.enabled:
        minimum = np.array([_minimum(params, s) for s in segment], dtype=np.int64)
        results.checked("segment-contact-frequency", int(in_clock.sum()))
        results.fail(
            "segment-contact-frequency",
            "cases",
            cases,
            in_clock & (counts["personal"].to_numpy() < minimum),
        )
    if "segment-personal-share" in context.enabled:
        contacts = counts["contact"].to_numpy()
        share = np.divide(
            counts["physical"].to_numpy() * 100.0,
            contacts,
            out=np.full(len(contacts), 100.0),
            where=contacts > 0,
        )
        floor = np.array([_share(params, s) for s in segment], dtype=np.float64)
        judged = in_clock & (contacts > 0)
        results.checked("segment-personal-share", int(judged.sum()))
        results.fail("segment-personal-share", "cases", cases, judged & (share < floor))
    if "segment-time-limit" in context.enabled and context.keeps("cases.segment_since"):
        since = _dates(cases["segment_since"])
        limit = pd.Series(
            [
                (day + pd.DateOffset(months=_months(params, s))) if pd.notna(day) else pd.NaT
                for day, s in zip(since, segment, strict=True)
            ],
            index=cases.index,
            dtype="datetime64[ns]",
        )
        dated = since.notna().to_numpy(dtype=bool)
        results.checked("segment-time-limit", int(dated.sum()))
        results.fail(
            "segment-time-limit",
            "cases",
            cases,
            dated & (limit < _on(context.as_of)).fillna(False).to_numpy(dtype=bool),
            "segment_since",
        )
    _portfolio(source, context, results, cases)


def segment_portfolio(cases: pd.DataFrame) -> pd.DataFrame:
    """Per responsible staff member: segmented open cases, per segment, and the shares."""
    assigned = cases[cases["responsible_staff_id"].notna().to_numpy(dtype=bool)]
    table = pd.crosstab(
        assigned["responsible_staff_id"].astype(object), assigned["segment"].astype(object)
    ).reindex(columns=list(SEGMENTS), fill_value=0)
    table["cases"] = table[list(SEGMENTS)].sum(axis=1)
    table["share_a"] = (table["A"] * 100.0 / table["cases"]).round(1)
    table["share_c"] = (table["C"] * 100.0 / table["cases"]).round(1)
    return table


def _portfolio(
    source: TableSource, context: CheckContext, results: Results, cases: pd.DataFrame
) -> None:
    wanted = {"portfolio-few-in-a", "portfolio-many-in-c"} & context.enabled
    if not wanted:
        return
    table = segment_portfolio(cases)
    staff = source.frame("staff", ["staff_id", "source_key"])
    row = staff["staff_id"].isin(table.index).to_numpy(dtype=bool)
    share_a = staff["staff_id"].map(table["share_a"]).astype("float64").to_numpy()
    share_c = staff["staff_id"].map(table["share_c"]).astype("float64").to_numpy()
    params = context.params
    if "portfolio-few-in-a" in wanted:
        results.checked("portfolio-few-in-a", int(row.sum()))
        results.fail(
            "portfolio-few-in-a",
            "staff",
            staff,
            row & (share_a < params.portfolio_a_min_percent),
        )
    if "portfolio-many-in-c" in wanted:
        results.checked("portfolio-many-in-c", int(row.sum()))
        results.fail(
            "portfolio-many-in-c",
            "staff",
            staff,
            row & (share_c > params.portfolio_c_max_percent),
        )


def portfolio_report(source: TableSource, context: CheckContext) -> dict[str, Any]:
    """The report's figures: a portfolio row per staff member (by key) and per segment."""
    cases = _segmented(source, context)
    counts = _contacts_in_window(source, context, cases)
    table = segment_portfolio(cases)
    staff = source.frame("staff", ["staff_id", "source_key"])
    keys = dict(
        zip(
            staff["staff_id"].to_numpy(dtype=object),
            staff["source_key"].to_numpy(dtype=object),
            strict=True,
        )
    )
    rows = [
        {
            "staff_key": keys.get(staff_id, staff_id),
            "cases": int(row["cases"]),
            **{s: int(row[s]) for s in SEGMENTS},
            "share_a": float(row["share_a"]),
            "share_c": float(row["share_c"]),
        }
        for staff_id, row in table.sort_index().iterrows()
    ]
    per_segment = {}
    for s in SEGMENTS:
        chosen = (cases["segment"] == s).to_numpy(dtype=bool)
        minimum = _minimum(context.params, s)
        per_segment[s] = {
            "cases": int(chosen.sum()),
            "enough_contacts": int((counts["personal"].to_numpy()[chosen] >= minimum).sum()),
        }
    return {"portfolio": rows, "segments": per_segment}


__all__ = ["SEGMENT_RULES", "check_segments", "portfolio_report", "segment_portfolio"]
