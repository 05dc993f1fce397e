"""The self-built (custom) sample source: the example's workbook, Access CSVs, scans, mapping, truth."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from python_calamine import CalamineWorkbook
from stdnum.ch import ssn

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format import TABLES, code_list
from nffs_migration.sample_data.generate import generate

# Transcribed from legacy-systems/custom.md ("Example source"), not imported from the generator.
EXAMPLE = {
    "Klienten": [
        "Nr",
        "Name",
        "Vorname",
        "Geb.datum",
        "AHV",
        "Zivilst.",
        "Nat.",
        "Adresse",
        "PLZ/Ort",
    ],
    "Dossiers": ["Dossier", "Klient Nr", "Art", "eröffnet", "abgeschlossen", "SA", "Segment"],
    "Auszahlungen": ["Dossier", "Datum", "Betrag", "Art"],
    "Notizen": ["Dossier", "Datum", "Art", "Dauer", "Text"],
}
# The layout this renderer chose (module docstring of sample_data/custom.py).
HEADER_ROW = {"Klienten": 3, "Dossiers": 3, "Haushalt": 1, "Mitarbeitende": 1}
EXTRA_SHEETS = {
    "Haushalt": ["Dossier", "Klient Nr", "Rolle", "von", "bis"],
    "Mitarbeitende": ["Kürzel", "Name", "Vorname", "Funktion", "aktiv"],
}
CSV_OF = {"Auszahlungen": "auszahlungen.csv", "Notizen": "notizen.csv"}
BUDGETS_HEADERS = ["Dossier", "Monat", "Status", "Position", "Art", "Betrag"]
INDEX_HEADERS = ["Datei", "Dossier", "Klient Nr", "Titel", "Typ", "Datum"]
DECIMAL_COMMA = re.compile(r"^-?\d+,\d{2}$")
SWISS = re.compile(r"^-?\d{1,3}('\d{3})*\.\d{2}$")
DAY = re.compile(r"^\d{2}\.\d{2}\.\d{4}$")


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory):
    return generate("custom", tmp_path_factory.mktemp("c") / "src", cases=150, seed=11)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory):
    return generate("custom", tmp_path_factory.mktemp("c") / "src", cases=150, seed=11, dirt="none")


# --- reading the source back, independently of the generator ------------------------------


def _book(source) -> openpyxl.Workbook:
    return _load(source.out / "Klientenliste.xlsx")


@functools.lru_cache(maxsize=8)
def _load(path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def _records(source, sheet: str) -> list[dict[str, object]]:
    """Data rows of a sheet below its header, as dicts; blank rows are skipped."""
    ws = _book(source)[sheet]
    rows = list(ws.iter_rows(min_row=HEADER_ROW[sheet], values_only=True))
    headers = list(rows[0])
    return [
        dict(zip(headers, row, strict=True)) for row in rows[1:] if any(v is not None for v in row)
    ]


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", encoding="cp1252", dtype=str, keep_default_na=False)


def _text(value: object) -> str:
    """A cell as the text a key is built from (numbers without decimals)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _amount(text: str) -> Decimal:
    if DECIMAL_COMMA.match(text):
        return Decimal(text.replace(",", "."))
    assert SWISS.match(text), "amount in neither format"
    return Decimal(text.replace("'", ""))


def _live_cases(source) -> set[str]:
    cutoff = date.fromisoformat(source.truth["generator"]["retention"]["cutoff"])
    return {
        str(row["Dossier"])
        for row in _records(source, "Dossiers")
        if row["abgeschlossen"] is None or row["abgeschlossen"].date() >= cutoff
    }


def _total(source, table: str) -> int:
    counts = source.truth["expected"][table]
    return counts["migrated"] + counts["rejected"] + counts["excluded"]


# --- layout ---------------------------------------------------------------------------------


