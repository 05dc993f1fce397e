"""One logging setup for the whole toolkit: record keys only, never record values.

Every module logs through ``get_logger(__name__)``; the CLI calls ``configure`` once.
Messages carry keys (a record id, a source key, a file name, a rule id) and counts,
never a name, an AHV number, an address or a text. Third-party loggers that are known
to print values (SQLAlchemy's engine echoes bound parameters, pandera's failure cases
hold the failing cells) are held at WARNING and their records lose their arguments and
exception text; engines are created with ``hide_parameters=True`` as well.
"""

from __future__ import annotations

import logging

from rich.logging import RichHandler

from nffs_migration.ui import err_console

ROOT_LOGGER = "nffs_migration"

#: Loggers of libraries whose messages can contain record values.
VALUE_BEARING_LOGGERS = ("sqlalchemy", "pandera", "psycopg", "pyodbc", "frictionless")


def get_logger(name: str) -> logging.Logger:
    """Return the toolkit logger for a module (``get_logger(__name__)``)."""
    if not name.startswith(ROOT_LOGGER):
        name = f"{ROOT_LOGGER}.{name}"
    return logging.getLogger(name)


class _StripValues(logging.Filter):
    """Reduce a third-party record to its logger name and message template.

    The template of a library's log call is code, the arguments are data; dropping
    the arguments and the exception text keeps the event and loses the values.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith(ROOT_LOGGER):
            return True
        if record.name.startswith(VALUE_BEARING_LOGGERS):
            record.msg = f"{record.name}: event at {record.levelname} (details withheld)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def configure(verbosity: int = 0, *, debug: bool = False) -> None:
    """Set up logging once for a command run.

    Args:
        verbosity: 0 warnings only, 1 info, 2 or more debug (for the toolkit's loggers).
        debug: Debug level and tracebacks; tracebacks never show local variables.
    """
    level = logging.WARNING
    if verbosity == 1:
        level = logging.INFO
    if verbosity >= 2 or debug:
        level = logging.DEBUG
    handler = RichHandler(
        console=err_console,
        show_path=debug,
        rich_tracebacks=debug,
        tracebacks_show_locals=False,  # locals hold record values
        markup=False,
    )
    handler.addFilter(_StripValues())
    root = logging.getLogger()
    for old in list(root.handlers):
        if isinstance(old, RichHandler):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger(ROOT_LOGGER).setLevel(level)
    for name in VALUE_BEARING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)


__all__ = ["ROOT_LOGGER", "configure", "get_logger"]
