"""Document files of a source, for every family: located, checked, copied, reported.

A source names its documents' files by a path relative to a folder (a share, an export's
document folder, a scan folder). `DocumentCopier.copy` takes, per row of a batch, that
path and the name the file gets in the package (the family knows both), and

- rejects a row whose path leaves the folder (`document-path-unsafe`), or whose file is
  not there or has no path at all (`document-file-missing`);
- copies the others into the package (in threads, streaming, with their SHA-256);
- reports an empty file (`document-empty`) and a content seen before in the same
  extraction (`document-duplicate-content`), in the order of the rows.

A path may come as text (with Windows separators too, made safe here), as a
`PurePath` already made safe by the family, or as `UNSAFE`. `document_columns` gives the
documents table its file columns from the stored copies.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

from nffs_migration.extractors.frames import Batch
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.intermediate_format.safepath import UnsafePath, resolve_within, safe_relative
from nffs_migration.intermediate_format.writer import StoredDocument

STRING = pd.ArrowDtype(pa.string())
#: A plain file extension: a dot, then one to ten letters or digits.
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,10}$")
#: A path the family already found to leave its folder.
UNSAFE: Final = object()


class DocumentCopier:
    """Copies the documents of a source's rows and remembers the contents already seen."""

    def __init__(self, context: ExtractContext, root: Path | None) -> None:
        self.ctx = context
        self.root = root
        self.seen_content: set[str] = set()

    def locate(self, path: object) -> Path | None:
        """The file a path names inside the folder; None when it is not there.

        Raises:
            UnsafePath: The path leaves the folder.
        """
        if path is None or path is pd.NA or self.root is None:
            return None
        if path is UNSAFE:
            raise UnsafePath("the path leaves the document folder")
        relative = (
            path if isinstance(path, PurePosixPath) else safe_relative(str(path), windows=True)
        )
        source = resolve_within(self.root, relative)
        return source if source.is_file() else None

    def copy(
        self,
        batch: Batch,
        paths: Sequence[object],
        names: Sequence[str],
        stored: list[StoredDocument | None] | None = None,
    ) -> list[StoredDocument | None]:
        """Check every kept row's path (not yet `stored`), reject what cannot be had, copy.

        `names[row]` is where the row's file goes in the package (`documents/<name>`).
        """
        found: list[StoredDocument | None] = stored if stored is not None else [None] * batch.read
        unsafe = np.zeros(batch.read, dtype=bool)
        missing = np.zeros(batch.read, dtype=bool)
        wanted: list[tuple[int, str, Path]] = []
        for index in (int(i) for i in np.flatnonzero(batch.keep)):
            if found[index] is not None:
                continue
            try:
                source = self.locate(paths[index])
            except UnsafePath:
                unsafe[index] = True
                continue
            if source is None:
                missing[index] = True
                continue
            wanted.append((index, names[index], source))
        batch.reject(unsafe, "document-path-unsafe")
        batch.reject(missing, "document-file-missing")
        copies = self.ctx.add_documents([(target, source) for _, target, source in wanted])
        for (index, _, _), document in zip(wanted, copies, strict=True):
            found[index] = document
        return found

    def report_contents(self, batch: Batch, stored: list[StoredDocument | None]) -> None:
        """Empty files and contents seen before, in the order of the rows."""
        for index in (int(i) for i in np.flatnonzero(batch.keep)):
            document = stored[index]
            if document is None:
                continue
            key = batch.keys[index]
            if document.size_bytes == 0:
                batch.findings.append(self.ctx.finding("document-empty", "documents", key, "file"))
            elif document.sha256 in self.seen_content:
                batch.findings.append(
                    self.ctx.finding("document-duplicate-content", "documents", key, "file")
                )
            else:
                self.seen_content.add(document.sha256)


def suffix(path: object) -> str:
    """The lower-case extension of a path as a source writes it (Windows or POSIX).

    Only a plain extension (`.pdf`, `.docx`) names the file in the package; anything
    else (blanks, punctuation, an overlong tail) gives none.
    """
    if path is None or path is pd.NA or path is UNSAFE:
        return ""
    ext = PureWindowsPath(str(path)).suffix.lower()
    return ext if _SUFFIX.match(ext) else ""


def document_columns(stored: list[StoredDocument | None]) -> dict[str, pd.Series]:
    """The file columns of the documents table from the stored copies."""
    return {
        "file": pd.Series([d.file if d else None for d in stored], dtype=STRING),
        "media_type": pd.Series(
            [mimetypes.guess_type(d.file)[0] if d else None for d in stored], dtype=STRING
        ),
        "size_bytes": pd.Series([d.size_bytes if d else None for d in stored], dtype="Int64"),
        "sha256": pd.Series([d.sha256 if d else None for d in stored], dtype=STRING),
    }


__all__ = ["UNSAFE", "DocumentCopier", "document_columns", "suffix"]
