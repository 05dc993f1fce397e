"""An incomplete installation or an extraction that went wrong as a whole fails loudly.

Missing data files (mapping folder, list, profile, rule cases) exit 2 naming the file;
an extraction that rejects most of a table, maps none of a code list's values or finds
no document file exits 1 with one line each, and validation keeps the gate closed.
`doctor` is tested on a good installation, a missing ODBC driver manager, an
unreachable target and a target of another schema version.
"""

from __future__ import annotations

import json
import shutil
import sys
from importlib.resources import as_file
from pathlib import Path

import pytest
import sqlalchemy as sa

from nffs_migration.extractors.klibnet.extractor import KlibnetExtractor
from nffs_migration.sample_data.generate import generate


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("klibnet") / "source"
    generate("klibnet", folder, cases=40, seed=5, dirt="none")
    return folder


@pytest.fixture
def mappings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of KLIBnet's mapping folder that the extractor reads instead of its own."""
    copy = tmp_path / "mappings"
    with as_file(KlibnetExtractor.mappings_dir) as shipped:
        shutil.copytree(shipped, copy)
    monkeypatch.setattr(KlibnetExtractor, "mappings_dir", copy)
    return copy


def _extract(cli, source: Path, out: Path, *extra: str):
    return cli(
        "extract",
        "klibnet",
        "--source",
        f"sqlite:///{source / 'klibnet.sqlite'}",
        "--documents",
        str(source / "share"),
        "--service",
        "0942",
        "--out",
        str(out),
        *extra,
    )


def test_a_missing_mapping_folder_exits_2_naming_it(cli, source, mappings, tmp_path) -> None:
    shutil.rmtree(mappings)
    result = _extract(cli, source, tmp_path / "pkg")
    assert result.exit_code == 2
    assert str(mappings) in result.stderr and "folder of mapping lists is missing" in result.stderr
    assert "reinstall" in result.stderr
    assert not (tmp_path / "pkg").exists()


def test_a_missing_mapping_list_exits_2_naming_the_file(cli, source, mappings, tmp_path) -> None:
    (mappings / "sex.csv").unlink()
    result = _extract(cli, source, tmp_path / "pkg")
    assert result.exit_code == 2
    assert str(mappings / "sex.csv") in result.stderr
    assert "the mapping list sex is missing" in result.stderr
    assert not (tmp_path / "pkg").exists()


def test_an_empty_mapping_list_exits_2_naming_the_file(cli, source, mappings, tmp_path) -> None:
    (mappings / "doc_type.csv").write_text("# version 1\nsource,target\n", encoding="utf-8")
    result = _extract(cli, source, tmp_path / "pkg")
    assert result.exit_code == 2
    assert f"{mappings / 'doc_type.csv'}: the mapping list doc_type holds no rows" in result.stderr


def test_a_missing_rule_profile_exits_2_naming_the_file(cli, source, tmp_path, monkeypatch) -> None:
    from nffs_migration.validators import profile

    gone = tmp_path / "profiles" / "canton-default.yaml"
    monkeypatch.setattr(profile, "DEFAULT", gone)
    result = _extract(cli, source, tmp_path / "pkg")
    assert result.exit_code == 2
    assert f"{gone}: the rule profile is missing" in result.stderr
    given = cli("validate", str(tmp_path / "pkg"), "--profile", str(tmp_path / "mine.yaml"))
    assert given.exit_code == 2
    assert f"{tmp_path / 'mine.yaml'}: the rule profile is missing" in given.stderr


def test_a_missing_rule_case_file_exits_2_naming_it(cli, tmp_path, monkeypatch) -> None:
    from nffs_migration.validators import cases

    copy = tmp_path / "cases"
    with as_file(cases.CASES) as shipped:
        shutil.copytree(shipped, copy)
    (copy / "contact-overdue.yaml").unlink()
    monkeypatch.setattr(cases, "CASES", copy)
    result = cli("rules")
    assert result.exit_code == 2
    assert f"{copy / 'contact-overdue.yaml'}: the rule cases of contact-overdue is missing" in (
        result.stderr
    )


