"""Writing a package: tables streamed by row group, documents copied with checksums.

A `PackageWriter` writes into a hidden temporary folder beside the output, then writes
the manifest last and renames the folder into place (or zips it), so a package either
exists whole or not at all. Tables are appended in chunks (frames, Arrow tables or
record batches) and never held in memory as a whole.

    with PackageWriter(out, service_id="0942", source_system="klibnet",
                       data_as_of=as_of) as package:
        for chunk in chunks:
            package.write("persons", chunk)
        package.account("tblKlient", read=10, migrated=9, excluded=1,
                        excluded_by_rule={"soft-deleted": 1})
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeAlias

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from nffs_migration import __version__
from nffs_migration.errors import PackageError
from nffs_migration.intermediate_format.definition import FORMAT_VERSION, KEY_SETS, REJECTS, TABLES
from nffs_migration.intermediate_format.findings import Finding, Report, Rule, rule_results
from nffs_migration.intermediate_format.manifest import (
    Accounting,
    Batch,
    DocumentsEntry,
    ExclusionRule,
    FileEntry,
    Manifest,
    TableEntry,
    content_digest,
    now,
    package_id,
    to_json,
)
from nffs_migration.intermediate_format.safepath import UnsafePath, safe_relative
from nffs_migration.intermediate_format.tableschema import data_package
from nffs_migration.log import get_logger

log = get_logger(__name__)

#: Rows per Parquet row group: large enough for fast scans, small enough to stream.
ROW_GROUP_ROWS = 256 * 1024
#: Where a package keeps its document files (`documents.file` names them).
DOCUMENTS_FOLDER = "documents/"
COMPRESSION = "zstd"
_CHUNK = 1024 * 1024

#: What `write` accepts: a pandas frame, an Arrow table or an Arrow record batch.
Chunk: TypeAlias = pd.DataFrame | pa.Table | pa.RecordBatch


@dataclass(frozen=True)
class StoredDocument:
    """A document file as stored in the package."""

    file: str
    sha256: str
    size_bytes: int


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def to_arrow(chunk: Chunk, schema: pa.Schema, *, table_name: str) -> pa.Table:
    """Conform a chunk to a table's schema: column order, types, nothing extra or missing."""
    names = set(schema.names)
    given = set(chunk.columns if isinstance(chunk, pd.DataFrame) else chunk.schema.names)
    if given != names:
        missing = sorted(names - given)
        extra = sorted(given - names)
        raise PackageError(
            f"table {table_name}: columns do not match the format "
            f"(missing {missing or 'none'}, unknown {extra or 'none'})",
            table=table_name,
        )
    try:
        if isinstance(chunk, pd.DataFrame):
            return pa.Table.from_pandas(
                chunk[list(schema.names)], schema=schema, preserve_index=False
            )
        table = pa.Table.from_batches([chunk]) if isinstance(chunk, pa.RecordBatch) else chunk
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        # Arrow's message can quote a cell; keep the table and the kind of failure only.
        raise PackageError(
            f"table {table_name}: a column does not convert to the format's type "
            f"({type(exc).__name__})",
            table=table_name,
        ) from None


class _TableSink:
    """One Parquet file written row group by row group."""

    def __init__(self, path: Path, schema: pa.Schema, name: str) -> None:
        self.path = path
        self.schema = schema
        self.name = name
        self.rows = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(
            path, schema, compression=COMPRESSION, write_statistics=True, store_schema=True
        )

    def write(self, chunk: Chunk) -> None:
        table = to_arrow(chunk, self.schema, table_name=self.name)
        if table.num_rows:
            self._writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()


