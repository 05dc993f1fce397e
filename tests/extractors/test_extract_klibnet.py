"""KLIBnet extraction: the conformance kit, then KLIBnet's own cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from extractor_kit import extract, extractor_conformance

from nffs_migration.intermediate_format import TABLES, open_package
from nffs_migration.sample_data.generate import GeneratedSource, generate


def klibnet_options(source: GeneratedSource) -> dict[str, Any]:
    return {
        "source": f"sqlite:///{source.out / 'klibnet.sqlite'}",
        "documents": source.out / "share",
    }


class TestKlibnetConformance(extractor_conformance("klibnet", klibnet_options)):
    pass


def _frames(package: Path) -> dict[str, pd.DataFrame]:
    with open_package(package) as opened:
        return {name: opened.frame(name).drop(columns=["source_system"]) for name in TABLES}


@pytest.mark.postgres
def test_same_klibnet_data_from_sqlite_and_postgresql_gives_identical_packages(
    tmp_path: Path, postgres_database: str
) -> None:
    lite = generate("klibnet", tmp_path / "lite", cases=60, seed=9)
    pg = generate("klibnet", tmp_path / "pg", cases=60, seed=9, url=postgres_database)
    extract("klibnet", lite, klibnet_options, tmp_path / "p1")
    extract(
        "klibnet",
        pg,
        lambda s: {"source": postgres_database, "documents": s.out / "share"},
        tmp_path / "p2",
    )
    one, two = _frames(tmp_path / "p1"), _frames(tmp_path / "p2")
    for name in TABLES:
        pd.testing.assert_frame_equal(one[name], two[name], check_like=False, obj=name)
    first = (tmp_path / "p1" / "manifest.json").read_text()
    second = (tmp_path / "p2" / "manifest.json").read_text()
    assert '"content_sha256"' in first
    import json

    assert json.loads(first)["content_sha256"] == json.loads(second)["content_sha256"]


@pytest.mark.postgres
def test_klibnet_read_through_pyodbc_and_unixodbc_gives_the_same_package(
    tmp_path: Path, postgres_database: str
) -> None:
    pyodbc = pytest.importorskip("pyodbc")
    assert "PostgreSQL Unicode" in pyodbc.drivers(), (
        "install unixodbc and odbc-postgresql (.ci/run does)"
    )
    from odbc_postgres import odbc_url

    lite = generate("klibnet", tmp_path / "lite", cases=40, seed=13)
    pg = generate("klibnet", tmp_path / "pg", cases=40, seed=13, url=postgres_database)
    extract("klibnet", lite, klibnet_options, tmp_path / "p1")
    extract(
        "klibnet",
        pg,
        lambda s: {"source": odbc_url(postgres_database), "documents": s.out / "share"},
        tmp_path / "p2",
    )
    one, two = _frames(tmp_path / "p1"), _frames(tmp_path / "p2")
    for name in TABLES:
        pd.testing.assert_frame_equal(one[name], two[name], obj=name)
