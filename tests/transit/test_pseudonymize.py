"""Pseudonymised packages: no original value left, same structure, same validation."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest
from extractor_kit import extract
from hypothesis import given, settings
from hypothesis import strategies as st
from striprtf.striprtf import rtf_to_text
from test_extract_klibnet import klibnet_options

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format import TABLES, open_package
from nffs_migration.intermediate_format.formats import ahvn13_valid
from nffs_migration.sample_data.generate import GeneratedSource, generate
from nffs_migration.transit.fake_documents import fake_content
from nffs_migration.transit.pseudonymize import (
    pseudonymize_package,
    read_key,
    write_new_key,
)
from nffs_migration.transit.pseudonyms import (
    DigitPermutation,
    NumberPseudonyms,
    Pseudonyms,
    ahvn13_check_digit,
)
from nffs_migration.validators import validate_package

KEY = b"k" * 16 + b"e" * 16
OTHER_KEY = b"another key of at least 32 bytes!"
PARTICLES = {"von", "de", "du", "la", "le", "al", "van", "di", "da"}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> GeneratedSource:
    return generate("klibnet", tmp_path_factory.mktemp("klibnet") / "source", cases=100, seed=17)


@pytest.fixture(scope="module")
def packages(source: GeneratedSource, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("packages")
    extract("klibnet", source, klibnet_options, root / "original")
    pseudonymize_package(root / "original", root / "one", KEY)
    pseudonymize_package(root / "original", root / "again.zip", KEY)
    pseudonymize_package(root / "original", root / "other", OTHER_KEY)
    return {name: root / name for name in ("original", "one", "again.zip", "other")}


def _frames(package: Path) -> dict[str, pd.DataFrame]:
    with open_package(package) as opened:
        return {name: opened.frame(name) for name in TABLES}


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def _source_values(source: GeneratedSource) -> dict[str, set[str]]:
    """The personal values of the legacy database, read with sqlite3 (not the package)."""
    with sqlite3.connect(source.out / "klibnet.sqlite") as db:

        def column(sql: str) -> list[str]:
            return [row[0] for row in db.execute(sql) if row[0] is not None and str(row[0]).strip()]

        texts = [
            rtf_to_text(t) if t.lstrip().startswith("{\\rtf") else t
            for t in column('SELECT "Text" FROM "tblJournal"')
        ]
        return {
            "names": {
                _norm(v)
                for v in column('SELECT "Name" FROM "tblKlient"')
                + column('SELECT "Vorname" FROM "tblKlient"')
                + column('SELECT "Name" FROM "tblMitarbeiter"')
                + column('SELECT "Vorname" FROM "tblMitarbeiter"')
            },
            "ahv": {re.sub(r"[\s.\-]", "", v) for v in column('SELECT "AHVNr" FROM "tblKlient"')},
            "streets": {_norm(v) for v in column('SELECT "Strasse" FROM "tblAdresse"')},
            "subjects": {_norm(v) for v in column('SELECT "Betreff" FROM "tblJournal"')},
            "titles": {_norm(v) for v in column('SELECT "Titel" FROM "tblDokument"')},
            "sentences": {
                s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s) > 8
            },
        }


def _string_cells(frames: dict[str, pd.DataFrame]) -> list[str]:
    cells: list[str] = []
    for frame in frames.values():
        for _name, series in frame.items():
            if isinstance(series.dtype, pd.ArrowDtype) and pa.types.is_string(
                series.dtype.pyarrow_dtype
            ):
                cells.extend(str(v) for v in series.dropna())
    return cells


def test_no_original_name_ahv_street_or_text_of_the_source_remains(
    source: GeneratedSource, packages: dict[str, Path]
) -> None:
    originals = _source_values(source)
    assert len(originals["names"]) > 50 and len(originals["ahv"]) > 100
    cells = _string_cells(_frames(packages["one"]))
    normalised = {_norm(c) for c in cells}
    for kind in ("names", "ahv", "streets", "subjects", "titles"):
        assert not (normalised & originals[kind]), kind
    name_words = {w for v in originals["names"] for w in re.split(r"[\s\-']+", v)} - PARTICLES
    cell_words = {w for c in normalised for w in re.split(r"[^\w]+", c)}
    assert not (name_words & cell_words)
    everything = "\n".join(cells)
    assert not [s for s in originals["sentences"] if s in everything]
    # ... nor in any document file
    needles = [n.encode() for n in name_words if len(n) >= 5]
    needles += [v.encode() for v in originals["ahv"]]
    files = [p for p in (packages["one"] / "documents").rglob("*") if p.is_file()]
    assert files
    for path in files:
        content = path.read_bytes().lower()
        assert not [n for n in needles if n in content], path.name


def test_no_document_keeps_its_original_content(packages: dict[str, Path]) -> None:
    def contents(package: Path) -> dict[str, bytes]:
        return {
            p.relative_to(package).as_posix(): p.read_bytes()
            for p in (package / "documents").rglob("*")
            if p.is_file()
        }

    before, after = contents(packages["original"]), contents(packages["one"])
    assert before.keys() == after.keys()
    for file, content in before.items():
        assert len(after[file]) == len(content)
        if content:
            assert after[file] != content
            assert after[file][:4] == content[:4]  # same file type (%PDF, JPEG marker)


def test_fake_ahv_numbers_are_valid_and_one_to_one_per_original(packages: dict[str, Path]) -> None:
    original = _frames(packages["original"])["persons"].set_index("person_id")
    fake = _frames(packages["one"])["persons"].set_index("person_id")
    joined = original[["ahvn13", "old_ahv_number"]].merge(
        fake[["ahvn13", "old_ahv_number"]],
        left_index=True,
        right_index=True,
        suffixes=("", "_fake"),
    )
    present = joined.dropna(subset=["ahvn13"])
    assert len(present) > 100
    assert all(ahvn13_valid(v) for v in present["ahvn13_fake"])
    assert present["ahvn13_fake"].notna().all()
    assert (present.groupby("ahvn13")["ahvn13_fake"].nunique() == 1).all()
    assert present.drop_duplicates("ahvn13")["ahvn13_fake"].is_unique
    assert joined["ahvn13_fake"].isna().equals(joined["ahvn13"].isna())
    old = joined.dropna(subset=["old_ahv_number"])
    assert len(old) >= 1
    assert all(len(v) == 11 and v.isdigit() for v in old["old_ahv_number_fake"])
    assert not set(old["old_ahv_number"]) & set(old["old_ahv_number_fake"])


def test_same_key_gives_the_same_fakes_and_another_key_other_fakes(
    packages: dict[str, Path],
) -> None:
    one, again, other = (_frames(packages[n]) for n in ("one", "again.zip", "other"))
    for name in TABLES:
        pd.testing.assert_frame_equal(one[name], again[name], obj=name)
    first = one["persons"].set_index("person_id")["ahvn13"].dropna()
    second = other["persons"].set_index("person_id")["ahvn13"].reindex(first.index)
    assert (first != second).all()
    assert (
        one["persons"]["family_name"].dropna() != other["persons"]["family_name"].dropna()
    ).mean() > 0.9


def test_validation_gives_the_same_findings_rule_by_rule(packages: dict[str, Path]) -> None:
    before = validate_package(packages["original"], write=False).report
    after = validate_package(packages["one"], write=False).report
    assert after.summary == before.summary
    assert {r.id: (r.checked, r.failed) for r in after.rules} == {
        r.id: (r.checked, r.failed) for r in before.rules
    }
    assert sorted(after.flatten(("rule_id", "record_id"))) == sorted(
        before.flatten(("rule_id", "record_id"))
    )
    assert sum(r.failed for r in before.rules) > 20


def test_counts_sums_keys_codes_rejects_and_accounting_are_kept(packages: dict[str, Path]) -> None:
    before, after = _frames(packages["original"]), _frames(packages["one"])
    for name, table in TABLES.items():
        assert len(after[name]) == len(before[name]), name
        kept = [c for c in table.column_names if c in ("source_key", table.primary_key)]
        kept += [c.name for c in table.columns if c.codes or c.kind.value in ("money", "integer")]
        kept = [c for c in dict.fromkeys(kept) if not (name == "documents" and c == "size_bytes")]
        pd.testing.assert_frame_equal(after[name][kept], before[name][kept], obj=name)
    for name in ("budget_items", "payments"):
        total = after[name]["amount_chf"].astype(object).sum()
        assert total == before[name]["amount_chf"].astype(object).sum()
        assert isinstance(total, Decimal)
    for name in ("organisation", "cases", "case_members", "budgets", "budget_items", "measures"):
        pd.testing.assert_frame_equal(after[name], before[name], obj=name)
    for name, changed in (("payments", "recipient"), ("journal_entries", ["subject", "text"])):
        pd.testing.assert_frame_equal(
            after[name].drop(columns=changed), before[name].drop(columns=changed), obj=name
        )
    with open_package(packages["original"]) as a, open_package(packages["one"]) as b:
        assert b.manifest.accounting == a.manifest.accounting
        assert b.manifest.exclusion_rules == a.manifest.exclusion_rules
        assert b.manifest.batch == a.manifest.batch
        assert b.manifest.data_as_of == a.manifest.data_as_of
        assert b.manifest.documents == a.manifest.documents
        assert set(b.manifest.rejects) == set(a.manifest.rejects)
        for name in a.manifest.rejects:
            assert b.rejects(name).equals(a.rejects(name))
        assert b.extract_findings().to_dict() == a.extract_findings().to_dict()
        assert not [f for f in b.manifest.files if f.startswith("reports/validation")]


def test_documents_table_checksums_match_the_new_files(packages: dict[str, Path]) -> None:
    with open_package(packages["one"]) as package:
        documents = package.frame("documents")
        assert len(documents) > 50
        for row in documents.itertuples():
            content = package.document_path(row.file).read_bytes()
            assert hashlib.sha256(content).hexdigest() == row.sha256
            assert len(content) == row.size_bytes


def test_birth_dates_move_by_a_bounded_shift_of_their_own_and_addresses_per_household(
    packages: dict[str, Path],
) -> None:
    before, after = _frames(packages["original"]), _frames(packages["one"])

    def days(frame: pd.DataFrame, column: str) -> pd.Series:
        return frame.set_index(frame.columns[0])[column].astype("datetime64[s]")

    shift = (days(after["persons"], "birth_date") - days(before["persons"], "birth_date")).dt.days
    shift = shift.dropna()
    assert shift.abs().max() <= 30 and (shift != 0).mean() > 0.8
    # The shift is drawn from the birth date: people born the same day move alike (in
    # every package under the key), but for the few a clamp holds back.
    born = days(before["persons"], "birth_date").reindex(shift.index)
    per_date = pd.DataFrame({"born": born, "shift": shift}).groupby("born")["shift"].nunique()
    assert (per_date == 1).mean() > 0.97
    # Addresses (and death dates) move by one shift per household.
    moved = (
        days(after["addresses"], "valid_from") - days(before["addresses"], "valid_from")
    ).dt.days.dropna()
    assert moved.abs().max() <= 30 and (moved != 0).mean() > 0.8
    person = before["addresses"].set_index("address_id")["person_id"]
    per_person = moved.groupby(person.reindex(moved.index).to_numpy()).agg(["nunique", "first"])
    assert (per_person["nunique"] == 1).all()
    members = before["case_members"][["case_id", "person_id"]]
    per_case = members.assign(shift=members["person_id"].map(per_person["first"])).dropna()
    assert (per_case.groupby("case_id")["shift"].nunique() == 1).all()


def test_one_person_in_two_packages_keeps_one_fake_birth_date() -> None:
    """Two services' records of one person (other ids, other households) under one key."""
    from datetime import date

    from nffs_migration.transit.pseudonym_dates import birth_offsets

    def offsets(person_id: str, case_id: str, opened: date) -> int:
        persons = pa.table(
            {
                "person_id": [person_id],
                "birth_date": pa.array([date(1981, 4, 7)], pa.date32()),
                "birth_date_precision": ["day"],
            }
        )
        members = pa.table({"case_id": [case_id], "person_id": [person_id], "role": ["lead"]})
        cases = pa.table({"case_id": [case_id], "opened_on": pa.array([opened], pa.date32())})
        return int(birth_offsets(KEY, date(2026, 3, 1), persons, members, cases).iloc[0])

    first = offsets("0942:klibnet:17", "0942:klibnet:3", date(2019, 5, 1))
    second = offsets("0351:kiss:905", "0351:kiss:77", date(2024, 1, 9))
    assert first == second


