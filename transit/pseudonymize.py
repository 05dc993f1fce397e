"""Pseudonymised copies of packages, for vendors' tests: the same structure, no real person.

    key = read_key(Path("secrets/0942.key"))
    manifest = pseudonymize_package(Path("packages/0942-full"), Path("out/0942-pseudo"), key)

Names, AHV numbers, streets and house numbers, journal subjects and texts, document
titles and contents, payment recipients and staff short names are replaced by keyed
fakes (`pseudonyms`); exact birth and death dates and address periods move by a stable
shift per household (`pseudonym_dates`). Ids, source keys, codes, amounts, counts,
postal codes, towns, commune numbers, case dates and the service's own names are kept,
so the copy validates with the same findings as the original at its data's date.
Rejects, extraction findings, accounting, exclusion rules and mapping versions are
copied; validation reports are not (validate the copy anew). Tables stream batch by
batch; only narrow projections (ids, dates, the package's distinct names) are held.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from nffs_migration.errors import ConfigurationError, UsageError
from nffs_migration.intermediate_format.definition import REJECTS, SHA256, TABLES
from nffs_migration.intermediate_format.findings import Rule
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.intermediate_format.reader import Package, open_package
from nffs_migration.intermediate_format.writer import PackageWriter
from nffs_migration.log import get_logger
from nffs_migration.transit.fake_documents import kind_of, open_fake
from nffs_migration.transit.pseudonym_dates import birth_offsets, household_offsets, shift_dates
from nffs_migration.transit.pseudonyms import Pseudonyms, digest

log = get_logger(__name__)

#: The shortest key accepted: 256 bits, the size of HMAC-SHA256's output.
MIN_KEY_BYTES = 32
BATCH_ROWS = 64 * 1024
_SHA256 = re.compile(SHA256.pattern)


def read_key(path: Path) -> bytes:
    """Read a pseudonymisation key file (its bytes, as they are).

    Raises:
        ConfigurationError: The file is missing, unreadable or shorter than 32 bytes.
    """
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(
            f"key file {path} does not exist; create one with --new-key", file=str(path)
        ) from None
    except OSError as exc:
        raise ConfigurationError(
            f"key file {path} cannot be read ({exc.strerror})", file=str(path)
        ) from None
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(
            f"key file {path} holds {len(key)} bytes; a key needs at least {MIN_KEY_BYTES} "
            "(create one with --new-key)",
            file=str(path),
        )
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("key file %s can be read by others; make it owner-only (chmod 600)", path.name)
    return key


def write_new_key(path: Path) -> None:
    """Create a key file of 32 random bytes, readable by its owner only; never replace one.

    Raises:
        ConfigurationError: The file exists already or cannot be created.
    """
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigurationError(
            f"{path} exists already; a key is never overwritten (its pseudonyms would change)",
            file=str(path),
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"cannot create {path} ({exc.strerror})", file=str(path)) from None
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(MIN_KEY_BYTES))


# -- reading -------------------------------------------------------------------------


def _batches(
    package: Package, name: str, columns: Sequence[str] | None = None
) -> Iterator[pa.Table]:
    """A table in batches, conformed to the format's types, optionally a few columns only."""
    schema = TABLES[name].arrow_schema
    if columns is not None:
        schema = pa.schema([schema.field(column) for column in columns])
    parquet = pq.ParquetFile(package.root / package.manifest.tables[name].file)
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=list(schema.names)):
        yield pa.Table.from_arrays(
            [batch.column(field.name).cast(field.type) for field in schema], schema=schema
        )


def _narrow(package: Package, name: str, columns: Sequence[str]) -> pa.Table:
    schema = pa.schema([TABLES[name].arrow_schema.field(column) for column in columns])
    return pa.concat_tables([schema.empty_table(), *_batches(package, name, columns)])


def _distinct(package: Package, name: str, columns: Sequence[str]) -> set[str]:
    values: set[str] = set()
    for batch in _batches(package, name, columns):
        for column in columns:
            values.update(v for v in pc.unique(batch.column(column)).to_pylist() if v)
    return values


def _pseudonyms(package: Package, key: bytes) -> Pseudonyms:
    """Keyed fakes that avoid every name, street and AHV number of this package."""
    names = _distinct(package, "persons", ["family_name", "given_name"])
    names |= _distinct(package, "staff", ["family_name", "given_name"])
    names |= _distinct(package, "addresses", ["street"])
    return Pseudonyms(
        key,
        names=names,
        ahvn13=_distinct(package, "persons", ["ahvn13"]),
        old_ahv=_distinct(package, "persons", ["old_ahv_number"]),
    )


# -- transforming --------------------------------------------------------------------


def _map(column: pa.ChunkedArray, fake: Callable[[str], str]) -> pa.Array:
    """Each distinct value of a string column through `fake` (nulls stay null)."""
    array = column.combine_chunks()
    unique = pc.unique(array)
    fakes = pa.array([None if v is None else fake(v) for v in unique.to_pylist()], pa.string())
    return fakes.take(pc.index_in(array, value_set=unique, skip_nulls=False))


