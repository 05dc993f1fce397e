"""Packages: round trip, checksums, tampering, zip safety, atomic writing."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from format_strategies import package_tables
from hypothesis import HealthCheck, given, settings

from nffs_migration.errors import PackageError
from nffs_migration.intermediate_format import TABLES, Batch, PackageWriter, open_package

AS_OF = datetime(2026, 3, 14, 18, 22, tzinfo=UTC)


def write_package(out: Path, tables: dict[str, pa.Table] | None = None, **kw: object) -> Path:
    with PackageWriter(
        out, service_id="0942", source_system="klibnet", data_as_of=AS_OF, **kw
    ) as writer:  # type: ignore[arg-type]
        for name, table in (tables or {}).items():
            writer.write(name, table)
            writer.account(
                f"src_{name}",
                read=table.num_rows + 1,
                migrated=table.num_rows,
                excluded=1,
                excluded_by_rule={"soft-deleted": 1},
            )
        writer.add_document("2020-0456/brief.txt", _bytes_file(out.parent, b"Sehr geehrte Frau"))
    return out


def _bytes_file(folder: Path, content: bytes) -> Path:
    path = folder / "source-document.bin"
    path.write_bytes(content)
    return path


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tables=package_tables(max_rows=8))
def test_every_table_round_trips_to_identical_frames(
    tables: dict[str, pa.Table], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("rt") / "package"
    write_package(out, tables)
    with open_package(out) as package:
        for name, table in tables.items():
            expected = table.to_pandas(types_mapper=pd.ArrowDtype)
            pd.testing.assert_frame_equal(package.frame(name), expected)
            assert package.manifest.tables[name].rows == table.num_rows


def test_zip_package_round_trips_and_unpacks_to_a_temporary_folder(tmp_path: Path) -> None:
    out = write_package(tmp_path / "package.zip")
    assert zipfile.is_zipfile(out)
    with open_package(out) as package:
        root = package.root
        assert package.frame("persons").empty
        assert (
            package.document_path("documents/2020-0456/brief.txt").read_bytes()
            == b"Sehr geehrte Frau"
        )
    assert not root.exists()


def test_same_content_gives_same_package_id_and_table_bytes(tmp_path: Path) -> None:
    first = write_package(tmp_path / "a")
    second = write_package(tmp_path / "b")
    one, two = (json.loads((p / "manifest.json").read_text()) for p in (first, second))
    assert one["package_id"] == two["package_id"]
    assert one["content_sha256"] == two["content_sha256"]
    for name in TABLES:
        assert (first / "tables" / f"{name}.parquet").read_bytes() == (
            second / "tables" / f"{name}.parquet"
        ).read_bytes()


def test_manifest_carries_counts_checksums_accounting_and_batch(tmp_path: Path) -> None:
    out = write_package(
        tmp_path / "p",
        batch=Batch(
            kind="delta",
            sequence=3,
            high_water_mark="2026-03-01T00:00:00",
            since="2026-02-01T00:00:00",
        ),
    )
    with open_package(out) as package:
        manifest = package.manifest
    assert manifest.batch.kind == "delta" and manifest.batch.sequence == 3
    assert set(manifest.tables) == set(TABLES)
    assert manifest.documents.count == 1 and manifest.documents.bytes == len(b"Sehr geehrte Frau")
    assert "documents/2020-0456/brief.txt" in manifest.files
    assert manifest.package_id.startswith("0942-klibnet-delta-0003-")


def _all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_changing_one_byte_of_any_file_is_refused_naming_that_file(tmp_path: Path) -> None:
    original = write_package(
        tmp_path / "p", {"persons": pa.Table.from_pylist([], schema=TABLES["persons"].arrow_schema)}
    )
    files = _all_files(original)
    assert "manifest.json" in files and "tables/persons.parquet" in files
    for relative in files:
        copy = tmp_path / f"copy-{relative.replace('/', '_')}"
        _copy_tree(original, copy)
        path = copy / relative
        data = bytearray(path.read_bytes())
        position = len(data) // 2
        data[position] = (data[position] + 1) % 256
        path.write_bytes(bytes(data))
        with pytest.raises(PackageError) as caught:
            open_package(copy).close()
        assert relative.split("/")[-1] in str(caught.value) or (
            relative == "manifest.json" and "manifest.json" in str(caught.value)
        ), (relative, str(caught.value))


def test_without_hashing_documents_only_a_document_may_differ_and_only_at_its_size(
    tmp_path: Path,
) -> None:
    """`hash_documents=False` leaves a document's bytes to the loader's store, nothing else."""
    original = write_package(tmp_path / "p")
    document = next(f for f in _all_files(original) if f.startswith("documents/"))
    for relative, same_size in (
        (document, True),
        (document, False),
        ("tables/cases.parquet", True),
        ("manifest.json", True),
    ):
        copy = tmp_path / f"copy-{relative.replace('/', '_')}-{same_size}"
        _copy_tree(original, copy)
        path = copy / relative
        data = bytearray(path.read_bytes())
        data[len(data) // 2] = (data[len(data) // 2] + 1) % 256
        path.write_bytes(bytes(data) if same_size else bytes(data) + b"!")
        with pytest.raises(PackageError):
            open_package(copy).close()
        if relative == document and same_size:
            open_package(copy, hash_documents=False).close()
        else:
            with pytest.raises(PackageError, match=relative.split("/")[-1].replace(".", r"\.")):
                open_package(copy, hash_documents=False).close()


def test_missing_and_unlisted_files_are_refused(tmp_path: Path) -> None:
    package = write_package(tmp_path / "p")
    (package / "tables" / "cases.parquet").unlink()
    with pytest.raises(PackageError, match=r"tables/cases\.parquet is missing"):
        open_package(package)
    other = write_package(tmp_path / "q")
    (other / "tables" / "extra.parquet").write_bytes(b"x")
    with pytest.raises(PackageError, match=r"tables/extra\.parquet is not listed"):
        open_package(other)


def test_unknown_major_format_version_is_refused(tmp_path: Path) -> None:
    package = write_package(tmp_path / "p")
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["format_version"] = "2.0.0"
    (package / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackageError, match=r"format version 2\.0\.0 is not supported"):
        open_package(package)


@pytest.mark.parametrize("entry", ["../../x", "/etc/x", "C:/x", "a/../../x", "a\\..\\..\\x"])
def test_zip_with_escaping_entry_is_refused_and_nothing_is_written_outside(
    tmp_path: Path, entry: str
) -> None:
    inner = tmp_path / "inner" / "deep"
    inner.mkdir(parents=True)
    archive = inner / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("manifest.json", "{}")
        zf.writestr(entry, "pwned")
    before = set(tmp_path.rglob("*"))
    with pytest.raises(PackageError, match="refused"):
        open_package(archive)
    assert set(tmp_path.rglob("*")) == before
    assert not Path("/etc/x").exists()


def test_failed_write_leaves_nothing_at_the_output_path(tmp_path: Path) -> None:
    out = tmp_path / "p"
    with (
        pytest.raises(RuntimeError),
        PackageWriter(out, service_id="0942", source_system="kiss", data_as_of=AS_OF) as writer,
    ):
        writer.write("staff", TABLES["staff"].arrow_schema.empty_table())
        raise RuntimeError("source went away")
    assert list(tmp_path.iterdir()) == []


def test_unbalanced_accounting_is_refused(tmp_path: Path) -> None:
    with (
        pytest.raises(PackageError, match=r"accounting does not balance.*tblKlient"),
        PackageWriter(
            tmp_path / "p", service_id="0942", source_system="klibnet", data_as_of=AS_OF
        ) as writer,
    ):
        writer.account("tblKlient", read=10, migrated=8, rejected=1)
    assert not (tmp_path / "p").exists()


def test_wrong_columns_are_refused_with_the_column_names(tmp_path: Path) -> None:
    with (
        pytest.raises(PackageError, match=r"missing \['ahvn13'"),
        PackageWriter(
            tmp_path / "p", service_id="0942", source_system="klibnet", data_as_of=AS_OF
        ) as writer,
    ):
        writer.write("persons", TABLES["persons"].empty_frame().drop(columns=["ahvn13"]))


def test_existing_output_is_not_clobbered(tmp_path: Path) -> None:
    out = write_package(tmp_path / "p")
    with pytest.raises(PackageError, match="already exists"):
        write_package(out)


def test_document_names_cannot_escape_the_package(tmp_path: Path) -> None:
    with (
        pytest.raises(PackageError, match="safe relative path"),
        PackageWriter(
            tmp_path / "p", service_id="0942", source_system="klibnet", data_as_of=AS_OF
        ) as writer,
    ):
        writer.add_document("../outside.pdf", _bytes_file(tmp_path, b"x"))


def test_table_written_by_another_tool_with_other_arrow_types_is_read(tmp_path: Path) -> None:
    package = write_package(tmp_path / "p")
    staff = pa.table(
        {
            "staff_id": pa.array(["0942:klibnet:1"], pa.large_string()),
            "source_system": ["klibnet"],
            "source_key": ["1"],
            "service_id": ["0942"],
            "short_name": ["GILD"],
            "family_name": [None],
            "given_name": [None],
            "role": ["social_worker"],
            "active": [True],
            "extra": [1],
        }
    )
    import pyarrow.parquet as pq

    from nffs_migration.intermediate_format.reader import Package

    pq.write_table(staff, package / "tables" / "staff.parquet")
    opened = Package(
        package,
        open_package(package, verify_checksums=False).manifest,
        origin=package,
        tempdir=None,
    )
    assert opened.table("staff").schema.equals(TABLES["staff"].arrow_schema)


def _copy_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target)


def test_packages_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    import stat

    for out in (write_package(tmp_path / "p"), write_package(tmp_path / "p.zip")):
        paths = [out] if out.is_file() else [out, *out.rglob("*")]
        for path in paths:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))


def test_a_package_of_an_earlier_minor_version_stays_readable(tmp_path: Path) -> None:
    """A manifest is checked as written: the fields added since 1.0 may be absent."""
    from nffs_migration.intermediate_format.manifest import json_digest

    package = write_package(tmp_path / "p")
    raw = json.loads((package / "manifest.json").read_text())
    for added in ("mapped_codes", "not_kept", "key_sets"):
        raw.pop(added)
    for added in ("read_from", "previous", "deletions", "replaces", "final"):
        raw["batch"].pop(added)
    raw["format_version"] = "1.0.0"
    raw["manifest_sha256"] = json_digest(raw)
    (package / "manifest.json").write_text(json.dumps(raw, indent=2))
    with open_package(package) as opened:
        assert opened.manifest.format_version == "1.0.0"
        assert opened.manifest.not_kept == [] and opened.manifest.key_sets == {}
    raw["not_kept"] = ["measures"]  # a changed manifest still fails its checksum
    (package / "manifest.json").write_text(json.dumps(raw, indent=2))
    with pytest.raises(PackageError, match="does not match its checksum"):
        open_package(package)