# -- pseudonyms -------------------------------------------------------------------------

keys = st.binary(min_size=32, max_size=64)
bodies = st.integers(min_value=0, max_value=10**9 - 1)


def _ahv(body: int) -> str:
    first = f"756{body:09d}"
    return f"{first}{ahvn13_check_digit(first)}"


@settings(max_examples=200, deadline=None)
@given(key=keys, body=bodies)
def test_ahv_pseudonym_is_a_valid_13_digit_number_and_deterministic(key: bytes, body: int) -> None:
    original = _ahv(body)
    fake = Pseudonyms(key).ahvn13(original)
    assert len(fake) == 13 and fake.isdigit() and fake.startswith("756")
    assert ahvn13_valid(fake)
    assert Pseudonyms(key).ahvn13(original) == fake
    assert Pseudonyms(key, ahvn13=[original]).ahvn13(original) != original


@settings(max_examples=100, deadline=None)
@given(key=keys, first=bodies, second=bodies)
def test_different_ahv_numbers_never_share_a_pseudonym(key: bytes, first: int, second: int) -> None:
    fakes = Pseudonyms(key, ahvn13=[_ahv(first), _ahv(second)])
    same = fakes.ahvn13(_ahv(first)) == fakes.ahvn13(_ahv(second))
    assert same == (first == second)