def test_workbook_has_the_examples_sheets_and_headers_then_its_own(realistic) -> None:
    book = _book(realistic)
    assert book.sheetnames == [
        "Klienten",
        "Dossiers",
        "Auszahlungen",
        "Notizen",
        "Haushalt",
        "Mitarbeitende",
    ]
    for sheet in ("Klienten", "Dossiers"):
        headers = [c.value for c in book[sheet][HEADER_ROW[sheet]]]
        assert headers[: len(EXAMPLE[sheet])] == EXAMPLE[sheet]
    assert [c.value for c in book["Dossiers"][3]][len(EXAMPLE["Dossiers"]) :] == [
        "Grund",
        "Segment seit",
    ]
    for sheet, headers in EXTRA_SHEETS.items():
        assert [c.value for c in book[sheet][HEADER_ROW[sheet]]] == headers
    # The big tables moved to Access: the sheet holds a note, the CSV the example's columns.
    for sheet, export in CSV_OF.items():
        cells = [v for row in book[sheet].iter_rows(values_only=True) for v in row if v is not None]
        assert len(cells) == 1 and export in cells[0]
        header = next(
            csv.reader(io.StringIO((realistic.out / export).read_text("cp1252")), delimiter=";")
        )
        assert header[: len(EXAMPLE[sheet])] == EXAMPLE[sheet]
    assert list(_csv(realistic.out / "budgets.csv").columns) == BUDGETS_HEADERS
    assert list(_csv(realistic.out / "scans" / "index.csv").columns) == INDEX_HEADERS


def test_workbook_has_the_traps_of_a_hand_kept_list(realistic) -> None:
    book = _book(realistic)
    for sheet in ("Klienten", "Dossiers"):
        ws = book[sheet]
        assert [str(r) for r in ws.merged_cells.ranges] == [
            f"A1:{ws.cell(3, len(list(ws[3]))).column_letter}1"
        ]
        assert ws["A1"].value and all(
            v is None for v in next(ws.iter_rows(min_row=2, max_row=2, values_only=True))
        )
        data = _records(realistic, sheet)
        assert ws.max_row > HEADER_ROW[sheet] + len(data)  # formatted empty rows follow the data
    klienten, dossiers = _records(realistic, "Klienten"), _records(realistic, "Dossiers")
    assert all(isinstance(r["Nr"], int) for r in klienten)
    assert all(
        isinstance(r["Klient Nr"], str) and r["Klient Nr"].isdigit() for r in dossiers
    )  # number as text
    assert all(r["AHV"] is None or isinstance(r["AHV"], str) for r in klienten)
    assert all(isinstance(r["Geb.datum"], str) for r in klienten)  # dates typed as text here ...
    assert all(isinstance(r["eröffnet"], datetime) for r in dossiers)  # ... and real dates there
    assert {r["Adresse"] for r in klienten} and all(
        re.match(r"^\d{4} \S", r["PLZ/Ort"]) for r in klienten
    )
    # calamine (the fast reader) sees the same data rows but no trailing blanks.
    sheet = CalamineWorkbook.from_path(str(realistic.out / "Klientenliste.xlsx")).get_sheet_by_name(
        "Klienten"
    )
    assert len(sheet.to_python()) == 3 + len(klienten)


def test_csv_exports_are_windows_1252_semicolons_decimal_comma(realistic) -> None:
    for name in ("budgets.csv", "auszahlungen.csv", "notizen.csv", "scans/index.csv"):
        raw = (realistic.out / name).read_bytes()
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")  # umlauts as single Windows-1252 bytes
        assert raw.count(b"\r\n") == raw.count(b"\n") > 1
    budgets = _csv(realistic.out / "budgets.csv")
    assert budgets["Betrag"].str.match(DECIMAL_COMMA).all()
    assert budgets["Monat"].str.match(r"^\d{2}\.\d{4}$").all()
    payments = _csv(realistic.out / "auszahlungen.csv")
    assert payments["Datum"].str.match(DAY).all()
    assert payments["Betrag"].str.match(DECIMAL_COMMA).mean() > 0.5
    notes = _csv(realistic.out / "notizen.csv")
    assert notes["Datum"].str.match(r"^\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}$").all()
    assert "Gespräch" in set(notes["Art"])


# --- truth ----------------------------------------------------------------------------------


