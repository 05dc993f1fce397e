"""Fuzz the Tutoris reader and extractor with mutated exports (see README.md).

    .venv/bin/python tests/fuzz/fuzz_tutoris.py --seconds 300

Each input starts from a generated export of 5 cases and applies a few mutations drawn
from the input's bytes: hostile values in attributes, text nodes and CDATA (numbers,
dates, durations, AHV numbers, address lines, RTF, mojibake, SQL, paths, control
characters, long strings), elements duplicated or removed, DOCTYPE and ENTITY
declarations in many spellings and places, the whole file re-encoded (with a true, a
false or no declaration, with or without a byte-order mark), bytes flipped, inserted
or deleted, the file truncated. The export is then extracted (`extract_package`) and
profiled; only `NffsError` may escape, and a refused extraction leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _fuzzlib import (
    AS_OF,
    Provider,
    check_package,
    main,
    mutate_bytes,
    outcome,
    seed_folder,
    value,
)

RECORD = re.compile(
    r"<(Person|Fall|Eintrag|Zahlung|Pos|Budget|Adresse|Mitglied|Dokument|Massnahme|MA)\b"
    r"[^>]*?(?:/>|>.*?</\1>)",
    re.DOTALL,
)
VALUES = re.compile(r'="([^"]*)"|>([^<>]+)<|<!\[CDATA\[(.*?)\]\]>', re.DOTALL)
DOCTYPES = (
    '<!DOCTYPE TutorisExport [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE TutorisExport SYSTEM "http://example.invalid/x.dtd">',
    "<!doctype TutorisExport>",
    '<!ENTITY a "b">',
    '<!DOCTYPE TutorisExport [<!ENTITY % p SYSTEM "http://example.invalid/p">%p;]>',
    '<!DOCTYPE TutorisExport [<!ENTITY a "&#38;#60;">]>',
    "<!-- x --><!DOCTYPE TutorisExport>",
    "<?pi x?><!DOCTYPE TutorisExport>",
    "<!DOCTYPE",
    "<!",
    "<!-",
    "<!---->",
    "< !DOCTYPE TutorisExport>",
    "<!ELEMENT TutorisExport ANY>",
)
ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "cp1252",
    "latin-1",
    "ascii",
    "shift_jis",
    "cp037",
)
DECLARATION = re.compile(r"^<\?xml[^>]*\?>")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _escape(text: str) -> str:
    text = _NOT_XML.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
    return text.encode("latin-1", "xmlcharrefreplace").decode("latin-1")


def _values(p: Provider, text: str) -> str:
    spans = [m for m in VALUES.finditer(text)]
    chosen = sorted({p.int(0, len(spans) - 1) for _ in range(p.int(1, 8))}, reverse=True)
    for index in chosen:
        match = spans[index]
        group = next(g for g in (1, 2, 3) if match.group(g) is not None)
        new = value(p)
        if group == 3:
            new = new.replace("]]>", "]]&gt;") if p.chance(90) else new
        elif p.chance(90):
            new = _escape(new)
        text = text[: match.start(group)] + new + text[match.end(group) :]
    return text


def _records(p: Provider, text: str) -> str:
    spans = list(RECORD.finditer(text))
    for _ in range(p.int(1, 3)):
        if not spans:
            break
        match = p.pick(spans)
        op = p.int(0, 2)
        if op == 0:  # duplicate (the same id twice)
            text = text[: match.end()] + match.group(0) + text[match.end() :]
        elif op == 1:  # remove (dangling references)
            text = text[: match.start()] + text[match.end() :]
        else:  # move it to the end of the root
            end = text.rfind("</TutorisExport>")
            if end > match.end():
                moved = match.group(0)
                text = text[: match.start()] + text[match.end() : end] + moved + text[end:]
        spans = list(RECORD.finditer(text))
    return text


def _doctype(p: Provider, text: str) -> str:
    payload = p.pick(DOCTYPES)
    place = p.int(0, 3)
    declaration = DECLARATION.match(text)
    if place == 0 and declaration:
        at = declaration.end()
    elif place == 1:
        at = 0
    elif place == 2:
        at = text.index(">", text.index("<TutorisExport")) + 1
    else:
        at = p.int(0, len(text))
    glue = p.pick(("\n", "", " ", "\r\n", "\n<!-- c -->\n"))
    return text[:at] + glue + payload + glue + text[at:]


def _encode(p: Provider, text: str) -> bytes:
    if not p.chance(15):
        return text.encode("latin-1", "xmlcharrefreplace")
    encoding = p.pick(ENCODINGS)
    declared = p.pick((encoding, "ISO-8859-1", "UTF-8", "UTF-16", None, "x-unknown", "EBCDIC"))
    body = DECLARATION.sub("", text, count=1).lstrip("\n")
    if declared is not None:
        body = f'<?xml version="1.0" encoding="{declared}"?>\n' + body
    return body.encode(encoding, "xmlcharrefreplace" if p.chance(80) else "replace")


def load(work: Path) -> Callable[[Provider, Path], str]:
    from nffs_migration.errors import NffsError
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.run import extract_package

    seed = seed_folder(work, "tutoris")
    original = (seed / "export.xml").read_bytes().decode("latin-1")
    extractor = get_extractor("tutoris")

    def one(p: Provider, folder: Path) -> str:
        text = original
        ops = [p.int(0, 9) for _ in range(p.int(1, 3))]
        for op in ops:
            if op <= 5:
                text = _values(p, text)
            elif op == 6:
                text = _records(p, text)
            elif op == 7:
                text = _doctype(p, text)
        data = _encode(p, text)
        if 8 in ops:
            data = mutate_bytes(p, data)
        if 9 in ops:
            data = data[: p.int(0, len(data))]
        source = folder / "source"
        source.mkdir()
        export = source / "export.xml"
        export.write_bytes(data)
        out = folder / "pkg" / "out"
        out.parent.mkdir()
        options = extractor.options_class(
            source=str(export),
            documents=seed,
            service_id="0942",
            as_of=AS_OF if p.chance(50) else None,
            chunk_rows=p.pick((50_000, 100)),
        )
        error: NffsError | None = None
        try:
            extract_package(extractor, options, out)
        except NffsError as exc:
            error = exc
        check_package(out, error)
        with contextlib.suppress(NffsError):
            extractor.profile(options)
        return outcome(error, export, "<export>")

    return one


if __name__ == "__main__":
    main("tutoris", load)
