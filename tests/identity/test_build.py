"""`nffs-migrate identity build`: outputs, the target's tables, languages, errors, privacy."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from nffs_migration.identity.output import FILES, TARGET_TABLES
from nffs_migration.loaders.schema import METADATA, PACKAGE_COLUMN


@pytest.fixture(scope="module")
def target(canton, tmp_path_factory) -> str:
    """A SQLite target holding the canton's persons, cases and members (as if loaded)."""
    path = tmp_path_factory.mktemp("target") / "target.sqlite"
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    METADATA.create_all(
        engine, tables=[METADATA.tables[t] for t in ("persons", "cases", "case_members")]
    )
    with engine.begin() as connection:
        for package in canton.packages:
            for table in ("persons", "cases", "case_members"):
                rows = pq.read_table(package / "tables" / f"{table}.parquet").to_pylist()
                for row in rows:
                    row[PACKAGE_COLUMN] = package.name
                connection.execute(METADATA.tables[table].insert(), rows)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def built(canton, tmp_path_factory, target) -> dict[str, Path]:
    """Outputs in English, German and French, from packages and from the target."""
    from nffs_migration.cli import main  # noqa: F401 - the entry point is importable
    from nffs_migration.i18n import set_language
    from nffs_migration.identity.build import build_identity

    root = tmp_path_factory.mktemp("identity")
    outs = {}
    for lang in ("en", "de", "fr"):
        set_language(lang)
        build_identity(canton.packages, root / lang)
        outs[lang] = root / lang
    set_language("en")
    build_identity([], root / "target", target_url=target)
    outs["target"] = root / "target"
    return outs


