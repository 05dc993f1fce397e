"""A large Tutoris export read in two parts on two cores gives the package one reading gives.

`NFFS_TUTORIS_SPLIT_BYTES=1` makes every export "large" here; `off` reads it in one. The
packages are compared by content (`package_digests`; rejects as sets) and by their findings; a cut that
the byte search puts in the wrong place, and broken XML on either side of the cut, fall
back to one reading with its errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import package_digests
import pytest
from hypothesis import given
from hypothesis import strategies as st
from package_digests import digest_package
from test_extract_tutoris import HEAD, STAFF, case, person, write_export

from nffs_migration.errors import ConfigurationError, SourceError
from nffs_migration.extractors import get_extractor
from nffs_migration.extractors.run import extract_package
from nffs_migration.extractors.tutoris import parts
from nffs_migration.intermediate_format import open_package
from nffs_migration.sample_data.generate import generate
from nffs_migration.sample_data.tutoris_hostile import write_hostile_files


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Per reading in two parts tried, whether it held (False: read again in one)."""
    held: list[bool] = []
    real = parts.read_in_two

    def spy(*args: Any) -> Any:
        read = real(*args)
        held.append(read is not None)
        return read

    monkeypatch.setattr(parts, "read_in_two", spy)
    return held


def _extract(
    export: Path, out: Path, documents: Path | None = None, **options: Any
) -> dict[str, Any]:
    extractor = get_extractor("tutoris")
    opts = extractor.options_class(
        source=str(export), documents=documents, service_id="0942", **options
    )
    extract_package(extractor, opts, out)
    return _content(out)


def _content(out: Path) -> dict[str, Any]:
    """The package's tables, key sets and accounting (digests), its rejects and findings.

    A table's rejects are grouped by rule within each chunk, so their order follows the
    chunks (as it does with another `chunk_rows`): they are compared as sets.
    """
    findings = json.loads((out / "reports" / "extract-findings.json").read_text())["findings"]
    with open_package(out) as package:
        rejects = {
            name: sorted(
                json.dumps(row, sort_keys=True) for row in package.rejects(name).to_pylist()
            )
            for name in package.manifest.rejects
        }
    digests = {k: v for k, v in digest_package(out).items() if not k.startswith("rejects/")}
    return {
        "digests": digests,
        "rejects": rejects,
        "findings": sorted(json.dumps(f, sort_keys=True) for f in findings),
    }


