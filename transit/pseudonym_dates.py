"""Date offsets for pseudonymised packages: one stable shift per household, clamped.

Birth dates are the exception (`birth_offsets`): their shift is drawn from the birth date
itself, so that one person recorded by several services keeps one fake birth date.

A *household* is every person connected through case membership (the people of a case,
and of any other case one of them belongs to). Each household gets one shift of up to
±30 days, drawn from HMAC(key, its smallest person id), applied to its persons' exact
birth dates (precision `day`), death dates and address periods. One shift per household
keeps who is older than whom and every address order; the shift is then clamped so that
no shifted date crosses a date that validation compares it with:

- the data's date (`data_as_of`): births and deaths in the future, current addresses;
- the opening date of a case a person leads: `lead-born-after-opening`;
- the unshifted birth date (precision `month`/`year`) of a child or lead of a shared
  case: `child-older-than-parent`.

Zero always satisfies every bound, so a shift exists for every household. Case dates,
budgets, payments, journal times and document times are not shifted: validation compares
them with the data's date and with each other (contact windows, intake, current budgets).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from nffs_migration.transit.pseudonyms import digest

MAX_SHIFT_DAYS = 30
_EPOCH = date(1970, 1, 1)


def _days(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A date32 column as days since 1970 (float, NaN for null)."""
    return np.asarray(pc.cast(column, pa.int32()).to_numpy(zero_copy_only=False), dtype="float64")


def _bounds(
    lower: np.ndarray,
    upper: np.ndarray,
    who: np.ndarray,
    day: np.ndarray,
    limit: np.ndarray | int,
    keep: str,
) -> None:
    """Narrow each person's shift so that `day + shift` stays on its side of `limit`.

    `keep` is `<=` when validation asks `day <= limit` (or its opposite), `>=` for
    `day >= limit`. `limit` is one date or one per row (NaN: nothing to keep).
    """
    limits = np.broadcast_to(np.asarray(limit, dtype="float64"), day.shape)
    present = ~np.isnan(day) & ~np.isnan(limits)
    who = who[present]
    gap = (limits[present] - day[present]).astype(np.int64)
    if keep == "<=":
        holds = gap >= 0
        np.minimum.at(upper, who[holds], gap[holds])
        np.maximum.at(lower, who[~holds], gap[~holds] + 1)
    else:
        holds = gap <= 0
        np.maximum.at(lower, who[holds], gap[holds])
        np.minimum.at(upper, who[~holds], gap[~holds] - 1)


def _households(persons: int, member_person: np.ndarray, member_case: np.ndarray) -> np.ndarray:
    """Connected components of persons through cases: the smallest person code of each."""
    label = np.arange(persons, dtype=np.int64)
    if not len(member_person):
        return label
    cases = int(member_case.max()) + 1
    while True:
        case_min = np.full(cases, persons, dtype=np.int64)
        np.minimum.at(case_min, member_case, label[member_person])
        new = label.copy()
        np.minimum.at(new, member_person, case_min[member_case])
        new = new[new]  # pointer jumping: long chains settle in few rounds
        if np.array_equal(new, label):
            return label
        label = new