def test_source_rows_match_truth_totals(realistic) -> None:
    klienten = _records(realistic, "Klienten")
    budgets = _csv(realistic.out / "budgets.csv")
    rows = {
        "staff": len(_records(realistic, "Mitarbeitende")),
        "persons": len(klienten),
        "addresses": sum(1 for r in klienten if r["Adresse"]),
        "cases": len(_records(realistic, "Dossiers")),
        "case_members": len(_records(realistic, "Haushalt")),
        "budgets": len(budgets[["Dossier", "Monat"]].drop_duplicates()),
        "budget_items": len(budgets),
        "payments": len(_csv(realistic.out / "auszahlungen.csv")),
        "journal_entries": len(_csv(realistic.out / "notizen.csv")),
        "documents": len(_csv(realistic.out / "scans" / "index.csv")),
        "measures": 0,  # the list keeps no measures
        "organisation": 1,
    }
    assert set(rows) == set(TABLES)
    for table, count in rows.items():
        assert _total(realistic, table) == count, table
    assert rows["addresses"] == rows["persons"]  # one current address each


def test_retention_and_amount_sums_match_truth_to_the_centime(realistic) -> None:
    expected = realistic.truth["expected"]
    live = _live_cases(realistic)
    assert len(_records(realistic, "Dossiers")) - len(live) == expected["cases"]["excluded"] > 0
    payments = _csv(realistic.out / "auszahlungen.csv")
    total = sum(
        (
            _amount(b)
            for d, b in zip(payments["Dossier"], payments["Betrag"], strict=True)
            if d in live
        ),
        Decimal(0),
    )
    assert total == Decimal(expected["payments"]["amount_chf_sum"])
    budgets = _csv(realistic.out / "budgets.csv")
    total = sum(
        (
            _amount(b)
            for d, b in zip(budgets["Dossier"], budgets["Betrag"], strict=True)
            if d in live
        ),
        Decimal(0),
    )
    assert total == Decimal(expected["budget_items"]["amount_chf_sum"])
    assert expected["payments"]["excluded"] == int((~payments["Dossier"].isin(live)).sum())


def test_every_injected_defect_is_in_the_source(realistic) -> None:
    dirt = {kind: set(entry["source_keys"]) for kind, entry in realistic.truth["dirt"].items()}
    expected_kinds = {
        "name-padding",
        "birth-date-impossible",
        "ahvn13-formatted",
        "ahvn13-check-digit",
        "code-unmapped",
        "amount-swiss-format",
        "document-file-missing",
        "document-zero-bytes",
        "document-unlisted-file",
        "retention-expired",
    }
    assert expected_kinds <= set(dirt)
    persons = {str(r["Nr"]): r for r in _records(realistic, "Klienten")}
    mapping = yaml.safe_load((realistic.out / "mapping.yaml").read_text("utf-8"))
    for key in dirt["name-padding"]:
        row = persons[key]
        assert row["Name"] != row["Name"].strip() or row["Vorname"] != row["Vorname"].strip()
    for key in dirt["birth-date-impossible"]:
        text = persons[key]["Geb.datum"]
        assert DAY.match(text)
        with pytest.raises(ValueError):
            datetime.strptime(text, "%d.%m.%Y")  # noqa: DTZ007
    for key in dirt["ahvn13-formatted"]:
        assert re.fullmatch(r"756[. ]\d{4}[. ]\d{4}[. ]\d{2}", persons[key]["AHV"])
    for key in dirt["ahvn13-check-digit"]:
        assert not ssn.is_valid(persons[key]["AHV"])
    unmapped = {
        k
        for k, r in persons.items()
        if r["Zivilst."] and r["Zivilst."] not in mapping["value_maps"]["zivilstand"]
    }
    assert unmapped == dirt["code-unmapped"]
    payments = _csv(realistic.out / "auszahlungen.csv").set_index("Nr")
    swiss = set(payments.index[~payments["Betrag"].str.match(DECIMAL_COMMA)])
    assert swiss == dirt["amount-swiss-format"]
    assert all(SWISS.match(payments.loc[key, "Betrag"]) for key in swiss)
    scans = realistic.out / "scans"
    listed = set(_csv(scans / "index.csv")["Datei"])
    for key in dirt["document-file-missing"]:
        assert key in listed and not (scans / key).exists()
    for key in dirt["document-zero-bytes"]:
        assert key in listed and (scans / key).stat().st_size == 0
    for key in dirt["document-unlisted-file"]:
        assert key not in listed and (scans / key).stat().st_size > 0
    on_disk = {p.name for p in scans.iterdir()} - {"index.csv"}
    assert on_disk - listed == dirt["document-unlisted-file"]
    assert listed - on_disk == dirt["document-file-missing"]
    cases = {r["Dossier"]: r for r in _records(realistic, "Dossiers")}
    for key in dirt.get("case-without-staff", ()):
        assert cases[key]["SA"] is None
    for key in dirt.get("case-closed-without-reason", ()):
        assert cases[key]["abgeschlossen"] is not None and cases[key]["Grund"] is None
    notes = _csv(realistic.out / "notizen.csv").set_index("Nr")
    for key in dirt.get("talk-without-duration", ()):
        assert notes.loc[key, "Art"] == "Gespräch" and notes.loc[key, "Dauer"] == ""
    for key in dirt.get("duration-on-note", ()):
        assert notes.loc[key, "Art"] == "Notiz" and notes.loc[key, "Dauer"] != ""
    assert realistic.truth["expected"]["documents"]["rejected_by_rule"] == {
        "document-file-missing": len(dirt["document-file-missing"])
    }


