"""Tutoris (Infogate, XML export format 7.2): the population rendered as the vendor's export.

Writes `export.xml` exactly in the structure of `legacy-systems/tutoris.md`, streamed
element by element with `lxml.etree.xmlfile` in ISO-8859-1 (characters beyond Latin-1
become character references), plus the document folder `dokumente/<Fall nr>/...` that
the `datei` attributes point into. Persons come before cases in the file but are
generated together, group by group: the `<Faelle>` section is streamed into an
anonymous spool file and copied behind `<Personen>` at the end, so memory stays bounded
whatever the size. The export is written under a temporary name and renamed into place.

"None" is the empty string (`abgeschlossen=""`, `<SozVersNr></SozVersNr>`), as Tutoris
writes it. Encoding dirt is injected here: `00.00.yyyy` and impossible birth dates, AHV
numbers without dots or with blanks, mojibake names, duplicate person ids (the earlier
element is the stale one), members and journal entries pointing at ids not in the file,
amounts as `1234,50`, `1234.50` and once `-0.00`, and the document folder's missing,
escaping, empty and unlisted files (`tutoris_documents`). Vocabulary choices and text
formats: see `tutoris_codes`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeVar

from lxml import etree

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
    Measure,
    Member,
    Payment,
    Person,
    Settings,
)
from nffs_migration.sample_data.truth import Truth
from nffs_migration.sample_data.tutoris_codes import (
    ABSCHLUSSGRUND,
    ART,
    BUDGET_STATUS,
    DECLARATION,
    ENCODING,
    FALL_TYP,
    FORMAT_VERSION,
    GESCHLECHT,
    JOURNAL_TYP,
    MA_ROLLE,
    MITGLIED_ROLLE,
    NATIONALITAET,
    ZIVILSTAND,
    betrag,
    betrag_plain,
    datum,
    dauer,
    french_installation,
    in_language,
    latin1,
    mojibake,
    sozversnr,
    zeitpunkt,
)
from nffs_migration.sample_data.tutoris_documents import DOCUMENTS, DocumentFolder

SYSTEM = "tutoris"
EXPORT_NAME = "export.xml"
#: Ids that exist nowhere in the export (dangling references, the invented payment).
MISSING_BASE = 900_000_000
MISSING_STAFF_BASE = 900_000

Record = TypeVar("Record")


def person_id(number: int) -> str:
    """`P-10023`: the person's id in the export."""
    return f"P-{number + 10000}"


def case_number(case: Case) -> str:
    """`2020-0456`: opening year and sequence within the year."""
    return f"{case.opened.year}-{case.seq_year:04d}"


def _position(records: list[Record], record: Record) -> int:
    for index, candidate in enumerate(records, 1):
        if candidate is record:
            return index
    raise KeyError("record is not in its parent")


class Keys:
    """Tutoris source keys: element ids, and case number plus position for keyless records."""

    def __init__(self) -> None:
        # Budget positions are asked for once per budget while the population injects
        # dirt; a plain scan would be quadratic in a case's budgets.
        self._budget_positions: dict[int, int] = {}

    def person(self, group: Group, person: Person) -> str:
        return person_id(person.no)

    def address(self, group: Group, person: Person, address: Address) -> str:
        return f"{person_id(person.no)}/address/{_position(person.addresses, address)}"

    def case(self, group: Group, case: Case) -> str:
        return case_number(case)

    def budget(self, group: Group, case: Case, budget: Budget) -> str:
        budgets = case.budgets
        position = self._budget_positions.get(id(budget))
        if position is None or position > len(budgets) or budgets[position - 1] is not budget:
            self._budget_positions = {id(b): index for index, b in enumerate(budgets, 1)}
            position = self._budget_positions.get(id(budget))
            if position is None:
                raise KeyError("budget is not in its case")
        return f"{case_number(case)}/budget/{position}"

    def item(self, group: Group, case: Case, budget: Budget, item: Item) -> str:
        return f"{self.budget(group, case, budget)}/pos/{_position(budget.items, item)}"

    def journal(self, group: Group, case: Case, entry: Journal) -> str:
        return f"J-{entry.no}"

    def member(self, case: Case, person: str) -> str:
        return f"{case_number(case)}/member/{person}"

    def payment(self, payment: Payment) -> str:
        return f"Z-{payment.no}"

    def measure(self, case: Case, position: int) -> str:
        return f"{case_number(case)}/measure/{position}"

    def document(self, document: Document) -> str:
        return f"D-{document.no}"