def _both(
    monkeypatch: pytest.MonkeyPatch,
    export: Path,
    work: Path,
    documents: Path | None = None,
    **options: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The package read in one, then in two parts."""
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "off")
    one = _extract(export, work / "one", documents, **options)
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "1")
    two = _extract(export, work / "two", documents, **options)
    return one, two


@pytest.mark.parametrize("dirt", ["realistic", "heavy"])
def test_a_generated_export_gives_the_same_package_in_two_parts(
    dirt: str, monkeypatch: pytest.MonkeyPatch, reads: list[bool], tmp_path: Path
) -> None:
    source = generate("tutoris", tmp_path / "src", cases=80, seed=7, dirt=dirt)
    one, two = _both(monkeypatch, source.out / "export.xml", tmp_path, source.out)
    assert reads == [True]
    assert two == one


def test_chunks_of_few_rows_on_both_sides_give_the_same_package(
    monkeypatch: pytest.MonkeyPatch, reads: list[bool], tmp_path: Path
) -> None:
    source = generate("tutoris", tmp_path / "src", cases=60, seed=3, dirt="realistic")
    export = source.out / "export.xml"
    one, two = _both(monkeypatch, export, tmp_path, source.out, chunk_rows=100)
    assert reads == [True]
    assert two == one


def test_a_delta_export_gives_the_same_delta_in_two_parts(
    monkeypatch: pytest.MonkeyPatch, reads: list[bool], tmp_path: Path
) -> None:
    found = []
    for split in ("off", "1"):
        monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", split)
        delta = package_digests._delta("tutoris", tmp_path / split)
        with open_package(delta) as package:
            assert package.manifest.batch.kind == "delta"
        found.append(_content(delta))
    assert reads == [True, True]  # the full export, then the delta
    assert found[1] == found[0]


def _cases(count: int, start: int = 1) -> str:
    return "".join(case(f"2020-{n:04d}", [f"P-{n}"]) for n in range(start, start + count))


def test_duplicates_and_statuses_across_the_cut_are_those_of_one_reading(
    monkeypatch: pytest.MonkeyPatch, reads: list[bool], tmp_path: Path
) -> None:
    # Case 2020-0001 comes again at the end (the later wins); P-2's only case, closed long
    # ago, is in the second part (P-2 goes with it); 2020-0003 twice in the second part.
    persons = "".join(person(f"P-{n}") for n in range(1, 41))
    closed = case("2020-0002", ["P-2"]).replace('abgeschlossen=""', 'abgeschlossen="01.01.2001"')
    cases = case("2020-0001", ["P-1"]) + _cases(36, start=4) + closed
    cases += case("2020-0003", ["P-3"]) + case("2020-0003", ["P-3"]) + case("2020-0001", ["P-40"])
    export = write_export(tmp_path / "src", persons, cases)
    assert export.read_bytes().find(b'<Fall nr="2020-0002"') > parts.CUT_AT * export.stat().st_size
    one, two = _both(monkeypatch, export, tmp_path)
    assert reads == [True]
    assert two == one
    with open_package(tmp_path / "two") as package:
        members = {key.rsplit(":", 1)[1] for key in package.frame("case_members")["case_member_id"]}
        persons = {key.rsplit(":", 1)[1] for key in package.frame("persons")["person_id"]}
        accounting = package.manifest.accounting
    assert {m for m in members if m.startswith("2020-0001/")} == {"2020-0001/member/P-40"}
    assert "P-2" not in persons and "P-3" in persons
    assert accounting["Fall"].rejected == 2  # the earlier 2020-0001 and 2020-0003


@pytest.mark.parametrize("hiding", ["cdata", "comment"])
def test_a_cut_inside_text_or_a_comment_falls_back_to_one_reading(
    hiding: str, monkeypatch: pytest.MonkeyPatch, reads: list[bool], tmp_path: Path
) -> None:
    # From the middle of the file on, the first `<Fall ` stands in a journal text or a
    # comment: the first part does not close there, and the export is read in one.
    fake = '<Fall nr="X-1">' * 4000
    hidden = f"<![CDATA[{fake}]]>" if hiding == "cdata" else f"<!-- {fake} -->"
    big = case("2020-0001", ["P-1"]).replace("<![CDATA[a < b & c]]>", hidden)
    export = write_export(tmp_path / "src", person("P-1"), big + case("2020-0002", ["P-1"]))
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "1")
    at = parts.plan(export)
    assert at is not None
    assert export.read_bytes()[at.at : at.at + 15] == b'<Fall nr="X-1">'
    one, two = _both(monkeypatch, export, tmp_path)
    assert reads == [False]
    assert two == one


@pytest.mark.parametrize("interpreter", ["/bin/false", "/nonexistent/python"])
def test_a_second_process_that_does_not_start_or_answer_falls_back_to_one_reading(
    interpreter: str, monkeypatch: pytest.MonkeyPatch, reads: list[bool], tmp_path: Path
) -> None:
    export = write_export(tmp_path / "src", person("P-1"), _cases(30))
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "off")
    one = _extract(export, tmp_path / "one")
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "1")
    monkeypatch.setattr(sys, "executable", interpreter)
    two = _extract(export, tmp_path / "two")
    assert reads == [False]
    assert two == one
    assert not list((tmp_path).glob(".tutoris-chunks-*"))


def _error(export: Path, out: Path) -> str:
    extractor = get_extractor("tutoris")
    options = extractor.options_class(source=str(export), service_id="0942")
    with pytest.raises(SourceError) as raised:
        extract_package(extractor, options, out)
    assert not out.exists()
    return str(raised.value)


@pytest.mark.parametrize("where", [0.2, 0.9])
def test_broken_xml_on_either_side_of_the_cut_gives_the_error_of_one_reading(
    where: float, monkeypatch: pytest.MonkeyPatch, reads: list[bool], tmp_path: Path
) -> None:
    # Large enough that the error lies beyond what lxml reads before the root element.
    export = write_export(tmp_path / "src", person("P-1"), _cases(300))
    data = export.read_bytes()
    at = data.find(b"<Budget ", int(len(data) * where))
    export.write_bytes(data[:at] + b"<Budget <" + data[at + 8 :])
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "off")
    alone = _error(export, tmp_path / "one")
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "1")
    assert _error(export, tmp_path / "two") == alone
    assert reads == [False]
    assert "line " in alone


def test_every_hostile_file_is_refused_as_in_one_reading(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = write_hostile_files(tmp_path / "hostile")
    for name, path in files.items():
        monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "off")
        alone = _error(path, tmp_path / f"{name}-one")
        monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "1")
        assert _error(path, tmp_path / f"{name}-two") == alone, name


def test_exports_read_in_one(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    export = write_export(tmp_path / "src", person("P-1"), _cases(10))
    text = export.read_bytes()
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "off")
    assert parts.plan(export) is None
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", str(len(text) + 1))
    assert parts.plan(export) is None  # smaller than the setting
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", str(len(text)))
    cut = parts.plan(export)
    assert cut is not None and text[cut.at :].startswith(b'<Fall nr="2020-')
    assert cut.head == text[: text.index(b">", text.index(b"<TutorisExport")) + 1]
    namespaced = tmp_path / "namespaced.xml"
    namespaced.write_bytes(text.replace(b"<TutorisExport ", b'<TutorisExport xmlns="urn:x" ', 1))
    assert parts.plan(namespaced) is None
    utf16 = tmp_path / "utf16.xml"
    utf16.write_bytes(text.decode("latin-1").replace("ISO-8859-1", "UTF-16").encode("utf-16"))
    assert parts.plan(utf16) is None
    ebcdic = tmp_path / "ebcdic.xml"
    ebcdic.write_bytes(text.replace(b"ISO-8859-1", b"IBM037", 1))
    assert parts.plan(ebcdic) is None
    no_case = tmp_path / "no-case.xml"
    no_case.write_bytes((HEAD.format(full="true") + STAFF + "</TutorisExport>").encode())
    assert parts.plan(no_case) is None
    monkeypatch.setenv("NFFS_TUTORIS_SPLIT_BYTES", "half")
    with pytest.raises(ConfigurationError, match="NFFS_TUTORIS_SPLIT_BYTES"):
        parts.plan(export)


@given(
    pieces=st.lists(
        st.one_of(st.binary(max_size=40), st.tuples(st.integers(0, 120), st.integers(0, 60))),
        max_size=6,
    ),
    sizes=st.lists(st.integers(1, 50), min_size=1, max_size=8),
)
def test_a_part_reads_its_pieces_one_after_the_other(
    pieces: list[bytes | tuple[int, int]], sizes: list[int], tmp_path_factory: Any
) -> None:
    data = bytes(range(100))
    path = tmp_path_factory.mktemp("part") / "file"
    path.write_bytes(data)
    spans: list[bytes | tuple[int, int | None]] = []
    expected = b""
    for piece in pieces:
        if isinstance(piece, bytes):
            spans.append(piece)
            expected += piece
        else:
            start, length = piece
            end = None if length == 0 else start + length
            spans.append((start, end))
            expected += data[start:end]
    with path.open("rb") as handle:
        part = parts._Part(handle, spans)
        read = b""
        for size in sizes * 40:
            got = part.read(size)
            assert len(got) <= size
            if not got:
                break
            read += got
        read += part.read()
    assert read == expected