def test_no_defect_touches_a_record_past_retention(realistic) -> None:
    live = _live_cases(realistic)
    dirt = realistic.truth["dirt"]
    for kind in ("case-without-staff", "case-closed-without-reason", "case-contact-overdue"):
        assert set(dirt.get(kind, {}).get("source_keys", ())) <= live
    index = _csv(realistic.out / "scans" / "index.csv").set_index("Datei")
    for kind in ("document-file-missing", "document-zero-bytes"):
        assert {index.loc[k, "Dossier"] for k in dirt[kind]["source_keys"]} <= live
    payments = _csv(realistic.out / "auszahlungen.csv").set_index("Nr")
    assert {payments.loc[k, "Dossier"] for k in dirt["amount-swiss-format"]["source_keys"]} <= live


# --- mapping --------------------------------------------------------------------------------


def _headers(source, spec: dict) -> list[str]:
    path = source.out / spec["file"]
    row = spec.get("header_row", 1)
    if "sheet" in spec:
        return [c.value for c in _book(source)[spec["sheet"]][row] if c.value is not None]
    text = path.read_text("cp1252").splitlines()[row - 1]
    return next(csv.reader([text], delimiter=";"))


def test_mapping_names_only_existing_files_sheets_columns_and_fields(realistic) -> None:
    mapping = yaml.safe_load((realistic.out / "mapping.yaml").read_text("utf-8"))
    assert mapping["mapping_format"] == 1 and mapping["service_id"] == "0942"
    tables = mapping["tables"]
    assert set(tables) == set(TABLES) - {"measures"}
    for path in mapping["files"]:
        assert (realistic.out / path).is_file(), path
    assert (realistic.out / mapping["documents_folder"]).is_dir()
    maps = mapping["value_maps"]
    for name, spec in tables.items():
        columns = {c.name: c for c in TABLES[name].columns}
        headers = _headers(realistic, spec["source"]) if "source" in spec else []
        if "source" in spec:
            assert spec["source"]["file"] in mapping["files"]
            if "sheet" in spec["source"]:
                assert spec["source"]["header_row"] == HEADER_ROW[spec["source"]["sheet"]]
        used = set(re.findall(r"\{([^}]+)\}", spec["key"])) - {"seq", "parent"}
        used |= set(spec.get("skip_rows", {}).get("blank", [])) | set(
            spec.get("one_record_per", [])
        )
        used |= set(spec.get("ignore_columns", []))
        for field, rule in spec["fields"].items():
            assert field in columns, (name, field)
            assert not columns[field].lineage, (name, field)
            if "column" in rule:
                used.add(rule["column"])
            if "map" in rule:
                assert rule["map"] in maps, (name, field)
                codes = code_list(columns[field])
                if codes is not None:
                    assert set(maps[rule["map"]].values()) <= set(codes.values), (name, field)
                    if "default" in rule:
                        assert rule["default"] in codes.values
            if "extract" in rule:
                re.compile(rule["extract"])
            if "precision_of" in rule:
                assert rule["precision_of"] in spec["fields"]
        assert used <= set(headers), (name, used - set(headers))
    assert tables["budget_items"]["parent"] == "budgets"
    # Nothing is lost unnoticed: every column of every source is used or ignored on purpose.
    used_by_source: dict[tuple, set[str]] = {}
    for spec in tables.values():
        if "source" in spec:
            where = (
                spec["source"]["file"],
                spec["source"].get("sheet"),
                spec["source"].get("header_row", 1),
            )
            columns = {r["column"] for r in spec["fields"].values() if "column" in r}
            columns |= set(re.findall(r"\{([^}]+)\}", spec["key"])) - {"seq", "parent"}
            columns |= set(spec.get("ignore_columns", [])) | set(spec.get("one_record_per", []))
            used_by_source.setdefault(where, set()).update(columns)
    for (file, sheet, row), columns in used_by_source.items():
        spec = {"file": file, "header_row": row} | ({"sheet": sheet} if sheet else {})
        assert set(_headers(realistic, spec)) == columns, (file, sheet)
    assert {c.name for c in TABLES["persons"].columns if c.required and not c.lineage} <= set(
        tables["persons"]["fields"]
    )


