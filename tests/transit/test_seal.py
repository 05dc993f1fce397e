"""Sealed packages: signatures, encryption for the canton, streaming, the loader's check, CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from extractor_kit import extract

import nffs_migration.cli.seal  # noqa: F401  (registers the commands before `cli` runs)
from nffs_migration.errors import ConfigurationError, PackageError, UsageError
from nffs_migration.intermediate_format import PackageWriter, open_package
from nffs_migration.intermediate_format.manifest import Manifest, to_json
from nffs_migration.sample_data.generate import generate
from nffs_migration.transit import sealing


@dataclass(frozen=True)
class Keys:
    operator: sealing.KeyFiles
    other: sealing.KeyFiles
    canton: sealing.KeyFiles
    stranger: sealing.KeyFiles

    @property
    def signing_key(self):
        return sealing.load_signing_key(self.operator.signing_key)

    @property
    def signer(self) -> Path:
        assert self.operator.signing_public is not None
        return self.operator.signing_public

    @property
    def recipient(self):
        return sealing.load_recipient(self.canton.box_public)

    @property
    def box_key(self):
        return sealing.load_box_key(self.canton.box_key)


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    folder = tmp_path_factory.mktemp("keys")
    return Keys(
        operator=sealing.write_keys(folder / "operator"),
        other=sealing.write_keys(folder / "other"),
        canton=sealing.write_keys(folder / "canton", signing=False, encryption=True),
        stranger=sealing.write_keys(folder / "stranger", signing=False, encryption=True),
    )


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small KLIBnet extraction, validated (so its reports are part of what is signed)."""
    from nffs_migration.validators.engine import validate_package

    folder = tmp_path_factory.mktemp("source")
    source = generate("klibnet", folder / "source", cases=15, seed=5, dirt="none")
    extract(
        "klibnet",
        source,
        lambda s: {"source": f"sqlite:///{s.out / 'klibnet.sqlite'}", "documents": s.out / "share"},
        folder / "package",
    )
    assert validate_package(folder / "package").report.valid
    return folder / "package"


