"""KiSS extraction: the conformance kit, then KiSS's own cases.

Expected values come from the generator: its population (rebuilt from the truth's seed,
as the generator built it) for roles, durations and staff, and the generated source
itself for what the reference model states row by row (file numbers, plans, blobs).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path, PureWindowsPath
from typing import Any

import pandas as pd
import pytest
from extractor_kit import extract, extractor_conformance

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format import TABLES, open_package
from nffs_migration.sample_data import kiss as kiss_sample
from nffs_migration.sample_data.dirt import Dirt, Level
from nffs_migration.sample_data.generate import GeneratedSource, generate
from nffs_migration.sample_data.population import Population
from nffs_migration.sample_data.records import Case, Settings, Staff
from nffs_migration.sample_data.truth import Truth


def kiss_options(source: GeneratedSource) -> dict[str, Any]:
    return {
        "source": f"sqlite:///{source.out / 'kiss.sqlite'}",
        "documents": source.out / "share",
    }


class TestKissConformance(extractor_conformance("kiss", kiss_options)):
    pass


# -- helpers ---------------------------------------------------------------------------


def _frames(package: Path) -> dict[str, pd.DataFrame]:
    with open_package(package) as opened:
        return {name: opened.frame(name) for name in TABLES}


def _population(source: GeneratedSource) -> Population:
    """The population the generator rendered (same settings, same seed, same dirt)."""
    meta = source.truth["generator"]
    settings = Settings(
        seed=meta["seed"],
        cases=meta["cases"],
        service_id=meta["service_id"],
        as_of=datetime.fromisoformat(meta["as_of"]),
    )
    dirt = Dirt(Level(meta["dirt"]), meta["seed"], "kiss", Truth(dict(meta)))
    return Population(settings, dirt, kiss_sample.Keys())


def _query(source: GeneratedSource, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(source.out / "kiss.sqlite") as connection:
        return connection.execute(sql).fetchall()


def _key(record_id: str) -> str:
    return record_id.rsplit(":", 1)[-1]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> GeneratedSource:
    return generate("kiss", tmp_path_factory.mktemp("kiss") / "source", cases=100, seed=2)


@pytest.fixture(scope="module")
def population(source: GeneratedSource) -> tuple[list[Case], list[Staff]]:
    built = _population(source)
    cases = [case for group in built.groups() for case in group.cases]
    return cases, built.staff


@pytest.fixture(scope="module")
def package(source: GeneratedSource, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "package"
    extract("kiss", source, kiss_options, out)
    return out


@pytest.fixture(scope="module")
def tables(package: Path) -> dict[str, pd.DataFrame]:
    return _frames(package)


# -- KiSS specifics --------------------------------------------------------------------


def test_durations_in_hours_become_whole_minutes(
    source: GeneratedSource,
    population: tuple[list[Case], list[Staff]],
    tables: dict[str, pd.DataFrame],
) -> None:
    expected = {str(e.no): e.duration for case in population[0] for e in case.journal}
    journal = tables["journal_entries"]
    assert len(journal) > 100
    for row in journal.itertuples():
        want = expected[row.source_key]
        got = None if pd.isna(row.duration_minutes) else int(row.duration_minutes)
        assert got == want, row.source_key
    # 0.75 hours is 45 minutes; some durations are not whole quarter hours.
    stored = dict(_query(source, "select FaJournalID, DauerStd from FaJournal"))
    by_key = journal.set_index("source_key")["duration_minutes"]
    three_quarters = [k for k, v in stored.items() if v == 0.75 and str(k) in by_key.index]
    assert three_quarters and all(by_key[str(k)] == 45 for k in three_quarters)


def test_monthly_budgets_span_their_month_and_keep_their_approval(
    population: tuple[list[Case], list[Staff]], tables: dict[str, pd.DataFrame]
) -> None:
    expected = {str(b.no): b for case in population[0] for b in case.budgets}
    budgets = tables["budgets"]
    assert len(budgets) > 100
    for row in budgets.itertuples():
        budget = expected[row.source_key]
        status = "draft" if budget.status == "draft" else "approved"  # KiSS has no archive
        assert (row.valid_from, row.valid_to, row.status) == (
            budget.valid_from,
            budget.valid_to,
            status,
        )
    assert (budgets["valid_from"].map(lambda d: d.day) == 1).all()
    assert (budgets["valid_to"].map(lambda d: (d + timedelta(days=1)).day) == 1).all()


def test_case_number_is_the_file_number_or_file_and_service_when_shared(
    source: GeneratedSource, tables: dict[str, pd.DataFrame]
) -> None:
    rows = _query(
        source,
        """select l.FaLeistungID, f.FallNr,
                  (select count(*) from FaLeistung x where x.FaFallID = l.FaFallID)
           from FaLeistung l join FaFall f on f.FaFallID = l.FaFallID""",
    )
    expected = {str(i): (nr if n == 1 else f"{nr}/{i}", nr) for i, nr, n in rows}
    cases = tables["cases"]
    for row in cases.itertuples():
        assert (row.case_number, row.file_number) == expected[row.source_key]
    assert cases["case_number"].is_unique
    shared = cases["case_number"].str.contains("/")
    assert shared.any() and (~shared).any()


def test_household_roles_come_from_relations_with_the_lead(
    population: tuple[list[Case], list[Staff]], tables: dict[str, pd.DataFrame]
) -> None:
    expected = {
        (str(case.no), str(member.person)): member.role
        for case in population[0]
        if not case.expired
        for member in case.members
    }
    members = tables["case_members"]
    got = {(_key(r.case_id), _key(r.person_id)): r.role for r in members.itertuples()}
    assert got == expected
    assert set(got.values()) == {"lead", "partner", "child", "other"}


def test_a_case_without_lead_takes_roles_from_the_file_lead(
    source: GeneratedSource, tables: dict[str, pd.DataFrame]
) -> None:
    leadless = {
        str(i)
        for (i,) in _query(source, "select FaLeistungID from FaLeistung where BaPersonID is null")
    }
    members = tables["case_members"]
    members = members[members["case_id"].map(_key).isin(leadless)]
    assert len(members) and "lead" not in set(members["role"])
    assert {"partner", "child"} & set(members["role"])


def test_a_service_without_plan_has_its_lead_as_only_member(
    source: GeneratedSource, tables: dict[str, pd.DataFrame]
) -> None:
    rows = _query(
        source,
        """select FaLeistungID, BaPersonID, DatumVon, DatumBis from FaLeistung l
           where not exists (select 1 from BgFinanzplan p where p.FaLeistungID = l.FaLeistungID)""",
    )
    cases = set(tables["cases"]["source_key"])
    members = tables["case_members"]
    by_case = {key: group for key, group in members.groupby(members["case_id"].map(_key))}
    checked = 0
    for service, lead, opened, closed in rows:
        if str(service) not in cases:
            continue  # past retention
        if lead is None:
            assert str(service) not in by_case
            continue
        group = by_case[str(service)]
        assert len(group) == 1
        member = group.iloc[0]
        assert member["source_key"] == f"{service}/lead/{lead}"
        assert (member["role"], _key(member["person_id"])) == ("lead", str(lead))
        assert member["valid_from"] == date.fromisoformat(opened)
        assert (
            pd.isna(member["valid_to"])
            if closed is None
            else member["valid_to"] == date.fromisoformat(closed)
        )
        checked += 1
    assert checked > 0


def test_plan_members_are_the_rows_of_the_plan_with_supported_kept(
    source: GeneratedSource, tables: dict[str, pd.DataFrame]
) -> None:
    rows = _query(
        source, "select BgFinanzplanID, BaPersonID, IstUnterstuetzt from BgFinanzplan_BaPerson"
    )
    expected = {f"{plan}/{person}": bool(flag) for plan, person, flag in rows}
    members = tables["case_members"]
    planned = members[~members["source_key"].str.contains("/lead/")]
    assert len(planned) > 0
    for row in planned.itertuples():
        assert bool(row.supported) is expected[row.source_key]


def test_blobs_and_share_files_land_in_the_package_with_their_checksums(
    source: GeneratedSource, package: Path, tables: dict[str, pd.DataFrame]
) -> None:
    rows = _query(source, "select DmtDokumentID, DateiInhalt, DateiPfad from DmtDokument")
    stored = {str(i): (blob, path) for i, blob, path in rows}
    kinds = {"blob": 0, "share": 0}
    documents = tables["documents"]
    for row in documents.itertuples():
        blob, path = stored[row.source_key]
        if blob is not None:
            content = bytes(blob)
            kinds["blob"] += 1
        else:
            content = (source.out / "share").joinpath(*PureWindowsPath(path).parts).read_bytes()
            kinds["share"] += 1
        digest = hashlib.sha256(content).hexdigest()
        assert row.sha256 == digest, row.source_key
        assert row.size_bytes == len(content)
        assert hashlib.sha256((package / row.file).read_bytes()).hexdigest() == digest
    assert kinds["blob"] > 0 and kinds["share"] > 0
    # A document hangs on its service, or on its person when it has none.
    assert documents["case_id"].notna().any() and documents["person_id"].notna().any()
    assert (documents["case_id"].notna() | documents["person_id"].notna()).all()


def test_staff_roles_come_from_org_units(
    population: tuple[list[Case], list[Staff]], tables: dict[str, pd.DataFrame]
) -> None:
    staff = tables["staff"].set_index("source_key")
    for member in population[1]:
        row = staff.loc[str(member.no)]
        want = member.role if member.role in ("intake", "social_worker") else "other"
        assert (row["role"], bool(row["active"])) == (want, member.active)


def test_a_service_mapping_file_maps_own_position_types_and_teams(
    source: GeneratedSource,
    population: tuple[list[Case], list[Staff]],
    tables: dict[str, pd.DataFrame],
    tmp_path: Path,
) -> None:
    mapping = tmp_path / "0942.yaml"
    mapping.write_text(
        "codes:\n"
        "  budget_position:\n"
        '    "positionsart:101": MIETE\n'
        '    "positionsart:102": SIL\n'
        '    "positionsart:103": UEBR\n'
        "  staff_role:\n"
        "    Leitung: head_of_sector\n"
        "    Administration: admin_assistant\n",
        encoding="utf-8",
    )
    extract("kiss", source, kiss_options, tmp_path / "p", mapping=mapping)
    with open_package(tmp_path / "p") as opened:
        manifest = opened.manifest
        items = opened.frame("budget_items")
        staff = opened.frame("staff").set_index("source_key")
    rejected = source.truth["expected"]["budget_items"]["rejected"]
    assert rejected > 0 and "budget_items" not in manifest.rejects
    assert len(items) == len(tables["budget_items"]) + rejected
    assert "budget_position" not in manifest.unmapped_codes
    assert all(staff.loc[str(m.no), "role"] == m.role for m in population[1])


def test_unmapped_service_specific_position_types_are_listed_by_id(package: Path) -> None:
    with open_package(package) as opened:
        unmapped = opened.manifest.unmapped_codes["budget_position"]
    assert unmapped and all(key.startswith("positionsart:") for key in unmapped)


# -- same data, two databases ----------------------------------------------------------


@pytest.mark.postgres
def test_same_kiss_data_from_sqlite_and_postgresql_gives_identical_packages(
    tmp_path: Path, postgres_database: str
) -> None:
    lite = generate("kiss", tmp_path / "lite", cases=60, seed=9)
    pg = generate("kiss", tmp_path / "pg", cases=60, seed=9, url=postgres_database)
    extract("kiss", lite, kiss_options, tmp_path / "p1")
    extract(
        "kiss",
        pg,
        lambda s: {"source": postgres_database, "documents": s.out / "share"},
        tmp_path / "p2",
    )
    one, two = _frames(tmp_path / "p1"), _frames(tmp_path / "p2")
    for name in TABLES:
        pd.testing.assert_frame_equal(one[name], two[name], obj=name)
    first = json.loads((tmp_path / "p1" / "manifest.json").read_text())
    second = json.loads((tmp_path / "p2" / "manifest.json").read_text())
    assert first["documents"]["count"] > 0
    assert first["content_sha256"] == second["content_sha256"]


# -- delta -----------------------------------------------------------------------------


def test_a_delta_holds_exactly_the_changed_rows_and_what_travels_with_them(
    tmp_path: Path,
) -> None:
    source = generate("kiss", tmp_path / "source", cases=60, seed=4)
    extract("kiss", source, kiss_options, tmp_path / "full")
    full = _frames(tmp_path / "full")
    with open_package(tmp_path / "full") as opened:
        mark = opened.manifest.batch.high_water_mark
    assert mark is not None
    later = (datetime.fromisoformat(mark) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S.%f")

    # Nothing changed yet: an empty delta that hands the mark on. (No overlap window here:
    # it would read again the rows changed in the minutes before the mark, by design.)
    extract(
        "kiss", source, kiss_options, tmp_path / "none", since=mark, sequence=2, overlap_minutes=0
    )
    with open_package(tmp_path / "none") as opened:
        assert opened.manifest.batch.high_water_mark == mark
        assert opened.manifest.tables["persons"].rows == 0
        assert opened.manifest.tables["payments"].rows == 0

    person = full["persons"]["source_key"].iloc[3]
    service = full["cases"]["source_key"].iloc[5]
    budget = full["budgets"]["source_key"].iloc[7]
    new_payment = 990_000_001
    with sqlite3.connect(source.out / "kiss.sqlite") as connection:
        connection.execute(
            "update BaPerson set Name = ?, Modified = ? where BaPersonID = ?",
            ("Neuenschwander", later, int(person)),
        )
        connection.execute(
            "update FaLeistung set Modified = ? where FaLeistungID = ?", (later, int(service))
        )
        connection.execute(
            "update BgBudget set Modified = ? where BgBudgetID = ?", (later, int(budget))
        )
        connection.execute(
            "insert into KbBuchung values (?, ?, null, ?, ?, 1, 3, ?, ?)",
            (new_payment, int(service), later[:10], 123.45, "Vermieter", later),
        )
    extract(
        "kiss", source, kiss_options, tmp_path / "delta", since=mark, sequence=2, overlap_minutes=0
    )
    delta = _frames(tmp_path / "delta")
    with open_package(tmp_path / "delta") as opened:
        manifest = opened.manifest
    assert (manifest.batch.kind, manifest.batch.sequence, manifest.batch.since) == (
        "delta",
        2,
        mark,
    )
    assert manifest.batch.high_water_mark == datetime.fromisoformat(later).isoformat()

    def keys(name: str) -> list[str]:
        return sorted(delta[name]["source_key"])

    assert keys("persons") == [person]
    assert delta["persons"]["family_name"].tolist() == ["Neuenschwander"]
    assert keys("cases") == [service]
    assert keys("case_members") == sorted(
        full["case_members"][full["case_members"]["case_id"].map(_key) == service]["source_key"]
    )
    assert keys("budgets") == [budget]
    assert keys("budget_items") == sorted(
        full["budget_items"][full["budget_items"]["budget_id"].map(_key) == budget]["source_key"]
    )
    assert keys("payments") == [str(new_payment)]
    for name in ("addresses", "journal_entries", "documents", "measures"):
        assert delta[name].empty, name
    # XUser has no change marker: every delta carries the staff (a small table).
    assert len(delta["staff"]) == len(full["staff"])
    assert manifest.accounting["KbBuchung"].read == 1
    assert manifest.accounting["BaPerson"].read == 1


def test_documents_on_a_share_need_the_documents_option(tmp_path: Path) -> None:
    source = generate("kiss", tmp_path / "source", cases=20, seed=3)
    with pytest.raises(ConfigurationError, match="--documents"):
        extract("kiss", source, lambda s: {"source": kiss_options(s)["source"]}, tmp_path / "p")
    assert not (tmp_path / "p").exists()