class PackageWriter:
    """Write one package (one batch of one service from one source).

    Args:
        out: The package path: a directory, or a file ending in `.zip`.
        service_id: Four-digit service id.
        source_system: `klibnet`, `kiss`, `tutoris` or `custom`.
        data_as_of: The moment the source reflects (aware datetime).
        batch: Which batch this is; a first full batch by default.
        source_version: Version of the legacy system or export format.
        overwrite: Replace an existing package at `out` (only once the new one is complete).
    """

    def __init__(
        self,
        out: Path | str,
        *,
        service_id: str,
        source_system: str,
        data_as_of: datetime,
        batch: Batch | None = None,
        source_version: str | None = None,
        overwrite: bool = False,
    ) -> None:
        if data_as_of.tzinfo is None:
            raise ValueError("data_as_of must be timezone-aware")
        self.out = Path(out)
        self.zip = self.out.suffix.lower() == ".zip"
        self.service_id = service_id
        self.source_system = source_system
        self.data_as_of = data_as_of
        self.batch = batch or Batch(kind="full", sequence=1)
        self.source_version = source_version
        self.overwrite = overwrite
        self.root = self.out.parent / f".{self.out.name}.tmp-{uuid.uuid4().hex[:8]}"
        self._tables: dict[str, _TableSink] = {}
        self._rejects: dict[str, _TableSink] = {}
        self._keys: dict[str, _TableSink] = {}
        self._accounting: dict[str, dict[str, Any]] = {}
        self._exclusions: dict[str, ExclusionRule] = {}
        self._findings: list[Finding] = []
        self._rules: dict[str, Rule] = {}
        self._checked: dict[str, int] = defaultdict(int)
        self._documents: dict[str, StoredDocument] = {}
        self._mapping_versions: dict[str, str] = {}
        self._checksums: dict[str, FileEntry] = {}
        self._folders: set[str] = set()
        self._unmapped: dict[str, dict[str, int]] = {}
        self._mapped: dict[str, int] | None = None
        #: Tables and columns the source does not keep (`table` or `table.column`).
        self.not_kept: set[str] = set()
        self._open = False
        self.manifest: Manifest | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> PackageWriter:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def open(self) -> None:
        """Create the temporary folder; refuse to clobber an existing package."""
        if self.out.exists() and not self.overwrite:
            raise PackageError(
                f"{self.out} already exists; choose another --out or remove it", path=str(self.out)
            )
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(mode=0o700)
        self._open = True

    def abort(self) -> None:
        """Throw away everything written so far."""
        for sink in (*self._tables.values(), *self._rejects.values(), *self._keys.values()):
            try:
                sink.close()
            except (OSError, pa.ArrowException):
                log.debug("closing %s after an abort failed", sink.path.name)
        shutil.rmtree(self.root, ignore_errors=True)
        self._open = False

    # -- content -----------------------------------------------------------------------

    def _require_open(self) -> None:
        if not self._open:
            raise RuntimeError("PackageWriter is not open; use it as a context manager")

    def write(self, table_name: str, chunk: Chunk) -> None:
        """Append a chunk of rows to a table of the contract."""
        self._require_open()
        sink = self._tables.get(table_name)
        if sink is None:
            if table_name not in TABLES:
                raise PackageError(f"unknown table {table_name!r}", table=table_name)
            schema = TABLES[table_name].arrow_schema
            sink = _TableSink(self.root / "tables" / f"{table_name}.parquet", schema, table_name)
            self._tables[table_name] = sink
        sink.write(chunk)

    def reject(self, table_name: str, chunk: Chunk) -> None:
        """Append rejected source records (source_key, source_table, rule, reason)."""
        self._require_open()
        if table_name not in TABLES:
            raise PackageError(f"unknown table {table_name!r}", table=table_name)
        sink = self._rejects.get(table_name)
        if sink is None:
            path = self.root / "rejects" / f"{table_name}.parquet"
            sink = _TableSink(path, REJECTS.arrow_schema, f"rejects/{table_name}")
            self._rejects[table_name] = sink
        sink.write(chunk)

    def key_set(self, table_name: str, ids: pa.Array | pa.ChunkedArray) -> None:
        """Append ids to a table's key set (`keys/<table>.parquet`, a delta's deletions).

        Every table of the contract gets a key set once one is written: a table the
        scope no longer holds any row of has an empty one.
        """
        self._require_open()
        if table_name not in TABLES:
            raise PackageError(f"unknown table {table_name!r}", table=table_name)
        if not self._keys:
            for name in TABLES:
                path = self.root / "keys" / f"{name}.parquet"
                self._keys[name] = _TableSink(path, KEY_SETS.arrow_schema, f"keys/{name}")
        self._keys[table_name].write(pa.table({"id": ids}, schema=KEY_SETS.arrow_schema))

    def account(
        self,
        source_table: str,
        *,
        read: int = 0,
        migrated: int = 0,
        rejected: int = 0,
        excluded: int = 0,
        excluded_by_rule: dict[str, int] | None = None,
    ) -> None:
        """Add counts for a source table; calls for the same table add up."""
        entry = self._accounting.setdefault(
            source_table,
            {"read": 0, "migrated": 0, "rejected": 0, "excluded": 0, "excluded_by_rule": {}},
        )
        entry["read"] += read
        entry["migrated"] += migrated
        entry["rejected"] += rejected
        entry["excluded"] += excluded
        for rule, count in (excluded_by_rule or {}).items():
            entry["excluded_by_rule"][rule] = entry["excluded_by_rule"].get(rule, 0) + count

    def exclusion_rule(self, rule_id: str, description: str, cutoff: str | None = None) -> None:
        """Document an exclusion rule in the manifest (retention, soft delete, ...)."""
        self._exclusions[rule_id] = ExclusionRule(description=description, cutoff=cutoff)

    def set_mapping(
        self,
        versions: dict[str, str],
        unmapped: dict[str, dict[str, int]],
        mapped: dict[str, int] | None = None,
    ) -> None:
        """Record the code mappings used, every value they did not cover and how many they did."""
        self._mapping_versions = dict(sorted(versions.items()))
        self._unmapped = {
            name: dict(sorted(values.items())) for name, values in sorted(unmapped.items())
        }
        self._mapped = dict(sorted(mapped.items())) if mapped is not None else None

    def add_findings(self, rule: Rule, findings: Iterable[Finding], checked: int = 0) -> None:
        """Record what extraction noticed under one rule (for extract-findings.json)."""
        self._rules[rule.id] = rule
        self._findings.extend(findings)
        self._checked[rule.id] += checked

    def add_documents(
        self, items: list[tuple[str, Path]], threads: int = 8
    ) -> list[StoredDocument]:
        """Copy many documents at once: file creation dominates, so copies run in threads.

        Each thread copies one contiguous slice of the list (one task per thread, not per
        file: a task per file costs more in the pool than a small file's copy).
        """
        self._require_open()
        files = [self._document_file(name) for name, _ in items]
        unique: dict[str, tuple[str, Path]] = {}
        for file, (name, source) in zip(files, items, strict=True):
            unique.setdefault(name, (file, source))
        pending = [item for item in unique.values() if item[0] not in self._documents]
        workers = min(threads, len(pending))
        if workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            size = -(-len(pending) // workers)
            slices = [pending[start : start + size] for start in range(0, len(pending), size)]
            with ThreadPoolExecutor(max_workers=workers) as pool:
                parts = list(pool.map(self._copy_documents, slices))
            stored = [document for part in parts for document in part]
        else:
            stored = self._copy_documents(pending)
        for document in stored:
            self._documents[document.file] = document
        return [self._documents[file] for file in files]

    def _document_file(self, name: str) -> str:
        try:
            return f"{DOCUMENTS_FOLDER}{safe_relative(name)}"
        except UnsafePath as exc:
            raise PackageError(f"document name is not a safe relative path: {exc}") from None

    def _copy_documents(self, items: list[tuple[str, Path]]) -> list[StoredDocument]:
        return [self._copy_document(file, source) for file, source in items]

    def _copy_document(self, file: str, source: Path) -> StoredDocument:
        target = os.path.join(self.root, file)
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        digest = hashlib.sha256()
        size = 0
        with open(source, "rb", buffering=0) as handle, open(target, "xb") as sink:
            # Documents are mostly small: one read of the file's size and one write each,
            # hashed from the same buffer (no second read of the file).
            want = min(os.fstat(handle.fileno()).st_size + 1, _CHUNK * 8)
            while block := handle.read(want):
                digest.update(block)
                sink.write(block)
                size += len(block)
        return StoredDocument(file=file, sha256=digest.hexdigest(), size_bytes=size)

    def add_document(self, name: str, source: Path | IO[bytes]) -> StoredDocument:
        """Copy a document into `documents/<name>`, streaming, and return its checksum.

        The same name twice returns the first copy (documents are keyed by path).
        """
        self._require_open()
        try:
            relative = safe_relative(name)
        except UnsafePath as exc:
            raise PackageError(f"document name is not a safe relative path: {exc}") from None
        file = f"documents/{relative}"
        if file in self._documents:
            return self._documents[file]
        target = self.root / file
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        handle: IO[bytes] = source.open("rb") if isinstance(source, Path) else source
        try:
            with target.open("xb") as sink:
                while block := handle.read(_CHUNK):
                    digest.update(block)
                    sink.write(block)
                    size += len(block)
        finally:
            if isinstance(source, Path):
                handle.close()
        stored = StoredDocument(file=file, sha256=digest.hexdigest(), size_bytes=size)
        self._documents[file] = stored
        return stored

    # -- finishing ---------------------------------------------------------------------

    def close(self) -> Manifest:
        """Finish every file, write datapackage.json and the manifest, move into place."""
        self._require_open()
        try:
            manifest = self._finish()
            self._publish()
        except BaseException:
            self.abort()
            raise
        self._open = False
        self.manifest = manifest
        return manifest

    def _finish(self) -> Manifest:
        for name, table in TABLES.items():
            if name not in self._tables:
                self.write(name, table.arrow_schema.empty_table())
        for sink in (*self._tables.values(), *self._rejects.values(), *self._keys.values()):
            sink.close()
        unbalanced = [
            name for name, counts in self._accounting.items() if not Accounting(**counts).balanced
        ]
        if unbalanced:
            raise PackageError(
                "accounting does not balance (read = migrated + rejected + excluded) for "
                + ", ".join(sorted(unbalanced)),
                tables=sorted(unbalanced),
            )
        reports = self.root / "reports"
        reports.mkdir(exist_ok=True)
        report = Report(
            rules=rule_results(self._rules.values(), self._findings, dict(self._checked)),
            findings=self._findings,
        )
        (reports / "extract-findings.json").write_text(report.to_json(), encoding="utf-8")

        files = self._checksum_files(exclude={"datapackage.json"})
        content = content_digest(files)
        pid = package_id(self.service_id, self.source_system, self.batch, content)
        descriptor = data_package(pid, sorted(self._rejects))
        descriptor_path = self.root / "datapackage.json"
        descriptor_path.write_text(
            json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        # Only datapackage.json was written since the walk: checksum it, not the tree again.
        files["datapackage.json"] = FileEntry(
            sha256=sha256_file(descriptor_path), bytes=descriptor_path.stat().st_size
        )
        files = dict(sorted(files.items()))

        def entry(sink: _TableSink) -> TableEntry:
            file = sink.path.relative_to(self.root).as_posix()
            return TableEntry(file=file, rows=sink.rows, sha256=files[file].sha256)

        manifest = Manifest(
            format_version=FORMAT_VERSION,
            package_id=pid,
            service_id=self.service_id,
            source_system=self.source_system,
            source_version=self.source_version,
            batch=self.batch,
            data_as_of=self.data_as_of,
            created_at=now(),
            tool_version=__version__,
            tables={name: entry(self._tables[name]) for name in TABLES},
            rejects={name: entry(sink) for name, sink in sorted(self._rejects.items())},
            key_sets={name: entry(sink) for name, sink in self._keys.items()},
            documents=DocumentsEntry(
                count=len(self._documents),
                bytes=sum(d.size_bytes for d in self._documents.values()),
            ),
            accounting={
                name: Accounting(**counts) for name, counts in sorted(self._accounting.items())
            },
            exclusion_rules=dict(sorted(self._exclusions.items())),
            mapping_versions=self._mapping_versions,
            unmapped_codes=self._unmapped,
            mapped_codes=self._mapped,
            not_kept=sorted(self.not_kept),
            files=files,
            content_sha256=content,
        ).sealed()
        manifest_path = self.root / "manifest.json"
        manifest_path.write_text(to_json(manifest), encoding="utf-8")
        return manifest

    def _checksum_files(self, exclude: set[str] | None = None) -> dict[str, FileEntry]:
        """Checksum every file once; documents reuse the checksum taken while copying."""
        known = {
            d.file: FileEntry(sha256=d.sha256, bytes=d.size_bytes) for d in self._documents.values()
        }
        files: dict[str, FileEntry] = {}
        base = str(self.root)
        cut = len(os.path.join(base, ""))
        for folder, _, names in os.walk(base):
            for name in names:
                path = os.path.join(folder, name)
                relative = path[cut:].replace(os.sep, "/")
                if relative == "manifest.json" or (exclude and relative in exclude):
                    continue
                entry = known.get(relative) or self._checksums.get(relative)
                if entry is None:
                    entry = FileEntry(sha256=sha256_file(Path(path)), bytes=os.path.getsize(path))
                    self._checksums[relative] = entry
                files[relative] = entry
        return dict(sorted(files.items()))

    def _publish(self) -> None:
        owner_only(self.root)
        _fsync_tree(self.root)
        if self.zip:
            staged = self.root.with_name(self.root.name + ".zip")
            write_zip(self.root, staged)
            shutil.rmtree(self.root)
            source = staged
        else:
            source = self.root
        if self.out.exists():
            old = self.out.with_name(f".{self.out.name}.old-{uuid.uuid4().hex[:8]}")
            self.out.rename(old)
            source.rename(self.out)
            if old.is_dir():
                shutil.rmtree(old)
            else:
                old.unlink()
        else:
            source.rename(self.out)
        log.info("package written: %s", self.out.name)


def owner_only(root: Path) -> None:
    """Make a tree readable by its owner only (folders 0700, files 0600)."""
    os.chmod(root, 0o700)
    for folder, folders, files in os.walk(root):
        for name in folders:
            os.chmod(os.path.join(folder, name), 0o700)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o600)


def write_zip(root: Path, target: Path) -> None:
    """Zip a package folder with stable entry order and timestamps (same content, same bytes)."""
    with zipfile.ZipFile(target, "x", compression=zipfile.ZIP_STORED) as archive:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo(
                    path.relative_to(root).as_posix(), date_time=(1980, 1, 1, 0, 0, 0)
                )
                info.external_attr = 0o600 << 16
                large = path.stat().st_size > (1 << 31)
                with path.open("rb") as source, archive.open(info, "w", force_zip64=large) as sink:
                    shutil.copyfileobj(source, sink, _CHUNK)
    os.chmod(target, 0o600)


def _fsync_tree(root: Path) -> None:
    """Make the package durable before it is renamed into place.

    One `syncfs` of the package's file system (Linux) instead of an fsync per file:
    a package can hold a hundred thousand documents. Elsewhere, `os.sync()`.
    """
    fd = os.open(root, os.O_RDONLY)
    try:
        if not _syncfs(fd):
            os.sync()
    finally:
        os.close(fd)


def _syncfs(fd: int) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return bool(hasattr(libc, "syncfs") and libc.syncfs(fd) == 0)
    except OSError:
        return False


__all__ = ["PackageWriter", "StoredDocument", "owner_only", "sha256_file", "to_arrow", "write_zip"]
