"""Hostile and broken Tutoris export files, for tests of the toolkit's XML reader.

`write_hostile_files(folder)` writes one file per attack or breakage the reference model
warns about: entity declarations (XXE, billion laughs), an external DTD on the network,
an export cut off in the middle of a `Fall`, a false encoding declaration, an empty file,
binary garbage, a single text node of 50 MB (written in chunks, never held in memory)
and a well-formed file whose root is not `TutorisExport`. A correct reader refuses each
one with a clear message, resolves no entity and touches no network.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nffs_migration.sample_data.tutoris_codes import DECLARATION

HUGE_TEXT_BYTES = 50 * 1024 * 1024
_CHUNK = 1024 * 1024

_HEAD = (
    '<TutorisExport formatVersion="7.2" mandant="Sozialdienst Thun" mandantNr="0942" '
    'exportDatum="14.03.2026 18:22" vollExport="true">\n'
)
_STAFF = (
    "  <Mitarbeitende>\n"
    '    <MA id="17" kuerzel="MUB" name="Muster" vorname="Barbara" rolle="SA" aktiv="1"/>\n'
    "  </Mitarbeitende>\n"
)
_PERSON = (
    '    <Person id="P-{number}">\n'
    "      <Name>{name}</Name><Vorname>Anna</Vorname>\n"
    "      <GebDat>03.07.1984</GebDat>\n"
    "      <Geschlecht>w</Geschlecht>\n"
    "      <SozVersNr>756.1234.5678.97</SozVersNr>\n"
    "      <Zivilstand>geschieden</Zivilstand>\n"
    "      <Nationalitaet>Schweiz</Nationalitaet>\n"
    "      <Bewilligung>CH</Bewilligung>\n"
    "      <Adressen>\n"
    '        <Adresse von="01.02.2020" bis="">Bahnhofstrasse 12, 3600 Thun</Adresse>\n'
    "      </Adressen>\n"
    "    </Person>\n"
)
_CASE = (
    '    <Fall nr="2020-{number:04d}" typ="WSH" eroeffnet="01.02.2020" abgeschlossen="" '
    'abschlussgrund="" fallfuehrung="17" segment="B">\n'
    '      <Mitglied person="P-{person}" rolle="AS"/>\n'
    "      <Budgets>\n"
    '        <Budget von="01.01.2026" bis="31.01.2026" status="bewilligt">\n'
    '          <Pos code="GBL" art="A" betrag="1\'031.00"/>\n'
    '          <Pos code="MIETE" art="A" betrag="1\'250.00"/>\n'
    "        </Budget>\n"
    "      </Budgets>\n"
    "      <Zahlungen>\n"
    '        <Zahlung id="Z-{number}" valuta="25.01.2026" betrag="1\'460.50" kategorie="GBL" '
    'storno="0">Klient/in</Zahlung>\n'
    "      </Zahlungen>\n"
    "      <Journal>\n"
    '        <Eintrag id="J-{number}" datum="12.01.2026 09:30" ma="17" typ="Gespräch" '
    'dauer="00:45">\n'
    "          <Betreff>Standortbestimmung</Betreff>\n"
    "          <Text><![CDATA[Budget besprochen, Rückfrage geklärt.]]></Text>\n"
    "        </Eintrag>\n"
    "      </Journal>\n"
    "      <Massnahmen/>\n"
    "      <Dokumente/>\n"
    "    </Fall>\n"
)


def _body(name: str = "Müller", root: str = "TutorisExport") -> str:
    """A small, valid export (two persons, two cases) after the XML declaration."""
    persons = "".join(_PERSON.format(number=10001 + i, name=name) for i in range(2))
    cases = "".join(_CASE.format(number=1 + i, person=10001 + i) for i in range(2))
    text = f"{_HEAD}{_STAFF}  <Personen>\n{persons}  </Personen>\n  <Faelle>\n{cases}  </Faelle>\n"
    text += "</TutorisExport>\n"
    if root != "TutorisExport":
        text = text.replace("<TutorisExport ", f"<{root} ").replace(
            "</TutorisExport>", f"</{root}>"
        )
    return text


def _latin1(text: str) -> bytes:
    return DECLARATION + text.encode("latin-1")


def _with_doctype(doctype: str, name: str) -> bytes:
    return DECLARATION + (doctype + _body(name=name)).encode("latin-1")


def _truncated() -> bytes:
    """The export cut in the middle of its second `Fall`, as an interrupted transfer leaves it."""
    data = _latin1(_body())
    second = data.index(b"<Fall ", data.index(b"<Fall ") + 1)
    end = data.index(b"</Fall>", second)
    return data[: second + (end - second) // 2]


def _garbage(size: int = 64 * 1024) -> bytes:
    """Deterministic bytes that are no text at all (a NUL first: never mistaken for XML)."""
    blocks = (hashlib.sha256(index.to_bytes(4, "big")).digest() for index in range(size // 32))
    return b"\x00\xff\xfe\x00" + b"".join(blocks)


def _write_huge_text_node(path: Path, size: int) -> None:
    """One journal text of `size` bytes, written in chunks of 1 MiB."""
    head = _HEAD + _STAFF + "  <Personen/>\n  <Faelle>\n" + _CASE.format(number=1, person=10001)
    head = head[: head.index("<Text>") + len("<Text>")]
    tail = "</Text>\n        </Eintrag>\n      </Journal>\n    </Fall>\n  </Faelle>\n"
    tail += "</TutorisExport>\n"
    sentence = "Klientin berichtet über gesundheitliche Probleme. ".encode("latin-1")
    chunk = (sentence * (_CHUNK // len(sentence) + 1))[:_CHUNK]
    with path.open("wb") as handle:
        handle.write(DECLARATION + head.encode("latin-1"))
        written = 0
        while written < size:
            part = chunk[: min(_CHUNK, size - written)]
            handle.write(part)
            written += len(part)
        handle.write(tail.encode("latin-1"))


def write_hostile_files(folder: Path, *, huge_text_bytes: int = HUGE_TEXT_BYTES) -> dict[str, Path]:
    """Write the corpus of hostile and broken exports into `folder`; return name -> path.

    Names: `xxe`, `billion_laughs`, `external_dtd`, `truncated`, `wrong_encoding`,
    `empty`, `binary_garbage`, `huge_text_node`, `wrong_root`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    laughs = ['  <!ENTITY lol0 "lol">']
    laughs += [f'  <!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    contents: dict[str, bytes] = {
        "xxe": _with_doctype(
            '<!DOCTYPE TutorisExport [\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n',
            "&xxe;",
        ),
        "billion_laughs": _with_doctype(
            "<!DOCTYPE TutorisExport [\n" + "\n".join(laughs) + "\n]>\n", "&lol9;"
        ),
        "external_dtd": _with_doctype(
            '<!DOCTYPE TutorisExport SYSTEM "http://tutoris.example.invalid/export-7.2.dtd">\n',
            "Müller",
        ),
        "truncated": _truncated(),
        # Declared UTF-8, but `ü` is the single Latin-1 byte 0xFC: invalid UTF-8.
        "wrong_encoding": b'<?xml version="1.0" encoding="UTF-8"?>\n' + _body().encode("latin-1"),
        "empty": b"",
        "binary_garbage": _garbage(),
        "wrong_root": _latin1(_body(root="InfogateExport")),
    }
    paths: dict[str, Path] = {}
    for name, data in contents.items():
        path = folder / f"{name}.xml"
        path.write_bytes(data)
        paths[name] = path
    huge = folder / "huge_text_node.xml"
    _write_huge_text_node(huge, huge_text_bytes)
    paths["huge_text_node"] = huge
    return dict(sorted(paths.items()))


__all__ = ["HUGE_TEXT_BYTES", "write_hostile_files"]
