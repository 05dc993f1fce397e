"""Reading a Tutoris export safely: refuse DTDs and entities, then stream with bounded memory.

A Tutoris export has no DOCTYPE. Any DOCTYPE or ENTITY declaration before the root
element is refused before lxml sees the file: with `resolve_entities=False` lxml leaves
an external entity unexpanded without complaint, so a parser setting alone refuses
nothing. The parser then runs without DTD loading, entity resolution, network access
or huge-tree mode (a text node over 10 MB is an error, not a memory bomb), and
`records()` yields the export's top-level records (`MA`, `Person`, `Fall`) one by one,
clearing each one and its predecessors, so memory stays flat whatever the file's size.

Every failure becomes one `SourceError` line that names the file (and, for broken XML,
the line where it broke), never the file's content.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from lxml import etree

from nffs_migration.errors import SourceError

ROOT = "TutorisExport"
#: The records directly under the root's sections.
RECORDS = ("MA", "Person", "Fall")
#: lxml options: no DTD, no entities, no network, no huge text nodes, no comments.
PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "remove_comments": True,
    "remove_pis": True,
}
#: How far to look for the root element (the prolog of an export is a line or two).
PROLOG_LIMIT = 1 << 20
_BLOCK = 64 * 1024
#: Markup that may come before the root: the XML declaration, PIs, comments, blanks.
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_NAME_START = re.compile(r"<[A-Za-z_:\u00c0-\uffff]")

#: libxml2 errors with a plain-language description (others are named by libxml2's code).
_KNOWN_ERRORS = {
    "ERR_DOCUMENT_END": "content after the end of the document",
    "ERR_DOCUMENT_EMPTY": "no XML content",
    "ERR_INVALID_CHAR": "a character that XML does not allow",
    "ERR_INVALID_ENCODING": "bytes that do not match the declared encoding",
    "ERR_UNDECLARED_ENTITY": "an entity reference (entities are refused)",
    "ERR_RESOURCE_LIMIT": "a parser limit exceeded (text node over 10 MB or entity expansion)",
    "ERR_TAG_NOT_FINISHED": "an element that is never closed (truncated export)",
    "ERR_GT_REQUIRED": "a start tag cut off (truncated export)",
    "ERR_LTSLASH_REQUIRED": "an end tag cut off (truncated export)",
    "ERR_TAG_NAME_MISMATCH": "an end tag that does not match its start tag",
}


def _refuse(path: Path, what: str) -> SourceError:
    return SourceError(f"{path}: {what}; expected a Tutoris XML export (format 7)", file=str(path))


def _prolog_text(head: bytes) -> str:
    """The first bytes as text, good enough to find markup (which is ASCII in any encoding)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="replace")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="replace")
    return head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")


def prolog_end(head: bytes) -> int | None:
    """The offset where the root element starts in `head` (an ASCII-compatible encoding).

    None where `head` starts in UTF-16, or holds no more than the prolog's markup.
    """
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return None
    bom = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    text = _prolog_text(head)
    position = _prolog_length(text)
    return position + bom if _NAME_START.match(text, position) else None


def _prolog_length(text: str) -> int:
    """How much of `text` is prolog markup: the XML declaration, PIs, comments, blanks."""
    position = 0
    while match := _PROLOG_ITEM.match(text, position):
        position = match.end()
    return position


def check_prolog(path: Path) -> None:
    """Refuse a file that is empty, not XML, or declares a DOCTYPE or entities.

    Only the prolog (what comes before the root element) is read; nothing is parsed.

    Raises:
        SourceError: One line naming the file and what is wrong with it.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(_BLOCK)
            if not head:
                raise _refuse(path, "the file is empty")
            while True:
                text = _prolog_text(head)
                rest = text[_prolog_length(text) :]
                if rest.startswith("<!") and not "<!--".startswith(rest[:4]):
                    raise _refuse(
                        path,
                        "declares a DOCTYPE or entities, which are refused (they can read "
                        "local files or expand without bound)",
                    )
                if _NAME_START.match(rest):
                    return
                unfinished = rest.startswith(("<?", "<!--")) or rest in ("<", "<!", "<!-")
                if rest and not unfinished:
                    raise _refuse(path, "not an XML file")
                more = handle.read(_BLOCK) if len(head) < PROLOG_LIMIT else b""
                if not more:
                    raise _refuse(path, "no root element at the start of the file")
                head += more
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot read the export ({exc.strerror or type(exc).__name__})",
            file=str(path),
        ) from None


def broken(path: Path, exc: etree.XMLSyntaxError | UnicodeError | ValueError) -> SourceError:
    """The one-line error for XML that lxml cannot parse (line number, never content)."""
    if isinstance(exc, etree.XMLSyntaxError):
        name = etree.ErrorTypes._getName(exc.code) or f"code {exc.code}"
        what = _KNOWN_ERRORS.get(name, f"libxml2 {name}")
        line = f" at line {exc.lineno}" if exc.lineno else ""
        return SourceError(
            f"{path}: not well-formed XML{line} ({what}); the export is truncated or broken, "
            "nothing was written; ask for a complete export",
            file=str(path),
            line=exc.lineno,
        )
    return SourceError(
        f"{path}: the text does not match the declared encoding ({type(exc).__name__}); "
        "nothing was written",
        file=str(path),
    )


def read_header(path: Path) -> dict[str, str]:
    """Check the prolog and the root element; return the root's attributes.

    Raises:
        SourceError: The file is hostile, broken or not a Tutoris export.
    """
    check_prolog(path)
    try:
        with path.open("rb") as handle:
            for _, root in etree.iterparse(handle, events=("start",), **PARSER_OPTIONS):
                if root.getroottree().docinfo.doctype:
                    raise _refuse(path, "declares a DOCTYPE, which is refused")
                if root.tag != ROOT:
                    raise _refuse(path, f"the root element is not {ROOT}")
                return {str(key): str(value) for key, value in root.attrib.items()}
    except (etree.XMLSyntaxError, UnicodeError, ValueError) as exc:
        raise broken(path, exc) from None
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot read the export ({exc.strerror or type(exc).__name__})",
            file=str(path),
        ) from None
    raise _refuse(path, "no root element")  # pragma: no cover - iterparse raises first


class ByteStream(Protocol):
    """What lxml reads a document from: `read(size)` gives bytes, empty at the end."""

    def read(self, size: int = -1, /) -> bytes: ...


def records(
    path: Path, tags: Sequence[str] = RECORDS, *, stream: ByteStream | None = None
) -> Iterator[Any]:
    """Yield the export's elements named `tags` (complete), clearing each after use.

    Each element is cleared once the consumer moves on, and its earlier siblings are
    deleted, so the tree in memory holds one record at a time. With `stream`, the
    document read is that stream's (a part of the export, see `parts`); `path` names the
    export in errors.

    Raises:
        SourceError: The file is hostile, broken or not a Tutoris export (also midway:
            a truncated export fails at the line where it ends).
    """
    read_header(path)
    try:
        for _, element in etree.iterparse(
            stream if stream is not None else str(path),
            events=("end",),
            tag=tuple(tags),
            **PARSER_OPTIONS,
        ):
            yield element
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    except (etree.XMLSyntaxError, UnicodeError, ValueError) as exc:
        raise broken(path, exc) from None
    except OSError as exc:
        raise SourceError(
            f"{path}: cannot read the export ({exc.strerror or type(exc).__name__})",
            file=str(path),
        ) from None


__all__ = [
    "PARSER_OPTIONS",
    "RECORDS",
    "ROOT",
    "broken",
    "check_prolog",
    "prolog_end",
    "read_header",
    "records",
]
