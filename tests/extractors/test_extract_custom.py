"""Custom (self-built) extraction: the conformance kit, then the mapping's own cases.

Expected values come from the generator's truth and its mapping.yaml, or from the small
sources built here by hand, never from the code under test.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import shutil
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
import xlsxwriter
import yaml
from extractor_kit import extract, extractor_conformance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nffs_migration.errors import ConfigurationError, NffsError, SourceError
from nffs_migration.extractors.custom.check import check_mapping
from nffs_migration.extractors.custom.fieldrules import FieldRule
from nffs_migration.extractors.custom.fields import Evaluator
from nffs_migration.extractors.custom.keys import KeyMaker, parse_template
from nffs_migration.extractors.custom.mappingfile import load_mapping
from nffs_migration.extractors.custom.propose import propose_mapping
from nffs_migration.extractors.custom.source import Table
from nffs_migration.extractors.custom.values import (
    AMOUNT_FORMATS,
    date_format,
    parse_amount,
    parse_date,
)
from nffs_migration.intermediate_format import CODE_LISTS, TABLES, open_package
from nffs_migration.sample_data.generate import GeneratedSource, generate


def custom_options(source: GeneratedSource) -> dict[str, Any]:
    return {
        "source": str(source.out),
        "documents": source.out / "scans",
        "mapping": source.out / "mapping.yaml",
    }


class TestCustomConformance(extractor_conformance("custom", custom_options)):
    pass


# --- a generated source shared by the cases below -------------------------------------------


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> GeneratedSource:
    return generate("custom", tmp_path_factory.mktemp("custom") / "src", cases=60, seed=5)


@pytest.fixture(scope="module")
def mapping_text(source: GeneratedSource) -> str:
    return (source.out / "mapping.yaml").read_text(encoding="utf-8")


def _line_of(text: str, fragment: str, after: str | None = None) -> int:
    """1-based line of the first line containing `fragment` (after the line with `after`)."""
    lines = text.splitlines()
    start = 0
    if after is not None:
        start = next(i for i, line in enumerate(lines) if after in line) + 1
    return next(i for i, line in enumerate(lines[start:], start) if fragment in line) + 1


def _write_mapping(folder: Path, text: str, name: str = "broken.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- mapping check ---------------------------------------------------------------------------


def test_the_generated_mapping_passes_the_check_without_errors_or_warnings(
    source: GeneratedSource,
) -> None:
    assert check_mapping(source.out / "mapping.yaml") == []


def test_a_broken_mapping_yields_every_error_at_once_with_its_line(
    source: GeneratedSource, mapping_text: str
) -> None:
    text = mapping_text
    text = text.replace(
        'death_date: {column: "gest.", format: "DD.MM.YYYY"}',
        'death_dat: {column: "gest.", format: "DD.MM.YYYY"}',
    )
    text = text.replace('      domain: {column: "Art", map: dossierart}\n', "")
    text = text.replace("notizen.csv", "notizen-2019.csv")
    text = text.replace("sheet: Haushalt,", "sheet: Haushalte,")
    text = text.replace('"verh.": "2"', '"verh.": "married"')
    path = _write_mapping(source.out, text)
    try:
        problems = [p for p in check_mapping(path) if p.severity == "error"]
    finally:
        path.unlink()
    found = {(p.line, p.message) for p in problems}
    expected = [
        (_line_of(text, "death_dat:"), "no field 'death_dat' (did you mean 'death_date'?)"),
        (_line_of(text, "    fields:", after="  cases:"), "required field 'domain' is missing"),
        (_line_of(text, "notizen-2019.csv: {type"), "no such file"),
        (_line_of(text, "sheet: Haushalte"), "has no sheet 'Haushalte'"),
        (_line_of(text, '"verh.": "married"'), "target 'married' of 'verh.' is not a code"),
    ]
    for line, message in expected:
        assert any(ln == line and message in text_ for ln, text_ in found), (line, message, found)
    assert len(problems) == len(expected), problems


def test_mapping_check_cli_lists_problems_and_exits_2_or_says_ok(
    cli, source: GeneratedSource, mapping_text: str
) -> None:
    from nffs_migration.cli import mapping as _mapping  # noqa: F401 - registers the commands

    ok = cli("mapping", "check", str(source.out / "mapping.yaml"))
    assert ok.exit_code == 0 and "mapping OK" in ok.stdout, ok.stderr
    path = _write_mapping(source.out, mapping_text.replace("map: zivilstand", "map: zivil"))
    try:
        bad = cli("mapping", "check", str(path))
    finally:
        path.unlink()
    assert bad.exit_code == 2
    line = _line_of(mapping_text, "map: zivilstand")
    assert f"broken.yaml:{line}: error:" in bad.stdout
    assert "no value map 'zivil'" in bad.stdout
    assert bad.stderr.strip().startswith("error:") and "Traceback" not in bad.stderr


def test_a_refused_mapping_stops_the_extraction_before_any_data_is_read(
    source: GeneratedSource, mapping_text: str, tmp_path: Path
) -> None:
    path = _write_mapping(tmp_path, mapping_text.replace("{Nr}/address/1", "address"))
    with pytest.raises(ConfigurationError, match="line"):
        extract("custom", source, lambda s: {**custom_options(s), "mapping": path}, tmp_path / "p")
    assert not (tmp_path / "p").exists()


def test_yaml_tags_and_duplicate_keys_are_problems_not_actions(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    text = (
        'mapping_format: 1\nservice_id: "0942"\n'
        f'files: !!python/object/apply:os.system ["touch {marker}"]\n'
        "tables: {}\ntables: {}\n"
    )
    problems = check_mapping(_write_mapping(tmp_path, text), tmp_path)
    assert not marker.exists()
    messages = " ".join(p.message for p in problems)
    assert "given twice" in messages and "files" in messages


# --- mapping init ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def proposal(source: GeneratedSource) -> dict[str, Any]:
    text = propose_mapping(source.out)
    assert "Hakimi" not in text  # a family name of the population never appears
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def test_mapping_init_assigns_the_obvious_columns(proposal: dict[str, Any]) -> None:
    persons = proposal["tables"]["persons"]
    assert persons["source"] == {"file": "Klientenliste.xlsx", "sheet": "Klienten", "header_row": 3}
    fields = persons["fields"]
    assert fields["family_name"] == {"column": "Name"}
    assert fields["given_name"] == {"column": "Vorname"}
    assert fields["ahvn13"] == {"column": "AHV"}
    assert fields["birth_date"] == {"column": "Geb.datum", "format": "DD.MM.YYYY"}
    assert proposal["tables"]["staff"]["fields"]["short_name"] == {"column": "Kürzel"}
    assert proposal["tables"]["cases"]["fields"]["opened_on"]["format"] == "excel"
    assert proposal["tables"]["payments"]["source"]["file"] == "auszahlungen.csv"
    assert proposal["files"]["auszahlungen.csv"]["delimiter"] == ";"
    # Value maps are never guessed: listed in comments only, so they load as empty.
    assert all(not entries for entries in (proposal.get("value_maps") or {}).values())


def test_mapping_init_names_only_existing_files_sheets_and_columns(
    source: GeneratedSource, tmp_path: Path
) -> None:
    path = _write_mapping(tmp_path, propose_mapping(source.out), "proposed.yaml")
    problems = check_mapping(path, source.out)
    wrong = [p for p in problems if re.search("not in the header|no such file|no sheet", p.message)]
    assert not wrong


def test_the_proposal_passes_the_check_once_its_todos_are_filled_in(
    source: GeneratedSource, proposal: dict[str, Any], tmp_path: Path
) -> None:
    generated = yaml.safe_load((source.out / "mapping.yaml").read_text(encoding="utf-8"))
    filled = copy.deepcopy(proposal)
    filled["service_id"] = generated["service_id"]
    filled["tables"]["organisation"] = generated["tables"]["organisation"]
    filled["value_maps"] = {}
    for name, table in filled["tables"].items():
        mine = generated["tables"].get(name)
        if name == "organisation" or mine is None:
            continue
        assert table["source"] == mine["source"], name
        by_column = {r.get("column"): r for r in mine["fields"].values() if "column" in r}
        for rule in table["fields"].values():
            if "map" in rule:  # the person fills the map in: from the service's own
                theirs = by_column[rule["column"]]["map"]
                filled["value_maps"][rule["map"]] = generated["value_maps"][theirs]
        for field, rule in mine["fields"].items():  # the TODOs for required fields
            if field not in table["fields"] and TABLES[name].column(field).required:
                table["fields"][field] = rule
                if "map" in rule:
                    filled["value_maps"][rule["map"]] = generated["value_maps"][rule["map"]]
        table["key"] = mine["key"]
        if "one_record_per" in mine:
            table["one_record_per"] = mine["one_record_per"]
    path = _write_mapping(source.out, yaml.safe_dump(filled, allow_unicode=True), "filled.yaml")
    try:
        errors = [p for p in check_mapping(path) if p.severity == "error"]
    finally:
        path.unlink()
    assert errors == []


def test_mapping_init_cli_writes_the_proposal_and_refuses_to_overwrite(
    cli, source: GeneratedSource, tmp_path: Path
) -> None:
    from nffs_migration.cli import mapping as _mapping  # noqa: F401 - registers the commands

    out = tmp_path / "proposed.yaml"
    first = cli(
        "mapping", "init", "--source", str(source.out), "--service", "0942", "--out", str(out)
    )
    assert first.exit_code == 0, first.stderr
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["service_id"] == "0942"
    again = cli("mapping", "init", "--source", str(source.out), "--out", str(out))
    assert again.exit_code == 2 and "--overwrite" in again.stderr


# --- a small source built by hand ----------------------------------------------------------

AS_OF = datetime(2026, 3, 14, 18, 22)  # noqa: DTZ001 - local civil time, as the format has it

MINI_MAPPING = """\
mapping_format: 1
service_id: "0351"
files:
  Liste.xlsx: {type: xlsx}
  zahlungen.csv: {type: csv, delimiter: ";"ENCODING}
  budgets.csv: {type: csv, encoding: utf-8, delimiter: ","}
  scans/index.csv: {type: csv, encoding: utf-8}
