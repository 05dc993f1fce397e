"""KiSS documents (`DmtDokument`): blobs from the database and files from the share.

The rows are read without their content; for each chunk the blobs of the kept rows are
fetched by id, a few at a time on a streaming cursor, and written straight into the
package, so memory holds a handful of documents whatever the source's size. A row whose
`DateiInhalt` is NULL is looked for on the share under `DateiPfad` (relative, Windows
separators): a path that leaves the share is rejected (`document-path-unsafe`), a file
that is not there, or a row with neither content nor path, is rejected
(`document-file-missing`). A document hangs on its service (`FaLeistungID`) or, without
one, on its person (`BaPersonID`), and follows that parent's fate. Empty content and
content seen before are reported (`document-empty`, `document-duplicate-content`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError, SourceError, SourceUnavailable
from nffs_migration.extractors.base import Chunk
from nffs_migration.extractors.documents import DocumentCopier, document_columns, suffix
from nffs_migration.extractors.frames import LIVE, MISSING, Batch, lookup
from nffs_migration.extractors.kiss.index import KissRun
from nffs_migration.intermediate_format.writer import StoredDocument

TABLE = "DmtDokument"
#: Ids per blob query, and blobs the cursor holds at a time.
BLOB_IDS = 500
BLOB_ROWS = 16


class Documents:
    """The documents table of one extraction."""

    def __init__(self, run: KissRun) -> None:
        self.run = run
        self.share: Path | None = run.options.documents
        self.copier = DocumentCopier(run.ctx, self.share)

    def chunks(self) -> Iterator[Chunk]:
        """The documents in source-key order, their files copied into the package."""
        run = self.run
        for frame in run.read(TABLE):
            if self.share is None and frame["DateiPfad"].notna().any():
                raise ConfigurationError(
                    "the source keeps documents on a share: give the share's root with "
                    "--documents DIR"
                )
            batch = Batch("documents", TABLE, frame, frame["DmtDokumentID"])
            has_case = frame["FaLeistungID"].notna().to_numpy(dtype=bool)
            case_status = lookup(frame["FaLeistungID"], run.case_status)
            person_status = lookup(frame["BaPersonID"], run.person_status)
            batch.apply_status(
                np.where(has_case, case_status, person_status),
                orphan_reason="neither its service nor its person exists",
            )
            # With a service, the person is a second reference: kept only while migrated.
            person_ref = has_case & frame["BaPersonID"].notna().to_numpy(dtype=bool)
            for key in batch.kept_keys(person_ref & (person_status == MISSING)):
                batch.findings.append(
                    run.ctx.finding("dangling-reference", "documents", key, "person_id")
                )
            person = frame["BaPersonID"].mask(person_ref & (person_status != LIVE))
            # Object arrays: numpy's fixed-width strings cut "person-" + id to the id's width.
            folder = np.where(
                has_case,
                frame["FaLeistungID"].astype("Int64").astype(str).to_numpy(dtype=object),
                ("person-" + frame["BaPersonID"].astype("Int64").astype(str)).to_numpy(
                    dtype=object
                ),
            )
            stored = self.store(batch, frame, folder)
            yield run.rows(
                batch,
                run.ids(frame["DmtDokumentID"]),
                {
                    "case_id": run.ids(frame["FaLeistungID"]),
                    "person_id": run.ids(person),
                    "title": frame["Stichwort"],
                    "doc_type": run.code(
                        batch, "doc_type", frame["DokTypCode"], "doc_type", required=False
                    ),
                    "created_at": frame["Created"],
                    **document_columns(stored),
                },
            )

    def store(
        self, batch: Batch, frame: pd.DataFrame, folder: np.ndarray
    ) -> list[StoredDocument | None]:
        """Write the kept rows' blobs, copy their share files; reject what cannot be had."""
        stored: list[StoredDocument | None] = [None] * batch.read
        ids = frame["DmtDokumentID"].to_numpy(dtype=object)
        names = frame["DateiName"].to_numpy(dtype=object, na_value=None)
        row_of = {int(ids[i]): i for i in np.flatnonzero(batch.keep)}
        for number, content in self.blobs(sorted(row_of)):
            if content is None:
                continue
            index = row_of[number]
            name = f"{folder[index]}/{number}{suffix(names[index])}"
            stored[index] = self.run.ctx.add_document(name, io.BytesIO(content))
        paths = frame["DateiPfad"].tolist()
        on_share = [
            f"{place}/{key}{suffix(path)}"
            for place, key, path in zip(folder, batch.keys, paths, strict=True)
        ]
        self.copier.copy(batch, paths, on_share, stored)
        self.copier.report_contents(batch, stored)
        return stored

    def blobs(self, ids: list[int]) -> Iterator[tuple[int, bytes | None]]:
        """(id, content) of the given documents, streamed a few rows at a time."""
        if not ids:
            return
        db = self.run.db
        clause = db.table(TABLE, ["DmtDokumentID", "DateiInhalt"])
        key = clause.c["DmtDokumentID"]
        try:
            with db.engine.connect() as connection:
                streaming = connection.execution_options(stream_results=True, yield_per=BLOB_ROWS)
                for start in range(0, len(ids), BLOB_IDS):
                    part = ids[start : start + BLOB_IDS]
                    statement = (
                        sa.select(key, clause.c["DateiInhalt"]).where(key.in_(part)).order_by(key)
                    )
                    for number, content in streaming.execute(statement):
                        yield int(number), None if content is None else bytes(content)
        except sa.exc.OperationalError as exc:
            raise SourceUnavailable(
                f"reading {TABLE} contents failed ({type(exc.orig).__name__}); "
                "the connection may be lost"
            ) from None
        except sa.exc.DBAPIError as exc:
            raise SourceError(
                f"reading {TABLE} contents failed ({type(exc.orig).__name__})"
            ) from None


__all__ = ["BLOB_IDS", "BLOB_ROWS", "Documents", "suffix"]
