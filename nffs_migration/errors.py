"""The toolkit's exceptions: one root, a few kinds, each says whether a retry can help.

Data problems are findings or rejects, never exceptions. Exceptions are for
operational problems: a source that cannot be read, a package that is tampered with,
a configuration that is wrong, a load that cannot proceed. The CLI turns each into one
line and an exit code; Prefect retries only those whose ``retryable`` is true.

Messages name files, record keys and rules, never a personal value (a name, an AHV
number, a text): they end up in logs, ledgers and Prefect run records.
"""

from __future__ import annotations

from typing import Any, ClassVar

#: Exit code when the data has errors (a package fails validation, a reconcile differs).
EXIT_DATA_ERRORS = 1
#: Exit code for usage errors and unreadable, tampered or incomplete input.
EXIT_USAGE = 2


class NffsError(Exception):
    """Root of every error the toolkit raises on purpose.

    Attributes:
        message: One line that says what went wrong and, where possible, what to do.
        retryable: True when the same call may succeed later (a lost connection).
        exit_code: What the CLI exits with.
        context: Keys that locate the problem (file, table, record key, rule); no values.
    """

    retryable: ClassVar[bool] = False
    exit_code: ClassVar[int] = EXIT_USAGE

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword context survives pickling (Prefect and Dask workers ship exceptions).
        return (_rebuild, (type(self), self.message, self.context))


def _rebuild(cls: type[NffsError], message: str, context: dict[str, Any]) -> NffsError:
    return cls(message, **context)


class ConfigurationError(NffsError):
    """A configuration, option, mapping or profile is wrong; fix it and run again."""


class UsageError(ConfigurationError):
    """The command was called in a way that cannot work (missing or clashing options)."""


class SourceError(NffsError):
    """The legacy source cannot be read as it is (broken file, unknown layout)."""


class SourceUnavailable(SourceError):
    """The source cannot be reached right now (connection lost, server down); retry helps."""

    retryable: ClassVar[bool] = True


class PackageError(NffsError):
    """A package is unreadable, incomplete, tampered with or of an unknown format version."""


class DataErrors(NffsError):
    """The data has errors that block the next step (validation errors, reconcile differences)."""

    exit_code: ClassVar[int] = EXIT_DATA_ERRORS


class LoadError(NffsError):
    """A package cannot be loaded into the target for an operational reason."""


class TargetUnavailable(LoadError):
    """The target store cannot be reached right now; retry helps."""

    retryable: ClassVar[bool] = True


__all__ = [
    "EXIT_DATA_ERRORS",
    "EXIT_USAGE",
    "ConfigurationError",
    "DataErrors",
    "LoadError",
    "NffsError",
    "PackageError",
    "SourceError",
    "SourceUnavailable",
    "TargetUnavailable",
    "UsageError",
]
