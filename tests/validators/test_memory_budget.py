"""The memory budget of validation: how it is written, its default, and that it changes no finding."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from extractor_kit import GENERATED_OPTIONS as SOURCES
from extractor_kit import extract

from nffs_migration.errors import ConfigurationError
from nffs_migration.intermediate_format import open_package
from nffs_migration.intermediate_format.definition import TABLES
from nffs_migration.sample_data.generate import generate
from nffs_migration.validators import validate_package
from nffs_migration.validators.memory import (
    DEFAULT_CAP,
    ENV,
    FLOOR,
    default_budget,
    memory_budget,
    parse_size,
)
from nffs_migration.validators.source import PackageSource

GIB = 1 << 30
MIB = 1 << 20


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1.5G", 3 * GIB // 2),
        ("800M", 800 * MIB),
        ("800m", 800 * MIB),
        ("2GiB", 2 * GIB),
        ("512MB", 512 * MIB),
        (" 1 G ", GIB),
        ("4096K", 4 * MIB),
        ("1073741824", GIB),
        ("0.5T", 512 * GIB),
    ],
)
def test_sizes_are_read_in_binary_units(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "G", "1.5X", "-1G", "one gig", "1,5G", "512K", "100"])
def test_a_size_that_is_not_one_or_too_small_is_refused(text: str) -> None:
    with pytest.raises(ConfigurationError, match="memory budget"):
        parse_size(text)


@pytest.mark.parametrize(
    ("total", "budget"),
    [
        (24 * GIB, DEFAULT_CAP),  # the reference machine: 768 MiB
        (64 * GIB, DEFAULT_CAP),
        (4 * GIB, 512 * MIB),  # an eighth
        (1 * GIB, FLOOR),
        (None, default_budget()),
    ],
)
def test_the_default_is_an_eighth_of_the_memory_within_floor_and_cap(
    total: int | None, budget: int
) -> None:
    assert default_budget(total) == budget
    assert FLOOR <= default_budget() <= DEFAULT_CAP


def test_the_caller_wins_over_the_environment_which_wins_over_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert memory_budget(None) == default_budget()
    monkeypatch.setenv(ENV, "300M")
    assert memory_budget(None) == 300 * MIB
    assert memory_budget("2G") == 2 * GIB
    assert memory_budget(5 * MIB) == 5 * MIB
    monkeypatch.setenv(ENV, "lots")
    with pytest.raises(ConfigurationError):
        memory_budget(None)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A package with findings of many rules and tables of a few thousand rows."""
    tmp = tmp_path_factory.mktemp("budget")
    source = generate("klibnet", tmp / "source", cases=120, seed=19, dirt="heavy")
    out = tmp / "package"
    extract("klibnet", source, SOURCES["klibnet"], out)
    return out


def _report(package: Path, budget: str) -> dict[str, Any]:
    data = validate_package(package, write=False, memory_budget=budget).to_dict()
    data["meta"].pop("validated_at")
    return data


@pytest.fixture(scope="module")
def roomy(dirty: Path) -> dict[str, Any]:
    return _report(dirty, "8G")


@pytest.mark.parametrize("budget", ["1M", "2M", "6M", "48M"])
def test_a_small_budget_streams_and_gives_the_same_report(
    dirty: Path, roomy: dict[str, Any], budget: str
) -> None:
    with open_package(dirty) as package:
        source = PackageSource(package, memory_budget(budget))
        largest = max(TABLES, key=source.rows)
        streamed = [name for name in TABLES if not source._whole(name)]
        assert budget != "1M" or largest in streamed
        assert source.rows(largest) > 1024  # several batches at the smallest budget
    assert _report(dirty, budget) == roomy
    assert roomy["findings"] and len(roomy["results"]) > 10


@pytest.mark.parametrize("budget", ["1M", "8G"])
def test_parts_of_a_table_add_up_to_the_table(dirty: Path, budget: str) -> None:
    with open_package(dirty) as package:
        source = PackageSource(package, memory_budget(budget))
        try:
            for name in ("journal_entries", "persons"):
                columns = [TABLES[name].primary_key, "source_key", "case_id"][:2]
                parts = list(source.column_batches(name, columns))  # before anything is held
                whole = source.frame(name, columns)
                joined = pd.concat(parts, ignore_index=True)
                pd.testing.assert_frame_equal(joined, whole)
                batches = pd.concat(list(source.batches(name)), ignore_index=True)
                pd.testing.assert_frame_equal(batches[columns], whole)
                positions = np.array([0, 3, len(whole) - 1])
                taken = source.take(name, columns, positions)
                expected = whole.iloc[positions].reset_index(drop=True)
                pd.testing.assert_frame_equal(taken.reset_index(drop=True), expected)
                if budget == "1M" and name == "journal_entries":
                    assert len(parts) > 1
        finally:
            source.close()


def test_the_command_refuses_a_budget_that_is_not_a_size(cli, dirty: Path) -> None:
    result = cli("validate", str(dirty), "--memory", "lots")
    assert result.exit_code == 2
    assert "1.5G" in result.stdout + result.stderr
