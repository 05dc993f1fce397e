"""`nffs-migrate package keygen`, `seal`, `verify` and `open`: packages in transit.

The migration operator signs a package with an Ed25519 key and may encrypt it for the
canton's X25519 key; the canton checks and decrypts it. See docs/sealing.md and the
library, `nffs_migration.transit.sealing`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from nffs_migration.cli.app import example
from nffs_migration.cli.commands import package_app
from nffs_migration.errors import ConfigurationError
from nffs_migration.ui import out_console

_UNLOCK_HELP = (
    "Name of an environment variable that holds the private key's passphrase "
    "(never the passphrase itself)."
)
PassphraseEnv = Annotated[
    str | None, typer.Option("--passphrase-env", metavar="VAR", help=_UNLOCK_HELP)
]
SignerOption = Annotated[
    Path,
    typer.Option(
        "--signer", metavar="NAME.sign.pub", help="The signer's public key that you trust."
    ),
]


def _passphrase(variable: str | None) -> bytes | None:
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise ConfigurationError(f"environment variable {variable} is not set or empty")
    return value.encode()


@package_app.command(
    "keygen",
    epilog=example(
        "nffs-migrate package keygen --out keys/sozialdienst-0942",
        "nffs-migrate package keygen --out keys/canton --encryption-only",
    ),
)
def package_keygen(
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", metavar="NAME", help="Writes NAME.sign.key and NAME.sign.pub (and .box)."
        ),
    ],
    encryption: Annotated[
        bool,
        typer.Option("--encryption", help="Also write an X25519 pair NAME.box.key, NAME.box.pub."),
    ] = False,
    encryption_only: Annotated[
        bool,
        typer.Option(
            "--encryption-only", help="Write only the X25519 pair (a canton that receives)."
        ),
    ] = False,
    passphrase_env: PassphraseEnv = None,
) -> None:
    """Generate key pairs: Ed25519 to sign packages, X25519 to receive them encrypted.

    Private keys (`.key`) are written owner-only (0600) as PEM, protected by a
    passphrase with `--passphrase-env`; public keys (`.pub`) are for handing out. An
    existing key file is never overwritten.
    """
    from nffs_migration.transit.sealing import write_keys

    written = write_keys(
        out,
        signing=not encryption_only,
        encryption=encryption or encryption_only,
        passphrase=_passphrase(passphrase_env),
    )
    for path in written.paths:
        kind = "private, keep it secret" if path.suffix == ".key" else "public, hand it out"
        out_console.print(f"wrote {path} ({kind})", highlight=False)
    if written.signing_fingerprint:
        out_console.print(f"signing key fingerprint:    {written.signing_fingerprint}")
    if written.box_fingerprint:
        out_console.print(f"encryption key fingerprint: {written.box_fingerprint}")


@package_app.command(
    "seal",
    epilog=example(
        "nffs-migrate package seal packages/0942-klibnet-full-0001 "
        "--key keys/sozialdienst-0942.sign.key",
        "nffs-migrate package seal packages/0942-klibnet-full-0001 "
        "--key keys/sozialdienst-0942.sign.key --encrypt-for keys/canton.box.pub "
        "--out outbox/0942-full.nffs-sealed",
    ),
)
def package_seal(
    package: Annotated[Path, typer.Argument(help="A package folder or .zip.")],
    key: Annotated[
        Path, typer.Option("--key", metavar="NAME.sign.key", help="Your Ed25519 signing key.")
    ],
    encrypt_for: Annotated[
        Path | None,
        typer.Option(
            "--encrypt-for",
            metavar="CANTON.box.pub",
            help="Also encrypt the package for this X25519 public key.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write (default: PKG.seal.json beside the package; "
            "PKG.nffs-sealed with --encrypt-for).",
        ),
    ] = None,
    passphrase_env: PassphraseEnv = None,
) -> None:
    """Sign a package's manifest and, with `--encrypt-for`, encrypt it for the canton.

    Verifies the package first. Signing alone writes `PKG.seal.json` beside the package
    and leaves the package unchanged; seal after `validate`, since validation adds
    reports and so changes the manifest. With `--encrypt-for` the package and its
    signature become one encrypted `.nffs-sealed` file, written in streaming chunks.
    """
    from nffs_migration.transit.sealing import (
        load_recipient,
        load_signing_key,
        seal_package,
        short,
    )

    signing_key = load_signing_key(key, _passphrase(passphrase_env))
    recipient = load_recipient(encrypt_for) if encrypt_for is not None else None
    sealed = seal_package(package, signing_key, recipient=recipient, out=out)
    what = "sealed and encrypted" if sealed.recipient else "signed"
    line = f"{what} {sealed.package_id} by key {short(sealed.signer)}"
    if sealed.recipient:
        line += f" for key {short(sealed.recipient)}"
    out_console.print(f"{line}: wrote {sealed.path}", highlight=False)


@package_app.command(
    "verify",
    epilog=example(
        "nffs-migrate package verify packages/0942-klibnet-full-0001 "
        "--signer keys/sozialdienst-0942.sign.pub",
        "nffs-migrate package verify inbox/0942-full.nffs-sealed "
        "--signer keys/sozialdienst-0942.sign.pub --key keys/canton.box.key",
    ),
)
def package_verify(
    target: Annotated[
        Path,
        typer.Argument(
            metavar="SEALED_OR_PKG",
            help="A package folder or .zip with its PKG.seal.json, or a .nffs-sealed file.",
        ),
    ],
    signer: SignerOption,
    seal: Annotated[
        Path | None,
        typer.Option("--seal", help="The seal record, when not PKG.seal.json beside the package."),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            metavar="CANTON.box.key",
            help="Your X25519 key, to verify an encrypted .nffs-sealed file.",
        ),
    ] = None,
    passphrase_env: PassphraseEnv = None,
) -> None:
    """Check a package's signature and that every file matches its manifest.

    Exits 0 when the signature is the given signer's and every file matches; exits 2
    with one line naming what failed: the signature, or the file that changed. An
    encrypted file is decrypted into a temporary folder, checked and removed.
    """
    from nffs_migration.transit.sealing import (
        is_sealed,
        load_box_key,
        load_signer,
        short,
        verify_package,
        verify_sealed,
    )

    trusted = load_signer(signer)
    if key is not None and is_sealed(target):
        verified = verify_sealed(target, load_box_key(key, _passphrase(passphrase_env)), trusted)
    else:
        verified = verify_package(target, trusted, seal=seal)
    out_console.print(
        f"[green]valid:[/] {verified.name} ({verified.package_id}) is signed by key "
        f"{short(verified.signer)} and all {verified.files} files match its manifest",
        highlight=False,
    )


@package_app.command(
    "open",
    epilog=example(
        "nffs-migrate package open inbox/0942-full.nffs-sealed --key keys/canton.box.key "
        "--signer keys/sozialdienst-0942.sign.pub --out packages/0942-klibnet-full-0001",
    ),
)
def package_open(
    sealed: Annotated[Path, typer.Argument(help="A .nffs-sealed file.")],
    key: Annotated[
        Path,
        typer.Option("--key", metavar="CANTON.box.key", help="Your X25519 key to decrypt with."),
    ],
    signer: SignerOption,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="The package to write: a folder, or a .zip when it ends in .zip."
        ),
    ],
    passphrase_env: PassphraseEnv = None,
) -> None:
    """Decrypt a sealed package, check its signature and checksums, and write it.

    Decrypts in streaming chunks into a hidden folder beside `--out` and renames it into
    place only when the signature is the given signer's and every file matches the
    manifest; on any failure nothing is written. The seal is kept beside the package
    (`OUT.seal.json`) so the package can be verified again before loading.
    """
    from nffs_migration.transit.sealing import (
        load_box_key,
        load_signer,
        open_sealed,
        short,
    )

    box_key = load_box_key(key, _passphrase(passphrase_env))
    verified = open_sealed(sealed, box_key, load_signer(signer), out)
    out_console.print(
        f"[green]opened:[/] {verified.package_id}, signed by key {short(verified.signer)}, "
        f"all {verified.files} files verified: wrote {out}",
        highlight=False,
    )
