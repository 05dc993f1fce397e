"""Building blocks of the synthetic packages that `bench_validate.py` and `bench_load.py` build.

Columns are made vectorised (numpy, Arrow compute), never row by row, so that a package
of 10 million rows builds in seconds. Every value is valid under the format: ids carry
the `0942:klibnet:` prefix, codes come from the code lists (checked at import), AHVN13
carry their check digit. The benchmarks import this module as `synthetic` (they run as
scripts from this folder).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from nffs_migration.intermediate_format import CODE_LISTS, TABLES

AS_OF = date(2026, 3, 31)
DATA_AS_OF = datetime(2026, 3, 31, 18, 0, tzinfo=ZoneInfo("Europe/Zurich"))
SERVICE = "0942"
SYSTEM = "klibnet"
PREFIX = f"{SERVICE}:{SYSTEM}:"
AS_OF_DAY = int((np.datetime64(AS_OF.isoformat()) - np.datetime64("1970-01-01")).astype(int))
AS_OF_MONTH = (AS_OF.year - 1970) * 12 + AS_OF.month - 1
DAY_US = 86_400_000_000
YEAR = 365

DOMAINS = ("economic_aid", "maintenance_advance", "child_protection", "adult_protection", "asylum")
DOMAIN_P = (0.70, 0.09, 0.08, 0.08, 0.05)
CLOSING = ("income", "social_insurance", "moved_away", "contact_lost", "other_authority", "other")
NATIONALITY = ("CH", "DE", "IT", "PT", "ER", "TR", "AF", "SY", "FR", "LK")
NATIONALITY_P = (0.68, 0.06, 0.05, 0.05, 0.04, 0.03, 0.03, 0.03, 0.02, 0.01)
LANGUAGE = ("de", "fr", "it", "en", "ti", "pt", "ar", "tr")
LANGUAGE_P = (0.74, 0.06, 0.05, 0.04, 0.04, 0.03, 0.02, 0.02)
FAMILY = ("Muster", "Beispiel", "Test", "Probe", "Exemple", "Esempio", "Modell", "Fiktiv")
STREETS = ("Bahnhofstrasse", "Hauptgasse", "Kirchweg", "Dorfstrasse", "Seestrasse", "Bergweg")
CONTACT = ("personal_talk", "phone", "email", "home_visit", "network_meeting", "letter", "note")
CONTACT_P = (0.30, 0.25, 0.15, 0.05, 0.05, 0.10, 0.10)
SUBJECTS = ("Gespräch", "Telefon", "Abklärung", "Budget", "Wohnung", "Arbeit", "Gesundheit")
RECIPIENTS = ("Klient/in", "Vermieter/in", "Krankenkasse", "Energieversorger", "Arzt/Ärztin")
STAFF_ROLES = ("social_worker", "admin_assistant", "head_of_sector", "intake")


def check_codes(values: tuple[str, ...], code_list: str) -> tuple[str, ...]:
    """The values, after checking that each is in the code list (ValueError if not)."""
    allowed = set(CODE_LISTS[code_list].values)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"{unknown} are not in the code list {code_list}")
    return values


for _values, _list in (
    (DOMAINS, "domain"),
    (CLOSING, "closing_reason"),
    (NATIONALITY, "country"),
    (LANGUAGE, "language"),
    (CONTACT, "contact_type"),
    (STAFF_ROLES, "staff_role"),
):
    check_codes(_values, _list)


def pick(values: tuple[str, ...], index: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """values[index] as an Arrow string array (null where `null`)."""
    return pc.take(pa.array(list(values), pa.string()), pa.array(index.astype(np.int32), mask=null))


def choose(
    rng: np.random.Generator,
    values: tuple[str, ...],
    n: int,
    p: tuple[float, ...] | None = None,
    null: np.ndarray | None = None,
) -> pa.Array:
    """n random values of a tuple (with probabilities p), as Arrow strings."""
    return pick(values, rng.choice(len(values), n, p=p), null)


def join(*parts: str | pa.Array) -> pa.Array:
    """Element-wise concatenation of strings and string arrays."""
    return pc.binary_join_element_wise(*parts, "")


def text(numbers: np.ndarray) -> pa.Array:
    """Integers as decimal strings."""
    return pc.cast(pa.array(numbers, pa.int64()), pa.string())


def record_ids(keys: pa.Array) -> pa.Array:
    """Record ids of the format (`0942:klibnet:<source key>`)."""
    return join(PREFIX, keys)


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """date32 from days since 1970."""
    return pa.array(days.astype(np.int32), pa.date32(), mask=null)


def month_start(months: np.ndarray) -> np.ndarray:
    """The first day (days since 1970) of months counted since January 1970."""
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def money(cents: np.ndarray) -> pa.Array:
    """decimal128(12, 2) from integer cents, built from its two 64-bit words (exact)."""
    cents = cents.astype(np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    return pa.Array.from_buffers(
        pa.decimal128(12, 2), len(cents), [None, pa.py_buffer(words.tobytes())]
    )


def ahvn13(numbers: np.ndarray, wrong: np.ndarray | None = None) -> pa.Array:
    """An AHVN13 per person number (as `sample_data.population.ahvn13_for`), vectorised.

    Valid and unique per number; where `wrong`, the check digit is off by one.
    """
    body = (numbers.astype(np.int64) * 7_654_321 + 123_456_789) % 1_000_000_000
    digits = np.empty((len(body), 12), dtype=np.int64)
    digits[:, 0], digits[:, 1], digits[:, 2] = 7, 5, 6
    for position in range(9):
        digits[:, 11 - position] = (body // 10**position) % 10
    check = (10 - (digits @ np.array([1, 3] * 6, dtype=np.int64)) % 10) % 10
    if wrong is not None:
        check = np.where(wrong, (check + 1) % 10, check)
    return text(7_560_000_000_000 + body * 10 + check)


def table(name: str, columns: dict[str, Any]) -> pa.Table:
    """A table of the format from its columns (missing nullable columns are an error)."""
    return pa.table(columns, schema=TABLES[name].arrow_schema)


def lineage(keys: pa.Array) -> dict[str, Any]:
    """The lineage columns of rows with these source keys."""
    n = len(keys)
    return {
        "source_system": pa.array(np.full(n, SYSTEM)),
        "source_key": keys,
        "service_id": pa.array(np.full(n, SERVICE)),
    }


def active_staff(count: int) -> int:
    """Staff 1..active are active; the others left and only have closed cases."""
    return max(1, int(count * 0.95))


def staff_table(count: int, given_names: tuple[str, ...]) -> pa.Table:
    """`count` staff members: mostly social workers, some assistants, heads and intake."""
    numbers = np.arange(1, count + 1)
    keys = join("S", text(numbers))
    role = np.where(numbers % 10 == 0, 1, np.where(numbers % 25 == 0, 2, 0))
    role[numbers % 17 == 0] = 3
    return table(
        "staff",
        {
            "staff_id": record_ids(keys),
            **lineage(keys),
            "short_name": join("SW", text(numbers)),
            "family_name": pick(FAMILY, numbers % len(FAMILY)),
            "given_name": pick(given_names, numbers % len(given_names)),
            "role": pick(STAFF_ROLES, role),
            "active": pa.array(numbers <= active_staff(count)),
        },
    )
