"""A self-built system (Excel list plus Access exports): the population rendered per `custom.md`.

Layout of the export folder (headers in `custom_mapping`, codes in `custom_codes`):

- `Klientenliste.xlsx`, the hand-kept workbook: `Klienten`, `Dossiers` (each under a
  merged title row and a blank row, header on row 3), `Auszahlungen` and `Notizen` (one
  line each: these tables moved to Access, see the CSVs), `Haushalt`, `Mitarbeitende`.
  The example's columns come first, the list's own extras after them (`Geschl.`,
  `Sprache`, `Bew.`, `gest.` in Klienten; `Grund`, `Segment seit` in Dossiers). `Nr` is a
  number in Klienten but text in Dossiers (`Klient Nr`); AHV numbers are text; birth and
  death dates are typed as text `dd.mm.yyyy`, case and household dates are Excel dates;
  formatted empty rows follow the data.
- `budgets.csv`, `auszahlungen.csv`, `notizen.csv`: the big tables as Access exports them,
  Windows-1252, `;`, decimal comma, dates `dd.mm.yyyy` (`dd.mm.yyyy hh:mm` for notes).
  Budgets live here, not in the workbook, because at 10,000 cases they approach Excel's
  1,048,576 rows per sheet. Payments and notes carry Access's running number `Nr`.
- `scans/` with the scanned documents and `scans/index.csv` (file, Dossier, client,
  title, type, date); `mapping.yaml`, the service's mapping (`docs/custom-mapping.md`).

Source keys: persons `Nr`; addresses `<Nr>/address/1`; cases the Dossier number
`<opening year>/<number in the year, 4 digits>`; members `<Dossier>/member/<Nr>`;
budgets `<Dossier>/budget/<n>`, items `<Dossier>/budget/<n>/pos/<m>` (counted from 1
in file order); payments and journal entries their `Nr`; documents the file name;
staff the `Kürzel`; the organisation the service id.

Reductions of the population, applied before counting, so that truth.json says what a
correct migration of this export yields:

- addresses: the list keeps only the current address, so each person keeps the last
  address of their history (none if they have none); it has no validity dates;
- measures: the list keeps no protection measures (the KESB keeps them), so there are none.

Losses that change no count: journal times are kept to the minute, document dates to the
day; staff teams, modification times and the budget a payment belongs to are not kept.

Dirt injected here (never on expired records): names with blanks, impossible birth dates
(`31.02.1984`), AHV numbers with dots or blanks, marital states no value map covers,
amounts `1'234.50` beside `1234,50`, scans listed but missing, empty scans, and scans
nobody listed.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from nffs_migration.errors import ConfigurationError
from nffs_migration.sample_data import custom_codes as codes
from nffs_migration.sample_data import custom_mapping as layout
from nffs_migration.sample_data.custom_xlsx import Book
from nffs_migration.sample_data.dirt import Dirt
from nffs_migration.sample_data.population import Population, count_group
from nffs_migration.sample_data.records import (
    Address,
    Budget,
    Case,
    Document,
    Group,
    Item,
    Journal,
    Person,
    Settings,
    chf,
)
from nffs_migration.sample_data.truth import Truth

SYSTEM = "custom"
#: Cases beyond which a sheet of the workbook could pass Excel's row limit
#: (about 2.1 household rows and 1.9 clients per case).
MAX_CASES = 400_000
TRAILING_BLANK_ROWS = 25


def case_number(case: Case) -> str:
    """`2019/0123`: opening year and running number within the year."""
    return f"{case.opened.year}/{case.seq_year:04d}"


def _position(items: Sequence[object], item: object) -> int:
    for index, candidate in enumerate(items):
        if candidate is item:
            return index + 1
    raise ValueError("record not in its parent")


class Keys:
    """Source keys of the self-built system (see the module docstring)."""

    def person(self, group: Group, person: Person) -> str:
        return str(person.no)

    def address(self, group: Group, person: Person, address: Address) -> str:
        return f"{person.no}/address/1"

    def case(self, group: Group, case: Case) -> str:
        return case_number(case)

    def budget(self, group: Group, case: Case, budget: Budget) -> str:
        return f"{case_number(case)}/budget/{_position(case.budgets, budget)}"

    def item(self, group: Group, case: Case, budget: Budget, item: Item) -> str:
        return f"{self.budget(group, case, budget)}/pos/{_position(budget.items, item)}"

    def journal(self, group: Group, case: Case, entry: Journal) -> str:
        return str(entry.no)


def _day(value: date | None) -> str:
    # Plain integer formatting: strftime costs several times more per call.
    return "" if value is None else f"{value.day:02d}.{value.month:02d}.{value.year}"


def _minute(value: datetime) -> str:
    return f"{_day(value)} {value.hour:02d}:{value.minute:02d}"


def decimal_comma(centimes: int) -> str:
    """`1234,50`: how the Access export writes an amount."""
    sign = "-" if centimes < 0 else ""
    francs, rest = divmod(abs(centimes), 100)
    return f"{sign}{francs},{rest:02d}"


def swiss_amount(centimes: int) -> str:
    """`1'234.50`: an amount typed with a thousands apostrophe and a decimal point."""
    return f"{chf(centimes):,.2f}".replace(",", "'")


def scan_name(case: Case, document: Document) -> str:
    """File name of a scan: `2019-0123_Verfuegung_004711.pdf`."""
    word = codes.DOC_FILE_WORD[document.doc_type]
    return f"{case_number(case).replace('/', '-')}_{word}_{document.no:06d}.{document.extension}"


class _Csv:
    """An Access CSV export: Windows-1252, `;`, CRLF, quotes only where needed."""

    def __init__(self, path: Path, headers: Sequence[str]) -> None:
        self._file = path.open("w", encoding="cp1252", newline="")
        self._writer = csv.writer(self._file, delimiter=";", lineterminator="\r\n")
        self._writer.writerow(headers)

    def add(self, values: Sequence[object]) -> None:
        self._writer.writerow(values)

    def add_all(self, rows: list[Sequence[object]]) -> None:
        self._writer.writerows(rows)

    def close(self) -> None:
        self._file.close()


class Renderer:
    """Writes one self-built export: workbook, CSV exports, scans, mapping and truth."""

    def __init__(self, population: Population, out: Path, dirt: Dirt, truth: Truth) -> None:
        self.population = population
        self.settings = population.settings
        self.out = out
        self.dirt = dirt
        self.truth = truth
        self.keys = Keys()
        self.scans = out / layout.SCANS
        self.short_name = {staff.no: staff.short_name for staff in population.staff}

    def run(self) -> None:
        """Render every group, counting each after its reductions."""
        self.scans.mkdir(parents=True, exist_ok=True)
        with self._files():
            self._staff()
            self.truth.row("staff", count=len(self.population.staff))
            self.truth.row("organisation")
            for group in self.population.groups():
                reduce_group(group)
                self._group(group)
                count_group(self.truth, group)
            for sheet in (self.klienten, self.dossiers, self.haushalt):
                sheet.finish(TRAILING_BLANK_ROWS)
        (self.out / "mapping.yaml").write_text(
            layout.mapping_yaml(self.settings), encoding="utf-8", newline="\n"
        )

    @contextmanager
    def _files(self) -> Iterator[None]:
        settings = self.settings
        service = settings.service
        book = Book(self.out / layout.WORKBOOK, settings.as_of, service.name)
        stand = f"Stand {settings.as_of:%d.%m.%Y}"
        self.klienten = book.sheet(
            "Klienten",
            layout.KLIENTEN,
            title=f"Klientenliste {service.name} – {stand}",
            widths=(7, 16, 12, 11, 17, 10, 10, 24, 18, 7, 9, 5, 11),
        )
        self.dossiers = book.sheet(
            "Dossiers",
            layout.DOSSIERS,
            title=f"Dossiers {service.name} – {stand}",
            widths=(11, 9, 6, 11, 13, 6, 8, 14, 12),
        )
        book.note(
            "Auszahlungen",
            f"Auszahlungen werden in Access geführt: siehe Export {layout.PAYMENTS_CSV}",
        )
        book.note("Notizen", f"Notizen werden in Access geführt: siehe Export {layout.JOURNAL_CSV}")
        self.haushalt = book.sheet("Haushalt", layout.HAUSHALT, widths=(11, 9, 10, 11, 11))
        self.staff_sheet = book.sheet(
            "Mitarbeitende", layout.MITARBEITENDE, widths=(8, 14, 12, 9, 6)
        )
        exports = {
            "budgets": _Csv(self.out / layout.BUDGETS_CSV, layout.BUDGETS),
            "payments": _Csv(self.out / layout.PAYMENTS_CSV, layout.AUSZAHLUNGEN),
            "journal": _Csv(self.out / layout.JOURNAL_CSV, layout.NOTIZEN),
            "index": _Csv(self.out / layout.SCAN_INDEX, layout.SCAN_INDEX_HEADERS),
        }
        self.budgets_csv = exports["budgets"]
        self.payments_csv = exports["payments"]
        self.journal_csv = exports["journal"]
        self.index_csv = exports["index"]
        try:
            yield
        finally:
            for export in exports.values():
                export.close()
            book.close()

    # ---------------------------------------------------------------------------------

    def _staff(self) -> None:
        for staff in self.population.staff:
            self.staff_sheet.add(
                [
                    staff.short_name,
                    staff.family_name,
                    staff.given_name,
                    codes.STAFF_ROLE[staff.role],
                    codes.ACTIVE[staff.active],
                ]
            )

    def _group(self, group: Group) -> None:
        for person in group.persons:
            self._person(person)
        for case in group.cases:
            self._case(group, case)

    def _roll(self, live: bool, kind: str, key: str) -> bool:
        return live and self.dirt.roll(kind, key)

    def _person(self, person: Person) -> None:
        key = str(person.no)
        live = not person.expired
        family, given = person.family_name, person.given_name
        if self._roll(live, "name-padding", key):
            variant = self.dirt.pick("name-padding", key, 3)
            if variant == 0:
                family = family + "  "
            elif variant == 1:
                given = " " + given
            else:
                family, given = " " + family, given + " "
        birth = _day(person.birth_date)
        if person.birth_date and self._roll(live, "birth-date-impossible", key):
            day_month = ("31.02", "30.02", "31.04", "31.06")
            birth = f"{day_month[self.dirt.pick('birth-date-impossible', key, 4)]}."
            birth += str(person.birth_date.year)
        ahv = person.ahvn13 or ""
        if ahv and person.ahv_valid and self._roll(live, "ahvn13-formatted", key):
            separator = "." if self.dirt.pick("ahvn13-formatted", key, 3) else " "
            ahv = separator.join((ahv[:3], ahv[3:7], ahv[7:11], ahv[11:]))
        marital = codes.MARITAL[person.marital] if person.marital else ""
        if self._roll(live, "code-unmapped", key):
            options = codes.MARITAL_UNMAPPED
            marital = options[self.dirt.pick("code-unmapped", key, len(options))]
        nationality = codes.NATIONALITY.get(person.nationality, person.nationality)
        if person.nationality == "CH" and person.no % 4 == 0:
            nationality = codes.SWISS_LONG
        street = town = ""
        if person.addresses:
            address = person.addresses[-1]
            street = f"{address.street} {address.house_number}"
            town = f"{address.postal_code} {address.town}"
        self.klienten.add(
            [
                person.no,
                family,
                given,
                birth,
                ahv,
                marital,
                nationality,
                street,
                town,
                codes.SEX.get(person.sex, ""),
                codes.LANGUAGE[person.language] if person.language else "",
                codes.PERMIT[person.permit] if person.permit else "",
                _day(person.death_date),
            ]
        )

    def _case(self, group: Group, case: Case) -> None:
        number = case_number(case)
        live = not case.expired
        self.dossiers.add(
            [
                number,
                str(case.lead),  # typed as text in this sheet
                codes.DOMAIN[case.domain],
                case.opened,
                case.closed,
                self.short_name.get(case.staff) if case.staff else None,
                case.segment,
                codes.CLOSING_REASON[case.closing_reason] if case.closing_reason else None,
                case.segment_since,
            ]
        )
        for member in case.members:
            self.haushalt.add(
                [
                    number,
                    member.person,
                    codes.MEMBER_ROLE[member.role],
                    member.valid_from,
                    member.valid_to,
                ]
            )
        self._budgets(number, case)
        self._payments(number, case, live)
        self._journal(number, case)
        self._documents(group, case, number, live)

    def _budgets(self, number: str, case: Case) -> None:
        rows: list[Sequence[object]] = []
        for budget in case.budgets:
            month = f"{budget.valid_from.month:02d}.{budget.valid_from.year}"
            status = codes.BUDGET_STATUS[budget.status]
            rows.extend(
                [
                    number,
                    month,
                    status,
                    codes.POSITION[item.position],
                    codes.ITEM_KIND[item.kind],
                    decimal_comma(item.amount),
                ]
                for item in budget.items
            )
        self.budgets_csv.add_all(rows)

    def _payments(self, number: str, case: Case, live: bool) -> None:
        rows: list[Sequence[object]] = []
        for payment in case.payments:
            key = str(payment.no)
            amount = decimal_comma(payment.amount)
            if self._roll(live, "amount-swiss-format", key):
                amount = swiss_amount(payment.amount)
            rows.append(
                [
                    number,
                    _day(payment.value_date),
                    amount,
                    codes.POSITION[payment.category],
                    payment.recipient,
                    codes.REVERSED.get(payment.status, ""),
                    key,
                ]
            )
        self.payments_csv.add_all(rows)

    def _journal(self, number: str, case: Case) -> None:
        self.journal_csv.add_all(
            [
                [
                    number,
                    _minute(entry.occurred_at),
                    codes.CONTACT_TYPE[entry.contact_type],
                    "" if entry.duration is None else entry.duration,
                    entry.text,
                    entry.subject,
                    self.short_name.get(entry.staff, "") if entry.staff else "",
                    entry.no,
                ]
                for entry in case.journal
            ]
        )

    def _documents(self, group: Group, case: Case, number: str, live: bool) -> None:
        for document in case.documents:
            name = scan_name(case, document)
            content: bytes | None = document.content
            if self._roll(live, "document-file-missing", name):
                content = None
                group.rejected[("documents", document.no)] = "document-file-missing"
            elif self._roll(live, "document-zero-bytes", name):
                content = b""
            if content is not None:
                (self.scans / name).write_bytes(content)
            self.index_csv.add(
                [
                    name,
                    number,
                    document.person or "",
                    document.title,
                    codes.DOC_TYPE[document.doc_type],
                    _day(document.created_at.date()),
                ]
            )
        if case.documents:
            first = case.documents[0]
            stray = f"{number.replace('/', '-')}_Nachtrag.{first.extension}"
            if self._roll(live, "document-unlisted-file", stray):
                (self.scans / stray).write_bytes(first.content)


def reduce_group(group: Group) -> None:
    """Reduce a group to what the list can hold (see the module docstring)."""
    for person in group.persons:
        del person.addresses[:-1]
    for case in group.cases:
        case.measures.clear()


def generate(settings: Settings, out: Path, dirt: Dirt, url: str | None = None) -> dict[str, str]:
    """Write a self-built system's export into `out`; returns the paths of its parts.

    `url` is ignored: a self-built source is always files.

    Raises:
        ConfigurationError: More cases than the workbook's sheets can hold.
    """
    if settings.cases > MAX_CASES:
        raise ConfigurationError(
            f"a custom source holds at most {MAX_CASES:,} cases (Excel's row limit per sheet)"
        )
    population = Population(settings, dirt, Keys())
    Renderer(population, out, dirt, dirt.truth).run()
    root = out.resolve()
    paths = {
        "workbook": root / layout.WORKBOOK,
        "budgets": root / layout.BUDGETS_CSV,
        "payments": root / layout.PAYMENTS_CSV,
        "journal": root / layout.JOURNAL_CSV,
        "documents": root / layout.SCANS,
        "document_index": root / layout.SCAN_INDEX,
        "mapping": root / "mapping.yaml",
    }
    return {name: str(path) for name, path in paths.items()}
