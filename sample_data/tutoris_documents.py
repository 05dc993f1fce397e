"""The Tutoris document folder: the files that the export's `datei` attributes point at.

`dokumente/<Fall nr>/<type>_<yyyy>_<mm>.<ext>` beside `export.xml`, with the folder's
dirt: a listed file that is missing, a `datei` that leaves the folder (`..`, absolute),
an empty file, and a file on disk that the export does not list. `sha1` is the vendor's
checksum of the file as it lies in the folder.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from nffs_migration.sample_data.dirt import Dirt
from nffs_migration.sample_data.records import Case, Document, Group
from nffs_migration.sample_data.tutoris_codes import (
    DATEI_STAMM,
    DOKUMENT_TYP,
    datum,
    in_language,
)

DOCUMENTS = "dokumente"


def _sha1(content: bytes) -> str:
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


class DocumentFolder:
    """Writes the document files and says how the export lists them."""

    def __init__(self, out: Path, dirt: Dirt, french: bool) -> None:
        self.out = out
        self.dirt = dirt
        self.french = french
        self._folder: Path | None = None  # the case folder written last: one mkdir per case

    def file(
        self, group: Group, case: Case, number: str, key: str, document: Document, live: bool
    ) -> dict[str, str]:
        """Write the document's file (unless dirt removes it); return the `Dokument` attributes.

        Rejected documents are marked in `group.rejected` for the truth.
        """
        name = self.file_name(case, document)
        datei = f"{DOCUMENTS}/{number}/{name}"
        sha1 = _sha1(document.content)
        content: bytes | None = document.content
        if live and self.dirt.roll("document-path-unsafe", key):
            datei = (
                "../../etc/passwd",
                f"/var/lib/tutoris/export/{DOCUMENTS}/{number}/{name}",
                f"{DOCUMENTS}/../../../{name}",
            )[self.dirt.pick("document-path-unsafe", key, 3)]
            content = None
            group.rejected[("documents", document.no)] = "document-path-unsafe"
        elif live and self.dirt.roll("document-file-missing", key):
            content = None
            group.rejected[("documents", document.no)] = "document-file-missing"
        elif live and self.dirt.roll("document-zero-bytes", key):
            content = b""
            sha1 = _sha1(content)
        if content is not None:
            self._write(datei, content)
        return {
            "id": key,
            "datei": datei,
            "titel": document.title,
            "typ": in_language(DOKUMENT_TYP[document.doc_type], self.french),
            "datum": datum(document.created_at.date()),
            "sha1": sha1,
        }

    def file_name(self, case: Case, document: Document) -> str:
        """`verfuegung_2026_01.pdf`; `_2`, `_3` for a second one of the month in the case."""
        created = document.created_at
        stem = (
            f"{in_language(DATEI_STAMM[document.doc_type], self.french)}"
            f"_{created.year:04d}_{created.month:02d}"
        )
        same = 0
        for other in case.documents:
            if other is document:
                break
            if (
                other.doc_type == document.doc_type
                and other.created_at.year == created.year
                and other.created_at.month == created.month
            ):
                same += 1
        suffix = f"_{same + 1}" if same else ""
        return f"{stem}{suffix}.{document.extension}"

    def unlisted_file(self, number: str) -> None:
        """Maybe a scan dropped into the case's folder by hand: on disk, not in the export."""
        relative = f"{DOCUMENTS}/{number}/scan_nachtrag.pdf"
        if self.dirt.roll("document-unlisted-file", relative):
            body = hashlib.sha256(relative.encode()).digest() * 16
            self._write(relative, b"%PDF-1.4\n" + body)

    def _write(self, relative: str, content: bytes) -> None:
        target = self.out / relative
        if target.parent != self._folder:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folder = target.parent
        target.write_bytes(content)


__all__ = ["DOCUMENTS", "DocumentFolder"]
