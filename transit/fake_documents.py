"""Fake document contents for pseudonymised packages: same size, same kind of file.

A fake is drawn from a seed (the HMAC of the original's SHA-256), so the same original
content gives the same fake content. It has the original's exact size and the file
type its extension says: a PDF is a valid one-page PDF of lorem ipsum (padded with
comment lines), a text or RTF file holds lorem ipsum, an image or office file starts
with its type's signature and is filled with keyed noise. Contents stream in chunks, so
a large scan never sits in memory.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

from nffs_migration.transit.pseudonym_words import LOREM

_CHUNK = 1 << 20

_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAGIC = {
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".png": b"\x89PNG\r\n\x1a\n",
    ".gif": b"GIF89a",
    ".tif": b"II*\x00",
    ".tiff": b"II*\x00",
    ".zip": b"PK\x03\x04",
    ".docx": b"PK\x03\x04",
    ".xlsx": b"PK\x03\x04",
    ".pptx": b"PK\x03\x04",
    ".odt": b"PK\x03\x04",
    ".ods": b"PK\x03\x04",
    ".doc": _OLE,
    ".xls": _OLE,
    ".ppt": _OLE,
    ".msg": _OLE,
}
TEXT = frozenset({".txt", ".csv", ".md", ".xml", ".html", ".htm", ".json", ".eml", ".log"})
_LETTERS = bytes(range(97, 123)) * 9 + b" " * 22  # 256 entries: letters and blanks


_SIGNATURES = (
    (b"%PDF", ".pdf"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG", ".png"),
    (b"GIF8", ".gif"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
    (b"{\\rtf", ".rtf"),
    (b"PK\x03\x04", ".zip"),
    (_OLE, ".doc"),
)


def kind_of(head: bytes, suffix: str) -> str:
    """The file type of a content by its first bytes, else by its extension.

    A PDF saved as `.jpg` gets a fake PDF, so the same content always gets the same fake,
    whatever its file is called; office files keep their own extension's flavour.
    """
    suffix = suffix.lower()
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return suffix if MAGIC.get(suffix, b"")[:4] == signature[:4] else kind
    return suffix


def keystream(seed: bytes, block: int = _CHUNK) -> Iterator[bytes]:
    """Endless keyed noise in blocks of `block` bytes (SHAKE-256 in counter mode)."""
    block = max(64, min(block, _CHUNK))
    counter = 0
    while True:
        yield hashlib.shake_256(seed + counter.to_bytes(8, "big")).digest(block)
        counter += 1


def _take(seed: bytes, size: int) -> Iterator[bytes]:
    """`size` bytes of keyed noise, in chunks."""
    stream = keystream(seed, size)
    while size > 0:
        block = next(stream)[:size]
        size -= len(block)
        yield block


def _lorem(seed: bytes, size: int) -> Iterator[bytes]:
    """Lorem ipsum in lines of about 70 characters, exactly `size` bytes (ASCII)."""
    written = 0
    line: list[str] = []
    width = 0
    for block in keystream(seed, size // 4):
        for byte in block:
            word = LOREM[byte % len(LOREM)]
            if width + len(word) + 1 > 70:
                text = (" ".join(line) + "\n").encode()
                if written + len(text) >= size:
                    yield text[: size - written]
                    return
                written += len(text)
                yield text
                line, width = [], 0
            line.append(word)
            width += len(word) + 1
    # keystream is endless: this line is never reached


def _comment_lines(seed: bytes, size: int) -> Iterator[bytes]:
    """`size` bytes of PDF comment lines (80 bytes each); a lone newline is whitespace."""
    lines, rest = divmod(size, 80)
    per_block = _CHUNK // 80
    for counter, start in enumerate(range(0, lines, per_block)):
        count = min(per_block, lines - start)
        noise = hashlib.shake_256(seed + counter.to_bytes(8, "big")).digest(78 * count)
        letters = noise.translate(_LETTERS)
        yield b"".join(b"%" + letters[i : i + 78] + b"\n" for i in range(0, 78 * count, 78))
    if rest == 1:
        yield b"\n"
    elif rest:
        tail = hashlib.shake_256(seed + b"tail").digest(rest - 2).translate(_LETTERS)
        yield b"%" + tail + b"\n"


def _pdf(seed: bytes, size: int) -> Iterator[bytes] | None:
    """A valid one-page PDF of exactly `size` bytes, or None when it cannot be that small."""
    words = b"".join(_lorem(seed + b"pdf", 48 if size < 2048 else 400)).decode().split()
    lines = [" ".join(words[i : i + 8]) for i in range(0, len(words), 8)]
    text = "BT /F1 11 Tf 72 770 Td 14 TL " + " ".join(f"({t}) '" for t in lines) + " ET"
    header = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    bodies = [f"{n} 0 obj\n".encode() + body + b"\nendobj\n" for n, body in enumerate(objects, 1)]

    def tail(padding: int, blanks: int = 1) -> bytes:
        offset = len(header) + padding
        entries = [b"0000000000 65535 f \n"]
        for body in bodies:
            entries.append(f"{offset:010d} 00000 n \n".encode())
            offset += len(body)
        return (
            f"xref\n0 {len(bodies) + 1}\n".encode()
            + b"".join(entries)
            + f"trailer\n<< /Size {len(bodies) + 1} /Root 1 0 R{' ' * blanks}>>\n".encode()
            + f"startxref\n{offset}\n%%EOF\n".encode()
        )

    fixed = len(header) + sum(len(b) for b in bodies)
    estimate = size - fixed - len(tail(0))
    for _ in range(3):  # the digits of startxref depend on the padding
        estimate = size - fixed - len(tail(max(estimate, 0)))
    # Where startxref gains a digit, one size cannot be met by padding alone: a blank
    # more in the trailer (after the offsets it would move) makes up the byte.
    fits = [
        (padding, blanks)
        for padding in (estimate, estimate - 1)
        for blanks in (1, 2)
        if padding >= 0 and fixed + padding + len(tail(padding, blanks)) == size
    ]
    if not fits:
        return None
    padding, blanks = fits[0]
    closing = tail(padding, blanks)

    def stream() -> Iterator[bytes]:
        yield header
        yield from _comment_lines(seed + b"padding", padding)
        yield from bodies
        yield closing

    return stream()


def fake_content(seed: bytes, size: int, suffix: str) -> Iterator[bytes]:
    """The fake content of a document: `size` bytes of the kind `suffix` names."""
    suffix = suffix.lower()
    if size <= 0:
        return iter(())
    if suffix == ".pdf":
        pdf = _pdf(seed, size)
        if pdf is not None:
            return pdf
    if suffix in TEXT:
        return _lorem(seed, size)
    if suffix == ".rtf" and size > 16:
        opening, closing = b"{\\rtf1\\ansi ", b"}"
        body = _lorem(seed, size - len(opening) - len(closing))
        return iter([opening, *body, closing])
    magic = MAGIC.get(suffix, b"%PDF-1.4\n" if suffix == ".pdf" else b"")[:size]
    return iter([magic, *_take(seed, size - len(magic))])


class ContentReader(io.RawIOBase):
    """A read-only file object over generated chunks (for `PackageWriter.add_document`)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` from the next chunks; 0 at the end."""
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count


def open_fake(seed: bytes, size: int, suffix: str) -> io.BufferedReader:
    """A file object that reads the fake content of a document."""
    return io.BufferedReader(ContentReader(fake_content(seed, size, suffix)), _CHUNK)


__all__ = ["MAGIC", "ContentReader", "fake_content", "keystream", "kind_of", "open_fake"]
