"""Sealing packages for transit: an Ed25519 signature, and encryption for the canton.

A package's manifest already lists every file with its SHA-256 and checks itself, which
detects accidents. A seal adds who: the migration operator signs the exact bytes of
`manifest.json` with an Ed25519 key, so a package changed on the way (a table, a
report, the manifest itself) no longer matches the signature of the key the canton
trusts. Optionally the package is also encrypted for the canton's X25519 public key.

The package itself is never changed (the reader refuses any file the manifest does not
list). A seal lives beside or around it:

- **signed**: `PKG.seal.json` beside the package (folder or zip), a small JSON record
  with the signature over `manifest.json`'s bytes and the signer's key fingerprint;
- **signed and encrypted**: one `PKG.nffs-sealed` file. It starts with `NFFSSEAL`, a
  4-byte big-endian length and a JSON header (version, algorithm, ephemeral public key,
  recipient and signer fingerprints, chunk size), followed by AES-256-GCM chunks. The key
  is derived by HKDF-SHA256 from an ephemeral X25519 agreement with the recipient's key.
  Every chunk authenticates the whole header; its nonce is an 11-byte counter and a
  final-chunk flag, so reordered, truncated or extended files are refused. The
  plaintext is the seal record (4-byte length, JSON) followed by the package as a zip.

Everything streams in chunks of `CHUNK_SIZE`: a package of gigabytes is sealed, opened
and verified in bounded memory. Opening writes under a hidden temporary name beside
the output and renames it into place only when the signature and every checksum hold.

Errors are `PackageError` (a seal that is missing, invalid, damaged, or for another
key) and `ConfigurationError` (a key file that is missing, of the wrong kind, too open,
or whose passphrase is wrong). Messages name files and key fingerprints, never package
content or key material. Keys come from `cryptography`, the one library for this in
the project's list; nothing here implements a primitive.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import struct
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nffs_migration.errors import PackageError, UsageError
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.intermediate_format.reader import Package, open_package, unzip_safely
from nffs_migration.intermediate_format.writer import owner_only, write_zip
from nffs_migration.log import get_logger
from nffs_migration.transit.keys import (
    KeyFiles,
    _signer,
    fingerprint,
    key_paths,
    load_box_key,
    load_recipient,
    load_signer,
    load_signing_key,
    short,
    write_keys,
)
from nffs_migration.transit.stream import (
    CHUNK_SIZE,
    MAGIC,
    MAX_CHUNK_SIZE,
    MIN_CHUNK_SIZE,
    SEALED_SUFFIX,
    SealedHeader,
    _Concat,
    _decrypt_chunks,
    _derive_key,
    _encrypt_stream,
    _raw,
    is_sealed,
    read_header,
)

log = get_logger(__name__)


#: The signature beside a package.
SEAL_SUFFIX = ".seal.json"
SEAL_FORMAT: Final = "nffs-seal"
SIGNATURE: Final = "Ed25519"
_MAX_RECORD = 1024 * 1024
#: A manifest read from a zip before its signature is checked is at most this large.
_MAX_MANIFEST = 256 * 1024 * 1024


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SealRecord(_Model):
    """The signature of a package: `PKG.seal.json`, and the first part of a sealed file.

    Only `signature` is cryptographic: it is an Ed25519 signature over the exact bytes
    of `manifest.json`. The other fields say what was signed, by which key, and are
    checked against the manifest once the signature holds.
    """

    format: Literal["nffs-seal"] = SEAL_FORMAT
    version: Literal[1] = 1
    algorithm: Literal["Ed25519"] = SIGNATURE
    signed_file: Literal["manifest.json"] = "manifest.json"
    manifest_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    package_id: str
    content_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    signer: str = Field(pattern=r"^[0-9a-f]{64}$", description="Fingerprint of the signer.")
    signature: str = Field(description="Base64 of the 64-byte Ed25519 signature.")

    def to_json(self) -> str:
        """The record as indented JSON with a final newline."""
        return self.model_dump_json(indent=2) + "\n"


@dataclass(frozen=True)
class Verified:
    """A package whose signature and checksums hold."""

    name: str
    package_id: str
    content_sha256: str
    signer: str
    files: int
    encrypted: bool = False


@dataclass(frozen=True)
class Sealed:
    """What `seal_package` wrote."""

    path: Path
    package_id: str
    signer: str
    recipient: str | None = None


# -- signing -------------------------------------------------------------------------------


def seal_path_for(package: Path | str) -> Path:
    """Where the detached seal of a package lives: `PKG.seal.json` beside it."""
    path = Path(package)
    return path.with_name(path.name + SEAL_SUFFIX)


def sealed_path_for(package: Path | str) -> Path:
    """The default `.nffs-sealed` file for a package folder or zip."""
    path = Path(package)
    name = path.stem if path.is_file() and path.suffix == ".zip" else path.name
    return path.with_name(name + SEALED_SUFFIX)


class _PayloadSink:
    """Split the decrypted stream into the seal record and the package zip."""

    def __init__(self, zip_path: Path, name: str) -> None:
        self._zip_path = zip_path
        self._name = name
        self._head = bytearray()
        self._needed: int | None = None
        self.record: SealRecord | None = None
        self._handle: BinaryIO | None = None

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        if self.record is None:
            if self._needed is None:
                take = min(4 - len(self._head), len(view))
                self._head += view[:take]
                view = view[take:]
                if len(self._head) < 4:
                    return
                (length,) = struct.unpack(">I", bytes(self._head))
                if not 0 < length <= _MAX_RECORD:
                    raise PackageError(f"{self._name}: the sealed file holds no valid seal record")
                self._needed = length
                self._head.clear()
            take = min(self._needed - len(self._head), len(view))
            self._head += view[:take]
            view = view[take:]
            if len(self._head) < self._needed:
                return
            self.record = _parse_record(bytes(self._head), self._name)
            self._head.clear()
            descriptor = os.open(self._zip_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            self._handle = os.fdopen(descriptor, "wb")
        if view and self._handle is not None:
            self._handle.write(view)

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None


def _write_sealed(
    out: Path,
    record: SealRecord,
    package_zip: Path,
    recipient: X25519PublicKey,
    chunk_size: int,
) -> None:
    ephemeral = X25519PrivateKey.generate()
    ephemeral_raw = _raw(ephemeral.public_key())
    key = _derive_key(ephemeral.exchange(recipient), ephemeral_raw, _raw(recipient))
    header = SealedHeader(
        ephemeral_public_key=base64.b64encode(ephemeral_raw).decode("ascii"),
        recipient=fingerprint(recipient),
        signer=record.signer,
        chunk_size=chunk_size,
    )
    header_bytes = json.dumps(header.model_dump(), sort_keys=True).encode()
    preamble = MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes
    record_bytes = record.model_dump_json().encode()
    prefix = struct.pack(">I", len(record_bytes)) + record_bytes
    staged = out.with_name(f".{out.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as sink, package_zip.open("rb") as source:
            sink.write(preamble)
            _encrypt_stream(_Concat(prefix, source), sink, key, preamble, chunk_size)
            sink.flush()
            os.fsync(sink.fileno())
        os.chmod(staged, 0o600)
        os.replace(staged, out)
    finally:
        staged.unlink(missing_ok=True)


def sign_manifest(
    manifest_bytes: bytes, manifest: Manifest, signing_key: Ed25519PrivateKey
) -> SealRecord:
    """Sign the exact bytes of `manifest.json`."""
    return SealRecord(
        manifest_sha256=hashlib.sha256(manifest_bytes).hexdigest(),
        package_id=manifest.package_id,
        content_sha256=manifest.content_sha256,
        signer=fingerprint(signing_key.public_key()),
        signature=base64.b64encode(signing_key.sign(manifest_bytes)).decode("ascii"),
    )


def check_signature(
    manifest_bytes: bytes, record: SealRecord, signer: Ed25519PublicKey, name: str
) -> None:
    """Check a seal record against the bytes of `manifest.json` and the trusted key.

    Raises:
        PackageError: The seal is by another key, or its signature does not match the
            manifest (changed after sealing), or the record's fields were edited.
    """
    expected = fingerprint(signer)
    if record.signer != expected:
        raise PackageError(
            f"{name}: signature check failed: sealed by key {short(record.signer)}, "
            f"not by the given signer {short(expected)}",
            file="manifest.json",
        )
    try:
        signature = base64.b64decode(record.signature, validate=True)
        signer.verify(signature, manifest_bytes)
    except (InvalidSignature, ValueError):
        raise PackageError(
            f"{name}: signature check failed: the signature does not match manifest.json "
            "(changed after sealing, or damaged)",
            file="manifest.json",
        ) from None
    if record.manifest_sha256 != hashlib.sha256(manifest_bytes).hexdigest():
        raise PackageError(
            f"{name}: signature check failed: the seal record was edited "
            "(its manifest_sha256 differs from the signed manifest)",
            file="manifest.json",
        )


def _manifest_fields_match(record: SealRecord, manifest: Manifest, name: str) -> None:
    if (record.package_id, record.content_sha256) != (
        manifest.package_id,
        manifest.content_sha256,
    ):
        raise PackageError(
            f"{name}: signature check failed: the seal record names another package",
            file="manifest.json",
        )


def read_seal(path: Path, name: str) -> SealRecord:
    """Read a detached seal record (`PKG.seal.json`).

    Raises:
        PackageError: Missing (the package is not signed) or malformed.
    """
    if not path.is_file():
        raise PackageError(
            f"{name}: signature check failed: no seal ({path.name} is missing); "
            "the package is not signed",
            file=path.name,
        )
    if path.stat().st_size > _MAX_RECORD:
        raise PackageError(f"{name}: signature check failed: {path.name} is not a seal")
    return _parse_record(path.read_bytes(), f"{name}: {path.name}")


def _parse_record(data: bytes, where: str) -> SealRecord:
    try:
        return SealRecord.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise PackageError(
            f"{where}: signature check failed: not a seal of this format (at {field})"
        ) from None


def _manifest_bytes_of(package: Path, name: str) -> bytes:
    """The bytes of `manifest.json` of a package folder or zip, as stored."""
    if package.is_dir():
        path = package / "manifest.json"
        if not path.is_file():
            raise PackageError(
                f"{name}: manifest.json is missing; this is not a complete package",
                file="manifest.json",
            )
        return path.read_bytes()
    try:
        with zipfile.ZipFile(package) as archive:
            names = [info.filename for info in archive.infolist()]
            if names.count("manifest.json") != 1:
                raise PackageError(
                    f"{name}: the zip holds {names.count('manifest.json')} manifest.json entries",
                    file="manifest.json",
                )
            if archive.getinfo("manifest.json").file_size > _MAX_MANIFEST:
                raise PackageError(f"{name}: manifest.json is implausibly large")
            return archive.read("manifest.json")
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{name}: not a readable zip file ({type(exc).__name__})") from None


def _write_atomically(path: Path, data: bytes) -> None:
    staged = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(staged, 0o600)
        os.replace(staged, path)
    finally:
        staged.unlink(missing_ok=True)


# -- the operations ------------------------------------------------------------------------


def seal_package(
    package: Path | str,
    signing_key: Ed25519PrivateKey,
    *,
    recipient: X25519PublicKey | None = None,
    out: Path | str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Sealed:
    """Sign a package and, with a recipient, encrypt it into one `.nffs-sealed` file.

    The package is verified first (every checksum): a damaged package is never signed.
    Without a recipient the seal record is written beside the package (`PKG.seal.json`,
    or `out`); the package is not changed. With one, the package (zipped first when it
    is a folder) and its seal record are encrypted, streaming, into `out` (default
    `PKG.nffs-sealed`). An existing output is replaced only once the new one is whole.

    Raises:
        PackageError: The package is incomplete or damaged.
    """
    origin = Path(package)
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise UsageError(f"chunk size must be {MIN_CHUNK_SIZE} to {MAX_CHUNK_SIZE} bytes")
    if out is not None and Path(out).resolve() == origin.resolve():
        raise UsageError(f"--out {out} is the package itself; write the seal beside it")
    with _open_verified(origin) as opened:
        manifest_bytes = (opened.root / "manifest.json").read_bytes()
        record = sign_manifest(manifest_bytes, opened.manifest, signing_key)
    if recipient is None:
        target = Path(out) if out is not None else seal_path_for(origin)
        _write_atomically(target, record.to_json().encode())
        log.info("signed %s by key %s", origin.name, short(record.signer))
        return Sealed(target, record.package_id, record.signer)
    target = Path(out) if out is not None else sealed_path_for(origin)
    if origin.is_dir():
        staged_zip = target.with_name(f".{target.name}.zip-{uuid.uuid4().hex[:8]}")
        try:
            write_zip(origin, staged_zip)
            if _manifest_bytes_of(staged_zip, origin.name) != manifest_bytes:
                raise PackageError(f"{origin.name}: manifest.json changed while sealing")
            _write_sealed(target, record, staged_zip, recipient, chunk_size)
        finally:
            staged_zip.unlink(missing_ok=True)
    else:
        if _manifest_bytes_of(origin, origin.name) != manifest_bytes:
            raise PackageError(f"{origin.name}: manifest.json changed while sealing")
        _write_sealed(target, record, origin, recipient, chunk_size)
    log.info(
        "sealed %s by key %s for key %s",
        origin.name,
        short(record.signer),
        short(fingerprint(recipient)),
    )
    return Sealed(target, record.package_id, record.signer, fingerprint(recipient))


def verify_package(
    package: Path | str,
    signer: Ed25519PublicKey | Path | str,
    *,
    seal: Path | str | None = None,
) -> Verified:
    """Check a package folder or zip against its detached seal and its manifest.

    First the signature over `manifest.json`'s bytes (so a changed manifest is reported
    as a signature failure), then every file against the manifest (`open_package`),
    then that the manifest the reader verified is the one that was signed.

    Raises:
        PackageError: No seal, a signature that does not hold (naming it), or a file that
            does not match the manifest (naming the file).
        ConfigurationError: The signer key file is unusable.
    """
    origin = Path(package)
    if seal is None and origin.name.endswith(SEAL_SUFFIX):
        seal, origin = origin, origin.with_name(origin.name[: -len(SEAL_SUFFIX)])
    name = origin.name
    trusted = _signer(signer)
    if not origin.exists():
        raise PackageError(f"{origin}: no such package", file=str(origin))
    if is_sealed(origin):
        raise UsageError(
            f"{name} is encrypted: verify it with the canton's key (--key CANTON.box.key), "
            "or open it"
        )
    record = read_seal(Path(seal) if seal is not None else seal_path_for(origin), name)
    signed = _manifest_bytes_of(origin, name)
    check_signature(signed, record, trusted, name)
    with _open_verified(origin) as opened:
        if (opened.root / "manifest.json").read_bytes() != signed:
            raise PackageError(f"{name}: manifest.json changed while it was verified")
        _manifest_fields_match(record, opened.manifest, name)
        return Verified(
            name,
            opened.manifest.package_id,
            opened.manifest.content_sha256,
            record.signer,
            len(opened.manifest.files) + 1,
        )


def _open_verified(path: Path) -> Package:
    """`open_package`, with a damaged zip entry reported as a `PackageError` naming it.

    The reader lets zipfile's CRC error through (`BadZipFile`) when an entry's bytes
    changed; the message of that error names the entry, never its content.
    """
    try:
        return open_package(path)
    except zipfile.BadZipFile as exc:
        raise PackageError(f"{path.name}: a zip entry is damaged or changed ({exc})") from None


def _decrypt_into(
    sealed: Path,
    box_key: X25519PrivateKey,
    signer: Ed25519PublicKey,
    staging: Path,
) -> tuple[Path, Path, SealRecord, Verified]:
    """Decrypt a sealed file into `staging` and verify it; return zip, folder, record."""
    name = sealed.name
    if not sealed.is_file():
        raise PackageError(f"{sealed}: no such sealed file", file=str(sealed))
    payload = staging / "package.zip"
    folder = staging / "package"
    with sealed.open("rb") as handle:
        header, aad = read_header(handle, name)
        ours = fingerprint(box_key.public_key())
        if header.recipient != ours:
            raise PackageError(
                f"{name}: sealed for key {short(header.recipient)}, "
                f"not for the given key {short(ours)}"
            )
        trusted = fingerprint(signer)
        if header.signer != trusted:
            raise PackageError(
                f"{name}: signature check failed: sealed by key {short(header.signer)}, "
                f"not by the given signer {short(trusted)}"
            )
        try:
            ephemeral_raw = base64.b64decode(header.ephemeral_public_key, validate=True)
            ephemeral = X25519PublicKey.from_public_bytes(ephemeral_raw)
            shared = box_key.exchange(ephemeral)
        except ValueError:
            raise PackageError(f"{name}: the sealed file's ephemeral key is invalid") from None
        key = _derive_key(shared, ephemeral_raw, _raw(box_key.public_key()))
        sink = _PayloadSink(payload, name)
        try:
            for plain in _decrypt_chunks(handle, key, aad, header.chunk_size, name):
                sink.write(plain)
        finally:
            sink.close()
    record = sink.record
    if record is None or not payload.is_file():
        raise PackageError(f"{name}: the sealed file holds no package")
    if record.signer != header.signer:
        raise PackageError(f"{name}: signature check failed: the seal names another signer")
    # The signature first: anyone can encrypt for the canton, so nothing from the
    # payload is unpacked before it is known to come from the trusted signer.
    signed = _manifest_bytes_of(payload, name)
    check_signature(signed, record, signer, name)
    folder.mkdir(mode=0o700)
    try:
        unzip_safely(payload, folder)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PackageError(
            f"{name}: the sealed package cannot be unpacked ({type(exc).__name__})"
        ) from None
    owner_only(folder)
    if (folder / "manifest.json").read_bytes() != signed:
        raise PackageError(f"{name}: signature check failed: the unpacked manifest differs")
    with open_package(folder) as opened:
        _manifest_fields_match(record, opened.manifest, name)
        verified = Verified(
            name,
            opened.manifest.package_id,
            opened.manifest.content_sha256,
            record.signer,
            len(opened.manifest.files) + 1,
            encrypted=True,
        )
    return payload, folder, record, verified


def open_sealed(
    sealed: Path | str,
    box_key: X25519PrivateKey,
    signer: Ed25519PublicKey | Path | str,
    out: Path | str,
) -> Verified:
    """Decrypt a `.nffs-sealed` file, verify signature and checksums, write the package.

    `out` ending in `.zip` receives the package as a zip, anything else as a folder; its
    seal record is written beside it (`OUT.seal.json`) so that it can be verified again
    later, by `verify` or by the loader. The work happens in a hidden folder beside
    `out`, renamed into place only when everything holds: on any failure nothing appears.

    Raises:
        PackageError: Not a sealed file, for another key, truncated, changed, or a package
            whose signature or checksums do not hold.
        UsageError: `out` exists already.
    """
    source = Path(sealed)
    target = Path(out)
    trusted = _signer(signer)
    if target.exists() or target.is_symlink():
        raise UsageError(f"{target} exists already; choose another --out or move it away")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:8]}"
    staging.mkdir(mode=0o700)
    try:
        payload, folder, record, verified = _decrypt_into(source, box_key, trusted, staging)
        seal_staged = staging / "seal.json"
        seal_staged.write_bytes(record.to_json().encode())
        os.chmod(seal_staged, 0o600)
        if target.suffix == ".zip":
            os.chmod(payload, 0o600)
            payload.rename(target)
        else:
            folder.rename(target)
        os.replace(seal_staged, seal_path_for(target))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("opened %s: %s by key %s", source.name, verified.package_id, short(record.signer))
    return verified


def verify_sealed(
    sealed: Path | str, box_key: X25519PrivateKey, signer: Ed25519PublicKey | Path | str
) -> Verified:
    """Decrypt a sealed file into a temporary folder and verify it; keep nothing."""
    trusted = _signer(signer)
    staging = Path(tempfile.mkdtemp(prefix="nffs-sealed-"))
    try:
        return _decrypt_into(Path(sealed), box_key, trusted, staging)[3]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def require_signature(
    package_path: Path | str, signer_public_key: Ed25519PublicKey | Path | str
) -> None:
    """Refuse a package that is not signed by `signer_public_key` or changed since.

    For the loader (`load_package(..., require_signer=...)`): checks the detached seal
    `PKG.seal.json` over `manifest.json` and every file against the manifest.

    Raises:
        PackageError: The seal is missing or invalid, or a file changed.
    """
    verify_package(package_path, signer_public_key)


__all__ = [
    "CHUNK_SIZE",
    "KeyFiles",
    "SealRecord",
    "Sealed",
    "SealedHeader",
    "Verified",
    "check_signature",
    "fingerprint",
    "is_sealed",
    "key_paths",
    "load_box_key",
    "load_recipient",
    "load_signer",
    "load_signing_key",
    "open_sealed",
    "read_header",
    "read_seal",
    "require_signature",
    "seal_package",
    "seal_path_for",
    "sealed_path_for",
    "sign_manifest",
    "verify_package",
    "verify_sealed",
    "write_keys",
]