@settings(max_examples=100, deadline=None)
@given(key=keys, body=bodies, wrong=st.integers(min_value=1, max_value=9))
def test_a_wrong_check_digit_stays_wrong(key: bytes, body: int, wrong: int) -> None:
    valid = _ahv(body)
    original = valid[:12] + str((int(valid[12]) + wrong) % 10)
    fake = Pseudonyms(key).ahvn13(original)
    assert len(fake) == 13 and not ahvn13_valid(fake)


def test_number_pseudonyms_are_a_permutation_avoiding_the_originals() -> None:
    permutation = DigitPermutation(KEY, "test", 3)
    assert sorted(permutation(v) for v in range(1000)) == list(range(1000))
    originals = list(range(0, 1000, 3))
    fakes = NumberPseudonyms(KEY, "test", 3, originals)
    mapped = [fakes(v) for v in originals]
    assert len(set(mapped)) == len(originals)
    assert not set(mapped) & set(originals)


def test_fake_names_follow_case_particles_and_avoid_the_package_names() -> None:
    taken = ["Müller", "von Gunten", "Anna"]
    fakes = Pseudonyms(KEY, names=taken)
    assert fakes.family_name("MÜLLER").isupper()
    assert fakes.family_name("MÜLLER") == fakes.family_name("Müller").upper()
    assert fakes.family_name("von Gunten").startswith("von ")
    combined = fakes.family_name("Müller-Meier")
    assert combined == f"{fakes.family_name('Müller')}-{fakes.family_name('Meier')}"
    assert fakes.given_name("Anna", "2") != "Anna"
    assert fakes.house_number("12a")[-1] == "a" and len(fakes.house_number("12a")) == 3
    assert len(fakes.short_name("WUETB")) == 5 and fakes.short_name("WUETB").isupper()
    assert fakes.text("text", "   ") == "   "


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=5000),
    suffix=st.sampled_from([".pdf", ".jpg", ".txt", ".rtf", ".docx", ".bin"]),
)
def test_fake_documents_have_the_exact_size_and_the_type_signature(size: int, suffix: str) -> None:
    content = b"".join(fake_content(b"seed", size, suffix))
    assert len(content) == size
    if suffix == ".pdf" and size:
        assert content.startswith(b"%PDF-1.4"[:size])
    if suffix == ".pdf" and content.endswith(b"%%EOF\n"):
        offset = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
        assert content[offset:].startswith(b"xref\n0 6\n")
        entries = content[offset:].split(b"\n")[3:8]
        for number, entry in enumerate(entries, 1):
            at = int(entry[:10])
            assert content[at:].startswith(f"{number} 0 obj".encode())


