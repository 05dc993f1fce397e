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
import stat
import struct
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Literal

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nffs_migration.errors import ConfigurationError, PackageError, UsageError
from nffs_migration.intermediate_format.manifest import Manifest
from nffs_migration.intermediate_format.reader import Package, open_package, unzip_safely
from nffs_migration.intermediate_format.writer import owner_only, write_zip
from nffs_migration.log import get_logger

log = get_logger(__name__)

#: Plaintext bytes per encrypted chunk.
CHUNK_SIZE = 1024 * 1024
#: Bounds on a header's chunk size: a hostile header cannot make us allocate much.
MIN_CHUNK_SIZE = 4 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
MAGIC = b"NFFSSEAL"
SEALED_SUFFIX = ".nffs-sealed"
SEAL_SUFFIX = ".seal.json"
SEALED_FORMAT: Final = "nffs-sealed"
SEAL_FORMAT: Final = "nffs-seal"
ENCRYPTION: Final = "X25519-HKDF-SHA256-AES-256-GCM-STREAM"
SIGNATURE: Final = "Ed25519"
_TAG = 16
_MAX_HEADER = 64 * 1024
_MAX_RECORD = 1024 * 1024
#: A manifest read from a zip before its signature is checked is at most this large.
_MAX_MANIFEST = 256 * 1024 * 1024
_HKDF_INFO = b"nffs-migration sealed package v1"
_READ = 1024 * 1024

KeyKind = Literal["signing", "encryption"]


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


class SealedHeader(_Model):
    """The clear-text header of a `.nffs-sealed` file (authenticated by every chunk)."""

    format: Literal["nffs-sealed"] = SEALED_FORMAT
    version: Literal[1] = 1
    algorithm: Literal["X25519-HKDF-SHA256-AES-256-GCM-STREAM"] = ENCRYPTION
    ephemeral_public_key: str = Field(description="Base64 of the raw 32-byte X25519 key.")
    recipient: str = Field(pattern=r"^[0-9a-f]{64}$", description="Recipient key fingerprint.")
    signer: str = Field(pattern=r"^[0-9a-f]{64}$", description="Signer key fingerprint.")
    chunk_size: int = Field(ge=MIN_CHUNK_SIZE, le=MAX_CHUNK_SIZE)


@dataclass(frozen=True)
class KeyFiles:
    """What `write_keys` wrote."""

    signing_key: Path | None
    signing_public: Path | None
    signing_fingerprint: str | None
    box_key: Path | None = None
    box_public: Path | None = None
    box_fingerprint: str | None = None

    @property
    def paths(self) -> list[Path]:
        """Every file written, private keys first."""
        found = (self.signing_key, self.box_key, self.signing_public, self.box_public)
        return [path for path in found if path is not None]


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


# -- keys ----------------------------------------------------------------------------------


