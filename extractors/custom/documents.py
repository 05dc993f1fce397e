"""Scanned documents of a self-built source: the index's files copied, the folder's others reported.

Each index row names a file inside the documents folder. A name that leaves the folder
is rejected (`document-path-unsafe`), a file that is not there is rejected
(`document-file-missing`); the others are copied into `documents/<case or person>/<key>`
with size and SHA-256, an empty one with a finding. Files of the folder that no index
row names are reported (`document-unlisted-file`, source key: the path inside the
folder), except the source's own files (the index itself).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa

from nffs_migration.extractors.documents import DocumentCopier, suffix
from nffs_migration.extractors.frames import Batch
from nffs_migration.extractors.run import ExtractContext
from nffs_migration.intermediate_format.findings import Finding
from nffs_migration.intermediate_format.safepath import UnsafePath, safe_relative
from nffs_migration.intermediate_format.writer import StoredDocument

STRING = pd.ArrowDtype(pa.string())
_UNSAFE = re.compile(r"[^\w.\-]+")


def listed_name(value: str | None) -> str | None:
    """An index entry as a clean relative path (None if it is not one)."""
    if value is None:
        return None
    try:
        return safe_relative(value, windows=True).as_posix()
    except UnsafePath:
        return None


def _slug(text: str) -> str:
    """A key as a relative path: `/` kept, other unsafe characters and `..` replaced."""
    segments = []
    for segment in text.split("/"):
        clean = _UNSAFE.sub("_", segment).strip()
        segments.append("_" if clean in ("", ".", "..") else clean)
    slug = "/".join(segments)
    if slug != text:
        # Two keys must not meet in one file name: keep the slug readable, make it unique.
        slug += "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return slug


def package_name(owner: str, key: str, suffix: str) -> str:
    """Where a document goes in the package: `<owner>/<key>`, with the file's suffix."""
    name = _slug(key)
    if suffix and not name.lower().endswith(suffix.lower()):
        name += suffix.lower()
    return f"{_slug(owner)}/{name}"


class Copier:
    """Copies the documents of index rows and remembers contents already seen."""

    def __init__(self, context: ExtractContext, folder: Path | None) -> None:
        self.ctx = context
        self.folder = folder
        self.copier = DocumentCopier(context, folder)
        self.listed: set[str] = set()

    def copy(
        self, batch: Batch, files: list[str | None], owners: list[str | None]
    ) -> list[StoredDocument | None]:
        """Check every kept row's file, reject the unsafe and missing, copy the rest."""
        for value in files:
            name = listed_name(value)
            if name is not None:
                self.listed.add(name)
        names = [
            package_name(owner or "_", key, suffix(value))
            for owner, key, value in zip(owners, batch.keys, files, strict=True)
        ]
        stored = self.copier.copy(batch, files, names)
        self.copier.report_contents(batch, stored)
        return stored

    def unlisted(self, own_files: set[Path]) -> list[Finding]:
        """A finding for every file of the folder that no index row names."""
        if self.folder is None or not self.folder.is_dir():
            return []
        findings = []
        own = {path.resolve() for path in own_files}
        for path in sorted(self.folder.rglob("*")):
            if not path.is_file() or path.resolve() in own:
                continue
            name = path.relative_to(self.folder).as_posix()
            if name not in self.listed:
                findings.append(
                    self.ctx.finding("document-unlisted-file", "documents", name, "file")
                )
        return findings


__all__ = ["Copier", "listed_name", "package_name"]
