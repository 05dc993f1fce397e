"""KLIBnet documents (`tblDokument`): files on the document share, filed under their case.

`Ablagepfad` is a path relative to the share's root (`--documents`), with Windows
separators. The shared copier (`extractors/documents.py`) locates each file, rejects a
path that leaves the share (`document-path-unsafe`) or a file that is not there
(`document-file-missing`), copies it into the package as `<DossierID>/<key><ext>` and
reports empty and repeated content. A document follows its case's fate.
"""

from __future__ import annotations

from collections.abc import Iterator

from nffs_migration.errors import ConfigurationError
from nffs_migration.extractors.base import Chunk
from nffs_migration.extractors.documents import DocumentCopier, document_columns, suffix
from nffs_migration.extractors.frames import Batch, lookup
from nffs_migration.extractors.klibnet.index import KlibnetRun

TABLE = "tblDokument"


class Documents:
    """The documents table of one extraction."""

    def __init__(self, run: KlibnetRun) -> None:
        self.run = run
        self.copier = DocumentCopier(run.ctx, run.options.documents)

    def chunks(self) -> Iterator[Chunk]:
        """The documents in key order, their files copied into the package."""
        run = self.run
        share = run.options.documents
        for frame in run.read(TABLE):
            if share is None and len(frame):
                raise ConfigurationError(
                    "the source lists documents: give the share's root with --documents DIR"
                )
            batch = Batch("documents", TABLE, frame, frame["DokumentID"])
            batch.apply_status(
                lookup(frame["DossierID"], run.case_status),
                orphan_reason="the case does not exist",
            )
            paths = frame["Ablagepfad"].tolist()
            names = [
                f"{case}/{key}{suffix(path)}"
                for case, key, path in zip(frame["DossierID"], batch.keys, paths, strict=True)
            ]
            stored = self.copier.copy(batch, paths, names)
            self.copier.report_contents(batch, stored)
            yield run.rows(
                batch,
                run.ids(frame["DokumentID"]),
                {
                    "case_id": run.ids(frame["DossierID"]),
                    "title": frame["Titel"],
                    "doc_type": run.code(
                        batch, "doc_type", frame["DokTyp"], "doc_type", required=False
                    ),
                    "created_at": frame["Erstellt"],
                    **document_columns(stored),
                },
            )


__all__ = ["Documents"]
