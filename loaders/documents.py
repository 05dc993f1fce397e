"""The documents store: content-addressed files beside the target database.

A document is stored once, at `<root>/sha256/ab/cd/<hash>`, whatever package or
record brings it: the same content twice is one file. Files are written under a
temporary name, their SHA-256 checked, then renamed into place, so a crash leaves no
half-written document under its final name (at most an orphaned temporary file, which
the next store of the same content replaces).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from nffs_migration.errors import LoadError

_CHUNK = 1 << 20


@dataclass(frozen=True)
class DocumentStore:
    """A content-addressed folder of documents."""

    root: Path

    def path_of(self, sha256: str) -> Path:
        """Where a document with this checksum lives."""
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: Path, sha256: str) -> tuple[Path, bool]:
        """Store a file under its checksum; returns (path, whether it was new)."""
        target = self.path_of(sha256)
        if target.exists():
            return target, False
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = target.with_name(f".{sha256}.{uuid.uuid4().hex[:8]}.tmp")
        digest = hashlib.sha256()
        with source.open("rb") as handle, temporary.open("xb") as sink:
            while block := handle.read(_CHUNK):
                digest.update(block)
                sink.write(block)
        if digest.hexdigest() != sha256:
            temporary.unlink(missing_ok=True)
            raise LoadError(f"document {source.name} does not match its checksum; not stored")
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
        return target, True


def sync(root: Path) -> None:
    """Make every stored document durable (one file-system sync, not one per file)."""
    from nffs_migration.intermediate_format.writer import _fsync_tree

    if root.exists():
        _fsync_tree(root)


def default_store(target_url: str) -> Path:
    """The default documents folder: beside a SQLite target, else ./nffs-documents."""
    url = sa.make_url(target_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "documents"
    return Path("nffs-documents").resolve()


__all__ = ["DocumentStore", "default_store", "sync"]