def test_rejects_over_the_share_exit_1_and_close_the_gate(cli, source, mappings, tmp_path) -> None:
    # A wrong mapping file: KLIBnet's staff functions mapped for another system's codes.
    (mappings / "staff_role.csv").write_text(
        "# version wrong\nsource,target\nSOZ,social_worker\n", encoding="utf-8"
    )
    package = tmp_path / "pkg"
    result = _extract(cli, source, package)
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("alarm: tblMitarbeiter"))
    assert "records rejected (100%, more than 20 %)" in line
    assert "alarm: code list staff_role: none of its" in result.stdout
    assert "validation keeps the gate closed" in result.stdout
    validated = cli("validate", str(package))
    assert validated.exit_code == 1
    report = json.loads((package / "reports" / "validation.json").read_text(encoding="utf-8"))
    errors = {
        (f["rule_id"], f["source_key"]) for f in report["findings"] if f["severity"] == "error"
    }
    assert ("reject-rate-high", "tblMitarbeiter") in errors
    assert ("code-list-unmapped", "staff_role") in errors


def test_the_share_is_settable_in_a_service_profile(cli, source, mappings, tmp_path) -> None:
    (mappings / "staff_role.csv").write_text(
        "# version partial\nsource,target\nSA,social_worker\n", encoding="utf-8"
    )
    profile = tmp_path / "0942.yaml"
    profile.write_text(
        "profile: 0942\nextends: canton-default\nparams:\n  max_reject_percent: 90\n",
        encoding="utf-8",
    )
    tolerant = _extract(cli, source, tmp_path / "a", "--profile", str(profile))
    assert "alarm:" not in tolerant.stdout and tolerant.exit_code == 0
    strict = _extract(cli, source, tmp_path / "b")
    assert strict.exit_code == 1 and "alarm: tblMitarbeiter" in strict.stdout


