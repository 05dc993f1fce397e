"""Shared fixtures: the CLI in-process, PostgreSQL, and no skips in CI.

In CI (`CI` set, as `.ci/run` does) a skipped test is a failure: a test that needs
PostgreSQL must run there, never quietly skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

IN_CI = bool(os.environ.get("CI"))
POSTGRES_URL = os.environ.get(
    "NFFS_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run `nffs-migrate ARGS` in-process through the real entry point."""
    from nffs_migration.cli import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["nffs-migrate", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def postgres_databases(postgres_url: str) -> Iterator[Callable[[], str]]:
    """A maker of fresh, empty PostgreSQL databases for one test, all dropped afterwards."""
    import uuid

    import sqlalchemy as sa

    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        name = f"nffs_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return sa.make_url(postgres_url).set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as connection:
            for name in made:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def postgres_database(postgres_databases: Callable[[], str]) -> str:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    return postgres_databases()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the real PostgreSQL server; skip outside CI when it is down (fails in CI)."""
    import sqlalchemy as sa

    engine = sa.create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
    except sa.exc.OperationalError:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    finally:
        engine.dispose()
    return POSTGRES_URL
