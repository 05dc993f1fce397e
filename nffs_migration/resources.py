"""The data files the toolkit ships beside its code, read through `importlib.resources`.

Mapping lists (`extractors/<family>/mappings/*.csv`), rule profiles
(`validators/profiles/*.yaml`) and rule cases (`validators/cases/*.yaml`) are package
data: they are read as resources of their package, never by the module's own path, so
an installed wheel, a zipped or a frozen layout behaves like the source tree. A file
that is missing is an installation fault, not a data problem: `require()` and
`listing()` raise a `ConfigurationError` that names the file (exit 2), so the toolkit
never goes on quietly with nothing to map or judge by.

`data_files()` lists every file the toolkit needs at run time; `nffs-migrate doctor`
and the packaging test check them.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class DataFile:
    """A file the toolkit reads at run time."""

    what: str
    item: Traversable

    @property
    def present(self) -> bool:
        """True when the file is there and not empty."""
        return self.item.is_file() and len(self.item.read_bytes()) > 0


def data_files() -> list[DataFile]:
    """Every data file the toolkit needs: each family's mapping lists, profiles, rule cases."""
    from nffs_migration.extractors import EXTRACTORS, extractor_class
    from nffs_migration.validators.cases import case_files
    from nffs_migration.validators.profile import DEFAULT

    found = [
        DataFile(f"{name} mapping list {list_name}", extractor.mappings_dir / f"{list_name}.csv")
        for name in EXTRACTORS
        for extractor in (extractor_class(name),)
        for list_name in extractor.mapping_lists
    ]
    from nffs_migration.validators.reference import NOTES

    found.append(DataFile("the canton's rule profile", DEFAULT))
    found.append(DataFile("the rule notes", NOTES))
    found.extend(DataFile(f"rule cases of {rule}", item) for rule, item in case_files().items())
    return found


__all__ = ["REINSTALL", "DataFile", "data_files", "listing", "require", "resource"]
