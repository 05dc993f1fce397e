"""Properties of the comparison functions: names, phonetic codes, birth dates, scores."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nffs_migration.identity import compare

names = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüéèàçABCDEFGHÄÖÜ -'"), max_size=20
)
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))


def _ymd(day: date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def _birth(left: date, right: date, lp: str = "day", rp: str = "day") -> str:
    code = compare.birth_agreement(
        np.array([_ymd(left)]), np.array([_ymd(right)]), np.array([lp]), np.array([rp])
    )
    return compare.BIRTH_CODES[int(code[0])]


@given(names)
def test_normalised_names_are_lower_case_ascii_words_and_stable(name: str) -> None:
    folded = compare.normalise_name(name)
    assert folded == compare.normalise_name(folded)
    assert folded.isascii()
    assert folded == folded.lower()
    assert "  " not in folded and folded == folded.strip()


@given(st.sampled_from(["Müller", "Jäggi", "Schürch", "Bögli"]))
def test_an_umlaut_and_its_spelled_out_form_are_one_name(name: str) -> None:
    spelled = name.replace("ü", "ue").replace("ä", "ae").replace("ö", "oe")
    assert compare.normalise_name(name) == compare.normalise_name(spelled)
    assert compare.phonetic(name) == compare.phonetic(spelled)


def test_cologne_phonetics_groups_the_spellings_of_one_name() -> None:
    assert compare.phonetic("Meier") == compare.phonetic("Mayer") == compare.phonetic("Meyer")
    assert compare.phonetic("Schmid") == compare.phonetic("Schmidt")
    assert compare.phonetic("Müller-Meier") == compare.phonetic("Müller")
    assert compare.phonetic("Keller") != compare.phonetic("Müller")
    assert compare.phonetic("") == compare.phonetic(None) == ""


@given(names)
def test_phonetic_codes_are_digits(name: str) -> None:
    assert compare.phonetic(name).isdigit() or compare.phonetic(name) == ""


@given(st.lists(st.tuples(names, names), min_size=1, max_size=20))
def test_name_similarity_is_symmetric_bounded_and_one_for_equal_names(
    pairs: list[tuple[str, str]],
) -> None:
    left = [compare.normalise_name(a) for a, _ in pairs]
    right = [compare.normalise_name(b) for _, b in pairs]
    forward = compare.name_similarity(left, right)
    backward = compare.name_similarity(right, left)
    assert np.allclose(forward, backward)
    assert ((forward >= 0) & (forward <= 1)).all()
    same = compare.name_similarity(left, left)
    assert all(s == 1.0 for s, name in zip(same, left, strict=True) if name)


def test_a_double_name_is_close_to_its_parts() -> None:
    scores = compare.name_similarity(["mueller meier", "meier"], ["mueller", "mueller meier"])
    assert (scores >= 0.95).all()


@given(days)
def test_the_same_birth_date_agrees_exactly(day: date) -> None:
    assert _birth(day, day) == "exact"


@given(days)
def test_day_and_month_exchanged_is_a_swap(day: date) -> None:
    if day.day > 12 or day.day == day.month:
        return
    swapped = date(day.year, day.day, day.month)
    assert _birth(day, swapped) == _birth(swapped, day) == "swap"


@given(days, st.integers(0, 7), st.integers(1, 9))
def test_one_wrong_digit_is_one_digit_off(day: date, position: int, change: int) -> None:
    text = f"{_ymd(day):08d}"
    digit = (int(text[position]) + change) % 10
    other = text[:position] + str(digit) + text[position + 1 :]
    try:
        typo = date(int(other[:4]), int(other[4:6]), int(other[6:]))
    except ValueError:
        return  # not a date
    swapped = day.day <= 12 and typo == date(day.year, day.day, day.month)
    expected = "swap" if swapped else "one_digit"
    assert _birth(day, typo) == expected


@given(days, st.integers(40, 4000))
def test_dates_far_apart_differ(day: date, gap: int) -> None:
    other = day + timedelta(days=gap)
    differing = sum(a != b for a, b in zip(f"{_ymd(day):08d}", f"{_ymd(other):08d}", strict=True))
    swapped = day.day <= 12 and other == date(day.year, day.day, day.month)
    if differing > 1 and not swapped:
        assert _birth(day, other) == "differs"


@given(days, days)
def test_a_date_known_to_the_year_is_compared_by_its_year(left: date, right: date) -> None:
    assert _birth(left, right, "year", "day") == ("year" if left.year == right.year else "differs")


@given(days)
def test_an_unknown_birth_date_is_missing(day: date) -> None:
    assert _birth(day, day, "unknown", "day") == "missing"


components = st.floats(0, 1, allow_nan=False)


@given(components, components, st.integers(0, len(compare.BIRTH_CODES) - 1), st.integers(0, 2))
def test_scores_lie_between_zero_and_one_and_grow_with_agreement(
    family: float, given_: float, birth: int, sex: int
) -> None:
    base = compare.score(np.array([family]), np.array([given_]), np.array([birth]), np.array([sex]))
    assert 0.0 <= base[0] <= 1.0
    better = compare.score(
        np.array([1.0]),
        np.array([1.0]),
        np.array([compare.BIRTH_CODES.index("exact")]),
        np.array([compare.SEX_CODES.index("equal")]),
    )
    assert better[0] == 1.0 >= base[0]


def test_sex_agreement_treats_unknown_as_neither() -> None:
    codes = compare.sex_agreement(np.array(["1", "1", "3", "2"]), np.array(["1", "2", "1", "2"]))
    assert [compare.SEX_CODES[c] for c in codes] == ["equal", "differs", "unknown", "equal"]