def _source_rows(source, spec: dict, skip: list[str]) -> list[dict[str, object]]:
    if "sheet" in spec:
        ws = _book(source)[spec["sheet"]]
        rows = list(ws.iter_rows(min_row=spec.get("header_row", 1), values_only=True))
        records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    else:
        text = (source.out / spec["file"]).read_text("cp1252")
        records = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    return [
        r for r in records if all(_text(r[c]) for c in skip) and any(_text(v) for v in r.values())
    ]


def _keys(source, tables: dict, name: str) -> list[str]:
    """Source keys built from the mapping's key template, as its format page defines them."""
    spec = tables[name]
    rows = _source_rows(source, spec["source"], spec.get("skip_rows", {}).get("blank", []))
    group_of = {}
    if "parent" in spec:
        parent = tables[spec["parent"]]
        columns = parent["one_record_per"]
        firsts = list(dict.fromkeys(tuple(_text(r[c]) for c in columns) for r in rows))
        group_of = dict(zip(firsts, _keys(source, tables, spec["parent"]), strict=True))
    if "one_record_per" in spec:
        seen: dict[tuple, dict] = {}
        for row in rows:
            seen.setdefault(tuple(_text(row[c]) for c in spec["one_record_per"]), row)
        rows = list(seen.values())
    counters: Counter[str] = Counter()
    keys = []
    for row in rows:
        key = spec["key"]
        if group_of:
            parent_columns = tables[spec["parent"]]["one_record_per"]
            key = key.replace("{parent}", group_of[tuple(_text(row[c]) for c in parent_columns)])
        before, seq, after = key.partition("{seq}")
        fill = lambda text: re.sub(r"\{([^}]+)\}", lambda m: _text(row[m.group(1)]), text)  # noqa: B023, E731
        if seq:
            prefix = fill(before)
            counters[prefix] += 1
            keys.append(f"{prefix}{counters[prefix]}{fill(after)}")
        else:
            keys.append(fill(key))
    return keys


def test_keys_built_by_the_mapping_are_unique_and_are_the_truths_keys(realistic) -> None:
    tables = yaml.safe_load((realistic.out / "mapping.yaml").read_text("utf-8"))["tables"]
    keys = {name: _keys(realistic, tables, name) for name in tables if name != "organisation"}
    for name, found in keys.items():
        assert len(found) == len(set(found)) == _total(realistic, name), name
    for kind, entry in realistic.truth["dirt"].items():
        if kind == "document-unlisted-file":  # a file no index row names: no record at all
            assert not set(entry["source_keys"]) & set(keys["documents"])
        elif entry["table"] in keys:
            assert set(entry["source_keys"]) <= set(keys[entry["table"]]), kind
    assert keys["budgets"][0].endswith("/budget/1") and keys["budget_items"][0].endswith(
        "/budget/1/pos/1"
    )