documents_folder: scans
tables:
  organisation:
    key: "0351"
    fields:
      name: {value: "Sozialdienst Test"}
      commune_numbers: {value: [351]}
      data_as_of: {value: "14.03.2026 18:22", format: "DD.MM.YYYY hh:mm"}
  persons:
    source: {file: Liste.xlsx, sheet: Klienten, header_row: 3}
    key: "{Nr}"
    skip_rows: {blank: [Nr]}
    fields:
      family_name: {column: Name}
      birth_date: {column: "Geb.datum", format: "DD.MM.YYYY"}
      birth_date_precision: {precision_of: birth_date}
      sex: {column: "Geschl.", map: geschlecht, default: "3"}
  cases:
    source: {file: Liste.xlsx, sheet: Dossiers}
    key: "{Dossier}"
    fields:
      case_number: {column: Dossier}
      domain: {value: economic_aid}
      opened_on: {column: "eröffnet", format: [excel, "DD.MM.YYYY"]}
      closed_on: {column: abgeschlossen, format: [excel, "DD.MM.YYYY"]}
  case_members:
    source: {file: Liste.xlsx, sheet: Haushalt}
    key: "{Dossier}/member/{Klient}"
    fields:
      case_id: {column: Dossier}
      person_id: {column: Klient}
      role: {value: lead}
  budgets:
    source: {file: budgets.csv}
    one_record_per: [Dossier, Monat]
    key: "{Dossier}/budget/{seq}"
    fields:
      case_id: {column: Dossier}
      valid_from: {column: Monat, format: "MM.YYYY"}
      valid_to: {column: Monat, format: "MM.YYYY", day: last}
      status: {value: approved}
  budget_items:
    source: {file: budgets.csv}
    parent: budgets
    key: "{parent}/pos/{seq}"
    fields:
      budget_id: {parent_key: true}
      position: {column: Position}
      kind: {value: expense}
      amount_chf: {column: Betrag, format: "1234.50"}
  payments:
    source: {file: zahlungen.csv, header_row: 2}
    key: "{Nr}"
    skip_rows: {blank: [Nr]}
    fields:
      case_id: {column: Dossier}
      value_date: {column: Datum, format: "DD.MM.YYYY"}
      amount_chf: {column: Betrag, format: "1234,50"}
      recipient: {column: "Empfänger"}
      status: {value: paid}
  documents:
    source: {file: scans/index.csv}
    key: "{Datei}"
    fields:
      case_id: {column: Dossier}
      file: {column: Datei}
