"""Reading a package: verify first, then read tables as Arrow or pandas, in batches if needed.

`open_package` refuses a package that is not whole and unchanged: an unknown or newer
format version, a file listed in the manifest that is missing or whose SHA-256 differs,
a file that the manifest does not list, a table of the contract that is absent. Each
refusal is a `PackageError` naming the file. A zipped package is unpacked into a
temporary folder first; an entry that would land outside it (`../x`, `/etc/x`, `C:x`, a
link) is refused before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from nffs_migration.errors import PackageError
from nffs_migration.intermediate_format.definition import FORMAT_VERSION, KEY_SETS, REJECTS, TABLES
from nffs_migration.intermediate_format.findings import Report
from nffs_migration.intermediate_format.manifest import FileEntry, Manifest, json_digest
from nffs_migration.intermediate_format.safepath import (
    UnsafePath,
    clean_relative,
    resolve_within,
    safe_relative,
)
from nffs_migration.intermediate_format.writer import DOCUMENTS_FOLDER, sha256_file

_CHUNK = 1024 * 1024
#: A zip whose entries would unpack to more than this is refused (zip bombs).
MAX_UNPACKED_BYTES = 1 << 40


def check_format_version(version: str, *, where: str = "manifest.json") -> None:
    """Accept the same major version and a minor version no newer than ours."""
    try:
        major, minor, _patch = (int(part) for part in version.split("."))
    except ValueError:
        raise PackageError(f"{where}: format version {version!r} is not semver") from None
    our_major, our_minor, _ = (int(part) for part in FORMAT_VERSION.split("."))
    if major != our_major:
        raise PackageError(
            f"{where}: format version {version} is not supported (this tool reads {our_major}.x)",
            file=where,
        )
    if minor > our_minor:
        raise PackageError(
            f"{where}: format version {version} is newer than this tool's {FORMAT_VERSION}; "
            "upgrade nffs-migration",
            file=where,
        )


def unzip_safely(archive_path: Path, target: Path) -> None:
    """Unpack a zip into `target`, refusing any entry that could leave it.

    Every entry is checked before the first byte is written.
    """
    try:
        archive = zipfile.ZipFile(archive_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{archive_path.name}: not a readable zip file ({exc})") from None
    with archive:
        members = archive.infolist()
        total = 0
        for info in members:
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise PackageError(f"{archive_path.name}: entry {info.filename!r} is a link")
            try:
                safe_relative(info.filename.rstrip("/") or info.filename)
            except UnsafePath as exc:
                raise PackageError(
                    f"{archive_path.name}: entry {info.filename!r} is refused: {exc}",
                    file=info.filename,
                ) from None
            total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise PackageError(
                f"{archive_path.name}: unpacks to more than {MAX_UNPACKED_BYTES} bytes"
            )
        for info in members:
            if info.is_dir():
                continue
            relative = safe_relative(info.filename)
            destination = resolve_within(target, relative)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as source, destination.open("xb") as sink:
                    shutil.copyfileobj(source, sink, _CHUNK)
            except zipfile.BadZipFile:
                raise PackageError(
                    f"{archive_path.name}: entry {info.filename!r} is damaged or changed",
                    file=info.filename,
                ) from None
            except FileExistsError:
                raise PackageError(
                    f"{archive_path.name}: entry {info.filename!r} appears twice",
                    file=info.filename,
                ) from None


#: Where validation keeps its report in a package.
REPORT_JSON = "reports/validation.json"


class Package:
    """A verified package, open for reading. Use `open_package` to get one."""

    def __init__(
        self, root: Path, manifest: Manifest, *, origin: Path, tempdir: Path | None
    ) -> None:
        self.root = root
        self.manifest = manifest
        self.origin = origin
        self._tempdir = tempdir

    def __enter__(self) -> Package:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Remove the unpacked copy of a zipped package."""
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    @property
    def name(self) -> str:
        """The package's file or folder name."""
        return self.origin.name

    def _parquet(self, relative: str) -> pq.ParquetFile:
        path = self.root / relative
        try:
            return pq.ParquetFile(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise PackageError(f"{self.name}: {relative} is not readable Parquet ({exc})") from None

    def table(self, name: str) -> pa.Table:
        """A table of the package, conformed to the format's schema."""
        schema = _schema(name)
        entry = self.manifest.tables.get(name)
        if entry is None:
            raise PackageError(f"{self.name}: manifest lists no table {name}", table=name)
        return _conform(self._parquet(entry.file).read(), schema, f"{self.name}: {entry.file}")

    def frame(self, name: str) -> pd.DataFrame:
        """A table as a pandas frame with Arrow-backed dtypes."""
        return self.table(name).to_pandas(types_mapper=pd.ArrowDtype)

    def iter_batches(self, name: str, batch_rows: int = 256 * 1024) -> Iterator[pa.Table]:
        """A table in chunks of at most `batch_rows` rows, conformed to the schema."""
        schema = _schema(name)
        entry = self.manifest.tables[name]
        parquet = self._parquet(entry.file)
        for batch in parquet.iter_batches(batch_size=batch_rows):
            yield _conform(pa.Table.from_batches([batch]), schema, f"{self.name}: {entry.file}")

    def rejects(self, name: str) -> pa.Table:
        """The rejected records for a table (empty when there are none)."""
        entry = self.manifest.rejects.get(name)
        if entry is None:
            return REJECTS.arrow_schema.empty_table()
        return _conform(self._parquet(entry.file).read(), REJECTS.arrow_schema, entry.file)

    def key_set(self, name: str) -> pa.Array | None:
        """A delta's key set of a table: every id the scope holds after it (None: none given)."""
        entry = self.manifest.key_sets.get(name)
        if entry is None:
            return None
        table = _conform(self._parquet(entry.file).read(), KEY_SETS.arrow_schema, entry.file)
        return table.column("id").combine_chunks()

    def extract_findings(self) -> Report:
        """The findings that extraction recorded (`reports/extract-findings.json`)."""
        path = self.root / "reports" / "extract-findings.json"
        if not path.exists():
            return Report()
        try:
            return Report.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError) as exc:
            raise PackageError(
                f"{self.name}: reports/extract-findings.json is malformed ({exc})"
            ) from None

    def document_path(self, file: str) -> Path:
        """The local path of a document file named in the documents table."""
        try:
            return resolve_within(self.root, safe_relative(file))
        except UnsafePath as exc:
            raise PackageError(f"{self.name}: document path {file!r} refused: {exc}") from None


