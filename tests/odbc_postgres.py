"""A PostgreSQL dialect over pyodbc, for tests: production reads SQL Server through
`mssql+pyodbc`, and this lets the tests exercise the same ODBC path (pyodbc over
unixODBC, Debian's `odbc-postgresql` driver) against the local PostgreSQL server.
Through ODBC, booleans arrive as '1'/'0' strings and amounts as Decimal.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import sqlalchemy as sa
from sqlalchemy.connectors.pyodbc import PyODBCConnector
from sqlalchemy.dialects.postgresql.base import PGDialect


class PGDialectPyodbc(PyODBCConnector, PGDialect):
    supports_statement_cache = True
    supports_native_boolean = False

    def _get_server_version_info(self, connection: Any) -> tuple[int, int]:
        number = int(
            connection.exec_driver_sql("select current_setting('server_version_num')").scalar()
        )
        return number // 10000, number % 10000 // 100

    def get_isolation_level(self, dbapi_connection: Any) -> str:
        return "READ COMMITTED"

    def _set_backslash_escapes(self, connection: Any) -> None:
        self._backslash_escapes = False


sa.dialects.registry.register("postgresql.pyodbc", __name__, "PGDialectPyodbc")


def odbc_url(postgres_url: str) -> str:
    """The `postgresql+pyodbc` URL of a `postgresql+psycopg` one (same server and database)."""
    url = sa.make_url(postgres_url)
    odbc = (
        f"DRIVER={{PostgreSQL Unicode}};SERVER={url.host};PORT={url.port or 5432};"
        f"DATABASE={url.database};UID={url.username or 'postgres'};"
    )
    return "postgresql+pyodbc:///?odbc_connect=" + urllib.parse.quote_plus(odbc)
