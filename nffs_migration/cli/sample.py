"""`nffs-migrate sample`: generate a realistic legacy source to try the toolkit on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from nffs_migration.cli.app import app, example
from nffs_migration.ui import err_console, out_console


class System(StrEnum):
    """Source system families."""

    klibnet = "klibnet"
    kiss = "kiss"
    tutoris = "tutoris"
    custom = "custom"


class DirtLevel(StrEnum):
    """How dirty the generated source is."""

    none = "none"
    realistic = "realistic"
    heavy = "heavy"


@app.command(
    epilog=example(
        "nffs-migrate sample klibnet --out sources/klibnet --cases 500",
        "nffs-migrate sample tutoris --out sources/tutoris --seed 7 --dirt heavy",
        "nffs-migrate sample kiss --out sources/kiss --url postgresql+psycopg://localhost/kiss_copy",
    ),
)
def sample(
    system: Annotated[System, typer.Argument(help="Which legacy system to imitate.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="New folder for the source and truth.json.")
    ],
    cases: Annotated[int, typer.Option("--cases", "-n", min=1, help="Number of cases.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same people, same bytes.")] = 1,
    service: Annotated[
        str,
        typer.Option("--service", help="Service id: BFS number of its main commune (4 digits)."),
    ] = "0942",
    dirt: Annotated[
        DirtLevel, typer.Option("--dirt", help="Defects of the field: none, realistic or heavy.")
    ] = DirtLevel.realistic,
    url: Annotated[
        str | None,
        typer.Option(
            "--url", help="Database URL for klibnet and kiss (default: a SQLite file in --out)."
        ),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", help="The moment the source reflects (default 2026-03-14 18:22)."),
    ] = None,
) -> None:
    """Generate a realistic legacy source (database, XML export or spreadsheets) with truth.json.

    The same population of a Bernese social service (households, 15 years of cases,
    budgets, payments, journal, documents) rendered in the chosen system's tables,
    codes and formats, with the defects the field knows. truth.json lists every
    injected defect by source key and the rows a correct migration yields.
    """
    from nffs_migration.sample_data.generate import generate

    with err_console.status(f"generating a {system.value} source with {cases:,} cases"):
        source = generate(
            system.value,
            out,
            cases=cases,
            seed=seed,
            service_id=service,
            dirt=dirt.value,
            url=url,
            as_of=as_of,
        )
    expected = source.truth["expected"]
    table = Table(
        "table", "rows", "of which excluded", "rejected", title=f"{system.value} source in {out}"
    )
    for name, counts in expected.items():
        total = counts["migrated"] + counts["rejected"] + counts["excluded"]
        table.add_row(name, f"{total:,}", f"{counts['excluded']:,}", f"{counts['rejected']:,}")
    out_console.print(table)
    kinds = source.truth["dirt"]
    records = sum(kind["count"] for kind in kinds.values())
    out_console.print(
        f"{len(kinds)} kinds of defect injected ({records:,} records); see {source.truth_path}"
    )
