"""How two person records are compared: normalised names, phonetic codes, agreement scores.

Names are folded to lower-case ASCII (`ä` → `ae`, accents dropped, hyphens and
apostrophes to spaces) before they are compared. Blocking uses the Cologne phonetics
(Kölner Phonetik, `cologne-phonetics`), which suits German names and is lenient with the
French ones. Scores use rapidfuzz's Jaro-Winkler similarity, computed pairwise in C over
whole columns (`rapidfuzz.process.cpdist`). Every function here works on columns
(numpy arrays or lists of the same length); names are encoded once per distinct value.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import cologne_phonetics
import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

#: Weights of the components of a pair's score (they sum to 1).
WEIGHTS = {"family": 0.35, "given": 0.25, "birth": 0.30, "sex": 0.10}

#: Agreement of two birth dates, and what each is worth in the score.
BIRTH_SCORES = {
    "exact": 1.0,
    "month": 0.85,  # both known to the month only (or one), and the months agree
    "swap": 0.8,  # day and month exchanged
    "one_digit": 0.7,  # one digit of YYYYMMDD differs
    "year": 0.7,  # known to the year only, and the years agree
    "missing": 0.4,  # one or both unknown
    "differs": 0.0,
}
BIRTH_CODES = tuple(BIRTH_SCORES)
SEX_SCORES = {"equal": 1.0, "unknown": 0.5, "differs": 0.0}
SEX_CODES = tuple(SEX_SCORES)

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe"})


def normalise_name(value: str | None) -> str:
    """A name folded for comparison: lower-case ASCII letters and single spaces."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", value).casefold().translate(_FOLD)
    text = unicodedata.normalize("NFKD", text)
    letters = [
        c if c.isascii() and c.isalpha() else " " for c in text if not unicodedata.combining(c)
    ]
    return " ".join("".join(letters).split())


def phonetic(value: str | None) -> str:
    """The Cologne phonetic code of a name's first part ('' for an empty name).

    Only the first part counts, so that a double name (`Müller Meier`) meets its
    first name alone (`Müller`) in the same block.
    """
    name = normalise_name(value)
    if not name:
        return ""
    for _part, code in cologne_phonetics.encode(name.split()[0]):
        if code:
            return str(code)
    return ""


def encode_distinct(values: Iterable[str | None], function: object) -> dict[str | None, str]:
    """`function` applied once per distinct value (names repeat a lot in a canton)."""
    apply = function  # typed loosely: normalise_name or phonetic
    return {value: apply(value) for value in set(values)}  # type: ignore[operator]


def name_similarity(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """Jaro-Winkler similarity (0..1) of normalised names, pair by pair.

    A double name against one of its parts counts as 0.95: a married name is often
    recorded with or without the maiden name.
    """
    if not len(left):
        return np.zeros(0, dtype=np.float64)
    scores = np.asarray(
        process.cpdist(
            list(left), list(right), scorer=JaroWinkler.normalized_similarity, workers=-1
        ),
        dtype=np.float64,
    )
    partial = np.fromiter(
        (
            a != b and bool(a) and bool(b) and (f" {a} " in f" {b} " or f" {b} " in f" {a} ")
            for a, b in zip(left, right, strict=True)
        ),
        dtype=bool,
        count=len(left),
    )
    empty = np.fromiter((not a or not b for a, b in zip(left, right, strict=True)), bool, len(left))
    scores = np.where(partial, np.maximum(scores, 0.95), scores)
    return np.where(empty, 0.0, scores)


def birth_agreement(
    left_ymd: np.ndarray,
    right_ymd: np.ndarray,
    left_precision: np.ndarray,
    right_precision: np.ndarray,
) -> np.ndarray:
    """How two birth dates agree, as an index into `BIRTH_CODES`, pair by pair.

    Dates are integers YYYYMMDD (0 when unknown); precisions are `day`, `month`, `year`
    or `unknown`. A date known to the month or year is compared to that precision.
    """
    left = np.asarray(left_ymd, dtype=np.int64)
    right = np.asarray(right_ymd, dtype=np.int64)
    lp = np.asarray(left_precision, dtype=object)
    rp = np.asarray(right_precision, dtype=object)
    code = np.full(len(left), BIRTH_CODES.index("differs"), dtype=np.int8)
    missing = (left == 0) | (right == 0) | (lp == "unknown") | (rp == "unknown")
    coarse_year = (lp == "year") | (rp == "year")
    coarse_month = ~coarse_year & ((lp == "month") | (rp == "month"))
    ly, lm, ld = left // 10_000, left // 100 % 100, left % 100
    ry, rm, rd = right // 10_000, right // 100 % 100, right % 100
    differing = np.zeros(len(left), dtype=np.int64)
    for power in range(8):
        differing += (left // 10**power % 10) != (right // 10**power % 10)
    swap = (ly == ry) & (lm == rd) & (ld == rm) & (lm != ld)
    exact = left == right
    rules = [
        (missing, "missing"),
        (coarse_year & (ly == ry), "year"),
        (coarse_year, "differs"),
        (coarse_month & (ly == ry) & (lm == rm), "month"),
        (coarse_month, "differs"),
        (exact, "exact"),
        (swap, "swap"),
        (differing == 1, "one_digit"),
    ]
    decided = np.zeros(len(left), dtype=bool)
    for condition, name in rules:
        take = condition & ~decided
        code[take] = BIRTH_CODES.index(name)
        decided |= take
    return code


def sex_agreement(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """How two eCH-0044 sex codes agree, as an index into `SEX_CODES`."""
    lv = np.asarray(left, dtype=object)
    rv = np.asarray(right, dtype=object)
    known = np.isin(lv, ["1", "2"]) & np.isin(rv, ["1", "2"])
    code = np.full(len(lv), SEX_CODES.index("unknown"), dtype=np.int8)
    code[known & (lv == rv)] = SEX_CODES.index("equal")
    code[known & (lv != rv)] = SEX_CODES.index("differs")
    return code


def score(
    family: np.ndarray, given: np.ndarray, birth_code: np.ndarray, sex_code: np.ndarray
) -> np.ndarray:
    """The weighted score (0..1) of pairs from their components."""
    birth_values = np.array(list(BIRTH_SCORES.values()))[birth_code]
    sex_values = np.array(list(SEX_SCORES.values()))[sex_code]
    total = (
        WEIGHTS["family"] * np.asarray(family)
        + WEIGHTS["given"] * np.asarray(given)
        + WEIGHTS["birth"] * birth_values
        + WEIGHTS["sex"] * sex_values
    )
    return np.round(total, 4)


__all__ = [
    "BIRTH_CODES",
    "BIRTH_SCORES",
    "SEX_CODES",
    "SEX_SCORES",
    "WEIGHTS",
    "birth_agreement",
    "encode_distinct",
    "name_similarity",
    "normalise_name",
    "phonetic",
    "score",
    "sex_agreement",
]
