"""The documents store: content-addressed files beside the target database.

A document is stored once, at `<root>/sha256/ab/cd/<hash>`, whatever package or
record brings it: the same content twice is one file. Files are written under a
temporary name, their SHA-256 checked, then renamed into place, so a crash leaves no
half-written document under its final name (at most an orphaned temporary file, which
the next store of the same content replaces). `put_many` copies on a few threads
(reading, hashing and writing release the GIL); each copy is the same as `put`'s.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from nffs_migration.errors import LoadError

_CHUNK = 1 << 20
#: Threads that copy documents: up to four, no more than the cores (measured on two
#: cores: the copies are mostly the kernel creating files and folders; more threads than
#: cores only burnt CPU).
THREADS = min(4, os.cpu_count() or 1)


@dataclass(frozen=True)
class DocumentStore:
    """A content-addressed folder of documents."""

    root: Path
    #: Folders known to exist (a package's documents share a few hundred folders).
    _folders: set[str] = field(default_factory=set, init=False, repr=False, compare=False)

    def path_of(self, sha256: str) -> Path:
        """Where a document with this checksum lives."""
        return self.root / "sha256" / sha256[:2] / sha256[2:4] / sha256

    def put(self, source: Path, sha256: str) -> tuple[Path, bool]:
        """Store a file under its checksum; returns (path, whether it was new).

        Raises:
            LoadError: The file's content does not match `sha256`; nothing is stored.
        """
        target = self.path_of(sha256)
        if target.exists():
            return target, False
        folder = str(target.parent)
        if folder not in self._folders:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            self._folders.add(folder)
        temporary = os.path.join(folder, f".{sha256}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            digest = _copy(source, temporary)
            if digest != sha256:
                # Named by its checksum (the documents table finds it): a file name may
                # carry a client's name.
                raise LoadError(
                    f"a document does not match its checksum {sha256[:16]}…; not stored"
                )
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return target, True

    def put_many(self, items: list[tuple[Path, str]], threads: int = THREADS) -> int:
        """Store many files (path, checksum) on a few threads; returns how many were new.

        The same checksum twice is stored once. The first mismatch stops the other
        threads and is raised as `put` raises it; documents stored before it stay (they
        are complete and content-addressed), the mismatching one leaves nothing.
        """
        first: dict[str, Path] = {}
        for source, sha256 in items:
            first.setdefault(sha256, source)
        unique = [(source, sha256) for sha256, source in first.items()]
        workers = max(1, min(threads, len(unique)))
        if workers == 1:
            return sum(self.put(source, sha256)[1] for source, sha256 in unique)
        from concurrent.futures import ThreadPoolExecutor

        failed = threading.Event()

        def store(part: list[tuple[Path, str]]) -> int:
            new = 0
            for source, sha256 in part:
                if failed.is_set():
                    break
                try:
                    new += self.put(source, sha256)[1]
                except BaseException:
                    failed.set()
                    raise
            return new

        # One contiguous slice per thread: a pool task per file costs more than a small
        # file's copy.
        size = -(-len(unique) // workers)
        parts = [unique[start : start + size] for start in range(0, len(unique), size)]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="documents") as pool:
            futures = [pool.submit(store, part) for part in parts]
        errors = [future.exception() for future in futures]
        for error in errors:
            if error is not None:
                raise error
        return sum(future.result() for future in futures)


def _copy(source: Path, temporary: str) -> str:
    """Copy a file to a new file, hashing the bytes as they pass; returns the SHA-256."""
    digest = hashlib.sha256()
    with open(source, "rb", buffering=0) as handle:
        sink = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            # Mostly small files: one read of the whole file, hashed from the same buffer.
            want = min(os.fstat(handle.fileno()).st_size + 1, _CHUNK * 8)
            while block := handle.read(want):
                digest.update(block)
                view = memoryview(block)
                while view:
                    view = view[os.write(sink, view) :]
        finally:
            os.close(sink)
    return digest.hexdigest()


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


__all__ = ["THREADS", "DocumentStore", "default_store", "sync"]
