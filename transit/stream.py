"""The sealed file: a signed package encrypted for the canton, written and read as a stream.

A `.nffs-sealed` file starts with `NFFSSEAL`, a 4-byte big-endian length and a JSON
header (version, algorithm, ephemeral public key, recipient and signer fingerprints,
chunk size), followed by AES-256-GCM chunks. The key is derived by HKDF-SHA256 from an
ephemeral X25519 agreement with the recipient's key. Every chunk authenticates the whole
header; its nonce is an 11-byte counter and a final-chunk flag, so reordered, truncated
or extended files are refused. Everything streams in chunks of `CHUNK_SIZE`.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nffs_migration.errors import PackageError
from nffs_migration.log import get_logger

log = get_logger(__name__)

#: Plaintext bytes per encrypted chunk.
CHUNK_SIZE = 1024 * 1024
#: Bounds on a header's chunk size: a hostile header cannot make us allocate much.
MIN_CHUNK_SIZE = 4 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
MAGIC = b"NFFSSEAL"
SEALED_SUFFIX = ".nffs-sealed"
SEALED_FORMAT: Final = "nffs-sealed"
ENCRYPTION: Final = "X25519-HKDF-SHA256-AES-256-GCM-STREAM"
_TAG = 16
_MAX_HEADER = 64 * 1024
_HKDF_INFO = b"nffs-migration sealed package v1"
_READ = 1024 * 1024

KeyKind = Literal["signing", "encryption"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SealedHeader(_Model):
    """The clear-text header of a `.nffs-sealed` file (authenticated by every chunk)."""

    format: Literal["nffs-sealed"] = SEALED_FORMAT
    version: Literal[1] = 1
    algorithm: Literal["X25519-HKDF-SHA256-AES-256-GCM-STREAM"] = ENCRYPTION
    ephemeral_public_key: str = Field(description="Base64 of the raw 32-byte X25519 key.")
    recipient: str = Field(pattern=r"^[0-9a-f]{64}$", description="Recipient key fingerprint.")
    signer: str = Field(pattern=r"^[0-9a-f]{64}$", description="Signer key fingerprint.")
    chunk_size: int = Field(ge=MIN_CHUNK_SIZE, le=MAX_CHUNK_SIZE)


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


__all__ = [
    "CHUNK_SIZE",
    "MAGIC",
    "MAX_CHUNK_SIZE",
    "MIN_CHUNK_SIZE",
    "SEALED_SUFFIX",
    "SealedHeader",
    "is_sealed",
    "read_header",
]