# -- keys and the command line ------------------------------------------------------------


def test_a_new_key_is_random_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    write_new_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(read_key(path)) == 32
    with pytest.raises(ConfigurationError):
        write_new_key(path)
    write_new_key(tmp_path / "second.key")
    assert read_key(tmp_path / "second.key") != read_key(path)


def test_cli_pseudonymizes_a_package(
    cli: Any, packages: dict[str, Path], source: GeneratedSource, tmp_path: Path
) -> None:
    key = tmp_path / "service.key"
    assert cli("pseudonymize", "--new-key", str(key)).exit_code == 0
    result = cli(
        "pseudonymize",
        str(packages["original"]),
        "--out",
        str(tmp_path / "p"),
        "--key-file",
        str(key),
    )
    assert result.exit_code == 0, result.stderr
    with open_package(tmp_path / "p") as package:
        assert package.manifest.tables["persons"].rows > 100
    printed = _norm(result.stdout + result.stderr)
    assert not [n for n in _source_values(source)["names"] if len(n) >= 5 and n in printed]


def test_cli_refuses_a_missing_or_short_key_with_exit_2(
    cli: Any, packages: dict[str, Path], tmp_path: Path
) -> None:
    original = str(packages["original"])
    missing = cli(
        "pseudonymize", original, "--out", str(tmp_path / "a"), "--key-file", str(tmp_path / "none")
    )
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    short = tmp_path / "short.key"
    short.write_bytes(b"x" * 31)
    result = cli("pseudonymize", original, "--out", str(tmp_path / "b"), "--key-file", str(short))
    assert result.exit_code == 2 and "at least 32" in result.stderr
    assert cli("pseudonymize", original, "--key-file", str(short)).exit_code == 2
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
