"""The `nffs-migrate` command: a thin layer over the library.

Each command parses its options, calls one library function and renders the result
with rich. Errors of the toolkit (`NffsError`) become one line and an exit code (1: the
data has errors, 2: usage or unreadable input); in German and French the line starts
with what the kind of error means (the detail stays English). A traceback only with
`--debug`, and never with local variables (they hold record values). Heavy libraries
are imported inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import os
import sys

from rich.markup import escape

from nffs_migration.cli.app import app, state
from nffs_migration.errors import (
    ConfigurationError,
    DataErrors,
    LoadError,
    NffsError,
    PackageError,
    SourceError,
    SourceUnavailable,
    TargetUnavailable,
    UsageError,
)
from nffs_migration.i18n import N_, _, language
from nffs_migration.ui import err_console

#: Exit code for an unexpected failure of the toolkit itself (a bug).
EXIT_INTERNAL = 3


#: What each kind of error means for the person at the terminal (the detail stays English).
ERROR_KINDS: tuple[tuple[type[NffsError], str], ...] = (
    (UsageError, N_("The command was called in a way that cannot work: see --help.")),
    (
        ConfigurationError,
        N_("A configuration, option, mapping or profile is wrong: fix it and run again."),
    ),
    (SourceUnavailable, N_("The legacy source cannot be reached right now.")),
    (SourceError, N_("The legacy source cannot be read as it is.")),
    (PackageError, N_("The package is unreadable, incomplete, changed or of an unknown version.")),
    (DataErrors, N_("The data has errors that block the next step: see the report.")),
    (TargetUnavailable, N_("The target store cannot be reached right now.")),
    (LoadError, N_("The package cannot be loaded into the target.")),
)


def error_kind(exc: NffsError) -> str:
    """The meaning of an error's kind (English; translated where shown)."""
    for kind, meaning in ERROR_KINDS:
        if isinstance(exc, kind):
            return meaning
    return N_("The run stopped.")


def main() -> None:
    """Entry point of the console script."""
    # Packages, reports, targets and ledgers hold personal data: owner-only files.
    os.umask(0o077)
    try:
        app()
    except NffsError as exc:
        if state.debug:
            err_console.print_exception(show_locals=False)
        # One line; in German or French it starts with what the kind of error means.
        meaning = "" if language() == "en" else f"{_(error_kind(exc))} "
        word = _("error")
        err_console.print(
            f"[bold red]{word}:[/] {meaning}{escape(exc.message)}",
            highlight=False,
            soft_wrap=True,
        )
        if exc.retryable:
            again = _("this may pass when tried again")
            err_console.print(f"[dim]{again}[/]")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        stopped = _("interrupted")
        err_console.print(f"[bold red]{stopped}[/]")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no values
        if state.debug:
            err_console.print_exception(show_locals=False)
        else:
            internal = _("internal error")
            err_console.print(
                f"[bold red]{internal}:[/] {type(exc).__name__} "
                + _("(run again with --debug for the traceback; please report it)")
            )
        sys.exit(EXIT_INTERNAL)


__all__ = ["app", "main"]
