"""`nffs-migrate pseudonymize`: a package with keyed fakes for every personal value."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nffs_migration.cli.app import app, example
from nffs_migration.errors import UsageError
from nffs_migration.ui import err_console, out_console


@app.command(
    epilog=example(
        "nffs-migrate pseudonymize --new-key secrets/0942.key",
        "nffs-migrate pseudonymize packages/0942-full --out vendor/0942-pseudo "
        "--key-file secrets/0942.key",
    ),
)
def pseudonymize(
    package: Annotated[
        Path | None, typer.Argument(help="The package to pseudonymise (folder or .zip).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="The pseudonymised package to write (folder, or .zip)."),
    ] = None,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="The secret key (a file of at least 32 bytes). The same key gives the same "
            "fakes in every package; keep it apart from the packages you hand out.",
        ),
    ] = None,
    new_key: Annotated[
        Path | None,
        typer.Option(
            "--new-key",
            help="Create a key file of 32 random bytes, owner-only (0600), and stop.",
        ),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing package at --out.")
    ] = False,
) -> None:
    """Write a pseudonymised copy of a package for vendors' tests.

    Names, AHV numbers (new valid ones), streets, house numbers, journal texts, document
    titles and contents, payment recipients and staff short names become keyed fakes;
    exact birth dates and addresses move by a few days per household. Ids, codes,
    amounts, counts, case dates, postal codes and towns stay, so the copy validates with
    the same findings. Give PKG, --out and --key-file; or only --new-key to create a key.
    """
    from nffs_migration.transit.pseudonymize import (
        pseudonymize_package,
        read_key,
        write_new_key,
    )

    if new_key is not None:
        if package is not None or out is not None or key_file is not None:
            raise UsageError("--new-key only creates a key; run pseudonymize again with it")
        write_new_key(new_key)
        out_console.print(
            f"wrote a new key to {new_key} (owner-only); keep it safe: "
            "without it, the same fakes cannot be made again"
        )
        return
    missing = [
        name
        for name, value in (("PKG", package), ("--out", out), ("--key-file", key_file))
        if value is None
    ]
    if missing:
        raise UsageError(
            f"give {', '.join(missing)} (or --new-key FILE to create a key); see --help"
        )
    assert package is not None and out is not None and key_file is not None  # noqa: S101
    key = read_key(key_file)
    with err_console.status(f"pseudonymising {package.name}"):
        manifest = pseudonymize_package(package, out, key, overwrite=overwrite)
    out_console.print(
        f"wrote {out}: {sum(t.rows for t in manifest.tables.values()):,} rows, "
        f"{manifest.documents.count:,} documents ({manifest.package_id}); "
        f"validate it with: nffs-migrate validate {out}"
    )
