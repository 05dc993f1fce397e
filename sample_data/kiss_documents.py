"""KiSS documents (`DmtDokument`) of the sample source: in the database or on the share.

Most documents are blobs in `DateiInhalt`; about one in five lies on the share under
`DateiPfad` (relative to the share root, Windows separators), as in installations that
moved part of their archive. The share is where the document dirt goes: missing files
and paths that leave the share (rejected), empty files and duplicate contents (findings).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path, PureWindowsPath

from nffs_migration.sample_data import kiss_schema as ks
from nffs_migration.sample_data.dirt import Dirt
from nffs_migration.sample_data.legacy_db import DatabaseSink
from nffs_migration.sample_data.records import Case, Document, Group

#: Share of documents filed on the share instead of in the database.
SHARE_RATE = 0.2
DOCUMENT_FILE = {
    "decision": "Verfuegung",
    "report": "Bericht",
    "letter": "Brief",
    "receipt": "Beleg",
    "id_document": "Ausweis",
    "contract": "Vertrag",
}


def stable_unit(seed: int, topic: str, number: int) -> float:
    """A number in [0, 1) that depends only on (seed, topic, number): for choices not dirt."""
    digest = hashlib.blake2b(f"{seed}|kiss|{topic}|{number}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") / 2**64


class Documents:
    """Writes `DmtDokument` rows and the share's files, with the documents' dirt."""

    def __init__(
        self, sink: DatabaseSink, share: Path, dirt: Dirt, seed: int, as_of: datetime
    ) -> None:
        self.sink = sink
        self.share = share
        self.dirt = dirt
        self.seed = seed
        self.as_of = as_of
        self._previous_content: bytes | None = None
        self._folders: set[Path] = set()

    def write(self, group: Group, case: Case, document: Document, file_number: str) -> None:
        """One document of a service; rejects go to `group.rejected` before counting.

        A document the population attaches to a person is attached to the person only
        while both the case and the person are live; otherwise it stays with the service,
        so that retention treats it as the truth counts it (with its case).
        """
        key = str(document.no)
        live = not case.expired
        name = f"{DOCUMENT_FILE[document.doc_type]}_{document.no}.{document.extension}"
        content: bytes | None = document.content
        path: PureWindowsPath | None = None
        rejected = False
        if stable_unit(self.seed, "share", document.no) < SHARE_RATE:
            path = PureWindowsPath("Dokumente", str(document.created_at.year), file_number, name)
            if live and self.dirt.roll("document-path-unsafe", key):
                path = [
                    PureWindowsPath("..", "..", "Windows", "win.ini"),
                    PureWindowsPath("C:/Dokumente/Export", name),
                    PureWindowsPath("Dokumente", "..", "..", "..", "etc", name),
                ][self.dirt.pick("document-path-unsafe", key, 3)]
                content, rejected = None, True
                group.rejected[("documents", document.no)] = "document-path-unsafe"
            elif live and self.dirt.roll("document-file-missing", key):
                content, rejected = None, True
                group.rejected[("documents", document.no)] = "document-file-missing"
        if live and not rejected:
            if self.dirt.roll("document-zero-bytes", key):
                content = b""
            elif self._previous_content and self.dirt.roll("document-duplicate-content", key):
                content = self._previous_content
            if content:
                # Only migrated documents: a duplicate must be a duplicate in the package.
                self._previous_content = content
        if path is not None and content is not None:
            target = self.share.joinpath(*path.parts)
            if target.parent not in self._folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(target.parent)
            target.write_bytes(content)
        person = document.person
        if person is not None and (not live or group.person(person).expired):
            person = None  # filed with the service, so that it shares its fate
        self.sink.add(
            "DmtDokument",
            {
                "DmtDokumentID": document.no,
                "FaLeistungID": None if person is not None else case.no,
                "BaPersonID": person,
                "Stichwort": document.title,
                "DokTypCode": ks.DOKTYP[document.doc_type],
                "DateiName": name,
                "DateiInhalt": content if path is None else None,
                "DateiPfad": str(path) if path is not None else None,
                "Created": document.created_at,
                "Modified": min(document.created_at + timedelta(minutes=7), self.as_of),
            },
        )


__all__ = ["DOCUMENT_FILE", "SHARE_RATE", "Documents", "stable_unit"]
