"""The distribution: the wheel holds every tracked file of the installed folders, and runs.

The wheel is compared with `git ls-files` of every folder that `package-dir` installs,
so a data file that a glob in pyproject.toml misses (a mapping list, a profile, a rule
case) fails here, not on a user's machine. What stays out on purpose is listed in
`LEFT_OUT`, each with its reason. The wheel is then run twice without the source tree:
unpacked, and as the zip file itself (a zipped layout: resources have no file path).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: Tracked files of the installed folders that the wheel leaves out, and why.
LEFT_OUT = {
    "sample_data/examples/": "small committed sources for the documentation and the tests; "
    "nothing reads them at run time, and `nffs-migrate sample` writes the same at any size",
}
#: Modules that may use `__file__`: developer scripts that rewrite the source tree.
WRITES_SOURCE_TREE = {
    "extractors/tutoris/countries.py",  # regenerates mappings/nationality.csv
    "sample_data/examples.py",  # regenerates sample_data/examples/
}


def _setuptools() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def _tracked(folder: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", folder],
        cwd=REPO,
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return [name for name in listed.split("\0") if name]


def expected_wheel_files() -> dict[str, str]:
    """Wheel path -> repository path of every tracked file that must ship."""
    expected = {}
    for package, folder in _setuptools()["package-dir"].items():
        for path in _tracked(folder):
            if any(path.startswith(prefix) for prefix in LEFT_OUT):
                continue
            relative = Path(path).relative_to(folder)
            expected["/".join([*package.split("."), *relative.parts])] = path
    return expected


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of the tracked files, as a fresh clone has them: a build/ folder
    # left in the working tree would otherwise lend the wheel files it no longer ships.
    tree = tmp_path_factory.mktemp("tree")
    for path in _tracked("."):
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / path, tree / path)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(tree),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return next(out.glob("nffs_migration-*.whl"))


def test_every_python_folder_is_listed_as_a_package() -> None:
    config = _setuptools()
    listed = set(config["packages"])
    expected = set()
    for package, folder in config["package-dir"].items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder)
            expected.add(".".join([package, *relative.parts]))
    assert expected == listed


def test_wheel_holds_every_tracked_file_of_the_installed_folders(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = expected_wheel_files()
    missing = sorted(source for target, source in expected.items() if target not in names)
    assert missing == []
    # The comparison sees data files, not only modules.
    assert any(name.endswith("mappings/sex.csv") for name in expected)
    assert any(name.endswith("profiles/canton-default.yaml") for name in expected)


def test_what_is_left_out_is_tracked_so_the_list_stays_true() -> None:
    for prefix in LEFT_OUT:
        assert _tracked(prefix), f"{prefix} is listed in LEFT_OUT but tracks nothing"


def test_no_module_finds_its_data_through_its_own_path() -> None:
    offenders = []
    for folder in _setuptools()["package-dir"].values():
        for path in _tracked(folder):
            readable = path.endswith(".py") and path not in WRITES_SOURCE_TREE
            if readable and "__file__" in (REPO / path).read_text(encoding="utf-8"):
                offenders.append(path)
    assert offenders == [], "read package data with nffs_migration.resources instead"


def _run(args: list[str], path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(path), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_unpacked_wheel_runs_the_cli_and_finds_its_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    where = _run(
        ["-c", "import nffs_migration.schemas.export as e; print(e.__file__)"], target, tmp_path
    )
    assert where.stdout.startswith(str(target)), where.stdout + where.stderr
    result = _run(["-m", "nffs_migration", "--help"], target, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "schema" in result.stdout
    result = _run(["-m", "nffs_migration", "doctor", "--installation"], target, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "data files" in result.stdout


def test_zipped_wheel_reads_mappings_profiles_and_cases(wheel: Path, tmp_path: Path) -> None:
    # A wheel is a zip that Python can import from: no resource has a file path there.
    script = (
        "from nffs_migration.extractors import get_extractor\n"
        "from nffs_migration.extractors.mapping import CodeMapper\n"
        "from nffs_migration.validators.cases import load_cases\n"
        "from nffs_migration.validators.profile import load_profile\n"
        "from nffs_migration.flows.doctor import data_files\n"
        "e = get_extractor('klibnet')\n"
        "m = CodeMapper.load(e.mappings_dir, required=e.mapping_lists)\n"
        "assert m.lookup('sex', 'M') == '1', m.tables['sex']\n"
        "assert 'zip' in type(e.mappings_dir).__module__, type(e.mappings_dir)\n"
        "assert load_profile().params.max_reject_percent == 20\n"
        "assert len(load_cases()) > 30\n"
        "assert all(f.present for f in data_files())\n"
        "print('ok')\n"
    )
    result = _run(["-c", script], wheel, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok"
