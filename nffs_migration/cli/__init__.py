"""The `nffs-migrate` command: a thin layer over the library.

Each command parses its options, calls one library function and renders the result
with rich. Errors of the toolkit (`NffsError`) become one line and an exit code
(1: the data has errors, 2: usage or unreadable input); a traceback only with
`--debug`, and never with local variables (they hold record values). Heavy libraries
are imported inside the commands so that `--help` stays fast.
"""

from __future__ import annotations

import os
import sys

from rich.markup import escape

from nffs_migration.cli.app import app, state
from nffs_migration.errors import NffsError
from nffs_migration.ui import err_console

#: Exit code for an unexpected failure of the toolkit itself (a bug).
EXIT_INTERNAL = 3


def main() -> None:
    """Entry point of the console script."""
    # Packages, reports, targets and ledgers hold personal data: owner-only files.
    os.umask(0o077)
    try:
        app()
    except NffsError as exc:
        if state.debug:
            err_console.print_exception(show_locals=False)
        err_console.print(
            f"[bold red]error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True
        )
        if exc.retryable:
            err_console.print("[dim]this may pass when tried again[/]")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("[bold red]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no values
        if state.debug:
            err_console.print_exception(show_locals=False)
        else:
            err_console.print(
                f"[bold red]internal error:[/] {type(exc).__name__} "
                "(run again with --debug for the traceback; please report it)"
            )
        sys.exit(EXIT_INTERNAL)


__all__ = ["app", "main"]
