"""The typer application, its global options and the command groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from nffs_migration import __version__, i18n
from nffs_migration import log as toolkit_log


@dataclass
class _State:
    debug: bool = False
    #: The language given with --lang (a service's configuration yields to it).
    lang: str | None = None


state = _State()

app = typer.Typer(
    name="nffs-migrate",
    help="Move a social service's case files from its legacy system into the canton of "
    "Bern's intermediate format, validate them and load them into the new case store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
)


def example(*lines: str) -> str:
    """An epilog with examples, shown at the end of a command's --help."""
    body = "\n\n".join(f"    $ {line}" for line in lines)
    return f"**Example**\n\n{body}\n"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nffs-migrate {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, help="More detail on stderr (-v info, -vv debug)."
        ),
    ] = 0,
    debug: Annotated[
        bool, typer.Option("--debug", help="Debug logging and tracebacks (without local values).")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Language of reports, pages, worklists and summaries: de, fr or en "
            "(default: $NFFS_LANG, the service's configuration, the locale, English).",
        ),
    ] = None,
) -> None:
    """Options that apply to every command."""
    state.debug = debug
    toolkit_log.configure(verbose, debug=debug)
    if lang is not None and i18n.normalise(lang) is None:
        raise typer.BadParameter(f"{lang!r}: choose de, fr or en", param_hint="--lang")
    state.lang = lang
    i18n.set_language(lang)


# The command groups register themselves on import.
from nffs_migration.cli import commands as _commands  # noqa: E402,F401
from nffs_migration.cli import doctor as _doctor  # noqa: E402,F401
from nffs_migration.cli import extract as _extract  # noqa: E402,F401
from nffs_migration.cli import identity as _identity  # noqa: E402,F401
from nffs_migration.cli import load as _load  # noqa: E402,F401
from nffs_migration.cli import mapping as _mapping  # noqa: E402,F401
from nffs_migration.cli import migrate as _migrate  # noqa: E402,F401
from nffs_migration.cli import privacy as _privacy  # noqa: E402,F401
from nffs_migration.cli import sample as _sample  # noqa: E402,F401
from nffs_migration.cli import seal as _seal  # noqa: E402,F401
from nffs_migration.cli import validate as _validate  # noqa: E402,F401