def test_build_writes_links_clusters_conflicts_summary_and_report(built) -> None:
    out = built["en"]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    links = pl.read_parquet(out / "links.parquet")
    assert links.columns == list(TARGET_TABLES["person_links"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["figures"]["links"] == links.filter(pl.col("status") == "linked").height
    assert {s["service_id"] for s in summary["services"]} == {"0942", "0351", "0355", "0404"}


def test_a_rerun_gives_the_same_outputs(built) -> None:
    for name in ("links.parquet", "clusters.parquet", "conflicts.parquet"):
        assert pl.read_parquet(built["en"] / name).equals(pl.read_parquet(built["de"] / name))
    assert (built["en"] / "summary.json").read_text() == (built["de"] / "summary.json").read_text()


def test_the_report_speaks_german_and_french(built) -> None:
    german = (built["de"] / "identity.html").read_text()
    french = (built["fr"] / "identity.html").read_text()
    assert '<html lang="de">' in german and "Personen über die Dienste" in german
    assert '<html lang="fr">' in french and "Personnes entre les services" in french
    assert "Konflikte" in german and "Conflits" in french


def test_the_target_gets_the_same_links_as_the_packages(built, target) -> None:
    engine = sa.create_engine(target)
    with engine.connect() as connection:
        stored = pl.read_database("SELECT * FROM person_links", connection)
        clusters = pl.read_database("SELECT * FROM person_clusters", connection)
        conflicts = pl.read_database("SELECT * FROM identity_conflicts", connection)
    engine.dispose()
    from_packages = pl.read_parquet(built["en"] / "links.parquet")
    from_target = pl.read_parquet(built["target"] / "links.parquet")
    assert from_target.equals(from_packages)
    assert stored.sort("left_person_id", "right_person_id").equals(from_packages)
    assert clusters.height == pl.read_parquet(built["en"] / "clusters.parquet").height
    assert conflicts.height == pl.read_parquet(built["en"] / "conflicts.parquet").height


def _personal_values(packages: list[Path]) -> set[str]:
    values: set[str] = set()
    for package in packages:
        for row in pq.read_table(package / "tables" / "persons.parquet").to_pylist():
            for name in (row["family_name"], row["given_name"]):
                if name and len(name) >= 4:
                    values.add(name)
            if row["ahvn13"]:
                ahv = row["ahvn13"]
                values.update({ahv, f"{ahv[:3]}.{ahv[3:7]}.{ahv[7:11]}.{ahv[11:]}"})
            if row["birth_date"]:
                born = row["birth_date"]
                values.update({born.isoformat(), born.strftime("%d.%m.%Y")})
    return values


def _leaks(values: set[str], text: str) -> list[str]:
    return sorted(
        value for value in values if re.search(r"(?<!\w)" + re.escape(value) + r"(?!\w)", text)
    )


def _text(folder: Path) -> str:
    parts = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".parquet":
            for row in pq.read_table(path).to_pylist():
                parts.extend(str(value) for value in row.values() if value is not None)
        else:
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_no_name_number_or_birth_date_reaches_any_output(
    canton, built, target, cli, tmp_path
) -> None:
    values = _personal_values(canton.packages)
    assert len(values) > 1000
    for folder in built.values():
        assert not _leaks(values, _text(folder)), folder.name
    engine = sa.create_engine(target)
    with engine.connect() as connection:
        stored = [
            str(cell)
            for table in TARGET_TABLES
            for row in connection.execute(sa.text(f"SELECT * FROM {table}"))
            for cell in row
            if cell is not None
        ]
    engine.dispose()
    assert not _leaks(values, "\n".join(stored))
    result = cli(
        "-vv", "identity", "build", *map(str, canton.packages), "--out", str(tmp_path / "o")
    )
    assert result.exit_code == 0, result.stderr
    assert not _leaks(values, result.stdout + result.stderr)


def test_the_command_links_and_says_what_it_found(canton, cli, tmp_path) -> None:
    out = tmp_path / "identity"
    result = cli("identity", "build", *map(str, canton.packages), "--out", str(out), "--lang", "de")
    assert result.exit_code == 0, result.stderr
    assert "Cluster" in result.stdout and str(out) in result.stdout
    assert (out / "identity.html").read_text().startswith("<!doctype html>")
    again = cli("identity", "build", *map(str, canton.packages), "--out", str(out))
    assert again.exit_code == 2 and "not empty" in again.stderr


def test_a_missing_package_is_named_and_exits_2(cli, tmp_path) -> None:
    result = cli("identity", "build", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "nowhere" in result.stderr and not (tmp_path / "o").exists()


def test_a_tampered_package_is_refused_with_its_file(canton, cli, tmp_path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(canton.packages[0], copy)
    persons = copy / "tables" / "persons.parquet"
    persons.write_bytes(persons.read_bytes()[:-20])
    result = cli("identity", "build", str(copy), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "persons.parquet" in result.stderr and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "args", [["--threshold", "1.5"], ["--threshold", "0.8", "--floor", "0.9x"]]
)
def test_a_bad_threshold_is_a_usage_error(canton, cli, tmp_path, args) -> None:
    result = cli("identity", "build", str(canton.packages[0]), "--out", str(tmp_path / "o"), *args)
    assert result.exit_code == 2


def test_nothing_to_link_is_a_usage_error(cli, tmp_path) -> None:
    result = cli("identity", "build", "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and "--target" in result.stderr


def test_the_canton_settings_file_sets_the_threshold(canton, tmp_path) -> None:
    from nffs_migration.identity.build import build_identity

    settings = tmp_path / "canton.yaml"
    settings.write_text("identity:\n  threshold: 0.97\n  floor: 0.8\n")
    result = build_identity(canton.packages, tmp_path / "o", settings=settings)
    assert result.linkage.threshold == 0.97 and result.linkage.floor == 0.8
    fuzzy = result.linkage.links.filter(pl.col("method") == "fuzzy")
    assert (fuzzy.filter(pl.col("status") == "linked")["score"] >= 0.97).all()
    explicit = build_identity(canton.packages, tmp_path / "p", settings=settings, threshold=0.9)
    assert explicit.linkage.threshold == 0.9


def test_help_shows_an_example(cli) -> None:
    result = cli("identity", "build", "--help")
    assert result.exit_code == 0 and "nffs-migrate identity build packages/" in result.stdout


def test_a_postgresql_target_loaded_by_the_loader_links_as_the_packages_do(
    canton, built, postgres_database, tmp_path
) -> None:
    """The real path: packages validated and loaded into PostgreSQL, the index built from
    the target and written into it; built twice, the tables are replaced, not doubled."""
    from nffs_migration.identity.build import build_identity
    from nffs_migration.loaders import create_target_engine, init_target, load_package
    from nffs_migration.validators import validate_package

    engine = create_target_engine(postgres_database)
    init_target(engine)
    engine.dispose()
    for package in canton.packages:
        copy = tmp_path / "packages" / package.name
        shutil.copytree(package, copy)
        validate_package(copy)
        load_package(copy, postgres_database, documents_store=tmp_path / "docs", validate=False)
    for run in ("first", "again"):
        build_identity([], tmp_path / run, target_url=postgres_database)
    from_packages = pl.read_parquet(built["en"] / "links.parquet")
    assert pl.read_parquet(tmp_path / "again" / "links.parquet").equals(from_packages)
    engine = sa.create_engine(postgres_database)
    with engine.connect() as connection:
        stored = pl.read_database("SELECT * FROM person_links", connection)
        conflicts = connection.execute(sa.text("SELECT count(*) FROM identity_conflicts"))
        conflict_rows = conflicts.scalar_one()
    engine.dispose()
    assert stored.sort("left_person_id", "right_person_id").equals(from_packages)
    assert conflict_rows == pl.read_parquet(built["en"] / "conflicts.parquet").height
