"""The error hierarchy and the shared format checks."""

from __future__ import annotations

import pickle

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given
from hypothesis import strategies as st
from stdnum.ch import ssn

from nffs_migration.errors import (
    DataErrors,
    NffsError,
    PackageError,
    SourceError,
    SourceUnavailable,
    TargetUnavailable,
)
from nffs_migration.intermediate_format.definition import POSTAL_CODE, RECORD_ID, SERVICE_ID
from nffs_migration.intermediate_format.formats import (
    ahvn13_compact,
    ahvn13_valid,
    ahvn13_valid_array,
    codes_valid_array,
    pattern_valid_array,
)
from nffs_migration.intermediate_format.safepath import UnsafePath, safe_relative


def test_errors_say_whether_a_retry_helps_and_their_exit_code() -> None:
    assert SourceUnavailable("db down").retryable and TargetUnavailable("x").retryable
    assert not SourceError("broken file").retryable and not PackageError("x").retryable
    assert PackageError("x").exit_code == 2 and DataErrors("x").exit_code == 1
    assert all(issubclass(c, NffsError) for c in (SourceError, PackageError, DataErrors))


def test_errors_pickle_with_their_context() -> None:
    error = SourceUnavailable("connection lost", table="tblKlient", attempt=2)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is SourceUnavailable
    assert copy.message == "connection lost" and copy.context == {
        "table": "tblKlient",
        "attempt": 2,
    }


digits = st.text(alphabet="0123456789", min_size=0, max_size=15)


@given(
    st.lists(
        st.one_of(digits.map(lambda d: "756" + d), st.none(), st.text(max_size=16)), max_size=40
    )
)
def test_vectorised_ahvn13_check_agrees_with_stdnum(values: list[str | None]) -> None:
    result = ahvn13_valid_array(pa.array(values, pa.string()))
    expected = [
        True
        if v is None
        else (
            len(v) == 13 and v.isascii() and v.isdigit() and v.startswith("756") and ssn.is_valid(v)
        )
        for v in values
    ]
    assert result.tolist() == expected


#: Pieces that sit on the edges of the record-id shortcut: valid and broken prefixes,
#: RE2 whitespace and what it leaves out (\v, no-break space), newlines, other scripts.
ID_PIECES = st.sampled_from(
    [
        "0942:klibnet:",
        "0942:kiss:",
        "942:klibnet:",
        "0942:klibnet",
        "0942:KLIBNET:",
        "1",
        "x",
        " ",
        "\t",
        "\n",
        "\r",
        "\f",
        "\v",
        "\u00a0",
        "é",
        "🙂",
        ":",
        "/",
        "",
    ]
)


@given(
    st.lists(st.one_of(st.none(), st.lists(ID_PIECES, max_size=5).map("".join)), max_size=30),
    st.sampled_from([RECORD_ID.pattern, SERVICE_ID.pattern, POSTAL_CODE.pattern]),
    st.integers(min_value=1, max_value=4),
)
def test_pattern_shortcuts_agree_with_the_plain_regex(
    values: list[str | None], pattern: str, chunks: int
) -> None:
    # Cut into chunks (and slices of them) as the Parquet reader hands columns over.
    array = pa.array(values, pa.string())
    step = max(1, len(values) // chunks)
    column = pa.chunked_array(
        [array.slice(i, step) for i in range(0, len(values), step)] or [array], pa.string()
    )
    expected = pc.fill_null(pc.match_substring_regex(array, pattern), True)
    assert pattern_valid_array(column, pattern).tolist() == expected.to_pylist()


@given(st.lists(st.one_of(st.none(), st.sampled_from(["A", "B", "C", "a", "", " A"])), max_size=30))
def test_code_shortcut_agrees_with_is_in(values: list[str | None]) -> None:
    array = pa.array(values, pa.string())
    expected = pc.or_(pc.is_in(array, value_set=pa.array(["A", "B"])), pc.is_null(array))
    assert codes_valid_array(array, ("A", "B")).tolist() == expected.to_pylist()


def test_record_id_shortcut_decides_common_ids_without_the_regex() -> None:
    ids = pa.array([f"0942:klibnet:{i}" for i in range(1000)] + ["0942:klibnet: 1", None])
    assert pattern_valid_array(ids, RECORD_ID.pattern).tolist() == [True] * 1000 + [False, True]
    assert not np.asarray(pattern_valid_array(pa.array(["0942:x:1"]), RECORD_ID.pattern)).any()


def test_ahvn13_known_values() -> None:
    assert ahvn13_valid("7561234567897")
    assert not ahvn13_valid("7561234567890")
    assert not ahvn13_valid("756.1234.5678.97")
    assert ahvn13_compact("756.1234.5678.97") == "7561234567897"
    assert ahvn13_compact(" 756 1234 5678 97 ") == "7561234567897"


@given(st.text(max_size=30))
def test_safe_relative_never_returns_a_path_that_leaves_its_root(path: str) -> None:
    try:
        result = safe_relative(path, windows=True)
    except UnsafePath:
        return
    assert not result.is_absolute() and ".." not in result.parts and result.parts


def test_safe_relative_refuses_the_classic_escapes() -> None:
    for bad in ("../x", "/etc/passwd", "C:\\x", "a\\..\\..\\b", "", "a/../../b", "x\x00y"):
        try:
            safe_relative(bad, windows=True)
        except UnsafePath:
            continue
        raise AssertionError(bad)
    assert str(safe_relative("Dossiers\\2020\\a.pdf", windows=True)) == "Dossiers/2020/a.pdf"
