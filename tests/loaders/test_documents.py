"""The documents store: copies on a thread pool, refused on a checksum mismatch, idempotent."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from extractor_kit import extract
from package_tools import reseal

from nffs_migration.errors import LoadError
from nffs_migration.loaders import create_target_engine, init_target, load_package
from nffs_migration.loaders.documents import DocumentStore
from nffs_migration.sample_data.generate import generate


def _documents(folder: Path, count: int) -> list[tuple[Path, str]]:
    """`count` files of different sizes (empty to a few hundred KB) with their checksums."""
    folder.mkdir()
    items = []
    for number in range(count):
        content = (b"%PDF-1.4 synthetic " + str(number).encode()) * (number * 997 % 20_000)
        path = folder / f"{number}.pdf"
        path.write_bytes(content)
        items.append((path, hashlib.sha256(content).hexdigest()))
    return items


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_document_that_differs_from_its_checksum_is_refused_on_the_pool_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    items = _documents(tmp_path / "package", 40)
    wrong = hashlib.sha256(b"what the manifest promised").hexdigest()
    items[23] = (items[23][0], wrong)
    store = DocumentStore(tmp_path / "store")
    with pytest.raises(LoadError) as caught:
        store.put_many(items, threads=4)
    assert wrong[:16] in caught.value.message  # named by its checksum, not its file name
    assert "23.pdf" not in caught.value.message
    assert "does not match its checksum" in caught.value.message
    assert not store.path_of(wrong).exists()
    stored = _files(store.root)
    assert not [name for name in stored if name.endswith(".tmp")]
    # Whatever else was stored is complete and under its own checksum.
    for name, content in stored.items():
        assert name.rsplit("/", 1)[1] == hashlib.sha256(content).hexdigest()


def test_storing_twice_on_the_pool_is_idempotent(tmp_path: Path) -> None:
    items = _documents(tmp_path / "package", 40)
    items.append(items[5])  # the same document twice in one package: stored once
    store = DocumentStore(tmp_path / "store")
    assert store.put_many(items, threads=4) == 40
    first = _files(store.root)
    assert len(first) == 40
    for path, sha256 in items:
        assert store.path_of(sha256).read_bytes() == path.read_bytes()
    assert DocumentStore(store.root).put_many(items, threads=4) == 0
    assert store.put_many(items, threads=1) == 0
    assert _files(store.root) == first


def test_the_pool_stores_what_one_thread_stores(tmp_path: Path) -> None:
    items = _documents(tmp_path / "package", 25)
    one, four = DocumentStore(tmp_path / "one"), DocumentStore(tmp_path / "four")
    assert one.put_many(items, threads=1) == four.put_many(items, threads=4) == 25
    assert _files(one.root) == _files(four.root)


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("documents")
    source = generate("klibnet", folder / "source", cases=30, seed=5, dirt="none")
    extract(
        "klibnet",
        source,
        lambda s: {"source": f"sqlite:///{s.out / 'klibnet.sqlite'}", "documents": s.out / "share"},
        folder / "full",
    )
    return folder / "full"


def _refused(
    copy: Path, tmp_path: Path, unstored: str, staged: list[str] | None = None
) -> tuple[str, DocumentStore]:
    """Load `copy` into a new SQLite target: refused on a checksum, nothing left behind.

    The tables whose rows were staged before the refusal are appended to `staged`.
    """
    target = f"sqlite:///{tmp_path / 'target.db'}"
    engine = create_target_engine(target)
    init_target(engine)
    engine.dispose()
    store = DocumentStore(tmp_path / "docs")
    with pytest.raises(LoadError, match="does not match its checksum"):
        load_package(
            copy,
            target,
            documents_store=store.root,
            validate=False,
            progress=lambda table, _rows: (staged if staged is not None else []).append(table),
        )
    assert not store.path_of(unstored).exists()
    assert not [p for p in store.root.rglob("*.tmp")]
    engine = create_target_engine(target)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("select count(*) from cases").scalar_one() == 0
    engine.dispose()
    return target, store


def test_a_load_whose_document_differs_from_its_row_stores_nothing_of_it_and_loads_nothing(
    package: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    documents = copy / "tables" / "documents.parquet"
    table = pq.read_table(documents)
    assert table.num_rows > 4
    wrong = hashlib.sha256(b"another content").hexdigest()
    sha256 = table.column("sha256").to_pylist()
    sha256[3] = wrong
    column = table.schema.get_field_index("sha256")
    pq.write_table(
        table.set_column(column, "sha256", pa.array(sha256)), documents, compression="zstd"
    )
    reseal(copy)  # the package is sound; only the row's checksum is not its file's
    staged: list[str] = []
    _, store = _refused(copy, tmp_path, wrong, staged)
    # Checked against the manifest before anything is written: no document, no row.
    assert not store.root.exists() or not _files(store.root)
    assert staged == []


def test_a_document_changed_after_sealing_fails_the_load_that_stores_it(
    package: Path, tmp_path: Path
) -> None:
    """The loader opens a package without hashing its documents: the store hashes each."""
    copy = tmp_path / "p"
    shutil.copytree(package, copy)
    table = pq.read_table(copy / "tables" / "documents.parquet")
    file = table.column("file")[0].as_py()
    data = bytearray((copy / file).read_bytes())
    data[-1] = (data[-1] + 1) % 256  # same size: only a hash finds it
    (copy / file).write_bytes(bytes(data))
    target, store = _refused(copy, tmp_path, hashlib.sha256(bytes(data)).hexdigest())
    # The document as sealed, already in the store, is what the rows name: the same load
    # from the intact package goes through and stores it once.
    loaded = load_package(package, target, documents_store=store.root, validate=False)
    assert loaded.documents_new > 0
    assert store.path_of(table.column("sha256")[0].as_py()).read_bytes() != bytes(data)


def test_a_second_load_stores_no_document_again(package: Path, tmp_path: Path) -> None:
    target = f"sqlite:///{tmp_path / 'target.db'}"
    engine = create_target_engine(target)
    init_target(engine)
    engine.dispose()
    count = pq.read_table(package / "tables" / "documents.parquet").num_rows
    first = load_package(package, target, documents_store=tmp_path / "docs", validate=False)
    assert 0 < first.documents_new <= count
    stored = _files(tmp_path / "docs")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    engine = create_target_engine(other)
    init_target(engine)
    engine.dispose()
    again = load_package(package, other, documents_store=tmp_path / "docs", validate=False)
    assert again.documents_new == 0
    assert _files(tmp_path / "docs") == stored
