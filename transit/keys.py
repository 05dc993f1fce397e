"""The keys of sealing: Ed25519 to sign, X25519 to encrypt for the canton.

`write_keys` writes a key pair (or two) as PEM files, private ones owner-only and
optionally passphrase-protected; the loaders refuse a key file of the wrong kind, a
private key readable by others, or a wrong passphrase, with a `ConfigurationError`
naming the file. A key is named by its fingerprint (SHA-256 of its raw public bytes).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from nffs_migration.errors import ConfigurationError, UsageError
from nffs_migration.log import get_logger

log = get_logger(__name__)

KeyKind = Literal["signing", "encryption"]


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


__all__ = [
    "KeyFiles",
    "KeyKind",
    "fingerprint",
    "key_paths",
    "load_box_key",
    "load_recipient",
    "load_signer",
    "load_signing_key",
    "short",
    "write_keys",
]
