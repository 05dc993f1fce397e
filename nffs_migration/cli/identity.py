"""`nffs-migrate identity build`: one person across services, for the canton."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nffs_migration import i18n
from nffs_migration.cli.app import app, example
from nffs_migration.errors import UsageError
from nffs_migration.i18n import _, number
from nffs_migration.ui import err_console, out_console

identity_app = typer.Typer(
    help="Find the same person in several services' packages: links, clusters, conflicts.",
    no_args_is_help=True,
)
app.add_typer(identity_app, name="identity")


@identity_app.command(
    "build",
    epilog=example(
        "nffs-migrate identity build packages/0942-full packages/0351-full --out identity/",
        "nffs-migrate identity build --target postgresql+psycopg://nffs@db/nffs "
        "--out identity/ --threshold 0.92 --lang fr",
    ),
)
def identity_build(
    packages: Annotated[
        list[Path] | None,
        typer.Argument(help="Packages (folders or .zip) of the services to link."),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            help="SQLAlchemy URL of a target case store: its persons are linked too, and "
            "the links are written into its tables person_links, person_clusters and "
            "identity_conflicts.",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Folder for links, clusters, conflicts and the report."),
    ] = Path("identity"),
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Score from which a pair is linked (default 0.9, or the settings file's).",
        ),
    ] = None,
    floor: Annotated[
        float | None,
        typer.Option("--floor", help="Lowest score kept as a candidate (default 0.75)."),
    ] = None,
    settings: Annotated[
        Path | None,
        typer.Option(
            "--settings", help="The canton's settings (YAML: identity: {threshold, floor})."
        ),
    ] = None,
    lang: Annotated[
        str | None, typer.Option("--lang", help="Language of the report: de, fr or en.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing output folder.")
    ] = False,
) -> None:
    """Link the person records of several services and report conflicts.

    Exact links by a valid AHVN13; candidates by birth date and phonetic names, scored;
    pairs at or above the threshold are linked into clusters, the rest between floor and
    threshold wait for review. Writes links.parquet, clusters.parquet, conflicts.parquet,
    summary.json and identity.html (keys, scores and counts only).
    """
    from nffs_migration.identity.build import build_identity

    if lang is not None:
        if i18n.normalise(lang) is None:
            raise UsageError(f"--lang {lang!r}: choose de, fr or en")
        i18n.set_language(lang)
    with err_console.status(_("linking persons")) as status:

        def step(name: str) -> None:
            status.update(f"{_('linking persons')}: {name}")

        result = build_identity(
            packages or [],
            out,
            target_url=target,
            threshold=threshold,
            floor=floor,
            settings=settings,
            overwrite=overwrite,
            step=step,
        )
    figures = result.linkage.figures
    out_console.print(
        _(
            "{persons} persons: {exact} links by AHVN13, {fuzzy} by names and birth date, "
            "{candidates} candidates, {clusters} clusters, {conflicts} conflicts; wrote {out}"
        ).format(
            persons=number(figures["persons"]),
            exact=number(figures["links_exact"]),
            fuzzy=number(figures["links_fuzzy"]),
            candidates=number(figures["candidates"]),
            clusters=number(figures["clusters"]),
            conflicts=number(result.conflicts.height),
            out=out,
        )
    )
    if result.target_rows:
        out_console.print(
            _("wrote {links} links into the target").format(
                links=number(result.target_rows["person_links"])
            )
        )