def _case_bounds(
    lower: np.ndarray, upper: np.ndarray, member: pd.DataFrame, cases: pa.Table
) -> pd.DataFrame:
    """Bounds from the cases: leads born before opening, children on their side of leads.

    A child's exact birth stays on its side of a lead's birth that is not shifted (and
    the other way round). `member` holds `case_id`, `role`, `who` (the person's
    position), `birth` (the exact birth, else NaN) and `fixed` (a birth that is not
    shifted, else NaN). Returns the (child, lead) pairs of the cases.
    """
    opened = cases.select(["case_id", "opened_on"]).to_pandas()
    opened["day"] = _days(cases.column("opened_on"))
    opened = opened.drop_duplicates("case_id").set_index("case_id")["day"]
    leads = member[member["role"] == "lead"]
    lead_opened = leads["case_id"].map(opened).to_numpy(dtype="float64")
    _bounds(lower, upper, leads["who"].to_numpy(), leads["birth"].to_numpy(), lead_opened, ">=")
    children = member[member["role"] == "child"]
    pairs = children.merge(leads, on="case_id", suffixes=("_child", "_lead"))
    # An exact birth compared with an unshifted one keeps its side of it.
    _bounds(
        lower,
        upper,
        pairs["who_child"].to_numpy(),
        pairs["birth_child"].to_numpy(),
        pairs["fixed_lead"].to_numpy(),
        "<=",
    )
    _bounds(
        lower,
        upper,
        pairs["who_lead"].to_numpy(),
        pairs["birth_lead"].to_numpy(),
        pairs["fixed_child"].to_numpy(),
        ">=",
    )
    return pairs