value_maps:
  geschlecht: {m: "1", w: "2"}
"""

PAYMENTS = [
    ["Nr", "Dossier", "Datum", "Betrag", "Empfänger"],
    ["1", "2020/1", "05.01.2020", "1234,50", "Gemeinde Zürich"],
    ["2", "2020/1", "06.01.2020", "-12,05", "Müller AG"],
    ["", "2020/1", "", "", "Übertrag"],  # no Nr: not a record
    ["3", "2009/9", "01.02.2009", "100,00", "Bäckerei"],  # on a case past retention
    ["2", "2020/1", "07.01.2020", "99,95", "Müller AG"],  # Nr 2 again: the later wins
    ["4", "2099/1", "01.01.2021", "5,00", "Öl"],  # a case that does not exist
]


def _payments_csv(path: Path, encoding: str) -> None:
    with path.open("w", encoding=encoding, newline="") as handle:
        handle.write("Export Zahlungen\r\n")  # a title line above the header
        csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(PAYMENTS)


def _workbook(path: Path) -> None:
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    dates = book.add_format({"num_format": "dd.mm.yyyy"})
    framed = book.add_format({"bottom": 1})
    klienten = book.add_worksheet("Klienten")
    klienten.merge_range(0, 0, 0, 3, "Klientenliste – Stand 14.03.2026")
    klienten.write_row(2, 0, ["Nr", "Name", "Geb.datum", "Geschl."])
    klienten.write_number(3, 0, 1)
    klienten.write_row(3, 1, ["Muster", "07.03.1984", "m"])
    klienten.write_string(4, 0, "2")  # a number stored as text
    klienten.write_string(4, 1, "  Beispiel ")
    klienten.write_datetime(4, 2, datetime(1990, 5, 1), dates)  # noqa: DTZ001 - a real date cell
    klienten.write_string(4, 3, "w")
    klienten.write_number(5, 0, 3)
    klienten.write_row(5, 1, ["Früher", "31.02.1950", "x"])
    for row in range(6, 30):  # formatted, empty rows below the list
        for column in range(4):
            klienten.write_blank(row, column, None, framed)
    dossiers = book.add_worksheet("Dossiers")
    dossiers.write_row(0, 0, ["Dossier", "eröffnet", "abgeschlossen"])
    dossiers.write_string(1, 0, "2020/1")
    dossiers.write_datetime(1, 1, datetime(2020, 1, 5), dates)  # noqa: DTZ001
    dossiers.write_row(2, 0, ["2009/9", "03.04.2008", "01.01.2010"])
    haushalt = book.add_worksheet("Haushalt")
    haushalt.write_row(0, 0, ["Dossier", "Klient"])
    haushalt.merge_range(1, 0, 2, 0, "2020/1")  # one Dossier cell for the household's rows
    haushalt.write_number(1, 1, 1)
    haushalt.write_string(2, 1, "2")
    haushalt.write_row(3, 0, ["2009/9", "3"])
    book.close()


def _mini(folder: Path, encoding: str = "cp1252", declared: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _workbook(folder / "Liste.xlsx")
    _payments_csv(folder / "zahlungen.csv", encoding)
    (folder / "budgets.csv").write_text(
        "Dossier,Monat,Position,Betrag\n2020/1,01.2020,GBL,1000.00\n2020/1,01.2020,MIETE,800\n"
        "2020/1,02.2020,GBL,1000.00\n2020/1,01.2020,NK,120.50\n",
        encoding="utf-8",
    )
    scans = folder / "scans"
    scans.mkdir(exist_ok=True)
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        (scans / name).write_bytes(b"%PDF-1.4 " + name.encode())
    (scans / "index.csv").write_text(
        "Datei;Dossier\na.pdf;2020/1\n../zahlungen.csv;2020/1\nfehlt.pdf;2020/1\nb.pdf;2009/9\n",
        encoding="utf-8",
    )
    text = MINI_MAPPING.replace("ENCODING", f", encoding: {declared}" if declared else "")
    (folder / "mapping.yaml").write_text(text, encoding="utf-8")
    return folder


def _extract_mini(folder: Path, out: Path) -> dict[str, pd.DataFrame]:
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.run import extract_package

    extractor = get_extractor("custom")
    options = extractor.options_class(source=str(folder), service_id="0351", as_of=AS_OF)
    extract_package(extractor, options, out)
    with open_package(out) as opened:
        return {name: opened.frame(name).set_index("source_key") for name in TABLES}


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, pd.DataFrame]]:
    root = tmp_path_factory.mktemp("mini")
    folder = _mini(root / "src")
    return root / "pkg", _extract_mini(folder, root / "pkg")


def test_xlsx_header_below_a_title_numbers_as_text_and_trailing_empty_rows(mini) -> None:
    _, tables = mini
    persons = tables["persons"]
    assert sorted(persons.index) == ["1", "2"]  # 3 belongs only to a case past retention
    assert persons.loc["2", "family_name"] == "Beispiel"
    assert persons.loc["1", "birth_date"] == date(1984, 3, 7)  # text date
    assert persons.loc["2", "birth_date"] == date(1990, 5, 1)  # real Excel date
    assert list(persons["birth_date_precision"]) == ["day", "day"]
    assert list(persons["sex"]) == ["1", "2"]


def test_merged_cells_give_their_value_to_every_row_they_span(mini) -> None:
    _, tables = mini
    members = tables["case_members"]
    assert sorted(members.index) == ["2020/1/member/1", "2020/1/member/2"]
    assert set(members["case_id"]) == {"0351:custom:2020/1"}


def test_csv_with_decimal_comma_title_line_and_umlauts(mini) -> None:
    _, tables = mini
    payments = tables["payments"]
    assert sorted(payments.index) == ["1", "2"]
    assert payments.loc["1", "amount_chf"] == Decimal("1234.50")
    assert payments.loc["2", "amount_chf"] == Decimal("99.95")  # the later record with Nr 2
    assert payments.loc["1", "recipient"] == "Gemeinde Zürich"


def test_groups_of_rows_are_one_record_and_seq_counts_in_file_order(mini) -> None:
    _, tables = mini
    budgets, items = tables["budgets"], tables["budget_items"]
    assert sorted(budgets.index) == ["2020/1/budget/1", "2020/1/budget/2"]
    assert budgets.loc["2020/1/budget/1", "valid_to"] == date(2020, 1, 31)
    assert items.loc["2020/1/budget/1/pos/3", "position"] == "NK"  # rows apart, one budget
    assert items.loc["2020/1/budget/2/pos/1", "budget_id"] == "0351:custom:2020/1/budget/2"
    assert items["amount_chf"].sum() == Decimal("2920.50")


def test_every_record_is_accounted_for_per_source_file_or_sheet(mini) -> None:
    package, _ = mini
    accounting = json.loads((package / "manifest.json").read_text())["accounting"]
    payments = accounting["zahlungen.csv"]
    # Rows above the header and rows without a Nr are no records; Nr 2 twice, one orphan,
    # one on a case past retention.
    assert payments == {
        "read": 5,
        "migrated": 2,
        "rejected": 2,
        "excluded": 1,
        "excluded_by_rule": {"retention-expired": 1},
    }
    assert accounting["budgets.csv#budgets"]["read"] == 2
    assert accounting["budgets.csv#budget_items"]["read"] == 4
    assert accounting["Liste.xlsx:Klienten"]["read"] == 3
    rejects = pq.read_table(package / "rejects" / "payments.parquet").to_pylist()
    assert {(r["source_key"], r["rule"]) for r in rejects} == {
        ("2", "duplicate-key"),
        ("4", "orphan-record"),
    }


def test_scans_are_copied_and_unsafe_missing_and_unlisted_ones_reported(mini) -> None:
    package, tables = mini
    documents = tables["documents"]
    assert list(documents.index) == ["a.pdf"]
    assert documents.loc["a.pdf", "file"] == "documents/2020/1/a.pdf"
    assert (package / "documents" / "2020" / "1" / "a.pdf").read_bytes() == b"%PDF-1.4 a.pdf"
    rejects = pq.read_table(package / "rejects" / "documents.parquet").to_pylist()
    assert {(r["source_key"], r["rule"]) for r in rejects} == {
        ("../zahlungen.csv", "document-path-unsafe"),
        ("fehlt.pdf", "document-file-missing"),
    }
    findings = json.loads((package / "reports" / "extract-findings.json").read_text())["findings"]
    unlisted = {f["source_key"] for f in findings if f["rule_id"] == "document-unlisted-file"}
    assert unlisted == {"c.pdf"}  # b.pdf is listed (by a record past retention), index.csv is ours


def test_findings_name_keys_and_rules_only(mini) -> None:
    package, _ = mini
    findings = json.loads((package / "reports" / "extract-findings.json").read_text())["findings"]
    assert ("duplicate-key", "2") in {(f["rule_id"], f["source_key"]) for f in findings}
    text = json.dumps(findings, ensure_ascii=False)
    assert "Müller" not in text and "Beispiel" not in text


def test_every_value_no_map_covers_is_counted_in_the_manifest(mini) -> None:
    package, _ = mini
    manifest = json.loads((package / "manifest.json").read_text())
    assert manifest["unmapped_codes"] == {"geschlecht": {"x": 1}}
    assert manifest["mapping_versions"]["value_maps"].startswith("mapping.yaml sha256:")


def test_the_organisation_comes_from_the_mapping_and_its_service_must_match(
    mini, tmp_path: Path
) -> None:
    _, tables = mini
    organisation = tables["organisation"].iloc[0]
    assert organisation["name"] == "Sozialdienst Test"
    assert json.loads(organisation["commune_numbers"]) == [351]
    from nffs_migration.extractors import get_extractor

    extractor = get_extractor("custom")
    folder = _mini(tmp_path / "src")
    options = extractor.options_class(source=str(folder), service_id="0942")
    with pytest.raises(ConfigurationError, match="service 0351, not of 0942"):
        extractor.describe(options)


def test_a_profile_shows_code_frequencies_and_no_names(tmp_path: Path) -> None:
    from nffs_migration.extractors import get_extractor

    extractor = get_extractor("custom")
    folder = _mini(tmp_path / "src")
    profile = extractor.profile(extractor.options_class(source=str(folder), service_id="0000"))
    text = json.dumps(profile.to_dict(), ensure_ascii=False, default=str)
    assert "Muster" not in text and "Beispiel" not in text
    klienten = next(t for t in profile.tables if t.name == "Liste.xlsx:Klienten")
    assert klienten.rows == 3
    assert next(c for c in klienten.columns if c.name == "Geschl.").distinct == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_the_same_csv_in_three_encodings_gives_the_same_rows(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "zahlungen.csv"
    _payments_csv(path, encoding)
    table = Table(path, "csv", path.name, header_row=2)  # no encoding: detected
    rows = [list(row) for chunk in table.chunks(100) for row in chunk.cells]
    assert rows == [row for row in PAYMENTS[1:] if any(row)]
    assert table.encoding == encoding


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_extraction_detects_the_encoding_when_the_mapping_gives_none(
    tmp_path: Path, encoding: str, mini
) -> None:
    folder = _mini(tmp_path / "src", encoding=encoding)
    tables = _extract_mini(folder, tmp_path / "pkg")
    assert tables["payments"].loc["1", "recipient"] == "Gemeinde Zürich"


def test_the_mappings_encoding_wins_over_detection(tmp_path: Path) -> None:
    folder = _mini(tmp_path / "src", encoding="utf-8", declared="windows-1252")
    # Read as Windows-1252, the UTF-8 header says "EmpfÃ¤nger": the column is not there.
    problems = check_mapping(folder / "mapping.yaml")
    assert [p.message for p in problems if "'Empfänger' is not in the header" in p.message]
    folder = _mini(tmp_path / "again", encoding="cp1252", declared="windows-1252")
    tables = _extract_mini(folder, tmp_path / "pkg")
    assert tables["payments"].loc["1", "recipient"] == "Gemeinde Zürich"


def test_a_csv_that_is_not_in_its_declared_encoding_is_one_clear_error(tmp_path: Path) -> None:
    folder = _mini(tmp_path / "src", encoding="cp1252", declared="utf-8")
    with pytest.raises(ConfigurationError, match="not readable as utf-8"):
        _extract_mini(folder, tmp_path / "pkg")
    assert not (tmp_path / "pkg").exists()
    # The header is UTF-8; a row far below it (beyond what the check reads) is not.
    rows = "".join(f"{n};2020/1;05.01.2020;1,00;Bern\n" for n in range(10, 2000))
    head = "Titel\nNr;Dossier;Datum;Betrag;Empfänger\n" + rows
    tail = "1;2020/1;05.01.2020;1,00;Zürich\n".encode("cp1252")
    (folder / "zahlungen.csv").write_bytes(head.encode("utf-8") + tail)
    with pytest.raises(SourceError, match="not readable as utf-8"):
        _extract_mini(folder, tmp_path / "pkg")


# --- hostile names -------------------------------------------------------------------------

HOSTILE = [
    "Robert'); DROP TABLE Students;--",
    '"quoted" ; name',
    "../../etc/passwd",
    "{__import__('os').system('touch x')}",
    "SELECT * FROM tblKlient WHERE 1=1",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_sheet_and_column_names_are_plain_strings(tmp_path: Path, name: str) -> None:
    folder = _mini(tmp_path / "src")
    text = (folder / "mapping.yaml").read_text(encoding="utf-8")
    text = text.replace("sheet: Dossiers", f"sheet: {json.dumps(name)}")
    text = text.replace("{column: Name}", f"{{column: {json.dumps(name)}}}")
    text = text.replace("{column: Position}", f"{{column: {json.dumps(name + ';')}}}")
    (folder / "mapping.yaml").write_text(text, encoding="utf-8")
    problems = check_mapping(folder / "mapping.yaml")
    messages = [p.message for p in problems if p.severity == "error"]
    assert any("has no sheet" in m for m in messages)
    assert sum("is not in the header" in m for m in messages) == 2
    with pytest.raises(ConfigurationError, match="refused"):
        _extract_mini(folder, tmp_path / "pkg")
    assert not (tmp_path / "x").exists() and not (folder / "x").exists()


@pytest.mark.parametrize("path", ["../zahlungen.csv", "/etc/passwd", "C:/x.csv", "a/../../b.csv"])
def test_file_paths_that_leave_the_source_folder_are_refused(tmp_path: Path, path: str) -> None:
    folder = _mini(tmp_path / "src")
    shutil.copy(folder / "zahlungen.csv", tmp_path / "zahlungen.csv")
    text = (
        (folder / "mapping.yaml")
        .read_text(encoding="utf-8")
        .replace("zahlungen.csv", json.dumps(path))
    )
    (folder / "mapping.yaml").write_text(text, encoding="utf-8")
    messages = [p.message for p in check_mapping(folder / "mapping.yaml")]
    assert any("not a path inside the source folder" in m for m in messages), messages


# --- property tests --------------------------------------------------------------------------

CELLS = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(
        ["07.03.1984", "31.02.1984", "00.03.1984", "1984", "03.1984", " m ", "1'234.50"]
    ),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
DATE_PATTERNS = ["DD.MM.YYYY", "MM.YYYY", "YYYY", "YYYY-MM-DD", "DD.MM.YYYY hh:mm", "excel"]
MAPPED = [
    (table.name, column)
    for table in TABLES.values()
    for column in table.columns
    if not column.lineage
]


@given(st.text(max_size=40))
def test_any_key_template_parses_or_raises_the_toolkits_error(text: str) -> None:
    try:
        template = parse_template(text)
    except ConfigurationError:
        return
    assert template.text == text


@given(
    st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=8),
    st.lists(st.one_of(st.none(), st.text(max_size=6)), min_size=1, max_size=30),
)
def test_seq_numbers_each_prefix_from_one_in_order(literal: str, values: list[str | None]) -> None:
    maker = KeyMaker(parse_template(literal + "{A}/{seq}"))
    counts: dict[str, int] = {}
    for value in values:
        key = maker.render({"A": value})
        if value is None:
            assert key is None
            continue
        counts[value] = counts.get(value, 0) + 1
        assert key == f"{literal}{value}/{counts[value]}"


@given(st.text(max_size=20), st.lists(CELLS, max_size=5), st.text(max_size=5))
def test_key_rendering_never_raises(template: str, cells: list[Any], parent: str) -> None:
    try:
        maker = KeyMaker(parse_template(template))
    except ConfigurationError:
        return
    columns = maker.template.columns
    texts = {c: (str(cells[i]) if i < len(cells) else None) for i, c in enumerate(columns)}
    key = maker.render(texts, parent)
    assert key is None or isinstance(key, str)


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=150)
@given(
    st.sampled_from(MAPPED),
    st.lists(CELLS, max_size=20),
    st.lists(st.sampled_from(DATE_PATTERNS), min_size=1, max_size=3),
    st.lists(st.sampled_from(AMOUNT_FORMATS), min_size=1, max_size=3),
    st.sampled_from([None, r"(\d+)", r"\w+", r"^(.+?)\s+\d", r"x(y)?", r"^\d{4}\s+(.+)$"]),
)
def test_field_rules_turn_any_cell_into_a_value_of_the_fields_type_or_a_reason(
    target: tuple[str, Any],
    cells: list[Any],
    dates: list[str],
    amounts: list[str],
    extract_: str | None,
) -> None:
    table, column = target
    rule = FieldRule(table, column.name, column, 1, source_column="c")
    rule.date_formats = tuple(date_format(f) for f in dates)
    rule.amount_formats = tuple(amounts)
    rule.extract = re.compile(extract_) if extract_ else None
    if column.codes:
        rule.map_name, rule.map_table = "m", {"a": CODE_LISTS[column.codes].values[0]}
    outcome = Evaluator(rule, None).run(cells)
    assert len(outcome.values) == len(cells) == len(outcome.problems)
    for value, problem in zip(outcome.values, outcome.problems, strict=True):
        assert problem is None or value is None
        if value is None:
            continue
        kind = column.kind.value
        expected = {
            "date": date,
            "timestamp": datetime,
            "money": Decimal,
            "integer": int,
            "boolean": bool,
        }.get(kind, str)
        assert isinstance(value, expected), (kind, value)


@given(st.text(max_size=30))
def test_any_date_format_compiles_or_raises_the_toolkits_error(text: str) -> None:
    try:
        fmt = date_format(text)
    except ConfigurationError:
        return
    assert parse_date("07.03.1984", (fmt,)).value is None or fmt.pattern is not None


@given(st.decimals(min_value=-(10**8), max_value=10**8, places=2, allow_nan=False))
def test_amounts_written_in_each_format_read_back_exactly(value: Decimal) -> None:
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):.2f}".split(".")
    grouped = f"{int(whole):,}"
    written = {
        "1234,50": f"{sign}{whole},{cents}",
        "1234.50": f"{sign}{whole}.{cents}",
        "1'234.50": f"{sign}{grouped.replace(',', chr(39))}.{cents}",
        "1.234,50": f"{sign}{grouped.replace(',', '.')},{cents}",
        "excel": f"{sign}{whole}.{cents}",
    }
    for fmt, text in written.items():
        assert parse_amount(text, (fmt,)) == value, (fmt, text)


@settings(max_examples=60)
@given(st.text(max_size=200))
def test_any_mapping_text_gives_problems_never_an_exception(tmp_path_factory, text: str) -> None:
    folder = tmp_path_factory.mktemp("any")
    path = folder / "mapping.yaml"
    path.write_text(text, encoding="utf-8")
    mapping, problems = load_mapping(path)
    assert mapping is not None or problems
    try:
        check_mapping(path, folder)
    except NffsError:  # pragma: no cover - the check collects, it does not raise
        pytest.fail("check_mapping raised")
