"""A round of a service's work on a generated Tutoris export: a new full and a delta export.

Tutoris reaches the migration as files. After a round of work the vendor delivers a new
full export and, for the batches in between, a delta export (`vollExport="false"`) that
holds the persons and cases that changed, each with its whole subtree, and the staff.
`change_export()` edits the full export as the application would (see `changes.py`),
writes it back as `export.xml` dated `at`, and writes `export-delta.xml` beside it.

What a delta export cannot show: a case or a person removed whole. With `drop_case`, the
round also removes the case closed last: only the next full export shows it, which is
why a Tutoris service's last batch is a full one.

The file is ours (the generator wrote it) and small; it is parsed whole, with entities
and the network off all the same.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree

from nffs_migration.sample_data import vocab
from nffs_migration.sample_data.changes import Changes

ENCODING = "ISO-8859-1"
DELTA_NAME = "export-delta.xml"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _day(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y")


def _open_cases(root: etree._Element) -> list[etree._Element]:
    return [f for f in root.iterfind("Faelle/Fall") if not f.get("abgeschlossen")]


def change_export(
    folder: Path, at: datetime, rng: random.Random, *, drop_case: bool = False
) -> Changes:
    """Apply a round of work to `folder/export.xml`; write the new full and the delta export."""
    path = folder / "export.xml"
    tree = etree.parse(str(path), _parser())
    root = tree.getroot()
    changes = Changes()
    persons = {p.get("id"): p for p in root.iterfind("Personen/Person")}
    repeated = {
        pid
        for pid, n in Counter(p.get("id") for p in root.iterfind("Personen/Person")).items()
        if n > 1
    }
    open_cases = _open_cases(root)
    changed_persons: set[str] = set()
    changed_cases: set[str] = set()
    members = sorted(
        {
            m.get("person")
            for case in open_cases
            for m in case.iterfind("Mitglied")
            if m.get("person") in persons and m.get("person") not in repeated
        }
    )
    for pid in rng.sample(members, min(3, len(members))):
        name = persons[pid].find("Name")
        if name is not None:
            name.text = rng.choice(vocab.SWISS_FAMILY)
            changes.renamed.append(pid)
            changed_persons.add(pid)
    for section, element, count, label in (
        ("Journal", "Eintrag", 3, "Eintrag"),
        ("Zahlungen", "Zahlung", 2, "Zahlung"),
    ):
        candidates = [
            (case, item) for case in open_cases for item in case.iterfind(f"{section}/{element}")
        ]
        gone = rng.sample(candidates, min(count, len(candidates)))
        for case, item in gone:
            item.getparent().remove(item)
            changed_cases.add(case.get("nr"))
        changes.deleted[label] = [item.get("id") for _, item in gone]
    budgets = [
        (case, budget)
        for case in open_cases
        for budget in case.iterfind("Budgets/Budget")
        if len(budget.findall("Pos")) > 1
    ]
    removed = []
    for case, budget in rng.sample(budgets, min(2, len(budgets))):
        positions = budget.findall("Pos")
        budget.remove(positions[-1])
        changed_cases.add(case.get("nr"))
        index = list(case.iterfind("Budgets/Budget")).index(budget) + 1
        removed.append(f"{case.get('nr')}/budget/{index}/pos/{len(positions)}")
    changes.removed_children["Pos"] = removed
    if drop_case:
        changes.deleted["Fall"] = _drop_case(root)
    person, case = _new_case(root, at, rng)
    changed_persons.add(person)
    changed_cases.add(case)
    changes.added = {"Person": [person], "Fall": [case]}
    root.set("exportDatum", at.strftime("%d.%m.%Y %H:%M"))
    root.set("vollExport", "true")
    tree.write(str(path), encoding=ENCODING, xml_declaration=True)
    _write_delta(root, folder / DELTA_NAME, changed_persons, changed_cases)
    return changes


def _drop_case(root: etree._Element) -> list[str]:
    """Remove the case closed last (well within retention), with its whole subtree."""
    closed = [c for c in root.iterfind("Faelle/Fall") if c.get("abgeschlossen")]
    if not closed:
        return []

    def closing(case: etree._Element) -> datetime:
        return datetime.strptime(case.get("abgeschlossen", ""), "%d.%m.%Y")  # noqa: DTZ007

    case = max(closed, key=closing)
    case.getparent().remove(case)
    return [case.get("nr")]


def _new_case(root: etree._Element, at: datetime, rng: random.Random) -> tuple[str, str]:
    """A new client with an address and a new economic-aid case: budget, payment, talk."""
    numbers = [int(p.get("id")[2:]) for p in root.iterfind("Personen/Person")]
    pid = f"P-{max(numbers, default=10000) + 1}"
    female = rng.random() < 0.5
    person = etree.SubElement(root.find("Personen"), "Person", id=pid)
    for tag, text in (
        ("Name", rng.choice(vocab.SWISS_FAMILY)),
        ("Vorname", rng.choice(vocab.GIVEN_FEMALE if female else vocab.GIVEN_MALE)),
        ("GebDat", f"01.0{1 + rng.randrange(9)}.{1970 + rng.randrange(30)}"),
        ("Geschlecht", "w" if female else "m"),
        ("SozVersNr", ""),
        ("Zivilstand", "ledig"),
        ("Nationalitaet", "Schweiz"),
        ("Bewilligung", "CH"),
    ):
        etree.SubElement(person, tag).text = text
    addresses = etree.SubElement(person, "Adressen")
    etree.SubElement(
        addresses, "Adresse", von=_day(at - timedelta(days=400)), bis=""
    ).text = f"{rng.choice(vocab.STREETS)} {1 + rng.randrange(60)}, 3600 Thun"
    staff = [m.get("id") for m in root.iterfind("Mitarbeitende/MA") if m.get("rolle") == "SA"]
    year = at.year
    taken = {f.get("nr") for f in root.iterfind("Faelle/Fall")}
    sequence = 9001
    while f"{year}-{sequence:04d}" in taken:
        sequence += 1
    number = f"{year}-{sequence:04d}"
    worker = rng.choice(staff) if staff else ""
    case = etree.SubElement(
        root.find("Faelle"),
        "Fall",
        nr=number,
        typ="WSH",
        eroeffnet=_day(at),
        abgeschlossen="",
        abschlussgrund="",
        fallfuehrung=worker,
        segment="B",
    )
    etree.SubElement(case, "Mitglied", person=pid, rolle="AS")
    first = at.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    budget = etree.SubElement(
        etree.SubElement(case, "Budgets"),
        "Budget",
        von=_day(first),
        bis=_day(last),
        status="bewilligt",
    )
    etree.SubElement(budget, "Pos", code="GBL", art="A", betrag="1'031.00")
    etree.SubElement(budget, "Pos", code="MIETE", art="A", betrag="1'250.00")
    payments = [int(z.get("id")[2:]) for z in root.iterfind("Faelle/Fall/Zahlungen/Zahlung")]
    entries = [int(j.get("id")[2:]) for j in root.iterfind("Faelle/Fall/Journal/Eintrag")]
    etree.SubElement(
        etree.SubElement(case, "Zahlungen"),
        "Zahlung",
        id=f"Z-{max(payments, default=0) + 1}",
        valuta=_day(at),
        betrag="2'281.00",
        kategorie="GBL",
        storno="0",
    ).text = "Klient/in"
    entry = etree.SubElement(
        etree.SubElement(case, "Journal"),
        "Eintrag",
        id=f"J-{max(entries, default=0) + 1}",
        datum=(at - timedelta(hours=2)).strftime("%d.%m.%Y %H:%M"),
        ma=worker,
        typ="Gespräch",
        dauer="00:45",
    )
    etree.SubElement(entry, "Betreff").text = "Erstgespräch"
    etree.SubElement(entry, "Text").text = "Aufnahme, Unterlagen besprochen."
    return pid, number


def _write_delta(full: etree._Element, path: Path, persons: set[str], cases: set[str]) -> None:
    """The delta export: staff, and the changed persons and cases with their subtrees."""
    root = etree.Element(full.tag, dict(full.attrib))
    root.set("vollExport", "false")
    for section, element, key, wanted in (
        ("Mitarbeitende", "MA", None, None),
        ("Personen", "Person", "id", persons),
        ("Faelle", "Fall", "nr", cases),
    ):
        holder = etree.SubElement(root, section)
        for item in full.iterfind(f"{section}/{element}"):
            if wanted is None or item.get(key or "") in wanted:
                holder.append(etree.fromstring(etree.tostring(item)))
    etree.ElementTree(root).write(str(path), encoding=ENCODING, xml_declaration=True)


__all__ = ["DELTA_NAME", "change_export"]
