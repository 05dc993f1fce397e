"""Tutoris documents: the `Dokument` elements and the files of the document folder.

`datei` is a path relative to the folder given with `--documents` (the one that holds
`dokumente/`). A path that leaves that folder (`..`, absolute, through a link) is
rejected (`document-path-unsafe`), a file that is not there is rejected
(`document-file-missing`); the rest is copied into the package in threads, as
`documents/<case number>/<document id>.<ext>`, with an empty file and a second copy of
the same content reported. At the end, the folders the export points into (and
`dokumente/`) are walked: a file that no `Dokument` lists (excluded ones included) is
reported as `document-unlisted-file` with its relative path as the source key.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from nffs_migration.extractors.base import Chunk
from nffs_migration.extractors.documents import (
    UNSAFE,
    DocumentCopier,
    document_columns,
    suffix,
)
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.extractors.tutoris import columns as col
from nffs_migration.extractors.tutoris.tables import PARENT, Builders, Columns, Work
from nffs_migration.intermediate_format.safepath import UnsafePath, safe_relative

#: The document folder of a Tutoris export, walked for unlisted files even when unused.
FOLDER = "dokumente"


class Documents:
    """Documents of one extraction: checks, copies, duplicates and the folder's extra files."""

    def __init__(self, ctx: ExtractContext, builders: Builders, root: Path | None) -> None:
        self.ctx = ctx
        self.builders = builders
        self.root = root
        self.listed: set[str] = set()
        self.copier = DocumentCopier(ctx, root)
        self.read = 0

    def _relative(self, datei: str | None) -> str | None:
        if not datei:
            return None
        try:
            return str(safe_relative(datei, windows=True))
        except UnsafePath:
            return None

    def build(self, columns: Columns) -> Chunk:
        """The documents table for one chunk of `Dokument` elements, files copied."""
        w = Work(self.ctx, "documents", columns)
        self.read += w.batch.read
        relative = [self._relative(d) for d in w["datei"].tolist()]
        self.listed.update(r for r in relative if r is not None)
        w.exclude_by_status(PARENT)
        w.require_id()
        paths = [
            None if not datei else UNSAFE if clean is None else PurePosixPath(clean)
            for datei, clean in zip(w["datei"].tolist(), relative, strict=True)
        ]
        names = [
            f"{case}/{key}{suffix(clean)}"
            for case, key, clean in zip(w["parent"].tolist(), w.batch.keys, relative, strict=True)
        ]
        stored = self.copier.copy(w.batch, paths, names)
        self.copier.report_contents(w.batch, stored)
        created = w.date(w["datum"], "created_at").values.astype(col.TIMESTAMP)
        return w.chunk(
            {
                "case_id": w.ids(w["parent"]),
                "title": w.name(w["titel"], "title"),
                "doc_type": w.code("doc_type", w["typ"], "doc_type", required=False),
                "created_at": created,
                **document_columns(stored),
            }
        )

    def unlisted(self) -> Chunk:
        """A chunk of no rows whose findings name the folder's files that nothing lists."""
        chunk = Work(self.ctx, "documents").chunk({})
        if self.root is None:
            return chunk
        for relative in self._files():
            if relative not in self.listed:
                chunk.findings.append(
                    self.ctx.finding("document-unlisted-file", "documents", relative, "file")
                )
        return chunk

    def _files(self) -> list[str]:
        """Files below the folders that listed paths start with, as sorted relative paths."""
        assert self.root is not None  # noqa: S101 - checked by the caller
        tops = {path.split("/", 1)[0] for path in self.listed if "/" in path} | {FOLDER}
        found: list[str] = []
        for top in sorted(tops):
            start = self.root / top
            if not start.is_dir() or start.is_symlink():
                continue
            for folder, dirs, files in os.walk(start):
                dirs.sort()
                base = Path(folder).relative_to(self.root).as_posix()
                found.extend(f"{base}/{name}" for name in sorted(files))
        return found


__all__ = ["FOLDER", "Documents"]
