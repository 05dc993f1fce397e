"""Tutoris extraction: the conformance kit, then Tutoris's own cases.

Expected values come from the generator's truth, from `legacy-systems/tutoris.md` and
from small exports written here by hand, never from the extractor's own code.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from extractor_kit import extract, extractor_conformance
from hypothesis import given
from hypothesis import strategies as st
from test_extract_klibnet import klibnet_options

from nffs_migration.errors import ConfigurationError, SourceError
from nffs_migration.extractors import get_extractor
from nffs_migration.extractors.tutoris import columns
from nffs_migration.extractors.tutoris.addresses import parse_address
from nffs_migration.intermediate_format import open_package
from nffs_migration.sample_data.generate import GeneratedSource, generate
from nffs_migration.sample_data.tutoris_hostile import write_hostile_files


def tutoris_options(source: GeneratedSource) -> dict[str, Any]:
    return {"source": str(source.out / "export.xml"), "documents": source.out}


class TestTutorisConformance(extractor_conformance("tutoris", tutoris_options)):
    pass


# --------------------------------------------------------------------------------------
# small exports written by hand

HEAD = (
    '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    '<TutorisExport formatVersion="7.2" mandant="SD Musterhausen" mandantNr="4711" '
    'exportDatum="14.03.2026 18:22" vollExport="{full}">\n'
)
STAFF = '<Mitarbeitende><MA id="17" kuerzel="MUB" name="Muster" vorname="Barbara" rolle="SA" aktiv="1"/></Mitarbeitende>\n'


def person(pid: str, name: str = "Beispiel", born: str = "03.07.1984", **fields: str) -> str:
    values = {
        "Name": name,
        "Vorname": "Anna",
        "GebDat": born,
        "Geschlecht": "w",
        "SozVersNr": "756.1234.5678.97",
        "Zivilstand": "geschieden",
        "Nationalitaet": "Eritrea",
        "Bewilligung": "F",
        **fields,
    }
    body = "".join(f"<{tag}>{value}</{tag}>" for tag, value in values.items())
    address = '<Adresse von="01.02.2020" bis="">Bahnhofstrasse 12, 3600 Thun</Adresse>'
    return f'<Person id="{pid}">{body}<Adressen>{address}</Adressen></Person>\n'


def case(
    nr: str, members: list[str], *, typ: str = "WSH", staff: str = "17", docs: str = ""
) -> str:
    mitglieder = "".join(f'<Mitglied person="{p}" rolle="AS"/>' for p in members)
    return (
        f'<Fall nr="{nr}" typ="{typ}" eroeffnet="01.02.2020" abgeschlossen="" '
        f'abschlussgrund="" fallfuehrung="{staff}" segment="B">{mitglieder}'
        '<Budgets><Budget von="01.01.2026" bis="31.01.2026" status="bewilligt">'
        '<Pos code="GBL" art="A" betrag="1\'031.00"/><Pos code="LOHN" art="E" betrag="820,50"/>'
        "</Budget></Budgets>"
        f'<Zahlungen><Zahlung id="Z-{nr}" valuta="25.01.2026" betrag="-0.00" kategorie="GBL" '
        'storno="1">Klient</Zahlung></Zahlungen>'
        f'<Journal><Eintrag id="J-{nr}" datum="12.01.2026 09:30" ma="99" typ="Gespräch" '
        'dauer="01:15"><Betreff>Standort</Betreff><Text><![CDATA[a < b & c]]></Text></Eintrag>'
        "</Journal>"
        '<Massnahmen><Massnahme artikel="ZGB 308" beginn="01.05.2021" ende="" '
        'behoerde="KESB Thun"/></Massnahmen>'
        f"<Dokumente>{docs}</Dokumente></Fall>\n"
    )


def write_export(folder: Path, persons: str, cases: str, *, full: str = "true") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = HEAD.format(full=full) + STAFF + f"<Personen>{persons}</Personen>"
    text += f"<Faelle>{cases}</Faelle></TutorisExport>\n"
    path = folder / "export.xml"
    path.write_bytes(text.encode("latin-1"))
    return path


def run(export: Path, out: Path, **options: Any) -> dict[str, Any]:
    from nffs_migration.extractors.run import extract_package

    extractor = get_extractor("tutoris")
    opts = extractor.options_class(source=str(export), service_id="0942", **options)
    extract_package(extractor, opts, out)
    with open_package(out) as opened:
        tables = {name: opened.frame(name) for name in opened.manifest.tables}
        manifest = opened.manifest
    findings = json.loads((out / "reports" / "extract-findings.json").read_text())["findings"]
    rejects = {
        path.stem: pq.read_table(path).to_pandas() for path in (out / "rejects").glob("*.parquet")
    }
    return {"tables": tables, "manifest": manifest, "findings": findings, "rejects": rejects}


def found(result: dict[str, Any], rule: str) -> set[tuple[str, str]]:
    return {(f["source_key"], f["field"]) for f in result["findings"] if f["rule_id"] == rule}


def rejected(result: dict[str, Any], table: str, rule: str) -> list[str]:
    frame = result["rejects"].get(table)
    return [] if frame is None else sorted(frame[frame["rule"] == rule]["source_key"])


def test_a_hand_written_export_becomes_the_expected_rows(tmp_path: Path) -> None:
    persons = person("P-1", born="00.00.1984") + person("P-2", name="MÃ¼ller", born="31.02.2019")
    persons += person("P-3", Nationalitaet="Atlantis", Zivilstand="marié(e)")
    export = write_export(tmp_path / "src", persons, case("2020-0456", ["P-1", "P-2", "P-3"]))
    result = run(export, tmp_path / "pkg")
    people = result["tables"]["persons"].set_index("source_key")
    assert people.loc["P-1", "birth_date"] == date(1984, 1, 1)
    assert people.loc["P-1", "birth_date_precision"] == "year"
    assert pd.isna(people.loc["P-2", "birth_date"])
    assert people.loc["P-2", "birth_date_precision"] == "unknown"
    assert people.loc["P-2", "family_name"] == "Müller"
    assert people.loc["P-1", "nationality"] == "ER" and people.loc["P-1", "marital_status"] == "4"
    assert pd.isna(people.loc["P-3", "nationality"]) and people.loc["P-3", "marital_status"] == "2"
    assert people.loc["P-1", "ahvn13"] == "7561234567897" and people.loc["P-1", "sex"] == "2"
    assert ("P-2", "birth_date") in found(result, "date-impossible")
    assert ("P-2", "family_name") in found(result, "encoding-repaired")
    assert ("P-3", "nationality") in found(result, "unmapped-code")
    address = result["tables"]["addresses"].set_index("source_key").loc["P-1/address/1"]
    assert (address.street, address.house_number, address.postal_code, address.town) == (
        "Bahnhofstrasse",
        "12",
        "3600",
        "Thun",
    )
    assert pd.isna(address.commune_number) and address.valid_from == date(2020, 2, 1)
    items = result["tables"]["budget_items"].set_index("source_key")
    assert items.loc["2020-0456/budget/1/pos/1", "amount_chf"] == Decimal("1031.00")
    assert items.loc["2020-0456/budget/1/pos/2", "amount_chf"] == Decimal("820.50")
    assert items.loc["2020-0456/budget/1/pos/2", "kind"] == "income"
    payment = result["tables"]["payments"].set_index("source_key").loc["Z-2020-0456"]
    assert payment.amount_chf == Decimal("0.00") and payment.status == "reversed"
    entry = result["tables"]["journal_entries"].set_index("source_key").loc["J-2020-0456"]
    assert entry.duration_minutes == 75 and entry.text == "a < b & c"
    assert entry.occurred_at == datetime(2026, 1, 12, 9, 30)  # noqa: DTZ001 - naive local
    assert pd.isna(entry.staff_id) and ("J-2020-0456", "staff_id") in found(
        result, "dangling-reference"
    )
    members = result["tables"]["case_members"]
    assert sorted(members["source_key"]) == [f"2020-0456/member/P-{n}" for n in (1, 2, 3)]
    cases = result["tables"]["cases"].set_index("source_key")
    assert cases.loc["2020-0456", "responsible_staff_id"] == "0942:tutoris:17"
    measure = result["tables"]["measures"].set_index("source_key").loc["2020-0456/measure/1"]
    assert measure.legal_basis == "ZGB 308" and measure.authority == "KESB Thun"
    organisation = result["tables"]["organisation"].iloc[0]
    assert organisation["name"] == "SD Musterhausen" and organisation["source_version"] == "7.2"
    assert result["manifest"].data_as_of.isoformat().startswith("2026-03-14T18:22")
    assert result["manifest"].batch.kind == "full"


def test_the_later_of_two_person_elements_wins_and_the_earlier_is_rejected(
    tmp_path: Path,
) -> None:
    persons = person("P-1", name="Alt") + person("P-1", name="Mittel") + person("P-1", name="Neu")
    export = write_export(tmp_path / "src", persons, case("2020-0001", ["P-1"]))
    result = run(export, tmp_path / "pkg")
    people = result["tables"]["persons"]
    assert list(people["family_name"]) == ["Neu"]
    assert rejected(result, "persons", "duplicate-key") == ["P-1", "P-1"]
    assert rejected(result, "addresses", "duplicate-key") == ["P-1/address/1"] * 2
    assert found(result, "duplicate-key") == {("P-1", "person_id")}
    accounting = result["manifest"].accounting
    assert (accounting["Person"].read, accounting["Person"].rejected) == (3, 2)


def test_dangling_members_are_rejected_and_dangling_staff_left_empty(tmp_path: Path) -> None:
    export = write_export(
        tmp_path / "src", person("P-1"), case("2020-0001", ["P-1", "P-404"], staff="404")
    )
    result = run(export, tmp_path / "pkg")
    assert rejected(result, "case_members", "dangling-reference") == ["2020-0001/member/P-404"]
    assert pd.isna(result["tables"]["cases"].iloc[0]["responsible_staff_id"])
    assert ("2020-0001", "responsible_staff_id") in found(result, "dangling-reference")


def test_a_required_code_no_mapping_covers_rejects_the_case(tmp_path: Path) -> None:
    export = write_export(tmp_path / "src", person("P-1"), case("2020-0001", ["P-1"], typ="XYZ"))
    result = run(export, tmp_path / "pkg")
    assert rejected(result, "cases", "unmapped-code") == ["2020-0001"]
    assert result["manifest"].unmapped_codes == {"domain": {"XYZ": 1}}


def test_documents_are_checked_copied_and_unlisted_files_reported(tmp_path: Path) -> None:
    root = tmp_path / "src"
    folder = root / "dokumente" / "2020-0001"
    folder.mkdir(parents=True)
    (folder / "ok.pdf").write_bytes(b"%PDF-1.4 content")
    (folder / "copy.pdf").write_bytes(b"%PDF-1.4 content")
    (folder / "leer.pdf").write_bytes(b"")
    (folder / "scan_nachtrag.pdf").write_bytes(b"%PDF-1.4 other")
    (root / "secret.txt").write_text("outside the listed folders")
    docs = "".join(
        f'<Dokument id="{key}" datei="{datei}" titel="T" typ="{typ}" datum="05.01.2026" sha1=""/>'
        for key, datei, typ in (
            ("D-1", "dokumente/2020-0001/ok.pdf", "Verfügung"),
            ("D-2", "dokumente/2020-0001/copy.pdf", "Décision"),
            ("D-3", "dokumente/2020-0001/leer.pdf", "Bericht"),
            ("D-4", "dokumente/2020-0001/fehlt.pdf", "Brief"),
            ("D-5", "../../etc/passwd", "Brief"),
            ("D-6", "/var/lib/tutoris/dokumente/x.pdf", "Unbekannt"),
        )
    )
    export = write_export(root, person("P-1"), case("2020-0001", ["P-1"], docs=docs))
    with pytest.raises(ConfigurationError, match="--documents"):
        run(export, tmp_path / "no-docs")
    assert not (tmp_path / "no-docs").exists()
    result = run(export, tmp_path / "pkg", documents=root)
    documents = result["tables"]["documents"].set_index("source_key")
    assert sorted(documents.index) == ["D-1", "D-2", "D-3"]
    assert documents.loc["D-1", "file"] == "documents/2020-0001/D-1.pdf"
    assert documents.loc["D-1", "doc_type"] == "decision" == documents.loc["D-2", "doc_type"]
    assert (
        (tmp_path / "pkg" / "documents" / "2020-0001" / "D-1.pdf").read_bytes().startswith(b"%PDF")
    )
    assert rejected(result, "documents", "document-file-missing") == ["D-4"]
    assert rejected(result, "documents", "document-path-unsafe") == ["D-5", "D-6"]
    assert found(result, "document-empty") == {("D-3", "file")}
    assert found(result, "document-duplicate-content") == {("D-2", "file")}
    assert found(result, "document-unlisted-file") == {
        ("dokumente/2020-0001/scan_nachtrag.pdf", "file")
    }


def test_a_delta_export_gives_a_delta_batch(tmp_path: Path) -> None:
    source = generate("tutoris", tmp_path / "src", cases=20, seed=3, dirt="none")
    export = source.out / "export.xml"
    data = export.read_bytes()
    assert data.count(b'vollExport="true"') == 1
    export.write_bytes(data.replace(b'vollExport="true"', b'vollExport="false"'))
    info = get_extractor("tutoris").describe(
        get_extractor("tutoris").options_class(source=str(export), service_id="0942")
    )
    assert info.delta
    extract("tutoris", source, tutoris_options, tmp_path / "pkg")
    manifest = json.loads((tmp_path / "pkg" / "manifest.json").read_text())
    assert manifest["batch"]["kind"] == "delta"
    assert manifest["batch"]["high_water_mark"].startswith("2026-03-14T18:22")


def test_a_delta_keeps_members_whose_person_came_in_an_earlier_batch(tmp_path: Path) -> None:
    export = write_export(
        tmp_path / "src", person("P-1"), case("2020-0001", ["P-1", "P-9"]), full="false"
    )
    result = run(export, tmp_path / "pkg")
    assert result["manifest"].batch.kind == "delta"
    assert sorted(result["tables"]["case_members"]["person_id"]) == [
        "0942:tutoris:P-1",
        "0942:tutoris:P-9",
    ]
    assert not rejected(result, "case_members", "dangling-reference")


def test_a_case_without_number_is_rejected_with_what_it_holds(tmp_path: Path) -> None:
    cases = case("2020-0001", ["P-1"]) + case("", ["P-1"]).replace('id="Z-"', 'id="Z-X"')
    export = write_export(tmp_path / "src", person("P-1"), cases)
    result = run(export, tmp_path / "pkg")
    assert list(result["tables"]["cases"]["source_key"]) == ["2020-0001"]
    assert rejected(result, "cases", "missing-required") == [""]
    assert rejected(result, "budget_items", "orphan-record") == [
        "/budget/1/pos/1",
        "/budget/1/pos/2",
    ]
    assert rejected(result, "payments", "orphan-record") == ["Z-X"]
    assert len(result["tables"]["payments"]) == 1


def test_as_of_overrides_the_export_date(tmp_path: Path) -> None:
    export = write_export(tmp_path / "src", person("P-1"), case("2020-0001", ["P-1"]))
    result = run(export, tmp_path / "pkg", as_of=datetime(2026, 6, 30, 12))  # noqa: DTZ001
    assert result["manifest"].data_as_of.isoformat().startswith("2026-06-30T12:00")


def test_an_unsupported_format_version_is_refused(tmp_path: Path) -> None:
    export = write_export(tmp_path / "src", person("P-1"), case("2020-0001", ["P-1"]))
    export.write_bytes(export.read_bytes().replace(b'formatVersion="7.2"', b'formatVersion="6.1"'))
    with pytest.raises(SourceError, match=r"6\.1"):
        run(export, tmp_path / "pkg")


# --------------------------------------------------------------------------------------
# hostile and broken files


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_hostile_files(tmp_path_factory.mktemp("hostile"))


HOSTILE = (
    "xxe",
    "billion_laughs",
    "external_dtd",
    "truncated",
    "wrong_encoding",
    "empty",
    "binary_garbage",
    "huge_text_node",
    "wrong_root",
)


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_or_broken_export_is_refused_with_one_line(
    name: str, hostile: dict[str, Path], cli: Any, tmp_path: Path
) -> None:
    out = tmp_path / "pkg"
    result = cli(
        "extract", "tutoris", "--source", str(hostile[name]), "--service", "0942", "--out", str(out)
    )
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "Traceback" not in result.stderr
    assert str(hostile[name]) in result.stderr
    assert not out.exists()
    assert not list(tmp_path.iterdir())
    if name == "truncated":
        assert re.search(r"line \d+", result.stderr)


def test_xxe_never_reads_the_file_it_names(
    hostile: dict[str, Path], cli: Any, tmp_path: Path
) -> None:
    passwd = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()
    result = cli(
        "extract", "tutoris", "--source", str(hostile["xxe"]), "--service", "0942",
        "--out", str(tmp_path / "pkg"),
    )  # fmt: skip
    assert result.exit_code == 2
    output = result.stdout + result.stderr
    assert not [line for line in passwd if line and line in output]
    assert not (tmp_path / "pkg").exists()


def test_the_reader_holds_one_record_at_a_time(tmp_path: Path) -> None:
    from nffs_migration.extractors.tutoris.source import records

    persons = "".join(person(f"P-{n}") for n in range(5))
    cases = "".join(case(f"2020-{n:04d}", [f"P-{n}"]) for n in range(5))
    export = write_export(tmp_path / "src", persons, cases)
    seen = []
    for element in records(export):
        seen.append(element.tag)
        # Of the records before it, only the last one is left, cleared (lxml's idiom);
        # what lies after it is the parser's read-ahead of one buffer.
        previous = element.getprevious()
        if previous is not None:
            assert len(previous) == 0 and not previous.attrib
            assert previous.getprevious() is None
    assert seen == ["MA"] + ["Person"] * 5 + ["Fall"] * 5


def test_every_hostile_file_is_refused_by_the_profile_too(hostile: dict[str, Path]) -> None:
    extractor = get_extractor("tutoris")
    for path in hostile.values():
        options = extractor.options_class(source=str(path), service_id="0000")
        with pytest.raises(SourceError, match=re.escape(str(path))):
            extractor.profile(options)


# --------------------------------------------------------------------------------------
# the same people in KLIBnet and in Tutoris


def test_the_same_population_gives_the_same_persons_cases_and_amounts(tmp_path: Path) -> None:
    klibnet = generate("klibnet", tmp_path / "k", cases=60, seed=5, dirt="none")
    tutoris = generate("tutoris", tmp_path / "t", cases=60, seed=5, dirt="none")
    extract("klibnet", klibnet, klibnet_options, tmp_path / "pk")
    extract("tutoris", tutoris, tutoris_options, tmp_path / "pt")
    with open_package(tmp_path / "pk") as one, open_package(tmp_path / "pt") as two:
        k = {name: one.frame(name) for name in one.manifest.tables}
        t = {name: two.frame(name) for name in two.manifest.tables}
    # `language`: Tutoris has no language field (tutoris.md), KLIBnet has `Sprache`.
    # Ids and source keys are lineage and differ by system, as do the cases' numbers.
    person_columns = [
        "family_name",
        "given_name",
        "birth_date",
        "birth_date_precision",
        "sex",
        "ahvn13",
        "old_ahv_number",
        "nationality",
        "marital_status",
        "residence_permit",
    ]
    order = ["family_name", "given_name", "birth_date"]

    def persons(frame: pd.DataFrame) -> pd.DataFrame:
        chosen = frame.sort_values(order, kind="stable")[person_columns].reset_index(drop=True)
        return chosen.astype(object).where(chosen.notna(), None)

    pd.testing.assert_frame_equal(persons(k["persons"]), persons(t["persons"]))
    case_columns = ["domain", "opened_on", "closed_on", "closing_reason", "segment"]

    def cases(frame: pd.DataFrame) -> pd.DataFrame:
        chosen = frame[case_columns].astype(object)
        chosen = chosen.where(chosen.notna(), None).astype(str)
        return chosen.sort_values(case_columns).reset_index(drop=True)

    pd.testing.assert_frame_equal(cases(k["cases"]), cases(t["cases"]))
    for name in ("payments", "budget_items"):
        assert Decimal(str(k[name]["amount_chf"].sum())) == Decimal(
            str(t[name]["amount_chf"].sum())
        )
    for name in ("journal_entries", "case_members", "budgets", "measures", "addresses", "staff"):
        assert len(k[name]) == len(t[name]), name
    # Addresses: KLIBnet has separate fields and a commune number, Tutoris one text line
    # (split here) and no commune number.
    address_columns = ["street", "house_number", "postal_code", "town", "valid_from", "valid_to"]

    def addresses(frame: pd.DataFrame) -> pd.DataFrame:
        chosen = frame[address_columns].astype(object)
        chosen = chosen.where(chosen.notna(), None).astype(str)
        return chosen.sort_values(address_columns).reset_index(drop=True)

    pd.testing.assert_frame_equal(addresses(k["addresses"]), addresses(t["addresses"]))


# --------------------------------------------------------------------------------------
# the formats, one by one


def test_mojibake_is_repaired_and_clean_text_left_alone() -> None:
    values = columns.text(["MÃ¼ller", "Müller", "Ã‰rythrée", None, "plain", "Â"])
    fixed, changed = columns.repair_encoding(values)
    assert fixed.tolist()[:3] == ["Müller", "Müller", "Érythrée"]
    assert pd.isna(fixed.iloc[3]) and fixed.iloc[4] == "plain" and fixed.iloc[5] == "Â"
    assert changed.tolist() == [True, False, True, False, False, False]


def test_dates_keep_their_precision_and_impossible_ones_become_null() -> None:
    parsed = columns.dates(
        columns.text(["03.07.1984", "00.00.1984", "00.05.1984", "31.02.2019", "", None, "gestern"])
    )
    assert parsed.values.tolist()[:3] == [date(1984, 7, 3), date(1984, 1, 1), date(1984, 5, 1)]
    assert all(pd.isna(v) for v in parsed.values.tolist()[3:])
    assert parsed.precision.tolist() == ["day", "year", "month"] + ["unknown"] * 4
    assert parsed.impossible.tolist() == [False, False, False, True, False, False, False]
    assert parsed.unreadable.tolist() == [False] * 6 + [True]


def test_timestamps_are_read_exactly_or_not_at_all() -> None:
    values, unreadable = columns.timestamps(
        columns.text(["12.01.2026 09:30", "1.2.2020 9:05", "31.02.2019 10:00", "", None])
    )
    assert values.tolist()[:2] == [datetime(2026, 1, 12, 9, 30), datetime(2020, 2, 1, 9, 5)]  # noqa: DTZ001
    assert all(pd.isna(v) for v in values.tolist()[2:])
    assert unreadable.tolist() == [False, False, True, False, False]


def test_swiss_amounts_are_exact_to_the_centime() -> None:
    values, unreadable = columns.amounts(
        columns.text(["1'234.50", "1234,50", "-0.00", "-820.50", "1’031.00", "", "zwölf", None])
    )
    assert values.tolist()[:5] == [
        Decimal("1234.50"),
        Decimal("1234.50"),
        Decimal("0.00"),
        Decimal("-820.50"),
        Decimal("1031.00"),
    ]
    assert unreadable.tolist() == [False] * 5 + [False, True, False]


def test_durations_in_hours_and_minutes() -> None:
    values, unreadable = columns.durations(columns.text(["00:45", "1:30", "", "45 min", None]))
    assert values.tolist()[:2] == [45, 90]
    assert unreadable.tolist() == [False, False, False, True, False]


@pytest.mark.parametrize(
    ("line", "parts"),
    [
        ("Bahnhofstrasse 12, 3600 Thun", ("Bahnhofstrasse", "12", "3600", "Thun")),
        ("Aarestrasse 78c, 3627 Heimberg", ("Aarestrasse", "78c", "3627", "Heimberg")),
        (
            "Rue de la Gare 12-14, 2502 Biel/Bienne",
            ("Rue de la Gare", "12-14", "2502", "Biel/Bienne"),
        ),
        ("Obere Hauptgasse  5 ,  3600  Thun ", ("Obere Hauptgasse", "5", "3600", "Thun")),
        ("Dorfplatz, 3600 Thun", ("Dorfplatz", None, "3600", "Thun")),
        ("Postfach, Thun", ("Postfach, Thun", None, None, None)),
        ("irgendwo", ("irgendwo", None, None, None)),
        ("", (None, None, None, None)),
    ],
)
def test_address_lines_are_split_into_their_parts(line: str, parts: tuple[Any, ...]) -> None:
    parsed = parse_address(line)
    assert (parsed.street, parsed.house_number, parsed.postal_code, parsed.town) == parts


def _squeeze(text: str) -> str:
    return "".join(text.split())


@given(st.text())
def test_the_address_parser_never_raises_and_never_loses_text(line: str) -> None:
    parsed = parse_address(line)
    if parsed.postal_code is None:
        assert parsed.house_number is None and parsed.town is None
        assert parsed.street == (" ".join(line.split()) or None)
        return
    parts = [parsed.street, parsed.house_number, parsed.postal_code, parsed.town]
    head, _, tail = line.rpartition(",")
    assert _squeeze("".join(p for p in parts if p)) == _squeeze(head + tail)


@given(
    st.text(st.characters(categories=("L",)), min_size=1).map(str.strip).filter(bool),
    st.integers(1, 999),
    st.sampled_from(["", "a", "b", "C"]),
    st.integers(1000, 9999),
    st.text(st.characters(categories=("L",)), min_size=1).map(str.strip).filter(bool),
)
def test_well_formed_address_lines_give_back_their_parts(
    street: str, number: int, letter: str, postal: int, town: str
) -> None:
    parsed = parse_address(f"{street} {number}{letter}, {postal} {town}")
    assert (parsed.street, parsed.house_number, parsed.postal_code, parsed.town) == (
        street,
        f"{number}{letter}",
        str(postal),
        town,
    )


# --------------------------------------------------------------------------------------
# profile and mappings


def test_the_profile_counts_elements_and_shows_no_personal_value(tmp_path: Path) -> None:
    source = generate("tutoris", tmp_path / "src", cases=30, seed=4)
    extractor = get_extractor("tutoris")
    profile = extractor.profile(
        extractor.options_class(source=str(source.out / "export.xml"), service_id="0000")
    )
    tables = {table.name: table for table in profile.tables}
    data = (source.out / "export.xml").read_text(encoding="latin-1")
    for tag in ("MA", "Person", "Fall", "Pos", "Zahlung", "Eintrag", "Dokument"):
        assert tables[tag].rows == data.count(f"<{tag} "), tag
    person = {column.name: column for column in tables["Person"].columns}
    assert person["Geschlecht"].frequencies and person["Name"].frequencies is None
    assert person["Name"].filled == tables["Person"].rows
    text = json.dumps(profile.to_dict(), ensure_ascii=False)
    names = re.findall(r"<Name>([^<]{4,})</Name>", data)
    assert names and not [name for name in set(names) if name in text]
    for column in person.values():
        for value, count in (column.frequencies or {}).items():
            assert count >= 5 or value.startswith("(values seen fewer than"), value


def test_every_mapping_file_carries_its_version() -> None:
    folder = Path(get_extractor("tutoris").mappings_dir)
    files = sorted(folder.glob("*.csv"))
    assert len(files) >= 16
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# nffs-migration mapping for Tutoris 7.x, version 2026.1", path.name


def test_country_names_of_the_reference_model_map_in_german_and_french() -> None:
    from nffs_migration.extractors.mapping import CodeMapper

    mapper = CodeMapper.load(Path(get_extractor("tutoris").mappings_dir))
    for name, code in {
        "Eritrea": "ER",
        "Érythrée": "ER",
        "Schweiz": "CH",
        "Suisse": "CH",
        "Türkei": "TR",
        "Kosovo": "XK",
        "Syrien": "SY",
        "Vereinigtes Königreich": "GB",
        "Grossbritannien": "GB",
        "unbekannt": "XX",
        "inconnu": "XX",
    }.items():
        assert mapper.lookup("nationality", name) == code, name