def test_a_code_list_that_maps_nothing_exits_1(cli, source, mappings, tmp_path) -> None:
    # An optional code: nothing is rejected, yet the list translated none of its values.
    (mappings / "language.csv").write_text(
        "# version wrong\nsource,target\nDEU,de\n", encoding="utf-8"
    )
    result = _extract(cli, source, tmp_path / "pkg")
    assert result.exit_code == 1
    alarms = [x for x in result.stdout.splitlines() if x.startswith("alarm:")]
    assert len(alarms) == 1 and alarms[0].startswith("alarm: code list language: none of its")
    manifest = json.loads((tmp_path / "pkg" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["mapped_codes"].get("language", 0) == 0 and manifest["mapped_codes"]["sex"] > 0


def test_a_document_share_that_yields_no_file_exits_1(cli, source, tmp_path) -> None:
    empty = tmp_path / "empty-share"
    empty.mkdir()
    result = cli(
        "extract",
        "klibnet",
        "--source",
        f"sqlite:///{source / 'klibnet.sqlite'}",
        "--documents",
        str(empty),
        "--service",
        "0942",
        "--out",
        str(tmp_path / "pkg"),
    )
    assert result.exit_code == 1
    assert "alarm: documents: the source lists" in result.stdout
    assert "none of their files was found; check the document share" in result.stdout


def test_a_clean_extraction_raises_no_alarm(cli, source, tmp_path) -> None:
    result = _extract(cli, source, tmp_path / "pkg")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "alarm:" not in result.stdout


# -- doctor ------------------------------------------------------------------------------


def _service(tmp_path: Path, source: Path, target: str) -> Path:
    config = tmp_path / "0942.yaml"
    config.write_text(
        "service: {id: '0942', name: Sozialdienst Thun}\n"
        f"source: {{system: klibnet, url: 'sqlite:///{source / 'klibnet.sqlite'}', "
        f"documents: '{source / 'share'}'}}\n"
        f"target: {{url: '{target}'}}\n"
        f"ledger: {{url: 'sqlite:///{tmp_path / 'ledger.db'}'}}\n",
        encoding="utf-8",
    )
    return config


def _lines(result) -> dict[str, str]:
    found = {}
    for line in result.stdout.splitlines():
        if "·" in line:
            head, _, rest = line.partition(": ")
            found[head.split("·")[1].strip()] = head.split()[0] + " " + rest
    return found


def test_doctor_on_a_good_installation_is_ready(cli, source, tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    config = _service(tmp_path, source, f"sqlite:///{tmp_path / 'target.db'}")
    result = cli("doctor", "--config", str(config))
    assert result.exit_code == 0, result.stdout
    lines = _lines(result)
    assert lines["data files"].startswith("ok ")
    for name in ("configuration", "source", "document share", "mapping", "target", "ledger"):
        assert lines[name].startswith("ok "), (name, lines[name])
    assert "ready" in result.stdout


def test_doctor_names_a_missing_odbc_driver_manager(cli, source, tmp_path, monkeypatch) -> None:
    # pyodbc as it imports on a machine without unixODBC.
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "pyodbc.py").write_text(
        "raise ImportError('libodbc.so.2: cannot open shared object file: "
        "No such file or directory')\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(fake))
    monkeypatch.delitem(sys.modules, "pyodbc", raising=False)
    odbc = _service(
        tmp_path,
        source,
        f"sqlite:///{tmp_path / 'target.db'}",
    )
    text = odbc.read_text(encoding="utf-8").replace(
        f"url: 'sqlite:///{source / 'klibnet.sqlite'}'",
        "url_env: NFFS_TEST_ODBC_SOURCE",
    )
    odbc.write_text(text, encoding="utf-8")
    monkeypatch.setenv(
        "NFFS_TEST_ODBC_SOURCE", "mssql+pyodbc://reader@klibnet/thun?driver=ODBC+Driver+18"
    )
    result = cli("doctor", "--config", str(odbc))
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if "pyodbc" in x)
    assert line.startswith("FAIL") and "libodbc.so.2" in line
    assert "fix: install the ODBC driver manager: apt-get install unixodbc" in result.stdout
    # Without an ODBC source, the same machine is ready: the driver is only a warning.
    plain = cli("doctor")
    assert plain.exit_code == 0
    assert next(x for x in plain.stdout.splitlines() if "pyodbc" in x).startswith("warn")


def test_doctor_fails_on_an_unreachable_target(cli, source, tmp_path) -> None:
    config = _service(tmp_path, source, "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = cli("doctor", "--config", str(config))
    assert result.exit_code == 1
    line = _lines(result)["target"]
    assert line.startswith("FAIL") and "OperationalError" in line
    assert _lines(result)["source"].startswith("ok ")


@pytest.mark.postgres
def test_doctor_names_scratch_tables_an_interrupted_load_left(
    cli, source, tmp_path, postgres_database
) -> None:
    from nffs_migration.loaders import create_target_engine, init_target

    engine = create_target_engine(postgres_database)
    init_target(engine)
    with engine.begin() as connection:
        # What a killed large load leaves: a committed scratch table, its backend gone.
        connection.exec_driver_sql("CREATE UNLOGGED TABLE nffs_scratch_1_cases_0a1b2c3d (id text)")
    engine.dispose()
    config = _service(tmp_path, source, postgres_database)
    result = cli("doctor", "--config", str(config))
    assert result.exit_code == 0, result.stdout
    line = _lines(result)["target"]
    assert line.startswith("ok ") and "1 scratch table of an interrupted load" in line


def test_doctor_fails_on_a_target_of_another_schema_version(cli, source, tmp_path) -> None:
    from nffs_migration.loaders import create_target_engine, init_target

    url = f"sqlite:///{tmp_path / 'target.db'}"
    engine = create_target_engine(url)
    init_target(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE nffs_schema_version SET format_version = '2.0.0'"))
    engine.dispose()
    config = _service(tmp_path, source, url)
    result = cli("doctor", "--config", str(config))
    assert result.exit_code == 1
    line = _lines(result)["target"]
    assert line.startswith("FAIL") and "follows format 2.0.0" in line
    assert "fix: a new major format version needs a migration" in result.stdout


def test_doctor_finds_a_missing_data_file(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(KlibnetExtractor, "mappings_dir", tmp_path / "nowhere")
    result = cli("doctor", "--installation")
    assert result.exit_code == 1
    line = _lines(result)["data files"]
    assert line.startswith("FAIL") and "17 of" in line and str(tmp_path / "nowhere") in line
    assert "reinstall nffs-migration" in result.stdout
