"""Generated cantons: services that share people, with the truth about who is who."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from nffs_migration.errors import ConfigurationError
from nffs_migration.sample_data.canton import birth_typo, generate_canton, name_typo

SERVICES = (("0942", "klibnet"), ("0351", "kiss"))


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_same_arguments_give_the_same_canton(tmp_path: Path) -> None:
    first = generate_canton(tmp_path / "a", services=SERVICES, cases=40, seed=5)
    second = generate_canton(tmp_path / "b", services=SERVICES, cases=40, seed=5)
    assert first.truth == second.truth
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")


def test_the_second_service_knows_people_of_the_first(tmp_path: Path) -> None:
    canton = generate_canton(tmp_path / "c", services=SERVICES, cases=80, seed=2)
    records = canton.truth["records"]
    identities: dict[str, set[str]] = {}
    for key, identity in records.items():
        identities.setdefault(identity, set()).add(key.split(":")[0])
    shared = [i for i, services in identities.items() if len(services) > 1]
    assert shared
    moved = canton.truth["defects"]["moved"] + canton.truth["defects"].get("separated", [])
    assert all(key.startswith("0351:kiss:") for key in moved)
    # Every person row of each source has a true identity.
    with sqlite3.connect(tmp_path / "c" / "0351-kiss" / "kiss.sqlite") as db:
        ids = {str(row[0]) for row in db.execute("SELECT BaPersonID FROM BaPerson")}
    assert ids <= {key.removeprefix("0351:kiss:") for key in records if key.startswith("0351:")}


def test_an_unknown_dirt_level_or_a_service_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        generate_canton(tmp_path / "d", dirt="filthy")
    with pytest.raises(ConfigurationError):
        generate_canton(tmp_path / "e", services=(("0942", "kiss"), ("0942", "tutoris")))


def test_typos_change_a_name_a_little() -> None:
    import random

    rng = random.Random(1)  # noqa: S311 - a seeded stream, as the generator uses
    for name in ("Müller", "Keller", "Schneider", "Rossi", "Yilmaz"):
        typo = name_typo(rng, name)
        assert typo != name and abs(len(typo) - len(name)) <= 1


def test_a_birth_date_typo_is_a_swap_or_one_digit() -> None:
    import random

    rng = random.Random(3)  # noqa: S311 - a seeded stream, as the generator uses
    for born in (date(1980, 3, 12), date(1975, 11, 30), date(2001, 1, 1), date(1990, 2, 28)):
        typo = birth_typo(rng, born)
        differing = sum(a != b for a, b in zip(born.isoformat(), typo.isoformat(), strict=True))
        swapped = typo == date(born.year, born.day, born.month) if born.day <= 12 else False
        assert typo != born and (differing == 1 or swapped)