def stored_report(package: Package) -> Report | None:
    """The validation report stored in a package, if any and if it matches its content.

    Validation writes it (`reports/validation.json`); the loader gates on it, so the
    stages talk through the package.
    """
    stored = package.root / REPORT_JSON
    if not stored.exists():
        return None
    try:
        data = json.loads(stored.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageError(f"{package.name}: {REPORT_JSON} is not valid JSON ({exc})") from None
    if data.get("meta", {}).get("content_sha256") != package.manifest.content_sha256:
        return None
    return Report.from_dict(data)


def _schema(name: str) -> pa.Schema:
    if name not in TABLES:
        raise PackageError(f"unknown table {name!r}", table=name)
    return TABLES[name].arrow_schema


def _conform(table: pa.Table, schema: pa.Schema, where: str) -> pa.Table:
    """Select and cast a table read from Parquet to the canonical schema.

    Another tool may write `large_string`, `int32` or extra columns; those are accepted.
    A missing column or a type that does not convert is refused.
    """
    missing = [name for name in schema.names if name not in table.schema.names]
    if missing:
        raise PackageError(f"{where}: missing columns {missing}", file=where)
    try:
        selected = table.select(schema.names)
        if selected.schema.equals(schema, check_metadata=False):
            return selected.replace_schema_metadata(None)
        return pa.Table.from_arrays(
            [selected.column(i).cast(field.type) for i, field in enumerate(schema)],
            schema=schema,
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise PackageError(
            f"{where}: a column does not have the format's type ({type(exc).__name__})", file=where
        ) from None


def _read_manifest(root: Path, name: str) -> Manifest:
    path = root / "manifest.json"
    if not path.is_file():
        raise PackageError(f"{name}: manifest.json is missing; this is not a complete package")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageError(
            f"{name}: manifest.json is not valid JSON ({exc})", file="manifest.json"
        ) from None
    if isinstance(raw, dict) and "format_version" in raw:
        check_format_version(str(raw["format_version"]), where=f"{name}: manifest.json")
    try:
        manifest = Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PackageError(
            f"{name}: manifest.json does not follow the format at {where}: {first['msg']}",
            file="manifest.json",
        ) from None
    if manifest.manifest_sha256 != json_digest(raw):
        raise PackageError(
            f"{name}: manifest.json does not match its checksum (changed or damaged)",
            file="manifest.json",
        )
    return manifest


def _walk(base: str, name: str) -> dict[str, int]:
    """Every file under `base` by relative `/` path, with its size; a link is refused."""
    present: dict[str, int] = {}
    folders = [("", base)]
    while folders:
        prefix, folder = folders.pop()
        with os.scandir(folder) as entries:
            for item in entries:
                relative = prefix + item.name
                if item.is_symlink():
                    raise PackageError(
                        f"{name}: {relative} is a link; a package holds files only", file=relative
                    )
                if item.is_dir(follow_symlinks=False):
                    folders.append((relative + "/", item.path))
                else:
                    present[relative] = item.stat(follow_symlinks=False).st_size
    return present


def verify(root: Path, manifest: Manifest, name: str, *, hash_documents: bool = True) -> None:
    """Check every file against the manifest; raise PackageError naming the first bad file.

    The folder is walked once; a link anywhere is refused (so no path needs resolving),
    then every listed file is checked for presence, size and SHA-256. (Hashing on
    threads was slower: most files are documents of a few kilobytes.)

    With `hash_documents=False` the files under `documents/` are checked for presence
    and size only: for a reader that hashes each document anyway as it copies it (the
    loader's documents store, which refuses a copy whose SHA-256 differs).
    """
    base = str(root)
    present = _walk(base, name)
    for relative, entry in sorted(manifest.files.items()):
        try:
            safe = clean_relative(relative)
        except UnsafePath as exc:
            raise PackageError(
                f"{name}: manifest lists an unsafe path {relative!r}: {exc}"
            ) from None
        if safe != relative or relative not in present:
            raise PackageError(f"{name}: {relative} is missing", file=relative)
        if present[relative] != entry.bytes or (
            (hash_documents or not relative.startswith(DOCUMENTS_FOLDER))
            and sha256_file(os.path.join(base, relative)) != entry.sha256
        ):
            raise PackageError(
                f"{name}: {relative} does not match its checksum (changed or damaged)",
                file=relative,
            )
    for relative in sorted(present):
        if relative != "manifest.json" and relative not in manifest.files:
            raise PackageError(f"{name}: {relative} is not listed in the manifest", file=relative)
    for table_name in TABLES:
        table_entry = manifest.tables.get(table_name)
        if table_entry is None:
            raise PackageError(
                f"{name}: table {table_name} is missing from the manifest", table=table_name
            )
        covered = manifest.files.get(table_entry.file)
        if covered is None or covered.sha256 != table_entry.sha256:
            raise PackageError(
                f"{name}: {table_entry.file} is not covered by the file checksums",
                file=table_entry.file,
            )


def open_package(
    path: Path | str, *, verify_checksums: bool = True, hash_documents: bool = True
) -> Package:
    """Open a package (folder or .zip), verify it and return it for reading.

    `hash_documents=False` checks the documents' presence and size but leaves their
    SHA-256 to the reader that copies them (see `verify`).

    Raises:
        PackageError: The package is unreadable, incomplete, tampered with or of an
            unsupported format version; the message names the file.
    """
    origin = Path(path)
    if not origin.exists():
        raise PackageError(f"{origin}: no such package", file=str(origin))
    tempdir: Path | None = None
    if origin.is_file():
        tempdir = Path(tempfile.mkdtemp(prefix="nffs-pkg-"))
        try:
            unzip_safely(origin, tempdir)
        except BaseException:
            shutil.rmtree(tempdir, ignore_errors=True)
            raise
        root = tempdir
    else:
        root = origin
    try:
        manifest = _read_manifest(root, origin.name)
        if verify_checksums:
            verify(root, manifest, origin.name, hash_documents=hash_documents)
    except BaseException:
        if tempdir is not None:
            shutil.rmtree(tempdir, ignore_errors=True)
        raise
    return Package(root, manifest, origin=origin, tempdir=tempdir)


__all__ = [
    "REPORT_JSON",
    "Package",
    "add_files",
    "check_format_version",
    "open_package",
    "stored_report",
    "unzip_safely",
    "verify",
]


def add_files(path: Path | str, files: dict[str, bytes]) -> Manifest:
    """Add or replace report files of a package and update its manifest to cover them.

    Only files under `reports/` may be added: the data (tables, rejects, documents) and
    so `content_sha256` never change. A folder is updated file by file through
    temporary names, the manifest last; a zip is rewritten beside itself and renamed.
    """
    import os

    from nffs_migration.intermediate_format.manifest import to_json
    from nffs_migration.intermediate_format.writer import write_zip

    origin = Path(path)
    for relative in files:
        if not relative.startswith("reports/") or safe_relative(relative).as_posix() != relative:
            raise PackageError(f"only reports/ files can be added to a package, not {relative!r}")
    with open_package(origin) as package:
        entries = dict(package.manifest.files)
        for relative, content in files.items():
            target = package.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.tmp")
            temporary.write_bytes(content)
            os.chmod(temporary, 0o600)
            os.replace(temporary, target)
            entries[relative] = FileEntry(
                sha256=hashlib.sha256(content).hexdigest(), bytes=len(content)
            )
        manifest = package.manifest.model_copy(
            update={"files": dict(sorted(entries.items()))}
        ).sealed()
        manifest_path = package.root / "manifest.json"
        temporary = manifest_path.with_name(".manifest.json.tmp")
        temporary.write_text(to_json(manifest), encoding="utf-8")
        os.chmod(temporary, 0o600)
        os.replace(temporary, manifest_path)
        if origin.is_file():
            staged = origin.with_name(f".{origin.name}.tmp")
            staged.unlink(missing_ok=True)
            write_zip(package.root, staged)
            os.replace(staged, origin)
    return manifest
