"""`nffs-migrate doctor`: is this installation, and this service's setup, ready to migrate?

Commune IT staff run it before their first conversion. Each check is one line: what was
looked at, what was found, and, when it fails, how to fix it. Two groups:

- **the installation**: every data file the toolkit reads at run time (mapping lists,
  rule profile, rule cases), the database drivers (psycopg; pyodbc with the unixODBC
  driver manager, and the ODBC drivers the system offers);
- **a service's configuration** (`--config`): the file itself, the source reachable
  and of its system's layout, the document share readable, the service's mapping file
  and rule profile, the target and the ledger reachable and at the expected schema
  version, Prefect's API where one is configured.

A check that fails and that a migration needs (`needed`) makes `doctor` exit 1; a driver
the service does not use is shown but not needed. Checks take a few seconds: they
connect, read a header or a table list, never the data. Messages hold no values.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from nffs_migration.errors import ConfigurationError, NffsError
from nffs_migration.flows.config import ServiceConfig, load_config

#: Seconds a network check may wait.
TIMEOUT = 5


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    group: str
    name: str
    ok: bool
    detail: str
    hint: str = ""
    #: A migration cannot run while this check fails.
    needed: bool = True

    @property
    def blocking(self) -> bool:
        """True when this failure stops a migration."""
        return not self.ok and self.needed


@dataclass(frozen=True)
class Diagnosis:
    """Every check that ran."""

    checks: list[Check]

    @property
    def healthy(self) -> bool:
        """True when nothing a migration needs is missing."""
        return not any(check.blocking for check in self.checks)


def _short(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, NffsError) else f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0] if text else type(exc).__name__


# -- the installation ------------------------------------------------------------------


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
    """Every data file the toolkit needs: mappings, profiles, rule cases, notes, pages, catalogs."""
    from nffs_migration.extractors import EXTRACTORS, extractor_class
    from nffs_migration.i18n import catalog_file
    from nffs_migration.pages import TEMPLATES, template
    from nffs_migration.validators.cases import case_files
    from nffs_migration.validators.profile import DEFAULT
    from nffs_migration.validators.reference import NOTES

    found = [
        DataFile(f"{name} mapping list {list_name}", extractor.mappings_dir / f"{list_name}.csv")
        for name in EXTRACTORS
        for extractor in (extractor_class(name),)
        for list_name in extractor.mapping_lists
    ]
    found.append(DataFile("the canton's rule profile", DEFAULT))
    found.append(DataFile("the rule notes", NOTES))
    found.extend(DataFile(f"rule cases of {rule}", item) for rule, item in case_files().items())
    found.extend(DataFile(f"page template {name}", template(name)) for name in TEMPLATES)
    found.extend(DataFile(f"{lang} message catalog", catalog_file(lang)) for lang in ("de", "fr"))
    return found


def check_data_files() -> Check:
    """Every mapping list, the canton's profile and every rule case is shipped and not empty."""
    from nffs_migration.resources import REINSTALL

    try:
        files = data_files()
    except NffsError as exc:
        detail = _short(exc).replace(f"; {REINSTALL}", "")
        return Check("installation", "data files", False, detail, REINSTALL)
    missing = [f for f in files if not f.present]
    if missing:
        named = ", ".join(str(f.item) for f in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        return Check(
            "installation",
            "data files",
            False,
            f"{len(missing)} of {len(files)} missing or empty: {named}{more}",
            REINSTALL,
        )

    def count(word: str) -> int:
        return sum(1 for f in files if word in f.what)

    return Check(
        "installation",
        "data files",
        True,
        f"{len(files)} present ({count('mapping list')} mapping lists, rule profile and "
        f"notes, {count('rule cases')} rule case files, {count('page template')} page "
        f"templates, {count('message catalog')} message catalogs)",
    )


def check_psycopg(needed: bool) -> Check:
    """Psycopg 3, the driver of PostgreSQL targets, ledgers and sources."""
    try:
        module: Any = importlib.import_module("psycopg")
    except ImportError as exc:
        return Check(
            "installation",
            "psycopg (PostgreSQL)",
            False,
            _short(exc),
            "pip install 'psycopg[binary]'",
            needed,
        )
    return Check("installation", "psycopg (PostgreSQL)", True, f"version {module.__version__}")


def check_pyodbc(needed: bool, wanted_driver: str | None = None) -> list[Check]:
    """Pyodbc with the unixODBC driver manager, and the ODBC drivers the system offers."""
    try:
        pyodbc: Any = importlib.import_module("pyodbc")
    except ImportError as exc:
        hint = (
            "install the ODBC driver manager: apt-get install unixodbc"
            if "libodbc" in str(exc)
            else "pip install pyodbc, and apt-get install unixodbc"
        )
        return [
            Check("installation", "pyodbc (ODBC sources)", False, _short(exc), hint, needed),
        ]
    checks = [Check("installation", "pyodbc (ODBC sources)", True, f"version {pyodbc.version}")]
    drivers = sorted(pyodbc.drivers())
    if wanted_driver is not None:
        found = wanted_driver in drivers
        checks.append(
            Check(
                "installation",
                "ODBC driver",
                found,
                f"{wanted_driver!r} is {'offered' if found else 'not offered'}"
                f" (offered: {', '.join(drivers) or 'none'})",
                "install the database's ODBC driver (e.g. msodbcsql18, odbc-postgresql) "
                "and register it in /etc/odbcinst.ini",
                needed,
            )
        )
    else:
        checks.append(
            Check(
                "installation",
                "ODBC drivers",
                bool(drivers),
                ", ".join(drivers) if drivers else "none registered",
                "install the source database's ODBC driver",
                needed=False,
            )
        )
    return checks


# -- a service's configuration ---------------------------------------------------------


def _guarded(group: str, name: str, function: Callable[[], Check]) -> Check:
    try:
        return function()
    except NffsError as exc:
        return Check(group, name, False, _short(exc), "see the message; fix and run doctor again")
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        return Check(group, name, False, _short(exc), "see the message; fix and run doctor again")


def _source(config: ServiceConfig) -> Check:
    from nffs_migration.extractors import get_extractor

    extractor = get_extractor(config.source.system)
    options = extractor.options_class(
        source=config.url(config.source, "source"),
        service_id=config.service.id,
        documents=config.path(config.source.documents),
        mapping=config.path(config.source.mapping),
    )
    info = extractor.describe(options)
    version = f" {info.version}" if info.version else ""
    return Check(
        "service",
        "source",
        True,
        f"{info.system}{version}: {info.description or 'reachable'}",
    )


def _documents(config: ServiceConfig) -> Check:
    share = config.path(config.source.documents)
    if share is None:
        return Check(
            "service",
            "document share",
            False,
            "not configured (source.documents)",
            "give source.documents, the folder the source's document paths start from",
            needed=False,
        )
    if not share.is_dir():
        return Check(
            "service", "document share", False, f"{share} is not a folder", "mount the share"
        )
    if not os.access(share, os.R_OK | os.X_OK):
        return Check(
            "service",
            "document share",
            False,
            f"{share} is not readable by this user",
            "give the migration user read access to the share",
        )
    with os.scandir(share) as entries:
        first = next(iter(entries), None)
    if first is None:
        return Check(
            "service", "document share", False, f"{share} is empty", "is the share mounted?"
        )
    return Check("service", "document share", True, f"{share} is readable")


def _mapping(config: ServiceConfig) -> Check:
    from nffs_migration.extractors import get_extractor
    from nffs_migration.extractors.mapping import CodeMapper

    extractor = get_extractor(config.source.system)
    override = config.path(config.source.mapping)
    if config.source.system == "custom":
        detail = f"{override} (checked with the source)" if override else "none"
        return Check("service", "mapping", override is not None, detail, "give source.mapping")
    mapper = CodeMapper.load(extractor.mappings_dir, override, required=extractor.mapping_lists)
    own = f" with {override.name}" if override else ""
    return Check("service", "mapping", True, f"{len(mapper.tables)} lists of {extractor.name}{own}")


def _profile(config: ServiceConfig) -> Check:
    from nffs_migration.validators.profile import load_profile

    profile = load_profile(config.path(config.validation.profile))
    return Check("service", "rule profile", True, f"{profile.name}")


def _target(config: ServiceConfig) -> Check:
    from nffs_migration.intermediate_format.definition import FORMAT_VERSION
    from nffs_migration.loaders.schema import METADATA, SCHEMA_VERSION_TABLE

    url = config.url(config.target, "target")
    engine = _engine(url)
    leftovers: list[str] = []
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                from nffs_migration.loaders.load import leftover_scratch

                leftovers = leftover_scratch(connection)
            if not sa.inspect(connection).has_table(SCHEMA_VERSION_TABLE):
                return Check(
                    "service",
                    "target",
                    True,
                    f"{engine.dialect.name} reachable, no nffs schema yet "
                    "(`migrate` creates it; or `nffs-migrate target init`)",
                )
            versions = [
                row[0]
                for row in connection.execute(
                    sa.select(METADATA.tables[SCHEMA_VERSION_TABLE].c.format_version)
                )
            ]
    finally:
        engine.dispose()
    current = max(versions, key=_version_key) if versions else "(none)"
    if not versions or current.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        return Check(
            "service",
            "target",
            False,
            f"the target's schema follows format {current}; this toolkit writes {FORMAT_VERSION}",
            "a new major format version needs a migration of the target; ask the canton",
        )
    if _version_key(current) < _version_key(FORMAT_VERSION):
        return Check(
            "service",
            "target",
            True,
            f"format {current}; `nffs-migrate target init` upgrades it to {FORMAT_VERSION}",
        )
    scratch = (
        f"; {len(leftovers)} scratch table{'' if len(leftovers) == 1 else 's'} of an "
        "interrupted load, which the next large load drops"
        if leftovers
        else ""
    )
    return Check("service", "target", True, f"{engine.dialect.name}, format {current}{scratch}")


def _ledger(config: ServiceConfig) -> Check:
    from nffs_migration.flows.ledger import METADATA

    url = config.url(config.ledger, "ledger")
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            present = set(inspector.get_table_names())
            if not present & set(METADATA.tables):
                return Check(
                    "service", "ledger", True, f"{engine.dialect.name} reachable, new ledger"
                )
            outdated = []
            for table in METADATA.tables.values():
                columns = (
                    {c["name"] for c in inspector.get_columns(table.name)}
                    if table.name in present
                    else set()
                )
                outdated += [
                    f"{table.name}.{c.name}" for c in table.columns if c.name not in columns
                ]
    finally:
        engine.dispose()
    if outdated:
        return Check(
            "service",
            "ledger",
            False,
            f"the ledger lacks {', '.join(outdated[:3])}: it was made by another version",
            "use a ledger made by this version of the toolkit, or ask the canton",
        )
    return Check("service", "ledger", True, f"{engine.dialect.name}, schema as expected")


def _engine(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = TIMEOUT
    elif parsed.get_backend_name() == "sqlite" and parsed.database:
        database = Path(parsed.database)
        if not database.parent.is_dir():
            raise ConfigurationError(f"{database.parent} does not exist")
    return sa.create_engine(url, hide_parameters=True, connect_args=connect_args)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def check_prefect(*, needed: bool = False) -> Check:
    """Prefect's API, where one is configured (PREFECT_API_URL); else the embedded mode.

    Prefect comes with the extra `nffs-migration[flows]`: missing, it blocks only a
    service that is to be migrated (`needed`).
    """
    from importlib.util import find_spec

    from nffs_migration.flows.prefect_env import FLOWS_EXTRA

    if find_spec("prefect") is None:
        return Check(
            "orchestration",
            "Prefect",
            False,
            "not installed: extract, validate, load and worklist work; migrate and demo do not",
            FLOWS_EXTRA,
            needed=needed,
        )
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return Check(
            "orchestration",
            "Prefect",
            True,
            "no PREFECT_API_URL: flows run in Prefect's embedded mode",
            needed=False,
        )
    import httpx

    try:
        response = httpx.get(url.rstrip("/") + "/health", timeout=TIMEOUT)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        return Check(
            "orchestration",
            "Prefect",
            False,
            f"{url} does not answer ({type(exc).__name__})",
            "start the Prefect server, or unset PREFECT_API_URL to run embedded",
        )
    return Check("orchestration", "Prefect", True, f"{url} answers")


def service(config_path: Path) -> Iterator[Check]:
    """The checks of a service's configuration, one at a time."""
    try:
        config = load_config(config_path)
    except NffsError as exc:
        yield Check("service", "configuration", False, _short(exc), "fix the file")
        return
    yield Check(
        "service",
        "configuration",
        True,
        f"{config_path.name}: service {config.service.id}, {config.source.system}",
    )
    yield _guarded("service", "source", lambda: _source(config))
    yield _guarded("service", "document share", lambda: _documents(config))
    yield _guarded("service", "mapping", lambda: _mapping(config))
    yield _guarded("service", "rule profile", lambda: _profile(config))
    yield _guarded("service", "target", lambda: _target(config))
    yield _guarded("service", "ledger", lambda: _ledger(config))


def _uses(config_path: Path | None) -> tuple[bool, bool, str | None]:
    """Whether the service needs pyodbc, psycopg, and the ODBC driver its URL names."""
    if config_path is None:
        return False, False, None
    try:
        config = load_config(config_path)
        urls = [
            config.url(config.source, "source"),
            config.url(config.target, "target"),
            config.url(config.ledger, "ledger"),
        ]
    except NffsError:
        return False, False, None
    parsed = [sa.make_url(u) for u in urls if "://" in u]
    odbc = [u for u in parsed if u.get_driver_name() == "pyodbc"]
    driver = odbc[0].query.get("driver") if odbc else None
    postgres = any(u.get_backend_name() == "postgresql" for u in parsed)
    return bool(odbc), postgres, driver if isinstance(driver, str) else None


def diagnose(config_path: Path | None = None, *, installation_only: bool = False) -> Diagnosis:
    """Run the checks: the installation, and the service's configuration when given."""
    pyodbc_needed, postgres_needed, driver = _uses(config_path)
    checks = [check_data_files(), check_psycopg(postgres_needed)]
    checks += check_pyodbc(pyodbc_needed, driver)
    if not installation_only:
        if config_path is not None:
            checks += list(service(config_path))
        checks.append(check_prefect(needed=config_path is not None))
    return Diagnosis(checks)


__all__ = [
    "Check",
    "DataFile",
    "Diagnosis",
    "check_data_files",
    "check_prefect",
    "data_files",
    "diagnose",
    "service",
]