def _text(parent: Any, tag: str, text: str) -> Any:
    child = etree.SubElement(parent, tag)
    child.text = text
    return child


def _cdata(text: str) -> Any:
    """CDATA as Tutoris writes free text, where CDATA can hold it.

    Inside CDATA a character beyond Latin-1 cannot become a character reference, and
    `]]>` would end the section: such texts are written as escaped text instead.
    """
    if "]]>" in text or not latin1(text):
        return text
    return etree.CDATA(text)


def _never(kind: str, key: str, **_: object) -> bool:
    return False


class Renderer:
    """Writes one Tutoris source: export.xml, the document folder and the truth."""

    def __init__(self, population: Population, out: Path, dirt: Dirt, truth: Truth) -> None:
        self.population = population
        self.out = out
        self.dirt = dirt
        self.truth = truth
        self.keys = Keys()
        self.french = french_installation(population.service)
        self.folder = DocumentFolder(out, dirt, self.french)
        self._zero_amount_written = False

    def run(self) -> Path:
        """Write the export and the documents; return the export's path."""
        export = self.out / EXPORT_NAME
        temporary = self.out / f".{EXPORT_NAME}.tmp-{os.getpid()}"
        (self.out / DOCUMENTS).mkdir(parents=True, exist_ok=True)
        try:
            with (
                temporary.open("wb") as raw,
                tempfile.TemporaryFile(dir=self.out, prefix=".faelle-") as spool,
            ):
                self._write(raw, spool)
            temporary.replace(export)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return export

    def _write(self, raw: IO[bytes], spool: IO[bytes]) -> None:
        settings = self.population.settings
        root = {
            "formatVersion": FORMAT_VERSION,
            "mandant": self.population.service.name,
            "mandantNr": settings.service_id,
            "exportDatum": zeitpunkt(settings.as_of),
            "vollExport": "true",
        }
        raw.write(DECLARATION)
        with etree.xmlfile(raw, encoding=ENCODING) as xf, xf.element("TutorisExport", root):
            self._staff(xf)
            with etree.xmlfile(spool, encoding=ENCODING) as cases:
                xf.write("\n  ")
                with xf.element("Personen"), cases.element("Faelle"):
                    for group in self.population.groups():
                        self._group(xf, cases, group)
                        count_group(self.truth, group)
                    xf.write("\n  ")
                    cases.write("\n  ")
            # <Faelle> is complete in the spool: copy it behind </Personen>.
            xf.write("\n  ")
            xf.flush()
            spool.seek(0)
            shutil.copyfileobj(spool, raw, 1 << 20)
            xf.write("\n")
        raw.write(b"\n")

    # staff ------------------------------------------------------------------------------

    def _staff(self, xf: Any) -> None:
        xf.write("\n  ")
        with xf.element("Mitarbeitende"):
            for staff in self.population.staff:
                xf.write("\n    ")
                xf.write(
                    etree.Element(
                        "MA",
                        {
                            "id": str(staff.no),
                            "kuerzel": staff.short_name,
                            "name": staff.family_name,
                            "vorname": staff.given_name,
                            "rolle": MA_ROLLE[staff.role],
                            "aktiv": "1" if staff.active else "0",
                        },
                    )
                )
            xf.write("\n  ")
        self.truth.row("staff", count=len(self.population.staff))
        self.truth.row("organisation")

    # persons ----------------------------------------------------------------------------

    def _group(self, xf: Any, cases: Any, group: Group) -> None:
        for person in group.persons:
            self._person(xf, group, person)
        for case in group.cases:
            self._case(cases, group, case)

    def _person(self, xf: Any, group: Group, person: Person) -> None:
        key = self.keys.person(group, person)
        roll = _never if person.expired else self.dirt.roll
        french = person.language == "fr"
        if roll("person-duplicate-id", key):
            self._stale_duplicate(xf, key, person, french)
        family, given = person.family_name, person.given_name
        born = datum(person.birth_date)
        if person.birth_date is not None and roll("birth-date-year-only", key):
            born = f"00.00.{person.birth_date.year:04d}"
        elif person.birth_date is not None and roll("birth-date-impossible", key):
            day = ("31", "30")[self.dirt.pick("birth-date-impossible", key, 2)]
            born = f"{day}.02.{person.birth_date.year:04d}"
        ahv = sozversnr(person.ahvn13)
        if person.ahvn13 and person.ahv_valid and roll("ahvn13-formatted", key):
            ahv = (
                person.ahvn13
                if self.dirt.pick("ahvn13-formatted", key, 2)
                else ahv.replace(".", " ")
            )
        garbled_family, garbled_given = mojibake(family), mojibake(given)
        if (garbled_family or garbled_given) and roll("mojibake", key):
            if garbled_family:
                family = garbled_family
            else:
                given = garbled_given or given
        addresses = [
            (datum(a.valid_from), datum(a.valid_to), _address_line(a)) for a in person.addresses
        ]
        self._write_person(
            xf,
            key,
            [
                ("Name", family),
                ("Vorname", given),
                ("GebDat", born),
                ("Geschlecht", GESCHLECHT[person.sex]),
                ("SozVersNr", ahv),
                ("Zivilstand", _zivilstand(person.marital, french)),
                ("Nationalitaet", in_language(NATIONALITAET[person.nationality], french)),
                ("Bewilligung", person.permit or ""),
            ],
            addresses,
        )

    def _stale_duplicate(self, xf: Any, key: str, person: Person, french: bool) -> None:
        """An earlier element with the same id: the person as first entered, since changed."""
        marital = "9" if person.marital != "9" else "1"
        first = person.addresses[:1]
        addresses = [(datum(a.valid_from), "", _address_line(a)) for a in first]
        self._write_person(
            xf,
            key,
            [
                ("Name", person.family_name),
                ("Vorname", person.given_name),
                ("GebDat", datum(person.birth_date)),
                ("Geschlecht", GESCHLECHT[person.sex]),
                ("SozVersNr", ""),
                ("Zivilstand", _zivilstand(marital, french)),
                ("Nationalitaet", in_language(NATIONALITAET[person.nationality], french)),
                ("Bewilligung", ""),
            ],
            addresses,
        )
        self.truth.row("persons", "rejected", rule="duplicate-key")
        if addresses:
            self.truth.row("addresses", "rejected", rule="duplicate-key", count=len(addresses))

    def _write_person(
        self,
        xf: Any,
        key: str,
        fields: list[tuple[str, str]],
        addresses: list[tuple[str, str, str]],
    ) -> None:
        element = etree.Element("Person", id=key)
        for tag, value in fields:
            _text(element, tag, value)
        container = etree.SubElement(element, "Adressen")
        for valid_from, valid_to, line in addresses:
            etree.SubElement(container, "Adresse", von=valid_from, bis=valid_to).text = line
        etree.indent(element, space="  ", level=2)
        xf.write("\n    ")
        xf.write(element)

    # cases ------------------------------------------------------------------------------

    def _case(self, xf: Any, group: Group, case: Case) -> None:
        number = case_number(case)
        live = not case.expired
        fall = etree.Element(
            "Fall",
            {
                "nr": number,
                "typ": FALL_TYP[case.domain],
                "eroeffnet": datum(case.opened),
                "abgeschlossen": datum(case.closed),
                "abschlussgrund": ABSCHLUSSGRUND[case.closing_reason]
                if case.closing_reason
                else "",
                "fallfuehrung": "" if case.staff is None else str(case.staff),
                "segment": case.segment or "",
            },
        )
        self._members(fall, case.members, case, live)
        budgets = etree.SubElement(fall, "Budgets")
        for budget in case.budgets:
            element = etree.SubElement(
                budgets,
                "Budget",
                von=datum(budget.valid_from),
                bis=datum(budget.valid_to),
                status=BUDGET_STATUS[budget.status],
            )
            for item in budget.items:
                etree.SubElement(
                    element,
                    "Pos",
                    code=item.position,
                    art=ART[item.kind],
                    betrag=betrag(item.amount),
                )
        self._payments(etree.SubElement(fall, "Zahlungen"), case, live)
        self._journal(etree.SubElement(fall, "Journal"), group, case, live)
        measures = etree.SubElement(fall, "Massnahmen")
        for measure in case.measures:
            _measure(measures, measure)
        documents = etree.SubElement(fall, "Dokumente")
        for document in case.documents:
            key = self.keys.document(document)
            attributes = self.folder.file(group, case, number, key, document, live)
            etree.SubElement(documents, "Dokument", attributes)
        if live and case.documents:
            self.folder.unlisted_file(number)
        etree.indent(fall, space="  ", level=2)
        xf.write("\n    ")
        xf.write(fall)

    def _members(self, fall: Any, members: list[Member], case: Case, live: bool) -> None:
        for member in members:
            etree.SubElement(
                fall, "Mitglied", person=person_id(member.person), rolle=MITGLIED_ROLLE[member.role]
            )
        missing = f"P-{MISSING_BASE + case.no}"
        if live and self.dirt.roll("member-dangling-person", self.keys.member(case, missing)):
            etree.SubElement(fall, "Mitglied", person=missing, rolle=MITGLIED_ROLLE["other"])
            self.truth.row("case_members", "rejected", rule="dangling-reference")

    def _payments(self, container: Any, case: Case, live: bool) -> None:
        for payment in case.payments:
            key = self.keys.payment(payment)
            amount = betrag(payment.amount)
            if live and self.dirt.roll("amount-swiss-format", key):
                # Below 1'000 the point form is the normal one: only the comma is dirt.
                comma = abs(payment.amount) < 100_000 or not self.dirt.pick(
                    "amount-swiss-format", key, 2
                )
                amount = betrag_plain(payment.amount, comma)
            element = etree.SubElement(
                container,
                "Zahlung",
                id=key,
                valuta=datum(payment.value_date),
                betrag=amount,
                kategorie=payment.category,
                storno="1" if payment.status == "reversed" else "0",
            )
            element.text = payment.recipient
        if (
            live
            and case.payments
            and not self._zero_amount_written
            and self.dirt.applies("amount-swiss-format")
        ):
            # A netted-out booking, once per export: `-0.00` is zero.
            self._zero_amount_written = True
            key = f"Z-{MISSING_BASE + case.no}"
            last = case.payments[-1]
            element = etree.SubElement(
                container,
                "Zahlung",
                id=key,
                valuta=datum(last.value_date),
                betrag="-0.00",
                kategorie=last.category,
                storno="0",
            )
            element.text = last.recipient
            self.truth.inject("amount-swiss-format", key)
            self.truth.row("payments", "migrated", amount=Decimal("0.00"))

    def _journal(self, container: Any, group: Group, case: Case, live: bool) -> None:
        for entry in case.journal:
            key = self.keys.journal(group, case, entry)
            staff = "" if entry.staff is None else str(entry.staff)
            if live and entry.staff is not None and self.dirt.roll("journal-dangling-staff", key):
                staff = str(MISSING_STAFF_BASE + entry.staff)
            element = etree.SubElement(
                container,
                "Eintrag",
                id=key,
                datum=zeitpunkt(entry.occurred_at),
                ma=staff,
                typ=in_language(JOURNAL_TYP[entry.contact_type], self.french),
                dauer=dauer(entry.duration),
            )
            _text(element, "Betreff", entry.subject)
            etree.SubElement(element, "Text").text = _cdata(entry.text)


def _address_line(address: Address) -> str:
    return f"{address.street} {address.house_number}, {address.postal_code} {address.town}"


def _zivilstand(marital: str | None, french: bool) -> str:
    return "" if marital is None else in_language(ZIVILSTAND[marital], french)


def _measure(container: Any, measure: Measure) -> None:
    etree.SubElement(
        container,
        "Massnahme",
        artikel=measure.legal_basis,
        beginn=datum(measure.started),
        ende=datum(measure.ended),
        behoerde=measure.authority,
    )


def generate(settings: Settings, out: Path, dirt: Dirt, url: str | None = None) -> dict[str, str]:
    """Write a Tutoris source into `out`: `export.xml` and the folder `dokumente/`.

    `url` is ignored: a Tutoris source is always a file export.
    """
    population = Population(settings, dirt, Keys())
    out.mkdir(parents=True, exist_ok=True)
    export = Renderer(population, out, dirt, dirt.truth).run()
    return {"export": str(export), "documents": str(out / DOCUMENTS)}


__all__ = ["DOCUMENTS", "EXPORT_NAME", "Keys", "Renderer", "case_number", "generate", "person_id"]