def fingerprint(key: Ed25519PublicKey | X25519PublicKey) -> str:
    """SHA-256 (hex) of a public key's raw 32 bytes: how keys are named in seals."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def short(fingerprint_hex: str) -> str:
    """A fingerprint shortened for messages (16 hex digits)."""
    return fingerprint_hex[:16]


def key_paths(stem: Path | str) -> dict[str, Path]:
    """The key file names for `--out NAME`: NAME.sign.key/.pub, NAME.box.key/.pub."""
    base = Path(stem)
    return {
        kind: base.with_name(f"{base.name}.{kind}")
        for kind in ("sign.key", "sign.pub", "box.key", "box.pub")
    }


def write_keys(
    stem: Path | str,
    *,
    signing: bool = True,
    encryption: bool = False,
    passphrase: bytes | None = None,
) -> KeyFiles:
    """Generate key pairs and write them as PEM: private keys 0600, public keys 0644.

    Args:
        stem: `NAME` of `NAME.sign.key`, `NAME.sign.pub`, `NAME.box.key`, `NAME.box.pub`.
        signing: Write an Ed25519 signing pair (the migration operator's).
        encryption: Write an X25519 pair (the canton's, to receive encrypted packages).
        passphrase: Encrypt the private keys with it (PKCS#8, best available scheme).

    Raises:
        ConfigurationError: Nothing to write, or a key file of that name exists already
            (keys are never overwritten).
    """
    if not (signing or encryption):
        raise UsageError("nothing to generate: ask for a signing or an encryption key pair")
    paths = key_paths(stem)
    wanted = [kind for kind in ("sign.key", "sign.pub") if signing]
    wanted += [kind for kind in ("box.key", "box.pub") if encryption]
    for kind in wanted:
        if paths[kind].exists() or paths[kind].is_symlink():
            raise ConfigurationError(
                f"{paths[kind]} exists already; keys are never overwritten (move it away first)"
            )
    paths["sign.key"].parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    protection: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    sign_fingerprint: str | None = None
    box_fingerprint: str | None = None
    written: list[Path] = []
    try:
        if signing:
            sign_key = Ed25519PrivateKey.generate()
            _write_key_file(paths["sign.key"], _private_pem(sign_key, protection), 0o600)
            written.append(paths["sign.key"])
            _write_key_file(paths["sign.pub"], _public_pem(sign_key.public_key()), 0o644)
            written.append(paths["sign.pub"])
            sign_fingerprint = fingerprint(sign_key.public_key())
        if encryption:
            box_key = X25519PrivateKey.generate()
            _write_key_file(paths["box.key"], _private_pem(box_key, protection), 0o600)
            written.append(paths["box.key"])
            _write_key_file(paths["box.pub"], _public_pem(box_key.public_key()), 0o644)
            written.append(paths["box.pub"])
            box_fingerprint = fingerprint(box_key.public_key())
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    log.info("wrote %d key files for %s", len(written), Path(stem).name)
    return KeyFiles(
        signing_key=paths["sign.key"] if signing else None,
        signing_public=paths["sign.pub"] if signing else None,
        signing_fingerprint=sign_fingerprint,
        box_key=paths["box.key"] if encryption else None,
        box_public=paths["box.pub"] if encryption else None,
        box_fingerprint=box_fingerprint,
    )


def _private_pem(
    key: Ed25519PrivateKey | X25519PrivateKey,
    protection: serialization.KeySerializationEncryption,
) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection
    )


def _public_pem(key: Ed25519PublicKey | X25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write_key_file(path: Path, data: bytes, mode: int) -> None:
    """Create a key file exclusively with `mode` (never through an existing file or link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    os.chmod(path, mode)


def _read_key_file(path: Path, *, private: bool) -> bytes:
    if not path.is_file():
        raise ConfigurationError(f"{path}: no such key file")
    if private and os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigurationError(
                f"{path}: private key is readable by others (mode {mode:04o}); "
                f"make it owner-only: chmod 600 {path}"
            )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read key file ({exc.strerror})") from None


def _load_private(path: Path, passphrase: bytes | None) -> object:
    data = _read_key_file(path, private=True)
    try:
        return serialization.load_pem_private_key(data, password=passphrase)
    except TypeError:
        if passphrase is None:
            raise ConfigurationError(
                f"{path}: the key is protected by a passphrase; give it with --passphrase-env"
            ) from None
        raise ConfigurationError(
            f"{path}: the key is not protected by a passphrase; leave out --passphrase-env"
        ) from None
    except (ValueError, UnicodeError):
        hint = " or the passphrase is wrong" if passphrase is not None else ""
        raise ConfigurationError(f"{path}: not a PEM private key{hint}") from None


def _load_public(path: Path) -> object:
    data = _read_key_file(path, private=False)
    try:
        return serialization.load_pem_public_key(data)
    except (ValueError, UnicodeError):
        raise ConfigurationError(f"{path}: not a PEM public key") from None


def _kind_name(key: object) -> str:
    names = {
        Ed25519PrivateKey: "an Ed25519 signing key",
        Ed25519PublicKey: "an Ed25519 public key",
        X25519PrivateKey: "an X25519 encryption key",
        X25519PublicKey: "an X25519 public key",
    }
    for kind, name in names.items():
        if isinstance(key, kind):
            return name
    return "a key of another algorithm"


def load_signing_key(path: Path | str, passphrase: bytes | None = None) -> Ed25519PrivateKey:
    """Read an Ed25519 private key (`NAME.sign.key`).

    Raises:
        ConfigurationError: Missing, readable by others, not Ed25519, or wrong passphrase.
    """
    key = _load_private(Path(path), passphrase)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"{path}: is {_kind_name(key)}, not an Ed25519 signing key")
    return key


def load_signer(path: Path | str) -> Ed25519PublicKey:
    """Read an Ed25519 public key (`NAME.sign.pub`) that seals are checked against.

    Raises:
        ConfigurationError: Missing or not an Ed25519 public key.
    """
    key = _load_public(Path(path))
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError(f"{path}: is {_kind_name(key)}, not an Ed25519 public key")
    return key


def load_box_key(path: Path | str, passphrase: bytes | None = None) -> X25519PrivateKey:
    """Read an X25519 private key (`CANTON.box.key`) that opens encrypted packages.

    Raises:
        ConfigurationError: Missing, readable by others, not X25519, or wrong passphrase.
    """
    key = _load_private(Path(path), passphrase)
    if not isinstance(key, X25519PrivateKey):
        raise ConfigurationError(f"{path}: is {_kind_name(key)}, not an X25519 encryption key")
    return key


def load_recipient(path: Path | str) -> X25519PublicKey:
    """Read an X25519 public key (`CANTON.box.pub`) to encrypt packages for.

    Raises:
        ConfigurationError: Missing or not an X25519 public key.
    """
    key = _load_public(Path(path))
    if not isinstance(key, X25519PublicKey):
        raise ConfigurationError(f"{path}: is {_kind_name(key)}, not an X25519 public key")
    return key


def _signer(key: Ed25519PublicKey | Path | str) -> Ed25519PublicKey:
    return key if isinstance(key, Ed25519PublicKey) else load_signer(key)


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


# -- encryption ----------------------------------------------------------------------------


def _derive_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=_HKDF_INFO
    ).derive(shared)


def _nonce(counter: int, final: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class _Concat:
    """Read several byte sources one after the other, in exact-size blocks."""

    def __init__(self, prefix: bytes, handle: BinaryIO) -> None:
        self._prefix = memoryview(prefix)
        self._handle = handle

    def read_exact(self, size: int) -> bytes:
        parts: list[bytes] = []
        wanted = size
        if self._prefix:
            taken = self._prefix[:wanted]
            self._prefix = self._prefix[len(taken) :]
            parts.append(bytes(taken))
            wanted -= len(taken)
        while wanted:
            block = self._handle.read(wanted)
            if not block:
                break
            parts.append(block)
            wanted -= len(block)
        return b"".join(parts)


def _read_exact(handle: BinaryIO, size: int) -> bytes:
    parts: list[bytes] = []
    wanted = size
    while wanted:
        block = handle.read(wanted)
        if not block:
            break
        parts.append(block)
        wanted -= len(block)
    return b"".join(parts)


def _encrypt_stream(
    source: _Concat, sink: BinaryIO, key: bytes, aad: bytes, chunk_size: int
) -> None:
    aead = AESGCM(key)
    counter = 0
    current = source.read_exact(chunk_size)
    while True:
        following = source.read_exact(chunk_size) if len(current) == chunk_size else b""
        final = not following
        sink.write(aead.encrypt(_nonce(counter, final), current, aad))
        if final:
            return
        counter += 1
        current = following


def _decrypt_chunks(
    handle: BinaryIO, key: bytes, aad: bytes, chunk_size: int, name: str
) -> Iterator[bytes]:
    aead = AESGCM(key)
    size = chunk_size + _TAG
    counter = 0
    current = _read_exact(handle, size)
    if not current:
        raise PackageError(f"{name}: the sealed file is truncated (no encrypted data)")
    while True:
        following = _read_exact(handle, size) if len(current) == size else b""
        final = not following
        try:
            plain = aead.decrypt(_nonce(counter, final), current, aad)
        except InvalidTag:
            raise PackageError(
                f"{name}: the sealed file is truncated, damaged or changed "
                f"(chunk {counter + 1} does not authenticate)"
            ) from None
        yield plain
        if final:
            return
        counter += 1
        current = following


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


def is_sealed(path: Path | str) -> bool:
    """True when `path` is a `.nffs-sealed` file (by its first bytes, not its name)."""
    candidate = Path(path)
    if not candidate.is_file():
        return False
    with candidate.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def read_header(handle: BinaryIO, name: str) -> tuple[SealedHeader, bytes]:
    """Read the clear-text header of a sealed file; return it and the authenticated bytes.

    Raises:
        PackageError: Not a sealed file, or a malformed or unsupported header.
    """
    if handle.read(len(MAGIC)) != MAGIC:
        raise PackageError(f"{name}: not a sealed package (no {SEALED_SUFFIX} header)")
    length_bytes = _read_exact(handle, 4)
    if len(length_bytes) != 4:
        raise PackageError(f"{name}: the sealed file is truncated (in its header)")
    (length,) = struct.unpack(">I", length_bytes)
    if not 0 < length <= _MAX_HEADER:
        raise PackageError(f"{name}: the sealed file's header is malformed")
    header_bytes = _read_exact(handle, length)
    if len(header_bytes) != length:
        raise PackageError(f"{name}: the sealed file is truncated (in its header)")
    try:
        raw = json.loads(header_bytes)
    except (ValueError, UnicodeDecodeError):
        raise PackageError(f"{name}: the sealed file's header is not JSON") from None
    if isinstance(raw, dict) and raw.get("version") not in (None, 1):
        raise PackageError(
            f"{name}: sealed with format version {raw.get('version')!r}; "
            "this tool opens version 1 (upgrade nffs-migration)"
        )
    try:
        header = SealedHeader.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(top)"
        raise PackageError(f"{name}: the sealed file's header is malformed (at {field})") from None
    return header, MAGIC + length_bytes + header_bytes


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
