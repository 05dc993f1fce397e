"""The generator as a whole: its command, its errors, its documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from nffs_migration.errors import ConfigurationError
from nffs_migration.sample_data.dirt import KINDS, catalog_markdown
from nffs_migration.sample_data.generate import generate

REPO = Path(__file__).resolve().parents[2]


def test_committed_dirt_catalog_matches_the_code() -> None:
    assert (REPO / "docs" / "dirt-catalog.md").read_text(encoding="utf-8") == catalog_markdown(), (
        "docs/dirt-catalog.md is stale: regenerate it from nffs_migration.sample_data.dirt.catalog_markdown()"
    )


def test_every_dirt_kind_names_a_table_of_the_format_and_a_known_treatment() -> None:
    from nffs_migration.intermediate_format import TABLES

    for kind in KINDS.values():
        assert kind.table in TABLES, kind.id
        assert kind.expect in {"normalise", "finding", "reject", "exclude"}, kind.id
        assert set(kind.systems) <= {"klibnet", "kiss", "tutoris", "custom"}, kind.id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"system": "oracle"}, "unknown system"),
        ({"dirt": "filthy"}, "unknown dirt level"),
        ({"service_id": "94"}, "four digits"),
        ({"system": "tutoris", "url": "sqlite:///x.db"}, "--url is for database systems"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(
    tmp_path: Path, kwargs: dict, message: str
) -> None:
    arguments = {"system": "klibnet", **kwargs}
    system = arguments.pop("system")
    with pytest.raises(ConfigurationError, match=message):
        generate(system, tmp_path / "s", cases=5, **arguments)


def test_an_output_folder_with_content_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "keep.txt").write_text("x")
    with pytest.raises(ConfigurationError, match="not empty"):
        generate("klibnet", tmp_path / "s", cases=5)


def test_sample_command_writes_a_source_and_summarises_it(cli, tmp_path: Path) -> None:
    result = cli("sample", "tutoris", "--out", str(tmp_path / "t"), "--cases", "12", "--seed", "3")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "t" / "export.xml").exists() and (tmp_path / "t" / "truth.json").exists()
    assert "kinds of defect injected" in result.stdout
    result = cli("sample", "tutoris", "--out", str(tmp_path / "t"))
    assert result.exit_code == 2 and "not empty" in result.stderr


def test_same_seed_gives_the_same_people_in_every_system(tmp_path: Path) -> None:
    truths = {
        system: generate(system, tmp_path / system, cases=25, seed=8, dirt="none").truth["expected"]
        for system in ("klibnet", "tutoris")
    }
    for table in ("persons", "cases", "payments", "budget_items", "journal_entries"):
        assert truths["klibnet"][table] == truths["tutoris"][table], table


def _content(folder: Path) -> dict[str, object]:
    import sqlite3

    content: dict[str, object] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if path.suffix == ".sqlite":
            with sqlite3.connect(path) as db:
                names = [
                    n
                    for (n,) in db.execute(
                        "select name from sqlite_master where type='table' order by 1"
                    )
                ]
                content[relative] = {
                    n: db.execute(f'select * from "{n}" order by 1').fetchall() for n in names
                }
        else:
            content[relative] = path.read_bytes()
    return content


def test_committed_examples_are_what_the_generator_writes(tmp_path: Path) -> None:
    from nffs_migration.sample_data.examples import EXAMPLES, regenerate

    regenerate(tmp_path)
    for system in ("klibnet", "kiss", "tutoris", "custom"):
        assert _content(tmp_path / system) == _content(EXAMPLES / system), (
            f"sample_data/examples/{system} is stale: python -m nffs_migration.sample_data.examples"
        )


@pytest.mark.parametrize(
    ("system", "database"), [("klibnet", "klibnet.sqlite"), ("kiss", "kiss.sqlite")]
)
def test_no_change_is_stamped_after_the_source_moment(
    system: str, database: str, tmp_path: Path
) -> None:
    """A source generated early in the day holds no change stamped later that day: such a
    stamp would fall behind the next delta's high-water mark (the demo lost a new person
    that way when it ran before 17:00)."""
    import sqlite3
    from datetime import datetime

    as_of = datetime(2026, 3, 14, 1, 30)  # noqa: DTZ001 - local time, as the sources keep it
    generate(system, tmp_path / system, cases=120, seed=5, as_of=as_of)
    connection = sqlite3.connect(tmp_path / system / database)
    checked = 0
    for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in connection.execute(f"PRAGMA table_info({table})"):
            column = row[1]
            if column in ("MutDatum", "Modified"):
                latest = connection.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
                checked += 1
                assert latest is None or latest[:19] <= as_of.isoformat(sep=" "), (table, latest)
    connection.close()
    assert checked >= 5