def household_offsets(
    key: bytes,
    as_of: date,
    persons: pa.Table,
    members: pa.Table,
    cases: pa.Table,
    addresses: pa.Table,
) -> pd.Series:
    """The shift in days of every person, indexed by person id.

    Args:
        key: The pseudonymisation key.
        as_of: The data's date (validation's default `as_of`).
        persons: `person_id`, `birth_date`, `birth_date_precision`, `death_date`.
        members: `case_id`, `person_id`, `role`.
        cases: `case_id`, `opened_on`.
        addresses: `person_id`, `valid_from`, `valid_to`.
    """
    every = pa.chunked_array(
        [
            *persons.column("person_id").chunks,
            *members.column("person_id").chunks,
            *addresses.column("person_id").chunks,
        ],
        type=pa.string(),
    )
    unique = pc.unique(every).drop_null()
    ordered = unique.take(pc.array_sort_indices(unique))
    index = pd.Index(ordered.to_pylist(), dtype=object)
    count = len(index)
    lower = np.full(count, -MAX_SHIFT_DAYS, dtype=np.int64)
    upper = np.full(count, MAX_SHIFT_DAYS, dtype=np.int64)
    limit = (as_of - _EPOCH).days

    def codes(table: pa.Table) -> np.ndarray:
        return np.asarray(index.get_indexer(table.column("person_id").to_pylist()))

    who = codes(persons)
    exact = np.asarray(
        pc.fill_null(pc.equal(persons.column("birth_date_precision"), "day"), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    birth = np.where(exact, _days(persons.column("birth_date")), np.nan)
    found = who >= 0
    _bounds(lower, upper, who[found], birth[found], limit, "<=")
    _bounds(lower, upper, who[found], _days(persons.column("death_date"))[found], limit, "<=")

    at = codes(addresses)
    found = at >= 0
    _bounds(lower, upper, at[found], _days(addresses.column("valid_from"))[found], limit, "<=")
    _bounds(lower, upper, at[found], _days(addresses.column("valid_to"))[found], limit, ">=")

    # Births as validation sees them: shifted (exact) or not (month, year, unknown).
    birth_of = pd.Series(birth, index=who).groupby(level=0).first()
    fixed_birth = (
        pd.Series(np.where(exact, np.nan, _days(persons.column("birth_date"))), index=who)
        .groupby(level=0)
        .first()
    )
    member = members.select(["case_id", "person_id", "role"]).to_pandas()
    member["who"] = index.get_indexer(member["person_id"].to_numpy(dtype=object))
    member = member[member["who"] >= 0]
    member["birth"] = member["who"].map(birth_of).to_numpy(dtype="float64")
    member["fixed"] = member["who"].map(fixed_birth).to_numpy(dtype="float64")
    _case_bounds(lower, upper, member, cases)

    member_case = pd.factorize(member["case_id"])[0]
    household = _households(count, member["who"].to_numpy(), np.asarray(member_case))
    low = np.full(count, -MAX_SHIFT_DAYS, dtype=np.int64)
    high = np.full(count, MAX_SHIFT_DAYS, dtype=np.int64)
    np.maximum.at(low, household, lower)
    np.minimum.at(high, household, upper)
    anchors = np.unique(household)
    wish = np.zeros(count, dtype=np.int64)
    for anchor in anchors:
        draw = int.from_bytes(digest(key, "date_offset", str(index[anchor]))[:4], "big")
        wish[anchor] = draw % (2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS
    shift = np.clip(wish[household], low[household], high[household])
    return pd.Series(shift.astype(np.int32), index=index)


def birth_offsets(
    key: bytes, as_of: date, persons: pa.Table, members: pa.Table, cases: pa.Table
) -> pd.Series:
    """The shift in days of every exact birth date, indexed by person id.

    Drawn from HMAC(key, the original birth date), not from the household: the same
    person, recorded by two services (each its own household and person ids), gets the
    same fake birth date under one key, so pseudonymised packages link as the originals
    do (`identity`). Clamped per person so that no rule's comparison changes: before
    the data's date, the lead born before the case opened, a child younger than a lead
    whose birth is not exact; a child and a lead of one case whose exact births lie
    within twice the largest shift of each other keep their own dates (a shift of 0),
    so their order cannot flip.
    """
    ids = persons.column("person_id").to_pylist()
    index = pd.Index(ids, dtype=object)
    count = len(index)
    lower = np.full(count, -MAX_SHIFT_DAYS, dtype=np.int64)
    upper = np.full(count, MAX_SHIFT_DAYS, dtype=np.int64)
    exact = np.asarray(
        pc.fill_null(pc.equal(persons.column("birth_date_precision"), "day"), False).to_numpy(
            zero_copy_only=False
        ),
        dtype=bool,
    )
    days = _days(persons.column("birth_date"))
    birth = np.where(exact, days, np.nan)
    fixed = np.where(exact, np.nan, days)
    who = np.arange(count)
    _bounds(lower, upper, who, birth, (as_of - _EPOCH).days, "<=")

    member = members.select(["case_id", "person_id", "role"]).to_pandas()
    member["who"] = index.get_indexer(member["person_id"].to_numpy(dtype=object))
    member = member[member["who"] >= 0]
    member["birth"] = birth[member["who"].to_numpy()]
    member["fixed"] = fixed[member["who"].to_numpy()]
    pairs = _case_bounds(lower, upper, member, cases)
    close = (pairs["birth_child"] - pairs["birth_lead"]).abs() <= 2 * MAX_SHIFT_DAYS
    for column in ("who_child", "who_lead"):
        pinned = pairs.loc[close.fillna(False).to_numpy(dtype=bool), column].to_numpy()
        lower[pinned] = 0
        upper[pinned] = 0

    wish = np.zeros(count, dtype=np.int64)
    iso = persons.column("birth_date").cast(pa.string()).to_pylist()
    draws: dict[str, int] = {}
    for position in np.flatnonzero(exact):
        value = iso[position]
        if value not in draws:
            draw = int.from_bytes(digest(key, "birth_offset", value)[:4], "big")
            draws[value] = draw % (2 * MAX_SHIFT_DAYS + 1) - MAX_SHIFT_DAYS
        wish[position] = draws[value]
    # A bound that cannot hold (a lead born after the opening already) leaves the date.
    shift = np.where(lower <= upper, np.clip(wish, lower, np.maximum(lower, upper)), 0)
    return pd.Series(np.where(exact, shift, 0).astype(np.int32), index=index)


def shift_dates(column: pa.ChunkedArray | pa.Array, days: np.ndarray) -> pa.Array:
    """A date32 column moved by `days` per row (nulls stay null)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    moved = pc.add(pc.cast(array, pa.int32()), pa.array(days, pa.int32()))
    return pc.cast(moved, pa.date32())


__all__ = ["MAX_SHIFT_DAYS", "birth_offsets", "household_offsets", "shift_dates"]