def test_every_code_in_a_clean_source_is_covered_by_the_mapping(clean) -> None:
    maps = yaml.safe_load((clean.out / "mapping.yaml").read_text("utf-8"))["value_maps"]

    def values(rows, column: str) -> set[str]:
        return {str(r[column]).strip() for r in rows if r[column] not in (None, "")}

    klienten, dossiers = _records(clean, "Klienten"), _records(clean, "Dossiers")
    checks = [
        (values(klienten, "Zivilst."), "zivilstand"),
        (values(klienten, "Nat."), "nationalitaet"),
        (values(klienten, "Geschl."), "geschlecht"),
        (values(klienten, "Sprache"), "sprache"),
        (values(klienten, "Bew."), "bewilligung"),
        (values(dossiers, "Art"), "dossierart"),
        (values(dossiers, "Grund"), "abschlussgrund"),
        (values(dossiers, "Segment"), "segment"),
        (values(_records(clean, "Haushalt"), "Rolle"), "rolle"),
        (values(_records(clean, "Mitarbeitende"), "Funktion"), "funktion"),
        (values(_records(clean, "Mitarbeitende"), "aktiv"), "ja_nein"),
        ({r.split(" ", 1)[1] for r in values(klienten, "PLZ/Ort")}, "gemeinde"),
    ]
    budgets = _csv(clean.out / "budgets.csv")
    payments = _csv(clean.out / "auszahlungen.csv")
    checks += [
        (set(budgets["Status"]), "budgetstatus"),
        (set(budgets["Position"]), "position"),
        (set(budgets["Art"]), "einnahme_ausgabe"),
        (set(payments["Art"]), "position"),
        (set(payments["storniert"]) - {""}, "storniert"),
        (set(_csv(clean.out / "notizen.csv")["Art"]), "kontaktart"),
        (set(_csv(clean.out / "scans" / "index.csv")["Typ"]), "dokumenttyp"),
    ]
    for found, name in checks:
        assert found and found <= set(maps[name]), (name, found - set(maps[name]))
    assert "ja" in set(payments["storniert"])  # reversals exist and are marked
    # German words of a hand-kept list, not the format's codes.
    assert {"verh.", "ledig"} <= values(klienten, "Zivilst.") and "WH" in values(dossiers, "Art")


# --- determinism and levels -----------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_truth(tmp_path: Path, realistic) -> None:
    again = generate("custom", tmp_path / "again", cases=150, seed=11)
    files = sorted(p.relative_to(realistic.out) for p in realistic.out.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.out) for p in again.out.rglob("*") if p.is_file())
    for name in files:
        assert (again.out / name).read_bytes() == (realistic.out / name).read_bytes(), name
    other = generate("custom", tmp_path / "other", cases=150, seed=12)
    assert _records(other, "Klienten") != _records(realistic, "Klienten")
    assert (other.out / "auszahlungen.csv").read_bytes() != (
        realistic.out / "auszahlungen.csv"
    ).read_bytes()


def test_no_dirt_at_level_none_only_the_retention_fact(clean) -> None:
    assert set(clean.truth["dirt"]) == {"retention-expired"}
    assert all(counts["rejected"] == 0 for counts in clean.truth["expected"].values())
    klienten = _records(clean, "Klienten")
    assert all(r["AHV"] is None or re.fullmatch(r"756\d{10}", r["AHV"]) for r in klienten)
    assert all(
        r["Name"] == r["Name"].strip() and r["Vorname"] == r["Vorname"].strip() for r in klienten
    )
    assert _csv(clean.out / "auszahlungen.csv")["Betrag"].str.match(DECIMAL_COMMA).all()
    listed = set(_csv(clean.out / "scans" / "index.csv")["Datei"])
    on_disk = {p.name: p.stat().st_size for p in (clean.out / "scans").iterdir()}
    assert set(on_disk) - {"index.csv"} == listed and all(on_disk.values())


def test_reductions_keep_one_address_and_no_measures(clean) -> None:
    expected = clean.truth["expected"]
    assert _total(clean, "addresses") == _total(clean, "persons")
    assert _total(clean, "measures") == 0
    roles = Counter(r["Rolle"] for r in _records(clean, "Haushalt"))
    assert roles["Antragst."] == len(_records(clean, "Dossiers")) == _total(clean, "cases")
    assert expected["cases"]["migrated"] > 0


def test_more_cases_than_a_workbook_holds_are_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="at most"):
        generate("custom", tmp_path / "big", cases=10_000_000)
    assert not any((tmp_path / "big").iterdir())


def test_the_documentation_shows_the_mapping_the_generator_writes(realistic) -> None:
    page = (Path(__file__).parents[2] / "docs" / "custom-mapping.md").read_text("utf-8")
    block = page.split("```yaml\n# Mapping der Klientenliste", 1)[1].split("```", 1)[0]
    assert "# Mapping der Klientenliste" + block == (realistic.out / "mapping.yaml").read_text(
        "utf-8"
    )