def _replace(table: pa.Table, columns: dict[str, pa.Array]) -> pa.Table:
    for name, array in columns.items():
        position = table.schema.get_field_index(name)
        table = table.set_column(position, table.schema.field(position), array)
    return table


def _shifts(offsets: pd.Series, ids: pa.ChunkedArray) -> np.ndarray:
    positions = offsets.index.get_indexer(ids.to_pylist())
    values = offsets.to_numpy()
    return np.where(positions >= 0, values[positions], 0).astype(np.int32)


class _Pseudonymiser:
    """The transformation of each table's batches, with what it needs to know."""

    def __init__(self, package: Package, key: bytes) -> None:
        self.key = key
        self.fakes = _pseudonyms(package, key)
        self.offsets = household_offsets(
            key,
            package.manifest.data_as_of.date(),
            _narrow(
                package,
                "persons",
                ["person_id", "birth_date", "birth_date_precision", "death_date"],
            ),
            _narrow(package, "case_members", ["case_id", "person_id", "role"]),
            _narrow(package, "cases", ["case_id", "opened_on"]),
            _narrow(package, "addresses", ["person_id", "valid_from", "valid_to"]),
        )
        self.births = birth_offsets(
            key,
            package.manifest.data_as_of.date(),
            _narrow(package, "persons", ["person_id", "birth_date", "birth_date_precision"]),
            _narrow(package, "case_members", ["case_id", "person_id", "role"]),
            _narrow(package, "cases", ["case_id", "opened_on"]),
        )
        #: Per original document file: (original sha256, size, fake sha256, fake size).
        self.documents: dict[str, tuple[str, int, str, int]] = {}

    def staff(self, batch: pa.Table) -> pa.Table:
        fakes = self.fakes
        return _replace(
            batch,
            {
                "short_name": _map(batch.column("short_name"), fakes.short_name),
                "family_name": _map(batch.column("family_name"), fakes.family_name),
                "given_name": _map(batch.column("given_name"), fakes.given_name),
            },
        )

    def persons(self, batch: pa.Table) -> pa.Table:
        fakes = self.fakes
        given = batch.column("given_name").to_pylist()
        sexes = batch.column("sex").to_pylist()
        shifts = _shifts(self.offsets, batch.column("person_id"))
        # Births move by their own keyed shift (the same in every package): see birth_offsets.
        birth_shift = _shifts(self.births, batch.column("person_id"))
        return _replace(
            batch,
            {
                "family_name": _map(batch.column("family_name"), fakes.family_name),
                "given_name": pa.array(
                    [
                        None if g is None else fakes.given_name(g, s)
                        for g, s in zip(given, sexes, strict=True)
                    ],
                    pa.string(),
                ),
                "ahvn13": _map(batch.column("ahvn13"), fakes.ahvn13),
                "old_ahv_number": _map(batch.column("old_ahv_number"), fakes.old_ahv_number),
                "birth_date": shift_dates(batch.column("birth_date"), birth_shift),
                "death_date": shift_dates(batch.column("death_date"), shifts),
            },
        )

    def addresses(self, batch: pa.Table) -> pa.Table:
        shifts = _shifts(self.offsets, batch.column("person_id"))
        return _replace(
            batch,
            {
                "street": _map(batch.column("street"), self.fakes.street),
                "house_number": _map(batch.column("house_number"), self.fakes.house_number),
                "valid_from": shift_dates(batch.column("valid_from"), shifts),
                "valid_to": shift_dates(batch.column("valid_to"), shifts),
            },
        )

    def payments(self, batch: pa.Table) -> pa.Table:
        return _replace(batch, {"recipient": _map(batch.column("recipient"), self.fakes.recipient)})

    def journal_entries(self, batch: pa.Table) -> pa.Table:
        fakes = self.fakes
        return _replace(
            batch,
            {
                "subject": _map(
                    batch.column("subject"), lambda v: fakes.text("subject", v, sentences=False)
                ),
                "text": _map(batch.column("text"), lambda v: fakes.text("text", v)),
            },
        )

    def documents_table(self, batch: pa.Table) -> pa.Table:
        fakes = self.fakes
        files = batch.column("file").to_pylist()
        digests = batch.column("sha256").to_pylist()
        sizes = batch.column("size_bytes").to_pylist()
        new_digests: list[str | None] = []
        new_sizes: list[int | None] = []
        for file, sha, size in zip(files, digests, sizes, strict=True):
            known = self.documents.get(file) if file is not None else None
            if known is not None and sha == known[0]:
                new_digests.append(known[2])
            else:  # a stale or dangling checksum stays wrong, and hides the original's
                new_digests.append(None if sha is None else self._other_digest(sha, known))
            matches = known is not None and size == known[1]
            new_sizes.append(known[3] if known is not None and matches else size)
        return _replace(
            batch,
            {
                "title": _map(
                    batch.column("title"), lambda v: fakes.text("title", v, sentences=False)
                ),
                "sha256": pa.array(new_digests, pa.string()),
                "size_bytes": pa.array(new_sizes, pa.int64()),
            },
        )

    def _other_digest(self, sha: str, known: tuple[str, int, str, int] | None) -> str:
        fake = digest(self.key, "sha256", sha).hex()
        if known is not None and fake == known[2]:
            fake = digest(self.key, "sha256", sha, 1).hex()
        if _SHA256.fullmatch(sha):
            return fake
        # Keep a malformed checksum malformed (same length and case), for the same findings.
        return "".join(
            (f.upper() if c.isupper() else f) if c in "0123456789abcdefABCDEF" else c
            for c, f in zip(sha, (fake * (len(sha) // 64 + 1))[: len(sha)], strict=True)
        )

    def add_documents(self, package: Package, writer: PackageWriter) -> None:
        """Write a fake for every document file of the package (same path, same size)."""
        for file, entry in package.manifest.files.items():
            if not file.startswith("documents/"):
                continue
            seed = digest(self.key, "document", entry.sha256)
            with (package.root / file).open("rb") as original:
                kind = kind_of(original.read(16), PurePosixPath(file).suffix)
            with open_fake(seed, entry.bytes, kind) as content:
                stored = writer.add_document(file.removeprefix("documents/"), content)
            self.documents[file] = (entry.sha256, entry.bytes, stored.sha256, stored.size_bytes)


def _copy_findings(package: Package, writer: PackageWriter) -> None:
    """Carry the extraction's findings over unchanged (they hold keys and rule ids only)."""
    report = package.extract_findings()
    for position, result in enumerate(report.rules):
        rule = Rule(
            result.id,
            result.category,
            result.severity,
            result.table,
            result.id,
            result.description,
            result.description,
        )
        findings = report.findings if position == 0 else []
        writer.add_findings(rule, findings, checked=result.checked)


def pseudonymize_package(
    source: Path, out: Path, key: bytes, *, overwrite: bool = False
) -> Manifest:
    """Write a pseudonymised copy of a package (see the module docstring for what changes).

    Args:
        source: The package to copy (folder or .zip); it is verified first.
        out: The new package (folder, or a file ending in `.zip`).
        key: The secret key, at least 32 bytes: the same key gives the same fakes.
        overwrite: Replace an existing package at `out`.

    Raises:
        ConfigurationError: The key is too short.
        UsageError: `out` is the source package itself.
        PackageError: The source is not a whole, unchanged package.
    """
    if len(key) < MIN_KEY_BYTES:
        raise ConfigurationError(f"a pseudonymisation key needs at least {MIN_KEY_BYTES} bytes")
    if Path(out).resolve() == Path(source).resolve():
        raise UsageError("--out must name a new package, not the one being pseudonymised")
    with open_package(source) as package:
        manifest = package.manifest
        work = _Pseudonymiser(package, key)
        transforms: dict[str, Callable[[pa.Table], pa.Table]] = {
            "staff": work.staff,
            "persons": work.persons,
            "addresses": work.addresses,
            "payments": work.payments,
            "journal_entries": work.journal_entries,
            "documents": work.documents_table,
        }
        with PackageWriter(
            out,
            service_id=manifest.service_id,
            source_system=manifest.source_system,
            data_as_of=manifest.data_as_of,
            batch=manifest.batch,
            source_version=manifest.source_version,
            overwrite=overwrite,
        ) as writer:
            work.add_documents(package, writer)
            for name in TABLES:
                transform = transforms.get(name)
                for batch in _batches(package, name):
                    writer.write(name, transform(batch) if transform else batch)
            for name, entry in manifest.rejects.items():
                rejects = pq.ParquetFile(package.root / entry.file)
                for batch in rejects.iter_batches(BATCH_ROWS, columns=REJECTS.arrow_schema.names):
                    writer.reject(name, batch)
            writer.not_kept = set(manifest.not_kept)
            for name in manifest.key_sets:  # ids hold source keys, never personal values
                keys = package.key_set(name)
                if keys is not None:
                    writer.key_set(name, keys)
            for source_table, counts in manifest.accounting.items():
                writer.account(source_table, **counts.model_dump())
            for rule_id, rule in manifest.exclusion_rules.items():
                writer.exclusion_rule(rule_id, rule.description, rule.cutoff)
            writer.set_mapping(
                manifest.mapping_versions, manifest.unmapped_codes, manifest.mapped_codes
            )
            _copy_findings(package, writer)
    assert writer.manifest is not None  # noqa: S101 - close() sets it
    log.info(
        "pseudonymised %s into %s: %d rows, %d documents",
        Path(source).name,
        Path(out).name,
        sum(t.rows for t in writer.manifest.tables.values()),
        writer.manifest.documents.count,
    )
    return writer.manifest


__all__ = ["MIN_KEY_BYTES", "pseudonymize_package", "read_key", "write_new_key"]