@pytest.fixture
def package(validated: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "0942-full"
    shutil.copytree(validated, copy)
    return copy


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _flip(path: Path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0x01
    path.write_bytes(bytes(data))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# -- keys ----------------------------------------------------------------------------------


def test_keygen_writes_pem_keys_private_owner_only_and_never_overwrites(tmp_path: Path) -> None:
    written = sealing.write_keys(tmp_path / "keys" / "op", encryption=True)
    assert [p.name for p in written.paths] == [
        "op.sign.key",
        "op.box.key",
        "op.sign.pub",
        "op.box.pub",
    ]
    for path in written.paths:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o600 if path.suffix == ".key" else 0o644), path
        assert path.read_text().startswith("-----BEGIN ")
    signing = sealing.load_signing_key(written.signing_key)
    assert sealing.fingerprint(signing.public_key()) == written.signing_fingerprint
    assert (
        sealing.fingerprint(sealing.load_signer(written.signing_public))
        == written.signing_fingerprint
    )
    box = sealing.load_box_key(written.box_key)
    assert sealing.fingerprint(box.public_key()) == written.box_fingerprint
    before = written.signing_key.read_bytes()
    with pytest.raises(ConfigurationError, match="never overwritten"):
        sealing.write_keys(tmp_path / "keys" / "op")
    assert written.signing_key.read_bytes() == before


def test_keys_of_the_wrong_kind_too_open_or_with_a_passphrase_are_explained(tmp_path: Path) -> None:
    written = sealing.write_keys(tmp_path / "op", encryption=True)
    with pytest.raises(ConfigurationError, match="X25519 public key, not an Ed25519"):
        sealing.load_signer(written.box_public)
    with pytest.raises(ConfigurationError, match="not an X25519 encryption key"):
        sealing.load_box_key(written.signing_key)
    with pytest.raises(ConfigurationError, match="not a PEM public key"):
        sealing.load_signer(written.signing_key)
    with pytest.raises(ConfigurationError, match="no such key file"):
        sealing.load_signer(tmp_path / "missing.sign.pub")
    os.chmod(written.signing_key, 0o644)
    with pytest.raises(ConfigurationError, match="readable by others"):
        sealing.load_signing_key(written.signing_key)

    protected = sealing.write_keys(tmp_path / "locked", passphrase=b"correct horse")
    assert b"ENCRYPTED" in protected.signing_key.read_bytes()
    with pytest.raises(ConfigurationError, match="protected by a passphrase"):
        sealing.load_signing_key(protected.signing_key)
    with pytest.raises(ConfigurationError, match="wrong"):
        sealing.load_signing_key(protected.signing_key, b"wrong")
    key = sealing.load_signing_key(protected.signing_key, b"correct horse")
    assert sealing.fingerprint(key.public_key()) == protected.signing_fingerprint


# -- signatures ----------------------------------------------------------------------------


def test_signed_package_verifies_and_the_package_is_unchanged(package: Path, keys: Keys) -> None:
    before = _files(package)
    sealed = sealing.seal_package(package, keys.signing_key)
    assert sealed.path == package.with_name("0942-full.seal.json")
    assert stat.S_IMODE(sealed.path.stat().st_mode) == 0o600
    assert _files(package) == before
    record = json.loads(sealed.path.read_text())
    assert record["signer"] == keys.operator.signing_fingerprint
    assert record["manifest_sha256"] == hashlib.sha256(before["manifest.json"]).hexdigest()
    verified = sealing.verify_package(package, keys.signer)
    assert verified.signer == keys.operator.signing_fingerprint
    assert verified.files == len(before)
    with open_package(package) as opened:  # the reader still accepts the package as it is
        assert verified.content_sha256 == opened.manifest.content_sha256
    # the seal record can be named instead of the package
    assert sealing.verify_package(sealed.path, keys.signer).package_id == verified.package_id


def test_one_changed_byte_of_a_table_fails_naming_the_file(package: Path, keys: Keys) -> None:
    sealing.seal_package(package, keys.signing_key)
    _flip(package / "tables" / "persons.parquet", 100)
    with pytest.raises(PackageError, match=r"tables/persons\.parquet does not match") as caught:
        sealing.verify_package(package, keys.signer)
    assert caught.value.context["file"] == "tables/persons.parquet"


def test_a_changed_manifest_fails_on_the_signature_even_with_a_fixed_self_checksum(
    package: Path, keys: Keys
) -> None:
    sealing.seal_package(package, keys.signing_key)
    manifest_path = package / "manifest.json"
    # Someone swaps a table and rewrites the manifest to cover it, checksums and all:
    # the reader alone cannot tell, the signature can.
    _flip(package / "tables" / "persons.parquet", 100)
    manifest = Manifest.model_validate_json(manifest_path.read_bytes())
    entry = manifest.files["tables/persons.parquet"]
    forged_entry = entry.model_copy(
        update={
            "sha256": hashlib.sha256((package / "tables/persons.parquet").read_bytes()).hexdigest()
        }
    )
    forged = manifest.model_copy(
        update={
            "files": {**manifest.files, "tables/persons.parquet": forged_entry},
            "tables": {
                **manifest.tables,
                "persons": manifest.tables["persons"].model_copy(
                    update={"sha256": forged_entry.sha256}
                ),
            },
        }
    ).sealed()
    manifest_path.write_text(to_json(forged), encoding="utf-8")
    with open_package(package):
        pass  # consistent in itself
    with pytest.raises(PackageError, match="signature check failed: the signature does not match"):
        sealing.verify_package(package, keys.signer)


def test_a_byte_of_the_manifest_changed_fails_on_the_signature(package: Path, keys: Keys) -> None:
    sealing.seal_package(package, keys.signing_key)
    manifest_path = package / "manifest.json"
    manifest_path.write_bytes(manifest_path.read_bytes().replace(b'"rows": ', b'"rows":  ', 1))
    with pytest.raises(PackageError, match="signature check failed"):
        sealing.verify_package(package, keys.signer)


def test_wrong_signer_edited_seal_and_missing_seal_are_refused(package: Path, keys: Keys) -> None:
    sealed = sealing.seal_package(package, keys.signing_key)
    with pytest.raises(PackageError, match=r"sealed by key .* not by the given signer"):
        sealing.verify_package(package, keys.other.signing_public)

    record = json.loads(sealed.path.read_text())
    # a forger names the other key but cannot make its signature
    forged = {**record, "signer": keys.other.signing_fingerprint}
    sealed.path.write_text(json.dumps(forged))
    with pytest.raises(PackageError, match="signature does not match"):
        sealing.verify_package(package, keys.other.signing_public)
    signature = bytearray(base64.b64decode(record["signature"]))
    signature[0] ^= 1
    edited = {**record, "signature": base64.b64encode(bytes(signature)).decode()}
    sealed.path.write_text(json.dumps(edited))
    with pytest.raises(PackageError, match="signature does not match"):
        sealing.verify_package(package, keys.signer)
    sealed.path.write_text(json.dumps({**record, "package_id": "0942-klibnet-full-0009-x"}))
    with pytest.raises(PackageError, match="names another package"):
        sealing.verify_package(package, keys.signer)
    sealed.path.write_text("{not json")
    with pytest.raises(PackageError, match="not a seal of this format"):
        sealing.verify_package(package, keys.signer)
    sealed.path.unlink()
    with pytest.raises(PackageError, match=r"no seal .* not signed"):
        sealing.verify_package(package, keys.signer)


def test_a_zipped_package_is_signed_and_verified_the_same_way(tmp_path: Path, keys: Keys) -> None:
    zipped = _small_package(tmp_path / "p.zip")
    sealed = sealing.seal_package(zipped, keys.signing_key)
    assert sealed.path.name == "p.zip.seal.json"
    assert sealing.verify_package(zipped, keys.signer).files > 3
    data = bytearray(zipped.read_bytes())
    position = data.index(b"Sehr geehrte Frau")
    data[position] ^= 0x20
    zipped.write_bytes(bytes(data))
    with pytest.raises(PackageError, match=r"documents/2020-0456/brief\.txt"):
        sealing.verify_package(zipped, keys.signer)


def _small_package(out: Path, document: Path | None = None) -> Path:
    source = out.parent / "brief.txt"
    source.write_bytes(b"Sehr geehrte Frau")
    with PackageWriter(
        out,
        service_id="0942",
        source_system="klibnet",
        data_as_of=datetime(2026, 3, 14, 18, 22, tzinfo=UTC),
    ) as writer:
        writer.add_document("2020-0456/brief.txt", source)
        if document is not None:
            writer.add_document("2020-0456/scan.pdf", document)
    return out


# -- encryption ----------------------------------------------------------------------------


@pytest.mark.parametrize("out_name", ["opened", "opened.zip"])
def test_encrypted_package_opens_identical_for_the_canton(
    package: Path, keys: Keys, tmp_path: Path, out_name: str
) -> None:
    sealed = sealing.seal_package(package, keys.signing_key, recipient=keys.recipient)
    assert sealed.path == package.with_name("0942-full.nffs-sealed")
    assert stat.S_IMODE(sealed.path.stat().st_mode) == 0o600
    raw = sealed.path.read_bytes()
    assert raw.startswith(sealing.MAGIC)
    for name, content in _files(package).items():
        if len(content) > 64:
            assert content[:64] not in raw, name  # nothing of the package in clear
    header, _ = sealing.read_header(sealed.path.open("rb"), sealed.path.name)
    assert header.signer == keys.operator.signing_fingerprint
    assert header.recipient == keys.canton.box_fingerprint

    out = tmp_path / "inbox" / out_name
    verified = sealing.open_sealed(sealed.path, keys.box_key, keys.signer, out)
    with open_package(package) as original, open_package(out) as opened:
        assert opened.manifest.content_sha256 == original.manifest.content_sha256
        assert verified.content_sha256 == original.manifest.content_sha256
        assert _files(opened.root) == _files(original.root)
    assert sealing.seal_path_for(out).is_file()
    assert sealing.verify_package(out, keys.signer).package_id == verified.package_id
    assert _leftovers(out.parent) == []


def test_a_zip_input_is_encrypted_byte_for_byte(tmp_path: Path, keys: Keys) -> None:
    zipped = _small_package(tmp_path / "p.zip")
    sealed = sealing.seal_package(
        zipped, keys.signing_key, recipient=keys.recipient, out=tmp_path / "out.nffs-sealed"
    )
    sealing.open_sealed(sealed.path, keys.box_key, keys.signer, tmp_path / "back.zip")
    assert (tmp_path / "back.zip").read_bytes() == zipped.read_bytes()


@pytest.fixture
def sealed_small(tmp_path: Path, keys: Keys) -> Path:
    """A small package sealed in 4 KiB chunks, so that it spans many chunks."""
    document = tmp_path / "scan.bin"
    document.write_bytes(os.urandom(20_000))
    package = _small_package(tmp_path / "p", document)
    return sealing.seal_package(
        package, keys.signing_key, recipient=keys.recipient, chunk_size=4096
    ).path


def _chunk_offsets(sealed: Path) -> tuple[int, int, int]:
    with sealed.open("rb") as handle:
        header, aad = sealing.read_header(handle, sealed.name)
    size = header.chunk_size + 16
    count = -(-(sealed.stat().st_size - len(aad)) // size)
    return len(aad), size, count


def _refused(sealed: Path, keys: Keys, out: Path, match: str, box_key=None) -> None:
    with pytest.raises(PackageError, match=match):
        sealing.open_sealed(sealed, box_key or keys.box_key, keys.signer, out)
    assert not out.exists()
    assert not sealing.seal_path_for(out).exists()
    assert _leftovers(out.parent) == []
    with pytest.raises(PackageError, match=match):
        sealing.verify_sealed(sealed, box_key or keys.box_key, keys.signer)


@pytest.mark.parametrize("where", ["header", "first chunk", "middle chunk", "last tag"])
def test_a_flipped_byte_anywhere_is_refused_and_nothing_is_written(
    sealed_small: Path, keys: Keys, tmp_path: Path, where: str
) -> None:
    start, size, count = _chunk_offsets(sealed_small)
    assert count > 5
    position = {
        "header": start - 10,
        "first chunk": start + 5,
        "middle chunk": start + (count // 2) * size + 100,
        "last tag": sealed_small.stat().st_size - 1,
    }[where]
    _flip(sealed_small, position)
    match = "header is malformed|does not authenticate|not JSON"
    _refused(sealed_small, keys, tmp_path / "out", match)


@pytest.mark.parametrize("cut", ["chunk boundary", "mid chunk", "header", "all chunks"])
def test_a_truncated_sealed_file_is_refused(
    sealed_small: Path, keys: Keys, tmp_path: Path, cut: str
) -> None:
    start, size, count = _chunk_offsets(sealed_small)
    length = {
        "chunk boundary": start + (count - 1) * size,
        "mid chunk": start + 2 * size + 77,
        "header": start - 3,
        "all chunks": start,
    }[cut]
    with sealed_small.open("r+b") as handle:
        handle.truncate(length)
    _refused(sealed_small, keys, tmp_path / "out", "truncated")


def test_appended_or_reordered_chunks_are_refused(
    sealed_small: Path, keys: Keys, tmp_path: Path
) -> None:
    start, size, _count = _chunk_offsets(sealed_small)
    original = sealed_small.read_bytes()
    sealed_small.write_bytes(original + original[start : start + size])
    _refused(sealed_small, keys, tmp_path / "a", "does not authenticate")
    swapped = (
        original[:start]
        + original[start + size : start + 2 * size]
        + original[start : start + size]
        + original[start + 2 * size :]
    )
    sealed_small.write_bytes(swapped)
    _refused(sealed_small, keys, tmp_path / "b", "chunk 1 does not authenticate")


def test_the_wrong_key_or_signer_is_refused_and_nothing_is_written(
    sealed_small: Path, keys: Keys, tmp_path: Path
) -> None:
    stranger = sealing.load_box_key(keys.stranger.box_key)
    _refused(
        sealed_small, keys, tmp_path / "out", "sealed for key .* not for the given key", stranger
    )
    # pretending the file was for the stranger's key does not help: the header is authenticated
    original = sealed_small.read_bytes()
    sealed_small.write_bytes(
        original.replace(
            keys.canton.box_fingerprint.encode(), keys.stranger.box_fingerprint.encode(), 1
        )
    )
    _refused(sealed_small, keys, tmp_path / "out", "does not authenticate", stranger)
    sealed_small.write_bytes(original)
    with pytest.raises(PackageError, match="not by the given signer"):
        sealing.open_sealed(sealed_small, keys.box_key, keys.other.signing_public, tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_open_refuses_an_existing_output_and_a_file_that_is_not_sealed(
    sealed_small: Path, keys: Keys, tmp_path: Path
) -> None:
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(UsageError, match="exists already"):
        sealing.open_sealed(sealed_small, keys.box_key, keys.signer, existing)
    assert list(existing.iterdir()) == []
    plain = tmp_path / "plain.zip"
    plain.write_bytes(b"PK\x03\x04 not sealed")
    with pytest.raises(PackageError, match="not a sealed package"):
        sealing.open_sealed(plain, keys.box_key, keys.signer, tmp_path / "x")


@pytest.mark.parametrize("length", [0, 1, 4095, 4096, 4097, 3 * 4096, 3 * 4096 + 5])
def test_chunked_encryption_round_trips_every_length(length: int) -> None:
    import io

    key = os.urandom(32)
    aad = b"header"
    plain = os.urandom(length)
    cipher = io.BytesIO()
    sealing._encrypt_stream(sealing._Concat(b"", io.BytesIO(plain)), cipher, key, aad, 4096)
    chunks = max(1, -(-length // 4096))
    assert len(cipher.getvalue()) == length + 16 * chunks
    back = b"".join(sealing._decrypt_chunks(io.BytesIO(cipher.getvalue()), key, aad, 4096, "t"))
    assert back == plain
    if length > 4096:  # dropping the final chunk is noticed, even at a chunk boundary
        cut = io.BytesIO(cipher.getvalue()[: 4096 + 16])
        with pytest.raises(PackageError, match="truncated"):
            b"".join(sealing._decrypt_chunks(cut, key, aad, 4096, "t"))


# -- streaming -----------------------------------------------------------------------------

_MEASURE = textwrap.dedent(
    """
    import json, re, sys, tracemalloc
    from pathlib import Path
    from nffs_migration.transit import sealing as seal

    def status(field):
        text = Path("/proc/self/status").read_text()
        return int(re.search(field + r":\\s+(\\d+) kB", text).group(1)) / 1024

    def reset_peak():
        tracemalloc.reset_peak()
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak RSS
        return status("VmRSS")

    def measure(step):
        baseline = reset_peak()
        step()
        return {"rss": status("VmHWM") - baseline, "python": tracemalloc.get_traced_memory()[1] / 2**20}

    work = Path(sys.argv[1])
    key = seal.load_signing_key(work / "k.sign.key")
    recipient = seal.load_recipient(work / "k.box.pub")
    box = seal.load_box_key(work / "k.box.key")
    signer = seal.load_signer(work / "k.sign.pub")
    # warm up every code path on the small package, then measure the big one
    small = seal.seal_package(work / "small", key, recipient=recipient)
    seal.open_sealed(small.path, box, signer, work / "small-open")
    tracemalloc.start()
    result = {
        "seal": measure(lambda: seal.seal_package(work / "big", key, recipient=recipient)),
        "open": measure(
            lambda: seal.open_sealed(work / "big.nffs-sealed", box, signer, work / "big-open")
        ),
        "verify": measure(lambda: seal.verify_sealed(work / "big.nffs-sealed", box, signer)),
    }
    print(json.dumps(result))
    """
)


@pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc to reset peak RSS"
)
def test_sealing_and_opening_a_50_mb_package_keeps_memory_bounded(tmp_path: Path) -> None:
    sealing.write_keys(tmp_path / "k", encryption=True)
    document = tmp_path / "scan.pdf"
    with document.open("wb") as handle:
        for _ in range(50):
            handle.write(os.urandom(1024 * 1024))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _small_package(tmp_path / "a" / "small")
    _small_package(tmp_path / "b" / "big", document)
    shutil.move(tmp_path / "a" / "small", tmp_path / "small")
    shutil.move(tmp_path / "b" / "big", tmp_path / "big")
    result = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    peaks = json.loads(result.stdout)
    for step, peak in peaks.items():
        assert peak["rss"] < 40, (step, peaks)  # MiB above the baseline, kernel's peak RSS
        assert peak["python"] < 40, (step, peaks)  # MiB, tracemalloc's peak
    opened = tmp_path / "big-open" / "documents" / "2020-0456" / "scan.pdf"
    assert opened.read_bytes() == document.read_bytes()


# -- the loader ----------------------------------------------------------------------------


def _load_requiring_signature(path: Path, target: str, signer: Path, documents: Path):
    """What `load_package(..., require_signer=signer)` does first (see docs/sealing.md)."""
    from nffs_migration.loaders import load_package

    sealing.require_signature(path, signer)
    return load_package(path, target, documents_store=documents)


def _rows(url: str) -> int:
    from nffs_migration.loaders import create_target_engine

    engine = create_target_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.exec_driver_sql("select count(*) from persons").scalar_one())
    finally:
        engine.dispose()


def test_the_loader_refuses_an_unsigned_or_tampered_package_and_loads_a_signed_one(
    package: Path, keys: Keys, tmp_path: Path
) -> None:
    from nffs_migration.loaders import create_target_engine, init_target

    url = f"sqlite:///{tmp_path / 'target.db'}"
    engine = create_target_engine(url)
    init_target(engine)
    engine.dispose()

    with pytest.raises(PackageError, match="not signed"):
        _load_requiring_signature(package, url, keys.signer, tmp_path / "docs")
    with pytest.raises(PackageError, match="not signed"):
        sealing.require_signature(package, keys.signer)

    sealing.seal_package(package, keys.signing_key)
    sealing.require_signature(package, keys.signer)
    with pytest.raises(PackageError, match="signature check failed"):
        sealing.require_signature(package, keys.other.signing_public)

    tampered = tmp_path / "tampered"
    shutil.copytree(package, tampered)
    shutil.copy(sealing.seal_path_for(package), sealing.seal_path_for(tampered))
    _flip(tampered / "tables" / "persons.parquet", 100)
    with pytest.raises(PackageError, match=r"tables/persons\.parquet"):
        _load_requiring_signature(tampered, url, keys.signer, tmp_path / "docs")
    assert _rows(url) == 0

    result = _load_requiring_signature(package, url, keys.signer, tmp_path / "docs")
    assert not result.already_loaded and _rows(url) > 0
    # the package was validated before it was sealed, so loading changed nothing in it
    sealing.require_signature(package, keys.signer)


# -- the command line ----------------------------------------------------------------------


def test_cli_keygen_seal_verify_open_and_exit_codes(
    cli,
    package: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    keys = tmp_path / "keys"
    monkeypatch.setenv("NFFS_TEST_PASSPHRASE", "correct horse battery")
    result = cli(
        "-vv",
        "package",
        "keygen",
        "--out",
        str(keys / "op"),
        "--passphrase-env",
        "NFFS_TEST_PASSPHRASE",
    )
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE((keys / "op.sign.key").stat().st_mode) == 0o600
    assert not (keys / "op.box.key").exists()
    assert (
        cli("package", "keygen", "--out", str(keys / "canton"), "--encryption-only").exit_code == 0
    )
    assert not (keys / "canton.sign.key").exists()
    again = cli("package", "keygen", "--out", str(keys / "op"))
    assert again.exit_code == 2 and "never overwritten" in again.stderr

    missing = cli("package", "seal", str(package), "--key", str(keys / "op.sign.key"))
    assert missing.exit_code == 2 and "passphrase" in missing.stderr
    unset = cli(
        "package",
        "seal",
        str(package),
        "--key",
        str(keys / "op.sign.key"),
        "--passphrase-env",
        "NFFS_NOT_SET",
    )
    assert unset.exit_code == 2 and "NFFS_NOT_SET is not set" in unset.stderr

    signed = cli(
        "-vv",
        "package",
        "seal",
        str(package),
        "--key",
        str(keys / "op.sign.key"),
        "--passphrase-env",
        "NFFS_TEST_PASSPHRASE",
    )
    assert signed.exit_code == 0, signed.stderr
    verify = cli("package", "verify", str(package), "--signer", str(keys / "op.sign.pub"))
    assert verify.exit_code == 0 and "valid" in verify.stdout

    sealed = tmp_path / "outbox" / "0942.nffs-sealed"
    sealed.parent.mkdir()
    encrypted = cli(
        "package",
        "seal",
        str(package),
        "--key",
        str(keys / "op.sign.key"),
        "--passphrase-env",
        "NFFS_TEST_PASSPHRASE",
        "--encrypt-for",
        str(keys / "canton.box.pub"),
        "--out",
        str(sealed),
    )
    assert encrypted.exit_code == 0, encrypted.stderr
    no_key = cli("package", "verify", str(sealed), "--signer", str(keys / "op.sign.pub"))
    assert no_key.exit_code == 2 and "encrypted" in no_key.stderr
    with_key = cli(
        "package",
        "verify",
        str(sealed),
        "--signer",
        str(keys / "op.sign.pub"),
        "--key",
        str(keys / "canton.box.key"),
    )
    assert with_key.exit_code == 0, with_key.stderr
    opened = cli(
        "package",
        "open",
        str(sealed),
        "--key",
        str(keys / "canton.box.key"),
        "--signer",
        str(keys / "op.sign.pub"),
        "--out",
        str(tmp_path / "inbox" / "0942"),
    )
    assert opened.exit_code == 0, opened.stderr
    assert (
        cli(
            "package",
            "verify",
            str(tmp_path / "inbox" / "0942"),
            "--signer",
            str(keys / "op.sign.pub"),
        ).exit_code
        == 0
    )

    wrong_kind = cli("package", "verify", str(package), "--signer", str(keys / "canton.box.pub"))
    assert wrong_kind.exit_code == 2 and "not an Ed25519 public key" in wrong_kind.stderr

    _flip(package / "tables" / "cases.parquet", 120)
    changed = cli("package", "verify", str(package), "--signer", str(keys / "op.sign.pub"))
    assert changed.exit_code == 2
    assert changed.stderr.strip().count("\n") == 0  # one line
    assert "tables/cases.parquet does not match" in changed.stderr

    _flip(sealed, sealed.stat().st_size - 5)
    refused = cli(
        "package",
        "open",
        str(sealed),
        "--key",
        str(keys / "canton.box.key"),
        "--signer",
        str(keys / "op.sign.pub"),
        "--out",
        str(tmp_path / "inbox" / "again"),
    )
    assert refused.exit_code == 2 and "does not authenticate" in refused.stderr
    assert not (tmp_path / "inbox" / "again").exists()

    # keys are never shown: no PEM, base64 body or fingerprint-less secret in any output
    secrets = [
        line
        for name in ("op.sign.key", "canton.box.key")
        for line in (keys / name).read_text().splitlines()
        if not line.startswith("-----")
    ]
    logged = caplog.text + "".join(
        r.stdout + r.stderr for r in (result, signed, encrypted, with_key, opened, changed, refused)
    )
    assert secrets and not any(secret in logged for secret in secrets)


@pytest.mark.parametrize("command", ["keygen", "seal", "verify", "open"])
def test_every_seal_command_has_help_with_an_example_and_is_documented(cli, command: str) -> None:
    result = cli("package", command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout
    assert f"$ nffs-migrate package {command}" in result.stdout
    docs = (Path(__file__).resolve().parents[2] / "docs" / "sealing.md").read_text(encoding="utf-8")
    assert f"nffs-migrate package {command}" in docs
