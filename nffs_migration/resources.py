"""The data files the toolkit ships beside its code, read through `importlib.resources`.

Mapping lists (`extractors/<family>/mappings/*.csv`), rule profiles
(`validators/profiles/*.yaml`) and rule cases (`validators/cases/*.yaml`) are package
data: they are read as resources of their package, never by the module's own path, so
an installed wheel, a zipped or a frozen layout behaves like the source tree. A file
that is missing is an installation fault, not a data problem: `require()` and
`listing()` raise a `ConfigurationError` that names the file (exit 2), so the toolkit
never goes on quietly with nothing to map or judge by.

`flows.doctor.data_files()` lists every file the toolkit needs at run time; `nffs-migrate
doctor` and the packaging test check them.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from nffs_migration.errors import ConfigurationError

#: What to do when a shipped file is missing.
REINSTALL = (
    "the installation is incomplete: reinstall nffs-migration (pip install --force-reinstall)"
)


def resource(package: str, *parts: str) -> Traversable:
    """A file or folder inside an installed package of the toolkit (it may not exist)."""
    return files(package).joinpath(*parts)


def require(item: Traversable, what: str) -> Traversable:
    """`item` when it is a file; otherwise a `ConfigurationError` naming it."""
    if not item.is_file():
        raise ConfigurationError(f"{item}: {what} is missing; {REINSTALL}")
    return item


def listing(folder: Traversable, suffix: str, what: str) -> list[Traversable]:
    """The files of a shipped folder that end in `suffix`, by name; the folder must exist."""
    if not folder.is_dir():
        raise ConfigurationError(f"{folder}: the folder of {what} is missing; {REINSTALL}")
    return sorted(
        (item for item in folder.iterdir() if item.name.endswith(suffix) and item.is_file()),
        key=lambda item: item.name,
    )


__all__ = ["REINSTALL", "listing", "require", "resource"]
